"""Drift statistics for one column: PSI/CSI, KS, Wasserstein, Jensen-Shannon, chi-square.

Conventions (the same in every function, in :func:`lendlab.drift.drift_table` and in
:func:`lendlab.drift.drift_over_time`):

* **PSI** = sum over bins of ``(A - E) * ln(A / E)``, with E the reference share and A the
  current share of a bin. Rule of thumb: < 0.10 little change, 0.10-0.25 moderate, >= 0.25
  significant. **CSI** is the same formula on one characteristic (a model input), so
  :func:`csi` is :func:`psi`.
* **Binning** (see :mod:`lendlab.drift.binning`): ``binning="quantile"`` (default) cuts numeric
  columns at the reference deciles, right-closed bins, open-ended outer bins, tied cut points
  collapsed. ``binning="equal_width"`` copies Evidently 0.7: ``np.histogram_bin_edges`` of
  both samples combined with the Sturges rule, and a numeric column with at most 20 distinct
  reference values is binned by value. Categorical columns are always binned by category.
* **Empty bins**: a bin with no rows in a sample gets the share ``EPSILON = 1e-4`` (shares are
  not renormalised), so PSI stays finite. With ``binning="equal_width"`` the floor follows
  Evidently exactly: 1e-4, or (smallest non-zero share) / 1e6 when that share is itself
  <= 1e-4. A category seen only in current therefore counts in a bin of its own with
  epsilon reference mass.
* **Missing values** (``nan_policy``): ``"raise"`` (default) raises ValueError naming the
  column; ``"omit"`` drops NaNs; ``"bin"`` counts them as a bin of their own (so a jump in
  the missing rate is drift). An all-NaN column is always an error, except a current sample
  under ``"bin"`` (100% missing is then a measurable, very large drift).
* **Edge cases**: an empty sample raises ValueError; a constant reference gets a bin below,
  at and above its value, so PSI is 0 when current has the same constant and large but finite
  when it moves; a numeric column compared with a categorical one raises TypeError.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps
from scipy.spatial import distance

from lendlab.drift._checks import (
    as_series,
    category_codes,
    check_bins,
    check_missing,
    check_nan_policy,
    numeric_values,
    same_kind,
)
from lendlab.drift.binning import ColumnBins, NumericBins, fit_bins

__all__ = [
    "EPSILON",
    "DriftTestResult",
    "psi",
    "csi",
    "ks",
    "wasserstein",
    "jensen_shannon",
    "chi_square",
    "psi_from_counts",
]

#: Share given to a bin that is empty in one sample (the value Evidently uses too).
EPSILON = 1e-4
BINNINGS = ("quantile", "equal_width")
# Evidently's floor for a normed Wasserstein distance when the reference std is ~0.
WASSERSTEIN_MIN_STD = 0.001


@dataclass(frozen=True)
class DriftTestResult:
    """A statistic and its p-value (small p-value: the samples differ)."""

    statistic: float
    pvalue: float


# ---------------------------------------------------------------------------------------------
# Histograms


def _pair(reference: object, current: object) -> tuple[pd.Series, pd.Series, str, str]:
    ref, ref_name = as_series(reference, default_name="reference")
    cur, _ = as_series(current, default_name="current")
    name = ref_name if ref_name != "reference" else (cur.name if isinstance(cur.name, str) else "")
    name = name or "values"
    kind = same_kind(ref, cur, column=name)
    return ref, cur, name, kind


def aligned_counts(spec: ColumnBins, current_counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reference and current counts on the same bins; the NaN bin kept only under "bin"."""
    k = spec.n_bins
    extra = current_counts.size - (k + 1)
    ref = np.concatenate((spec.reference_counts, np.zeros(extra, dtype=np.int64)))
    cur = current_counts
    if spec.nan_policy != "bin":
        keep = np.ones(ref.size, dtype=bool)
        keep[k] = False
        ref, cur = ref[keep], cur[keep]
    return ref, cur


def _evidently_counts(
    ref: pd.Series, cur: pd.Series, name: str, kind: str, bins: int | str, nan_policy: str
) -> tuple[np.ndarray, np.ndarray]:
    """Counts on Evidently's bins (equal width over both samples, or by value)."""
    if kind == "numeric":
        ref_v, ref_nan = numeric_values(ref, column=name, side="reference", nan_policy=nan_policy)
        cur_v, cur_nan = numeric_values(cur, column=name, side="current", nan_policy=nan_policy)
        ref_f, cur_f = ref_v[~np.isnan(ref_v)], cur_v[~np.isnan(cur_v)]
        if np.unique(ref_f).size > 20:
            edges = np.histogram_bin_edges(np.concatenate((ref_f, cur_f)), bins=bins)
            ref_c = np.histogram(ref_f, edges)[0]
            cur_c = np.histogram(cur_f, edges)[0]
        else:
            values = np.union1d(ref_f, cur_f)
            ref_c = np.bincount(np.searchsorted(values, ref_f), minlength=values.size)
            cur_c = np.bincount(np.searchsorted(values, cur_f), minlength=values.size)
    else:
        (ref_codes, ref_cats), (cur_codes, cur_cats) = category_codes(ref), category_codes(cur)
        ref_nan = int(np.count_nonzero(ref_codes < 0))
        cur_nan = int(np.count_nonzero(cur_codes < 0))
        check_missing(ref_codes.size, ref_nan, column=name, side="reference", nan_policy=nan_policy)
        check_missing(cur_codes.size, cur_nan, column=name, side="current", nan_policy=nan_policy)
        keys = ref_cats.append(cur_cats).unique()
        ref_map, cur_map = keys.get_indexer(ref_cats), keys.get_indexer(cur_cats)
        ref_c = np.bincount(ref_map[ref_codes[ref_codes >= 0]], minlength=len(keys))
        cur_c = np.bincount(cur_map[cur_codes[cur_codes >= 0]], minlength=len(keys))
    if nan_policy == "bin":
        ref_c, cur_c = np.append(ref_c, ref_nan), np.append(cur_c, cur_nan)
    return ref_c.astype(np.int64), cur_c.astype(np.int64)


def _histograms(
    reference: object,
    current: object,
    *,
    bins: int | str | None,
    binning: str,
    nan_policy: str,
) -> tuple[np.ndarray, np.ndarray, str]:
    """(reference counts, current counts, kind) on shared bins, per the binning convention."""
    nan_policy = check_nan_policy(nan_policy)
    if binning not in BINNINGS:
        raise ValueError(f"binning must be one of {list(BINNINGS)!r}, got {binning!r}")
    ref, cur, name, kind = _pair(reference, current)
    if binning == "equal_width":
        if bins is None:
            bins = "sturges"
        elif not isinstance(bins, str):
            bins = check_bins(bins)
        ref_c, cur_c = _evidently_counts(ref, cur, name, kind, bins, nan_policy)
        return ref_c, cur_c, kind
    if isinstance(bins, str):
        raise ValueError(
            f"bins={bins!r} (a numpy rule) only works with binning='equal_width'; "
            "quantile binning takes an integer such as bins=10"
        )
    spec = fit_bins(ref, column=name, bins=10 if bins is None else bins, nan_policy=nan_policy)
    counts, _ = spec.count(cur)
    ref_c, cur_c = aligned_counts(spec, counts)
    return ref_c, cur_c, kind


FLOORS = ("epsilon", "evidently")


def _floored_shares(counts: np.ndarray, floor: str) -> np.ndarray:
    """Shares per bin (last axis) with empty bins floored so the log stays finite.

    A row whose counts are all zero gives NaN shares (callers mask it).
    """
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts / total
    if floor == "evidently":
        # Evidently's floor, per distribution (row): 1e-4, or the smallest non-zero share / 1e6
        smallest = np.min(np.where(shares > 0, shares, np.inf), axis=-1, keepdims=True)
        eps = np.where(smallest <= EPSILON, smallest / 1e6, EPSILON)
        return np.where(shares == 0, eps, shares)
    return np.where(counts == 0, EPSILON, shares)


def _check_counts(counts: object, *, name: str) -> np.ndarray:
    """Bin counts as float64: numbers, finite, non-negative, at least one bin."""
    try:
        array = np.asarray(counts)
    except (TypeError, ValueError):  # ragged lists
        raise TypeError(
            f"{name} must be an array of bin counts, got {type(counts).__name__!r}"
        ) from None
    if array.dtype.kind not in "biuf" or array.dtype.kind == "b":
        raise TypeError(
            f"{name} must hold numbers (bin counts), got dtype {str(array.dtype)!r}; pass e.g. "
            "np.bincount(...) or np.histogram(...)[0]"
        )
    if array.ndim == 0 or array.shape[-1] == 0:
        raise ValueError(f"{name} must have at least one bin, got shape {array.shape!r}")
    array = array.astype(np.float64, copy=False)
    if not np.isfinite(array).all():
        raise ValueError(
            f"{name} has NaN or infinite counts; counts are numbers of rows per bin "
            "(compute them with np.bincount or np.histogram)"
        )
    if array.min() < 0:
        bad = np.argwhere(array < 0)[0].tolist()
        raise ValueError(
            f"{name} has negative counts (first at index {bad}); counts are numbers of rows "
            "per bin, so they are >= 0. Did you pass differences or log-counts?"
        )
    return array


def psi_from_counts(
    reference_counts: np.ndarray, current_counts: np.ndarray, *, floor: str = "epsilon"
) -> np.ndarray | float:
    """PSI from bin counts; vectorised over leading axes of ``current_counts``.

    Parameters
    ----------
    reference_counts : array of shape (n_bins,)
        Reference rows per bin: non-negative numbers, not all zero.
    current_counts : array of shape (..., n_bins)
        Current rows per bin, on the same bins, non-negative.
    floor : {"epsilon", "evidently"}, default "epsilon"
        How empty bins are floored (see the module notes).

    Returns
    -------
    float or numpy.ndarray
        PSI per row of ``current_counts``. A row of all zeros (a window with no rows) has no
        distribution and gives NaN: the only NaN this function returns (a 1-D all-zero
        ``current_counts`` is refused instead).

    Raises
    ------
    ValueError
        Negative, NaN or infinite counts; a reference of all zeros; bins that differ in
        number; an unknown ``floor``.
    TypeError
        Counts that are not numbers; ``floor`` not a string.

    Examples
    --------
    >>> from lendlab.drift import psi_from_counts
    >>> round(float(psi_from_counts([50, 50], [70, 30])), 4)
    0.1695
    >>> psi_from_counts([50, 50], [[70, 30], [0, 0]]).round(4)   # an empty row gives NaN
    array([0.1695,    nan])
    """
    if not isinstance(floor, str):
        raise TypeError(f"floor must be one of {list(FLOORS)!r}, got {floor!r}")
    if floor not in FLOORS:
        raise ValueError(
            f"floor must be one of {list(FLOORS)!r}, got {floor!r}; 'epsilon' (1e-4 for an "
            "empty bin) is lendlab's, 'evidently' copies Evidently 0.7"
        )
    reference = _check_counts(reference_counts, name="reference_counts")
    current = _check_counts(current_counts, name="current_counts")
    if reference.ndim != 1:
        raise ValueError(
            f"reference_counts must be 1-D (one count per bin), got shape {reference.shape!r}"
        )
    if current.shape[-1] != reference.size:
        raise ValueError(
            f"reference_counts has {reference.size} bins but current_counts has "
            f"{current.shape[-1]} (shape {current.shape!r}); count both samples on the same bins"
        )
    if reference.sum() == 0:
        raise ValueError("reference_counts are all zero; the reference needs at least one row")
    if current.ndim == 1 and current.sum() == 0:
        raise ValueError("current_counts are all zero; the current sample needs at least one row")
    expected = _floored_shares(reference, floor)
    actual = _floored_shares(current, floor)
    with np.errstate(invalid="ignore", divide="ignore"):  # all-zero rows: NaN, documented
        value = np.sum((actual - expected) * np.log(actual / expected), axis=-1)
    if current.ndim > 1:
        value = np.where(current.sum(axis=-1) > 0, value, np.nan)
    return float(value) if np.ndim(value) == 0 else value


# ---------------------------------------------------------------------------------------------
# Binned statistics


def psi(
    reference: object,
    current: object,
    *,
    bins: int | str | None = None,
    binning: str = "quantile",
    nan_policy: str = "raise",
) -> float:
    """Population Stability Index of one column: sum((A - E) * ln(A / E)) over bins.

    Parameters
    ----------
    reference, current : pandas.Series or array-like
        The two samples. Numbers are binned (see ``binning``); booleans, categoricals and
        strings are compared category by category.
    bins : int or str, optional
        Quantile bins on the reference; default 10 (deciles). With ``binning="equal_width"``,
        an integer or a numpy rule; default ``"sturges"`` (Evidently's).
    binning : {"quantile", "equal_width"}, default "quantile"
        ``"quantile"``: credit practice, cut points at reference quantiles.
        ``"equal_width"``: Evidently's convention, to compare with its ``"psi"`` method.
    nan_policy : {"raise", "omit", "bin"}, default "raise"
        NaNs raise ValueError, are dropped, or form a bin of their own.

    Returns
    -------
    float
        0 for identical distributions; < 0.1 little change, 0.1-0.25 moderate,
        >= 0.25 significant.

    Raises
    ------
    ValueError
        Empty or all-NaN sample, NaNs under ``nan_policy="raise"``, infinities, bad options.
    TypeError
        One sample numeric and the other categorical.

    Examples
    --------
    >>> import numpy as np
    >>> from lendlab.drift import psi
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.normal(640, 60, 10_000)
    >>> round(psi(ref, ref), 6)
    0.0
    >>> psi(ref, rng.normal(680, 60, 10_000)) > 0.25       # a 40-point score shift
    True
    """
    ref_c, cur_c, _ = _histograms(
        reference, current, bins=bins, binning=binning, nan_policy=nan_policy
    )
    floor = "evidently" if binning == "equal_width" else "epsilon"
    return float(psi_from_counts(ref_c, cur_c, floor=floor))


def csi(
    reference: object,
    current: object,
    *,
    bins: int | str | None = None,
    binning: str = "quantile",
    nan_policy: str = "raise",
) -> float:
    """Characteristic Stability Index: PSI computed on one model input (a characteristic).

    Identical to :func:`psi`; the separate name matches scorecard monitoring reports, where PSI
    is reported on the score and CSI on each characteristic. Categoricals are binned by
    category.

    Examples
    --------
    >>> import pandas as pd
    >>> from lendlab.drift import csi
    >>> ref = pd.Series(["rent"] * 40 + ["mortgage"] * 50 + ["own"] * 10, dtype="category")
    >>> cur = pd.Series(["rent"] * 60 + ["mortgage"] * 30 + ["own"] * 10, dtype="category")
    >>> round(csi(ref, cur), 4)
    0.1833
    """
    return psi(reference, current, bins=bins, binning=binning, nan_policy=nan_policy)


def jensen_shannon(
    reference: object,
    current: object,
    *,
    bins: int | str | None = None,
    binning: str = "quantile",
    base: float | None = None,
    nan_policy: str = "raise",
) -> float:
    """Jensen-Shannon distance between the binned distributions (0 = identical).

    Numbers are binned like :func:`psi` (reference deciles by default; ``binning=
    "equal_width"`` for Evidently's bins), categories bin by category. Empty bins are *not*
    floored: the distance is finite without it. The value is
    ``scipy.spatial.distance.jensenshannon`` of the two histograms, natural log by default
    (Evidently's choice), so it lies in [0, sqrt(ln 2)] ~ [0, 0.833].

    Examples
    --------
    >>> from lendlab.drift import jensen_shannon
    >>> jensen_shannon(["a", "a", "b"], ["a", "a", "b"])
    0.0
    >>> round(jensen_shannon(["a", "a", "b", "b"], ["a", "b", "b", "b"]), 4)
    0.1839
    """
    ref_c, cur_c, _ = _histograms(
        reference, current, bins=bins, binning=binning, nan_policy=nan_policy
    )
    return float(distance.jensenshannon(ref_c / ref_c.sum(), cur_c / cur_c.sum(), base=base))


def chi_square_from_counts(
    reference_counts: np.ndarray, current_counts: np.ndarray
) -> DriftTestResult:
    """Goodness of fit of current counts to the reference proportions (see chi_square)."""
    ref = np.asarray(reference_counts, dtype=np.float64)
    cur = np.asarray(current_counts, dtype=np.float64)
    used = (ref > 0) | (cur > 0)  # a bin empty on both sides carries no information
    ref, cur = ref[used], cur[used]
    shares = np.where(ref == 0, EPSILON, ref / ref.sum())
    expected = shares / shares.sum() * cur.sum()
    result = sps.chisquare(cur, expected)
    return DriftTestResult(float(result.statistic), float(result.pvalue))


def chi_square(reference: object, current: object, *, nan_policy: str = "raise") -> DriftTestResult:
    """Chi-square test that current category counts follow the reference proportions.

    This is the goodness-of-fit test Evidently's ``"chisquare"`` method runs:
    ``scipy.stats.chisquare(f_obs=current counts, f_exp=reference share * n_current)``, with
    k - 1 degrees of freedom for k categories. It treats the reference as the truth; the
    two-sample alternative ``scipy.stats.chi2_contingency`` also allows for noise in the
    reference and gives larger p-values. A category seen only in current gets the epsilon
    reference share (then shares are renormalised) instead of Evidently's division by zero.
    On large samples tiny, harmless shifts reach p < 0.05: that is why lendlab defaults to PSI.

    Returns
    -------
    DriftTestResult
        ``statistic`` and ``pvalue`` (drift when ``pvalue`` < 0.05 by convention).

    Examples
    --------
    >>> from lendlab.drift import chi_square
    >>> res = chi_square(["web"] * 50 + ["broker"] * 50, ["web"] * 70 + ["broker"] * 30)
    >>> round(res.statistic, 2), round(res.pvalue, 5)
    (16.0, 6e-05)
    """
    nan_policy = check_nan_policy(nan_policy)
    ref, cur, name, kind = _pair(reference, current)
    if kind != "categorical":
        raise TypeError(
            f"chi_square compares categories but column {name!r} is numeric; use psi or ks, "
            "or cast a few-valued column with .astype('category')"
        )
    spec = fit_bins(ref, column=name, nan_policy=nan_policy)
    counts, _ = spec.count(cur)
    return chi_square_from_counts(*aligned_counts(spec, counts))


# ---------------------------------------------------------------------------------------------
# Statistics on the raw values


def _numeric_pair(
    reference: object, current: object, *, nan_policy: str, what: str
) -> tuple[np.ndarray, np.ndarray]:
    nan_policy = check_nan_policy(nan_policy, allowed=("raise", "omit"))
    ref, cur, name, kind = _pair(reference, current)
    if kind != "numeric":
        raise TypeError(
            f"{what} needs numbers but column {name!r} is categorical; use psi, "
            "jensen_shannon or chi_square for categories"
        )
    ref_v, ref_nan = numeric_values(ref, column=name, side="reference", nan_policy=nan_policy)
    cur_v, cur_nan = numeric_values(cur, column=name, side="current", nan_policy=nan_policy)
    return (ref_v[~np.isnan(ref_v)] if ref_nan else ref_v), (
        cur_v[~np.isnan(cur_v)] if cur_nan else cur_v
    )


def ks(reference: object, current: object, *, nan_policy: str = "raise") -> DriftTestResult:
    """Two-sample Kolmogorov-Smirnov test (``scipy.stats.ks_2samp``, two-sided).

    The statistic is the largest gap between the two empirical CDFs (the KS a credit team
    quotes between goods and bads is the same quantity). ``nan_policy`` is "raise" or "omit".

    Examples
    --------
    >>> from lendlab.drift import ks
    >>> res = ks([1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 5.0, 6.0])
    >>> res.statistic, round(res.pvalue, 4)
    (0.5, 0.7714)
    """
    ref, cur = _numeric_pair(reference, current, nan_policy=nan_policy, what="ks")
    return _ks_values(ref, cur)


def _ks_values(ref: np.ndarray, cur: np.ndarray) -> DriftTestResult:
    result = sps.ks_2samp(ref, cur)
    return DriftTestResult(float(result.statistic), float(result.pvalue))


def wasserstein(
    reference: object, current: object, *, normed: bool = False, nan_policy: str = "raise"
) -> float:
    """First Wasserstein (earth mover's) distance between two numeric samples.

    ``normed=False`` is ``scipy.stats.wasserstein_distance`` in the column's units (e.g.
    "the score distribution moved by 12 points on average"). ``normed=True`` divides by the
    reference standard deviation as Evidently's ``"wasserstein"`` method does: population std
    (``np.std``, ddof=0) floored at 0.001, so a constant reference gives a large finite value
    instead of a division by zero. Evidently's default drift threshold is 0.1 std.

    Examples
    --------
    >>> from lendlab.drift import wasserstein
    >>> wasserstein([0.0, 1.0, 3.0], [5.0, 6.0, 8.0])
    5.0
    >>> round(wasserstein([0.0, 1.0, 3.0], [5.0, 6.0, 8.0], normed=True), 4)
    4.0089
    """
    ref, cur = _numeric_pair(reference, current, nan_policy=nan_policy, what="wasserstein")
    return _wasserstein_values(ref, cur, normed=normed)


def _wasserstein_values(ref: np.ndarray, cur: np.ndarray, *, normed: bool) -> float:
    value = float(sps.wasserstein_distance(ref, cur))
    if normed:
        value /= max(float(np.std(ref)), WASSERSTEIN_MIN_STD)
    return value


def _spec_values(spec: NumericBins, current: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Reference and current non-missing values of a numeric profile column."""
    cur = spec.values_of(current)
    return spec.reference_values, cur[~np.isnan(cur)]
