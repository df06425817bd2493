"""Bins for drift statistics: fixed once on the reference, then applied to any current sample.

Two conventions, because the industry uses both and they give different numbers:

* **Reference quantiles** (credit practice, the lendlab default). Cut points are the reference
  deciles (``bins=10``) computed like ``np.quantile`` (linear interpolation). Bins are closed on
  the right, ``(a, b]``, and the outer bins are open-ended, so a current value beyond anything
  seen in the reference still lands in a bin. Tied quantiles collapse to one cut point (a
  column with a few values gets fewer bins). When the lowest cut point equals the reference
  minimum (a mass of values at the bottom, e.g. zero inquiries or a constant column), one more
  bin catches current values *below* everything seen in reference.
* **Equal width over both samples** (Evidently's convention, see :func:`equal_width_edges`):
  used by ``psi(..., binning="equal_width")`` so lendlab and Evidently can be compared.

Categorical columns are binned by category: one bin per category seen in the reference; each
category that appears only in the current sample gets a bin of its own with zero reference
count (the statistics give it the epsilon mass described in :mod:`lendlab.drift.stats`).

Missing values (``nan_policy``): ``"raise"`` (default) refuses NaNs, ``"omit"`` ignores them and
``"bin"`` counts them in a bin of their own, so a rise in the missing rate is drift too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lendlab.drift._checks import (
    MAX_BINS,
    as_series,
    category_codes,
    check_bins,
    check_missing,
    check_nan_policy,
    column_kind,
    numeric_values,
    value_family,
)

__all__ = [
    "quantile_edges",
    "equal_width_edges",
    "NumericBins",
    "CategoricalBins",
    "fit_bins",
]

# Above this many cut points, one binary search per value beats one comparison pass per cut.
_MAX_COMPARISON_PASSES = 16


def _lerp(a: np.ndarray, b: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    # Same two-sided lerp as numpy's _lerp, so edges equal np.quantile bit for bit.
    diff = b - a
    return np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)


def _order_positions(n: int, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """0-based order statistics either side of each quantile, and the interpolation weight."""
    virtual = probs * (n - 1)
    lo = np.floor(virtual).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    return lo, hi, virtual - lo


def _quantiles_of_sorted(sorted_values: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """``np.quantile(x, probs)`` (method "linear") on an already sorted array, bit for bit.

    Sorting once (SIMD sort) and indexing is faster than ``np.quantile``'s partition.
    """
    lo, hi, gamma = _order_positions(sorted_values.size, probs)
    return _lerp(sorted_values[lo], sorted_values[hi], gamma)


def _with_below_min_cut(cuts: np.ndarray, minimum: float) -> np.ndarray:
    cuts = np.unique(cuts)
    if cuts[0] <= minimum:
        # A mass at the minimum: add a bin for values below anything seen in reference,
        # otherwise a drop below a constant reference would be invisible.
        cuts = np.concatenate(([np.nextafter(cuts[0], -np.inf)], cuts))
    return cuts


def _edges_from_sorted(sorted_values: np.ndarray, bins: int) -> np.ndarray:
    probs = np.arange(1, bins) / bins
    return _with_below_min_cut(_quantiles_of_sorted(sorted_values, probs), sorted_values[0])


def _integer_edges_and_counts(
    values: np.ndarray, bins: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Edges and bin counts of an integer column from a histogram of its values, no sort.

    Integer features (scores, counts, terms) take few distinct values: a ``bincount`` over
    the range gives every order statistic exactly. Returns None when the range is too wide.
    """
    low, high = int(values.min()), int(values.max())
    if high - low > max(4 * values.size, 1 << 16):
        return None
    per_value = np.bincount((values - low).astype(np.intp, copy=False), minlength=high - low + 1)
    at_or_below = np.cumsum(per_value)  # rows <= low + i
    probs = np.arange(1, bins) / bins
    lo, hi, gamma = _order_positions(values.size, probs)
    # the k-th smallest value is the first one whose cumulative count exceeds k
    value_lo = low + np.searchsorted(at_or_below, lo, side="right")
    value_hi = low + np.searchsorted(at_or_below, hi, side="right")
    edges = _with_below_min_cut(
        _lerp(value_lo.astype(np.float64), value_hi.astype(np.float64), gamma), float(low)
    )
    position = np.clip(np.floor(edges).astype(np.int64) - low, -1, high - low)
    cumulative = np.where(position >= 0, at_or_below[np.maximum(position, 0)], 0)
    counts = np.diff(np.concatenate(([0], cumulative, [values.size])))
    return edges, counts


def quantile_edges(reference: object, *, bins: int = 10) -> np.ndarray:
    """Cut points at the reference quantiles (deciles by default), ties collapsed.

    The bins are ``(-inf, c0], (c0, c1], ..., (c_last, inf)``: right-closed with open-ended
    outer bins. NaNs are ignored.

    Parameters
    ----------
    reference : array-like of numbers
        The reference sample.
    bins : int, default 10
        Number of quantile bins before ties collapse (10 = deciles).

    Returns
    -------
    numpy.ndarray
        Increasing cut points (at most ``bins - 1``, plus one when values pile up at the
        reference minimum).

    Examples
    --------
    >>> import numpy as np
    >>> from lendlab.drift import quantile_edges
    >>> quantile_edges(np.arange(1, 101), bins=4)
    array([25.75, 50.5 , 75.25])

    A two-valued column: deciles collapse to 36 and 60, and since 36 is the reference minimum
    a cut just below it adds a bin for smaller values (4 bins: < 36, = 36, (36, 60], > 60).

    >>> edges = quantile_edges([36] * 76 + [60] * 24)
    >>> edges.size, bool(edges[0] < 36), edges[1:].tolist()
    (3, True, [36.0, 60.0])
    """
    bins = check_bins(bins)
    series, name = as_series(reference, default_name="reference")
    if column_kind(series, column=name, side="reference") != "numeric":
        raise TypeError(
            f"quantile_edges needs numbers but {name!r} has dtype {str(series.dtype)!r}; "
            "categorical columns are binned by category (see fit_bins)"
        )
    values, _ = numeric_values(series, column=name, side="reference", nan_policy="omit")
    values = np.sort(values[~np.isnan(values)])
    return _edges_from_sorted(values, bins)


def equal_width_edges(reference: object, current: object, *, bins: int | str = "sturges"):
    """Equal-width bin edges over the combined range of both samples (Evidently's rule).

    Evidently 0.7 bins a numeric column with more than 20 distinct reference values by
    ``np.histogram_bin_edges(concat(reference, current), bins="sturges")``; this returns the
    same edges (NaNs dropped first, as Evidently does).

    Parameters
    ----------
    reference, current : array-like of numbers
    bins : int or str, default "sturges"
        Passed to :func:`numpy.histogram_bin_edges`.

    Returns
    -------
    numpy.ndarray
        ``n_bins + 1`` edges including both ends.

    Examples
    --------
    >>> from lendlab.drift import equal_width_edges
    >>> equal_width_edges([0.0, 1.0, 2.0], [3.0, 4.0], bins=4)
    array([0., 1., 2., 3., 4.])
    """
    if not isinstance(bins, str):
        bins = check_bins(bins)
    parts = []
    for side, values in (("reference", reference), ("current", current)):
        series, name = as_series(values, default_name=side)
        column_kind(series, column=name, side=side)  # refuses text numbers, datetimes
        array, _ = numeric_values(series, column=name, side=side, nan_policy="omit")
        parts.append(array[~np.isnan(array)])
    edges = np.histogram_bin_edges(np.concatenate(parts), bins=bins)
    if edges.size - 1 > MAX_BINS:
        raise ValueError(
            f"bins={bins!r} gives {edges.size - 1} bins, more than MAX_BINS = {MAX_BINS}; "
            "use 'sturges' (Evidently's rule) or an integer"
        )
    return edges


@dataclass(frozen=True, eq=False)
class NumericBins:
    """Reference bins of one numeric column.

    ``reference_counts`` has one entry per value bin followed by the reference NaN count.
    ``sorted_reference`` keeps the non-missing reference values for KS and Wasserstein.
    """

    column: str
    edges: np.ndarray
    reference_counts: np.ndarray
    nan_policy: str
    reference_values: np.ndarray = field(repr=False)
    kind: str = "numeric"

    @property
    def n_bins(self) -> int:
        """Number of value bins (the missing-value bin not included)."""
        return self.edges.size + 1

    @property
    def has_below_min_bin(self) -> bool:
        """True when the first bin only catches values below the reference minimum."""
        return self.edges.size > 1 and self.edges[0] == np.nextafter(self.edges[1], -np.inf)

    def labels(self) -> list[str]:
        """Human-readable interval of each value bin, e.g. ``'(612, 640]'``."""
        bounds = [-np.inf, *self.edges.tolist(), np.inf]
        labels = [f"({lo:.6g}, {hi:.6g}]" for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
        if self.has_below_min_bin:
            low, high = self.edges[1], bounds[2]
            labels[0] = f"< {low:.6g}"
            labels[1] = f"= {low:.6g}" if high == low else f"[{low:.6g}, {high:.6g}]"
        return labels

    def values_of(self, current: pd.Series, *, side: str = "current") -> np.ndarray:
        """Values of a current column after the kind and NaN checks.

        Float64 (NaNs kept for counting), or the column itself when it holds signed integers.
        """
        current, _ = as_series(current, default_name=side)
        kind = column_kind(current, column=self.column, side=side)
        if kind != "numeric":
            raise TypeError(
                f"column {self.column!r} is numeric in reference but {kind} in {side} "
                f"(dtype {str(current.dtype)!r}); cast it back to a number"
            )
        values, _ = numeric_values(
            current, column=self.column, side=side, nan_policy=self.nan_policy, keep_int=True
        )
        return values

    def _cuts_for(self, values: np.ndarray) -> np.ndarray:
        # For integers x <= c exactly when x <= floor(c): compare ints with ints, no casting.
        if values.dtype.kind == "i":
            return np.floor(self.edges).astype(np.int64)
        return self.edges

    def count(self, current: pd.Series, *, side: str = "current") -> tuple[np.ndarray, list]:
        """Counts per value bin, then the NaN count; and the (empty) list of unseen labels."""
        values = self.values_of(current, side=side)
        cuts = self._cuts_for(values)
        if values.dtype.kind == "f":
            nan_mask = np.isnan(values)
            n_nan = int(np.count_nonzero(nan_mask))
        else:
            nan_mask, n_nan = None, 0
        n_valid = values.size - n_nan
        if cuts.size <= _MAX_COMPARISON_PASSES:
            # One comparison pass per cut point: no sort, no per-value binary search.
            at_or_below = [np.count_nonzero(values <= cut) for cut in cuts]
            cumulative = np.array([0, *at_or_below, n_valid], dtype=np.int64)
            counts = np.diff(cumulative)
        else:
            valid = values if nan_mask is None else values[~nan_mask]
            idx = np.searchsorted(cuts, valid, side="left")
            counts = np.bincount(idx, minlength=self.n_bins).astype(np.int64)
        return np.append(counts, n_nan), []

    def assign(self, current: pd.Series, *, side: str = "current") -> tuple[np.ndarray, list]:
        """Bin number of every row (``n_bins`` for NaN), and the (empty) unseen labels."""
        values = self.values_of(current, side=side)
        cuts = self._cuts_for(values)
        if cuts.size < _MAX_COMPARISON_PASSES:
            # Number of cut points strictly below the value = bin of a right-closed interval.
            # Two reused buffers: no allocation per cut point.
            above = np.empty(values.shape, dtype=bool)
            idx = np.zeros(values.shape, dtype=np.uint8)
            for cut in cuts:
                np.greater(values, cut, out=above)
                idx += above.view(np.uint8)
        else:
            idx = np.searchsorted(cuts, values, side="left")
        if values.dtype.kind == "f":
            nan_mask = np.isnan(values)
            if nan_mask.any():
                idx = idx.astype(np.intp)
                idx[nan_mask] = self.n_bins
        return idx, []


@dataclass(frozen=True, eq=False)
class CategoricalBins:
    """Reference bins of one categorical column: one bin per category seen in reference.

    ``reference_counts`` has one entry per category in ``categories`` followed by the
    reference NaN count.
    """

    column: str
    categories: pd.Index
    reference_counts: np.ndarray
    nan_policy: str
    kind: str = "categorical"

    @property
    def n_bins(self) -> int:
        return len(self.categories)

    def labels(self) -> list[str]:
        return [str(c) for c in self.categories]

    def _per_category(self, current: pd.Series, side: str):
        current, _ = as_series(current, default_name=side)
        kind = column_kind(current, column=self.column, side=side)
        if kind != "categorical":
            raise TypeError(
                f"column {self.column!r} is categorical in reference but {kind} in {side} "
                f"(dtype {str(current.dtype)!r}); cast it with .astype('category') or compare "
                "numeric columns with numeric ones"
            )
        codes, cats = category_codes(current)
        fam_ref, fam_cur = value_family(self.categories), value_family(cats)
        if "any" not in (fam_ref, fam_cur) and fam_ref != fam_cur:
            raise TypeError(
                f"column {self.column!r} has {fam_ref} categories in reference "
                f"(e.g. {self.categories[0]!r}) but {fam_cur} categories in {side} "
                f"(e.g. {cats[0]!r}); cast both to the same type"
            )
        per_code = np.bincount(codes.astype(np.intp) + 1, minlength=len(cats) + 1)
        n_nan = int(per_code[0])
        check_missing(codes.size, n_nan, column=self.column, side=side, nan_policy=self.nan_policy)
        mapping = self.categories.get_indexer(cats)
        return codes, cats, per_code[1:], n_nan, mapping

    def count(self, current: pd.Series, *, side: str = "current") -> tuple[np.ndarray, list]:
        """Counts per reference category, the NaN count, then one count per unseen category."""
        _, cats, per_cat, n_nan, mapping = self._per_category(current, side)
        known = mapping >= 0
        counts = np.zeros(self.n_bins, dtype=np.int64)
        np.add.at(counts, mapping[known], per_cat[known])
        unseen = ~known & (per_cat > 0)
        return (
            np.concatenate((counts, [n_nan], per_cat[unseen])).astype(np.int64),
            list(cats[unseen]),
        )

    def assign(self, current: pd.Series, *, side: str = "current") -> tuple[np.ndarray, list]:
        """Bin number of every row: category bins, ``n_bins`` for NaN, then unseen categories."""
        codes, cats, per_cat, _, mapping = self._per_category(current, side)
        unseen = (mapping < 0) & (per_cat > 0)
        lookup = np.empty(len(cats) + 1, dtype=np.intp)
        lookup[0] = self.n_bins  # code -1 (missing) lands at index 0
        lookup[1:] = mapping
        lookup[1:][unseen] = self.n_bins + 1 + np.arange(np.count_nonzero(unseen))
        return lookup[codes.astype(np.intp) + 1], list(cats[unseen])


ColumnBins = NumericBins | CategoricalBins


def fit_bins(
    reference: object, *, column: str | None = None, bins: int = 10, nan_policy: str = "raise"
) -> ColumnBins:
    """Fix the bins of one reference column (quantile cut points or its categories).

    Parameters
    ----------
    reference : pandas.Series or array-like
        The reference sample of one column.
    column : str, optional
        Name used in messages; defaults to the Series name.
    bins : int, default 10
        Quantile bins for numeric columns (ignored for categorical ones).
    nan_policy : {"raise", "omit", "bin"}, default "raise"
        What to do with missing values, in reference and in every later current sample.

    Returns
    -------
    NumericBins or CategoricalBins

    Examples
    --------
    >>> import pandas as pd
    >>> from lendlab.drift import fit_bins
    >>> spec = fit_bins(pd.Series([1.0, 2.0, 3.0, 4.0], name="dti"), bins=2)
    >>> spec.labels()
    ['(-inf, 2.5]', '(2.5, inf]']
    >>> spec.count(pd.Series([0.5, 9.0, 9.5]))[0]   # value bins, then NaN count
    array([1, 2, 0])
    >>> fit_bins(pd.Series([36] * 76 + [60] * 24, name="term_months")).labels()
    ['< 36', '= 36', '(36, 60]', '(60, inf]']
    """
    bins = check_bins(bins)
    nan_policy = check_nan_policy(nan_policy)
    series, name = as_series(reference, default_name="reference")
    name = column or name
    kind = column_kind(series, column=name, side="reference")
    if kind == "numeric":
        values, n_nan = numeric_values(
            series, column=name, side="reference", nan_policy=nan_policy, keep_int=True
        )
        finite = values[~np.isnan(values)] if n_nan else values
        fitted = None
        if values.dtype.kind == "i":
            fitted = _integer_edges_and_counts(values, bins)
        if fitted is None:
            sorted_values = np.sort(finite)
            edges = _edges_from_sorted(sorted_values, bins)
            # Counts from the sorted sample: one binary search per cut point, not per value.
            cumulative = np.searchsorted(sorted_values, edges, side="right")
            counts = np.diff(np.concatenate(([0], cumulative, [sorted_values.size])))
        else:
            edges, counts = fitted
        return NumericBins(
            column=name,
            edges=edges,
            reference_counts=np.append(counts, n_nan).astype(np.int64),
            nan_policy=nan_policy,
            reference_values=finite,
        )
    codes, cats = category_codes(series)
    per_code = np.bincount(codes.astype(np.intp) + 1, minlength=len(cats) + 1)
    n_nan = int(per_code[0])
    check_missing(codes.size, n_nan, column=name, side="reference", nan_policy=nan_policy)
    seen = per_code[1:] > 0
    categories, counts = cats[seen], per_code[1:][seen]
    if not isinstance(series.dtype, pd.CategoricalDtype):
        # factorize orders by first appearance; sort so bins read the same for any row order
        try:
            order = np.argsort(np.asarray(categories), kind="stable")
            categories, counts = categories[order], counts[order]
        except TypeError:  # mixed, unorderable labels: keep first-appearance order
            pass
    return CategoricalBins(
        column=name,
        categories=categories,
        reference_counts=np.append(counts, n_nan).astype(np.int64),
        nan_policy=nan_policy,
    )
