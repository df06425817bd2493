"""Week 8: a bad feature-pipeline release, the gates before scoring (the questions behind the lab).

The lab ``solutions/week08_pipeline_release.ipynb`` releases broken versions of the nightly
income-verification / DTI job (:data:`lendlab.quality.release.VARIANTS`) over fifteen nightly
partitions, runs the two gates in dry-run mode every night (the data contracts,
:func:`lendlab.quality.release.contract_gate`, and the feature-table canary,
:func:`lendlab.quality.release.canary`), scores every application with the champion on the
bad and on the correct features, and works an incident: the job was redeployed at 02:00.

In the lab::

    from lendlab.course.exercises import week08 as ex
    ex.bind(drill=drill, incident_run=incident_run, sealed=sealed)
    ex.q1.check(caught_by)

Every expected answer is computed from the bound runs (the gates' verdicts, the decisions) or
read from the sealed incident, so the checks hold for any seed. The lab's world is
:mod:`lendlab.course.scenarios.week08`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

from lendlab.course.exercises.answers import as_date, as_text, distinct, expect_count
from lendlab.course.exercises.checks import Incorrect, Question, Week, expect_choice
from lendlab.course.scenarios import week08 as scenario
from lendlab.quality import release

__all__ = ["bind", "q1", "q2", "q3", "q4", "q5", "q6"]

_GATES = release.GATES


def _kind(answer: Any) -> str:
    return "None" if answer is None else type(answer).__name__


def _as_gate_set(value: Any, variant: str) -> frozenset[str]:
    """A learner's gates for one variant: a list/set/tuple of names, one name, or 'none'."""
    if value is None:
        return frozenset()
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("", "none", "neither"):
            return frozenset()
        if text == "both":
            return frozenset(_GATES)
        value = [text]
    if not isinstance(value, list | tuple | set | frozenset):
        raise Incorrect(
            f"the gates for {variant!r} must be a list of gate names such as ['canary'], got "
            f"{_kind(value)}"
        )
    out = set()
    for g in value:
        if not isinstance(g, str) or g.strip().lower() not in _GATES:
            raise Incorrect(
                f"{g!r} (for {variant!r}) is not a gate: use {', '.join(map(repr, _GATES))}"
            )
        out.add(g.strip().lower())
    return frozenset(out)


def _mapping(answer: Any, keys: list[str], what: str) -> Mapping[str, Any]:
    if not isinstance(answer, Mapping):
        raise Incorrect(f"expected a dict {{{what}}}, got {_kind(answer)}")
    missing = [k for k in keys if k not in answer]
    if missing:
        raise Incorrect(f"your dict has no entry for {missing[0]!r} ({len(missing)} missing)")
    extra = [k for k in answer if k not in keys]
    if extra:
        raise Incorrect(f"{extra[0]!r} is not one of {', '.join(map(repr, keys))}")
    return answer


# --------------------------------------------------------------------------- Q1: which gate


def _caught_by(drill: Mapping[str, release.ReleaseRun], night: int | None = None) -> dict:
    out = {}
    for name, run in drill.items():
        row = run.nights.loc[run.landing if night is None else night]
        out[name] = sorted(g for g in _GATES if not bool(row[g]))
    return out


class CaughtBy(Question):
    title = "which gate catches which release"
    hints = (
        "Look at the drill night only (the night every variant landed): a gate catches a "
        "variant when its verdict on that night is a fail. Some variants fail both gates, some "
        "one, maybe some none; write [] for none.",
        "For each run in `drill`, take the row of run.nights at run.landing and keep the gate "
        "columns ('contracts', 'canary') that are False.",
    )
    solution_code = """\
caught_by = {}
for name, run in drill.items():
    landing_night = run.nights.loc[run.landing]
    caught_by[name] = [gate for gate in GATES if not landing_night[gate]]
print(pd.Series(caught_by).to_string())"""
    requires = ("drill",)

    def expected(self, ctx: Mapping[str, Any]) -> dict[str, list[str]]:
        return _caught_by(ctx["drill"])

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        answer = _mapping(answer, list(expected), "variant: list of gates")
        wrong = [
            v for v, gates in expected.items() if _as_gate_set(answer[v], v) != frozenset(gates)
        ]
        if wrong:
            first = wrong[0]
            given = _as_gate_set(answer[first], first)
            want = frozenset(expected[first])
            why = (
                "a gate you list passed it on the landing night"
                if given - want
                else "a gate you left out failed it on the landing night"
            )
            raise Incorrect(
                f"{len(wrong)} of {len(expected)} variants are wrong, e.g. {first!r}: {why}"
            )

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        right = self.expected(ctx)
        drill = ctx["drill"]
        landing = next(iter(drill.values())).landing
        swapped = {
            v: sorted({"contracts": "canary", "canary": "contracts"}[g] for g in gates)
            for v, gates in right.items()
        }
        return distinct(
            right,
            [
                {v: ["contracts"] for v in right},  # "the contracts catch everything"
                {v: list(_GATES) for v in right},  # both gates catch every variant
                swapped,
                _caught_by(drill, landing - 1),  # the night before the release
                {v: [] for v in right},
            ],
        )


# --------------------------------------------------------------------------- Q2: which variant

_CONFUSED_WITH = {
    "income_monthly_as_annual": "partial_zero_dti",
    "verification_inner_join": "stale_verification_partition",
    "stale_verification_partition": "verification_inner_join",
    "partial_zero_dti": "partial_null_dti",
    "partial_null_dti": "partial_zero_dti",
}


class IncidentVariant(Question):
    title = "which bad release was it"
    hints = (
        "Read the dry-run gate logs of the landing night: which gate failed, on which check "
        "and which column? Each variant of the drill left its own fingerprint; compare.",
        "Print incident_run.nights.loc[landing, ['contracts_reasons', 'canary_reasons']] next "
        "to the same row of each drill run: null shares, a spike, a range on income, join "
        "coverage and the row count tell the variants apart. Answer a name of VARIANTS.",
    )
    solution_code = """\
def fingerprint(run):
    row = run.nights.loc[run.landing]
    return (row["contracts_reasons"] + " | " + row["canary_reasons"]).lower()

def triage(text):
    if "annual_income" in text:
        return "income_monthly_as_annual"
    if "income_verification: null share" in text:
        return "stale_verification_partition"
    if "coverage" in text or "verified_income" in text:
        return "verification_inner_join"
    if "most common value" in text:
        return "partial_zero_dti"
    if "dti" in text:
        return "partial_null_dti"
    return "unknown"

print({name: triage(fingerprint(run)) for name, run in drill.items()})   # the drill: known truth
incident_variant = triage(fingerprint(incident_run))"""
    requires = ("sealed", "incident_run")

    def expected(self, ctx: Mapping[str, Any]) -> str:
        return ctx["sealed"].variant

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        text = as_text(answer, "a variant name").strip().lower()
        if text in ("unit change", "dropped join", "stale partition", "silent partial failure"):
            raise Incorrect(f"{text!r} is a kind; answer the variant's name from VARIANTS")
        expect_choice(text, expected, choices=tuple(release.VARIANTS), what="that variant")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        v = ctx["sealed"].variant
        other = next(k for k in release.VARIANTS if k not in (v, _CONFUSED_WITH[v]))
        return [_CONFUSED_WITH[v], other]


# --------------------------------------------------------------------------- Q3: detection night


def _night_date(run: release.ReleaseRun, night: int | None) -> str | None:
    return None if night is None else str(run.nights.loc[night, "date"].date())


def _detection(run: release.ReleaseRun) -> dict[str, str | None]:
    return {g: _night_date(run, run.detection(g)) for g in _GATES}


class DetectionNight(Question):
    title = "the night each gate first fails"
    hints = (
        "The gates ran in dry-run mode every night. From the redeploy night on, when does each "
        "gate fail for the first time? A gate that never fails gets None.",
        "For each gate, keep the nights of incident_run.nights with night >= landing and the "
        "gate column False; the first one's application day ('date') as 'YYYY-MM-DD', or None.",
    )
    solution_code = """\
log = incident_run.nights
detection = {}
for gate in GATES:
    failed = log[(log["night"] >= landing) & ~log[gate]]
    detection[gate] = str(failed["date"].iloc[0].date()) if len(failed) else None
print(detection)"""
    requires = ("incident_run",)

    def expected(self, ctx: Mapping[str, Any]) -> dict[str, str | None]:
        return _detection(ctx["incident_run"])

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        answer = _mapping(answer, list(_GATES), "gate: 'YYYY-MM-DD' or None")
        run = ctx["incident_run"]
        first = _night_date(run, run.landing)
        for gate in _GATES:
            given, want = answer[gate], expected[gate]
            if want is None:
                if given is not None:
                    raise Incorrect(
                        f"the {gate} gate never fails after the redeploy in this log: answer None"
                    )
                continue
            if given is None:
                raise Incorrect(f"the {gate} gate does fail after the redeploy: on which night?")
            day = as_date(given, f"the {gate} night", example="2026-03-06")
            if day == dt.date.fromisoformat(want):
                continue
            if day == dt.date.fromisoformat(want) + dt.timedelta(days=1):
                raise Incorrect(
                    f"{day} for {gate} is the morning the batch ran (as_of), not the night's "
                    "application day: use the log's 'date' column"
                )
            if first is not None and day < dt.date.fromisoformat(first):
                raise Incorrect(f"{day} for {gate} is before the redeploy")
            raise Incorrect(f"{day} is not the first night the {gate} gate fails")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        right = self.expected(ctx)
        run = ctx["incident_run"]
        landing = _night_date(run, run.landing)
        nxt = _night_date(run, run.landing + 1)
        as_of = {
            g: (None if d is None else str(dt.date.fromisoformat(d) + dt.timedelta(days=1)))
            for g, d in right.items()
        }
        return distinct(
            right,
            [
                {g: landing for g in _GATES},  # "every gate catches it at once"
                {g: None for g in _GATES},  # nothing caught
                as_of,  # the batch-run date
                {g: nxt for g in _GATES},  # the morning after
                {"contracts": right["canary"], "canary": right["contracts"]},
            ],
        )


# --------------------------------------------------------------------------- Q4: no gate


def _window(run: release.ReleaseRun, noticed: int) -> pd.DataFrame:
    d = run.decisions
    return d[d["night"] < run.landing + noticed]


class CorruptedWithoutGate(Question):
    title = "decisions corrupted without a gate"
    hints = (
        "Without a gate the bad release runs until someone notices: the redeploy night and "
        "the next ones, NOTICED_AFTER nights in all. A decision is corrupted when the "
        "champion's answer on the bad partition differs from its answer on the correct one, "
        "and an application the release dropped got no decision at all.",
        "Keep the rows of incident_run.decisions whose night is before landing + "
        "NOTICED_AFTER and count the 'corrupted' flags (or call release.corrupted_decisions "
        "with gate=None).",
    )
    solution_code = """\
in_window = incident_run.decisions["night"] < landing + NOTICED_AFTER
corrupted_no_gate = int(incident_run.decisions.loc[in_window, "corrupted"].sum())
print("check:", release.corrupted_decisions(incident_run, gate=None,
                                            noticed_after=NOTICED_AFTER))"""
    requires = ("incident_run",)

    def expected(self, ctx: Mapping[str, Any]) -> int:
        return int(
            release.corrupted_decisions(
                ctx["incident_run"], noticed_after=scenario.SETTINGS["noticed_after"]
            )
        )

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        expect_count(answer, expected, what="the number of corrupted decisions")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        run = ctx["incident_run"]
        n = scenario.SETTINGS["noticed_after"]
        d = run.decisions
        w = _window(run, n)
        dropped = w["approved_bad"].isna()
        return distinct(
            self.expected(ctx),
            [
                int(d["corrupted"].sum()),  # every bad night to the end of the log
                int((w["corrupted"] & ~dropped).sum()),  # dropped rows not counted
                int(_window(run, n + 1)["corrupted"].sum()),  # one night too many
                int(_window(run, n - 1)["corrupted"].sum()),  # one night too few
                int(len(w)),  # every application of the window
                int((w["corrupted"] & w["approved_good"]).sum()),  # wrong declines only
            ],
            tol=0.5,
        )


# --------------------------------------------------------------------------- Q5: saved


def _saved(drill: Mapping[str, release.ReleaseRun], n: int) -> dict[str, int]:
    return {
        v: int(
            release.corrupted_decisions(run, gate="contracts", noticed_after=n)
            - release.corrupted_decisions(run, gate="both", noticed_after=n)
        )
        for v, run in drill.items()
    }


class SavedByCanary(Question):
    title = "decisions the canary saves over contracts alone"
    hints = (
        "With the contracts alone, a release they miss runs until someone notices; adding the "
        "canary blocks it on the night the canary fails. Saved = corrupted with contracts "
        "only minus corrupted with both gates, per variant of the drill.",
        "For each drill run: release.corrupted_decisions(run, gate='contracts', "
        "noticed_after=NOTICED_AFTER) minus the same with gate='both'.",
    )
    solution_code = """\
saved_by_canary = {}
for name, run in drill.items():
    contracts_only = release.corrupted_decisions(run, gate="contracts", noticed_after=NOTICED_AFTER)
    both_gates = release.corrupted_decisions(run, gate="both", noticed_after=NOTICED_AFTER)
    saved_by_canary[name] = contracts_only - both_gates
print(saved_by_canary)"""
    requires = ("drill",)

    def expected(self, ctx: Mapping[str, Any]) -> dict[str, int]:
        return _saved(ctx["drill"], scenario.SETTINGS["noticed_after"])

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        answer = _mapping(answer, list(expected), "variant: decisions saved")
        for v, want in expected.items():
            try:
                expect_count(answer[v], want, what=f"the decisions saved for {v!r}")
            except Incorrect as exc:
                if want == 0 and answer[v] != 0:
                    raise Incorrect(
                        f"{exc}: for {v!r} the contracts already block the release on its "
                        "first night"
                    ) from None
                raise

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        drill = ctx["drill"]
        n = scenario.SETTINGS["noticed_after"]
        right = self.expected(ctx)
        vs_none = {
            v: int(
                release.corrupted_decisions(run, noticed_after=n)
                - release.corrupted_decisions(run, gate="both", noticed_after=n)
            )
            for v, run in drill.items()
        }
        contracts_only = {
            v: int(release.corrupted_decisions(run, gate="contracts", noticed_after=n))
            for v, run in drill.items()
        }
        to_the_end = _saved(drill, len(next(iter(drill.values())).nights))
        return distinct(
            right,
            [vs_none, contracts_only, to_the_end, {v: -s for v, s in right.items()}],
        )


# --------------------------------------------------------------------------- Q6: segment


def _segment_rates(run: release.ReleaseRun, n: int, *, rate: bool = True) -> pd.Series:
    w = _window(run, n)
    g = w.groupby("segment")["corrupted"]
    return (g.mean() if rate else g.sum()).sort_index()


def _hardest(ctx: Mapping[str, Any]) -> list[str]:
    rates = _segment_rates(ctx["incident_run"], scenario.SETTINGS["noticed_after"])
    return sorted(rates.index[rates >= rates.max() - 1e-12])


class HardestHitSegment(Question):
    title = "the segment hit hardest"
    hints = (
        "Hardest hit means the largest share of that segment's applications whose decision "
        "was corrupted, not the largest count: the biggest segment always has the most. Use "
        "the no-gate window of Q4.",
        "Group the window's rows of incident_run.decisions by 'segment', take the mean of "
        "'corrupted' and the idxmax.",
    )
    solution_code = """\
window = incident_run.decisions[incident_run.decisions["night"] < landing + NOTICED_AFTER]
share_corrupted = window.groupby("segment")["corrupted"].mean().sort_values(ascending=False)
print(share_corrupted.round(4).to_string())
hardest_segment = share_corrupted.index[0]"""
    requires = ("incident_run",)

    def expected(self, ctx: Mapping[str, Any]) -> str:
        return _hardest(ctx)[0]

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        expected = _hardest(ctx)  # ties: any segment sharing the largest share is right
        if isinstance(answer, list | tuple | set):
            raise Incorrect("answer one segment name, not a list")
        text = as_text(answer, "a segment name").strip().lower()
        segments = sorted(ctx["incident_run"].decisions["segment"].unique())
        if text not in segments:
            channels = set(ctx["incident_run"].decisions["channel"].unique())
            if text in channels:
                raise Incorrect(f"{text!r} is a channel; the question asks for a segment")
            raise Incorrect(f"{text!r} is not a segment: use one of {', '.join(segments)}")
        if text in expected:
            return
        counts = _segment_rates(ctx["incident_run"], scenario.SETTINGS["noticed_after"], rate=False)
        if text == counts.idxmax():
            raise Incorrect(
                f"{text!r} has the most corrupted decisions, but it is also the biggest "
                "segment: compare shares, not counts"
            )
        raise Incorrect(f"{text!r} is not the segment with the largest share corrupted")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        right = _hardest(ctx)
        run = ctx["incident_run"]
        n = scenario.SETTINGS["noticed_after"]
        by_count = _segment_rates(run, n, rate=False).idxmax()
        lowest = _segment_rates(run, n).idxmin()
        channel = run.decisions["channel"].iloc[0]
        return [c for c in dict.fromkeys([by_count, lowest, channel]) if c not in right]


_week = Week(
    "week08",
    [
        CaughtBy(),
        IncidentVariant(),
        DetectionNight(),
        CorruptedWithoutGate(),
        SavedByCanary(),
        HardestHitSegment(),
    ],
)
bind = _week.bind
q1, q2, q3, q4, q5, q6 = _week.questions
