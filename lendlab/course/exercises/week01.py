"""Week 1: classification metrics for lending decisions (the questions behind the lab).

The lab ``solutions/week01_classification_metrics.ipynb`` builds a two-year book with
:func:`lendlab.world.generate`, looks at it the way the lender does on Monday 5 January 2026
(:func:`lendlab.world.observed`), fits the champion :class:`lendlab.models.Scorecard` on 2024
loans and back-tests its PD cutoff on 2025 applications that passed the knock-out rules. The
questions check what the learner reads off that data: censored bad rates, the confusion
matrix at the cutoff in lending words, decline precision/recall, approval and bad rates, the
profit-maximising cutoff and what loosening the cutoff does.

In the lab::

    from lendlab.course.exercises import week01 as ex
    ex.bind(book=book, view=view, valid=valid, backtest=backtest, **SETTINGS)
    ex.q1.check(observed_bad_rate)

Every expected answer is computed from the bound data with :mod:`lendlab.metrics`, so the
checks hold for any seed. The lab's world (the book, the view, the scorecard and its
back-test) is :mod:`lendlab.course.scenarios.week01`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lendlab import metrics
from lendlab.course.exercises.answers import as_pair, distinct, is_number
from lendlab.course.exercises.checks import (
    Incorrect,
    Question,
    Week,
    expect_choice,
    expect_number,
)

__all__ = [
    "AUC_DROP_MODEL",
    "DIAGNOSES",
    "MOVES",
    "RATE_TOL",
    "bind",
    "q1",
    "q2",
    "q3",
    "q4",
    "q5",
    "q6",
    "q7",
    "q8",
    "q9",
]

#: If the back-test AUC falls more than this below the sign-off AUC, the ranking broke.
AUC_DROP_MODEL = 0.03
MOVES = ("up", "down")
DIAGNOSES = ("threshold", "model", "data")
RATE_TOL = 5e-4  # admits rounding to 3 decimals; every plausible slip is further away

# --------------------------------------------------------------------------- shared helpers


def _close(a: float, b: float, tol: float) -> bool:
    return math.isclose(float(a), float(b), rel_tol=0.0, abs_tol=tol)


def _number(
    answer: Any,
    expected: float,
    *,
    what: str,
    tol: float = RATE_TOL,
    slips: Sequence[tuple[float, str]] = (),
) -> None:
    """:func:`expect_number`, but a known slip gets its own explanation.

    ``slips`` pairs a plausible wrong value with the reason it is wrong; a slip that happens
    to equal the right answer on this data is never reported (the answer is checked first).
    """
    try:
        expect_number(answer, expected, rtol=0.0, atol=tol, what=what)
    except Incorrect:
        if isinstance(answer, (int, float, np.integer, np.floating)) and not isinstance(
            answer, (bool, np.bool_)
        ):
            for value, reason in slips:
                if np.isfinite(value) and _close(answer, value, tol):
                    raise Incorrect(reason) from None
        raise


def _lifetime_of_view(ctx: Mapping[str, Any]) -> pd.Series:
    """The world's lifetime outcome of the loans in the lender's view (same index)."""
    return ctx["book"].loc[ctx["view"].index, "defaulted"]


def _confusion(ctx: Mapping[str, Any], cutoff: float) -> pd.Series:
    bt = ctx["backtest"]
    return metrics.decision_confusion(bt["defaulted"], bt["pd"], cutoff=cutoff)


def _table(ctx: Mapping[str, Any], *, by_amount: bool = True) -> pd.DataFrame:
    bt = ctx["backtest"]
    return metrics.threshold_table(
        bt["defaulted"],
        bt["pd"],
        cutoffs=list(ctx["cutoffs"]),
        loan_amount=bt["loan_amount"] if by_amount else None,
        lgd=ctx["lgd"],
        margin=ctx["margin"],
    )


def _at(table: pd.DataFrame, cutoff: float) -> pd.Series:
    row = table.loc[np.isclose(table["cutoff"], cutoff)]
    if row.empty:
        raise ValueError(f"cutoff {cutoff!r} is not in the bound cutoffs; bind the lab's cutoffs")
    return row.iloc[0]


# --------------------------------------------------------------------------- Part 1: the book


class ObservedBadRate(Question):
    title = "bad rate the lender sees on Monday"
    requires = ("book", "view")
    hints = (
        "The lender only sees booked loans and the defaults that have already happened by "
        "`as_of`. Which column of `view` holds that?",
        "`view['bad_so_far'].mean()`: a fraction between 0 and 1, over the loans in `view` "
        "(not over all applications, and not the world's `defaulted`).",
    )
    solution_code = 'observed_bad_rate = view["bad_so_far"].mean()'

    def expected(self, ctx):
        return float(ctx["view"]["bad_so_far"].mean())

    def _slips(self, ctx):
        book, view = ctx["book"], ctx["view"]
        return [
            (
                float(_lifetime_of_view(ctx).mean()),
                "that is the lifetime bad rate only the synthetic world knows; the lender sees "
                "the defaults that have happened so far (bad_so_far)",
            ),
            (
                float(book["defaulted"].mean()),
                "that is the world's lifetime bad rate over every application, declined ones "
                "included; use the lender's view",
            ),
            (
                float(view["bad_so_far"].sum() / len(book)),
                "you divided by all applications; the bad rate is over booked loans (the rows "
                "of view)",
            ),
        ]

    def compare(self, answer, expected, ctx):
        _number(answer, expected, what="the observed bad rate", slips=self._slips(ctx))

    def wrong_answers(self, ctx):
        e = self.expected(ctx)
        return distinct(e, [v for v, _ in self._slips(ctx)] + [100 * e], tol=RATE_TOL)


class VisibleShare(Question):
    title = "share of eventual bads visible so far"
    requires = ("book", "view")
    hints = (
        "Count the bads the lender has seen by Monday, and the bads these same loans will "
        "produce over their whole life (the world's `defaulted`, joined on the index).",
        "`view['bad_so_far'].sum() / book.loc[view.index, 'defaulted'].sum()`",
    )
    solution_code = (
        'lifetime_bads = book.loc[view.index, "defaulted"].sum()\n'
        'visible_share = view["bad_so_far"].sum() / lifetime_bads'
    )

    def expected(self, ctx):
        return float(ctx["view"]["bad_so_far"].sum() / _lifetime_of_view(ctx).sum())

    def _slips(self, ctx):
        book, view = ctx["book"], ctx["view"]
        return [
            (
                float(view["bad_so_far"].sum() / book["defaulted"].sum()),
                "you counted the lifetime bads of every application, declined ones included; "
                "only the booked loans in view can ever show up as bads to the lender",
            ),
            (
                float(view["bad_so_far"].mean()),
                "that is the observed bad rate (bads per loan); the question asks for bads "
                "seen per bad that will eventually happen",
            ),
            (
                float(_lifetime_of_view(ctx).mean()),
                "that is the lifetime bad rate (bads per loan); the question asks for bads "
                "seen per bad that will eventually happen",
            ),
        ]

    def compare(self, answer, expected, ctx):
        _number(answer, expected, what="the visible share of bads", slips=self._slips(ctx))

    def wrong_answers(self, ctx):
        e = self.expected(ctx)
        return distinct(e, [v for v, _ in self._slips(ctx)] + [1 - e], tol=RATE_TOL)


# --------------------------------------------------------------------------- Part 2: the cutoff


class ApprovedBad(Question):
    title = "approved-then-bad loans at the production cutoff"
    requires = ("backtest", "cutoff", "old_cutoff")
    hints = (
        "Approved means pd < cutoff; bad means defaulted == 1. Use the production cutoff, "
        "not the old one.",
        "`metrics.decision_confusion(backtest['defaulted'], backtest['pd'], "
        "cutoff=PRODUCTION_CUTOFF)['approved_bad']`",
    )
    solution_code = (
        'conf = metrics.decision_confusion(backtest["defaulted"], backtest["pd"], '
        "cutoff=PRODUCTION_CUTOFF)\n"
        'approved_then_bad = int(conf["approved_bad"])'
    )

    def expected(self, ctx):
        return int(_confusion(ctx, ctx["cutoff"])["approved_bad"])

    def _slips(self, ctx):
        now, old = _confusion(ctx, ctx["cutoff"]), _confusion(ctx, ctx["old_cutoff"])
        return [
            (
                float(now["declined_bad"]),
                "those are the bads the cutoff declined (caught); "
                "the question asks for bads it approved",
            ),
            (
                float(old["approved_bad"]),
                "that count uses the old cutoff; use the one in production now",
            ),
            (
                float(now["approved_bad"] + now["declined_bad"]),
                "that is every bad in the back-test; count only the approved ones",
            ),
            (
                float(now["approved_good"]),
                "those are approved loans that repaid; count the approved ones that defaulted",
            ),
        ]

    def compare(self, answer, expected, ctx):
        _number(
            answer, expected, what="the approved-then-bad count", tol=1e-9, slips=self._slips(ctx)
        )

    def wrong_answers(self, ctx):
        return distinct(self.expected(ctx), [v for v, _ in self._slips(ctx)], tol=0.5)


class DeclinedGood(Question):
    title = "declined-but-good applications at the production cutoff"
    requires = ("backtest", "cutoff", "old_cutoff")
    hints = (
        "Declined means pd >= cutoff; good means defaulted == 0: customers who would have "
        "repaid but were turned away.",
        "`conf['declined_good']` from `metrics.decision_confusion(..., cutoff=PRODUCTION_CUTOFF)`",
    )
    solution_code = 'declined_but_good = int(conf["declined_good"])'

    def expected(self, ctx):
        return int(_confusion(ctx, ctx["cutoff"])["declined_good"])

    def _slips(self, ctx):
        now, old = _confusion(ctx, ctx["cutoff"]), _confusion(ctx, ctx["old_cutoff"])
        return [
            (
                float(now["declined_bad"]),
                "those declined applicants did default; the "
                "question asks for declined ones who would have repaid",
            ),
            (
                float(now["approved_good"]),
                "those are approved loans that repaid; count the "
                "declined applicants who would have repaid",
            ),
            (
                float(old["declined_good"]),
                "that count uses the old cutoff; use the one in production now",
            ),
            (
                float(now["declined_good"] + now["declined_bad"]),
                "that is every declined application; count only the good ones",
            ),
        ]

    def compare(self, answer, expected, ctx):
        _number(
            answer, expected, what="the declined-but-good count", tol=1e-9, slips=self._slips(ctx)
        )

    def wrong_answers(self, ctx):
        return distinct(self.expected(ctx), [v for v, _ in self._slips(ctx)], tol=0.5)


class DeclinePrecisionRecall(Question):
    title = "decline precision and recall"
    requires = ("backtest", "cutoff")
    hints = (
        "Positive = bad, predicted positive = declined. Precision: of the declines, how many "
        "were bad? Recall: of the bads, how many were declined?",
        "`(metrics.decline_precision(y, pd, cutoff=...), metrics.decline_recall(y, pd, "
        "cutoff=...))`, or from the counts: declined_bad / (declined_bad + declined_good) "
        "and declined_bad / (declined_bad + approved_bad).",
    )
    solution_code = """\
y, p = backtest["defaulted"], backtest["pd"]
decline_prec = metrics.decline_precision(y, p, cutoff=PRODUCTION_CUTOFF)
decline_rec = metrics.decline_recall(y, p, cutoff=PRODUCTION_CUTOFF)"""

    def expected(self, ctx):
        bt, c = ctx["backtest"], ctx["cutoff"]
        return (
            metrics.decline_precision(bt["defaulted"], bt["pd"], cutoff=c),
            metrics.decline_recall(bt["defaulted"], bt["pd"], cutoff=c),
        )

    def _approval_side(self, ctx):
        conf = _confusion(ctx, ctx["cutoff"])
        ag, ab, dg = conf["approved_good"], conf["approved_bad"], conf["declined_good"]
        return (float(ag / (ag + ab)), float(ag / (ag + dg)))

    def compare(self, answer, expected, ctx):
        prec, rec = as_pair(answer, ("precision", "recall"))
        e_prec, e_rec = expected
        approve_prec, approve_rec = self._approval_side(ctx)
        if (
            is_number(prec)
            and is_number(rec)
            and _close(prec, e_rec, RATE_TOL)
            and _close(rec, e_prec, RATE_TOL)
            and not _close(e_prec, e_rec, RATE_TOL)
        ):
            raise Incorrect("precision and recall are swapped: precision first, then recall")
        _number(
            prec,
            e_prec,
            what="decline precision",
            slips=[
                (
                    approve_prec,
                    "that is the precision of approvals (share of approved loans that "
                    "repaid); here positive = bad and predicted positive = declined",
                ),
            ],
        )
        _number(
            rec,
            e_rec,
            what="decline recall",
            slips=[
                (
                    approve_rec,
                    "that is the share of good customers approved; decline recall is the "
                    "share of bads that the cutoff declined",
                ),
            ],
        )

    def wrong_answers(self, ctx):
        p, r = self.expected(ctx)
        return distinct(
            (p, r), [(r, p), self._approval_side(ctx), (100 * p, 100 * r)], tol=RATE_TOL
        )


class ApprovalAndBadRate(Question):
    title = "approval rate and bad rate among approved"
    requires = ("book", "backtest", "split", "cutoff", "old_cutoff")
    hints = (
        "Two numbers over the back-test at the production cutoff: the share of applications "
        "approved, and among the approved loans only, the share that defaulted.",
        "`metrics.approval_rate(pd, cutoff=...)` and `metrics.bad_rate_among_approved(y, pd, "
        "cutoff=...)`, both fractions.",
    )
    solution_code = """\
approval = metrics.approval_rate(backtest["pd"], cutoff=PRODUCTION_CUTOFF)
bad_rate_approved = metrics.bad_rate_among_approved(
    backtest["defaulted"], backtest["pd"], cutoff=PRODUCTION_CUTOFF
)"""

    def expected(self, ctx):
        bt, c = ctx["backtest"], ctx["cutoff"]
        return (
            metrics.approval_rate(bt["pd"], cutoff=c),
            metrics.bad_rate_among_approved(bt["defaulted"], bt["pd"], cutoff=c),
        )

    def _slips(self, ctx):
        bt, book, c = ctx["backtest"], ctx["book"], ctx["cutoff"]
        conf = _confusion(ctx, c)
        n_2025 = int((book["applied_at"] >= pd.Timestamp(ctx["split"], tz="UTC")).sum())
        approval = [
            (
                float((conf["approved_good"] + conf["approved_bad"]) / n_2025),
                "that approval rate is over every 2025 application, knock-out declines included; "
                "the back-test is the applications that reached the scorecard",
            ),
            (
                metrics.approval_rate(bt["pd"], cutoff=ctx["old_cutoff"]),
                "that approval rate uses the old cutoff; use the one in production now",
            ),
        ]
        bad = [
            (
                float(bt["defaulted"].mean()),
                "that bad rate is over every back-test application; take only the approved ones",
            ),
            (
                float(conf["approved_bad"] / len(bt)),
                "you divided the approved bads by all applications; divide by the approved loans",
            ),
            (
                metrics.bad_rate_among_approved(
                    bt["defaulted"], bt["pd"], cutoff=ctx["old_cutoff"]
                ),
                "that bad rate uses the old cutoff; use the one in production now",
            ),
        ]
        return approval, bad

    def compare(self, answer, expected, ctx):
        approval, bad = as_pair(answer, ("approval rate", "bad rate among approved"))
        approval_slips, bad_slips = self._slips(ctx)
        _number(approval, expected[0], what="the approval rate", slips=approval_slips)
        _number(bad, expected[1], what="the bad rate among approved", slips=bad_slips)

    def wrong_answers(self, ctx):
        a, b = self.expected(ctx)
        approval_slips, bad_slips = self._slips(ctx)
        candidates = [(a, v) for v, _ in bad_slips] + [(v, b) for v, _ in approval_slips]
        candidates += [(1 - a, b), (100 * a, 100 * b)]
        return distinct((a, b), candidates, tol=RATE_TOL)


# --------------------------------------------------------------------------- Part 3: cost table


class ProfitCutoff(Question):
    title = "profit-maximising cutoff"
    requires = ("backtest", "cutoffs", "cutoff", "lgd", "margin")
    hints = (
        "Build the threshold table over the lab's cutoffs with the loan amounts, LGD and "
        "margin, then find the row with the largest profit (not the most approvals, not the "
        "lowest bad rate).",
        "`table.loc[table['profit'].idxmax(), 'cutoff']` where `table = "
        "metrics.threshold_table(y, pd, cutoffs=CUTOFFS, loan_amount=..., lgd=LGD, "
        "margin=MARGIN)`",
    )
    solution_code = 'best_cutoff = float(table.loc[table["profit"].idxmax(), "cutoff"])'

    def expected(self, ctx):
        t = _table(ctx)
        return float(t.loc[t["profit"].idxmax(), "cutoff"])

    def _slips(self, ctx):
        t = _table(ctx)
        by_count = _table(ctx, by_amount=False)
        return [
            (
                float(t.loc[t["n_approved"].idxmax(), "cutoff"]),
                "that cutoff approves the most loans; the question asks for the most profit",
            ),
            (
                float(t.loc[t["bad_rate_approved"].idxmin(), "cutoff"]),
                "that cutoff has the lowest bad rate but turns away most good customers; the "
                "question asks for the most profit",
            ),
            (
                float(t.loc[t["realized_loss"].idxmin(), "cutoff"]),
                "that cutoff loses the least money, and earns little; the question asks for the "
                "most profit",
            ),
            (
                float(ctx["cutoff"]),
                "that is the cutoff in production; is it the one with the "
                "most profit in the table?",
            ),
            (
                float(by_count.loc[by_count["profit"].idxmax(), "cutoff"]),
                "that maximises profit counting every loan as 1; weight by loan_amount",
            ),
        ]

    def compare(self, answer, expected, ctx):
        _number(answer, expected, what="the cutoff", tol=1e-6, slips=self._slips(ctx))

    def wrong_answers(self, ctx):
        return distinct(self.expected(ctx), [v for v, _ in self._slips(ctx)], tol=1e-6)


class LooseningEffect(Question):
    title = "what loosening the cutoff did"
    requires = ("backtest", "cutoffs", "cutoff", "old_cutoff", "lgd", "margin")
    hints = (
        "Compare two rows of the threshold table: the old cutoff and the production cutoff. "
        "Answer a tuple of 'up'/'down' for (approval rate, bad rate among approved, profit).",
        "`table.set_index('cutoff').loc[[OLD_CUTOFF, PRODUCTION_CUTOFF], ['approval_rate', "
        "'bad_rate_approved', 'profit']]`: for each column, did it go up or down?",
    )
    solution_code = (
        'rows = table.set_index("cutoff").loc[[OLD_CUTOFF, PRODUCTION_CUTOFF]]\n'
        'change = rows[["approval_rate", "bad_rate_approved", "profit"]].diff().iloc[1]\n'
        'loosening = tuple("up" if d > 0 else "down" for d in change)'
    )
    _COLUMNS = ("approval_rate", "bad_rate_approved", "profit")
    _NAMES = ("the approval rate", "the bad rate among approved", "profit")

    def expected(self, ctx):
        t = _table(ctx)
        old, new = _at(t, ctx["old_cutoff"]), _at(t, ctx["cutoff"])
        return tuple("up" if new[c] > old[c] else "down" for c in self._COLUMNS)

    def compare(self, answer, expected, ctx):
        if isinstance(answer, str) or not isinstance(answer, (tuple, list)):
            raise Incorrect(
                "expected a tuple of three words, e.g. ('up', 'down', 'up'), for "
                "(approval rate, bad rate among approved, profit)"
            )
        if len(answer) != 3:
            raise Incorrect(
                f"expected three moves (approval rate, bad rate among approved, profit), got "
                f"{len(answer)}"
            )
        wrong = 0
        for given, wanted in zip(answer, expected, strict=True):
            try:
                expect_choice(given, wanted, choices=MOVES)
            except Incorrect:
                if not isinstance(given, str) or given.strip().lower() not in MOVES:
                    raise  # not 'up'/'down': the message lists the options
                wrong += 1
        if wrong:
            # With two options per move, naming the wrong one would give the answer away.
            raise Incorrect(
                f"{wrong} of the 3 moves {'is' if wrong == 1 else 'are'} wrong; compare the "
                "approval_rate, bad_rate_approved and profit columns in the rows for "
                "OLD_CUTOFF and PRODUCTION_CUTOFF"
            )

    def wrong_answers(self, ctx):
        e = self.expected(ctx)
        return [c for c in itertools.product(MOVES, repeat=3) if c != e]


class Diagnosis(Question):
    title = "threshold problem or model failure"
    requires = ("valid", "backtest")
    hints = (
        "A model failure shows up as worse ranking: the AUC on new loans falls well below the "
        "AUC measured at sign-off. A threshold problem leaves the ranking alone and moves the "
        "approval and bad rates.",
        "Compare `metrics.roc_auc(valid['defaulted'], valid['pd'])` with the same on "
        f"`backtest`; a drop of more than {AUC_DROP_MODEL} is a model problem, otherwise "
        "answer 'threshold'.",
    )
    solution_code = (
        'auc_signoff = metrics.roc_auc(valid["defaulted"], valid["pd"])\n'
        'auc_backtest = metrics.roc_auc(backtest["defaulted"], backtest["pd"])\n'
        f'diagnosis = "model" if auc_backtest < auc_signoff - {AUC_DROP_MODEL} else "threshold"'
    )

    def expected(self, ctx):
        v, bt = ctx["valid"], ctx["backtest"]
        signoff = metrics.roc_auc(v["defaulted"], v["pd"])
        now = metrics.roc_auc(bt["defaulted"], bt["pd"])
        return "model" if now < signoff - AUC_DROP_MODEL else "threshold"

    def compare(self, answer, expected, ctx):
        expect_choice(answer, expected, choices=DIAGNOSES, what="the diagnosis")

    def wrong_answers(self, ctx):
        return [d for d in DIAGNOSES if d != self.expected(ctx)]


# --------------------------------------------------------------------------- the week

_week = Week(
    "week01",
    [
        ObservedBadRate(),
        VisibleShare(),
        ApprovedBad(),
        DeclinedGood(),
        DeclinePrecisionRecall(),
        ApprovalAndBadRate(),
        ProfitCutoff(),
        LooseningEffect(),
        Diagnosis(),
    ],
)
bind = _week.bind
q1, q2, q3, q4, q5, q6, q7, q8, q9 = _week.questions
