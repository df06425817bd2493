"""A Mann-Whitney judge in the style of Kayenta (Netflix/Spinnaker's automated canary analysis).

Per metric, :func:`judge_metric` compares canary samples with baseline samples:

1. NaNs are dropped and counted. Fewer than ``min_samples`` on either side -> **Nodata**,
   with the reason (never a silent pass: Kayenta issues #377 and #799).
2. Identical samples, or every value equal -> **Pass**.
3. Otherwise the Mann-Whitney U test (:func:`scipy.stats.mannwhitneyu`) gives a p-value and,
   by inverting it, a confidence interval for the location shift canary - baseline around
   the Hodges-Lehmann estimate (:func:`mann_whitney_shift`).
4. The allowed band is ``+/- max(tolerance * |baseline mean|, floor)``. **High** when the
   interval's lower end is above the band, **Low** when its upper end is below it, else
   **Pass**. A direction of ``"increase"`` (higher is worse: latency, errors) turns Low into
   Pass, ``"decrease"`` turns High into Pass, as in Kayenta.

``floor`` is our addition for the zero-error baseline (Kayenta #799): with no errors in the
baseline, ``tolerance * 0 = 0`` and a single canary error would be "High". A floor (say half a
percentage point of error rate) states how much is acceptable in absolute terms.

:func:`score_run` turns the judgements into Kayenta's score: the share of Pass among the
judged (non-Nodata) metrics x 100; a critical metric that is not Pass makes the score 0;
``pass_score`` (95) and ``marginal_score`` (75) classify it. Kayenta's own defaults are
tolerance 0.25 and confidence 0.98 (``NetflixACAJudge``).

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> base = rng.lognormal(3.0, 0.2, 60)          # p99 latency per minute, ms
>>> judge_metric(base, base * 1.6, name="p99_ms").classification
'High'
>>> judge_metric(base, rng.lognormal(3.0, 0.2, 60), name="p99_ms").classification
'Pass'
>>> judge_metric(base, [], name="p99_ms").classification
'Nodata'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

__all__ = [
    "CLASSIFICATIONS",
    "DIRECTIONS",
    "MetricJudgement",
    "judge_metric",
    "mann_whitney_shift",
    "score_run",
]

#: Kayenta's labels.
CLASSIFICATIONS: tuple[str, ...] = ("Pass", "High", "Low", "Nodata")
#: Which change is harmful: ``increase`` (High fails), ``decrease`` (Low fails), ``either``.
DIRECTIONS: tuple[str, ...] = ("increase", "decrease", "either")
_PAIRWISE_MAX = 4_000_000  # exact Hodges-Lehmann from all pairs up to this many pairs


@dataclass
class MetricJudgement:
    """One guardrail's result.

    Attributes
    ----------
    name : str
    classification : {"Pass", "High", "Low", "Nodata"}
    critical : bool
        A critical metric that is not Pass fails the whole run.
    baseline, canary : float
        The value per arm (mean of the samples for a judged metric).
    value : float
        What is compared with the tolerance (the shift estimate, a delta, a PSI...).
    lower, upper : float
        Confidence interval of ``value`` (NaN where there is none).
    tolerance : float
        The allowed band's half-width (or the limit), in the units of ``value``.
    detail : str
        Why: the numbers and, for Nodata, what is missing.
    p_value : float
    n_baseline, n_canary : int
        Samples (or decisions) used per arm.
    """

    name: str
    classification: str
    critical: bool = False
    baseline: float = math.nan
    canary: float = math.nan
    value: float = math.nan
    lower: float = math.nan
    upper: float = math.nan
    tolerance: float = math.nan
    detail: str = ""
    p_value: float = math.nan
    n_baseline: int = 0
    n_canary: int = 0

    @property
    def passed(self) -> bool:
        """True for Pass."""
        return self.classification == "Pass"

    @property
    def nodata(self) -> bool:
        """True for Nodata (too little data, or inconclusive)."""
        return self.classification == "Nodata"

    def line(self) -> str:
        """One line: status, name, value, tolerance, detail."""
        crit = " (critical)" if self.critical else ""
        value = "n/a" if not math.isfinite(self.value) else f"{self.value:.4g}"
        tol = "n/a" if not math.isfinite(self.tolerance) else f"{self.tolerance:.4g}"
        return (
            f"{self.classification.upper():6s} {self.name}{crit}: value {value}, "
            f"tolerance {tol}; {self.detail}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN -> None)."""
        out = asdict(self)
        return {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in out.items()
        }


def _samples(values: Any, name: str) -> tuple[np.ndarray, int]:
    if isinstance(values, (str, bytes)) or values is None:
        raise TypeError(f"{name} must be a sequence of numbers, got {type(values).__name__}")
    try:
        arr = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of numbers; convert it first") from None
    if np.isinf(arr).any():
        raise ValueError(f"{name} holds infinite values; replace them with NaN or real values")
    nan = np.isnan(arr)
    return arr[~nan], int(nan.sum())


def _check_confidence(confidence: Any) -> float:
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)):
        raise TypeError(f"confidence must be a number in (0.5, 1), got {confidence!r}")
    if not 0.5 < float(confidence) < 1:
        raise ValueError(f"confidence={confidence!r} must be in (0.5, 1), e.g. 0.98 (Kayenta)")
    return float(confidence)


def _p_value(canary: np.ndarray, baseline: np.ndarray) -> float:
    return float(
        stats.mannwhitneyu(canary, baseline, alternative="two-sided", method="asymptotic").pvalue
    )


def mann_whitney_shift(
    baseline: Any, canary: Any, *, confidence: float = 0.98
) -> tuple[float, float, float, float]:
    """Mann-Whitney p-value, Hodges-Lehmann shift and its confidence interval.

    The shift is canary - baseline: the median of all pairwise differences (the
    Hodges-Lehmann estimator). The interval is every shift ``d`` that the test does not reject
    at ``1 - confidence`` when ``d`` is subtracted from the canary (the test inverted, as R's
    ``wilcox.test(conf.int=TRUE)`` does), found by bisection. Ends the test can never reject
    (tiny samples) are infinite.

    Parameters
    ----------
    baseline, canary : array-like of float
        NaN-free samples, at least one value each.
    confidence : float, default 0.98

    Returns
    -------
    (p_value, estimate, lower, upper) : tuple of float

    Examples
    --------
    >>> p, est, lo, hi = mann_whitney_shift([1, 2, 3, 4, 5] * 4, [11, 12, 13, 14, 15] * 4)
    >>> round(est, 1), lo > 8, hi < 12, p < 1e-6
    (10.0, True, True, True)
    """
    conf = _check_confidence(confidence)
    b, nb = _samples(baseline, "baseline")
    c, nc = _samples(canary, "canary")
    if nb or nc or b.size == 0 or c.size == 0:
        raise ValueError("mann_whitney_shift needs NaN-free, non-empty samples on both sides")
    alpha = 1.0 - conf
    p0 = _p_value(c, b)
    if b.size * c.size <= _PAIRWISE_MAX:
        estimate = float(np.median(np.subtract.outer(c, b)))
    else:  # the shift that centres U at n1*n2/2
        estimate = _bisect(lambda d: _u_share(c - d, b) - 0.5, c.min() - b.max(), c.max() - b.min())
    low_end, high_end = float(c.min() - b.max()), float(c.max() - b.min())

    def accepted(d: float) -> bool:
        return _p_value(c - d, b) >= alpha

    lower = -math.inf
    if not accepted(low_end - 1e-9 * max(1.0, abs(low_end))):
        lower = _boundary(accepted, low_end - 1e-9 * max(1.0, abs(low_end)), estimate)
    upper = math.inf
    if not accepted(high_end + 1e-9 * max(1.0, abs(high_end))):
        upper = _boundary(accepted, high_end + 1e-9 * max(1.0, abs(high_end)), estimate)
    return p0, estimate, lower, upper


def _u_share(c: np.ndarray, b: np.ndarray) -> float:
    u = stats.mannwhitneyu(c, b, alternative="two-sided", method="asymptotic").statistic
    return float(u) / (c.size * b.size)


def _bisect(f, lo: float, hi: float, iterations: int = 60) -> float:
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        if f(mid) > 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _boundary(accepted, rejected_at: float, accepted_at: float, iterations: int = 60) -> float:
    """The point between a rejected and an accepted shift where the test's answer changes."""
    out, inside = rejected_at, accepted_at
    for _ in range(iterations):
        mid = 0.5 * (out + inside)
        if accepted(mid):
            inside = mid
        else:
            out = mid
    return inside


def judge_metric(
    baseline: Iterable[float],
    canary: Iterable[float],
    *,
    name: str = "metric",
    tolerance: float = 0.25,
    confidence: float = 0.98,
    direction: str = "increase",
    floor: float = 0.0,
    min_samples: int = 5,
    critical: bool = False,
) -> MetricJudgement:
    """Classify one metric, canary vs baseline, as Pass / High / Low / Nodata.

    Parameters
    ----------
    baseline, canary : array-like of float
        Samples per arm, e.g. the p99 latency of each minute. NaNs are dropped and counted.
    name : str
    tolerance : float, default 0.25
        Allowed shift as a fraction of the baseline mean (Kayenta's default).
    confidence : float, default 0.98
        Of the shift's interval (Kayenta's NetflixACAJudge uses 0.98).
    direction : {"increase", "decrease", "either"}, default "increase"
        Which change is harmful (see the module docstring).
    floor : float, default 0.0
        Smallest allowed shift in absolute units (for a baseline mean of 0).
    min_samples : int, default 5
        Fewer samples on either side after dropping NaNs -> Nodata.
    critical : bool, default False
        Recorded on the judgement; :func:`score_run` fails the run on it.

    Returns
    -------
    MetricJudgement

    Examples
    --------
    >>> j = judge_metric([0.0] * 20, [0.0] * 20, name="error_rate", floor=0.005)
    >>> j.classification, j.detail
    ('Pass', 'identical samples (every value 0)')
    >>> judge_metric([0.0] * 20, [float("nan")] * 20, name="error_rate").detail
    'canary has 0 sample(s) (20 NaN dropped); need at least 5'
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction={direction!r}; pass one of {list(DIRECTIONS)}")
    for label, value in (("tolerance", tolerance), ("floor", floor)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
            raise ValueError(f"{label}={value!r} must be a number >= 0")
    if isinstance(min_samples, bool) or not isinstance(min_samples, int) or min_samples < 2:
        raise ValueError(f"min_samples={min_samples!r} must be an integer >= 2")
    conf = _check_confidence(confidence)
    b, b_nan = _samples(baseline, "baseline")
    c, c_nan = _samples(canary, "canary")
    out = MetricJudgement(name=name, classification="Nodata", critical=bool(critical))
    out.n_baseline, out.n_canary = int(b.size), int(c.size)
    for side, arr, dropped in (("baseline", b, b_nan), ("canary", c, c_nan)):
        if arr.size < min_samples:
            out.detail = (
                f"{side} has {arr.size} sample(s) ({dropped} NaN dropped); need at least "
                f"{min_samples}"
            )
            return out
    out.baseline, out.canary = float(b.mean()), float(c.mean())
    bound = max(float(tolerance) * abs(out.baseline), float(floor))
    out.tolerance = bound
    if np.array_equal(np.sort(b), np.sort(c)) or np.unique(np.concatenate([b, c])).size == 1:
        out.classification, out.value, out.lower, out.upper = "Pass", 0.0, 0.0, 0.0
        if np.unique(np.concatenate([b, c])).size == 1:
            out.detail = f"identical samples (every value {b[0]:g})"
        else:
            out.detail = "identical samples"
        return out
    p, estimate, lower, upper = mann_whitney_shift(b, c, confidence=conf)
    out.p_value, out.value, out.lower, out.upper = p, estimate, lower, upper
    label = "Pass"
    if lower > bound and direction in ("increase", "either"):
        label = "High"
    elif upper < -bound and direction in ("decrease", "either"):
        label = "Low"
    out.classification = label
    if out.baseline != 0:
        ratio = f"{out.canary / out.baseline:.3g}"
    else:
        ratio = "1" if out.canary == 0 else "inf (baseline mean 0)"
    out.detail = (
        f"baseline mean {out.baseline:.4g}, canary mean {out.canary:.4g} (ratio {ratio}); "
        f"shift {estimate:.4g}, {conf:.0%} CI [{lower:.4g}, {upper:.4g}] vs allowed "
        f"+/-{bound:.4g}; Mann-Whitney p={p:.3g}; n={b.size}/{c.size}"
    )
    return out


def score_run(
    judgements: Sequence[MetricJudgement],
    *,
    pass_score: float = 95.0,
    marginal_score: float = 75.0,
) -> tuple[float, str]:
    """Kayenta's run score and its class: ``(score, "pass" | "marginal" | "fail" | "nodata")``.

    Score = Pass / (Pass + High + Low) x 100 over the judged metrics (Nodata left out); 0 when
    a critical metric is High or Low; NaN with class ``"nodata"`` when nothing was judged.
    A critical metric that is Nodata does not zero the score: :func:`lendlab.rollout.analyze`
    turns any Nodata into HOLD instead (never promote on missing data).

    Examples
    --------
    >>> ok = MetricJudgement("a", "Pass")
    >>> score_run([ok, ok, ok, MetricJudgement("b", "High")])
    (75.0, 'marginal')
    >>> score_run([ok, MetricJudgement("c", "High", critical=True)])
    (0.0, 'fail')
    >>> score_run([MetricJudgement("d", "Nodata")])
    (nan, 'nodata')
    """
    for j in judgements:
        if j.classification not in CLASSIFICATIONS:
            raise ValueError(
                f"{j.name}: classification {j.classification!r} is not one of "
                f"{list(CLASSIFICATIONS)}"
            )
    if not 0 <= marginal_score <= pass_score <= 100:
        raise ValueError(
            f"need 0 <= marginal_score ({marginal_score}) <= pass_score ({pass_score}) <= 100"
        )
    judged = [j for j in judgements if not j.nodata]
    if not judged:
        return math.nan, "nodata"
    if any(j.critical and not j.passed for j in judged):
        return 0.0, "fail"
    score = 100.0 * sum(j.passed for j in judged) / len(judged)
    if score >= pass_score:
        return score, "pass"
    return score, "marginal" if score >= marginal_score else "fail"
