"""Week 7: the loan-decision drift dashboard (the questions behind the project lab).

The lab ``solutions/week07_decision_dashboard.ipynb`` sends thirteen weeks of applications
through the live scoring service (:mod:`lendlab.course.scenarios.week07`: a sealed segment
incident and a live bureau outage), builds the dashboard three ways (matplotlib panels, an
Evidently workspace served by ``evidently ui``, the segment alert rules evaluated by promtool)
and works the incident a risk partner reported weeks late.

In the lab::

    from lendlab.course.exercises import week07 as ex
    ex.bind(**scenario.context_from_log(log, hidden))
    ex.q1.check((first_alert, first_segment, first_day))

Every expected answer is computed from the bound decision log and its counters (the alerts by
:func:`lendlab.monitoring.dashboard.evaluate_segment_alerts`, which a test holds equal to
promtool's evaluation of the rule file) or read from the sealed scenario, so the checks hold
for any seed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

from lendlab.course.exercises.answers import as_date, as_text, distinct, expect_count
from lendlab.course.exercises.checks import Incorrect, Question, Week
from lendlab.course.scenarios import week07 as scenario
from lendlab.monitoring import dashboard
from lendlab.world.faults import FAULTS

__all__ = ["bind", "q1", "q2", "q3", "q4"]

_KINDS = ("technical", "behavioural")


def _kind(answer: Any) -> str:
    return "None" if answer is None else type(answer).__name__


def _day(value: Any) -> str:
    return str(pd.Timestamp(value).tz_convert("UTC").date())


def _shift(day: str, days: int) -> str:
    return str(dt.date.fromisoformat(day) + dt.timedelta(days=days))


def _triple(answer: Any, names: tuple[str, str, str]) -> tuple[Any, Any, Any]:
    if isinstance(answer, Mapping):
        missing = [k for k in names if k not in answer]
        if missing:
            raise Incorrect(f"your dict has no {missing[0]!r}; give {', '.join(names)}")
        return tuple(answer[k] for k in names)  # type: ignore[return-value]
    if not isinstance(answer, list | tuple) or len(answer) != len(names):
        raise Incorrect(
            f"expected a tuple ({', '.join(names)}), got {_kind(answer)}"
            + (f" of length {len(answer)}" if isinstance(answer, list | tuple) else "")
        )
    return tuple(answer)  # type: ignore[return-value]


def _alerts(ctx: Mapping[str, Any]) -> pd.DataFrame:
    """The first firing of each (alert, segment) over the bound counters, earliest first."""
    return scenario.first_alert_table(ctx["counts"], windows=ctx["windows"])


def _first(ctx: Mapping[str, Any]) -> dict[str, Any]:
    table = _alerts(ctx)
    if table.empty:
        return {"alertname": "none", "segment": "none", "day": None, "time": None}
    row = table.iloc[0]
    return {
        "alertname": str(row["alertname"]),
        "segment": str(row["segment"]),
        "day": _day(row["time"]),
        "time": row["time"],
    }


def _lowest_rate_segment(ctx: Mapping[str, Any]) -> str:
    log = ctx["log"]
    return str(
        log["decision"]
        .astype(str)
        .eq("approve")
        .groupby(log["segment"].astype(str))
        .mean()
        .idxmin()
    )


def _first_drift_day(ctx: Mapping[str, Any]) -> str | None:
    """The first day after the reference weeks that the feature-drift panel flags a column."""
    day = scenario.first_drift_day(ctx["log"], ctx["reference"])
    return None if day is None else _day(day)


# --------------------------------------------------------------------------- Q1: first alert


class FirstAlert(Question):
    title = "which alert fires first, on which segment, on which day"
    hints = (
        "Read the promtool evaluation of the rescaled rules (or, without promtool, the same "
        "rules computed in pandas): one row per alert and segment with the time it first "
        "fired. The earliest row answers all three parts; the day is its UTC date.",
        "Sort `alerts` by 'time' and take the first row's 'alertname', 'segment' and "
        "str(time.date()). Do not convert to local time: the rule times are UTC.",
    )
    solution_code = """\
first = alerts.sort_values("time").iloc[0]
first_alert, first_segment = first["alertname"], first["segment"]
first_day = str(first["time"].date())  # the evaluation time is UTC
print(first_alert, first_segment, first["time"])"""
    requires = ("counts", "windows", "log", "hidden")

    def expected(self, ctx: Mapping[str, Any]) -> tuple[str, str, str | None]:
        first = _first(ctx)
        return first["alertname"], first["segment"], first["day"]

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        alert, segment, day = _triple(answer, ("alert", "segment", "day"))
        want_alert, want_segment, want_day = expected
        alert = as_text(alert, "the alert's name").strip()
        if alert.lower() != want_alert.lower():
            if alert.lower() not in {a.lower() for a in dashboard.ALERT_NAMES} | {"none"}:
                raise Incorrect(
                    f"{alert!r} is not an alert of decisions.yml: use one of "
                    + ", ".join(map(repr, dashboard.ALERT_NAMES))
                )
            raise Incorrect(f"{alert!r} is not the alert that fired first")
        segment = as_text(segment, "the segment").strip().lower()
        if segment != want_segment:
            if segment == _lowest_rate_segment(ctx):
                raise Incorrect(
                    f"{segment!r} has the lowest approval rate all along, but the alert compares "
                    "each segment with its own baseline: which segment's rate dropped?"
                )
            raise Incorrect(f"{segment!r} is not the segment the first alert fired on")
        if want_day is None:
            return
        given = as_date(day, "the day", example="2025-03-04")
        if str(given) == want_day:
            return
        hidden = ctx["hidden"]
        if str(given) == _day(hidden.outage_start):
            raise Incorrect(
                f"{given} is the day of the bureau outage (the manual-review spike); no "
                "segment alert fired then"
            )
        if str(given) == _day(hidden.incident.start):
            raise Incorrect(
                f"{given} is when the incident began; the question asks when the first alert "
                "fired (the 7-day window needs days to fill)"
            )
        if str(given) in (_shift(want_day, -1), _shift(want_day, 1)):
            raise Incorrect(
                f"{given} is one day off: use the UTC date of the first firing evaluation "
                "(not local time, not the evaluation before or after)"
            )
        drift = _first_drift_day(ctx)
        if drift is not None and str(given) == drift:
            raise Incorrect(
                f"{given} is when the inputs first drifted; the question asks when the first "
                "alert fired"
            )
        raise Incorrect(f"{given} is not the day the first alert fired")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        alert, segment, day = self.expected(ctx)
        hidden = ctx["hidden"]
        other_alert = next(a for a in dashboard.ALERT_NAMES if a != alert)
        slips = [
            (alert, _lowest_rate_segment(ctx), day),
            (other_alert, segment, day),
            (alert, segment, _day(hidden.outage_start)),
            (alert, segment, _day(hidden.incident.start)),
        ]
        if day is not None:
            slips += [(alert, segment, _shift(day, -1)), (alert, segment, _shift(day, 1))]
        drift = _first_drift_day(ctx)
        if drift is not None:
            slips.append((alert, segment, drift))
        return distinct((alert, segment, day), slips)


# --------------------------------------------------------------------------- Q2: why


def _why(ctx: Mapping[str, Any]) -> tuple[str, str]:
    first = _first(ctx)
    if first["time"] is None:
        return "behavioural", "none"
    signals = scenario.alert_signals(ctx["log"], ctx["reference"], first["segment"], first["time"])
    from lendlab.response import triage_signals

    kind = triage_signals(signals).kind
    fault = scenario.incident_behind(ctx["hidden"], first["segment"], first["time"])
    return kind, fault


class Why(Question):
    title = "why it fired: technical or behavioural, and which fault"
    hints = (
        "Compare the alert's segment in the 7 days before the alert with the same segment in "
        "the reference weeks. Did anything of the service itself move (errors, latency, "
        "fallback)? Which inputs moved? The fault catalogue (FAULTS) says which inputs each "
        "fault moves.",
        "response.measure_signals(baseline, incident) on the segment's rows, then "
        "response.triage_signals(signals).kind for technical/behavioural; for the fault read "
        "the 'state' of income_shift (income_monthly_as_annual) and bureau_missing "
        "(bureau_outage). Answer (kind, fault name), 'none' if neither moved.",
    )
    solution_code = """\
# a backfill's duration_ms is its whole batch's time, not the decision's: leave latency out
segment_log = log[log["segment"] == first_segment].drop(columns="duration_ms")
baseline = segment_log[segment_log["applied_at"] < REFERENCE_END]
before_alert = segment_log[segment_log["applied_at"].between(
    first["time"] - pd.Timedelta(days=7), first["time"], inclusive="left")]
signals = response.measure_signals(baseline, before_alert)
print(signals.loc[["fallback", "approval_rate", "income_shift", "dti_level", "bureau_missing",
                   "score_psi"], ["baseline", "incident", "state"]].round(3))
why_kind = response.triage_signals(signals).kind
state = signals["state"]
why_fault = ("income_monthly_as_annual" if state["income_shift"] == "up"
             else "bureau_outage" if state["bureau_missing"] == "up" else "none")
print(why_kind, why_fault)"""
    requires = ("counts", "windows", "log", "reference", "hidden")

    def expected(self, ctx: Mapping[str, Any]) -> tuple[str, str]:
        return _why(ctx)

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        if not isinstance(answer, list | tuple) or len(answer) != 2:
            raise Incorrect(f"expected a pair (kind, fault), got {_kind(answer)}")
        kind = as_text(answer[0], "the kind").strip().lower().replace("behavioral", "behavioural")
        fault = as_text(answer[1], "the fault").strip().lower()
        want_kind, want_fault = expected
        if kind not in _KINDS:
            if kind in ("data", "world", "model", "threshold"):
                raise Incorrect(
                    f"{kind!r} is a triage heading; the kind is 'technical' (the service's own "
                    "signals moved) or 'behavioural' (only its decisions and inputs did)"
                )
            raise Incorrect(f"{kind!r} is not a kind: answer 'technical' or 'behavioural'")
        if kind != want_kind:
            if want_kind == "behavioural":
                raise Incorrect(
                    "no infrastructure signal moved in that segment (errors, latency and "
                    "fallback are flat): the service worked, which is why nobody was paged"
                )
            raise Incorrect("an infrastructure signal moved in that window: it is technical")
        if fault != want_fault:
            if fault not in FAULTS and fault != "none":
                raise Incorrect(f"{fault!r} is not a name of lendlab.world.faults.FAULTS")
            if fault == "bureau_outage":
                raise Incorrect(
                    "the live bureau outage sent every segment to manual review for a few "
                    "hours; the alert's segment shows a different input moving"
                )
            raise Incorrect(f"{fault!r} does not match the inputs that moved in that segment")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        kind, fault = self.expected(ctx)
        other_kind = next(k for k in _KINDS if k != kind)
        other_fault = next(
            (k for k in scenario.INCIDENT_KINDS if k != fault), "income_monthly_as_annual"
        )
        return distinct(
            (kind, fault),
            [(other_kind, fault), (kind, other_fault), ("data", fault), (other_kind, other_fault)],
        )


# --------------------------------------------------------------------------- Q3: the outage


def _reviews_on(log: pd.DataFrame, day: str) -> int:
    days = log["applied_at"].dt.tz_convert("UTC").dt.floor("D")
    return int(
        ((days == pd.Timestamp(day, tz="UTC")) & log["decision"].astype(str).eq("review")).sum()
    )


class Outage(Question):
    title = "the bureau outage: its day and that day's manual reviews"
    hints = (
        "During the outage the service could not score: it sent applications to manual review "
        "and flagged them as fallback. Find the day those flags appear, then count every "
        "decision of that UTC day that went to the review queue.",
        "Group the rows with log['fallback'].notna() by the UTC day of 'applied_at'; the day "
        "with the most is the outage's. Then count log['decision'] == 'review' on that day "
        "(all segments, model reviews included). Answer ('YYYY-MM-DD', count).",
    )
    solution_code = """\
day = log["applied_at"].dt.floor("D")
fallbacks = log[log["fallback"].notna()].groupby(day).size()
outage_day = fallbacks.idxmax()
outage_reviews = int((log["decision"] == "review")[day == outage_day].sum())
print(outage_day.date(), outage_reviews, "reviews; a typical day:",
      log["decision"].eq("review").groupby(day).sum().median())
outage_answer = (str(outage_day.date()), outage_reviews)"""
    requires = ("log", "hidden")

    def expected(self, ctx: Mapping[str, Any]) -> tuple[str, int]:
        day = _day(ctx["hidden"].outage_start)
        return day, _reviews_on(ctx["log"], day)

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        if not isinstance(answer, list | tuple) or len(answer) != 2:
            raise Incorrect(f"expected a pair ('YYYY-MM-DD', reviews), got {_kind(answer)}")
        want_day, want_reviews = expected
        given = str(as_date(answer[0], "the outage day", example="2025-02-11"))
        if given != want_day:
            hidden = ctx["hidden"]
            if given == _day(hidden.incident.start):
                raise Incorrect(
                    f"{given} is when the segment incident began; the outage is the day the "
                    "fallback flags appear"
                )
            if given in (_shift(want_day, -1), _shift(want_day, 1)):
                raise Incorrect(f"{given} is one day off: group by the UTC day of applied_at")
            raise Incorrect(f"{given} is not the day of the bureau outage")
        log = ctx["log"]
        day = log["applied_at"].dt.tz_convert("UTC").dt.floor("D") == pd.Timestamp(
            want_day, tz="UTC"
        )
        fallback_only = int((day & log["fallback"].notna()).sum())
        try:
            expect_count(answer[1], want_reviews, what="the reviews of that day")
        except Incorrect:
            if answer[1] == fallback_only:
                raise Incorrect(
                    "that counts only the fallback decisions; the queue also got that day's "
                    "model reviews (the PD review band)"
                ) from None
            raise

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        day, reviews = self.expected(ctx)
        log, hidden = ctx["log"], ctx["hidden"]
        on_day = log["applied_at"].dt.tz_convert("UTC").dt.floor("D") == pd.Timestamp(day, tz="UTC")
        fallback_only = int((on_day & log["fallback"].notna()).sum())
        typical = int(
            log["decision"]
            .astype(str)
            .eq("review")
            .groupby(log["applied_at"].dt.floor("D"))
            .sum()
            .median()
        )
        start = _day(hidden.incident.start)
        return distinct(
            (day, reviews),
            [
                (day, fallback_only),
                (day, typical),
                (_shift(day, 1), _reviews_on(log, _shift(day, 1))),
                (start, _reviews_on(log, start)),
            ],
        )


# --------------------------------------------------------------------------- Q4: incident start


class IncidentStart(Question):
    title = "the day the segment's inputs broke"
    hints = (
        "The alert is days late: its window has to fill first. The inputs of the alert's "
        "segment broke on one day and stayed broken. Plot (or print) that segment's daily "
        "median annual_income and its daily share of fico at the 300 floor; find the step.",
        "Group the segment's rows by the UTC day of applied_at; flag a day whose median "
        "annual_income is below a quarter of the reference weeks' median, or whose share of "
        "fico <= 300 is above one half; the first flagged day, as 'YYYY-MM-DD'.",
    )
    solution_code = """\
segment_log = log[log["segment"] == first_segment]
by_day = segment_log.groupby(segment_log["applied_at"].dt.floor("D"))
daily = pd.DataFrame({"median_income": by_day["annual_income"].median(),
                      "fico_floor_share": by_day["fico"].apply(lambda f: (f <= 300).mean())})
in_reference = segment_log["applied_at"] < REFERENCE_END
reference_income = segment_log.loc[in_reference, "annual_income"].median()
broken = (daily["median_income"] < reference_income / 4) | (daily["fico_floor_share"] > 0.5)
incident_start = str(broken[broken].index[0].date())
delay = first["time"] - pd.Timestamp(incident_start, tz="UTC")
print(incident_start, "- the first alert came", delay, "later")"""
    requires = ("log", "hidden", "counts", "windows")

    def expected(self, ctx: Mapping[str, Any]) -> str:
        return _day(ctx["hidden"].incident.start)

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        given = str(as_date(answer, "the day the inputs broke", example="2025-02-24"))
        if given == expected:
            return
        first = _first(ctx)
        hidden = ctx["hidden"]
        if given == first["day"]:
            raise Incorrect(
                f"{given} is when the first alert fired; the inputs broke before (the 7-day "
                "window had to fill)"
            )
        if given == _day(hidden.outage_start):
            raise Incorrect(f"{given} is the day of the bureau outage, another event")
        if given in (_shift(expected, -1), _shift(expected, 1)):
            raise Incorrect(f"{given} is one day off: use the UTC day of applied_at")
        if given < expected:
            raise Incorrect(f"on {given} the segment's inputs still look like the reference")
        raise Incorrect(f"{given} is after the inputs broke: look for the first broken day")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        start = self.expected(ctx)
        first = _first(ctx)
        return distinct(
            start,
            [first["day"], _day(ctx["hidden"].outage_start), _shift(start, -1), _shift(start, 1)],
        )


_week = Week(
    "week07",
    [FirstAlert(), Why(), Outage(), IncidentStart()],
    build_context=scenario.build_context,
)
bind = _week.bind
q1, q2, q3, q4 = _week.questions
