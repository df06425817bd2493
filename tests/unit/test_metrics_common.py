"""Invariance and bad-input tests run over every metric at once (after sklearn's test_common)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd
import pytest

from lendlab import metrics

# Every metric of the form f(y_true, pd_or_score) -> float.
SCORE_METRICS: dict[str, Callable] = {
    "roc_auc": metrics.roc_auc,
    "gini": metrics.gini,
    "ks_statistic": metrics.ks_statistic,
    "pr_auc": metrics.pr_auc,
    "brier_score": metrics.brier_score,
    "expected_calibration_error": metrics.expected_calibration_error,
    "decision_confusion": lambda y, p: metrics.decision_confusion(y, p, cutoff=0.3).to_numpy(),
    "bad_rate_among_approved": partial(metrics.bad_rate_among_approved, cutoff=0.3),
    "decline_precision": partial(metrics.decline_precision, cutoff=0.3),
    "decline_recall": partial(metrics.decline_recall, cutoff=0.3),
    "false_decline_rate": partial(metrics.false_decline_rate, cutoff=0.3),
    "calibration_table": lambda y, p: metrics.calibration_table(y, p).to_numpy(),
    "threshold_table": lambda y, p: metrics.threshold_table(y, p).to_numpy(),
}
TWO_CLASS_METRICS = ["roc_auc", "gini", "ks_statistic", "pr_auc"]
ALL = sorted(SCORE_METRICS)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    p = np.round(rng.beta(2, 5, 400), 3)  # rounding creates ties on purpose
    y = (rng.random(400) < p).astype(int)
    return y, p


def _same(a, b) -> None:
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float))


@pytest.mark.parametrize("name", ALL)
def test_sample_order_invariance(name, data):
    y, p = data
    order = np.random.default_rng(1).permutation(len(y))
    _same(SCORE_METRICS[name](y, p), SCORE_METRICS[name](y[order], p[order]))


@pytest.mark.parametrize("name", ALL)
def test_format_invariance(name, data):
    """Lists, Series, bool labels and column vectors give the same answer as numpy."""
    y, p = data
    expected = SCORE_METRICS[name](y, p)
    _same(SCORE_METRICS[name](y.tolist(), p.tolist()), expected)
    _same(SCORE_METRICS[name](pd.Series(y), pd.Series(p, index=np.arange(400)[::-1])), expected)
    _same(SCORE_METRICS[name](y.astype(bool), p), expected)
    _same(SCORE_METRICS[name](y.astype(float), p.reshape(-1, 1)), expected)
    _same(SCORE_METRICS[name](pd.Series(y, dtype="Int64"), p), expected)


@pytest.mark.parametrize("name", ALL)
def test_deterministic_and_not_nan(name, data):
    y, p = data
    result = np.asarray(SCORE_METRICS[name](y, p), dtype=float)
    assert np.isfinite(result).all()


BAD_INPUTS = {
    "mismatched lengths": (lambda y, p: (y[:-1], p), ValueError, "different lengths"),
    "NaN score": (
        lambda y, p: (y, np.where(np.arange(len(p)) == 3, np.nan, p)),
        ValueError,
        r"missing or infinite value\(s\) at \[3\]",
    ),
    "inf score": (
        lambda y, p: (y, np.where(np.arange(len(p)) == 5, np.inf, p)),
        ValueError,
        "infinite",
    ),
    "label 2": (
        lambda y, p: (np.where(np.arange(len(y)) == 7, 2, y), p),
        ValueError,
        r"only 0 \(good\) and 1 \(bad\); found \[7\]=2",
    ),
    "NaN label": (
        lambda y, p: (np.where(np.arange(len(y)) == 2, np.nan, y), p),
        ValueError,
        "missing label",
    ),
    "text labels": (lambda y, p: (np.where(y == 1, "bad", "good"), p), TypeError, "text"),
    "text scores": (lambda y, p: (y, p.astype(str)), TypeError, "numeric"),
    "empty": (lambda y, p: (y[:0], p[:0]), ValueError, "empty"),
    "scalar": (lambda y, p: (1, 0.5), TypeError, "single value"),
    "None": (lambda y, p: (None, p), TypeError, "None"),
    "2-D scores": (lambda y, p: (y, np.c_[p, p]), ValueError, "1-D"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
@pytest.mark.parametrize("name", ALL)
def test_bad_input_raises_naming_the_problem(name, case, data):
    make, error, message = BAD_INPUTS[case]
    y, p = make(*data)
    with pytest.raises(error, match=message):
        SCORE_METRICS[name](y, p)


PD_ONLY = [n for n in ALL if n not in TWO_CLASS_METRICS]


@pytest.mark.parametrize("name", PD_ONLY)
def test_pd_outside_unit_interval_raises(name, data):
    y, p = data
    with pytest.raises(ValueError, match=r"pd must be a probability of default in \[0, 1\]"):
        SCORE_METRICS[name](y, p * 700)


@pytest.mark.parametrize("name", TWO_CLASS_METRICS)
@pytest.mark.parametrize("label", [0, 1])
def test_single_class_raises(name, label, data):
    _, p = data
    with pytest.raises(ValueError, match="holds only"):
        SCORE_METRICS[name](np.full(len(p), label), p)


@pytest.mark.parametrize(
    "func",
    [
        metrics.approval_rate,
        partial(metrics.decision_confusion, [0, 1]),
        partial(metrics.bad_rate_among_approved, [0, 1]),
        partial(metrics.decline_precision, [0, 1]),
        partial(metrics.decline_recall, [0, 1]),
        partial(metrics.false_decline_rate, [0, 1]),
    ],
)
@pytest.mark.parametrize(
    ("cutoff", "error", "message"),
    [
        (1.5, ValueError, r"cutoff=1.5 is outside \[0, 1\]"),
        (-0.1, ValueError, "outside"),
        (float("nan"), ValueError, "not finite"),
        ("0.2", TypeError, "single number"),
        (None, TypeError, "single number"),
        ([0.2], TypeError, "single number"),
    ],
)
def test_bad_cutoff_raises(func, cutoff, error, message):
    with pytest.raises(error, match=message):
        func([0.1, 0.4], cutoff=cutoff)


@pytest.mark.parametrize("name", ["roc_auc", "gini", "pr_auc", "ks_statistic"])
def test_higher_is_riskier_must_be_bool(name, data):
    y, p = data
    with pytest.raises(TypeError, match="higher_is_riskier"):
        SCORE_METRICS[name](y, p, higher_is_riskier="no")
