"""One drift row per column: the table an on-call engineer reads first.

Default method: **PSI for every column**: numeric columns on reference deciles, categorical
columns on their categories, threshold 0.25 ("significant"), 0.10 marks "moderate". PSI was
chosen for categoricals too (rather than chi-square) because it is one scale for the whole
table and does not flag trivial differences on large samples, where a chi-square p-value
drops below 0.05 for shifts no lender would act on. Other methods per column:

=================  ==================  =================  ==========================
method             kinds               default threshold  drifted when
=================  ==================  =================  ==========================
``psi``            numeric, category   0.25               statistic >= threshold
``jensen_shannon`` numeric, category   0.1                statistic >= threshold
``wasserstein``    numeric             0.1 (normed)       statistic >= threshold
``ks``             numeric             0.05               p_value < threshold
``chi_square``     category            0.05               p_value < threshold
=================  ==================  =================  ==========================

``wasserstein`` in the table is the normed distance (in reference standard deviations), as
in Evidently. Evidently's spellings ``jensenshannon`` and ``chisquare`` are accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import distance

from lendlab.drift._checks import check_columns_arg, check_frame, drift_columns, require_columns
from lendlab.drift.binning import NumericBins
from lendlab.drift.profile import ReferenceProfile, map_columns, prepare_reference
from lendlab.drift.stats import (
    _ks_values,
    _spec_values,
    _wasserstein_values,
    aligned_counts,
    chi_square_from_counts,
    psi_from_counts,
)

__all__ = ["drift_table", "METHODS", "PSI_MODERATE", "PSI_SIGNIFICANT"]

PSI_MODERATE = 0.10
PSI_SIGNIFICANT = 0.25


@dataclass(frozen=True)
class Method:
    name: str
    kinds: tuple[str, ...]
    threshold: float
    has_pvalue: bool


METHODS: dict[str, Method] = {
    "psi": Method("psi", ("numeric", "categorical"), PSI_SIGNIFICANT, False),
    "jensen_shannon": Method("jensen_shannon", ("numeric", "categorical"), 0.1, False),
    "wasserstein": Method("wasserstein", ("numeric",), 0.1, False),
    "ks": Method("ks", ("numeric",), 0.05, True),
    "chi_square": Method("chi_square", ("categorical",), 0.05, True),
}
_ALIASES = {"jensenshannon": "jensen_shannon", "chisquare": "chi_square", "csi": "psi"}


def resolve_method(name: object, *, column: str) -> Method:
    key = _ALIASES.get(name, name) if isinstance(name, str) else name
    if key not in METHODS:
        raise ValueError(
            f"unknown drift method {name!r} for column {column!r}; "
            f"choose one of {sorted(METHODS)!r}"
        )
    return METHODS[key]


def _per_column(option: object, column: str):
    if isinstance(option, Mapping):
        return option.get(column)
    return option


def _check_mapping_keys(option: object, columns: list[str], *, what: str) -> None:
    if isinstance(option, Mapping):
        unknown = [k for k in option if k not in columns]
        if unknown:
            raise ValueError(
                f"{what} names column(s) {unknown!r} that are not compared; "
                f"compared columns are {columns!r}"
            )


def _severity(statistic: float, threshold: float, drifted: bool, method: Method) -> str:
    if drifted:
        return "significant"
    if method.name == "psi" and statistic >= PSI_MODERATE:
        return "moderate"
    return "stable"


def _table_row(spec, series: pd.Series, chosen: Method, threshold: float) -> dict:
    name = spec.column
    pvalue = np.nan
    if chosen.name in ("ks", "wasserstein"):
        assert isinstance(spec, NumericBins)
        ref_v, cur_v = _spec_values(spec, series)
        if cur_v.size == 0:
            raise ValueError(f"column {name!r} in current has no non-missing values")
        if chosen.name == "ks":
            res = _ks_values(ref_v, cur_v)
            statistic, pvalue = res.statistic, res.pvalue
        else:
            statistic = _wasserstein_values(ref_v, cur_v, normed=True)
    else:
        counts, _ = spec.count(series)
        ref_c, cur_c = aligned_counts(spec, counts)
        if cur_c.sum() == 0:
            raise ValueError(f"column {name!r} in current has no non-missing values")
        if chosen.name == "psi":
            statistic = float(psi_from_counts(ref_c, cur_c))
        elif chosen.name == "jensen_shannon":
            statistic = float(distance.jensenshannon(ref_c / ref_c.sum(), cur_c / cur_c.sum()))
        else:
            res = chi_square_from_counts(ref_c, cur_c)
            statistic, pvalue = res.statistic, res.pvalue
    drifted = bool(pvalue < threshold) if chosen.has_pvalue else bool(statistic >= threshold)
    return {
        "column": name,
        "kind": spec.kind,
        "method": chosen.name,
        "statistic": float(statistic),
        "p_value": float(pvalue),
        "threshold": threshold,
        "drifted": drifted,
        "severity": _severity(statistic, threshold, drifted, chosen),
    }


def table_from_profile(
    profile: ReferenceProfile,
    current: pd.DataFrame,
    *,
    columns: list[str] | None = None,
    method: str | Mapping[str, str] | None = None,
    thresholds: float | Mapping[str, float] | None = None,
) -> pd.DataFrame:
    current = check_frame(current, side="current")
    names = check_columns_arg(columns) or profile.columns
    for name in names:
        profile.column(name)  # ValueError if the profile does not know it
    require_columns(current, names, side="current")
    _check_mapping_keys(method, names, what="method")
    _check_mapping_keys(thresholds, names, what="thresholds")

    resolved = {}
    for name in names:  # resolve and check every option before computing anything
        spec = profile.column(name)
        chosen = resolve_method(_per_column(method, name) or "psi", column=name)
        if spec.kind not in chosen.kinds:
            raise TypeError(
                f"method {chosen.name!r} does not apply to {spec.kind} column {name!r}; "
                f"it works on {list(chosen.kinds)!r} columns. Pass method as a dict per column"
            )
        threshold = _per_column(thresholds, name)
        if threshold is None:
            threshold = chosen.threshold
        elif (
            isinstance(threshold, bool)
            or not isinstance(threshold, (int, float))
            or not (threshold >= 0)
        ):
            raise ValueError(
                f"threshold for column {name!r} must be a non-negative number, got {threshold!r}"
            )
        resolved[name] = (chosen, float(threshold))

    series = {name: current[name] for name in names}  # pandas access stays on this thread

    def row(name: str) -> dict:
        chosen, threshold = resolved[name]
        return _table_row(profile.column(name), series[name], chosen, threshold)

    rows = map_columns(row, names, len(current))
    table = pd.DataFrame(rows)
    if table["p_value"].isna().all():  # no method in this table has a p-value
        table = table.drop(columns="p_value")
    return table


def drift_table(
    reference: pd.DataFrame | ReferenceProfile,
    current: pd.DataFrame,
    *,
    columns: list[str] | None = None,
    method: str | Mapping[str, str] | None = None,
    thresholds: float | Mapping[str, float] | None = None,
    bins: int = 10,
    nan_policy: str = "raise",
) -> pd.DataFrame:
    """Drift of every column between a reference frame and a current frame, one row each.

    Parameters
    ----------
    reference : pandas.DataFrame or ReferenceProfile
        The reference frame, or a profile from :func:`prepare_reference` (reused bins: the
        fast path when the same reference is compared many times).
    current : pandas.DataFrame
        The frame to check, e.g. yesterday's applications.
    columns : list of str, optional
        Columns to compare. Default: all profile columns, or every non-datetime column of
        ``reference``. Each must exist in both frames.
    method : str or dict of column -> str, optional
        ``"psi"`` (default), ``"jensen_shannon"``, ``"wasserstein"``, ``"ks"``,
        ``"chi_square"``; a string applies to every column, a dict to the columns it names
        (others use PSI). See the module notes for which kinds each method accepts.
    thresholds : float or dict of column -> float, optional
        Override the method's default threshold (PSI 0.25; p-value methods 0.05).
    bins : int, default 10
        Reference quantile bins for numeric columns (ignored when given a profile).
    nan_policy : {"raise", "omit", "bin"}, default "raise"
        Missing values (ignored when given a profile; the profile's policy applies).

    Returns
    -------
    pandas.DataFrame
        ``column, kind, method, statistic, [p_value,] threshold, drifted, severity``.
        ``p_value`` is present when a method has one (NaN on the rows whose method has
        none). ``severity`` is "significant" when drifted, "moderate" for a PSI in
        [0.10, threshold), else "stable".

    Raises
    ------
    ValueError
        A column missing from either frame, an empty frame, NaNs under "raise", bad options.
    TypeError
        A method that does not fit the column kind, or a column whose kind differs between
        the frames.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from lendlab.drift import drift_table
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame({"fico": rng.normal(640, 60, 5000),
    ...                     "channel": pd.Categorical(rng.choice(["web", "broker"], 5000))})
    >>> cur = pd.DataFrame({"fico": rng.normal(700, 60, 5000),
    ...                     "channel": pd.Categorical(rng.choice(["web", "broker"], 5000))})
    >>> drift_table(ref, cur)[["column", "kind", "drifted", "severity"]]
        column         kind  drifted     severity
    0     fico      numeric     True  significant
    1  channel  categorical    False       stable
    """
    if isinstance(reference, ReferenceProfile):
        profile = reference
    else:
        reference = check_frame(reference, side="reference")
        check_frame(current, side="current")
        names = check_columns_arg(columns)
        if names is None:
            names = drift_columns(reference)
        require_columns(reference, names, side="reference")
        require_columns(current, names, side="current")
        profile = prepare_reference(reference, columns=names, bins=bins, nan_policy=nan_policy)
    return table_from_profile(
        profile, current, columns=columns, method=method, thresholds=thresholds
    )
