"""Week 3: how ML systems fail in production (the questions behind the lab).

The lab ``solutions/week03_production_failures.ipynb`` fits the champion
:class:`lendlab.models.Scorecard` on a matured 2021 development sample, runs it in production
for 2024-2025 (:func:`lendlab.monitoring.decision_log` writes the decision log), lets a
macro shock change outcomes in spring 2025 (``faults.inject(..., "concept_shift")``) and
looks at the book the way the lender can on 1 January 2026: vintage curves, proxy metrics,
early-payment default, a label-free performance estimate from calibrated PDs, and a
reconciliation of served features against the offline feature job (training-serving skew).

In the lab::

    from lendlab.course.exercises import week03 as ex
    ex.bind(log=log, book=book, booked=booked, perf=perf, ...)
    ex.q1.check(lost_fields)

Every expected answer is computed from the bound data, so the checks hold for any seed. The
lab's world (the decision log, the shock, the offline feature job) is
:mod:`lendlab.course.scenarios.week03`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from lendlab import monitoring, world
from lendlab.course.exercises.answers import distinct
from lendlab.course.exercises.checks import (
    Incorrect,
    Question,
    Week,
    expect_choice,
    expect_number,
    expect_set,
)
from lendlab.course.scenarios import week03 as scenario
from lendlab.course.scenarios.common import between

__all__ = ["RATE_TOL", "bind", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9"]

RATE_TOL = 5e-4  # admits rounding to 3 decimals; every plausible slip is further away

# --------------------------------------------------------------------------- grading helpers


def _expect_rate(answer: Any, expected: float, what: str) -> None:
    expect_number(answer, expected, rtol=0.0, atol=RATE_TOL, what=what)


def _expect_pair(answer: Any, expected: tuple[float, float], what: tuple[str, str]) -> None:
    if isinstance(answer, (str, bytes)) or not isinstance(
        answer, (tuple, list, pd.Series, np.ndarray)
    ):
        raise Incorrect(f"expected a tuple of two rates, got {type(answer).__name__}")
    values = list(answer)
    if len(values) != 2:
        raise Incorrect(f"expected 2 values (a tuple of two rates), got {len(values)}")
    _expect_rate(values[0], expected[0], what[0])
    _expect_rate(values[1], expected[1], what[1])


def _approve_below(ctx: Mapping[str, Any]) -> float:
    return float(ctx["cutoff"]) - float(ctx["review_margin"])


def _latest_month(log: pd.DataFrame) -> pd.DataFrame:
    when = log["applied_at"]
    month = when.dt.year * 12 + when.dt.month
    return log[month == month.max()]


def _month6(curve: pd.DataFrame) -> pd.Series:
    at6 = curve[curve["months_on_book"] == 6]
    return at6.set_index("vintage")["cum_bad_rate"]


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
        "lost_fields = set(log.columns) - set(proposed_schema)",
    )
    solution_code = "lost_fields = set(log.columns) - set(proposed_schema)"
    requires = ("log", "proposed_schema")

    def expected(self, ctx: Mapping[str, Any]) -> set:
        return set(ctx["log"].columns) - set(ctx["proposed_schema"])

    def compare(self, answer: Any, expected: set, ctx: Mapping[str, Any]) -> None:
        if isinstance(answer, (set, frozenset)):
            # _core.expect_set reads a set through np.asarray, which wraps it whole
            answer = sorted(answer, key=str)
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
        "oldest = curve['vintage'].min(); curve.loc[(curve['vintage'] == oldest) & "
        "(curve['months_on_book'] == 12), 'cum_bad_rate'].item()",
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

    def compare(self, answer: Any, expected: float, ctx: Mapping[str, Any]) -> None:
        _expect_rate(answer, expected, "the month-12 bad rate")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        expected = self.expected(ctx)
        curve, perf = ctx["curve"], ctx["perf"]
        oldest = curve["vintage"].min()
        so_far = float(perf.loc[perf["vintage"] == oldest, "bad_so_far"].mean())  # today
        pooled = float(curve.loc[curve["months_on_book"] == 12, "cum_bad_rate"].mean())
        newest_at_12 = float(
            curve.loc[curve["months_on_book"] == 12].sort_values("vintage")["cum_bad_rate"].iloc[-1]
        )
        return distinct(expected, [so_far, 100 * expected, pooled, newest_at_12], tol=RATE_TOL)


class WorstAtMonth6(Question):
    title = "worst vintage at equal months on book"
    hints = (
        "Compare like with like: take every vintage's cumulative bad rate at the same month "
        "on book (6) and pick the highest. The dashboard's bad-rate-so-far favours old loans.",
        "at6 = curve[curve['months_on_book'] == 6]; "
        "at6.loc[at6['cum_bad_rate'].idxmax(), 'vintage']",
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
                f"vintage {given} is not the worst at month 6 on book; compare every vintage "
                "at the same month on book"
            )

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        at6 = _month6(ctx["curve"])
        worst = at6[np.isclose(at6, at6.max(), rtol=0, atol=1e-12)].index
        naive = monitoring.bad_rate_by_vintage(ctx["perf"])
        naive_worst = str(naive.loc[naive["bad_rate_so_far"].idxmax(), "vintage"])
        candidates = [naive_worst, str(at6.index[-1]), str(at6.idxmin()), str(at6.index[0])]
        return [c for c in dict.fromkeys(candidates) if c not in worst]


class LatestMonthMix(Question):
    title = "approval and manual-review rate, latest month"
    hints = (
        "Proxies before labels: in the log's latest calendar month, the share of all logged "
        "applications approved and the share sent to manual review (both out of everything "
        "decided that month).",
        "monitoring.decision_mix(log).iloc[-1][['approval_rate', 'review_rate']] gives both; "
        "answer a tuple (approval_rate, review_rate) of floats.",
    )
    solution_code = """latest = monitoring.decision_mix(log, freq="MS").iloc[-1]
latest_mix = (latest["approval_rate"], latest["review_rate"])"""
    requires = ("log",)

    def expected(self, ctx: Mapping[str, Any]) -> tuple[float, float]:
        last = _latest_month(ctx["log"])["decision"].astype("str")
        return float((last == "approve").mean()), float((last == "review").mean())

    def compare(self, answer: Any, expected: tuple[float, float], ctx: Mapping[str, Any]) -> None:
        _expect_pair(answer, expected, ("the approval rate", "the manual-review rate"))

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        approve, review = self.expected(ctx)
        last = _latest_month(ctx["log"])["decision"].astype("str")
        not_declined = last != "decline"
        review_of_undeclined = float((last[not_declined] == "review").mean())
        whole = ctx["log"]["decision"].astype("str")
        candidates = [
            (approve + review, review),  # counted reviews as approvals
            (approve, review_of_undeclined),  # review share of the non-declined only
            (100 * approve, 100 * review),  # percent
            (float((whole == "approve").mean()), float((whole == "review").mean())),  # all time
        ]
        return distinct((approve, review), candidates, tol=RATE_TOL)


class EarlyPaymentDefault(Question):
    title = "early-payment default before and during the shock"
    hints = (
        "Early-payment default is a matured label: only loans with at least 6 months on book "
        "can be judged, and only defaults within their first 6 months count. "
        "world.observed(..., window_months=6) keeps exactly those loans and adds bad_in_window.",
        "v = world.observed(book, AS_OF, approved=booked, window_months=6); then the mean of "
        "between(v, S['pre_start'], S['shock_start'])['bad_in_window'], and the same for "
        "[shock_start, shock_end); answer (epd_before, epd_during).",
    )
    solution_code = """epd_view = world.observed(book, AS_OF, approved=booked, window_months=6)
epd_rates = (
    between(epd_view, S["pre_start"], S["shock_start"])["bad_in_window"].mean(),
    between(epd_view, S["shock_start"], S["shock_end"])["bad_in_window"].mean(),
)"""
    requires = ("book", "booked", "perf", "as_of", "pre_start", "shock_start", "shock_end")

    @staticmethod
    def _rates(view: pd.DataFrame, flag: str, ctx: Mapping[str, Any]) -> tuple[float, float]:
        before = between(view, ctx["pre_start"], ctx["shock_start"])[flag]
        during = between(view, ctx["shock_start"], ctx["shock_end"])[flag]
        return float(before.mean()), float(during.mean())

    def expected(self, ctx: Mapping[str, Any]) -> tuple[float, float]:
        view = world.observed(ctx["book"], ctx["as_of"], approved=ctx["booked"], window_months=6)
        return self._rates(view, "bad_in_window", ctx)

    def compare(self, answer: Any, expected: tuple[float, float], ctx: Mapping[str, Any]) -> None:
        _expect_pair(answer, expected, ("the EPD rate before the shock", "the EPD rate during it"))

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        before, during = self.expected(ctx)
        so_far = self._rates(ctx["perf"], "bad_so_far", ctx)  # every default seen so far
        lifetime = self._rates(ctx["book"][ctx["booked"]], "defaulted", ctx)  # the future
        candidates = [
            so_far,
            (during, before),  # swapped
            (100 * before, 100 * during),  # percent
            lifetime,
        ]
        return distinct((before, during), candidates, tol=RATE_TOL)


class CovariateEstimate(Question):
    title = "label-free estimate of the bad rate, covariate-shifted cohort"
    hints = (
        "With calibrated PDs, the expected bad rate among approved loans is the average PD of "
        "the applications that would be approved. Approval means pd below the cutoff minus the "
        "review margin.",
        "p = card.predict_pd(cohorts['covariate_shift']); "
        "monitoring.expected_outcomes(p, cutoff=APPROVE_BELOW)['expected_bad_rate_approved']",
    )
    solution_code = """p_cov = card.predict_pd(cohorts["covariate_shift"])
estimated = monitoring.expected_outcomes(p_cov, cutoff=APPROVE_BELOW)
covariate_estimate = estimated["expected_bad_rate_approved"]"""
    requires = ("card", "cohorts", "cutoff", "review_margin")

    def expected(self, ctx: Mapping[str, Any]) -> float:
        return float(_cohort_numbers(ctx).loc["covariate_shift", "estimated"])

    def compare(self, answer: Any, expected: float, ctx: Mapping[str, Any]) -> None:
        _expect_rate(answer, expected, "the estimated bad rate")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        nums = _cohort_numbers(ctx)
        expected = float(nums.loc["covariate_shift", "estimated"])
        return distinct(
            expected,
            [
                float(nums.loc["covariate_shift", "mean_pd_all"]),  # declined ones too
                float(nums.loc["covariate_shift", "estimated_at_cutoff"]),  # reviews approved
                float(nums.loc["baseline", "estimated"]),  # the wrong cohort
                100 * expected,
            ],
            tol=RATE_TOL,
        )


class BlindSpot(Question):
    title = "where the label-free estimate misses"
    hints = (
        "Once the outcomes are in (the world tells us now; the lender learns it over years), "
        "compare each cohort's estimated bad rate among approved loans with the actual one.",
        "For each cohort: abs(estimated - actual) with actual = cohort['defaulted'] of the "
        "approved (pd < APPROVE_BELOW); answer the cohort name with the largest gap.",
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
        "both = served.merge(offline, on='application_id', suffixes=('_served', '_offline')); "
        "for each feature: a.ne(b) & ~(a.isna() & b.isna()); take the column with the most.",
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
        choices = [c for c in ctx["served"].columns if c != "application_id"]
        expect_choice(answer, expected, choices=choices, what="the column")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        expected = self.expected(ctx)
        naive = _mismatch(ctx["served"], ctx["offline"], nan_equal=False)
        by_position = {
            c: float((ctx["served"][c].to_numpy() != ctx["offline"][c].to_numpy()).mean())
            for c in naive.index
        }
        candidates = [str(naive.drop(expected).idxmax()), max(by_position, key=by_position.get)]
        candidates += [c for c in scenario.SKEW_COLUMNS]
        return [c for c in dict.fromkeys(candidates) if c != expected]


class SkewShare(Question):
    title = "share of applications where the skewed column differs"
    hints = (
        "Same comparison as before, for the one column: after joining on application_id, the "
        "share of rows whose served and recomputed values differ (two missing values agree).",
        "a, b = both[f'{skewed}_served'], both[f'{skewed}_offline']; "
        "(a.ne(b) & ~(a.isna() & b.isna())).mean()",
    )
    solution_code = """skewed = max(mismatch, key=mismatch.get)
a, b = both[f"{skewed}_served"], both[f"{skewed}_offline"]
skew_share = (a.ne(b) & ~(a.isna() & b.isna())).mean()"""
    requires = ("served", "offline")

    def expected(self, ctx: Mapping[str, Any]) -> float:
        return float(_mismatch(ctx["served"], ctx["offline"])[_skewed_column(ctx)])

    def compare(self, answer: Any, expected: float, ctx: Mapping[str, Any]) -> None:
        _expect_rate(answer, expected, "the mismatch share")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        expected = self.expected(ctx)
        col = _skewed_column(ctx)
        served, offline = ctx["served"], ctx["offline"]
        naive = float(_mismatch(served, offline, nan_equal=False)[col])  # NaN != NaN
        by_position = float((served[col].to_numpy() != offline[col].to_numpy()).mean())
        rows = float(_mismatch(served, offline)[col] * len(served))  # a count, not a share
        return distinct(expected, [naive, by_position, rows, 100 * expected], tol=RATE_TOL)


_week = Week(
    "week03",
    [
        LostFields(),
        Month12BadRate(),
        WorstAtMonth6(),
        LatestMonthMix(),
        EarlyPaymentDefault(),
        CovariateEstimate(),
        BlindSpot(),
        SkewedColumn(),
        SkewShare(),
    ],
)
bind = _week.bind
q1, q2, q3, q4, q5, q6, q7, q8, q9 = _week.questions
