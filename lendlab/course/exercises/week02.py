"""Week 2 — Ranking vs calibration: graded questions.

The lab (``solutions/week02_ranking_vs_calibration.ipynb``) back-tests two credit models on
matured loans: the champion points scorecard and a gradient-boosted challenger that was
promoted with "+3 AUC points" but whose PDs are systematically low. The questions check
ranking metrics (Gini, KS), PR-AUC vs ROC-AUC at different bad rates, calibration (ECE), what
the challenger does at the champion's cutoff, an approval-matched cutoff, Platt recalibration
and a threshold-vs-model triage.

In the lab::

    from lendlab.course.exercises import week02 as ex
    ex.bind(test=test, calibrate=calibrate, cutoff=cutoff)
    ex.q1.check(champion_gini)

The lab's world (the split, both models, the resampled back-tests and the replays) is
:mod:`lendlab.course.scenarios.week02`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from lendlab import metrics
from lendlab.course.exercises.answers import as_number
from lendlab.course.exercises.checks import (
    Incorrect,
    Question,
    Week,
    expect_choice,
    expect_frame,
    expect_number,
)
from lendlab.course.scenarios import week02 as scenario

__all__ = ["TRIAGE_AUC_DROP", "bind", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8"]

#: The runbook rule: a back-test AUC drop of more than this means the ranking broke.
TRIAGE_AUC_DROP = 0.02

#: Absolute tolerance for answers a learner may round to three decimals.
_ROUNDED = 6e-4


# --------------------------------------------------------------------------- shared helpers


def _y(frame: pd.DataFrame) -> np.ndarray:
    return frame["defaulted"].to_numpy()


def _far(candidates: list, expected: float, *, atol: float) -> list:
    """Keep the plausible wrong numbers that a tolerance of ``atol`` cannot mistake for right."""
    return [float(c) for c in candidates if abs(float(c) - float(expected)) > 2 * atol]


def _platt_pd(ctx: Mapping[str, Any]) -> np.ndarray:
    """Challenger PDs on the test loans after Platt scaling fitted on the calibration split."""
    cal = ctx["calibrate"]
    platt = LogisticRegression().fit(scenario.logit(cal["pd_challenger"]).reshape(-1, 1), _y(cal))
    return platt.predict_proba(scenario.logit(ctx["test"]["pd_challenger"]).reshape(-1, 1))[:, 1]


def _ks_at_cutoff(y: np.ndarray, pd_: np.ndarray, cutoff: float) -> float:
    declined = pd_ >= cutoff
    return float(declined[y == 1].mean() - declined[y == 0].mean())


# --------------------------------------------------------------------------- questions


class Q1(Question):
    title = "champion Gini on the back-test"
    requires = ("test",)
    hints = (
        "Credit teams quote Gini, not AUC. It rescales AUC so that a coin flip scores 0 and a "
        "perfect ranking scores 1. Use the champion's PD and the matured outcome.",
        "champion_gini = metrics.gini(test['defaulted'], test['pd_champion'])  "
        "(the same as 2 * metrics.roc_auc(...) - 1). A fraction, not a percent.",
    )
    solution_code = """\
champion_gini = metrics.gini(test["defaulted"], test["pd_champion"])"""

    def expected(self, ctx):
        test = ctx["test"]
        return metrics.gini(_y(test), test["pd_champion"])

    def compare(self, answer, expected, ctx):
        expect_number(answer, expected, atol=self.atol, what="the Gini")

    #: 2 * AUC - 1 from an AUC rounded to three decimals is off by up to 0.001.
    atol = 1.1e-3

    def wrong_answers(self, ctx):
        test = ctx["test"]
        e = self.expected(ctx)
        auc = metrics.roc_auc(_y(test), test["pd_champion"])
        # points are higher = safer: forgetting higher_is_riskier=False flips the sign
        backwards = metrics.gini(_y(test), test["score_champion"])
        ks = metrics.ks_statistic(_y(test), test["pd_champion"])
        return _far([auc, backwards, ks, 2 * auc], e, atol=self.atol)


class Q2(Question):
    title = "champion KS on the back-test"
    requires = ("test", "cutoff")
    hints = (
        "KS is the largest vertical gap between the cumulative score distributions of goods "
        "and bads: the biggest gap anywhere on the curve, not the gap at the cutoff.",
        "champion_ks = metrics.ks_statistic(test['defaulted'], test['pd_champion']); on the "
        "points score it is the same number (KS does not care about the score's direction).",
    )
    solution_code = """\
champion_ks = metrics.ks_statistic(test["defaulted"], test["pd_champion"])"""

    def expected(self, ctx):
        test = ctx["test"]
        return metrics.ks_statistic(_y(test), test["pd_champion"])

    def compare(self, answer, expected, ctx):
        value = as_number(answer, "the KS")
        test = ctx["test"]
        gap = _ks_at_cutoff(_y(test), test["pd_champion"].to_numpy(), ctx["cutoff"])
        if abs(value - gap) <= _ROUNDED < abs(expected - gap):
            raise Incorrect("that is the gap at the cutoff; KS is the largest gap over all scores")
        expect_number(value, expected, atol=_ROUNDED, what="the KS")

    def wrong_answers(self, ctx):
        test = ctx["test"]
        e = self.expected(ctx)
        gap = _ks_at_cutoff(_y(test), test["pd_champion"].to_numpy(), ctx["cutoff"])
        gini = metrics.gini(_y(test), test["pd_champion"])
        auc = metrics.roc_auc(_y(test), test["pd_champion"])
        return _far([gap, gini, auc], e, atol=_ROUNDED)


class Q3(Question):
    title = "ROC-AUC and PR-AUC at three bad rates"
    requires = ("samples",)
    hints = (
        "For each resampled back-test (5%, 10%, 20% bad) compute the bad rate, the ROC-AUC and "
        "the PR-AUC of the champion, one row per sample, in that order.",
        "rows = [{'bad_rate': s['defaulted'].mean(), 'roc_auc': metrics.roc_auc(s['defaulted'], "
        "s['pd_champion']), 'pr_auc': metrics.pr_auc(s['defaulted'], s['pd_champion'])} for s in "
        "samples.values()]; base_rate_table = pd.DataFrame(rows)",
    )
    solution_code = """\
base_rate_table = pd.DataFrame(
    [
        {
            "bad_rate": s["defaulted"].mean(),
            "roc_auc": metrics.roc_auc(s["defaulted"], s["pd_champion"]),
            "pr_auc": metrics.pr_auc(s["defaulted"], s["pd_champion"]),
        }
        for s in samples.values()
    ],
    index=[f"{rate:.0%} bad" for rate in samples],
)"""

    def _table(self, ctx, *, positive_is_good: bool = False) -> pd.DataFrame:
        rows = []
        for s in ctx["samples"].values():
            y, p = _y(s), s["pd_champion"].to_numpy()
            if positive_is_good:  # "precision of approvals": goods as the positive class
                pr = metrics.pr_auc(1 - y, 1 - p)
            else:
                pr = metrics.pr_auc(y, p)
            rows.append({"bad_rate": y.mean(), "roc_auc": metrics.roc_auc(y, p), "pr_auc": pr})
        return pd.DataFrame(rows, index=list(ctx["samples"]))

    def expected(self, ctx):
        return self._table(ctx)

    def compare(self, answer, expected, ctx):
        if (
            isinstance(answer, pd.DataFrame)
            and "pr_auc" in answer.columns
            and len(answer) == len(expected)
            and pd.api.types.is_numeric_dtype(answer["pr_auc"])
        ):
            got = answer["pr_auc"].to_numpy(dtype=float)
            goods = self._table(ctx, positive_is_good=True)["pr_auc"].to_numpy()
            right = expected["pr_auc"].to_numpy()
            if np.allclose(got, goods, atol=_ROUNDED) and not np.allclose(
                got, right, atol=_ROUNDED
            ):
                raise Incorrect(
                    "pr_auc treats the goods as the positive class; a credit PR curve is "
                    "about catching bads (1 = bad, higher PD = riskier)"
                )
        expect_frame(answer, expected, atol=_ROUNDED, what="base_rate_table")

    def wrong_answers(self, ctx):
        right = self._table(ctx)
        swapped = right.rename(columns={"roc_auc": "pr_auc", "pr_auc": "roc_auc"})
        percent = right.assign(bad_rate=100 * right["bad_rate"])
        return [self._table(ctx, positive_is_good=True), swapped, percent]


class Q4(Question):
    title = "challenger expected calibration error"
    requires = ("test",)
    hints = (
        "ECE bands the PDs, compares the mean PD with the observed bad rate in each band, and "
        "averages the absolute gaps weighted by loans. It is about the challenger this time.",
        "challenger_ece = metrics.expected_calibration_error(test['defaulted'], "
        "test['pd_challenger'])  (10 equal-width bands, the default).",
    )
    solution_code = """\
challenger_ece = metrics.expected_calibration_error(test["defaulted"], test["pd_challenger"])"""

    def expected(self, ctx):
        test = ctx["test"]
        return metrics.expected_calibration_error(_y(test), test["pd_challenger"])

    def compare(self, answer, expected, ctx):
        expect_number(answer, expected, atol=_ROUNDED, what="the ECE")

    def wrong_answers(self, ctx):
        test = ctx["test"]
        y = _y(test)
        e = self.expected(ctx)
        champion = metrics.expected_calibration_error(y, test["pd_champion"])
        brier = metrics.brier_score(y, test["pd_challenger"])
        signed = float(test["pd_challenger"].mean() - y.mean())  # mean PD minus bad rate
        return _far([champion, brier, signed], e, atol=_ROUNDED)


class Q5(Question):
    title = "the challenger at the champion's cutoff"
    requires = ("test", "cutoff")
    hints = (
        "Apply the same PD cutoff to the challenger's PDs. The bad rate that matters is among "
        "the loans it would approve, not over every loan in the back-test.",
        "challenger_at_cutoff = (metrics.approval_rate(test['pd_challenger'], cutoff=cutoff), "
        "metrics.bad_rate_among_approved(test['defaulted'], test['pd_challenger'], "
        "cutoff=cutoff))",
    )
    solution_code = """\
challenger_at_cutoff = (
    metrics.approval_rate(test["pd_challenger"], cutoff=cutoff),
    metrics.bad_rate_among_approved(test["defaulted"], test["pd_challenger"], cutoff=cutoff),
)"""

    def _pair(self, ctx, column: str) -> tuple[float, float]:
        test, cutoff = ctx["test"], ctx["cutoff"]
        return (
            metrics.approval_rate(test[column], cutoff=cutoff),
            metrics.bad_rate_among_approved(_y(test), test[column], cutoff=cutoff),
        )

    def expected(self, ctx):
        return self._pair(ctx, "pd_challenger")

    def compare(self, answer, expected, ctx):
        if isinstance(answer, (str, bytes)) or not isinstance(
            answer, (tuple, list, np.ndarray, pd.Series)
        ):
            raise Incorrect(
                "expected two numbers (approval rate, bad rate among approved) as a tuple, "
                f"got {type(answer).__name__ if answer is not None else 'None'}"
            )
        if len(answer) != 2:
            raise Incorrect(f"expected two numbers (approval rate, bad rate), got {len(answer)}")
        approval, bad = (as_number(a, "each value") for a in answer)
        champ = self._pair(ctx, "pd_champion")
        if (
            abs(approval - champ[0]) <= _ROUNDED
            and abs(bad - champ[1]) <= _ROUNDED
            and abs(expected[0] - champ[0]) > _ROUNDED
        ):
            raise Incorrect("those are the champion's numbers; score with pd_challenger")
        all_loans = float(_y(ctx["test"]).mean())
        if abs(bad - all_loans) <= _ROUNDED < abs(expected[1] - all_loans):
            raise Incorrect(
                "the bad rate is over every back-test loan; take it among the approved only"
            )
        expect_number(approval, expected[0], atol=_ROUNDED, what="the approval rate")
        expect_number(bad, expected[1], atol=_ROUNDED, what="the bad rate among approved")

    def wrong_answers(self, ctx):
        right = self.expected(ctx)
        candidates = [
            self._pair(ctx, "pd_champion"),
            (right[0], float(_y(ctx["test"]).mean())),
            (right[1], right[0]),
        ]
        return [
            c
            for c in candidates
            if max(abs(a - b) for a, b in zip(c, right, strict=True)) > 2 * _ROUNDED
        ]


class Q6(Question):
    title = "challenger cutoff that keeps the champion's approval rate"
    requires = ("test", "cutoff")
    hints = (
        "If the challenger must approve the same share as the champion, its cutoff is the PD "
        "below which that share of the challenger's PDs fall: a quantile, not the old cutoff.",
        "target = metrics.approval_rate(test['pd_champion'], cutoff=cutoff); matched_cutoff = "
        "float(np.quantile(test['pd_challenger'], target))",
    )
    solution_code = """\
target = metrics.approval_rate(test["pd_champion"], cutoff=cutoff)
matched_cutoff = float(np.quantile(test["pd_challenger"], target))"""

    def _target(self, ctx) -> float:
        return metrics.approval_rate(ctx["test"]["pd_champion"], cutoff=ctx["cutoff"])

    def _atol(self, ctx) -> float:
        # 0.2 points of approval rate, or two loans, or the block of loans that share the PD
        # at the quantile (tree models give tied PDs; no cutoff can split a tie)
        pd_ch = ctx["test"]["pd_challenger"].to_numpy()
        at = np.quantile(pd_ch, self._target(ctx))
        nearest = pd_ch[np.argmin(np.abs(pd_ch - at))]
        tie_share = float(np.mean(pd_ch == nearest))
        return max(0.002, 2.0 / len(pd_ch), tie_share + 1.0 / len(pd_ch))

    def expected(self, ctx):
        return float(np.quantile(ctx["test"]["pd_challenger"], self._target(ctx)))

    def compare(self, answer, expected, ctx):
        value = as_number(answer, "the cutoff")
        if not 0.0 <= value <= 1.0:
            raise Incorrect(
                "a PD cutoff lies between 0 and 1 (give a fraction, not a percent or points)"
            )
        reached = metrics.approval_rate(ctx["test"]["pd_challenger"], cutoff=value)
        target = self._target(ctx)
        if abs(reached - target) > self._atol(ctx):
            side = "more" if reached > target else "fewer"
            raise Incorrect(
                f"at that cutoff the challenger approves {side} applications than the champion "
                "does at its cutoff"
            )

    def wrong_answers(self, ctx):
        pd_ch = ctx["test"]["pd_challenger"]
        target = self._target(ctx)
        candidates = [float(ctx["cutoff"]), float(np.quantile(pd_ch, 1 - target))]
        return [
            c
            for c in candidates
            if abs(metrics.approval_rate(pd_ch, cutoff=c) - target) > 2 * self._atol(ctx)
        ]


class Q7(Question):
    title = "approval rate after Platt recalibration"
    requires = ("test", "calibrate", "cutoff")
    hints = (
        "Fit a one-feature logistic regression from the challenger's log-odds to the outcome "
        "on the calibration split (never the test split), apply it to the test PDs, then "
        "apply the risk team's cutoff.",
        "platt = LogisticRegression().fit(logit(calibrate['pd_challenger']).reshape(-1, 1), "
        "calibrate['defaulted']); pd_platt = platt.predict_proba(logit(test['pd_challenger'])"
        ".reshape(-1, 1))[:, 1]; approval_after_platt = metrics.approval_rate(pd_platt, "
        "cutoff=cutoff)",
    )
    solution_code = """\
platt = LogisticRegression().fit(
    logit(calibrate["pd_challenger"]).reshape(-1, 1), calibrate["defaulted"]
)
pd_platt = platt.predict_proba(logit(test["pd_challenger"]).reshape(-1, 1))[:, 1]
approval_after_platt = metrics.approval_rate(pd_platt, cutoff=cutoff)"""

    #: Platt with or without regularisation, or rounding, lands within this.
    atol = 0.004

    def expected(self, ctx):
        return metrics.approval_rate(_platt_pd(ctx), cutoff=ctx["cutoff"])

    def compare(self, answer, expected, ctx):
        value = as_number(answer, "the approval rate")
        raw = metrics.approval_rate(ctx["test"]["pd_challenger"], cutoff=ctx["cutoff"])
        if abs(value - raw) <= self.atol < abs(expected - raw):
            raise Incorrect(
                "that is the challenger before recalibration; apply the cutoff to the "
                "recalibrated PDs"
            )
        expect_number(value, expected, atol=self.atol, what="the approval rate")

    def wrong_answers(self, ctx):
        test, cal, cutoff = ctx["test"], ctx["calibrate"], ctx["cutoff"]
        e = self.expected(ctx)
        raw = metrics.approval_rate(test["pd_challenger"], cutoff=cutoff)
        # Platt fitted on the raw PD instead of its log-odds: a different (worse) curve
        on_raw = LogisticRegression().fit(cal[["pd_challenger"]].to_numpy(), _y(cal))
        pd_raw_fit = on_raw.predict_proba(test[["pd_challenger"]].to_numpy())[:, 1]
        champion = metrics.approval_rate(test["pd_champion"], cutoff=cutoff)
        candidates = [raw, metrics.approval_rate(pd_raw_fit, cutoff=cutoff), champion]
        return _far(candidates, e, atol=self.atol)


class Q8(Question):
    title = "threshold problem or model failure?"
    requires = ("replays",)
    hints = (
        "For each replay compare the AUC before and after. A ranking that still orders risk "
        "(AUC flat or up) while approvals moved is a calibration/cutoff problem: 'threshold' "
        "('calibration' is accepted too). A ranking that fell apart is a model (or input) "
        "failure that no cutoff can fix: 'model'.",
        f"For each name: 'model' if roc_auc(before) - roc_auc(after) > {TRIAGE_AUC_DROP} "
        "(two AUC points), else 'threshold'. Answer a dict, e.g. {'challenger_promotion': ..., "
        "'bureau_join': ..., 'prior_offset': ...}.",
    )
    solution_code = """\
diagnosis = {
    "challenger_promotion": "threshold",
    "bureau_join": "model",
    "prior_offset": "threshold",
}"""
    choices = ("threshold", "model")

    def expected(self, ctx):
        verdicts = {}
        for name, r in ctx["replays"].items():
            y = _y(r)
            drop = metrics.roc_auc(y, r["pd_before"]) - metrics.roc_auc(y, r["pd_after"])
            verdicts[name] = "model" if drop > TRIAGE_AUC_DROP else "threshold"
        return verdicts

    def compare(self, answer, expected, ctx):
        if not isinstance(answer, Mapping):
            kind = type(answer).__name__ if answer is not None else "None"
            raise Incorrect(
                f"expected a dict from replay name to 'threshold' or 'model', got {kind}"
            )
        missing = [k for k in expected if k not in answer]
        if missing:
            raise Incorrect(f"the dict is missing {', '.join(repr(k) for k in missing)}")
        for name in expected:
            given = answer[name]
            if isinstance(given, str) and given.strip().lower() == "calibration":
                given = "threshold"  # the same family: the ranking survived
            try:
                expect_choice(given, expected[name], choices=self.choices)
            except Incorrect as exc:
                raise Incorrect(f"{name}: {exc}") from None

    def wrong_answers(self, ctx):
        e = self.expected(ctx)
        flip = {"threshold": "model", "model": "threshold"}
        blame_new_model = {**e, "challenger_promotion": flip[e["challenger_promotion"]]}
        trust_flat_approvals = {**e, "bureau_join": flip[e["bureau_join"]]}
        everything_model = dict.fromkeys(e, "model")
        wrong = [blame_new_model, trust_flat_approvals]
        if everything_model != e:
            wrong.append(everything_model)
        return wrong


_week = Week(
    "week02",
    [Q1(), Q2(), Q3(), Q4(), Q5(), Q6(), Q7(), Q8()],
)
bind = _week.bind
q1, q2, q3, q4, q5, q6, q7, q8 = _week.questions
