"""The reference profile: bins and reference counts computed once, reused for every comparison.

A monitoring job compares many current windows with one training-time reference. Sorting the
reference and finding its deciles is the expensive part, so :func:`prepare_reference` does it
once per column; :meth:`ReferenceProfile.compare` and :func:`lendlab.drift.drift_over_time`
then only count current rows into the fixed bins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lendlab.drift._checks import (
    as_series,
    check_bins,
    check_columns_arg,
    check_frame,
    check_nan_policy,
    drift_columns,
    require_columns,
)
from lendlab.drift._compare import table_from_profile
from lendlab.drift._parallel import map_columns
from lendlab.drift.binning import ColumnBins, fit_bins
from lendlab.drift.stats import EPSILON, aligned_counts

__all__ = ["ReferenceProfile", "prepare_reference"]


@dataclass(frozen=True, eq=False)
class ReferenceProfile:
    """Bins, reference counts and sorted reference values of each monitored column.

    Build it with :func:`prepare_reference`; compare any number of current samples with
    :meth:`compare` (a drift table) or :func:`lendlab.drift.drift_over_time`.

    Attributes
    ----------
    bins : dict of str to NumericBins or CategoricalBins
        Per-column bins, in column order.
    n_bins : int
        Quantile bins requested for numeric columns.
    nan_policy : str
        Missing-value policy applied to reference and to every current sample.
    n_rows : int
        Rows in the reference frame.
    """

    bins: Mapping[str, ColumnBins]
    n_bins: int
    nan_policy: str
    n_rows: int

    @property
    def columns(self) -> list[str]:
        """Monitored columns, in order."""
        return list(self.bins)

    def column(self, name: str) -> ColumnBins:
        """The bins of one column; ValueError naming the known columns if absent."""
        try:
            return self.bins[name]
        except KeyError:
            raise ValueError(
                f"column {name!r} is not in this reference profile; it has {self.columns!r}. "
                "Prepare the reference with that column in `columns`"
            ) from None

    def compare(
        self,
        current: pd.DataFrame,
        *,
        columns: list[str] | None = None,
        method: str | Mapping[str, str] | None = None,
        thresholds: float | Mapping[str, float] | None = None,
    ) -> pd.DataFrame:
        """Drift table of ``current`` against this reference (see :func:`drift_table`).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from lendlab.drift import prepare_reference
        >>> rng = np.random.default_rng(0)
        >>> ref = pd.DataFrame({"fico": rng.normal(640, 60, 5000)})
        >>> profile = prepare_reference(ref)
        >>> table = profile.compare(pd.DataFrame({"fico": rng.normal(690, 60, 5000)}))
        >>> table[["column", "method", "drifted"]]
          column method  drifted
        0   fico    psi     True
        """
        return table_from_profile(
            self, current, columns=columns, method=method, thresholds=thresholds
        )

    def bin_table(self, column: str, current: object | None = None) -> pd.DataFrame:
        """Per-bin shares of one column, and each bin's PSI contribution when given current.

        Shows *where* a distribution moved: the rows with the largest ``psi_contribution``.

        Parameters
        ----------
        column : str
        current : pandas.Series or DataFrame, optional
            The current sample of that column (or a frame holding it).

        Returns
        -------
        pandas.DataFrame
            ``bin, reference_count, reference_share`` and, with ``current``, ``current_count,
            current_share, psi_contribution`` (summing to the column's PSI). Shares are
            the floored shares PSI uses (empty bins at 1e-4).

        Examples
        --------
        >>> import pandas as pd
        >>> from lendlab.drift import prepare_reference
        >>> ref = pd.DataFrame({"term_months": [36] * 76 + [60] * 24})
        >>> profile = prepare_reference(ref)
        >>> cur = pd.DataFrame({"term_months": [36] * 50 + [60] * 50})
        >>> profile.bin_table("term_months", cur)[["bin", "reference_count", "current_count"]]
                 bin  reference_count  current_count
        0       < 36                0              0
        1       = 36               76             50
        2   (36, 60]               24             50
        3  (60, inf]                0              0
        """
        spec = self.column(column)
        labels = spec.labels()
        ref_counts = spec.reference_counts
        if current is None:
            cur_counts, unseen = None, []
        else:
            if isinstance(current, pd.DataFrame):
                require_columns(current, [column], side="current")
                series = current[column]
            else:
                series = current
            series, _ = as_series(series, default_name=column)
            cur_counts, unseen = spec.count(series)
        labels = labels + ["<missing>"] + [f"{u} (unseen)" for u in unseen]
        ref_full = np.concatenate((ref_counts, np.zeros(len(unseen), dtype=np.int64)))
        keep = np.ones(len(labels), dtype=bool)
        if self.nan_policy != "bin":
            keep[spec.n_bins] = False
        table = pd.DataFrame({"bin": np.array(labels, dtype=object)[keep]})
        ref_kept = ref_full[keep]
        table["reference_count"] = ref_kept
        table["reference_share"] = _shares(ref_kept)
        if cur_counts is not None:
            ref_a, cur_a = aligned_counts(spec, cur_counts)
            table["current_count"] = cur_a
            table["current_share"] = _shares(cur_a)
            e, a = table["reference_share"], table["current_share"]
            table["psi_contribution"] = (a - e) * np.log(a / e)
        return table


def _shares(counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.float64)
    return np.where(counts == 0, EPSILON, counts / counts.sum())


def prepare_reference(
    reference: pd.DataFrame,
    *,
    columns: list[str] | None = None,
    bins: int = 10,
    nan_policy: str = "raise",
) -> ReferenceProfile:
    """Fix the drift bins of every monitored column of a reference frame, once.

    Numeric columns are cut at the reference quantiles (deciles by default; right-closed bins,
    open-ended outer bins, tied cut points collapsed); categorical, boolean and text columns
    are binned by category. See :mod:`lendlab.drift.binning`.

    Parameters
    ----------
    reference : pandas.DataFrame
        The reference sample, e.g. the training window or the last validated month.
    columns : list of str, optional
        Columns to monitor. Default: every column except datetimes and timedeltas.
    bins : int, default 10
        Quantile bins for numeric columns.
    nan_policy : {"raise", "omit", "bin"}, default "raise"
        Missing values raise ValueError, are ignored, or counted as a bin of their own; the
        policy also applies to every current sample compared with this profile.

    Returns
    -------
    ReferenceProfile

    Raises
    ------
    ValueError
        Empty frame, a missing column, NaNs under "raise", an all-NaN column.
    TypeError
        A column with no drift statistic (e.g. a datetime named in ``columns``).

    Examples
    --------
    >>> import pandas as pd
    >>> from lendlab.drift import prepare_reference
    >>> ref = pd.DataFrame({"dti": [5.0, 12.5, 20.0, 31.0],
    ...                     "channel": ["web", "web", "broker", "web"]})
    >>> profile = prepare_reference(ref, bins=2)
    >>> profile.columns, profile.bins["channel"].labels()
    (['dti', 'channel'], ['broker', 'web'])
    """
    reference = check_frame(reference, side="reference")
    names = check_columns_arg(columns)
    if names is None:
        names = drift_columns(reference)
    require_columns(reference, names, side="reference")
    bins = check_bins(bins)
    nan_policy = check_nan_policy(nan_policy)

    series = {name: reference[name] for name in names}  # pandas access stays on this thread

    def fit(name: str) -> ColumnBins:
        return fit_bins(series[name], column=name, bins=bins, nan_policy=nan_policy)

    fitted = map_columns(fit, names, len(reference))
    return ReferenceProfile(
        bins=dict(zip(names, fitted, strict=True)),
        n_bins=bins,
        nan_policy=nan_policy,
        n_rows=len(reference),
    )
