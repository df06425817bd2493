"""Week 1: classification metrics for lending decisions (the questions behind the lab).

The lab ``solutions/week01_classification_metrics.ipynb`` builds a two-year book with
:func:`lendlab.world.generate`, fits the champion :class:`lendlab.models.Scorecard` on 2024
applications, books the loans that the knock-out rules *and* the cutoff in force approved
(0.20 until the growth change of 1 July 2025, 0.30 since), and looks at them the way the
lender does on Monday 5 January 2026 (:func:`lendlab.world.observed`). The questions check
what the learner reads off that data: censored bad rates; the confusion matrix of the 2025
back-test in lending words; decline precision/recall; approval and bad rates; the
profit-maximising cutoff and what loosening did; and the evidence an on-call has on Monday
(score PSI, expected loss from the PDs, early delinquency at equal months on book), filed
under the one triage taxonomy (:mod:`lendlab.response`), with the adverse impact ratio.

In the lab::

    from lendlab.course.exercises import week01 as ex
    ex.bind(book=book, view=view, valid=valid, backtest=backtest, **settings)
    ex.q1.check(observed_bad_rate)

Every expected answer is computed from the bound data with :mod:`lendlab.metrics`,
:mod:`lendlab.drift` and :mod:`lendlab.response`, so the checks hold for any seed. The lab's
world is :mod:`lendlab.course.scenarios.week01`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lendlab import drift, metrics, response, world
from lendlab.course.exercises.answers import (
    as_pair,
    distinct,
    expect_number_or_slip,
    is_number,
    memo,
)
from lendlab.course.exercises.checks import (
    Incorrect,
    Question,
    Week,
    expect_choice,
)
from lendlab.course.scenarios import week01 as scenario

__all__ = [
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
    "q10",
    "q11",
    "q12",
    "q13",
]

MOVES = ("up", "down")
RATE_TOL = 5e-4  # admits rounding to 3 decimals; every plausible slip is further away
MONEY_RTOL = 1e-3  # dollars: admits rounding to the nearest ten thousand on a $10M figure

# --------------------------------------------------------------------------- shared helpers


def _close(a: float, b: float, tol: float) -> bool:
    return math.isclose(float(a), float(b), rel_tol=0.0, abs_tol=tol)


def _number(
    answer: Any,
    expected: float,
    *,
    what: str,
    tol: float = RATE_TOL,
    rtol: float = 0.0,
    slips: Sequence[tuple[float, str]] = (),
) -> None:
    """:func:`expect_number`, but a known slip gets its own explanation.

    ``slips`` pairs a plausible wrong value with the reason it is wrong; a slip that happens
    to equal the right answer on this data is never reported (the answer is checked first).
    """
    expect_number_or_slip(answer, expected, what=what, rtol=rtol, atol=tol, slips=slips)


def _utc(value: Any) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _lifetime_of_view(ctx: Mapping[str, Any]) -> pd.Series:
    """The world's lifetime outcome of the loans in the lender's view (same index)."""
    return ctx["book"].loc[ctx["view"].index, "defaulted"]


def _knockout_view(ctx: Mapping[str, Any]) -> pd.DataFrame:
    """The slip of the first edition: every knock-out pass as if it were booked."""
    book = ctx["book"]
    return memo("week01-knockout-view", (book,), lambda: world.observed(book, ctx["as_of"]))


def _confusion(ctx: Mapping[str, Any], cutoff: float) -> pd.Series:
    bt = ctx["backtest"]
    return metrics.decision_confusion(bt["defaulted"], bt["pd"], cutoff=cutoff)


def _confusion_inclusive(ctx: Mapping[str, Any], cutoff: float) -> dict[str, int]:
    """The four counts when approving ``pd <= cutoff`` (the wrong direction at a tie)."""
    bt = ctx["backtest"]
    y, approved = bt["defaulted"].to_numpy() == 1, bt["pd"].to_numpy() <= cutoff
    return {
        "approved_good": int((approved & ~y).sum()),
        "approved_bad": int((approved & y).sum()),
        "declined_good": int((~approved & ~y).sum()),
        "declined_bad": int((~approved & y).sum()),
    }


_INCLUSIVE = (
    "that counts applications with pd equal to the cutoff as approved; approve only when "
    "pd < cutoff (a PD exactly at the cutoff is declined)"
)


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


def _is_num(x: Any) -> bool:
    return is_number(x)


# --------------------------------------------------------------------------- Part 1: the book


class ObservedBadRate(Question):
    title = "bad rate the lender sees on Monday"
    requires = ("book", "view", "as_of")
    hints = (
        "The lender only sees booked loans and the charge-offs that have already happened by "
        "`as_of`. Which column of `view` holds that?",
        "Take the mean of the 0/1 charge-off-so-far column of `view`: a fraction, over the "
        "booked loans (rules and scorecard), not over applications.",
    )
    solution_code = 'observed_bad_rate = view["bad_so_far"].mean()'

    def expected(self, ctx):
        return float(ctx["view"]["bad_so_far"].mean())

    def _slips(self, ctx):
        book, view = ctx["book"], ctx["view"]
        return [
            (
                float(_knockout_view(ctx)["bad_so_far"].mean()),
                "that rate is over every application that passed the knock-out rules, "
                "including the ones the scorecard declined; the lender's book is the loans "
                "both steps approved (world.observed(..., approved=booked))",
            ),
            (
                float(_lifetime_of_view(ctx).mean()),
                "that is the lifetime bad rate only the synthetic world knows; the lender sees "
                "the charge-offs that have happened so far (bad_so_far)",
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
    requires = ("book", "view", "as_of")
    hints = (
        "Count the bads the lender has seen by Monday, and the bads these same loans will "
        "produce over their whole life (the world's `defaulted`, joined on the index).",
        "Two sums over the same booked loans: the seen-so-far flag in `view`, and the world's "
        "lifetime flag picked with `book.loc[view.index, ...]`; divide the first by the second.",
    )
    solution_code = (
        'lifetime_bads = book.loc[view.index, "defaulted"].sum()\n'
        'visible_share = view["bad_so_far"].sum() / lifetime_bads'
    )

    def expected(self, ctx):
        return float(ctx["view"]["bad_so_far"].sum() / _lifetime_of_view(ctx).sum())

    def _slips(self, ctx):
        book, view = ctx["book"], ctx["view"]
        ko = _knockout_view(ctx)
        return [
            (
                float(ko["bad_so_far"].sum() / book.loc[ko.index, "defaulted"].sum()),
                "that share is over every knock-out pass, including applicants the scorecard "
                "declined; use the booked loans in view",
            ),
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


def _seen_in_2025(ctx: Mapping[str, Any]) -> pd.DataFrame:
    """The lender's 2025 bookings as of Monday: outcomes seen so far, not lifetime."""
    view = ctx["view"]
    return view[view["applied_at"] >= _utc(ctx["split"])]


class ApprovedBad(Question):
    title = "approved-then-bad loans at the production cutoff"
    requires = ("backtest", "view", "split", "cutoff", "old_cutoff")
    hints = (
        "Approved means pd < cutoff; bad means defaulted == 1 (the lifetime outcome). Use the "
        "production cutoff, not the old one.",
        "`metrics.decision_confusion` on the back-test's outcome and PD at the production "
        "cutoff gives the four cells; read the approved-and-bad one.",
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
        approved = now["approved_good"] + now["approved_bad"]
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
            (
                float(now["approved_bad"] / approved) if approved else math.nan,
                "that is a rate (bads per approved loan); the question asks for a count of loans",
            ),
            (
                float(_seen_in_2025(ctx)["bad_so_far"].sum()),
                "that counts the charge-offs the lender has seen so far in its 2025 book; the "
                "back-test counts lifetime outcomes of every 2025 application that reached the "
                "scorecard",
            ),
            (float(_confusion_inclusive(ctx, ctx["cutoff"])["approved_bad"]), _INCLUSIVE),
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
        "The same four counts as Question 3 (from `metrics.decision_confusion` at the "
        "production cutoff); read the declined-and-good cell.",
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
            (float(_confusion_inclusive(ctx, ctx["cutoff"])["declined_good"]), _INCLUSIVE),
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
        "`metrics.decline_precision` and `metrics.decline_recall` take the outcome, the PD and "
        "the cutoff; or divide the declined-bad count by the right total for each.",
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

    def _false_decline_rate(self, ctx):
        conf = _confusion(ctx, ctx["cutoff"])
        return float(conf["declined_good"] / (conf["declined_good"] + conf["approved_good"]))

    def compare(self, answer, expected, ctx):
        prec, rec = as_pair(answer, ("precision", "recall"))
        e_prec, e_rec = expected
        approve_prec, approve_rec = self._approval_side(ctx)
        if (
            _is_num(prec)
            and _is_num(rec)
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
                (
                    self._false_decline_rate(ctx),
                    "that is the false-decline rate (share of good customers declined); "
                    "decline recall is the share of bads that the cutoff declined",
                ),
            ],
        )

    def wrong_answers(self, ctx):
        p, r = self.expected(ctx)
        return distinct(
            (p, r),
            [
                (r, p),
                self._approval_side(ctx),
                (p, self._false_decline_rate(ctx)),
                (100 * p, 100 * r),
            ],
            tol=RATE_TOL,
        )


class ApprovalAndBadRate(Question):
    title = "approval rate and bad rate among approved"
    requires = ("book", "backtest", "view", "split", "cutoff", "old_cutoff")
    hints = (
        "Two numbers over the back-test at the production cutoff: the share of applications "
        "approved, and among the approved loans only, the share that defaulted (lifetime).",
        "`metrics.approval_rate` and `metrics.bad_rate_among_approved` at the production "
        "cutoff, on the back-test; both return fractions.",
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
        inclusive = _confusion_inclusive(ctx, c)
        n_2025 = int((book["applied_at"] >= _utc(ctx["split"])).sum())
        n_inclusive = inclusive["approved_good"] + inclusive["approved_bad"]
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
            (float(n_inclusive / len(bt)), _INCLUSIVE),
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
            (
                float(_seen_in_2025(ctx)["bad_so_far"].mean()),
                "that is the bad rate the lender has seen so far on its 2025 bookings (censored); "
                "the back-test uses lifetime outcomes",
            ),
            (
                float(inclusive["approved_bad"] / n_inclusive) if n_inclusive else math.nan,
                _INCLUSIVE,
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
        "Use the threshold table built over the lab's cutoffs with the loan amounts, LGD and "
        "margin, and find the row with the largest profit (not the most approvals, not the "
        "lowest bad rate).",
        "`idxmax` on the profit column gives the best row's label; read that row's `cutoff` "
        "(the label itself is a row number, not a cutoff).",
    )
    solution_code = 'best_cutoff = float(table.loc[table["profit"].idxmax(), "cutoff"])'

    def expected(self, ctx):
        t = _table(ctx)
        return float(t.loc[t["profit"].idxmax(), "cutoff"])

    def _slips(self, ctx):
        t = _table(ctx)
        by_count = _table(ctx, by_amount=False)
        margin, lgd = float(ctx["margin"]), float(ctx["lgd"])
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
            (
                float(t["profit"].idxmax()),
                "that is the row label of the best row (what idxmax returns), not its cutoff; "
                "read the cutoff column of that row",
            ),
            (
                round(margin / (margin + lgd), 2),
                "that is the break-even PD from the formula, which assumes calibrated PDs; the "
                "question asks which cutoff the table says earns most",
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
        "The extra approvals have PDs between the two cutoffs, above the break-even PD. For "
        "each of approval rate, bad rate among approved and profit, ask what adding them does.",
        "Index `table` by cutoff, take the OLD_CUTOFF and PRODUCTION_CUTOFF rows, and compare "
        "each of the three columns (`diff` does it in one step).",
    )
    solution_code = (
        'rows = table.set_index("cutoff").loc[[OLD_CUTOFF, PRODUCTION_CUTOFF]]\n'
        'change_in = rows[["approval_rate", "bad_rate_approved", "profit"]].diff().iloc[1]\n'
        'loosening = tuple("up" if d > 0 else "down" for d in change_in)'
    )
    _COLUMNS = ("approval_rate", "bad_rate_approved", "profit")

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
        for given in answer:
            if not isinstance(given, str) or given.strip().lower() not in MOVES:
                expect_choice(given, MOVES[0], choices=MOVES, what="each move")  # names options
        if tuple(g.strip().lower() for g in answer) != tuple(expected):
            # Two options per move: saying which, or how many, are wrong gives the answer away.
            raise Incorrect(
                "not all three moves match the table; for each column of the OLD_CUTOFF and "
                "PRODUCTION_CUTOFF rows, ask what the extra approvals (PDs between the two "
                "cutoffs, above break-even) add: to the approvals, to the bads among them, and "
                "to margin minus losses"
            )

    def wrong_answers(self, ctx):
        e = self.expected(ctx)
        return [c for c in itertools.product(MOVES, repeat=3) if c != e]


# --------------------------------------------------------------------------- Part 4: Monday


def _since_change(ctx: Mapping[str, Any]) -> pd.DataFrame:
    """Every application scored since the change (the back-test rows from ``change`` on)."""
    bt = ctx["backtest"]
    return bt[bt["applied_at"] >= _utc(ctx["change"])]


class ScorePSI(Question):
    title = "score PSI since the change"
    requires = ("valid", "backtest", "view", "change")
    hints = (
        "Reference = the sign-off sample's PDs; current = the PDs of every application scored "
        "since the change, approved or not. A cutoff moves who is approved, not the scores.",
        "`drift.psi` takes the reference first and the current second; pass the two `pd` columns.",
    )
    solution_code = 'score_psi = drift.psi(valid["pd"], since_change["pd"])'

    def expected(self, ctx):
        return drift.psi(ctx["valid"]["pd"], _since_change(ctx)["pd"])

    def _slips(self, ctx):
        valid, since = ctx["valid"]["pd"], _since_change(ctx)["pd"]
        view = ctx["view"]
        booked = view.loc[view["applied_at"] >= _utc(ctx["change"]), "pd"]
        return [
            (
                drift.psi(valid, booked),
                "that compares the booked loans, which are cut off at the cutoff (nobody above "
                "it is booked); compare every application scored since the change",
            ),
            (
                drift.psi(since, valid),
                "reference and current are swapped: drift.psi(reference, current) bins on the "
                "reference's deciles (the sign-off sample)",
            ),
            (
                drift.psi(valid, ctx["backtest"]["pd"]),
                "that compares every 2025 application; take those scored since the change",
            ),
        ]

    def compare(self, answer, expected, ctx):
        _number(answer, expected, what="the score PSI", slips=self._slips(ctx))

    def wrong_answers(self, ctx):
        e = self.expected(ctx)
        return distinct(e, [v for v, _ in self._slips(ctx)] + [100 * e], tol=RATE_TOL)


class ExpectedLossRise(Question):
    title = "expected loss the PDs predicted for the change"
    requires = ("backtest", "cutoffs", "cutoff", "old_cutoff", "lgd", "margin")
    hints = (
        "The `expected_loss` column is the model's own forecast (PD x LGD x amount over the "
        "approved), known the day a cutoff ships; `realized_loss` needs outcomes.",
        "Index `table` by cutoff and subtract the OLD_CUTOFF row's `expected_loss` from the "
        "PRODUCTION_CUTOFF row's; keep it in dollars.",
    )
    solution_code = """\
by_cutoff = table.set_index("cutoff")
expected_loss_rise = (
    by_cutoff.loc[PRODUCTION_CUTOFF, "expected_loss"] - by_cutoff.loc[OLD_CUTOFF, "expected_loss"]
)"""

    def _rise(self, table: pd.DataFrame, column: str, ctx) -> float:
        return float(_at(table, ctx["cutoff"])[column] - _at(table, ctx["old_cutoff"])[column])

    def expected(self, ctx):
        return self._rise(_table(ctx), "expected_loss", ctx)

    def _slips(self, ctx):
        t, counted = _table(ctx), _table(ctx, by_amount=False)
        e = self.expected(ctx)
        return [
            (
                self._rise(t, "realized_loss", ctx),
                "that is the realised loss, which needs lifetime outcomes (the world's peek); "
                "the question asks what the PDs predicted: expected_loss",
            ),
            (
                e / 1e6,
                "that looks like millions of dollars; give the rise in dollars",
            ),
            (
                self._rise(counted, "expected_loss", ctx),
                "that table counts every loan as 1; build it with loan_amount so the loss is in "
                "dollars",
            ),
            (
                float(_at(t, ctx["cutoff"])["expected_loss"]),
                "that is the whole expected loss at the production cutoff; the question asks "
                "how much it rose from the old cutoff",
            ),
            (
                self._rise(t, "profit", ctx),
                "that is the change in profit; the question asks about the expected loss",
            ),
        ]

    def compare(self, answer, expected, ctx):
        _number(
            answer,
            expected,
            what="the rise in expected loss",
            tol=1e-6,
            rtol=MONEY_RTOL,
            slips=self._slips(ctx),
        )

    def wrong_answers(self, ctx):
        e = self.expected(ctx)
        candidates = [v for v, _ in self._slips(ctx)] + [-e]
        return [c for c in distinct(e, candidates) if not math.isclose(c, e, rel_tol=MONEY_RTOL)]


def _early(ctx: Mapping[str, Any]) -> dict[str, Any]:
    """Early delinquency at equal months on book (what Q11 and Q12 read), memoised."""
    view, book = ctx["view"], ctx["book"]

    def compute() -> dict[str, Any]:
        return scenario.early_delinquency(
            view, book, change=ctx["change"], old_cutoff=ctx["old_cutoff"]
        )

    return memo("week01-early", (view, book), compute)


class EarlyDelinquency(Question):
    title = "30+ DPD by month 3, before vs since the change"
    requires = ("book", "view", "change", "old_cutoff")
    hints = (
        "Equal months on book: keep only loans at least 3 months old on Monday, and ask of "
        "each whether it went 30+ days past due in its first 3 months (not 'so far').",
        "Filter `view` on `months_on_book`, read each loan's first 30+ DPD month from `book` "
        "(`months_to_dpd30`: history for a loan that old), and take the mean on each side of "
        "CHANGE.",
    )
    solution_code = """\
seasoned = view[view["months_on_book"] >= 3]
late_by_3 = book.loc[seasoned.index, "months_to_dpd30"] <= 3
before = seasoned["applied_at"] < change
early_before, early_since = late_by_3[before].mean(), late_by_3[~before].mean()"""

    def expected(self, ctx):
        e = _early(ctx)
        return (e["before"], e["since"])

    def _slips(self, ctx):
        view = ctx["view"]
        old = view["applied_at"] < _utc(ctx["change"])
        seasoned = view[view["months_on_book"] >= 3]
        s_old = seasoned["applied_at"] < _utc(ctx["change"])
        so_far = (
            "that counts 30+ DPD at any age up to Monday; older loans have had longer to go "
            "late. Compare at equal months on book: within the first 3 months"
        )
        charge = (
            "those are charge-offs (bad_so_far); early delinquency is 30+ days past due, "
            "months before a charge-off"
        )
        before = [
            (float(view.loc[old, "ever_dpd30_so_far"].mean()), so_far),
            (float(seasoned.loc[s_old, "bad_so_far"].mean()), charge),
        ]
        since = [
            (
                float(view.loc[~old, "ever_dpd30_so_far"].mean()),
                "that includes loans younger than 3 months, which have not had the time to go "
                "late; keep loans with at least 3 months on book",
            ),
            (float(seasoned.loc[~s_old, "ever_dpd30_so_far"].mean()), so_far),
            (float(seasoned.loc[~s_old, "bad_so_far"].mean()), charge),
        ]
        return before, since

    def compare(self, answer, expected, ctx):
        first, second = as_pair(answer, ("before the change", "since the change"))
        e_before, e_since = expected
        if (
            _is_num(first)
            and _is_num(second)
            and _close(first, e_since, RATE_TOL)
            and _close(second, e_before, RATE_TOL)
            and not _close(e_before, e_since, RATE_TOL)
        ):
            raise Incorrect("the two rates are swapped: before the change first, then since")
        before_slips, since_slips = self._slips(ctx)
        _number(first, e_before, what="the rate before the change", slips=before_slips)
        _number(second, e_since, what="the rate since the change", slips=since_slips)

    def wrong_answers(self, ctx):
        b, s = self.expected(ctx)
        before_slips, since_slips = self._slips(ctx)
        candidates = [(v, s) for v, _ in before_slips] + [(b, v) for v, _ in since_slips]
        candidates += [(s, b), (100 * b, 100 * s)]
        return distinct((b, s), candidates, tol=RATE_TOL)


class Triage(Question):
    title = "triage heading"
    requires = ("book", "view", "valid", "backtest", "change", "old_cutoff")
    hints = (
        "Rule the headings out in order: data (the score PSI is significant), world (the PSI "
        "is moderate, or like-for-like early delinquency rose by more than a quarter), model "
        "(ROC-AUC fell by more than response.AUC_DROP_RULE), else threshold.",
        "Turn score_psi, drift.PSI_SIGNIFICANT, drift.PSI_MODERATE and like_for_like into the "
        "two booleans, take the two ROC-AUCs with metrics.roc_auc, and pass all four to "
        "response.triage.",
    )
    solution_code = """\
auc_signoff = metrics.roc_auc(valid["defaulted"], valid["pd"])
auc_backtest = metrics.roc_auc(backtest["defaulted"], backtest["pd"])
diagnosis = response.triage(
    inputs_broken=bool(score_psi >= drift.PSI_SIGNIFICANT),
    borrowers_changed=bool(score_psi >= drift.PSI_MODERATE or like_for_like > 1.25),
    auc_signoff=auc_signoff,
    auc_now=auc_backtest,
)"""

    def _evidence(self, ctx) -> dict[str, Any]:
        v, bt = ctx["valid"], ctx["backtest"]
        psi = drift.psi(v["pd"], _since_change(ctx)["pd"])
        ratio = _early(ctx)["like_for_like"]
        return {
            "inputs_broken": bool(psi >= drift.PSI_SIGNIFICANT),
            "borrowers_changed": bool(
                psi >= drift.PSI_MODERATE or ratio > scenario.LIKE_FOR_LIKE_RULE
            ),
            "auc_signoff": metrics.roc_auc(v["defaulted"], v["pd"]),
            "auc_now": metrics.roc_auc(bt["defaulted"], bt["pd"]),
        }

    def expected(self, ctx):
        return response.triage(**self._evidence(ctx))

    def compare(self, answer, expected, ctx):
        try:
            expect_choice(answer, expected, choices=response.TRIAGE_CLASSES, what="the heading")
        except Incorrect:
            if not isinstance(answer, str) or answer.strip().lower() not in response.TRIAGE_CLASSES:
                raise
            ev = self._evidence(ctx)
            given = answer.strip().lower()
            why = {
                "data": "nothing says the inputs are broken: a broken feed moves the score "
                "distribution",
                "world": "that needs the applicants (score PSI) or their repayment "
                "(like-for-like early delinquency) to have moved",
                "model": "the model heading needs the ROC-AUC to fall by more than "
                "response.AUC_DROP_RULE from sign-off",
                "threshold": "threshold is what is left once data, world and model are ruled "
                "out; one of them is not",
            }
            if given == "data" and ev["inputs_broken"]:
                why["data"] = "data is the first heading to rule out; check the order"
            raise Incorrect(f"{why[given]}; rule the headings out in order") from None

    def wrong_answers(self, ctx):
        e = self.expected(ctx)
        return [c for c in response.TRIAGE_CLASSES if c != e]


# --------------------------------------------------------------------------- fair lending


def _approved_at(apps: pd.DataFrame, cutoff: float) -> np.ndarray:
    """The whole decision: passed the knock-out rules and PD below the cutoff (NaN: never)."""
    return (apps["approved_policy"] & (apps["pd"] < cutoff)).to_numpy()


def _air_variants(ctx: Mapping[str, Any], cutoff: float) -> dict[str, float]:
    apps, bt = ctx["apps_2025"], ctx["backtest"]
    approved = _approved_at(apps, cutoff)
    proxy = apps["protected_proxy"].to_numpy()
    truth = apps["protected_group"].astype(str).to_numpy()
    hard = np.where(proxy >= 0.5, "protected", "reference")
    w = proxy
    protected_declines = ((1 - approved) * w).sum() / w.sum()
    reference_declines = ((1 - approved) * (1 - w)).sum() / (1 - w).sum()
    out = {
        "right": metrics.adverse_impact_ratio(approved, weights=proxy),
        "backtest": metrics.adverse_impact_ratio(
            (bt["pd"] < cutoff).to_numpy(), weights=bt["protected_proxy"].to_numpy()
        ),
        "truth": metrics.adverse_impact_ratio(approved, truth),
        "hard": metrics.adverse_impact_ratio(approved, hard),
        "declines": float(protected_declines / reference_declines)
        if reference_declines > 0
        else math.nan,
    }
    out["inverted"] = 1.0 / out["right"] if out["right"] > 0 else math.nan
    return out


_AIR_SLIPS = {
    "backtest": "that is over the applications that reached the scorecard; the fair-lending "
    "check covers the whole decision: every 2025 application, knock-out rules included",
    "truth": "that uses protected_group, which only the synthetic world knows; a lender "
    "weights each applicant by the proxy (weights=protected_proxy)",
    "hard": "you cut the proxy at 0.5 into two groups; weight each applicant by the "
    "probability instead (weights=)",
    "declines": "that compares decline rates; AIR is a ratio of approval rates",
    "inverted": "that is the reference group's rate over the protected group's; AIR puts the "
    "protected group's approval rate on top",
}


class AdverseImpact(Question):
    title = "adverse impact ratio before and after"
    requires = ("apps_2025", "backtest", "cutoff", "old_cutoff")
    hints = (
        "Approved = passed the knock-out rules and PD below the cutoff, over every 2025 "
        "application. The lender has no recorded group: it weights by the proxy.",
        "For each cutoff, build that boolean mask and pass it to "
        "`metrics.adverse_impact_ratio` with `weights=` the proxy column; old cutoff first.",
    )
    solution_code = """\
air_old, air_production = (
    metrics.adverse_impact_ratio(
        apps_2025["approved_policy"] & (apps_2025["pd"] < cut), weights=apps_2025["protected_proxy"]
    )
    for cut in (OLD_CUTOFF, PRODUCTION_CUTOFF)
)"""

    def expected(self, ctx):
        return (
            _air_variants(ctx, ctx["old_cutoff"])["right"],
            _air_variants(ctx, ctx["cutoff"])["right"],
        )

    def compare(self, answer, expected, ctx):
        first, second = as_pair(answer, ("AIR at the old cutoff", "AIR at the production cutoff"))
        e_old, e_now = expected
        if (
            _is_num(first)
            and _is_num(second)
            and _close(first, e_now, RATE_TOL)
            and _close(second, e_old, RATE_TOL)
            and not _close(e_old, e_now, RATE_TOL)
        ):
            raise Incorrect("the two ratios are swapped: the old cutoff first, then production")
        for given, cutoff, what in (
            (first, ctx["old_cutoff"], "the AIR at the old cutoff"),
            (second, ctx["cutoff"], "the AIR at the production cutoff"),
        ):
            variants = _air_variants(ctx, cutoff)
            slips = [(variants[k], reason) for k, reason in _AIR_SLIPS.items()]
            _number(given, variants["right"], what=what, slips=slips)

    def wrong_answers(self, ctx):
        old = _air_variants(ctx, ctx["old_cutoff"])
        now = _air_variants(ctx, ctx["cutoff"])
        e = (old["right"], now["right"])
        candidates = [(old[k], now[k]) for k in _AIR_SLIPS] + [(e[1], e[0])]
        return distinct(e, candidates, tol=RATE_TOL)


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
        ScorePSI(),
        ExpectedLossRise(),
        EarlyDelinquency(),
        Triage(),
        AdverseImpact(),
    ],
)
bind = _week.bind
q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, q11, q12, q13 = _week.questions
