"""Week 3: how ML systems fail in production (the questions behind the lab).

The lab ``solutions/week03_production_failures.ipynb`` fits the champion
:class:`lendlab.models.Scorecard` on a matured 2021 development sample, runs it in production
for 2024-2025 (:func:`lendlab.monitoring.decision_log` writes the decision log), lets a
macro shock change outcomes in spring 2025 (``faults.inject(..., "concept_shift")``) and
looks at the book the way the lender can on 1 January 2026: vintage curves, the decision mix,
early delinquency (30+ days past due by month 3 on book) from the servicer's payment history,
a label-free performance estimate from calibrated PDs, and a reconciliation of served features
against the offline feature job (training-serving skew).

In the lab::

    from lendlab.course.exercises import week03 as ex
    ex.bind(log=log, book=book, booked=booked, perf=perf, ...)
    ex.q1.check(lost_fields)

Every expected answer is computed from the bound data, so the checks hold for any seed. A
plausible slip (the wrong population, a month on book off by one, a rate seen so far instead
of at equal age, NaN != NaN) gets feedback that names it, never the expected value. The lab's
world (the decision log, the shock, the payment history, the offline feature job) is
:mod:`lendlab.course.scenarios.week03`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lendlab import monitoring, world
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
    expect_set,
)
from lendlab.course.scenarios import week03 as scenario
from lendlab.course.scenarios.common import between, utc

__all__ = ["RATE_TOL", "bind", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9"]

RATE_TOL = 5e-4  # admits rounding to 3 decimals; every plausible slip is further away

Slips = Sequence[tuple[Any, str]]
#: Slips, or a function computing them: called only once the answer is known to be wrong.
LazySlips = Slips | Callable[[], Slips]

# --------------------------------------------------------------------------- grading helpers


def _near(answer: Any, value: Any) -> bool:
    return (
        is_number(answer)
        and is_number(value)
        and math.isfinite(float(value))
        and abs(float(answer) - float(value)) <= RATE_TOL
    )


def _expect_rate(answer: Any, expected: float, what: str, slips: LazySlips = ()) -> None:
    """:func:`expect_number` at :data:`RATE_TOL`; a known slip gets its own reason.

    The answer is compared with the right one first, so a slip that happens to equal it on
    this data is never reported.
    """
    expect_number_or_slip(answer, expected, what=what, rtol=0.0, atol=RATE_TOL, slips=slips)


def _expect_pair(
    answer: Any,
    expected: tuple[float, float],
    what: tuple[str, str],
    slips: LazySlips = (),
) -> None:
    """Two rates ``(what[0], what[1])``; a pair equal to a known slip gets its reason."""
    first, second = as_pair(answer, what, kind="rates")
    if not (_near(first, expected[0]) and _near(second, expected[1])):
        for (a, b), reason in slips() if callable(slips) else slips:
            if _near(first, a) and _near(second, b):
                raise Incorrect(reason)
    _expect_rate(first, expected[0], what[0])
    _expect_rate(second, expected[1], what[1])


def _approve_below(ctx: Mapping[str, Any]) -> float:
    return float(ctx["cutoff"]) - float(ctx["review_margin"])


def _month_index(when: pd.Series) -> pd.Series:
    return when.dt.year * 12 + when.dt.month


def _latest_month(log: pd.DataFrame, back: int = 0) -> pd.DataFrame:
    month = _month_index(log["applied_at"])
    return log[month == month.max() - back]


def _at_month(curve: pd.DataFrame, months: int) -> pd.Series:
    at = curve[curve["months_on_book"] == months]
    return at.set_index("vintage")["cum_bad_rate"]


def _month6(curve: pd.DataFrame) -> pd.Series:
    return _at_month(curve, 6)


def _cohort_numbers(ctx: Mapping[str, Any]) -> pd.DataFrame:
    """Label-free estimate vs the (future) truth per cohort."""
    cut = _approve_below(ctx)
    rows = {}
    for name in scenario.COHORTS:
        cohort = ctx["cohorts"][name]
        p = np.asarray(ctx["card"].predict_pd(cohort), dtype=float)
        est = monitoring.expected_outcomes(p, cutoff=cut)
        actual = float(cohort["defaulted"].to_numpy()[p < cut].mean())
        rows[name] = {
            "estimated": float(est["expected_bad_rate_approved"]),
            "actual": actual,
            "mean_pd_all": float(p.mean()),
            "estimated_at_cutoff": float(p[p < float(ctx["cutoff"])].mean()),
        }
    return pd.DataFrame(rows).T


def _mismatch(served: pd.DataFrame, offline: pd.DataFrame, *, nan_equal: bool = True) -> pd.Series:
    """Share of applications whose served and recomputed values differ, per column."""
    both = served.merge(offline, on="application_id", suffixes=("_served", "_offline"))
    shares = {}
    for col in served.columns:
        if col == "application_id":
            continue
        a, b = both[f"{col}_served"], both[f"{col}_offline"]
        differ = a.ne(b)
        if nan_equal:
            differ &= ~(a.isna() & b.isna())
        shares[col] = float(differ.mean())
    return pd.Series(shares, name="mismatch_share")


def _by_position(served: pd.DataFrame, offline: pd.DataFrame) -> pd.Series:
    """The same comparison done row by row, ignoring the key (the positional slip)."""
    cols = [c for c in served.columns if c != "application_id"]
    return pd.Series(
        {c: float((served[c].to_numpy() != offline[c].to_numpy()).mean()) for c in cols}
    )


def _skewed_column(ctx: Mapping[str, Any]) -> str:
    shares = _mismatch(ctx["served"], ctx["offline"])
    if not (shares > 0).any():
        raise ValueError("served and offline features agree everywhere; nothing to find")
    return str(shares.idxmax())


# --------------------------------------------------------------------------- questions


class LostFields(Question):
    title = "what a slimmer decision log would lose"
    hints = (
        "Compare the columns of the decision log you built with the proposal: which of our "
        "columns does the proposal not keep? Extra fields in the proposal do not matter.",
        "A set difference: the log's columns minus the proposal's (not the other way round, "
        "and not the symmetric difference).",
    )
    solution_code = "lost_fields = set(log.columns) - set(proposed_schema)"
    requires = ("log", "proposed_schema")

    def expected(self, ctx: Mapping[str, Any]) -> set:
        return set(ctx["log"].columns) - set(ctx["proposed_schema"])

    def compare(self, answer: Any, expected: set, ctx: Mapping[str, Any]) -> None:
        if isinstance(answer, (set, frozenset)):
            # expect_set reads a set through np.asarray, which wraps it whole
            answer = sorted(answer, key=str)
        extras = set(ctx["proposed_schema"]) - set(ctx["log"].columns)
        if isinstance(answer, (list, tuple)) and set(answer) == extras and extras != expected:
            raise Incorrect(
                "those are the fields the proposal adds; the question asks what our log has "
                "and the proposal would drop"
            )
        expect_set(answer, expected, what="your set of lost fields")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        lost = self.expected(ctx)
        core_only = lost & set(monitoring.LOG_COLUMNS)  # forgot the input snapshot
        extras = set(ctx["proposed_schema"]) - set(ctx["log"].columns)  # the wrong direction
        both_ways = lost | extras  # symmetric difference
        return [core_only, extras, both_ways]


class Month12BadRate(Question):
    title = "oldest vintage's bad rate at month 12"
    hints = (
        "Read the vintage curve, not the dashboard: the oldest vintage's cumulative bad rate "
        "when it was 12 months on book (not its bad rate today, at ~2 years on book).",
        "Filter curve to one row: the smallest vintage label and months_on_book equal to 12; "
        "its cum_bad_rate is the answer (.item() gives the number).",
    )
    solution_code = """oldest_vintage = curve["vintage"].min()
month12_bad_rate = curve.loc[
    (curve["vintage"] == oldest_vintage) & (curve["months_on_book"] == 12), "cum_bad_rate"
].item()"""
    requires = ("curve", "perf")

    def expected(self, ctx: Mapping[str, Any]) -> float:
        curve = ctx["curve"]
        oldest = curve["vintage"].min()
        return float(
            curve.loc[
                (curve["vintage"] == oldest) & (curve["months_on_book"] == 12), "cum_bad_rate"
            ].item()
        )

    def _slips(self, ctx: Mapping[str, Any]) -> list[tuple[float, str]]:
        curve, perf = ctx["curve"], ctx["perf"]
        oldest = curve["vintage"].min()
        one = curve[curve["vintage"] == oldest].set_index("months_on_book")["cum_bad_rate"]
        at12 = _at_month(curve, 12).sort_index()
        off_by_one = (
            "that is the oldest vintage at another month on book (off by one?): take the "
            "row where months_on_book == 12"
        )
        return [
            (
                float(perf.loc[perf["vintage"] == oldest, "bad_so_far"].mean()),
                "that is the oldest vintage's bad rate so far, today; the question asks for "
                "its cumulative bad rate when it was 12 months on book",
            ),
            (float(one.get(11, np.nan)), off_by_one),
            (float(one.get(13, np.nan)), off_by_one),
            (
                float(at12.mean()),
                "that is the average of every vintage at month 12; take the oldest vintage",
            ),
            (float(at12.iloc[-1]), "that is the newest vintage with 12 months; take the oldest"),
            (float(at12.iloc[1]) if len(at12) > 1 else np.nan, "that is the second-oldest vintage"),
        ]

    def compare(self, answer: Any, expected: float, ctx: Mapping[str, Any]) -> None:
        _expect_rate(answer, expected, "the month-12 bad rate", lambda: self._slips(ctx))

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        expected = self.expected(ctx)
        slips = [v for v, _ in self._slips(ctx)]
        return distinct(expected, [*slips, 100 * expected], tol=RATE_TOL)


class WorstAtMonth6(Question):
    title = "worst vintage at equal months on book"
    hints = (
        "Compare like with like: take every vintage's cumulative bad rate at the same month "
        "on book (6) and pick the highest. The dashboard's bad-rate-so-far favours old loans.",
        "Keep the rows of curve with months_on_book == 6, then find the row with the largest "
        "cum_bad_rate (a rate, not the count of bads) and read its vintage.",
    )
    solution_code = """at6 = curve[curve["months_on_book"] == 6]
worst_vintage = at6.loc[at6["cum_bad_rate"].idxmax(), "vintage"]"""
    requires = ("curve",)

    def expected(self, ctx: Mapping[str, Any]) -> str:
        at6 = _month6(ctx["curve"])
        return str(at6.idxmax())

    def compare(self, answer: Any, expected: str, ctx: Mapping[str, Any]) -> None:
        at6 = _month6(ctx["curve"])
        if not isinstance(answer, str):
            raise Incorrect(
                f"expected a vintage label such as '2024-07' (str), got {type(answer).__name__}"
            )
        given = answer.strip()
        if given not in at6.index:
            raise Incorrect(
                f"{given!r} is not a vintage with 6 months on book; use labels like "
                f"{at6.index[0]!r} from curve['vintage']"
            )
        if not math.isclose(at6[given], at6.max(), rel_tol=0, abs_tol=1e-12):
            raise Incorrect(
                f"vintage {given} is not the worst at month 6 on book; compare every vintage's "
                "cumulative bad rate (not its count of bads) at the same month on book"
            )

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        curve = ctx["curve"]
        at6 = _month6(curve)
        worst = at6[np.isclose(at6, at6.max(), rtol=0, atol=1e-12)].index
        naive = monitoring.bad_rate_by_vintage(ctx["perf"])
        naive_worst = str(naive.loc[naive["bad_rate_so_far"].idxmax(), "vintage"])
        bads6 = curve[curve["months_on_book"] == 6].set_index("vintage")["bads"]
        candidates = [
            naive_worst,  # the dashboard
            str(bads6.idxmax()),  # most bads, not the highest rate
            str(_at_month(curve, 5).idxmax()),  # month on book off by one
            str(_at_month(curve, 7).idxmax()),
            str(at6.index[-1]),
            str(at6.idxmin()),
            str(at6.index[0]),
        ]
        return [c for c in dict.fromkeys(candidates) if c in at6.index and c not in worst]


class LatestMonthMix(Question):
    title = "approval and manual-review rate, latest month"
    hints = (
        "Proxies before labels: in the log's latest calendar month, the share of all logged "
        "applications approved and the share sent to manual review (both out of everything "
        "decided that month).",
        "monitoring.decision_mix gives one row per month; its last row holds both rates. "
        "Answer a tuple (approval_rate, review_rate) of floats.",
    )
    solution_code = """latest = monitoring.decision_mix(log, freq="MS").iloc[-1]
latest_mix = (latest["approval_rate"], latest["review_rate"])"""
    requires = ("log",)

    @staticmethod
    def _mix(decisions: pd.Series) -> tuple[float, float]:
        d = decisions.astype("str")
        return float((d == "approve").mean()), float((d == "review").mean())

    def expected(self, ctx: Mapping[str, Any]) -> tuple[float, float]:
        return self._mix(_latest_month(ctx["log"])["decision"])

    def _slips(self, ctx: Mapping[str, Any]) -> list[tuple[tuple[float, float], str]]:
        approve, review = self.expected(ctx)
        last = _latest_month(ctx["log"])["decision"].astype("str")
        not_declined = last != "decline"
        slips = [
            (
                self._mix(ctx["log"]["decision"]),
                "that is the mix over the whole log; take the latest calendar month only",
            ),
            (
                self._mix(_latest_month(ctx["log"], back=1)["decision"]),
                "that is the month before the latest one; the log's last month is complete",
            ),
            (
                (approve + review, review),
                "reviews are not approvals: an underwriter decides them; count 'approve' only",
            ),
            (
                (approve, float((last[not_declined] == "review").mean())),
                "the review rate is a share of every decision that month, declines included",
            ),
            ((review, approve), "the order is (approval_rate, review_rate)"),
        ]
        if "book" in ctx and "booked" in ctx:
            book, booked = ctx["book"], ctx["booked"]
            month = _month_index(book["applied_at"])
            latest = month == _month_index(ctx["log"]["applied_at"]).max()
            slips.append(
                (
                    (float(booked[latest].mean()), review),
                    "that approval rate counts every application, knock-out declines too; the "
                    "rates are shares of the decisions in the log (the applications that "
                    "reached the model)",
                )
            )
        return slips

    def compare(self, answer: Any, expected: tuple[float, float], ctx: Mapping[str, Any]) -> None:
        _expect_pair(
            answer,
            expected,
            ("the approval rate", "the manual-review rate"),
            lambda: self._slips(ctx),
        )

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        approve, review = self.expected(ctx)
        candidates = [v for v, _ in self._slips(ctx)] + [(100 * approve, 100 * review)]
        return distinct((approve, review), candidates, tol=RATE_TOL)


class EarlyDelinquency(Question):
    title = "30+ days past due by month 3, before and during the shock"
    hints = (
        "Early delinquency is judged on the loans the scorecard booked (perf, built with "
        "approved=booked), at equal age: keep the loans with at least 3 months on book and "
        "count one when it first went 30+ days past due at or before month 3. Vintages are "
        "the booking dates: slice with between(frame, start, end).",
        "Filter perf on months_on_book, compare dpd30_month with 3 (NaN, never late or not "
        "yet, compares False) and average that flag over [pre_start, shock_start) and over "
        "[shock_start, shock_end). Answer (before, during).",
    )
    solution_code = """seasoned = perf[perf["months_on_book"] >= 3].copy()  # 3+ months on book
seasoned["dpd30_by_3"] = seasoned["dpd30_month"] <= 3  # NaN (never late, or not yet) is False
dpd30_rates = (
    between(seasoned, S["pre_start"], S["shock_start"])["dpd30_by_3"].mean(),
    between(seasoned, S["shock_start"], S["shock_end"])["dpd30_by_3"].mean(),
)"""
    requires = ("book", "booked", "as_of", "pre_start", "shock_start", "shock_end")

    @staticmethod
    def _rates(
        frame: pd.DataFrame, flag: pd.Series, ctx: Mapping[str, Any], *, end: Any = None
    ) -> tuple[float, float]:
        flagged = frame[["applied_at"]].assign(flag=flag.to_numpy(dtype=float))
        before = between(flagged, ctx["pre_start"], ctx["shock_start"])["flag"]
        during = between(flagged, ctx["shock_start"], end or ctx["shock_end"])["flag"]
        return float(before.mean()), float(during.mean())

    def _history(self, ctx: Mapping[str, Any], approved: pd.Series | None = None) -> pd.DataFrame:
        book, as_of = ctx["book"], ctx["as_of"]
        if approved is None:  # the booked loans' history: kept while the same objects are bound
            booked = ctx["booked"]
            return memo(
                "week03-history",
                (book, booked, as_of),
                lambda: scenario.payment_history(book, as_of, approved=booked),
            )
        return scenario.payment_history(book, as_of, approved=approved)

    def _by_month(
        self,
        history: pd.DataFrame,
        ctx: Mapping[str, Any],
        *,
        col: str = "dpd30_month",
        month: int = 3,
        end: Any = None,
    ) -> tuple[float, float]:
        seasoned = history[history["months_on_book"] >= month]
        return self._rates(seasoned, seasoned[col] <= month, ctx, end=end)

    def expected(self, ctx: Mapping[str, Any]) -> tuple[float, float]:
        return self._by_month(self._history(ctx), ctx)

    def _slips(self, ctx: Mapping[str, Any]) -> list[tuple[tuple[float, float], str]]:
        book, booked = ctx["book"], ctx["booked"]
        history = self._history(ctx)
        before, during = self.expected(ctx)
        off_by_one = (
            "the month on book is off by one: by month 3 means dpd30_month <= 3 (months 1, 2 "
            "and 3), among loans with at least 3 months on book"
        )
        window = world.observed(book, ctx["as_of"], approved=booked, window_months=6)
        view = world.observed(book, ctx["as_of"], approved=booked)
        june = utc(ctx["shock_end"]) + pd.DateOffset(months=1)
        slips = [
            (
                self._by_month(self._history(ctx, book["approved_policy"]), ctx),
                "that is the rate over every knock-out pass, including the applicants the "
                "scorecard declined, who never made a payment; the population is the loans "
                "the scorecard booked (approved=booked)",
            ),
            (
                self._rates(window, window["bad_in_window"], ctx),
                "that is charged off by month 6 (the old early-payment default): a charge-off "
                "is the end of the road; the question asks for 30+ days past due by month 3",
            ),
            (
                self._by_month(history, ctx, col="default_month"),
                "no loan is charged off before month 5: count 30+ days past due "
                "(dpd30_month), not charge-offs",
            ),
            (
                self._rates(view, view["ever_dpd30_so_far"], ctx),
                "that counts loans ever 30+ days past due so far, and older loans have had "
                "more months to go late: compare at equal age, by month 3 on book",
            ),
            (
                self._rates(view, view["dpd_status"].astype("str") != "current", ctx),
                "that is today's status: a loan that was 30 days late in month 2 and caught "
                "up is current today; count the loans that went 30+ DPD by month 3",
            ),
            (self._by_month(history, ctx, month=2), off_by_one),
            (self._by_month(history, ctx, month=4), off_by_one),
            (
                self._by_month(history, ctx, col="dpd60_month"),
                "that is 60+ days past due; the question asks for 30+ (dpd30_month)",
            ),
            (
                self._rates(book[booked], book.loc[booked, "defaulted"], ctx),
                "that is the lifetime outcome, which the lender will not have for years (the "
                "world's peek); use the payment history as of AS_OF",
            ),
            (
                self._by_month(history, ctx, end=june),
                "the shock window ends before S['shock_end'] (the June vintage is not in "
                "it): between(frame, start, end) excludes the end",
            ),
            ((during, before), "the order is (before, during)"),
        ]
        if "log" in ctx:  # reviews counted as booked loans
            log = ctx["log"]
            ids = log.loc[log["decision"].astype("str") != "decline", "application_id"]
            with_reviews = book["application_id"].isin(ids)
            slips.insert(
                1,
                (
                    self._by_month(self._history(ctx, with_reviews), ctx),
                    "that counts the manual-review queue as booked; in this lab only "
                    "approved applications are booked (approved=booked)",
                ),
            )
        return slips

    def compare(self, answer: Any, expected: tuple[float, float], ctx: Mapping[str, Any]) -> None:
        _expect_pair(
            answer,
            expected,
            ("the 30+ DPD rate before the shock", "the 30+ DPD rate during it"),
            lambda: self._slips(ctx),
        )

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        before, during = self.expected(ctx)
        candidates = [v for v, _ in self._slips(ctx)] + [(100 * before, 100 * during)]
        return distinct((before, during), candidates, tol=RATE_TOL)


class CovariateEstimate(Question):
    title = "label-free estimate of the bad rate, covariate-shifted cohort"
    hints = (
        "With calibrated PDs, the expected bad rate among approved loans is the average PD of "
        "the applications that would be approved. Approval means pd below the cutoff minus the "
        "review margin.",
        "Score the covariate_shift cohort with card.predict_pd and hand the PDs to "
        "monitoring.expected_outcomes with cutoff=APPROVE_BELOW; read "
        "expected_bad_rate_approved.",
    )
    solution_code = """p_cov = card.predict_pd(cohorts["covariate_shift"])
estimated = monitoring.expected_outcomes(p_cov, cutoff=APPROVE_BELOW)
covariate_estimate = estimated["expected_bad_rate_approved"]"""
    requires = ("card", "cohorts", "cutoff", "review_margin")

    def expected(self, ctx: Mapping[str, Any]) -> float:
        return float(_cohort_numbers(ctx).loc["covariate_shift", "estimated"])

    def _slips(self, ctx: Mapping[str, Any]) -> list[tuple[float, str]]:
        nums = _cohort_numbers(ctx)
        return [
            (
                float(nums.loc["covariate_shift", "mean_pd_all"]),
                "that averages the PDs of every application, declined ones too: the estimate "
                "is over the loans that would be approved (PD below APPROVE_BELOW)",
            ),
            (
                float(nums.loc["covariate_shift", "estimated_at_cutoff"]),
                "that approves the manual-review band too: approve means PD below CUTOFF - "
                "REVIEW_MARGIN (APPROVE_BELOW)",
            ),
            (float(nums.loc["baseline", "estimated"]), "that is the baseline cohort"),
            (
                float(nums.loc["covariate_shift", "actual"]),
                "that is the world's actual outcome, which nobody has on the day; estimate it "
                "from the PDs alone",
            ),
        ]

    def compare(self, answer: Any, expected: float, ctx: Mapping[str, Any]) -> None:
        _expect_rate(answer, expected, "the estimated bad rate", lambda: self._slips(ctx))

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        expected = self.expected(ctx)
        slips = [v for v, _ in self._slips(ctx)]
        return distinct(expected, [*slips, 100 * expected], tol=RATE_TOL)


class BlindSpot(Question):
    title = "where the label-free estimate misses"
    hints = (
        "Once the outcomes are in (the world tells us now; the lender learns it over years), "
        "compare each cohort's estimated bad rate among approved loans with the actual one.",
        "For each cohort, keep the applications with PD below APPROVE_BELOW and take the "
        "absolute gap between their mean PD and their mean of defaulted; answer the cohort "
        "with the largest gap.",
    )
    solution_code = """gaps = {}
for name, cohort in cohorts.items():
    p = card.predict_pd(cohort).to_numpy()
    approved = p < APPROVE_BELOW
    gaps[name] = abs(p[approved].mean() - cohort["defaulted"].to_numpy()[approved].mean())
blind_spot = max(gaps, key=gaps.get)"""
    requires = ("card", "cohorts", "cutoff", "review_margin")

    def expected(self, ctx: Mapping[str, Any]) -> str:
        nums = _cohort_numbers(ctx)
        return str((nums["estimated"] - nums["actual"]).abs().idxmax())

    def compare(self, answer: Any, expected: str, ctx: Mapping[str, Any]) -> None:
        expect_choice(answer, expected, choices=scenario.COHORTS, what="the cohort")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        expected = self.expected(ctx)
        return [c for c in scenario.COHORTS if c != expected]


class SkewedColumn(Question):
    title = "the column the offline job gets wrong"
    hints = (
        "Join served and recomputed features on application_id (the job's rows are in another "
        "order) and, column by column, count the rows whose values differ. Two missing values "
        "are the same value, not a difference.",
        "After the merge (suffixes _served and _offline), a row differs when .ne says so and "
        "the two values are not both missing (.isna on each side); take the column with the "
        "largest share.",
    )
    solution_code = """\
both = served.merge(offline, on="application_id", suffixes=("_served", "_offline"))
mismatch = {}
for col in card.features_:
    a, b = both[f"{col}_served"], both[f"{col}_offline"]
    mismatch[col] = (a.ne(b) & ~(a.isna() & b.isna())).mean()
skewed_column = max(mismatch, key=mismatch.get)"""
    requires = ("served", "offline")

    def expected(self, ctx: Mapping[str, Any]) -> str:
        return _skewed_column(ctx)

    def compare(self, answer: Any, expected: str, ctx: Mapping[str, Any]) -> None:
        served, offline = ctx["served"], ctx["offline"]
        choices = [c for c in served.columns if c != "application_id"]
        given = answer.strip() if isinstance(answer, str) else None
        if given is not None and given != expected and given in choices:
            naive = _mismatch(served, offline, nan_equal=False)
            aware = _mismatch(served, offline)
            if naive[given] > aware[given] and naive[given] >= aware[expected]:
                raise Incorrect(
                    f"much of what differs in {given} is two missing values: in pandas "
                    "NaN != NaN, so treat two missing values as equal"
                )
            if given == str(_by_position(served, offline).idxmax()):
                raise Incorrect(
                    "the offline rows come in another order: join on application_id instead "
                    "of comparing row by row"
                )
        expect_choice(answer, expected, choices=choices, what="the column")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        expected = self.expected(ctx)
        naive = _mismatch(ctx["served"], ctx["offline"], nan_equal=False)
        by_position = _by_position(ctx["served"], ctx["offline"])
        candidates = [str(naive.drop(expected).idxmax()), str(by_position.idxmax())]
        candidates += [c for c in scenario.SKEW_COLUMNS]
        return [c for c in dict.fromkeys(candidates) if c != expected]


class SkewShare(Question):
    title = "share of applications where the skewed column differs"
    hints = (
        "Same comparison as before, for the one column: after joining on application_id, the "
        "share of rows whose served and recomputed values differ (two missing values agree).",
        "Reuse the joined frame and the NaN-aware comparison of the previous question for the "
        "skewed column only; its mean is the share.",
    )
    solution_code = """skewed = max(mismatch, key=mismatch.get)
a, b = both[f"{skewed}_served"], both[f"{skewed}_offline"]
skew_share = (a.ne(b) & ~(a.isna() & b.isna())).mean()"""
    requires = ("served", "offline")

    def expected(self, ctx: Mapping[str, Any]) -> float:
        return float(_mismatch(ctx["served"], ctx["offline"])[_skewed_column(ctx)])

    def _slips(self, ctx: Mapping[str, Any]) -> list[tuple[float, str]]:
        col = _skewed_column(ctx)
        served, offline = ctx["served"], ctx["offline"]
        shares = _mismatch(served, offline)
        return [
            (
                float(_mismatch(served, offline, nan_equal=False)[col]),
                "that counts pairs of missing values as differences (NaN != NaN in pandas); "
                "two missing values agree",
            ),
            (
                float(_by_position(served, offline)[col]),
                "that compares rows by position; the job writes its rows in another order: "
                "join on application_id",
            ),
            (
                float(shares[col] * len(served)),
                "that is a count of rows; the question asks a share",
            ),
            (
                float(shares.mean()),
                "that is the mean over every column; take the skewed column only",
            ),
        ]

    def compare(self, answer: Any, expected: float, ctx: Mapping[str, Any]) -> None:
        _expect_rate(answer, expected, "the mismatch share", lambda: self._slips(ctx))

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        expected = self.expected(ctx)
        slips = [v for v, _ in self._slips(ctx)]
        return distinct(expected, [*slips, 100 * expected], tol=RATE_TOL)


_week = Week(
    "week03",
    [
        LostFields(),
        Month12BadRate(),
        WorstAtMonth6(),
        LatestMonthMix(),
        EarlyDelinquency(),
        CovariateEstimate(),
        BlindSpot(),
        SkewedColumn(),
        SkewShare(),
    ],
)
bind = _week.bind
q1, q2, q3, q4, q5, q6, q7, q8, q9 = _week.questions
