"""Week 2 — Ranking vs calibration: graded questions.

The lab (``solutions/week02_ranking_vs_calibration.ipynb``) back-tests two credit models on an
out-of-time, matured vintage: the champion points scorecard and a gradient-boosted challenger
that was promoted with "+3 AUC points" but whose PDs are systematically low (it learned from
labels read too early). The questions check ranking metrics (Gini, KS), PR-AUC vs ROC-AUC at
different bad rates, calibration (ECE), what the challenger does at the champion's cutoff, an
approval-matched cutoff, Platt recalibration, a triage under the one taxonomy of
:mod:`lendlab.response` and the adverse impact ratio before and after the swap.

Each check names the slips learners make (the AUC where the Gini is asked, KS at the cutoff,
Platt fitted on the back-test, a broken join filed under "model", an inverted AIR, ...).

In the lab::

    from lendlab.course.exercises import week02 as ex
    ex.bind(develop=develop, test=test, calibrate=calibrate, cutoff=cutoff)
    ex.q1.check(champion_gini)

The lab's world (the vintages, both models, the resampled back-tests and the replays) is
:mod:`lendlab.course.scenarios.week02`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from lendlab import metrics
from lendlab.course.exercises.answers import as_number, as_pair, distinct, memo
from lendlab.course.exercises.checks import (
    Incorrect,
    Question,
    Week,
    expect_choice,
    expect_frame,
    expect_number,
)
from lendlab.course.scenarios import week02 as scenario
from lendlab.response import AUC_DROP_RULE, TRIAGE_CLASSES, triage

__all__ = ["bind", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9"]

#: Absolute tolerance for answers a learner may round to three decimals.
_ROUNDED = 6e-4


# --------------------------------------------------------------------------- shared helpers


def _y(frame: pd.DataFrame) -> np.ndarray:
    return frame["defaulted"].to_numpy()


def _far(candidates: list, expected: float, *, atol: float) -> list:
    """Keep the plausible wrong numbers that a tolerance of ``atol`` cannot mistake for right."""
    return distinct(float(expected), [float(c) for c in candidates], tol=2 * atol)


def _name_slip(value: float, expected: float, slips: list[tuple[float, str]], tol: float) -> None:
    """Raise the slip's message when ``value`` is that slip (and the slip is not the answer)."""
    for candidate, message in slips:
        if abs(value - candidate) <= tol < abs(expected - candidate):
            raise Incorrect(message)


def _ks_at_cutoff(y: np.ndarray, pd_: np.ndarray, cutoff: float) -> float:
    declined = pd_ >= cutoff
    return float(declined[y == 1].mean() - declined[y == 0].mean())


def _describe(answer: Any) -> str:
    return type(answer).__name__ if answer is not None else "None"


# --------------------------------------------------------------------------- questions


class Q1(Question):
    title = "champion Gini on the back-test"
    requires = ("test",)
    hints = (
        "Credit teams quote Gini, not AUC. It rescales AUC so that a coin flip scores 0 and a "
        "perfect ranking scores 1. Use the champion's PD and the matured outcome.",
        "metrics.gini on the outcome and the champion's PD column (it equals "
        "2 * roc_auc - 1). A fraction, not a percent.",
    )
    solution_code = """\
champion_gini = metrics.gini(test["defaulted"], test["pd_champion"])"""

    #: 2 * AUC - 1 from an AUC rounded to three decimals is off by up to 0.001.
    atol = 1.1e-3

    def _slips(self, ctx) -> list[tuple[float, str]]:
        test = ctx["test"]
        y = _y(test)
        auc = metrics.roc_auc(y, test["pd_champion"])
        points_auc = metrics.roc_auc(y, test["score_champion"])  # direction not flipped
        return [
            (auc, "that is the ROC-AUC; the Gini rescales it (2 * AUC - 1)"),
            (
                points_auc,
                "that is the AUC of the points read as higher = riskier (they are higher = "
                "safer: it is one minus the AUC); and the Gini is 2 * AUC - 1",
            ),
            (
                metrics.ks_statistic(y, test["pd_champion"]),
                "that is the KS (the largest gap between the cumulative curves), not the Gini",
            ),
            (
                metrics.gini(y, test["pd_challenger"]),
                "that is the challenger's Gini; the question asks for the champion's",
            ),
        ]

    def expected(self, ctx):
        test = ctx["test"]
        return metrics.gini(_y(test), test["pd_champion"])

    def compare(self, answer, expected, ctx):
        value = as_number(answer, "the Gini")
        if abs(value + expected) <= self.atol < abs(expected):
            raise Incorrect(
                "the Gini has the wrong sign: the points are higher = safer, so pass "
                "higher_is_riskier=False (or use the PD)"
            )
        _name_slip(value, expected, self._slips(ctx), self.atol)
        expect_number(value, expected, atol=self.atol, what="the Gini")

    def wrong_answers(self, ctx):
        test = ctx["test"]
        e = self.expected(ctx)
        backwards = metrics.gini(_y(test), test["score_champion"])  # points, no flip
        return _far([c for c, _ in self._slips(ctx)] + [backwards, 100 * e], e, atol=self.atol)


class Q2(Question):
    title = "champion KS on the back-test"
    requires = ("test", "calibrate", "cutoff")
    hints = (
        "KS is the largest vertical gap between the cumulative score distributions of goods "
        "and bads: the biggest gap anywhere on the curve, not the gap at the cutoff.",
        "metrics.ks_statistic on the back-test's outcome and the champion's PD; on the points "
        "score it is the same number (KS does not care about the score's direction).",
    )
    solution_code = """\
champion_ks = metrics.ks_statistic(test["defaulted"], test["pd_champion"])"""

    def _slips(self, ctx) -> list[tuple[float, str]]:
        test, cal = ctx["test"], ctx["calibrate"]
        y = _y(test)
        return [
            (
                _ks_at_cutoff(y, test["pd_champion"].to_numpy(), ctx["cutoff"]),
                "that is the gap at the cutoff; KS is the largest gap over all scores",
            ),
            (
                metrics.ks_statistic(_y(cal), cal["pd_champion"]),
                "that is the KS on the calibration split; the back-test is test",
            ),
            (
                metrics.ks_statistic(y, test["pd_challenger"]),
                "that is the challenger's KS; the question asks for the champion's",
            ),
            (metrics.gini(y, test["pd_champion"]), "that is the Gini, not the KS"),
            (metrics.roc_auc(y, test["pd_champion"]), "that is the ROC-AUC, not the KS"),
        ]

    def expected(self, ctx):
        test = ctx["test"]
        return metrics.ks_statistic(_y(test), test["pd_champion"])

    def compare(self, answer, expected, ctx):
        value = as_number(answer, "the KS")
        _name_slip(value, expected, self._slips(ctx), _ROUNDED)
        expect_number(value, expected, atol=_ROUNDED, what="the KS")

    def wrong_answers(self, ctx):
        e = self.expected(ctx)
        return _far([c for c, _ in self._slips(ctx)] + [100 * e], e, atol=_ROUNDED)


class Q3(Question):
    title = "ROC-AUC and PR-AUC at three bad rates"
    requires = ("samples",)
    hints = (
        "For each resampled back-test (5%, 10%, 20% bad) compute the bad rate, the ROC-AUC and "
        "the PR-AUC of the champion, one row per sample, in that order.",
        "One dict per sample in samples.values() with the sample's mean of 'defaulted', "
        "metrics.roc_auc and metrics.pr_auc of its 'pd_champion'; then pd.DataFrame(rows).",
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
        usable = (
            isinstance(answer, pd.DataFrame)
            and {"roc_auc", "pr_auc"} <= set(answer.columns)
            and len(answer) == len(expected)
            and all(pd.api.types.is_numeric_dtype(answer[c]) for c in ("roc_auc", "pr_auc"))
        )
        if usable:
            got_pr = answer["pr_auc"].to_numpy(dtype=float)
            got_roc = answer["roc_auc"].to_numpy(dtype=float)
            right_pr = expected["pr_auc"].to_numpy()
            right_roc = expected["roc_auc"].to_numpy()

            def close(a, b):
                return np.allclose(a, b, atol=_ROUNDED)

            if close(got_pr, right_roc) and close(got_roc, right_pr):
                raise Incorrect(
                    "roc_auc and pr_auc are swapped: ROC-AUC is the one that stays put as the "
                    "bad rate changes"
                )
            goods = self._table(ctx, positive_is_good=True)["pr_auc"].to_numpy()
            if close(got_pr, goods) and not close(got_pr, right_pr):
                raise Incorrect(
                    "pr_auc treats the goods as the positive class; a credit PR curve is "
                    "about catching bads (1 = bad, higher PD = riskier)"
                )
        expect_frame(answer, expected, atol=_ROUNDED, what="base_rate_table")

    def wrong_answers(self, ctx):
        right = self._table(ctx)
        swapped = right.rename(columns={"roc_auc": "pr_auc", "pr_auc": "roc_auc"})
        percent = right.assign(bad_rate=100 * right["bad_rate"])
        reversed_rows = right.iloc[::-1].reset_index(drop=True)
        return [self._table(ctx, positive_is_good=True), swapped, percent, reversed_rows]


class Q4(Question):
    title = "challenger expected calibration error"
    requires = ("test", "calibrate")
    hints = (
        "ECE bands the PDs, compares the mean PD with the observed bad rate in each band, and "
        "averages the absolute gaps weighted by loans. It is about the challenger this time.",
        "metrics.expected_calibration_error on the back-test's outcome and the challenger's "
        "PD, with its default banding (10 equal-width bands).",
    )
    solution_code = """\
challenger_ece = metrics.expected_calibration_error(test["defaulted"], test["pd_challenger"])"""

    def _slips(self, ctx) -> list[tuple[float, str]]:
        test, cal = ctx["test"], ctx["calibrate"]
        y, p = _y(test), test["pd_challenger"]
        ece = metrics.expected_calibration_error
        return [
            (
                ece(y, p, strategy="quantile"),
                "those are equal-count (quantile) bands; the question asks for the default 10 "
                "equal-width PD bands (quote the banding with any ECE)",
            ),
            (
                ece(y, p, n_bins=20),
                "that uses 20 bands; the question asks for the default 10 equal-width bands",
            ),
            (
                ece(y, p, n_bins=5),
                "that uses 5 bands; the question asks for the default 10 equal-width bands",
            ),
            (
                float(np.mean(p) - y.mean()),
                "that is the signed gap of the whole book (mean PD minus bad rate); ECE "
                "averages the absolute gap band by band",
            ),
            (
                metrics.brier_score(y, p),
                "that is the Brier score (squared error per loan), not the ECE",
            ),
            (
                ece(y, test["pd_champion"]),
                "that is the champion's ECE; the question asks for the challenger's",
            ),
            (
                ece(_y(cal), cal["pd_challenger"]),
                "that is the ECE on the calibration split; the back-test is test",
            ),
        ]

    def expected(self, ctx):
        test = ctx["test"]
        return metrics.expected_calibration_error(_y(test), test["pd_challenger"])

    def compare(self, answer, expected, ctx):
        value = as_number(answer, "the ECE")
        _name_slip(value, expected, self._slips(ctx), _ROUNDED)
        expect_number(value, expected, atol=_ROUNDED, what="the ECE")

    def wrong_answers(self, ctx):
        e = self.expected(ctx)
        return _far([c for c, _ in self._slips(ctx)] + [100 * e], e, atol=_ROUNDED)


class Q5(Question):
    title = "the challenger at the champion's cutoff"
    requires = ("test", "cutoff")
    hints = (
        "Apply the same PD cutoff to the challenger's PDs. The bad rate that matters is among "
        "the loans it would approve, not over every loan in the back-test.",
        "metrics.approval_rate and metrics.bad_rate_among_approved, both on the challenger's "
        "PD with cutoff=cutoff; answer the pair as a tuple (approval rate first).",
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

    def _declined(self, ctx) -> tuple[float, float]:
        test, cutoff = ctx["test"], ctx["cutoff"]
        declined = ~metrics.approve(test["pd_challenger"], cutoff=cutoff)
        return float(declined.mean()), float(_y(test)[declined].mean())

    def expected(self, ctx):
        return self._pair(ctx, "pd_challenger")

    def compare(self, answer, expected, ctx):
        first, second = as_pair(answer, ("approval rate", "bad rate among approved"))
        approval = as_number(first, "the approval rate")
        bad = as_number(second, "the bad rate among approved")

        def near(pair: tuple[float, float]) -> bool:
            return abs(approval - pair[0]) <= _ROUNDED and abs(bad - pair[1]) <= _ROUNDED

        def differs(pair: tuple[float, float]) -> bool:
            return max(abs(a - b) for a, b in zip(pair, expected, strict=True)) > _ROUNDED

        champ = self._pair(ctx, "pd_champion")
        if near(champ) and differs(champ):
            raise Incorrect("those are the champion's numbers; score with pd_challenger")
        swapped = (expected[1], expected[0])
        if near(swapped) and differs(swapped):
            raise Incorrect(
                "the two numbers are in the wrong order: (approval rate, bad rate among approved)"
            )
        declined = self._declined(ctx)
        if near(declined) and differs(declined):
            raise Incorrect(
                "those are the declined applications (decline rate, bad rate among declined); "
                "approved means PD below the cutoff"
            )
        if abs(bad - declined[1]) <= _ROUNDED < abs(expected[1] - declined[1]):
            raise Incorrect(
                "that bad rate is among the declined; take it among the approved (PD < cutoff)"
            )
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
            self._declined(ctx),
            (right[0], self._declined(ctx)[1]),
            (100 * right[0], 100 * right[1]),
        ]
        return distinct(right, candidates, tol=2 * _ROUNDED)


class Q6(Question):
    title = "challenger cutoff that keeps the champion's approval rate"
    requires = ("test", "cutoff")
    hints = (
        "If the challenger must approve the same share as the champion, its cutoff is the PD "
        "below which that share of the challenger's PDs fall: a quantile, not the old cutoff.",
        "First the champion's approval rate at cutoff (metrics.approval_rate), then the "
        "quantile of the challenger's PDs at that share (np.quantile).",
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
        pd_ch = ctx["test"]["pd_challenger"]
        target = self._target(ctx)
        if abs(value - target) <= _ROUNDED and abs(
            metrics.approval_rate(pd_ch, cutoff=value) - target
        ) > self._atol(ctx):
            raise Incorrect(
                "that is the approval rate to match, not a PD cutoff; find the challenger PD "
                "below which that share of loans falls"
            )
        reached = metrics.approval_rate(pd_ch, cutoff=value)
        if abs(reached - target) > self._atol(ctx):
            side = "more" if reached > target else "fewer"
            raise Incorrect(
                f"at that cutoff the challenger approves {side} applications than the champion "
                "does at its cutoff"
            )

    def wrong_answers(self, ctx):
        pd_ch = ctx["test"]["pd_challenger"]
        target = self._target(ctx)
        candidates = [
            float(ctx["cutoff"]),
            float(np.quantile(pd_ch, 1 - target)),
            float(target),
        ]
        return [
            c
            for c in candidates
            if abs(metrics.approval_rate(pd_ch, cutoff=c) - target) > 2 * self._atol(ctx)
        ]


def _platt(fit: pd.DataFrame, label: str, test: pd.DataFrame, **options: Any) -> np.ndarray:
    """Platt scaling fitted on ``fit`` (log-odds of its challenger PD vs ``label``), on test."""
    raw_fit = options.pop("raw_fit", False)
    raw_apply = options.pop("raw_apply", raw_fit)
    column = options.pop("column", 1)

    def inputs(frame: pd.DataFrame, raw: bool) -> np.ndarray:
        p = frame["pd_challenger"].to_numpy(dtype=float)
        return (p if raw else scenario.logit(p)).reshape(-1, 1)

    model = LogisticRegression(**options).fit(inputs(fit, raw_fit), fit[label].to_numpy())
    return model.predict_proba(inputs(test, raw_apply))[:, column]


def _isotonic(fit: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1)
    iso.fit(fit["pd_challenger"].to_numpy(), _y(fit))
    return iso.predict(test["pd_challenger"].to_numpy())


class Q7(Question):
    title = "challenger PDs after Platt recalibration"
    requires = ("test", "calibrate", "develop", "cutoff")
    hints = (
        "Fit a one-feature logistic regression from the challenger's log-odds to the outcome "
        "on the calibration split (never the test split: it must stay untouched to judge the "
        "fix), then apply it to the back-test's log-odds.",
        "Steps: the lab's logit() of the calibration split's PDs as one column "
        "(.reshape(-1, 1)); LogisticRegression().fit on that and the calibration outcomes; "
        "predict_proba on the back-test's log-odds; keep the column of bad = 1.",
    )
    solution_code = """\
platt = LogisticRegression().fit(
    logit(calibrate["pd_challenger"]).reshape(-1, 1), calibrate["defaulted"]
)
pd_platt = platt.predict_proba(logit(test["pd_challenger"]).reshape(-1, 1))[:, 1]"""

    #: Largest per-loan PD difference still "the same Platt fit" (solvers, regularisation).
    atol = 2e-3

    def _right(self, ctx) -> list[np.ndarray]:
        test, cal = ctx["test"], ctx["calibrate"]
        return memo(
            "week02-q7-right",
            (test, cal),
            lambda: [
                _platt(cal, "defaulted", test),
                _platt(cal, "defaulted", test, C=np.inf),
            ],
        )

    def _slips(self, ctx) -> list[tuple[np.ndarray, str]]:
        test, cal, dev = ctx["test"], ctx["calibrate"], ctx["develop"]

        def compute() -> list[tuple[np.ndarray, str]]:
            return [
                (
                    _platt(test, "defaulted", test),
                    "that calibrator was fitted on the back-test (test) itself: the split you "
                    "judge the fix on must stay untouched; fit on calibrate",
                ),
                (
                    _platt(dev, "bad_so_far", test),
                    "that calibrator was fitted on develop, the loans the challenger learned "
                    "from (its PDs there are in-sample and the labels are censored as of "
                    "labels_as_of); fit on calibrate",
                ),
                (
                    _platt(cal, "defaulted", test, raw_fit=True),
                    "that logistic regression takes the raw PD as its input; Platt scaling "
                    "fits on the log-odds, logit(pd)",
                ),
                (
                    _platt(cal, "defaulted", test, raw_apply=True),
                    "the calibrator was fitted on the log-odds but applied to the raw PDs; "
                    "apply it to logit(test['pd_challenger']) too",
                ),
                (
                    _platt(cal, "defaulted", test, column=0),
                    "that is predict_proba's column 0, the probability of a good loan; take "
                    "column 1 (bad = 1)",
                ),
                (
                    _isotonic(cal, test),
                    "that is the isotonic recalibration from the cell above; this question "
                    "asks for Platt scaling (a logistic regression on the log-odds)",
                ),
                (
                    _isotonic(test, test),
                    "that is isotonic regression fitted on the back-test itself: use Platt "
                    "scaling, fitted on calibrate",
                ),
                (
                    test["pd_challenger"].to_numpy(dtype=float),
                    "those are the challenger's PDs before recalibration",
                ),
            ]

        return memo("week02-q7-slips", (test, cal, dev), compute)

    def expected(self, ctx):
        return self._right(ctx)[0]

    def compare(self, answer, expected, ctx):
        n = len(expected)
        if isinstance(answer, (int, float, np.number)) and not isinstance(answer, bool):
            raise Incorrect(
                "expected the recalibrated PD of every back-test loan (an array), got one "
                "number; keep predict_proba's column 1 for all loans"
            )
        if isinstance(answer, pd.DataFrame):
            raise Incorrect(
                "expected one PD per back-test loan (a 1-D array); predict_proba gives two "
                "columns: keep column 1, the probability of bad"
            )
        if isinstance(answer, (str, bytes, Mapping)) or not isinstance(
            answer, (list, tuple, np.ndarray, pd.Series)
        ):
            raise Incorrect(
                f"expected an array with one recalibrated PD per back-test loan, got "
                f"{_describe(answer)}"
            )
        try:
            given = np.asarray(answer, dtype=float)
        except (TypeError, ValueError):
            raise Incorrect("the recalibrated PDs hold values that are not numbers") from None
        if given.ndim == 2 and given.shape == (n, 2):
            raise Incorrect(
                "that is predict_proba's two columns; keep column 1, the probability of bad"
            )
        if given.ndim != 1 or len(given) != n:
            raise Incorrect(
                f"expected one PD per back-test loan ({n} values), got shape {given.shape}"
            )
        if np.isnan(given).any():
            raise Incorrect("the recalibrated PDs hold NaN; every back-test loan needs a PD")
        if given.min() < 0 or given.max() > 1:
            raise Incorrect("a PD lies between 0 and 1; apply predict_proba, not the raw logit")

        def gap(candidate: np.ndarray) -> float:
            return float(np.max(np.abs(given - candidate)))

        right = self._right(ctx)
        spread = float(np.max(np.abs(right[0] - right[1])))
        d_right = min(gap(r) for r in right)
        nearest = min(self._slips(ctx), key=lambda slip: gap(slip[0]))
        if gap(nearest[0]) < d_right:
            raise Incorrect(nearest[1])
        if d_right > self.atol + spread:
            raise Incorrect(
                "those PDs are not Platt scaling fitted on the calibration split: fit "
                "LogisticRegression on logit(calibrate['pd_challenger']) against "
                "calibrate['defaulted'] and apply it to the back-test's log-odds"
            )

    def wrong_answers(self, ctx):
        right = self._right(ctx)
        tol = 2 * (self.atol + float(np.max(np.abs(right[0] - right[1]))))
        return [
            slip
            for slip, _ in self._slips(ctx)
            if min(float(np.max(np.abs(slip - r))) for r in right) > tol
        ]


class Q8(Question):
    title = "file each replay under the triage taxonomy"
    requires = ("replays",)
    hints = (
        "Rule out the headings in order: are the inputs wrong (the re-pull reconciliation)? "
        "did the borrowers change (a replay scores the same loans twice)? did the back-test "
        f"AUC fall by more than the AUC-drop rule ({AUC_DROP_RULE})? Otherwise: the threshold.",
        "For each replay call response.triage(...) with inputs_broken from the share of rows "
        "whose bureau_matches_repull is False (against scenario.RECONCILE_TOLERANCE), "
        "borrowers_changed for a replay, and the ROC-AUCs of pd_before and pd_after.",
    )
    solution_code = """\
diagnosis = {
    name: response.triage(
        inputs_broken=bool((~r["bureau_matches_repull"]).mean() > scenario.RECONCILE_TOLERANCE),
        borrowers_changed=False,  # a replay scores the same loans before and after
        auc_signoff=metrics.roc_auc(r["defaulted"], r["pd_before"]),
        auc_now=metrics.roc_auc(r["defaulted"], r["pd_after"]),
    )
    for name, r in replays.items()
}"""
    choices = TRIAGE_CLASSES

    @staticmethod
    def _inputs_broken(r: pd.DataFrame) -> bool:
        mismatch = float((~r["bureau_matches_repull"].to_numpy(dtype=bool)).mean())
        return mismatch > scenario.RECONCILE_TOLERANCE

    def expected(self, ctx):
        verdicts = {}
        for name, r in ctx["replays"].items():
            y = _y(r)
            verdicts[name] = triage(
                inputs_broken=self._inputs_broken(r),
                borrowers_changed=False,
                auc_signoff=metrics.roc_auc(y, r["pd_before"]),
                auc_now=metrics.roc_auc(y, r["pd_after"]),
            )
        return verdicts

    def _why(self, name: str, given: str, right: str) -> str:
        if given == "world":
            return (
                f"{name}: a replay scores the same loans before and after, so the borrowers "
                "cannot have changed: not 'world'"
            )
        if right == "data":
            if given == "model":
                return (
                    f"{name}: the ranking did break, but because the inputs are wrong (the "
                    "re-pull disagrees): a broken join is 'data', ruled out first; fix the "
                    "join and re-decide, do not retrain"
                )
            return (
                f"{name}: the re-pull disagrees with what was scored: the inputs are wrong, "
                "whatever the approval rate does"
            )
        if given == "data":
            return f"{name}: the re-pull reconciles: the inputs are what the bureau holds"
        if right == "threshold":
            return (
                f"{name}: the back-test AUC did not fall by more than the AUC-drop rule: the "
                "ranking survived, so no cutoff or model rollback is forced by the ranking"
            )
        return f"{name}: the back-test AUC fell by more than the AUC-drop rule: the ranking broke"

    def compare(self, answer, expected, ctx):
        if not isinstance(answer, Mapping):
            raise Incorrect(
                f"expected a dict from replay name to one of {', '.join(TRIAGE_CLASSES)}, got "
                f"{_describe(answer)}"
            )
        missing = [k for k in expected if k not in answer]
        if missing:
            raise Incorrect(f"the dict is missing {', '.join(repr(k) for k in missing)}")
        for name in expected:
            given = answer[name]
            if isinstance(given, str) and given.strip().lower() == "calibration":
                given = "threshold"  # the same heading: the ranking survived
            try:
                expect_choice(given, expected[name], choices=self.choices)
            except Incorrect as exc:
                if isinstance(given, str) and given.strip().lower() in self.choices:
                    raise Incorrect(
                        self._why(name, given.strip().lower(), expected[name])
                    ) from None
                raise Incorrect(f"{name}: {exc}") from None

    def wrong_answers(self, ctx):
        e = self.expected(ctx)
        wrong = []
        for name, right in e.items():
            for other in TRIAGE_CLASSES:
                if other != right:
                    wrong.append({**e, name: other})
        everything_threshold = dict.fromkeys(e, "threshold")
        if everything_threshold != e:
            wrong.append(everything_threshold)
        return wrong


def _air(test: pd.DataFrame, pd_: Any, cutoff: float, **options: Any) -> float:
    approved = metrics.approve(pd_, cutoff=cutoff)
    if "group" in options:
        return metrics.adverse_impact_ratio(approved, options["group"])
    return metrics.adverse_impact_ratio(approved, weights=test["protected_proxy"].to_numpy())


def _rates(test: pd.DataFrame, pd_: Any, cutoff: float) -> tuple[float, float]:
    """Proxy-weighted approval rates (protected, reference)."""
    ok = metrics.approve(pd_, cutoff=cutoff).astype(float)
    w = test["protected_proxy"].to_numpy(dtype=float)
    return float((w * ok).sum() / w.sum()), float(((1 - w) * ok).sum() / (1 - w).sum())


class Q9(Question):
    title = "adverse impact ratio of both models at the cutoff"
    requires = ("test", "cutoff")
    hints = (
        "AIR = the protected group's approval rate divided by the reference group's. The "
        "lender has no recorded group, only the proxy probability protected_proxy: weight each "
        "applicant by it. Approvals at the production cutoff, once per model.",
        "metrics.approve gives each model's approvals at cutoff; metrics.adverse_impact_ratio "
        "turns them into the AIR with the proxy passed as weights=. One value per model.",
    )
    solution_code = """\
air = {
    name: metrics.adverse_impact_ratio(
        metrics.approve(test[column], cutoff=cutoff), weights=test["protected_proxy"]
    )
    for name, column in [("champion", "pd_champion"), ("challenger", "pd_challenger")]
}"""
    keys = {"champion": "pd_champion", "challenger": "pd_challenger"}

    def expected(self, ctx):
        test, cutoff = ctx["test"], ctx["cutoff"]
        return {k: _air(test, test[c], cutoff) for k, c in self.keys.items()}

    def _slips(self, ctx, key: str) -> list[tuple[float, str]]:
        test, cutoff = ctx["test"], ctx["cutoff"]
        column = self.keys[key]
        other = "challenger" if key == "champion" else "champion"
        protected, reference = _rates(test, test[column], cutoff)
        hard = np.where(test["protected_proxy"].to_numpy() >= 0.5, "protected", "reference")
        slips = [
            (
                reference / protected,
                f"{key}: that ratio is upside down: the protected group's approval rate goes on "
                "top (reference below)",
            ),
            (
                protected - reference,
                f"{key}: that is the difference of the approval rates; AIR is their ratio",
            ),
            (
                (1 - protected) / (1 - reference),
                f"{key}: that is a ratio of decline rates; AIR divides approval rates",
            ),
            (
                _air(test, test[column], cutoff, group=hard),
                f"{key}: that classifies applicants by protected_proxy >= 0.5; weight each one "
                "by the proxy probability (weights=) instead, as the question asks",
            ),
            (
                _air(test, test[self.keys[other]], cutoff),
                f"{key}: that is the {other}'s AIR",
            ),
        ]
        if key == "challenger":
            target = metrics.approval_rate(test["pd_champion"], cutoff=cutoff)
            matched = float(np.quantile(test["pd_challenger"], target))
            slips.append(
                (
                    _air(test, test["pd_challenger"], matched),
                    "challenger: that is at the approval-matched cutoff; the question asks "
                    "for the production cutoff, where Saturday's decisions were made",
                )
            )
        return slips

    def compare(self, answer, expected, ctx):
        if not isinstance(answer, Mapping):
            raise Incorrect(
                "expected a dict {'champion': AIR, 'challenger': AIR}, got " + _describe(answer)
            )
        missing = [k for k in expected if k not in answer]
        if missing:
            raise Incorrect(f"the dict is missing {', '.join(repr(k) for k in missing)}")
        for key in expected:
            value = as_number(answer[key], f"the {key} AIR")
            _name_slip(value, expected[key], self._slips(ctx, key), _ROUNDED)
            expect_number(value, expected[key], atol=_ROUNDED, what=f"the {key} AIR")

    def wrong_answers(self, ctx):
        e = self.expected(ctx)
        wrong = []
        for key in e:
            for value in _far([c for c, _ in self._slips(ctx, key)], e[key], atol=_ROUNDED):
                wrong.append({**e, key: value})
        if abs(e["champion"] - e["challenger"]) > 2 * _ROUNDED:
            wrong.append({"champion": e["challenger"], "challenger": e["champion"]})
        return wrong


_week = Week(
    "week02",
    [Q1(), Q2(), Q3(), Q4(), Q5(), Q6(), Q7(), Q8(), Q9()],
)
bind = _week.bind
q1, q2, q3, q4, q5, q6, q7, q8, q9 = _week.questions
