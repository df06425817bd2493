"""Segment impact: who was affected, how many decisions, how approvals and AIR moved.

Three questions after triage, each answered from the decision log:

* **which window** - :func:`decision_window` keeps the decisions made in ``[start, end)`` of
  the *decision time* (``received_at``, when the service decided; ``applied_at`` for a log
  without it, e.g. :func:`lendlab.monitoring.decision_log`);
* **who and how much** - :func:`segment_impact` compares decisions, approval rate and the
  adverse impact ratio (AIR, weighted by the BISG-like ``protected_proxy``) between a baseline
  window and the incident window, overall and per segment, channel and proxy group
  (``protected`` when ``protected_proxy >= 0.5``, the service's metric label);
  :func:`impact_summary` gives the overall numbers as a dict;
* **whom to re-decide** - :func:`redecide_with_model` decides the logged inputs again the way
  the service does (knock-out rules, then the model's PD against the cutoff and review band),
  and :func:`redecision_list` keeps the applications whose decision would differ, with the
  remediation each needs.

Example
-------
>>> import pandas as pd
>>> base = pd.DataFrame({"decision": ["approve", "decline"] * 50, "segment": "prime",
...                      "protected_proxy": [0.1, 0.9] * 50})
>>> now = pd.DataFrame({"decision": ["decline"] * 100, "segment": "prime",
...                     "protected_proxy": [0.1, 0.9] * 50})
>>> impact_summary(base, now)["approval_delta"]
-0.5
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lendlab.monitoring.decision_record import DECISIONS
from lendlab.world.schema import passes_knockout

__all__ = [
    "IMPACT_DIMENSIONS",
    "PROXY_THRESHOLD",
    "REMEDIATION",
    "decision_window",
    "impact_summary",
    "redecide_with_model",
    "redecision_list",
    "segment_impact",
]

#: The slices :func:`segment_impact` reports by default.
IMPACT_DIMENSIONS: tuple[str, ...] = ("segment", "channel", "proxy_group")
#: ``protected_proxy`` at or above this puts an application in the ``protected`` proxy group.
PROXY_THRESHOLD: float = 0.5
#: What each kind of changed decision needs (old -> new).
REMEDIATION: dict[tuple[str, str], str] = {
    ("decline", "approve"): "re-offer: wrongly declined; contact the applicant with an offer",
    ("review", "approve"): "re-offer: held for review without cause; approve",
    ("decline", "review"): "re-review: route to an underwriter; new notice if still declined",
    ("approve", "decline"): "risk review: approved on bad inputs; keep the credit, flag the loan",
    ("approve", "review"): "risk review: approved on bad inputs; flag the loan",
    ("review", "decline"): "decide: finish the review with the corrected inputs; send a notice",
}


def _frame(log: Any, name: str) -> pd.DataFrame:
    if not isinstance(log, pd.DataFrame):
        raise TypeError(
            f"{name} must be a pandas DataFrame of decisions "
            f"(lendlab.serving.store.read_decisions), got {type(log).__name__}"
        )
    if "decision" not in log.columns:
        raise ValueError(
            f"{name} has no 'decision' column; pass rows of the decision log "
            "(lendlab.serving.store.read_decisions or lendlab.monitoring.decision_log)"
        )
    unknown = sorted(set(log["decision"].dropna().astype("str")) - set(DECISIONS))
    if unknown or log["decision"].isna().any():
        raise ValueError(
            f"{name}['decision'] has value(s) {unknown or ['<missing>']}; use {list(DECISIONS)}"
        )
    return log


def _timestamp(value: Any, name: str) -> pd.Timestamp:
    if isinstance(value, bool) or not isinstance(value, str | pd.Timestamp | np.datetime64):
        import datetime as dt

        if not isinstance(value, dt.date):
            raise TypeError(
                f"{name} must be a timestamp such as '2025-07-01T00:00:00Z', got {value!r}"
            )
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"{name}={value!r} is not a timestamp; write it like 2025-07-01T00:00:00Z"
        ) from exc
    if ts is pd.NaT:
        raise ValueError(f"{name} is NaT; pass a real timestamp")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def decision_window(
    log: pd.DataFrame, start: Any, end: Any, *, on: str | None = None
) -> pd.DataFrame:
    """The decisions whose decision time lies in ``[start, end)``.

    Parameters
    ----------
    log : pandas.DataFrame
        The decision log.
    start, end : str, datetime or Timestamp
        Window bounds; naive values are read as UTC.
    on : str, optional
        The time column; default ``received_at`` (the decision time the service logs) when
        present, else ``applied_at``.

    Returns
    -------
    pandas.DataFrame
        The rows in the window, in log order.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"decision": ["approve", "decline", "review"],
    ...     "received_at": pd.to_datetime(["2026-01-01 09:00", "2026-01-01 10:30",
    ...                                    "2026-01-01 11:00"], utc=True)})
    >>> decision_window(log, "2026-01-01T10:00Z", "2026-01-01T11:00Z")["decision"].tolist()
    ['decline']
    """
    log = _frame(log, "log")
    begin, finish = _timestamp(start, "start"), _timestamp(end, "end")
    if not begin < finish:
        raise ValueError(f"start {begin} must be before end {finish}; swap them")
    column = on if on is not None else ("received_at" if "received_at" in log else "applied_at")
    if not isinstance(column, str) or column not in log.columns:
        raise ValueError(
            f"log has no time column {column!r}; pass on= one of its datetime columns "
            f"({[c for c in log.columns if 'at' in str(c)]})"
        )
    when = log[column]
    if not pd.api.types.is_datetime64_any_dtype(when):
        raise TypeError(
            f"log[{column!r}] must hold datetimes, got dtype {when.dtype}; parse it with "
            "pd.to_datetime(..., utc=True) (read_decisions does)"
        )
    if when.dt.tz is None:
        when = when.dt.tz_localize("UTC")
    return log[((when >= begin) & (when < finish)).to_numpy()]


def _with_proxy_group(frame: pd.DataFrame) -> pd.DataFrame:
    if "protected_proxy" in frame.columns and "proxy_group" not in frame.columns:
        proxy = frame["protected_proxy"].to_numpy(dtype=float, na_value=np.nan)
        group = np.where(proxy >= PROXY_THRESHOLD, "protected", "reference")
        frame = frame.assign(proxy_group=np.where(np.isnan(proxy), "unknown", group))
    return frame


def _approval(frame: pd.DataFrame) -> float:
    return float((frame["decision"].astype("str") == "approve").mean()) if len(frame) else math.nan


def _air(frame: pd.DataFrame) -> float:
    from lendlab.metrics import adverse_impact_ratio

    if "protected_proxy" not in frame.columns or not len(frame):
        return math.nan
    weights = frame["protected_proxy"].to_numpy(dtype=float, na_value=np.nan)
    keep = ~np.isnan(weights)
    approved = (frame["decision"].astype("str") == "approve").to_numpy()[keep]
    try:
        return float(adverse_impact_ratio(approved, weights=weights[keep]))
    except ValueError:  # no approvals among the reference weight: undefined, reported as NaN
        return math.nan


def _r(value: float) -> float:
    return value if math.isnan(value) else round(value, 6)


def impact_summary(baseline: pd.DataFrame, incident: pd.DataFrame) -> dict[str, Any]:
    """Overall decisions, approval rates and AIR in the two windows.

    Returns
    -------
    dict
        ``baseline_decisions``, ``incident_decisions``, ``baseline_approval``,
        ``incident_approval``, ``approval_delta``, ``baseline_air``, ``incident_air``,
        ``air_delta`` (NaN where undefined: no proxy column, or no reference approvals),
        ``decision_counts`` (incident window, per decision). Rates are rounded to 6 places.

    Examples
    --------
    >>> import pandas as pd
    >>> base = pd.DataFrame({"decision": ["approve", "decline"]})
    >>> impact_summary(base, base)["approval_delta"]
    0.0
    """
    baseline, incident = _frame(baseline, "baseline"), _frame(incident, "incident")
    b, c = _approval(baseline), _approval(incident)
    ba, ca = _air(baseline), _air(incident)
    counts = incident["decision"].astype("str").value_counts()
    return {
        "baseline_decisions": len(baseline),
        "incident_decisions": len(incident),
        "baseline_approval": _r(b),
        "incident_approval": _r(c),
        "approval_delta": _r(c - b),
        "baseline_air": _r(ba),
        "incident_air": _r(ca),
        "air_delta": _r(ca - ba),
        "decision_counts": {d: int(counts.get(d, 0)) for d in DECISIONS},
    }


def segment_impact(
    baseline: pd.DataFrame,
    incident: pd.DataFrame,
    *,
    by: Sequence[str] = IMPACT_DIMENSIONS,
) -> pd.DataFrame:
    """Decisions and approval rate per slice, baseline vs incident, worst change first.

    Parameters
    ----------
    baseline, incident : pandas.DataFrame
        Decision-log rows of a healthy window and of the incident window.
    by : sequence of str, default :data:`IMPACT_DIMENSIONS`
        Columns to slice by; ``proxy_group`` is derived from ``protected_proxy``. A column
        absent from both windows is skipped; one present in only one window is an error.

    Returns
    -------
    pandas.DataFrame
        One row per (``dimension``, ``group``): ``baseline_decisions``,
        ``incident_decisions``, ``baseline_approval``, ``incident_approval``,
        ``approval_delta``, and ``incident_air`` / ``air_delta`` for the segment and channel
        slices (NaN for proxy groups: AIR compares them). Sorted by ``approval_delta``
        ascending (the largest fall first), then dimension and group.

    Examples
    --------
    >>> import pandas as pd
    >>> base = pd.DataFrame({"decision": ["approve", "decline"] * 2,
    ...                      "channel": ["web", "web", "partner_api", "partner_api"]})
    >>> now = base.assign(decision=["approve", "decline", "decline", "decline"])
    >>> segment_impact(base, now, by=["channel"])[["group", "approval_delta"]]
             group  approval_delta
    0  partner_api            -0.5
    1          web             0.0
    """
    baseline, incident = _frame(baseline, "baseline"), _frame(incident, "incident")
    if isinstance(by, str) or not isinstance(by, Sequence) or not by:
        raise TypeError(f"by must be a list of column names, e.g. ['segment'], got {by!r}")
    baseline, incident = _with_proxy_group(baseline), _with_proxy_group(incident)
    rows = []
    for dim in by:
        if not isinstance(dim, str):
            raise TypeError(f"by holds {dim!r}; pass column names (str)")
        present = (dim in baseline.columns, dim in incident.columns)
        if not any(present):
            continue
        if not all(present):
            raise ValueError(f"column {dim!r} is in only one of the windows; pass the same log")
        groups = sorted(
            set(baseline[dim].dropna().astype("str")) | set(incident[dim].dropna().astype("str"))
        )
        for group in groups:
            b = baseline[(baseline[dim].astype("str") == group).to_numpy()]
            c = incident[(incident[dim].astype("str") == group).to_numpy()]
            air_b, air_c = (math.nan, math.nan) if dim == "proxy_group" else (_air(b), _air(c))
            rows.append(
                {
                    "dimension": dim,
                    "group": group,
                    "baseline_decisions": len(b),
                    "incident_decisions": len(c),
                    "baseline_approval": _r(_approval(b)),
                    "incident_approval": _r(_approval(c)),
                    "approval_delta": _r(_approval(c) - _approval(b)),
                    "incident_air": _r(air_c),
                    "air_delta": _r(air_c - air_b),
                }
            )
    frame = pd.DataFrame(
        rows,
        columns=[
            "dimension",
            "group",
            "baseline_decisions",
            "incident_decisions",
            "baseline_approval",
            "incident_approval",
            "approval_delta",
            "incident_air",
            "air_delta",
        ],
    )
    frame = frame.sort_values(
        ["approval_delta", "dimension", "group"], na_position="last", kind="mergesort"
    )
    return frame.reset_index(drop=True)


def redecide_with_model(
    frame: pd.DataFrame, model: Any, *, cutoff: float = 0.20, review_margin: float = 0.02
) -> pd.Series:
    """Decide logged applications again, the way the service does, with another model.

    Knock-out rules first (:func:`lendlab.world.schema.passes_knockout`: a missing input fails
    its rule), then ``approve`` when ``pd < cutoff - review_margin``, ``review`` below
    ``cutoff + review_margin``, else ``decline`` (the defaults are the service's).

    Parameters
    ----------
    frame : pandas.DataFrame
        Applications with the model's input columns (the log's input snapshot, or inputs
        corrected by the fix).
    model : object with ``predict_pd(X)``
        The last good model (or the fixed one).
    cutoff, review_margin : float

    Returns
    -------
    pandas.Series of str
        The new decision per row, on ``frame``'s index.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> class Fixed:
    ...     def predict_pd(self, X):
    ...         return np.full(len(X), 0.05)
    >>> apps = pd.DataFrame({"fico": [700, 600], "dti": [20.0, 20.0], "inquiries_6m": [0, 0]})
    >>> redecide_with_model(apps, Fixed()).tolist()
    ['approve', 'decline']
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    if not callable(getattr(model, "predict_pd", None)):
        raise TypeError(
            f"model must have predict_pd(X) (lendlab.models.load_model), got {type(model).__name__}"
        )
    for name, value in (("cutoff", cutoff), ("review_margin", review_margin)):
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise TypeError(f"{name} must be a number, got {value!r}")
    if not 0 < cutoff - review_margin <= cutoff + review_margin < 1:
        raise ValueError(
            f"the review band [{cutoff - review_margin:g}, {cutoff + review_margin:g}) must lie "
            "inside (0, 1); pass a cutoff in (0, 1) and a smaller review_margin"
        )
    if frame.empty:
        return pd.Series([], index=frame.index, dtype="str")
    passes = passes_knockout(frame)
    p = np.asarray(model.predict_pd(frame), dtype=float)
    if p.shape != (len(frame),) or np.isnan(p).any():
        raise ValueError(
            "model.predict_pd returned NaN or the wrong shape; check the frame has the model's "
            "input columns"
        )
    decision = np.where(
        p < cutoff - review_margin,
        "approve",
        np.where(p < cutoff + review_margin, "review", "decline"),
    )
    decision = np.where(passes, decision, "decline")
    return pd.Series(decision, index=frame.index, dtype="str", name="new_decision")


_LIST_COLUMNS = (
    "application_id",
    "applied_at",
    "received_at",
    "segment",
    "channel",
    "model_version",
    "decision",
    "new_decision",
    "change",
    "remediation",
    "basis",
)


def redecision_list(
    incident: pd.DataFrame, new_decision: Any, *, basis: str = "last good model"
) -> pd.DataFrame:
    """The applications to re-decide: those whose decision differs under the fix.

    Parameters
    ----------
    incident : pandas.DataFrame
        The affected decisions (one row per application, ``application_id`` and
        ``decision``).
    new_decision : pandas.Series, array-like or callable
        The decision under the fix, one per row: a Series on ``incident``'s index (aligned by
        index), an array (by position), or ``callable(incident) -> decisions``, e.g.
        ``lambda f: redecide_with_model(f, last_good)``.
    basis : str, default "last good model"
        What the new decision is based on, written in every row.

    Returns
    -------
    pandas.DataFrame
        The rows whose decision changes: ``application_id``, ``applied_at``,
        ``received_at``, ``segment``, ``channel``, ``model_version`` (where the log has
        them), ``decision``, ``new_decision``, ``change`` (``"decline->approve"``),
        ``remediation`` (:data:`REMEDIATION`) and ``basis``; by application id.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"application_id": [1, 2, 3],
    ...                     "decision": ["decline", "approve", "decline"]})
    >>> redecision_list(log, ["approve", "approve", "decline"])[["application_id", "change"]]
       application_id            change
    0               1  decline->approve
    """
    incident = _frame(incident, "incident")
    if "application_id" not in incident.columns:
        raise ValueError("incident has no 'application_id' column; pass rows of the decision log")
    if not isinstance(basis, str) or not basis:
        raise TypeError(f"basis must be a non-empty description (str), got {basis!r}")
    if callable(new_decision):
        new_decision = new_decision(incident)
    if isinstance(new_decision, pd.Series):
        if not new_decision.index.equals(incident.index):
            raise ValueError(
                "new_decision's index differs from incident's; build it from incident (or pass "
                "new_decision.to_numpy() to align by position)"
            )
        new = new_decision.astype("str").to_numpy()
    else:
        try:
            new = np.asarray(new_decision, dtype=object).astype(str)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                "new_decision must be decisions ('approve'/'review'/'decline')"
            ) from exc
        if new.shape != (len(incident),):
            raise ValueError(
                f"new_decision has {new.size} value(s) for {len(incident)} decision(s); pass one "
                "per row of incident"
            )
    unknown = sorted(set(new) - set(DECISIONS))
    if unknown:
        raise ValueError(f"new_decision has value(s) {unknown}; use {list(DECISIONS)}")
    old = incident["decision"].astype("str").to_numpy()
    changed = old != new
    out = incident.loc[changed, [c for c in _LIST_COLUMNS if c in incident.columns]].copy()
    out["new_decision"] = new[changed]
    out["change"] = [f"{a}->{b}" for a, b in zip(old[changed], new[changed], strict=True)]
    out["remediation"] = [
        REMEDIATION[(a, b)] for a, b in zip(old[changed], new[changed], strict=True)
    ]
    out["basis"] = basis
    return out.sort_values("application_id", kind="mergesort").reset_index(drop=True)
