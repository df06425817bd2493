"""The freeze-or-degrade decision tree, as code, with the consequences of every option.

Four things a lender can do while a credit-decision incident is open (:data:`ACTIONS`):

* ``continue`` - keep deciding as now and keep watching;
* ``rollback`` - serve the last good model again (undoes a bad release, not bad inputs);
* ``fallback`` - degrade to the rules-based policy (the knock-out rules decide alone);
* ``freeze`` - stop automatic approvals and route every application to manual review.

:func:`decide_response` walks the tree in a fixed order; every threshold is a named default:

1. **No harm measured -> continue.** Harm is an approval-rate change of at least
   ``approval_tolerance`` (2 points), an AIR that fell by ``air_drop`` (0.05) or more or below
   ``air_floor`` (0.80, the four-fifths screen), or an infrastructure symptom.
2. **Our change, and a last good model -> rollback.** Triage said ``model`` or ``threshold``:
   the release (a model or its cutoff) is the cause, so undo it.
3. **Inputs or world suspect, and review can keep up -> freeze.** Under a freeze every
   arrival joins the manual-review queue; the queue grows by ``arrivals - capacity`` per hour
   (never below zero) for the ``hours`` the fix is expected to take. The freeze is feasible when
   the longest wait (peak backlog / capacity, first in first out) stays within
   ``max_review_wait_hours`` (72 h, three days) and, a fortiori, the 30-day Reg B clock.
4. **Otherwise -> fallback**, the rules-based policy: it never queues, but it decides on the
   same inputs (a fault in ``fico``, ``dti`` or ``inquiries_6m`` reaches the rules too: the
   reasons say so).

The **Reg B clock** (12 CFR 1002.9(a)(1)): a creditor notifies an applicant of action taken
within 30 days after receiving a completed application. :func:`notice_clock` gives, for the
affected applications, the deadline of each and how many notices fall due on which date;
:func:`retain_until` gives the end of the 25-month retention after a notice (12 CFR
1002.12(b)(1)).

Example
-------
>>> plan = decide_response("data", {"approval_delta": -0.15, "incident_air": 0.7,
...                                 "air_delta": -0.1}, infrastructure=False,
...                        last_good_model=True, review_capacity_per_hour=40,
...                        arrivals_per_hour=200)
>>> plan.action
'fallback'
>>> float(plan.options.loc["freeze", "queue_growth_per_hour"])
160.0
>>> float(plan.options.loc["freeze", "max_wait_hours"])  # the last arrival of 24 h waits 4 days
96.0
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lendlab.response.triage import TRIAGE_CLASSES

__all__ = [
    "ACTIONS",
    "NOTICE_DAYS",
    "RETENTION_MONTHS",
    "ResponsePlan",
    "decide_response",
    "notice_clock",
    "retain_until",
]

#: The options, in the order the tree considers them after "no harm".
ACTIONS: tuple[str, ...] = ("continue", "rollback", "fallback", "freeze")
#: Reg B 12 CFR 1002.9(a)(1): notice within 30 days of a completed application.
NOTICE_DAYS: int = 30
#: Reg B 12 CFR 1002.12(b)(1): keep records 25 months after the notice (consumer credit).
RETENTION_MONTHS: int = 25

_RULE_INPUTS = ("fico", "dti", "inquiries_6m")


def _utc(value: Any, name: str) -> pd.Timestamp:
    if isinstance(value, bool) or not isinstance(value, str | dt.date | np.datetime64):
        raise TypeError(f"{name} must be a timestamp such as '2026-01-05T10:00Z', got {value!r}")
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}={value!r} is not a timestamp; write it like 2026-01-05") from exc
    if ts is pd.NaT:
        raise ValueError(f"{name} is NaT; pass a real timestamp")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def retain_until(notice_date: Any, *, months: int = RETENTION_MONTHS) -> dt.date:
    """The last day to keep an application's records: ``months`` after the notice.

    Parameters
    ----------
    notice_date : str, date or Timestamp
        When the notice was (or will at the latest be) sent.
    months : int, default :data:`RETENTION_MONTHS` (25; 12 for business credit)

    Examples
    --------
    >>> retain_until("2026-01-31")
    datetime.date(2028, 2, 29)
    """
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise ValueError(f"months must be a positive whole number (25 under Reg B), got {months!r}")
    return (_utc(notice_date, "notice_date") + pd.DateOffset(months=months)).date()


def notice_clock(completed_at: Any, *, now: Any = None, days: int = NOTICE_DAYS) -> pd.DataFrame:
    """Notices due per date: the 30-day clock from each completed application.

    Parameters
    ----------
    completed_at : sequence of timestamps or pandas.Series
        When each affected application was received complete (the log's ``received_at``,
        the time the service got it).
    now : timestamp, optional
        To report ``days_left``; default the current time.
    days : int, default :data:`NOTICE_DAYS`

    Returns
    -------
    pandas.DataFrame
        One row per deadline date (UTC), earliest first: ``deadline``, ``notices_due``,
        ``cumulative`` and ``days_left`` (whole days from ``now``; negative = overdue).

    Examples
    --------
    >>> clock = notice_clock(["2026-01-01T10:00Z", "2026-01-01T18:00Z", "2026-01-03T09:00Z"],
    ...                      now="2026-01-05")
    >>> clock
         deadline  notices_due  cumulative  days_left
    0  2026-01-31            2           2         26
    1  2026-02-02            1           3         28
    """
    if isinstance(completed_at, str) or not isinstance(
        completed_at, Sequence | pd.Series | np.ndarray
    ):
        raise TypeError(
            "completed_at must be a list or Series of timestamps (the affected decisions' "
            f"received_at), got {type(completed_at).__name__}"
        )
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"days must be a positive whole number (30 under Reg B), got {days!r}")
    when = pd.to_datetime(pd.Series(list(completed_at), dtype=object), utc=True, errors="coerce")
    if when.isna().any():
        bad = [completed_at[i] for i in np.flatnonzero(when.isna().to_numpy())[:3]]
        raise ValueError(f"completed_at holds value(s) that are not timestamps: {bad}")
    clock_now = pd.Timestamp.now(tz="UTC") if now is None else _utc(now, "now")
    deadlines = (when + pd.Timedelta(days=days)).dt.date
    counts = deadlines.value_counts().sort_index()
    frame = pd.DataFrame(
        {
            "deadline": list(counts.index),
            "notices_due": counts.to_numpy(dtype="int64"),
        }
    )
    frame["cumulative"] = frame["notices_due"].cumsum()
    frame["days_left"] = [(d - clock_now.date()).days for d in frame["deadline"]]
    return frame


@dataclass(frozen=True)
class ResponsePlan:
    """What :func:`decide_response` chose, why, and what every option would cost.

    Attributes
    ----------
    action : str
        One of :data:`ACTIONS`.
    reasons : tuple of str
        The steps of the tree that led there.
    options : pandas.DataFrame
        Indexed by action: ``available``, ``decides``, ``review_inflow_per_hour``,
        ``queue_growth_per_hour``, ``backlog_at_horizon``, ``max_wait_hours``,
        ``within_wait_limit``, ``within_notice_clock``, ``consequence``.
    queue : pandas.DataFrame
        Manual-review backlog per hour (0..hours) under each action, one column per action.
    notices : pandas.DataFrame
        :func:`notice_clock` of the affected applications (empty without them).
    oldest_deadline : datetime.date or None
        The notice deadline of the oldest affected application.
    """

    action: str
    reasons: tuple[str, ...]
    options: pd.DataFrame = field(repr=False)
    queue: pd.DataFrame = field(repr=False)
    notices: pd.DataFrame = field(repr=False)
    oldest_deadline: dt.date | None = None


def _number(value: Any, name: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if math.isnan(value) or math.isinf(value) or value < 0 or (positive and value == 0):
        need = "a positive" if positive else "a non-negative"
        raise ValueError(f"{name} must be {need} finite number, got {value!r}")
    return value


def _impact_value(impact: Mapping[str, Any], key: str) -> float:
    value = impact.get(key, math.nan)
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"impact[{key!r}] must be a number (or NaN), got {value!r}")
    return float(value)


def _backlog(inflow: float, capacity: float, hours: int, start: float) -> np.ndarray:
    out = np.empty(hours + 1)
    out[0] = start
    for h in range(1, hours + 1):
        out[h] = max(0.0, out[h - 1] + inflow - capacity)
    return out


def decide_response(
    triage: Any,
    impact: Mapping[str, Any],
    *,
    last_good_model: bool,
    review_capacity_per_hour: float,
    arrivals_per_hour: float,
    infrastructure: bool | None = None,
    hours: int = 24,
    backlog: float = 0.0,
    baseline_review_rate: float = 0.10,
    incident_review_rate: float | None = None,
    completed_at: Any = None,
    now: Any = None,
    broken_inputs: Sequence[str] = (),
    approval_tolerance: float = 0.02,
    air_floor: float = 0.80,
    air_drop: float = 0.05,
    max_review_wait_hours: float = 72.0,
) -> ResponsePlan:
    """Choose continue / rollback / fallback / freeze and show what each would cost.

    Parameters
    ----------
    triage : TriageResult, str or None
        :func:`lendlab.response.triage_signals` output, or a heading of
        :data:`~lendlab.response.TRIAGE_CLASSES` (None: nothing found).
    impact : dict
        :func:`lendlab.response.impact_summary` output (``approval_delta``,
        ``incident_air``, ``air_delta``; NaN or absent = not measured).
    last_good_model : bool
        A previously signed-off model can be served again.
    review_capacity_per_hour, arrivals_per_hour : float
        Manual-review throughput (applications/hour) and incoming applications/hour.
    infrastructure : bool, optional
        Errors, latency or fallback up; default taken from ``triage`` (False for a str).
    hours : int, default 24
        Horizon: how long the fix is expected to take.
    backlog : float, default 0
        Applications already waiting for review.
    baseline_review_rate : float, default 0.10
        Share of arrivals sent to review by the healthy model (rollback's queue inflow).
    incident_review_rate : float, optional
        Share sent to review now (continue's inflow); default ``impact``'s decision counts.
    completed_at : sequence of timestamps, optional
        When each affected application was received complete: the notice clock.
    now : timestamp, optional
        For the notice clock's ``days_left``.
    broken_inputs : sequence of str
        Input columns known to be wrong; if the rules read one, the fallback's reasons say so.
    approval_tolerance, air_floor, air_drop, max_review_wait_hours : float
        The thresholds of the tree (see the module docstring).

    Returns
    -------
    ResponsePlan

    Examples
    --------
    >>> plan = decide_response("threshold", {"approval_delta": 0.12}, last_good_model=True,
    ...                        review_capacity_per_hour=30, arrivals_per_hour=100)
    >>> plan.action
    'rollback'
    >>> plan.reasons[-1]
    "triage says 'threshold': our release changed decisions; serve the last good model"
    >>> decide_response(None, {"approval_delta": 0.004}, last_good_model=True,
    ...                 review_capacity_per_hour=30, arrivals_per_hour=100).action
    'continue'
    """
    heading = getattr(triage, "heading", triage)
    if heading is not None and heading not in TRIAGE_CLASSES:
        raise ValueError(
            f"triage heading {heading!r} is not one of {list(TRIAGE_CLASSES)} (or None); pass "
            "triage_signals(...) or a heading"
        )
    if infrastructure is None:
        infrastructure = bool(getattr(triage, "infrastructure", False))
    for name, flag in (("last_good_model", last_good_model), ("infrastructure", infrastructure)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    if not isinstance(impact, Mapping):
        raise TypeError(
            "impact must be a dict (impact_summary(baseline, incident)), got "
            f"{type(impact).__name__}"
        )
    capacity = _number(review_capacity_per_hour, "review_capacity_per_hour", positive=True)
    arrivals = _number(arrivals_per_hour, "arrivals_per_hour")
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 24 * 30:
        raise ValueError(f"hours must be a whole number of hours in 1..720, got {hours!r}")
    start_backlog = _number(backlog, "backlog")
    base_rate = _number(baseline_review_rate, "baseline_review_rate")
    tolerance = _number(approval_tolerance, "approval_tolerance")
    floor = _number(air_floor, "air_floor")
    drop = _number(air_drop, "air_drop")
    wait_limit = _number(max_review_wait_hours, "max_review_wait_hours", positive=True)
    if incident_review_rate is None:
        counts = impact.get("decision_counts") or {}
        total = sum(counts.values()) if isinstance(counts, Mapping) else 0
        incident_review_rate = counts.get("review", 0) / total if total else base_rate
    now_rate = _number(incident_review_rate, "incident_review_rate")
    if base_rate > 1 or now_rate > 1:
        raise ValueError("review rates are shares of arrivals: pass values in [0, 1]")
    if isinstance(broken_inputs, str):
        raise TypeError(f"broken_inputs must be a list of column names, got {broken_inputs!r}")

    approval_delta = _impact_value(impact, "approval_delta")
    air_now = _impact_value(impact, "incident_air")
    air_delta = _impact_value(impact, "air_delta")

    # ---- consequences of every option -------------------------------------------------
    inflow = {
        "continue": arrivals * now_rate,
        "rollback": arrivals * base_rate,
        "fallback": 0.0,
        "freeze": arrivals,
    }
    decides = {
        "continue": "the current model, as now",
        "rollback": "the last good model",
        "fallback": "the knock-out rules alone (fico >= 660, dti <= 40, inquiries <= 6)",
        "freeze": "underwriters: every application goes to manual review",
    }
    queue = pd.DataFrame(
        {a: _backlog(inflow[a], capacity, hours, start_backlog) for a in ACTIONS},
        index=pd.RangeIndex(hours + 1, name="hour"),
    )
    notices = (
        notice_clock(completed_at, now=now)
        if completed_at is not None and len(completed_at)
        else pd.DataFrame(columns=["deadline", "notices_due", "cumulative", "days_left"])
    )
    oldest = notices["deadline"].iloc[0] if len(notices) else None
    rows = {}
    rule_inputs_broken = sorted(set(broken_inputs) & set(_RULE_INPUTS))
    for action in ACTIONS:
        peak = float(queue[action].max())
        wait = peak / capacity
        consequence = {
            "continue": "decisions keep being made as in the incident window",
            "rollback": "decisions by the last good model; bad inputs stay bad",
            "fallback": "no queue; more declines and adverse-action notices from the rules"
            + (
                f"; the rules read broken input(s) {rule_inputs_broken}"
                if rule_inputs_broken
                else ""
            ),
            "freeze": f"queue grows {inflow['freeze'] - capacity:+.0f}/h; no automatic approvals",
        }[action]
        rows[action] = {
            "available": action != "rollback" or last_good_model,
            "decides": decides[action],
            "review_inflow_per_hour": round(inflow[action], 6),
            "queue_growth_per_hour": round(inflow[action] - capacity, 6),
            "backlog_at_horizon": round(float(queue[action].iloc[-1]), 6),
            "max_wait_hours": round(wait, 6),
            "within_wait_limit": wait <= wait_limit,
            "within_notice_clock": wait < NOTICE_DAYS * 24,
            "consequence": consequence,
        }
    options = pd.DataFrame.from_dict(rows, orient="index")
    options.index.name = "action"

    # ---- the tree ----------------------------------------------------------------------
    harm = []
    if not math.isnan(approval_delta) and abs(approval_delta) >= tolerance:
        harm.append(f"approval rate moved {approval_delta:+.3f} (tolerance {tolerance:g})")
    if not math.isnan(air_delta) and air_delta <= -drop:
        harm.append(f"AIR fell {air_delta:+.3f} (limit -{drop:g})")
    if not math.isnan(air_now) and air_now < floor:
        harm.append(f"AIR {air_now:.3f} below {floor:g}")
    if infrastructure:
        harm.append("infrastructure symptoms (errors, latency or fallback up)")
    reasons: list[str] = []

    def plan(action: str) -> ResponsePlan:
        return ResponsePlan(action, tuple(reasons), options, queue, notices, oldest)

    if not harm:
        reasons.append(
            "no harm measured: approvals within tolerance, AIR steady, infrastructure healthy; "
            "keep watching"
        )
        return plan("continue")
    reasons.append("harm: " + "; ".join(harm))
    if heading in ("model", "threshold"):
        if last_good_model:
            reasons.append(
                f"triage says {heading!r}: our release changed decisions; serve the last good model"
            )
            return plan("rollback")
        reasons.append(f"triage says {heading!r} but there is no last good model to roll back to")
    else:
        reasons.append(
            f"triage says {heading!r}: a rollback would not fix it (inputs or borrowers, not our "
            "release)"
            if heading is not None
            else "no triage heading: the cause is unknown, so a rollback is a guess"
        )
    freeze = options.loc["freeze"]
    if freeze["within_wait_limit"]:
        reasons.append(
            f"review can keep up: longest wait {freeze['max_wait_hours']:.1f} h within "
            f"{wait_limit:g} h over the {hours} h horizon; freeze approvals, route to review"
        )
        return plan("freeze")
    reasons.append(
        f"review cannot keep up: the queue grows {freeze['queue_growth_per_hour']:+.0f}/h to "
        f"{freeze['backlog_at_horizon']:.0f} (longest wait {freeze['max_wait_hours']:.1f} h > "
        f"{wait_limit:g} h); degrade to the rules-based fallback"
        + (
            f" (caution: the rules read broken input(s) {rule_inputs_broken})"
            if rule_inputs_broken
            else ""
        )
    )
    return plan("fallback")
