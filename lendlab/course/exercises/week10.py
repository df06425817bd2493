"""Week 10: risk-aware incident response, the game day (the questions behind the lab).

The lab ``solutions/week10_incident_response.ipynb`` plays a sealed incident of
:data:`lendlab.course.scenarios.week10.INCIDENTS` through the live scoring service, with a real
Prometheus and Alertmanager paging the lendlab pager, and the learner works it like an
on-call: when it started and ended, technical or behavioural and which triage heading, the
decisions to re-decide, the segments affected, the response mode the decision tree chooses,
and a verified (and tampered) evidence bundle.

In the lab::

    from lendlab.course.exercises import week10 as ex
    ex.bind(log=log, pages=pages, sealed=sealed, ops=OPS, champion=champion, seed=seed, n=N,
            **scenario.CHECK_SETTINGS)
    ex.q1.check(incident_window)

Every expected answer is computed from the bound decision log and the sealed incident record
(its true window), so the checks hold for any seed and any run of the service.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lendlab import response
from lendlab.course.exercises.answers import as_pair, as_text, distinct, memo
from lendlab.course.exercises.checks import (
    Incorrect,
    Question,
    Week,
    expect_choice,
    expect_number,
)
from lendlab.course.scenarios import week10 as scenario

__all__ = ["bind", "q1", "q2", "q3", "q4", "q5", "q6"]

_KINDS = ("technical", "behavioural")


def _kind(answer: Any) -> str:
    return "None" if answer is None else type(answer).__name__


def _stamp(value: Any, what: str) -> pd.Timestamp:
    if (
        isinstance(value, bool)
        or not isinstance(value, str | pd.Timestamp | np.datetime64)
        and (not hasattr(value, "isoformat"))
    ):
        raise Incorrect(
            f"{what} must be a timestamp (a pandas Timestamp or text such as "
            f"'2026-03-05T02:10:04Z'), got {_kind(value)}"
        )
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise Incorrect(f"{what} {value!r} is not a timestamp") from None
    if ts is pd.NaT:
        raise Incorrect(f"{what} is NaT: pick a real time")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _pages(ctx: Mapping[str, Any]) -> pd.DataFrame:
    return ctx["pages"]


def _window_tolerance(ctx: Mapping[str, Any]) -> float:
    """How close a start or end must be, in seconds: the setting (seconds at ``time_scale=1``)
    times the game day's clock, like every window of the game day."""
    return float(ctx["window_tolerance_s"]) * float(ctx["sealed"].time_scale)


def _first_page(ctx: Mapping[str, Any], status: str, column: str) -> pd.Timestamp | None:
    p = _pages(ctx)
    p = p[p["status"] == status]
    return None if p.empty else pd.Timestamp(p[column].min())


# --------------------------------------------------------------------------- Q1: the window


class IncidentWindow(Question):
    title = "when the incident started and ended"
    hints = (
        "A page arrives after its alert's window filled and its `for:` held: seconds after "
        "the incident began, and the game day's noise pages too. Date the incident from the "
        "decisions themselves: which ones differ from what a healthy service, fed the inputs "
        "the applicants and the bureau really sent, would have decided?",
        "Two steps. First flag the suspect decisions: inputs unlike the re-pull "
        "(scenario.repull) or a decision unlike the healthy service's "
        "(response.redecide_with_model at the signed-off cutoff). Then group the flagged "
        "decision times into runs: the noise is a separate, shorter run.",
    )
    solution_code = """\
repulled = scenario.repull(log, seed=seed, n=N)
healthy = response.redecide_with_model(repulled, champion, cutoff=CUTOFF)
served = log[INPUTS].to_numpy(dtype=float)
truth = repulled[INPUTS].to_numpy(dtype=float)
column_differs = ~np.isclose(served, truth, equal_nan=True)
inputs_differ = column_differs.any(axis=1)
flagged = inputs_differ | (healthy.to_numpy() != log["decision"].astype(str).to_numpy())
when = log.loc[flagged, "received_at"].sort_values()
stretch = (when.diff().dt.total_seconds() > time_scale).cumsum()  # a gap of over 1 s: new stretch
spans = when.groupby(stretch.to_numpy()).agg(["min", "max"])
longest = (spans["max"] - spans["min"]).idxmax()
incident_start = spans.loc[longest, "min"]
incident_end = spans.loc[longest, "max"] + pd.Timedelta(milliseconds=1)  # [start, end)
incident_window = (incident_start, incident_end)"""
    requires = ("sealed", "pages", "window_tolerance_s")

    def expected(self, ctx: Mapping[str, Any]) -> tuple[pd.Timestamp, pd.Timestamp]:
        sealed = ctx["sealed"]
        return sealed.start, sealed.end

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        first, last = as_pair(answer, ("start", "end"), kind="timestamps")
        start, end = _stamp(first, "the start"), _stamp(last, "the end")
        if not start < end:
            raise Incorrect("the start must be before the end")
        tol = _window_tolerance(ctx)
        for name, given, want in (("start", start, expected[0]), ("end", end, expected[1])):
            off = (given - want).total_seconds()
            if abs(off) <= tol:
                continue
            status = "firing" if name == "start" else "resolved"
            arrived = "the page arrived" if name == "start" else "the all-clear arrived"
            for column, what in (
                ("received_at", arrived),
                ("starts_at", "the alert started firing"),
                ("ends_at", "the alert resolved"),
            ):
                page = _first_page(ctx, status, column)
                if page is not None and abs((given - page).total_seconds()) <= tol:
                    raise Incorrect(
                        f"your {name} is when {what}: an alert lags its incident by its "
                        "window and its `for:`; date the incident from the decisions"
                    )
            raise Incorrect(
                f"the {name} is too {'late' if off > 0 else 'early'}: compare the decisions "
                f"just {'before' if off > 0 else 'after'} it with what a healthy service "
                "would have decided"
            )

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        start, end = self.expected(ctx)
        tol = _window_tolerance(ctx)
        log = ctx["log"]
        shift = pd.Timedelta(seconds=3 * tol)
        out = []
        for s, e in (
            (_first_page(ctx, "firing", "received_at"), end),
            (_first_page(ctx, "firing", "starts_at"), end),
            (start, _first_page(ctx, "resolved", "received_at")),
            (log["received_at"].min(), log["received_at"].max()),
            (start + shift, end),
            (start, end + shift),
        ):
            if s is None or e is None or not s < e:
                continue
            if abs((s - start).total_seconds()) > tol or abs((e - end).total_seconds()) > tol:
                out.append((s, e))
        return out


# --------------------------------------------------------------------------- Q2: triage


_CONFUSED = {"data": "threshold", "threshold": "data", "world": "data", "model": "threshold"}


class Triage(Question):
    title = "technical or behavioural, and which triage heading"
    hints = (
        "Two separate questions about the incident's own window (not the noise, not the "
        "whole run): did the infrastructure move (errors, latency, fallback) - technical - or "
        "only decisions and data - behavioural? And the one taxonomy, asked in order: are the "
        "inputs what the applicants and the bureau really sent (data), did the applicants "
        "change (world), did the model change (model), else the cutoff or policy (threshold).",
        "Compare the window with as long a window just before it: the fallback share (up by "
        "a point or more: technical); the share of decisions whose inputs differ from the "
        "re-pull (inputs_broken); a chi-square test of the segment mix (borrowers_changed); "
        "model_sha256 (a new model?); then response.triage(...). Answer (kind, heading).",
    )
    solution_code = """\
length = incident_end - incident_start
before = response.decision_window(log, incident_start - length, incident_start)
during = response.decision_window(log, incident_start, incident_end)
fallback_up = during["fallback"].notna().mean() - before["fallback"].notna().mean() >= 0.01
in_window = (log["received_at"] >= incident_start) & (log["received_at"] < incident_end)
inputs_broken = bool(inputs_differ[in_window.to_numpy()].mean() > 0.01)
mix = pd.crosstab(np.r_[np.zeros(len(before)), np.ones(len(during))],
                  np.r_[before["segment"].astype(str), during["segment"].astype(str)])
borrowers_changed = bool(stats.chi2_contingency(mix).pvalue < 0.001)
new_model = bool(set(during["model_sha256"].dropna()) - set(before["model_sha256"].dropna()))
# no outcomes yet for these applications, so no back-test AUC: pass the sign-off's, and ask
# the model question as "did another artifact decide?" once data and world are ruled out
heading = response.triage(inputs_broken=inputs_broken, borrowers_changed=borrowers_changed,
                          auc_signoff=SIGNOFF_AUC, auc_now=SIGNOFF_AUC)
if heading == "threshold" and new_model:
    heading = "model"
triage_answer = ("technical" if fallback_up else "behavioural", heading)"""
    requires = ("sealed", "pages")

    def expected(self, ctx: Mapping[str, Any]) -> tuple[str, str]:
        sealed = ctx["sealed"]
        return sealed.kind, sealed.heading

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        kind, heading = as_pair(answer, ("kind", "heading"), kind="words")
        kind = as_text(kind, "the kind").strip().lower().replace("behavioral", "behavioural")
        heading = as_text(heading, "the heading").strip().lower()
        if kind not in _KINDS:
            raise Incorrect(f"the kind {kind!r} is not one of {', '.join(map(repr, _KINDS))}")
        if heading not in response.TRIAGE_CLASSES:
            raise Incorrect(
                f"the heading {heading!r} is not one of "
                f"{', '.join(map(repr, response.TRIAGE_CLASSES))}"
            )
        if kind != expected[0]:
            pages = _pages(ctx)
            fallback_paged = bool((pages["alertname"] == "LendlabFallbackRateHigh").any())
            if kind == "technical" and fallback_paged:
                raise Incorrect(
                    "a fallback page fired, but did the fallback share move inside the "
                    "incident's own window? The noise pages too: compare the window with the "
                    "one just before it"
                )
            raise Incorrect(
                f"the kind is not {kind!r}: compare errors, latency and the fallback share "
                "in the incident's window with the window before it"
            )
        expect_choice(heading, expected[1], choices=response.TRIAGE_CLASSES, what="the heading")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        kind, heading = self.expected(ctx)
        other = "behavioural" if kind == "technical" else "technical"
        return [(other, heading), (kind, _CONFUSED[heading]), (kind, "world"), (other, "model")]


# --------------------------------------------------------------------------- Q3: re-decide


def _redecisions(ctx: Mapping[str, Any]) -> pd.DataFrame:
    return memo(
        "week10-redecisions",
        (ctx["log"], ctx["sealed"], ctx["champion"]),
        lambda: scenario.truth_redecisions(
            ctx["log"], ctx["sealed"], seed=ctx["seed"], n=ctx["n"], champion=ctx["champion"]
        ),
    )


def _tolerance(expected: int) -> float:
    return max(2.0, 0.02 * expected)


class Redecisions(Question):
    title = "decisions to re-decide"
    hints = (
        "Not every decision of the window was harmed: re-decide each one the way the healthy "
        "service would have (the inputs re-pulled from their sources, the signed-off cutoff) "
        "and count those whose decision changes. The game day's noise lies outside the "
        "window.",
        "Steps: the decisions of your window (response.decision_window); their inputs "
        "re-pulled (scenario.repull); re-decided by the champion at the signed-off cutoff "
        "(response.redecide_with_model); the changes kept (response.redecision_list). The "
        "answer is how many rows that list has.",
    )
    solution_code = """\
window = response.decision_window(log, incident_start, incident_end)
new_decisions = response.redecide_with_model(
    scenario.repull(window, seed=seed, n=N), champion, cutoff=CUTOFF)
redo = response.redecision_list(window, new_decisions, basis="re-pulled inputs, cutoff 0.20")
n_redecide = len(redo)"""
    requires = ("log", "sealed", "champion", "seed", "n")

    def expected(self, ctx: Mapping[str, Any]) -> int:
        return int(len(_redecisions(ctx)))

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        if isinstance(answer, pd.DataFrame):
            raise Incorrect("answer the number of decisions (len of your list), not the list")
        _, incident = scenario.truth_windows(ctx["log"], ctx["sealed"])
        tol = _tolerance(expected)
        try:
            expect_number(answer, expected, rtol=0, atol=tol, what="the number to re-decide")
        except Incorrect:
            if isinstance(answer, int | float) and abs(answer - len(incident)) <= tol:
                raise Incorrect(
                    "that is every decision of the window: count only those whose decision "
                    "changes when re-decided on the re-pulled inputs and the signed-off cutoff"
                ) from None
            raise

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        log, sealed = ctx["log"], ctx["sealed"]
        _, incident = scenario.truth_windows(log, sealed)
        expected = self.expected(ctx)
        redo = _redecisions(ctx)
        touched = incident[incident["segment"].astype(str).isin(set(redo["segment"]))]
        fallback = int(incident["fallback"].notna().sum())
        not_review = int((redo["change"].str.split("->").str[0] != "review").sum())
        return distinct(
            expected,
            [
                len(incident),  # every decision of the window
                len(touched),  # every decision of the affected segments
                int(log["fallback"].notna().sum()) if fallback else 0,  # whole log, noise
                not_review,  # only the automated decisions
                2 * expected + 10,
            ],
            tol=_tolerance(expected),
        )


# --------------------------------------------------------------------------- Q4: segments


def _approval_by_segment(decisions: pd.DataFrame) -> pd.Series:
    """Share approved per segment."""
    approved = decisions["decision"].astype(str).eq("approve")
    return approved.groupby(decisions["segment"].astype(str)).mean()


def _segments(ctx: Mapping[str, Any]) -> list[str]:
    return sorted(set(_redecisions(ctx)["segment"].astype(str)))


class AffectedSegments(Question):
    title = "the segments affected"
    hints = (
        "Affected means a decision of that segment changed, not that its approval rate is "
        "low: some segments are always approved rarely. Use your re-decision list.",
        "The set of values of your re-decision list's 'segment' column (a list or set of "
        "segment names).",
    )
    solution_code = """\
affected_segments = sorted(set(redo["segment"].astype(str)))"""
    requires = ("log", "sealed", "champion")

    def expected(self, ctx: Mapping[str, Any]) -> list[str]:
        return _segments(ctx)

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        if isinstance(answer, str):
            answer = [answer]
        if not isinstance(answer, list | tuple | set | frozenset | pd.Index | np.ndarray):
            raise Incorrect(f"expected a list or set of segment names, got {_kind(answer)}")
        given = {str(a).strip().lower() for a in answer}
        log = ctx["log"]
        segments = set(log["segment"].astype(str))
        for name in sorted(given - segments):
            if name in set(log["channel"].astype(str)):
                raise Incorrect(f"{name!r} is a channel; the question asks for segments")
            raise Incorrect(f"{name!r} is not a segment: use {', '.join(sorted(segments))}")
        want = set(expected)
        if given == want:
            return
        _, incident = scenario.truth_windows(log, ctx["sealed"])
        rates = _approval_by_segment(incident)
        lowest = str(rates.idxmin())
        if given == {lowest}:
            raise Incorrect(
                f"{lowest!r} has the lowest approval rate of the window, but a low rate is "
                "not harm: which segments have decisions that change when re-decided?"
            )
        extra, missing = sorted(given - want), len(want - given)
        parts = []
        if extra:
            parts.append(f"{', '.join(map(repr, extra))}: none of its decisions change")
        if missing:
            parts.append(f"{missing} affected segment(s) missing")
        raise Incorrect("; ".join(parts))

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        want = _segments(ctx)
        _, incident = scenario.truth_windows(ctx["log"], ctx["sealed"])
        rates = _approval_by_segment(incident)
        sizes = incident["segment"].astype(str).value_counts()
        everyone = sorted(set(ctx["log"]["segment"].astype(str)))
        out = [[str(rates.idxmin())], [str(sizes.idxmax())], everyone, want[:1], []]
        return [c for c in out if set(c) != set(want)]


# --------------------------------------------------------------------------- Q5: the mode


def _plan(ctx: Mapping[str, Any]) -> response.ResponsePlan:
    return memo(
        "week10-plan",
        (ctx["log"], ctx["sealed"], ctx["ops"], ctx["champion"]),
        lambda: scenario.truth_plan(
            ctx["log"],
            ctx["sealed"],
            ctx["ops"],
            seed=ctx["seed"],
            n=ctx["n"],
            champion=ctx["champion"],
        ),
    )


class ResponseMode(Question):
    title = "the response mode the decision tree chooses"
    hints = (
        "The tree (response.decide_response) needs the triage heading, the harm measured on "
        "the affected segments (baseline window vs incident window) and the shift's "
        "operations numbers: arrivals, review capacity, and how long the fix will take. "
        "Harm measured means it will not continue.",
        "impact = response.impact_summary(before and during, each kept to the affected "
        "segments); plan = response.decide_response(heading, impact, "
        "last_good_model=OPS['last_good_model'], review_capacity_per_hour=..., "
        "arrivals_per_hour=..., hours=OPS['fix_eta_hours'], infrastructure=...); answer "
        "plan.action.",
    )
    solution_code = """\
affected_before = before[before["segment"].astype(str).isin(affected_segments)]
affected_during = during[during["segment"].astype(str).isin(affected_segments)]
impact = response.impact_summary(affected_before, affected_during)
plan = response.decide_response(
    heading, impact,
    last_good_model=OPS["last_good_model"],
    review_capacity_per_hour=OPS["review_capacity_per_hour"],
    arrivals_per_hour=OPS["arrivals_per_hour"],
    hours=OPS["fix_eta_hours"],
    infrastructure=triage_answer[0] == "technical",
    completed_at=list(redo["received_at"]),
    broken_inputs=[c for c, bad in zip(INPUTS, column_differs[in_window.to_numpy()].any(axis=0))
                   if bad],
)
mode = plan.action"""
    requires = ("log", "sealed", "ops", "champion")

    def expected(self, ctx: Mapping[str, Any]) -> str:
        return _plan(ctx).action

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        text = as_text(answer, "a mode").strip().lower()
        if text not in response.ACTIONS:
            expect_choice(text, expected, choices=response.ACTIONS, what="the mode")
        if text == expected:
            return
        if text == "continue":
            raise Incorrect(
                "the affected segments' approvals moved beyond the tree's tolerance (or the "
                "infrastructure did): with harm measured the tree never continues"
            )
        if text == "rollback":
            raise Incorrect(
                "a rollback undoes our own release (a model or a cutoff); is that what the "
                "triage said?"
            )
        if text in ("freeze", "fallback"):
            if expected in ("freeze", "fallback"):
                raise Incorrect(
                    "compare the freeze's review queue with the capacity over the fix's ETA "
                    "(plan.options): the tree picks the other one here"
                )
            if expected == "rollback":
                raise Incorrect(
                    "the triage found our own change (a cutoff or a model) and a last good "
                    "model and configuration exist: the tree rolls back first, before it "
                    "weighs a freeze against a fallback"
                )
            raise Incorrect(
                "no harm measured on the affected segments and no infrastructure symptom: "
                "the tree goes no further than its first question"
            )
        expect_choice(text, expected, choices=response.ACTIONS, what="the mode")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        right = self.expected(ctx)
        return [a for a in response.ACTIONS if a != right]


# --------------------------------------------------------------------------- Q6: evidence


def _named_file(problems: tuple[str, ...]) -> str | None:
    for problem in problems:
        head = problem.split(":", 1)[0].strip()
        if head:
            return head
    return None


def _bundle_verdict(ctx: Mapping[str, Any]) -> tuple[bool, str | None, dict[str, Any]]:
    bundle, checkpoint, tampered = (Path(ctx[k]) for k in ("bundle", "checkpoint", "tampered"))
    ok = response.verify_bundle(bundle, checkpoint=checkpoint)
    meta: dict[str, Any] = {}
    if ok.ok:
        meta = json.loads((bundle / "bundle.json").read_text(encoding="utf-8"))
        rows = (bundle / "redecisions.jsonl").read_text(encoding="utf-8").splitlines()
        meta["pending"] = sum(json.loads(r).get("change") == "pending" for r in rows if r)
    bad = response.verify_bundle(tampered, checkpoint=checkpoint)
    return ok.ok, (None if bad.ok else _named_file(bad.problems)), meta


class EvidenceBundle(Question):
    title = "the evidence bundle: verified, and the tampered file named"
    hints = (
        "Write the bundle over your incident window with the fix you re-decided with in "
        "Question 3, so its re-decision list is yours and not every decision marked "
        "'pending'; verify it with its checkpoint using the real command (exit code 0); then "
        "copy it, change one byte of one file of the copy and verify the copy: the command "
        "must fail and name the file. Answer (did the original verify?, the file the failure "
        "names).",
        "Steps: response.write_bundle with its redecide= argument (a function of the "
        "window's rows giving their new decisions); the `lendlab incident verify` command "
        "through lendlab_cli; shutil.copytree for the copy; one byte flipped; the file is "
        "named at the start of the TAMPERED: line the failing verify prints.",
    )
    solution_code = """\
BUNDLE = workdir / "bundle"
CHECKPOINT = workdir / "bundle.checkpoint.json"  # in production: a write-once store
TAMPERED = workdir / "bundle-tampered"
for stale in (BUNDLE, TAMPERED):
    shutil.rmtree(stale, ignore_errors=True)
made = response.write_bundle(  # what `lendlab incident bundle` runs, with our fix
    DB, incident_start, incident_end, BUNDLE, checkpoint=CHECKPOINT,
    alerts=PAGES if PAGES.is_file() else None,
    redecide=lambda rows: response.redecide_with_model(
        scenario.repull(rows, seed=seed, n=N), champion, cutoff=CUTOFF),
    redecide_basis="re-pulled inputs, cutoff 0.20")
verified = lendlab_cli("incident", "verify", BUNDLE, "--checkpoint", CHECKPOINT)
shutil.copytree(BUNDLE, TAMPERED)
target = TAMPERED / "decisions.jsonl"
data = bytearray(target.read_bytes())
data[len(data) // 2] ^= 0x01  # one bit of one byte
target.write_bytes(bytes(data))
tampered = lendlab_cli("incident", "verify", TAMPERED, "--checkpoint", CHECKPOINT)
named = tampered.stderr.split("TAMPERED: ", 1)[1].split(":", 1)[0]
bundle_answer = (verified.returncode == 0, named)"""
    requires = (
        "bundle", "checkpoint", "tampered", "sealed", "window_tolerance_s", "log", "champion",
        "seed", "n",
    )  # fmt: skip

    def expected(self, ctx: Mapping[str, Any]) -> tuple[bool, str | None]:
        ok, named, _ = _bundle_verdict(ctx)
        return ok, named

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        verified, named = as_pair(answer, ("verified", "file named"), kind="values")
        if not isinstance(verified, bool | np.bool_):
            raise Incorrect(f"the first value must be True or False, got {_kind(verified)}")
        ok, want, meta = _bundle_verdict(ctx)
        if not ok:
            raise Incorrect(
                "the bound bundle does not verify with its checkpoint: rebuild it into a new "
                "folder and bind bundle=, checkpoint="
            )
        if not verified:
            raise Incorrect("the bundle you built does verify: run the verify command again")
        sealed, tol = ctx["sealed"], _window_tolerance(ctx)
        window = meta.get("window", {})
        for edge, truth in (("start", sealed.start), ("end", sealed.end)):
            given = pd.Timestamp(window.get(edge)) if window.get(edge) else None
            if given is None or abs((given - truth).total_seconds()) > tol:
                raise Incorrect(
                    f"the bundle's window {edge} is not the incident's: build it over your "
                    "incident window (--start, --end)"
                )
        if meta.get("pending"):
            raise Incorrect(
                "the bundle's re-decision list marks every decision of the window 'pending' "
                "(no fix given): write it with the fix of Question 3 (write_bundle's "
                "redecide=), so it lists the decisions to redo"
            )
        truth = len(_redecisions(ctx))
        listed = meta.get("redecisions")
        if not isinstance(listed, int) or abs(listed - truth) > _tolerance(truth):
            raise Incorrect(
                f"the bundle lists {listed} decision(s) to re-decide, not the incident's: "
                "re-decide on the re-pulled inputs at the signed-off cutoff, as in Question 3 "
                "(the command's --redecide-with re-decides on the logged inputs, the broken "
                "ones in a data incident)"
            )
        if want is None:
            raise Incorrect(
                "the tampered copy still verifies: change one byte of a file of the copy "
                "(bind tampered=)"
            )
        text = as_text(named, "the file named").strip()
        if Path(text).name != want:
            if Path(text).name == "manifest.json":
                raise Incorrect(
                    "the manifest is what verify checks against; which file does its "
                    "TAMPERED: line name?"
                )
            raise Incorrect(f"{text!r} is not the file the verify command names")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        _, named = self.expected(ctx)
        other = next(f for f in response.BUNDLE_FILES if f != named)
        return [(True, "manifest.json"), (False, named), (True, other)]


_week = Week(
    "week10",
    [
        IncidentWindow(),
        Triage(),
        Redecisions(),
        AffectedSegments(),
        ResponseMode(),
        EvidenceBundle(),
    ],
)
bind = _week.bind
q1, q2, q3, q4, q5, q6 = _week.questions
