"""The Kayenta-style Mann-Whitney judge: scipy cross-checked, classification, plausible slips."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from lendlab.rollout.judge import MetricJudgement, judge_metric, mann_whitney_shift, score_run


def _direct_u_and_p(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """U of x over y by counting pairs, p-value by the normal approximation with the tie
    correction and a continuity correction of 0.5 (what scipy's asymptotic method does)."""
    diff = np.subtract.outer(x, y)
    u = float((diff > 0).sum() + 0.5 * (diff == 0).sum())
    n1, n2 = x.size, y.size
    pooled = np.concatenate([x, y])
    _, counts = np.unique(pooled, return_counts=True)
    n = n1 + n2
    var = n1 * n2 / 12 * ((n + 1) - (counts**3 - counts).sum() / (n * (n - 1)))
    z = (abs(u - n1 * n2 / 2) - 0.5) / math.sqrt(var)
    return u, 2 * stats.norm.sf(z)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mannwhitneyu_agrees_with_a_direct_computation(seed):
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(10.4, 2, 70), 1)  # rounded: ties
    y = np.round(rng.normal(10.0, 2, 55), 1)
    u, p = _direct_u_and_p(x, y)
    res = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")
    assert res.statistic == pytest.approx(u)
    assert res.pvalue == pytest.approx(p, rel=1e-9)
    p_ours, est, lo, hi = mann_whitney_shift(y, x, confidence=0.95)
    assert p_ours == pytest.approx(p, rel=1e-9)
    assert est == pytest.approx(np.median(np.subtract.outer(x, y)))
    assert lo <= est <= hi


def test_shift_interval_covers_the_true_shift_and_its_ends_are_where_the_test_flips():
    rng = np.random.default_rng(5)
    base = rng.normal(50, 5, 200)
    can = rng.normal(53, 5, 200)
    p, est, lo, hi = mann_whitney_shift(base, can, confidence=0.98)
    assert lo < 3 < hi and 2 < est < 4
    alpha = 0.02

    def pval(d):
        return stats.mannwhitneyu(can - d, base, method="asymptotic").pvalue

    assert pval(lo + 1e-3) >= alpha > pval(lo - 0.05)
    assert pval(hi - 1e-3) >= alpha > pval(hi + 0.05)


def test_high_low_pass_and_direction():
    rng = np.random.default_rng(0)
    base = rng.lognormal(3, 0.2, 60)
    assert judge_metric(base, base * 1.6).classification == "High"
    # direction "increase": a faster canary is not a failure (Kayenta maps it to Pass) ...
    assert judge_metric(base, base * 0.5).classification == "Pass"
    # ... but with "either" it is Low
    assert judge_metric(base, base * 0.5, direction="either").classification == "Low"
    assert judge_metric(base, base * 1.6, direction="decrease").classification == "Pass"


def test_significant_but_within_tolerance_passes():
    # slip: a plain significance test would call this a failure
    rng = np.random.default_rng(1)
    base = rng.normal(100, 1, 2000)
    j = judge_metric(base, base + 3.0, tolerance=0.25)
    assert j.p_value < 1e-10 and j.classification == "Pass"
    assert j.tolerance == pytest.approx(0.25 * base.mean())


def test_bound_uses_the_baseline_mean_not_the_canary_mean():
    base = np.linspace(9, 11, 50)
    j = judge_metric(base, base * 2)
    assert j.tolerance == pytest.approx(0.25 * 10)
    assert j.classification == "High"


def test_zero_error_baseline_kayenta_799():
    zeros = np.zeros(30)
    both = judge_metric(zeros, zeros, floor=0.005)
    assert both.classification == "Pass" and "identical" in both.detail
    # a clearly failing canary against a zero baseline is High, not NaN / silent pass
    bad = judge_metric(zeros, np.full(30, 0.05) + np.linspace(0, 0.01, 30), floor=0.005)
    assert bad.classification == "High" and "inf" in bad.detail
    # a trickle of errors within the absolute floor passes
    tiny = np.zeros(30)
    tiny[:3] = 0.002
    assert judge_metric(zeros, tiny, floor=0.005).classification == "Pass"


def test_nan_and_too_few_samples_are_nodata_with_a_reason():
    j = judge_metric([1.0] * 10, [np.nan] * 8 + [1.0, 2.0], min_samples=5)
    assert j.classification == "Nodata"
    assert "8 NaN dropped" in j.detail and "need at least 5" in j.detail
    assert judge_metric([], [1.0] * 10).classification == "Nodata"


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"direction": "up"}, ValueError),
        ({"tolerance": -0.1}, ValueError),
        ({"confidence": 1.5}, ValueError),
        ({"min_samples": 1}, ValueError),
    ],
)
def test_bad_options(kwargs, error):
    with pytest.raises(error):
        judge_metric([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], **kwargs)


def test_bad_samples():
    with pytest.raises(TypeError, match="sequence of numbers"):
        judge_metric("abc", [1.0])
    with pytest.raises(ValueError, match="infinite"):
        judge_metric([1.0, np.inf], [1.0])


def test_score_run():
    ok, high = MetricJudgement("a", "Pass"), MetricJudgement("b", "High")
    nod = MetricJudgement("n", "Nodata")
    assert score_run([ok] * 19 + [high]) == (95.0, "pass")
    assert score_run([ok, ok, ok, high, nod]) == (75.0, "marginal")  # Nodata left out
    assert score_run([ok, high]) == (50.0, "fail")
    assert score_run([ok] * 9 + [MetricJudgement("c", "Low", critical=True)]) == (0.0, "fail")
    score, cls = score_run([nod])
    assert math.isnan(score) and cls == "nodata"
    with pytest.raises(ValueError, match="classification"):
        score_run([MetricJudgement("x", "Fail")])
