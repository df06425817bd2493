"""Adapter to Evidently 0.7 drift reports: the HTML a learner opens, built with explicit choices.

lendlab computes drift itself (fast, documented binning); Evidently draws the rich report.
This module builds that report without Evidently's guesses:

* a ``DataDefinition`` that lists numerical and categorical columns explicitly (Evidently's
  inference turns small-integer columns such as ``term_months`` into categories);
* one ``ValueDrift`` per column with an explicit method and threshold, plus a
  ``DriftedColumnsCount`` summary, instead of Evidently's size-dependent defaults;
* ``report.run(current, reference)``: **current first** (Evidently 0.7's order), returning
  a ``Snapshot`` that holds the results, ``save_html`` and ``dict``.

Method names: lendlab's (``psi``, ``jensen_shannon``, ``wasserstein``, ``ks``, ``chi_square``)
or Evidently's (``jensenshannon``, ``chisquare``, ``kl_div``, ``hellinger``, ...). Thresholds
default to lendlab's (PSI 0.25, see :mod:`lendlab.drift.table`), not Evidently's (PSI 0.1).
Evidently's ``psi`` matches ``lendlab.drift.psi(..., binning="equal_width")`` and its
``wasserstein`` matches ``lendlab.drift.wasserstein(..., normed=True)``.

Evidently is imported only when a report is built: importing it takes seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lendlab.drift._checks import (
    check_columns_arg,
    check_frame,
    drift_columns,
    reject_all_missing,
    require_columns,
    same_kind,
)
from lendlab.drift._compare import METHODS

if TYPE_CHECKING:  # pragma: no cover
    from evidently.core.report import Snapshot

__all__ = ["evidently_drift_report", "save_evidently_report", "evidently_drift_values"]

# lendlab method name -> Evidently stattest name
_TO_EVIDENTLY = {
    "psi": "psi",
    "csi": "psi",
    "jensen_shannon": "jensenshannon",
    "wasserstein": "wasserstein",
    "ks": "ks",
    "chi_square": "chisquare",
}
_FROM_EVIDENTLY = {"jensenshannon": "jensen_shannon", "chisquare": "chi_square"}


def _evidently_method(name: object, *, column: str) -> str:
    if not isinstance(name, str) or not name:
        raise ValueError(f"drift method for column {column!r} must be a name, got {name!r}")
    return _TO_EVIDENTLY.get(name, name)


def _default_threshold(evidently_name: str) -> float | None:
    lendlab_name = _FROM_EVIDENTLY.get(evidently_name, evidently_name)
    method = METHODS.get(lendlab_name)
    return None if method is None else method.threshold


def evidently_drift_report(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    columns: list[str] | None = None,
    numeric_method: str = "psi",
    categorical_method: str = "psi",
    method: Mapping[str, str] | None = None,
    thresholds: float | Mapping[str, float] | None = None,
) -> Snapshot:
    """Run an Evidently 0.7 drift report with explicit column types, methods and thresholds.

    Parameters
    ----------
    reference, current : pandas.DataFrame
        The two frames. Keep them to a sample (Evidently takes about a minute for a million
        rows; a few thousand rows take about a second).
    columns : list of str, optional
        Columns to report; default every non-datetime column of ``reference``.
    numeric_method, categorical_method : str, default "psi"
        Method for numeric and for categorical (bool, category, text) columns.
    method : dict of column -> str, optional
        Per-column override of the two defaults.
    thresholds : float or dict of column -> float, optional
        Drift thresholds; default lendlab's for lendlab methods (PSI 0.25, JS and normed
        Wasserstein 0.1, p-values 0.05), else Evidently's own default.

    Returns
    -------
    evidently.core.report.Snapshot
        Save it with :func:`save_evidently_report`, read numbers with
        :func:`evidently_drift_values`.

    Raises
    ------
    ValueError
        Missing columns, empty frames, an unknown column in ``method`` / ``thresholds``.
    TypeError
        A column numeric on one side and categorical on the other.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from lendlab.drift import evidently_drift_report, evidently_drift_values
    >>> rng = np.random.default_rng(0)
    >>> def applications(mean):
    ...     return pd.DataFrame({"fico": rng.normal(mean, 60, 2000),
    ...                          "term_months": rng.choice([36, 60], 2000)})
    >>> ref, cur = applications(640), applications(700)
    >>> snapshot = evidently_drift_report(ref, cur)
    >>> evidently_drift_values(snapshot)[["column", "method", "drifted"]]
            column method  drifted
    0         fico    psi     True
    1  term_months    psi    False
    """
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import DriftedColumnsCount, ValueDrift

    reference = check_frame(reference, side="reference")
    current = check_frame(current, side="current")
    names = check_columns_arg(columns)
    if names is None:
        names = drift_columns(reference)
    require_columns(reference, names, side="reference")
    require_columns(current, names, side="current")
    for option, what in ((method, "method"), (thresholds, "thresholds")):
        if isinstance(option, Mapping):
            unknown = [k for k in option if k not in names]
            if unknown:
                raise ValueError(
                    f"{what} names column(s) {unknown!r} that are not reported; "
                    f"reported columns are {names!r}"
                )

    kinds = {name: same_kind(reference[name], current[name], column=name) for name in names}
    reject_all_missing(reference, names, side="reference")
    reject_all_missing(current, names, side="current")
    per_method: dict[str, str] = {}
    per_threshold: dict[str, float] = {}
    for name in names:
        chosen = (method or {}).get(name) or (
            numeric_method if kinds[name] == "numeric" else categorical_method
        )
        per_method[name] = _evidently_method(chosen, column=name)
        if isinstance(thresholds, Mapping):
            threshold = thresholds.get(name)
        else:
            threshold = thresholds
        if threshold is None:
            threshold = _default_threshold(per_method[name])
        if threshold is not None:
            per_threshold[name] = float(threshold)

    definition = DataDefinition(
        numerical_columns=[n for n in names if kinds[n] == "numeric"],
        categorical_columns=[n for n in names if kinds[n] == "categorical"],
    )
    metrics: list[Any] = [
        DriftedColumnsCount(
            columns=list(names),
            per_column_method=per_method,
            per_column_threshold=per_threshold or None,
        )
    ]
    metrics += [
        ValueDrift(column=name, method=per_method[name], threshold=per_threshold.get(name))
        for name in names
    ]
    report = Report(metrics, include_tests=True)
    ref_data = Dataset.from_pandas(reference[names], data_definition=definition)
    cur_data = Dataset.from_pandas(current[names], data_definition=definition)
    return report.run(cur_data, ref_data)  # Evidently 0.7: current first, then reference


def save_evidently_report(snapshot: Snapshot, path: str | Path) -> Path:
    """Write a report snapshot as a self-contained HTML file (opens in any browser).

    Parameters
    ----------
    snapshot : evidently.core.report.Snapshot
        From :func:`evidently_drift_report` (or any ``Report.run``).
    path : str or pathlib.Path
        Target file; parent folders are created. A missing ``.html`` suffix is added.

    Returns
    -------
    pathlib.Path
        The written file.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> from lendlab.drift import evidently_drift_report, save_evidently_report
    >>> ref = pd.DataFrame({"dti": [float(i % 40) for i in range(300)]})
    >>> snapshot = evidently_drift_report(ref, ref)
    >>> out = save_evidently_report(snapshot, pathlib.Path(tempfile.mkdtemp()) / "drift")
    >>> out.suffix, out.stat().st_size > 10_000
    ('.html', True)
    """
    if not hasattr(snapshot, "save_html"):
        raise TypeError(
            f"snapshot must be an Evidently Snapshot (what Report.run returns), got "
            f"{type(snapshot).__name__!r}"
        )
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or pathlib.Path, got {type(path).__name__!r}")
    path = Path(path)
    if path.suffix.lower() != ".html":
        path = path.with_name(path.name + ".html")
    path.parent.mkdir(parents=True, exist_ok=True)
    snapshot.save_html(str(path))
    return path


def evidently_drift_values(snapshot: Snapshot) -> pd.DataFrame:
    """Per-column drift numbers from a report snapshot, as a DataFrame.

    Reads ``snapshot.dict()``: every ``ValueDrift`` metric gives a row; the drift test
    bound to it (reports built by :func:`evidently_drift_report` include tests) gives
    ``drifted``.

    Returns
    -------
    pandas.DataFrame
        ``column, method, threshold, statistic, drifted``. ``method`` is Evidently's name
        (e.g. ``jensenshannon``); ``statistic`` is the score Evidently reports (a p-value for
        ``ks`` and ``chisquare``). ``drifted`` is <NA> when the report had no tests.

    Examples
    --------
    >>> import pandas as pd
    >>> from lendlab.drift import evidently_drift_report, evidently_drift_values
    >>> ref = pd.DataFrame({"channel": ["web", "broker"] * 200})
    >>> cur = pd.DataFrame({"channel": ["web"] * 300 + ["broker"] * 100})
    >>> values = evidently_drift_values(evidently_drift_report(ref, cur))
    >>> values[["column", "method", "drifted"]]
        column method  drifted
    0  channel    psi     True
    """
    if not hasattr(snapshot, "dict"):
        raise TypeError(f"snapshot must be an Evidently Snapshot, got {type(snapshot).__name__!r}")
    content = snapshot.dict()
    status = {
        test.get("metric_config", {}).get("metric_id"): test.get("status")
        for test in content.get("tests", [])
        if test.get("id") == "drift"
    }
    rows = []
    for metric in content.get("metrics", []):
        config = metric.get("config", {})
        if config.get("type") != "evidently:metric_v2:ValueDrift":
            continue
        test_status = status.get(metric.get("id"))
        rows.append(
            {
                "column": config.get("column"),
                "method": config.get("method"),
                "threshold": config.get("threshold"),
                "statistic": float(metric.get("value")),
                "drifted": pd.NA if test_status is None else test_status == "FAIL",
            }
        )
    table = pd.DataFrame(rows, columns=["column", "method", "threshold", "statistic", "drifted"])
    table["threshold"] = table["threshold"].astype(np.float64)
    table["drifted"] = table["drifted"].astype("boolean")
    return table
