"""Week 5: drift detection (the questions behind the lab).

The lab ``solutions/week05_drift_detection.ipynb`` works a red drift dashboard on Monday 31
March 2025 (the world is :mod:`lendlab.course.scenarios.week05`): PSI by hand, why the 0.1 /
0.25 thresholds are folklore (sample size, binning), why tests raise false alarms on large
samples, seasonality against a real shift (the same weeks last year, daily PSI), the real
incident's column, window and kind, and prediction drift against feature drift.

In the lab::

    from lendlab.course.exercises import week05 as ex
    ex.bind(reference=reference, recent=recent, ...)
    ex.q1.check(psi_by_hand)

Every expected answer is computed from the bound data with :mod:`lendlab.drift` and scipy, or
read from the sealed :class:`lendlab.world.faults.InjectedFault` record, so the checks hold for
any seed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lendlab import drift
from lendlab.course.exercises.answers import as_date, as_text, distinct, expect_count, memo
from lendlab.course.exercises.checks import (
    Incorrect,
    Question,
    Week,
    expect_choice,
    expect_number,
    expect_set,
)
from lendlab.course.scenarios import week05 as scenario

__all__ = ["KIND_CHOICES", "PSI_COLUMN", "bind", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8"]

#: The column Q1 works on: the tax season moves it, no incident of the lab touches it.
PSI_COLUMN = "loan_amount"
#: The options Q7 offers: the real kinds and the benign one.
KIND_CHOICES: tuple[str, ...] = (*scenario.REAL_KINDS, "seasonality")
_DECILE_DF = 9  # ten decile bins: nine degrees of freedom
PSI_TOL = 5e-5  # admits a PSI rounded to four decimals; every plausible slip is further away

# --------------------------------------------------------------------------- shared helpers


# --------------------------------------------------------------------------- Q1: PSI by hand


def _psi_by_formula(ref: np.ndarray, cur: np.ndarray, *, log=np.log, kl_only: bool = False):
    e = np.where(ref > 0, ref, drift.EPSILON)
    a = np.where(cur > 0, cur, drift.EPSILON)
    if kl_only:
        return float(np.sum(a * log(a / e)))
    return float(np.sum((a - e) * log(a / e)))


def _decile_shares(ctx: Mapping[str, Any], column: str = PSI_COLUMN) -> tuple:
    """Reference and current shares per reference-decile bin, bins closed on the right."""
    ref = ctx["reference"][column].to_numpy(dtype=float)
    cur = ctx["recent"][column].to_numpy(dtype=float)
    edges = drift.quantile_edges(ref)
    k = edges.size + 1
    # searchsorted(side="left") puts x in bin i when edges[i-1] < x <= edges[i]: (a, b] bins
    e = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=k) / ref.size
    a = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=k) / cur.size
    return e, a


class PsiByHand(Question):
    title = "loan_amount PSI, by hand"
    hints = (
        "PSI adds up, bin by bin, (current share - reference share) times the natural log of "
        "(current share / reference share). Use shares (fractions that sum to 1), not counts "
        "or percents.",
        "E, A = shares['reference'], shares['current']; "
        "psi_by_hand = ((A - E) * np.log(A / E)).sum(). "
        "drift.psi(reference['loan_amount'], recent['loan_amount']) gives the same number.",
    )
    solution_code = """\
E, A = shares["reference"], shares["current"]
psi_by_hand = float(((A - E) * np.log(A / E)).sum())"""
    requires = ("reference", "recent")

    def expected(self, ctx: Mapping[str, Any]) -> float:
        return float(drift.psi(ctx["reference"][PSI_COLUMN], ctx["recent"][PSI_COLUMN]))

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        e, a = _decile_shares(ctx)
        if isinstance(answer, (int, float)) and not isinstance(answer, bool):
            if abs(answer - _psi_by_formula(e, a, log=np.log10)) <= PSI_TOL and not (
                abs(answer - expected) <= PSI_TOL
            ):
                raise Incorrect("PSI uses the natural log (np.log), not log base 10")
            if abs(answer - _psi_by_formula(e, a, kl_only=True)) <= PSI_TOL and not (
                abs(answer - expected) <= PSI_TOL
            ):
                raise Incorrect(
                    "that is only one direction of the divergence: each bin's term is "
                    "(A - E) * ln(A / E), not A * ln(A / E)"
                )
        expect_number(answer, expected, rtol=1e-3, atol=PSI_TOL, what="the PSI")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        e, a = _decile_shares(ctx)
        right = self.expected(ctx)
        return distinct(
            right,
            [
                _psi_by_formula(e, a, log=np.log10),  # log base 10
                _psi_by_formula(e, a, kl_only=True),  # A * ln(A / E) only
                float(np.abs(a - e).sum()),  # sum of absolute differences
                100 * right,  # shares in percent
            ],
            tol=PSI_TOL,
        )


# --------------------------------------------------------------------------- Q2: noise floor


def _smallest_segment(ctx: Mapping[str, Any]) -> str:
    counts = ctx["recent"]["segment"].value_counts()
    counts = counts[counts > 0]
    return str(counts.sort_values(kind="stable").index[0])


def _segment_sizes(ctx: Mapping[str, Any]) -> tuple[int, float, float]:
    segment = _smallest_segment(ctx)
    n_ref = int((ctx["reference"]["segment"] == segment).sum())
    per_day = scenario.daily_volume(ctx["recent"])
    n_day = float(per_day.loc[per_day[segment] > 0, segment].median())
    n_day_all = float(per_day.sum(axis=1).median())
    return n_ref, n_day, n_day_all


def _critical(q: float, df: int, n_ref: float, n_cur: float) -> float:
    return float(stats.chi2.ppf(q, df) * (1.0 / n_ref + 1.0 / n_cur))


class NoiseFloor(Question):
    title = "the PSI pure noise exceeds on 1 day in 100"
    hints = (
        "When nothing changes, PSI is approximately (1/n_ref + 1/n_cur) times a chi-square "
        "variable with (bins - 1) degrees of freedom. Find the smallest segment in `recent`, "
        "its rows in `reference` (n_ref) and its median applications per day in `recent` "
        "(n_cur), then take the 99th percentile.",
        "seg = recent['segment'].value_counts().idxmin(); n_ref = (reference['segment'] == seg)"
        ".sum(); n_day = scenario.daily_volume(recent)[seg].median() (days with at least one of "
        "them); psi_noise_99 = stats.chi2.ppf(0.99, 9) * (1 / n_ref + 1 / n_day).",
    )
    solution_code = """\
seg = recent["segment"].value_counts().idxmin()
n_ref = int((reference["segment"] == seg).sum())
per_day = scenario.daily_volume(recent)
n_day = per_day.loc[per_day[seg] > 0, seg].median()
psi_noise_99 = stats.chi2.ppf(0.99, 9) * (1 / n_ref + 1 / n_day)"""
    requires = ("reference", "recent")

    def expected(self, ctx: Mapping[str, Any]) -> float:
        n_ref, n_day, _ = _segment_sizes(ctx)
        return _critical(scenario.SETTINGS["null_quantile"], _DECILE_DF, n_ref, n_day)

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        n_ref, n_day, n_all = _segment_sizes(ctx)
        if isinstance(answer, (int, float)) and not isinstance(answer, bool):
            slips = {
                "that is the 95th percentile: a threshold wrong on 1 day in 20, not 1 in 100": (
                    _critical(0.95, _DECILE_DF, n_ref, n_day)
                ),
                "ten decile bins give nine degrees of freedom (bins - 1)": (
                    _critical(0.99, _DECILE_DF + 1, n_ref, n_day)
                ),
                "that uses the whole platform's daily volume; the alert runs per segment, on the "
                "smallest segment's days": _critical(0.99, _DECILE_DF, n_ref, n_all),
            }
            for why, value in slips.items():
                if abs(answer - value) <= 1e-3 * value and abs(answer - expected) > 1e-3 * expected:
                    raise Incorrect(why)
        expect_number(answer, expected, rtol=1e-3, atol=1e-6, what="the noise threshold")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        n_ref, n_day, n_all = _segment_sizes(ctx)
        right = self.expected(ctx)
        return distinct(
            right,
            [
                _critical(0.95, _DECILE_DF, n_ref, n_day),
                _critical(0.99, _DECILE_DF + 1, n_ref, n_day),
                _critical(0.99, _DECILE_DF, n_ref, n_all),
                0.1,  # the folklore threshold
            ],
            tol=1e-3 * right,
        )


# --------------------------------------------------------------------------- Q3: sample size


def _pvalues(ctx: Mapping[str, Any]) -> dict[int, float]:
    ref, tax = ctx["big_ref"], ctx["big_tax"]

    def compute() -> dict[int, float]:
        a = ref["revol_util"].to_numpy(dtype=float)
        b = tax["revol_util"].to_numpy(dtype=float)
        return {
            k: float(drift.ks(a[:k], b[:k]).pvalue)
            for k in scenario.SIZES
            if k <= min(a.size, b.size)
        }

    return memo("pvalues", (ref, tax), compute)


def _first_flagged(pvalues: Mapping[int, float], alpha: float) -> int | None:
    return next((k for k, p in pvalues.items() if p < alpha), None)


class SmallestFlaggedSize(Question):
    title = "rows per side before KS calls a 2-point utilisation shift"
    hints = (
        "Run the KS test on the first k rows of big_ref and of big_tax for each k in SIZES "
        "(only sizes both halves have), and find the smallest k whose p-value is below 0.05.",
        "a, b = big_ref['revol_util'].to_numpy(), big_tax['revol_util'].to_numpy(); "
        "pvalues = {k: drift.ks(a[:k], b[:k]).pvalue for k in SIZES if k <= len(a)}; "
        "smallest_flagged = next(k for k, p in pvalues.items() if p < 0.05).",
    )
    solution_code = """\
ref_values, tax_values = big_ref["revol_util"].to_numpy(), big_tax["revol_util"].to_numpy()
pvalues = {k: drift.ks(ref_values[:k], tax_values[:k]).pvalue
           for k in SIZES if k <= len(ref_values)}
smallest_flagged = next(k for k, p in pvalues.items() if p < 0.05)"""
    requires = ("big_ref", "big_tax")

    def expected(self, ctx: Mapping[str, Any]) -> int:
        found = _first_flagged(_pvalues(ctx), scenario.SETTINGS["alpha"])
        if found is None:  # pragma: no cover - the full half always flags it
            raise ValueError("no size flags the shift; rebuild with a larger n_big")
        return int(found)

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        sizes = list(_pvalues(ctx))
        if isinstance(answer, (float, np.floating)) and float(answer).is_integer():
            answer = int(answer)
        if not isinstance(answer, (int, np.integer)) or isinstance(answer, (bool, np.bool_)):
            expect_number(answer, expected, rtol=0, atol=0.5, what="the sample size")
            raise Incorrect("answer one of the sizes in SIZES, as a whole number")
        if int(answer) not in sizes:
            raise Incorrect(f"{int(answer)} is not one of the sizes tested; pick one from SIZES")
        if answer > expected:
            raise Incorrect("too big: a smaller size in SIZES already gives p < 0.05")
        if answer < expected:
            raise Incorrect("too small: at that size the p-value is not below 0.05")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        pvalues = _pvalues(ctx)
        right = self.expected(ctx)
        sizes = list(pvalues)
        i = sizes.index(right)
        return distinct(
            right,
            [
                sizes[-1],  # the largest sample: of course it flags
                sizes[i + 1] if i + 1 < len(sizes) else sizes[0],
                sizes[i - 1] if i > 0 else sizes[-1],
                _first_flagged(pvalues, 0.01) or sizes[0],  # p < 0.01 instead of 0.05
            ],
            tol=0.5,
        )


# --------------------------------------------------------------------------- Q4: seasonal baseline


def _red(ctx: Mapping[str, Any], reference_key: str) -> set[str]:
    ref, cur = ctx[reference_key], ctx["recent"]
    table = memo(f"dashboard-{reference_key}", (ref, cur), lambda: scenario.ks_dashboard(ref, cur))
    return set(table.loc[table["red"], "column"])


class ClearsAgainstLastYear(Question):
    title = "red features the same weeks of last year explain"
    hints = (
        "Run the same dashboard with last year's same 28 days as the reference. A feature "
        "that is red against Q4 2024 but not against last spring moves every spring: it is "
        "not news.",
        "red_q4 = set of columns with red True in scenario.ks_dashboard(reference, recent); "
        "red_ly = the same with scenario.ks_dashboard(last_year, recent); "
        "clears = red_q4 - red_ly.",
    )
    solution_code = """\
red_q4 = set(dashboard.loc[dashboard["red"], "column"])
vs_last_year = scenario.ks_dashboard(last_year, recent)
red_ly = set(vs_last_year.loc[vs_last_year["red"], "column"])
clears = red_q4 - red_ly"""
    requires = ("reference", "recent", "last_year")

    def expected(self, ctx: Mapping[str, Any]) -> set[str]:
        return _red(ctx, "reference") - _red(ctx, "last_year")

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        expect_set(answer, expected, what="your set")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        red_q4, red_ly = _red(ctx, "reference"), _red(ctx, "last_year")
        right = red_q4 - red_ly
        unused = next(c for c in scenario.MONITORED if c not in right)
        return distinct(
            right,
            [
                red_q4,  # every red feature
                red_ly,  # the ones that stay red
                set(scenario.SEASONAL),  # what we know the season moves, not what the data says
                right | {unused},
                (right - {min(right)}) if right else set(scenario.MONITORED[:2]),
            ],
        )


# --------------------------------------------------------------------------- Q5-Q7: the incident


def _touched(ctx: Mapping[str, Any]) -> list[str]:
    return [c for c in ctx["record"].columns if c in scenario.MONITORED]


class IncidentColumn(Question):
    title = "a column the real incident corrupted"
    hints = (
        "In the daily PSI grid, find the days where some column jumps well above the noise, "
        "and the column that jumps most on those days. Tax season moves two columns a little "
        "from 1 February; you are looking for a jump in March.",
        "alarm = psi_grid.max(axis=1) >= 0.1; "
        "incident_column = psi_grid.loc[alarm].mean().idxmax().",
    )
    solution_code = """\
alarm = psi_grid.max(axis=1) >= 0.1
incident_column = psi_grid.loc[alarm].mean().idxmax()"""
    requires = ("record",)

    def expected(self, ctx: Mapping[str, Any]) -> str:
        return _touched(ctx)[0]

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        text = as_text(answer, "a column name")
        if text not in scenario.MONITORED:
            raise Incorrect(f"{text!r} is not a monitored column; pick one of MONITORED")
        if text in _touched(ctx):
            return
        if text in scenario.SEASONAL:
            raise Incorrect(
                f"{text!r} moves every tax season, a little, from 1 February; look for a "
                "column that steps up on one day in March"
            )
        raise Incorrect(f"the incident did not touch {text!r}: look for the column whose PSI jumps")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        touched = _touched(ctx)
        return [c for c in ("loan_amount", "term_months", "revol_util") if c not in touched]


def _window(ctx: Mapping[str, Any]) -> tuple[dt.date, dt.date]:
    record = ctx["record"]
    return record.start.date(), (record.end - pd.Timedelta(days=1)).date()


class IncidentWindow(Question):
    title = "the incident's first and last day"
    hints = (
        "Daily PSI steps up on the first bad day and back down after the last one. Answer "
        "(first_day, last_day) as dates like '2025-03-14'; both days are affected.",
        "alarm = psi_grid.max(axis=1) >= 0.1; days = psi_grid.index[alarm]; "
        "incident_window = (str(days.min().date()), str(days.max().date())).",
    )
    solution_code = """\
days = psi_grid.index[psi_grid.max(axis=1) >= 0.1]
incident_window = (str(days.min().date()), str(days.max().date()))"""
    requires = ("record",)

    def expected(self, ctx: Mapping[str, Any]) -> tuple[str, str]:
        first, last = _window(ctx)
        return str(first), str(last)

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        if isinstance(answer, (str, bytes)) or not isinstance(answer, (tuple, list)):
            kind = "None" if answer is None else type(answer).__name__
            raise Incorrect(f"expected two dates (first_day, last_day) as a tuple, got {kind}")
        if len(answer) != 2:
            raise Incorrect(f"expected two dates (first_day, last_day), got {len(answer)} values")
        first = as_date(answer[0], "the first day")
        last = as_date(answer[1], "the last day")
        want_first, want_last = _window(ctx)
        if first > last:
            raise Incorrect("the first day comes after the last day: swap them")
        if first < want_first and str(first) == scenario.SETTINGS["tax_seasons"][1][0]:
            raise Incorrect(
                "that is the first day of tax season, which moves two columns a little; the "
                "incident started later, with a jump"
            )
        if first < want_first:
            raise Incorrect("the first day is too early: the data still matched the reference then")
        if first > want_first:
            raise Incorrect("the first day is too late: the incident had started before it")
        if last == want_last + dt.timedelta(days=1):
            raise Incorrect(
                "the last day is one too late: give the last affected day, not the first clean one"
            )
        if last > want_last:
            raise Incorrect("the last day is too late: the data was clean again by then")
        if last < want_last:
            raise Incorrect("the last day is too early: the incident was still going on")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        first, last = _window(ctx)
        day = dt.timedelta(days=1)
        return [
            (str(first - day), str(last)),
            (str(first), str(last + day)),  # the record's exclusive end
            (str(first + day), str(last)),
            (scenario.SETTINGS["tax_seasons"][1][0], str(last)),  # the start of tax season
        ]


_CONFUSED_WITH = {
    "bureau_outage": "stale_feature_store",
    "income_monthly_as_annual": "income_verification_vendor_change",
    "stale_feature_store": "bureau_outage",
    "income_verification_vendor_change": "income_monthly_as_annual",
    "partner_field_rename": "income_verification_vendor_change",
}


class IncidentKind(Question):
    title = "the incident's kind"
    hints = (
        "Read the signature, not only the column: a spike at one value, a level that moved "
        "by a round factor, a count that fell, a category mix that shifted, in one channel "
        "or everywhere?",
        "Compare the alarm days with the reference in `signature`: top-value share of fico "
        "(a default fill), partner_api income ratio (x 1/12?), inquiries_6m mean ratio, "
        "share verified, partner_api emp_length_years top-value share (an imputed median). "
        "Answer one of KIND_CHOICES.",
    )
    solution_code = """\
def triage(sig):
    if sig.loc["fico: share of the most common value", "change"] > 0.05:
        return "bureau_outage"
    if sig.loc["partner_api annual_income: median", "change"] < 0.5:
        return "income_monthly_as_annual"
    if sig.loc["inquiries_6m: mean", "change"] < 0.8:
        return "stale_feature_store"
    if sig.loc["income_verification: share verified", "change"] < -0.05:
        return "income_verification_vendor_change"
    if sig.loc["partner_api emp_length_years: share of the most common value", "change"] > 0.1:
        return "partner_field_rename"
    return "seasonality"


incident_kind = triage(signature)"""
    requires = ("record",)

    def expected(self, ctx: Mapping[str, Any]) -> str:
        return ctx["record"].kind

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        expect_choice(answer, expected, choices=KIND_CHOICES, what="that kind")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        kind = ctx["record"].kind
        return ["seasonality", _CONFUSED_WITH[kind]]


# --------------------------------------------------------------------------- Q8: prediction drift


def _bug_decisions(ctx: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    bug, card, cutoff = ctx["bug"], ctx["card"], ctx["cutoff"]

    def compute() -> tuple[np.ndarray, np.ndarray]:
        repulled = bug.assign(fico=bug["fico_repull"])
        return scenario.approve(card, bug, cutoff=cutoff), scenario.approve(
            card, repulled, cutoff=cutoff
        )

    return memo("bug", (bug, card), compute)


class WronglyDeclinedByBug(Question):
    title = "applications the bureau bug wrongly declined"
    hints = (
        "Decide January twice with the same model and cutoff: on the scores the bureau sent "
        "(`fico`) and on the re-pulled, correct scores (`fico_repull`). Count the "
        "applications declined on the first but approved on the second.",
        "as_sent = scenario.approve(card, bug, cutoff=CUTOFF); correct = scenario.approve(card, "
        "bug.assign(fico=bug['fico_repull']), cutoff=CUTOFF); "
        "wrongly_declined = int((~as_sent & correct).sum()).",
    )
    solution_code = """\
as_sent = scenario.approve(card, bug, cutoff=CUTOFF)
correct = scenario.approve(card, bug.assign(fico=bug["fico_repull"]), cutoff=CUTOFF)
wrongly_declined = int((~as_sent & correct).sum())"""
    requires = ("bug", "card", "cutoff", "bug_record")

    def expected(self, ctx: Mapping[str, Any]) -> int:
        as_sent, correct = _bug_decisions(ctx)
        return int((~as_sent & correct).sum())

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        if isinstance(answer, (int, np.integer)) and not isinstance(answer, bool):
            as_sent, correct = _bug_decisions(ctx)
            if answer != expected and answer == int((as_sent != correct).sum()):
                raise Incorrect(
                    "that counts every changed decision; the wrongly approved ones are a "
                    "credit-risk question, not a re-decision for the applicant"
                )
            if answer != expected and answer == ctx["bug_record"].rows_affected:
                raise Incorrect(
                    "that counts every shifted score; most moved too little to change the decision"
                )
        expect_count(answer, expected, what="the number of applications")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        as_sent, correct = _bug_decisions(ctx)
        return distinct(
            self.expected(ctx),
            [
                int(ctx["bug_record"].rows_affected),  # every shifted score
                int((as_sent != correct).sum()),  # both directions
                int((as_sent & ~correct).sum()),  # wrongly approved instead
                int((~as_sent).sum()),  # every decline in January
            ],
            tol=0.5,
        )


_week = Week(
    "week05",
    [
        PsiByHand(),
        NoiseFloor(),
        SmallestFlaggedSize(),
        ClearsAgainstLastYear(),
        IncidentColumn(),
        IncidentWindow(),
        IncidentKind(),
        WronglyDeclinedByBug(),
    ],
)
bind = _week.bind
q1, q2, q3, q4, q5, q6, q7, q8 = _week.questions
