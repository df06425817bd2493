"""Week 9: deployment and rollback (the questions behind the lab).

The lab ``solutions/week09_deployment_rollback.ipynb`` is a Thursday release train: the
challenger runs in shadow and one release (the first whose load test passed,
:func:`lendlab.course.scenarios.week09.live_canary`) on a 5 % canary in the live service;
four sealed release candidates are compared on historical traffic
(:func:`lendlab.rollout.compare`) and judged on their canaries (:func:`lendlab.rollout.analyze`
under the release train's policy).

In the lab::

    from lendlab.course.exercises import week09 as ex
    ex.bind(log=log, shadow=shadow, champion=champion, releases=releases, ...)
    ex.q8.check(calls)

Every expected answer is computed from the bound data (the live log, the historical traffic,
the canary logs), so the checks hold for any seed and any machine. The lab's world is
:mod:`lendlab.course.scenarios.week09`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from lendlab import rollout
from lendlab.course.exercises.answers import as_pair, as_text, distinct, is_number, memo
from lendlab.course.exercises.checks import Incorrect, Question, Week, expect_choice, expect_set
from lendlab.course.scenarios import week09 as scenario
from lendlab.rollout.guardrails import GUARDRAIL_NAMES

__all__ = ["bind", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8"]

_VERDICTS = ("promote", "hold", "rollback")
_MODE_ALIASES = {
    "shadow": "shadow",
    "canary": "canary",
    "ab": "ab",
    "a/b": "ab",
    "a/b test": "ab",
    "ab test": "ab",
    "a_b": "ab",
    "blue_green": "blue_green",
    "blue-green": "blue_green",
    "bluegreen": "blue_green",
    "blue green": "blue_green",
}


def _kind(answer: Any) -> str:
    return "None" if answer is None else type(answer).__name__


def _mapping(answer: Any, keys: list[str], what: str) -> Mapping[Any, Any]:
    if isinstance(answer, pd.Series):
        answer = answer.to_dict()
    if not isinstance(answer, Mapping):
        raise Incorrect(f"expected a dict {{{what}}}, got {_kind(answer)}")
    answer = {str(k): v for k, v in answer.items()}
    missing = [k for k in keys if k not in answer]
    if missing:
        raise Incorrect(f"your answer has no entry for {missing[0]!r} ({len(missing)} missing)")
    extra = [k for k in answer if k not in keys]
    if extra:
        raise Incorrect(f"{extra[0]!r} is not one of {', '.join(map(repr, keys))}")
    return answer


def _close(a: float, b: float, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rtol, abs_tol=atol)


#: A value within half a percent of the answer but not equal to it: typed from a rounded
#: printout, or computed on a slightly different selection of rows.
_NEAR_MISS = (
    "{name} is close but not exact: compute it from the data in the notebook (not from a "
    "rounded printout), on exactly the rows the question names"
)


def _models(ctx: Mapping[str, Any]) -> dict[str, Any]:
    return dict(ctx["releases"])


# --------------------------------------------------------------------------- Q1: modes


class ModeForSituation(Question):
    title = "which rollout mode fits"
    hints = (
        "Ask two things of each situation: does any applicant get the new model's decision "
        "(with the notices and fair-lending duties that come with it), and is the goal safety "
        "or learning an effect?",
        "A shadow decides nobody; a canary decides a small share for real, behind guardrails; "
        "an A/B test randomises to measure an outcome; blue-green switches everyone at once "
        "and back. Answer one of MODES per key of SITUATIONS.",
    )
    solution_code = """\
modes = {
    "first_look": "shadow",
    "blast_radius": "canary",
    "learn_effect": "ab",
    "instant_switch": "blue_green",
}"""

    def expected(self, ctx: Mapping[str, Any]) -> dict[str, str]:
        return {k: mode for k, (_, mode) in scenario.SITUATIONS.items()}

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        answer = _mapping(answer, list(expected), "situation: mode")
        for key, want in expected.items():
            text = as_text(answer[key], f"the mode for {key!r}").lower()
            got = _MODE_ALIASES.get(text)
            if got is None:
                raise Incorrect(
                    f"{text!r} (for {key!r}) is not a mode: use one of {scenario.MODES}"
                )
            if got == want:
                continue
            if got == "canary" and want == "shadow":
                raise Incorrect(
                    f"for {key!r}: a canary decides real applicants (each decline needs its "
                    "adverse-action notice); nobody may be affected here"
                )
            if got == "canary" and want == "ab":
                raise Incorrect(
                    f"for {key!r}: a canary is for safety, not for measuring an effect; a "
                    "small non-random share cannot tell you what losses the strategy causes"
                )
            if got == "ab":
                raise Incorrect(
                    f"for {key!r}: an A/B test is for learning an effect, not for safety"
                )
            raise Incorrect(f"{got!r} is not the best mode for {key!r}")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        right = self.expected(ctx)
        return [
            {k: "canary" for k in right},  # "a canary for everything"
            {**right, "learn_effect": "canary"},  # a canary to learn an effect
            {**right, "first_look": "canary"},  # real decisions for a first look
            {**right, "blast_radius": "ab"},  # A/B as a safety net
            {**right, "instant_switch": "canary"},
        ]


# --------------------------------------------------------------------------- Q2: shadow flips


def _pairs(ctx: Mapping[str, Any], *, primary_only: bool = True) -> pd.DataFrame:
    log, shadow = ctx["log"], ctx["shadow"]
    if not primary_only:
        log = log.assign(arm="primary")
    return scenario.join_shadow(log, shadow)


def _flip_by_segment(pairs: pd.DataFrame) -> dict[str, float]:
    g = pairs.groupby(pairs["segment"].astype(str))["flipped"].mean()
    return {str(k): float(v) for k, v in g.items()}


def _as_float_map(answer: Any, keys: list[str], what: str) -> dict[str, float]:
    answer = _mapping(answer, keys, what)
    out = {}
    for k in keys:
        v = answer[k]
        if isinstance(v, (np.ndarray, pd.Series)) and np.size(v) == 1:
            v = np.asarray(v).reshape(-1)[0]
        if isinstance(v, (bool, np.bool_)) or not is_number(v):
            raise Incorrect(f"the value for {k!r} should be a number, got {_kind(v)}")
        out[k] = float(v)
    return out


class ShadowFlipBySegment(Question):
    title = "the shadow's decision flip rate by segment"
    hints = (
        "Put the primary's decision and the shadow's next to each other, request by request: "
        "both tables have request_id. Keep the primary arm's decisions (the canary arm was "
        "decided by another model) and the shadow rows that were scored (status 'ok').",
        "DataFrame.merge on 'request_id' (give the shadow's columns a suffix), after keeping "
        "the primary arm of the log and the 'ok' rows of the shadow; a flip is a row whose two "
        "decisions differ; groupby('segment') and the mean of that flag gives the share.",
    )
    solution_code = """\
primary = log[log["arm"] == "primary"]
ok = shadow[shadow["status"] == "ok"]
pairs = primary.merge(ok, on="request_id", suffixes=("", "_shadow"))
pairs["flipped"] = pairs["decision"].astype(str) != pairs["decision_shadow"].astype(str)
shadow_flip_rate = pairs.groupby("segment", observed=True)["flipped"].mean()"""
    requires = ("log", "shadow")

    def expected(self, ctx: Mapping[str, Any]) -> dict[str, float]:
        return _flip_by_segment(_pairs(ctx))

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        got = _as_float_map(answer, list(expected), "segment: flip rate")
        pairs = _pairs(ctx)
        counts = pairs.groupby(pairs["segment"].astype(str))["flipped"].sum()
        everyone = _flip_by_segment(_pairs(ctx, primary_only=False))
        for seg, want in expected.items():
            x = got[seg]
            if _close(x, want):
                continue
            if _close(x, float(counts[seg])):
                raise Incorrect(f"{seg!r}: that is a count of flips; give the share of decisions")
            if want and _close(x, 100 * want):
                raise Incorrect(f"{seg!r} looks like a percent; give a share (0 to 1)")
            if _close(x, everyone[seg]) and not _close(everyone[seg], want):
                raise Incorrect(
                    f"{seg!r}: keep the primary arm only; canary-arm requests were decided by "
                    "the canary release, not by the champion"
                )
            raise Incorrect(f"the flip rate for {seg!r} is too {'high' if x > want else 'low'}")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        right = self.expected(ctx)
        pairs = _pairs(ctx)
        seg = pairs["segment"].astype(str)
        counts = {k: float(v) for k, v in pairs.groupby(seg)["flipped"].sum().items()}
        share_of_flips = {k: v / max(sum(counts.values()), 1) for k, v in counts.items()}
        a2d = (pairs["decision"].astype(str) == "approve") & (
            pairs["shadow_decision"].astype(str) == "decline"
        )
        approve_to_decline = {k: float(v) for k, v in a2d.groupby(seg).mean().items()}
        everyone = _flip_by_segment(_pairs(ctx, primary_only=False))
        out = [counts, share_of_flips, approve_to_decline, everyone]
        return [w for w in out if any(not _close(w.get(k, math.nan), v) for k, v in right.items())]


# --------------------------------------------------------------------------- Q3: latency


def _latency(pairs: pd.DataFrame, q: float = 0.99, col: str = "shadow_latency_ms") -> tuple:
    return (float(pairs["duration_ms"].quantile(q)), float(pairs[col].quantile(q)))


class ShadowLatency(Question):
    title = "primary p99 and shadow p99"
    hints = (
        "Two clocks: the primary's server-side time (what applicants wait for, the SLO's) and "
        "the shadow's time from being queued to being scored (what nobody waits for). Use the "
        "pairs of Question 2.",
        "The 0.99 quantile of pairs['duration_ms'] and of pairs['latency_ms'] (the shadow "
        "table's column; score_ms is only the worker's batch time). Answer (primary_p99_ms, "
        "shadow_p99_ms).",
    )
    solution_code = """\
primary_p99_ms = float(pairs["duration_ms"].quantile(0.99))
shadow_p99_ms = float(pairs["latency_ms"].quantile(0.99))"""
    requires = ("log", "shadow")

    def expected(self, ctx: Mapping[str, Any]) -> tuple[float, float]:
        return _latency(_pairs(ctx))

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        a, b = as_pair(answer, ("primary_p99_ms", "shadow_p99_ms"))
        for v, name in ((a, "primary_p99_ms"), (b, "shadow_p99_ms")):
            if not is_number(v):
                raise Incorrect(f"{name} should be a number (ms), got {_kind(v)}")
        a, b = float(a), float(b)
        pairs = _pairs(ctx)
        want_a, want_b = expected
        if _close(a, want_b, 1e-6) and _close(b, want_a, 1e-6):
            raise Incorrect("the two values are swapped: (primary, shadow)")
        if not _close(a, want_a, 1e-6):
            if _close(a, _latency(pairs, 0.95)[0]):
                raise Incorrect("primary_p99_ms looks like a p95; use the 0.99 quantile")
            if _close(a, want_a / 1000):
                raise Incorrect("primary_p99_ms looks like seconds; give milliseconds")
            if _close(a, want_a, 5e-3):
                raise Incorrect(_NEAR_MISS.format(name="primary_p99_ms"))
            raise Incorrect(f"primary_p99_ms is too {'high' if a > want_a else 'low'}")
        if not _close(b, want_b, 1e-6):
            if _close(b, _latency(pairs, col="shadow_score_ms")[1]):
                raise Incorrect(
                    "shadow_p99_ms looks like score_ms (the worker's batch time); the shadow's "
                    "answer lands after its queue and batching too: latency_ms"
                )
            if _close(b, _latency(pairs, 0.95)[1]):
                raise Incorrect("shadow_p99_ms looks like a p95; use the 0.99 quantile")
            if _close(b, want_b, 5e-3):
                raise Incorrect(_NEAR_MISS.format(name="shadow_p99_ms"))
            raise Incorrect(f"shadow_p99_ms is too {'high' if b > want_b else 'low'}")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        pairs = _pairs(ctx)
        right = self.expected(ctx)
        return distinct(
            right,
            [
                (right[1], right[0]),
                _latency(pairs, 0.95),
                (right[0], _latency(pairs, col="shadow_score_ms")[1]),
                (float(pairs["duration_ms"].mean()), float(pairs["shadow_latency_ms"].mean())),
            ],
            tol=1e-9,
        )


# --------------------------------------------------------------------------- Q4: no traffic


def _live_verdict(ctx: Mapping[str, Any]) -> rollout.Verdict:
    log = ctx["log"]

    def compute() -> rollout.Verdict:
        arm = log["arm"].astype(str)
        return rollout.analyze(
            log[arm == "primary"],
            log[arm == "canary"],
            guardrails=scenario.POLICY,
            reference_model=ctx["champion"],
        )

    return memo("week09-live", (log, ctx["champion"]), compute)


class NoTrafficTrap(Question):
    title = "the live canary: promote, hold or roll back?"
    hints = (
        "The canary has made real decisions for a few minutes, and none of them looks wrong. "
        "How many decisions does each guardrail need before it can say anything?",
        "rollout.analyze(champion_arm, canary_arm, guardrails=POLICY, reference_model=champion) "
        "on the log's two arms (column 'arm'); answer its decision and read the first reason.",
    )
    solution_code = """\
champion_arm = log[log["arm"] == "primary"]
canary_arm = log[log["arm"] == "canary"]
live_verdict = rollout.analyze(champion_arm, canary_arm, guardrails=POLICY,
                               reference_model=champion)
live_call = live_verdict.decision"""
    requires = ("log", "champion")

    def expected(self, ctx: Mapping[str, Any]) -> str:
        return _live_verdict(ctx).decision

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        text = as_text(answer, "a verdict").lower()
        if text == "promote" and expected == "hold":
            raise Incorrect(
                "nothing failed because nothing could be judged: too few canary decisions is "
                "inconclusive, never a promote (the no-traffic trap)"
            )
        if text == "rollback" and expected == "hold":
            raise Incorrect(
                "no guardrail failed with enough evidence; inconclusive means keep it running"
            )
        expect_choice(text, expected, choices=_VERDICTS, what="that verdict")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        right = self.expected(ctx)
        return [v for v in _VERDICTS if v != right]


# --------------------------------------------------------------------------- Q5: AUC


def _scored(ctx: Mapping[str, Any]) -> pd.DataFrame:
    """The historical applications the PD decides: those passing the knock-out rules."""
    hist = ctx["history"]
    return memo("week09-scored", (hist,), lambda: hist[hist["approved_policy"].astype(bool)])


def _aucs(ctx: Mapping[str, Any], *, everyone: bool = False) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    frame = ctx["history"] if everyone else _scored(ctx)
    models = {"champion": ctx["champion"], **_models(ctx)}

    def compute() -> dict[str, float]:
        y = frame["defaulted"].to_numpy()
        return {
            v: float(roc_auc_score(y, np.asarray(m.predict_pd(frame), dtype=float)))
            for v, m in models.items()
        }

    return memo(f"week09-auc-{everyone}", (frame, *models.values()), compute)


class BetterRankers(Question):
    title = "which releases rank better than the champion"
    hints = (
        "Ranking is what AUC measures: does a defaulter get a higher PD than a good payer? "
        "Use `scored`, the historical applications the PD decides (they pass the knock-out "
        "rules); this synthetic world knows their outcomes.",
        "sklearn.metrics.roc_auc_score with the outcome ('defaulted') and each model's "
        "predict_pd on `scored`, for the champion and every release; answer a set of release "
        "versions (not the champion itself).",
    )
    solution_code = """\
auc = {name: roc_auc_score(scored["defaulted"], model.predict_pd(scored))
       for name, model in {"champion": champion, **releases}.items()}
print(pd.Series(auc).round(4).to_string())
better_rankers = {v for v in releases if auc[v] > auc["champion"]}"""
    requires = ("history", "champion", "releases")

    def expected(self, ctx: Mapping[str, Any]) -> set[str]:
        auc = _aucs(ctx)
        return {v for v in _models(ctx) if auc[v] > auc["champion"]}

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        if isinstance(answer, str):
            answer = [answer]
        expect_set(answer, expected, what="your set of releases")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        auc = _aucs(ctx)
        releases = list(_models(ctx))
        right = self.expected(ctx)
        best = max(releases, key=auc.get)
        everyone = _aucs(ctx, everyone=True)
        on_everyone = {v for v in releases if everyone[v] > everyone["champion"]}
        out = [set(releases), {best}, set(releases) - right, set(), on_everyone]
        seen = []
        for w in out:
            if w != right and w not in seen:
                seen.append(w)
        return seen


# --------------------------------------------------------------------------- Q6: calibration


def _calibration(ctx: Mapping[str, Any], *, everyone: bool = False) -> dict[str, float]:
    frame = ctx["history"] if everyone else _scored(ctx)
    models = _models(ctx)

    def compute() -> dict[str, float]:
        realised = float(frame["defaulted"].mean())
        return {
            v: float(np.asarray(m.predict_pd(frame), dtype=float).mean() / realised)
            for v, m in models.items()
        }

    return memo(f"week09-calibration-{everyone}", (frame, *models.values()), compute)


class CalibrationInTheLarge(Question):
    title = "predicted over realised default rate"
    hints = (
        "A calibrated model's average PD matches the share that actually defaulted, on the "
        "applications it decides. Divide one by the other for each release: 1 is calibrated, "
        "below 1 understates the risk.",
        "Two means on `scored` (not the whole history: knock-out declines are not the PD's to "
        "decide): of each release's predict_pd, and of the outcome 'defaulted'. Predicted on "
        "top; a dict {version: ratio}.",
    )
    solution_code = """\
realised = scored["defaulted"].mean()
calibration = {v: float(model.predict_pd(scored).mean() / realised)
               for v, model in releases.items()}
print(pd.Series(calibration).round(3).to_string())"""
    requires = ("history", "releases")

    def expected(self, ctx: Mapping[str, Any]) -> dict[str, float]:
        return _calibration(ctx)

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        got = _as_float_map(answer, list(expected), "version: ratio")
        realised = float(_scored(ctx)["defaulted"].mean())
        everyone = _calibration(ctx, everyone=True)
        for v, want in expected.items():
            x = got[v]
            if _close(x, want, 1e-6):
                continue
            if _close(x, everyone[v], 1e-6):
                raise Incorrect(
                    f"{v!r}: that is over every application; the knock-out rules decline some "
                    "whatever the PD, so use `scored`, the ones the PD decides"
                )
            if want and _close(x, 1 / want, 1e-6):
                raise Incorrect(f"{v!r}: that is realised over predicted; divide the other way")
            if _close(x, want * realised - realised, 1e-6):
                raise Incorrect(f"{v!r}: that is a difference; the question asks for a ratio")
            if _close(x, want, 5e-3):
                raise Incorrect(_NEAR_MISS.format(name=f"the ratio for {v!r}"))
            raise Incorrect(f"the ratio for {v!r} is too {'high' if x > want else 'low'}")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        right = self.expected(ctx)
        realised = float(_scored(ctx)["defaulted"].mean())
        return [
            {v: 1 / r for v, r in right.items()},
            {v: r * realised - realised for v, r in right.items()},
            {v: 1.0 for v in right},  # "every release is calibrated"
            _calibration(ctx, everyone=True),
        ]


# --------------------------------------------------------------------------- Q7: one segment


def _comparisons(ctx: Mapping[str, Any]) -> dict[str, rollout.Comparison]:
    hist, champion = ctx["history"], ctx["champion"]
    models = _models(ctx)
    s = scenario.SETTINGS

    def compute() -> dict[str, rollout.Comparison]:
        return {
            v: rollout.compare(
                champion, m, hist, cutoff=s["cutoff"], review_margin=s["review_margin"]
            )
            for v, m in models.items()
        }

    return memo("week09-compare", (hist, champion, *models.values()), compute)


def _segment_table(ctx: Mapping[str, Any], column: str) -> pd.Series:
    comps = _comparisons(ctx)
    table = pd.concat({v: c.by_segment[column] for v, c in comps.items()})
    table.index = pd.MultiIndex.from_tuples(
        [(str(v), str(s)) for v, s in table.index], names=["version", "segment"]
    )
    return table


class SegmentHarm(Question):
    title = "which release harms one segment"
    hints = (
        "The overall approval rate can hide a segment: replay each release on the historical "
        "applications and look at the approval-rate change segment by segment.",
        "rollout.compare(champion, model, history, cutoff=CUTOFF, review_margin=MARGIN) per "
        "release; stack their .by_segment['approval_delta'] and take the (version, segment) "
        "with the largest drop (idxmin).",
    )
    solution_code = """\
comparisons = {v: rollout.compare(champion, model, history, cutoff=CUTOFF, review_margin=MARGIN)
               for v, model in releases.items()}
approval_delta = pd.concat({v: c.by_segment["approval_delta"] for v, c in comparisons.items()})
harmed = approval_delta.idxmin()  # (version, segment)
print(harmed)"""
    requires = ("history", "champion", "releases")

    def expected(self, ctx: Mapping[str, Any]) -> tuple[str, str]:
        return tuple(_segment_table(ctx, "approval_delta").idxmin())

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        version, segment = as_pair(answer, ("version", "segment"), kind="names")
        version = as_text(version, "the version")
        segment = as_text(segment, "the segment").lower()
        releases = list(_models(ctx))
        if version not in releases:
            raise Incorrect(f"{version!r} is not a release: use one of {releases}")
        segments = sorted({s for _, s in _segment_table(ctx, "n").index})
        if segment not in segments:
            raise Incorrect(f"{segment!r} is not a segment: use one of {segments}")
        if (version, segment) == tuple(expected):
            return
        delta = _segment_table(ctx, "approval_delta")
        if delta[(version, segment)] > 0:
            raise Incorrect(
                f"{segment!r} gains approvals under {version!r}; harm is a drop in approvals"
            )
        if version == expected[0]:
            raise Incorrect(f"right release, but {segment!r} is not the segment it hurts most")
        comps = _comparisons(ctx)
        if comps[version].flip_rate >= max(c.flip_rate for c in comps.values()):
            raise Incorrect(
                f"{version!r} flips the most decisions, but flips go both ways; look for the "
                "largest drop in one segment's approval rate"
            )
        raise Incorrect(f"({version!r}, {segment!r}) is not the largest drop")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        right = self.expected(ctx)
        delta = _segment_table(ctx, "approval_delta")
        flips = _segment_table(ctx, "flip_rate")
        out = [
            tuple(delta.idxmax()),  # the largest change, which is a gain
            tuple(flips.idxmax()),  # the most flips
            tuple(delta.abs().idxmax()),
            (right[0], next(s for s in ("prime", "near_prime") if s != right[1])),
        ]
        seen = []
        for w in out:
            if w != tuple(right) and w not in seen:
                seen.append(w)
        return seen


# --------------------------------------------------------------------------- Q8: go / no-go


def _verdicts(ctx: Mapping[str, Any]) -> dict[str, rollout.Verdict]:
    canaries, champion = ctx["canaries"], ctx["champion"]

    def compute() -> dict[str, rollout.Verdict]:
        return {
            v: rollout.analyze(base, can, guardrails=scenario.POLICY, reference_model=champion)
            for v, (base, can) in canaries.items()
        }

    arms = tuple(frame for pair in canaries.values() for frame in pair)
    return memo("week09-verdicts", (*arms, champion), compute)


def _failed(verdict: rollout.Verdict) -> list[str]:
    return [j.name for j in verdict.judgements if j.classification in ("High", "Low")]


def _failed_critical(verdict: rollout.Verdict) -> list[str]:
    return [
        j.name for j in verdict.judgements if j.critical and j.classification in ("High", "Low")
    ]


def _nodata(verdict: rollout.Verdict) -> list[str]:
    return [j.name for j in verdict.judgements if j.classification == "Nodata"]


def _read_call(value: Any, version: str) -> tuple[str, str | None]:
    if isinstance(value, str):
        decision, reason = value, None
    else:
        decision, reason = as_pair(value, ("decision", "guardrail"), kind="values")
    decision = as_text(decision, f"the decision for {version!r}").lower()
    if decision not in _VERDICTS:
        raise Incorrect(f"{decision!r} (for {version!r}) is not one of {_VERDICTS}")
    if reason is not None:
        reason = as_text(reason, f"the guardrail for {version!r}").lower()
        if reason in ("", "none"):
            reason = None
    return decision, reason


class GoNoGo(Question):
    title = "go / no-go on the four releases"
    hints = (
        "Judge each release on its canary the way the release train does, against the "
        "champion arm, under POLICY, pricing approvals with the champion's PDs. A rollback "
        "names the guardrail that failed; a promote names none.",
        "rollout.analyze per version, with the options the question names; the Verdict has "
        "a decision and judgements (name, classification, critical). A rollback's reason is a "
        "critical guardrail judged 'High' or 'Low' (POLICY.critical lists them).",
    )
    solution_code = """\
verdicts = {v: rollout.analyze(base, can, guardrails=POLICY, reference_model=champion)
            for v, (base, can) in canaries.items()}
calls = {}
for v, verdict in verdicts.items():
    failed = [j.name for j in verdict.judgements
              if j.critical and j.classification in ("High", "Low")]
    calls[v] = (verdict.decision, failed[0] if failed else None)"""
    requires = ("canaries", "champion", "releases", "history")

    def expected(self, ctx: Mapping[str, Any]) -> dict[str, tuple[str, str | None]]:
        out = {}
        for v, verdict in _verdicts(ctx).items():
            failed = _failed_critical(verdict) or _failed(verdict)
            out[v] = (verdict.decision, failed[0] if failed else None)
        return out

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        answer = _mapping(answer, list(expected), "version: (decision, guardrail)")
        verdicts = _verdicts(ctx)
        auc = _aucs(ctx)
        for v, (want, _) in expected.items():
            decision, reason = _read_call(answer[v], v)
            verdict = verdicts[v]
            failed = _failed(verdict)
            if decision != want:
                if decision == "promote" and want == "rollback":
                    if "p99_latency_ms" in failed and not (
                        set(failed) - {"p99_latency_ms", "error_rate"}
                    ):
                        raise Incorrect(
                            f"{v!r} passes every business guardrail, but a release is also "
                            "its latency: read the technical guardrails"
                        )
                    if "segment_approval" in failed and "approval_rate" not in failed:
                        raise Incorrect(
                            f"{v!r}: the overall approval rate barely moved, but one "
                            "segment's did: read segment_approval"
                        )
                    if auc[v] > auc["champion"]:
                        raise Incorrect(
                            f"{v!r} ranks better than the champion, but a better ranking is "
                            "not a safer release: its PDs decide who is approved"
                        )
                if decision == "rollback" and want == "promote":
                    raise Incorrect(
                        f"{v!r}: decisions flip whenever a model changes; flips are expected. "
                        "Roll back on a failed guardrail, and none failed"
                    )
                if decision == "promote" and want == "hold":
                    raise Incorrect(f"{v!r}: inconclusive evidence is a hold, never a promote")
                raise Incorrect(f"the call for {v!r} is not the one its canary supports")
            if reason is None:
                if want == "rollback":
                    raise Incorrect(f"name the guardrail that failed for {v!r}")
                continue
            if reason not in GUARDRAIL_NAMES:
                raise Incorrect(
                    f"{reason!r} (for {v!r}) is not a guardrail: use one of {GUARDRAIL_NAMES}"
                )
            if want == "promote":
                raise Incorrect(f"{v!r} is promoted: no guardrail failed, answer None")
            allowed = failed if want == "rollback" else failed + _nodata(verdict)
            if reason not in allowed:
                raise Incorrect(f"{reason!r} passed for {v!r}; which guardrail failed?")
            critical = _failed_critical(verdict)
            if want == "rollback" and critical and reason not in critical:
                raise Incorrect(
                    f"{reason!r} failed for {v!r}, but it is not critical: on its own it would "
                    "not roll the release back. Name the critical guardrail that did "
                    "(POLICY.critical)"
                )

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        right = self.expected(ctx)
        auc = _aucs(ctx)
        verdicts = _verdicts(ctx)
        business_only = {}
        for v, verdict in verdicts.items():
            failed = [f for f in _failed(verdict) if f not in ("p99_latency_ms", "error_rate")]
            business_only[v] = ("rollback", failed[0]) if failed else ("promote", None)
        by_auc = {v: ("promote", None) if auc[v] > auc["champion"] else right[v] for v in right}
        overall_only = {
            v: ("promote", None) if f == ["segment_approval"] else right[v]
            for v, f in ((v, _failed(verdicts[v])) for v in right)
        }
        flips_rollback = {
            v: ("rollback", "approval_rate") if d == "promote" else right[v]
            for v, (d, _) in right.items()
        }
        wrong_reason = {
            v: (d, "approval_rate" if r != "approval_rate" else "p99_latency_ms")
            if d == "rollback"
            else (d, r)
            for v, (d, r) in right.items()
        }
        non_critical = {
            v: (d, next(f for f in _failed(verdicts[v]) if f not in _failed_critical(verdicts[v])))
            if d == "rollback"
            and _failed_critical(verdicts[v])
            and set(_failed(verdicts[v])) - set(_failed_critical(verdicts[v]))
            else (d, r)
            for v, (d, r) in right.items()
        }
        out = [
            {v: ("promote", None) for v in right},
            non_critical,
            by_auc,
            overall_only,
            business_only,
            flips_rollback,
            wrong_reason,
        ]
        seen = []
        for w in out:
            if w != right and w not in seen:
                seen.append(w)
        return seen


_week = Week(
    "week09",
    [
        ModeForSituation(),
        ShadowFlipBySegment(),
        ShadowLatency(),
        NoTrafficTrap(),
        BetterRankers(),
        CalibrationInTheLarge(),
        SegmentHarm(),
        GoNoGo(),
    ],
    build_context=scenario.build_context,
)
bind = _week.bind
q1, q2, q3, q4, q5, q6, q7, q8 = _week.questions
