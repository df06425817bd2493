"""Drift rows from a reference profile: the methods, their thresholds and one row per column.

Shared by :func:`lendlab.drift.drift_table` and :meth:`lendlab.drift.ReferenceProfile.compare`.
It imports neither :mod:`lendlab.drift.table` nor :mod:`lendlab.drift.profile` (the profile is
used through its methods only), so the import graph of ``lendlab.drift`` has no cycle:
``_checks -> binning -> stats -> _compare -> profile -> table``.
The methods and thresholds are documented in :mod:`lendlab.drift.table`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.spatial import distance

from lendlab.drift._checks import (
    check_columns_arg,
    check_frame,
    check_threshold,
    require_columns,
)
from lendlab.drift._parallel import map_columns
from lendlab.drift.binning import NumericBins
from lendlab.drift.stats import (
    _ks_values,
    _spec_values,
    _wasserstein_values,
    aligned_counts,
    chi_square_from_counts,
    psi_from_counts,
)

if TYPE_CHECKING:  # pragma: no cover
    from lendlab.drift.profile import ReferenceProfile

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
        resolved[name] = (chosen, check_threshold(threshold, name=f"threshold for column {name!r}"))

    series = {name: current[name] for name in names}  # pandas access stays on this thread

    def row(name: str) -> dict:
        chosen, threshold = resolved[name]
        return _table_row(profile.column(name), series[name], chosen, threshold)

    rows = map_columns(row, names, len(current))
    table = pd.DataFrame(rows)
    if table["p_value"].isna().all():  # no method in this table has a p-value
        table = table.drop(columns="p_value")
    return table
