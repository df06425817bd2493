"""Drift statistics for credit monitoring: fast, with documented binning, and an Evidently adapter.

* one column: :func:`psi` / :func:`csi`, :func:`ks`, :func:`wasserstein`,
  :func:`jensen_shannon`, :func:`chi_square` (``lendlab.drift.stats``);
* a whole frame: :func:`drift_table`, or :func:`prepare_reference` once and
  ``profile.compare(current)`` many times (``lendlab.drift.table``, ``lendlab.drift.profile``);
* over time and by segment: :func:`drift_over_time` (``lendlab.drift.over_time``);
* the HTML report: :func:`evidently_drift_report`, :func:`save_evidently_report`,
  :func:`evidently_drift_values` (``lendlab.drift.evidently_report``).

Binning, the epsilon for empty bins and NaN handling are described in
:mod:`lendlab.drift.binning` and :mod:`lendlab.drift.stats`.

Example
-------
>>> import numpy as np, pandas as pd
>>> from lendlab import drift
>>> rng = np.random.default_rng(7)
>>> ref, cur = rng.normal(640, 60, 20_000), rng.normal(655, 60, 20_000)
>>> round(drift.psi(ref, cur), 3)
0.061
"""

from lendlab.drift._checks import MAX_BINS
from lendlab.drift.binning import (
    CategoricalBins,
    NumericBins,
    equal_width_edges,
    fit_bins,
    quantile_edges,
)
from lendlab.drift.evidently_report import (
    evidently_drift_report,
    evidently_drift_values,
    save_evidently_report,
)
from lendlab.drift.over_time import MAX_WINDOWS, MIN_ROWS, drift_over_time
from lendlab.drift.profile import ReferenceProfile, prepare_reference
from lendlab.drift.stats import (
    EPSILON,
    DriftTestResult,
    chi_square,
    csi,
    jensen_shannon,
    ks,
    psi,
    psi_from_counts,
    wasserstein,
)
from lendlab.drift.table import METHODS, PSI_MODERATE, PSI_SIGNIFICANT, drift_table

__all__ = [
    "EPSILON",
    "MAX_BINS",
    "MAX_WINDOWS",
    "METHODS",
    "MIN_ROWS",
    "PSI_MODERATE",
    "PSI_SIGNIFICANT",
    "CategoricalBins",
    "DriftTestResult",
    "NumericBins",
    "ReferenceProfile",
    "chi_square",
    "csi",
    "drift_over_time",
    "drift_table",
    "equal_width_edges",
    "evidently_drift_report",
    "evidently_drift_values",
    "fit_bins",
    "jensen_shannon",
    "ks",
    "prepare_reference",
    "psi",
    "psi_from_counts",
    "quantile_edges",
    "save_evidently_report",
    "wasserstein",
]
