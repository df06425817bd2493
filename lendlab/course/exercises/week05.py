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
from lendlab.course.exercises.answers import (
    as_date,
    as_text,
    distinct,
    expect_count,
    is_number,
    memo,
)
from lendlab.course.exercises.checks import (
    Incorrect,
    Question,
    Week,
    expect_choice,
    expect_number,
    expect_set,
)
from lendlab.course.scenarios import week05 as scenario

__all__ = [
    "KIND_CHOICES",
    "KIND_EVIDENCE",
    "PSI_COLUMN",
    "bind",
    "q1",
    "q2",
    "q3",
    "q4",
    "q5",
    "q6",
    "q7",
    "q8",
]

#: The column Q1 works on: the tax season moves it, no incident of the lab touches it.
PSI_COLUMN = "loan_amount"
#: The options Q7 offers: the real kinds and the benign one.
KIND_CHOICES: tuple[str, ...] = (*scenario.REAL_KINDS, "seasonality")
_DECILE_DF = 9  # ten decile bins: nine degrees of freedom
PSI_TOL = 5e-5  # admits a PSI rounded to four decimals; every plausible slip is further away

# --------------------------------------------------------------------------- shared helpers


# --------------------------------------------------------------------------- Q1: PSI by hand


def _psi_by_formula(ref: np.ndarray, cur: np.ndarray, *, log=np.log, kind: str = "psi") -> float:
    """PSI of two share vectors, or one of the slips a learner makes writing it."""
    e = np.where(ref > 0, ref, drift.EPSILON)
    a = np.where(cur > 0, cur, drift.EPSILON)
    if kind == "kl_current":  # A * ln(A / E): one direction of the divergence
        return float(np.sum(a * log(a / e)))
    if kind == "kl_reference":  # E * ln(E / A): the other direction
        return float(np.sum(e * log(e / a)))
    if kind == "flipped":  # (A - E) * ln(E / A): every term's sign flipped
        return float(np.sum((a - e) * log(e / a)))
    return float(np.sum((a - e) * log(a / e)))


def _decile_counts(ctx: Mapping[str, Any], *, edges_from: str = "reference") -> tuple:
    """Reference and current counts per decile bin, bins closed on the right.

    ``edges_from="recent"`` cuts the deciles of the current sample instead (a slip).
    """
    ref = ctx["reference"][PSI_COLUMN].to_numpy(dtype=float)
    cur = ctx["recent"][PSI_COLUMN].to_numpy(dtype=float)
    edges = drift.quantile_edges(ref if edges_from == "reference" else cur)
    k = edges.size + 1
    # searchsorted(side="left") puts x in bin i when edges[i-1] < x <= edges[i]: (a, b] bins
    e = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=k)
    a = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=k)
    return e, a


def _decile_shares(ctx: Mapping[str, Any], *, edges_from: str = "reference") -> tuple:
    """Reference and current shares per decile bin (see :func:`_decile_counts`)."""
    e, a = _decile_counts(ctx, edges_from=edges_from)
    return e / e.sum(), a / a.sum()


def _psi_slips(ctx: Mapping[str, Any]) -> list[tuple[str, float]]:
    """The PSI a learner gets from each plausible slip, with the message that names it."""
    e, a = _decile_shares(ctx)
    ce, ca = (c.astype(float) for c in _decile_counts(ctx))
    one_way = (
        "that is only one direction of the divergence: each bin's term is (A - E) * ln(A / E), "
        "not A * ln(A / E) or E * ln(E / A)"
    )
    return [
        ("PSI uses the natural log (np.log), not log base 10", _psi_by_formula(e, a, log=np.log10)),
        (one_way, _psi_by_formula(e, a, kind="kl_current")),
        (one_way, _psi_by_formula(e, a, kind="kl_reference")),
        (
            "each bin's term is (A - E) * ln(A / E); with ln(E / A) every term changes sign",
            _psi_by_formula(e, a, kind="flipped"),
        ),
        (
            "that looks like counts where shares belong: divide each column by its total so "
            "the shares add up to 1",
            float(np.sum((ca - ce) * np.log(np.maximum(ca, 1) / np.maximum(ce, 1)))),
        ),
        (
            "the bins must come from the reference (its deciles), not from the current sample",
            _psi_by_formula(*_decile_shares(ctx, edges_from="recent")),
        ),
    ]


class PsiByHand(Question):
    title = "loan_amount PSI, by hand"
    hints = (
        "PSI adds up, bin by bin, (current share - reference share) times the natural log of "
        "(current share / reference share). Use shares (fractions that sum to 1), not counts "
        "or percents, and the bins in `shares` (the reference deciles).",
        "The reference column of `shares` is E and the current column is A; numpy's natural "
        "log is np.log, and a pandas Series sums with .sum(). drift.psi on the two loan_amount "
        "columns should give the same number.",
    )
    solution_code = """\
E, A = shares["reference"], shares["current"]
psi_by_hand = float(((A - E) * np.log(A / E)).sum())"""
    requires = ("reference", "recent")

    def expected(self, ctx: Mapping[str, Any]) -> float:
        return float(drift.psi(ctx["reference"][PSI_COLUMN], ctx["recent"][PSI_COLUMN]))

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        if is_number(answer) and not _close_psi(answer, expected):
            for why, value in _psi_slips(ctx):
                if _close_psi(answer, value):
                    raise Incorrect(why)
        expect_number(answer, expected, rtol=1e-3, atol=PSI_TOL, what="the PSI")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        e, a = _decile_shares(ctx)
        right = self.expected(ctx)
        slips = [v for _, v in _psi_slips(ctx) if not _close_psi(v, right)]
        return distinct(
            right,
            [
                *slips,
                float(np.abs(a - e).sum()),  # sum of absolute differences
                100 * right,  # shares in percent
            ],
            tol=PSI_TOL,
        )


def _close_psi(x: float, y: float) -> bool:
    return abs(float(x) - float(y)) <= max(PSI_TOL, 1e-3 * abs(float(y)))


# --------------------------------------------------------------------------- Q2: noise floor


def _segment_sizes(ctx: Mapping[str, Any]) -> tuple[int, float, float]:
    """(n_ref, n_day, n_day_all): the smallest segment's sizes and the whole platform's day."""
    _, n_ref, n_day = scenario.smallest_segment_day(ctx["reference"], ctx["recent"])
    per_day = scenario.daily_volume(ctx["recent"])
    return n_ref, n_day, float(per_day.sum(axis=1).median())


def _critical(q: float, df: int, n_ref: float, n_cur: float) -> float:
    return float(stats.chi2.ppf(q, df) * (1.0 / n_ref + 1.0 / n_cur))


#: Q2 accepts an answer rounded to three decimals (within half a thousandth of the value)...
ROUND_3 = 5e-4
#: ... or exactly the value rounded to two decimals.
ROUND_2_DECIMALS = 2


class NoiseFloor(Question):
    title = "the PSI pure noise exceeds on 1 day in 100"
    hints = (
        "When nothing changes, PSI is approximately (1/n_ref + 1/n_cur) times a chi-square "
        "variable with (bins - 1) degrees of freedom. Find the smallest segment in `recent`, "
        "its rows in `reference` (n_ref) and its median applications per day in `recent` "
        "(n_cur), then take the 99th percentile.",
        "scenario.daily_volume(recent) has one row per day and one column per segment: take "
        "the median of the smallest segment's column over the days it had applications. "
        "stats.chi2.ppf(q, df) gives a chi-square percentile (q as a fraction).",
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

    def _accepts(self, answer: float, ctx: Mapping[str, Any]) -> bool:
        """The value, rounded to 2 or 3 decimals, also with the median day rounded to rows."""
        n_ref, n_day, _ = _segment_sizes(ctx)
        q = scenario.SETTINGS["null_quantile"]
        days = {n_day, float(np.floor(n_day)), float(np.ceil(n_day)), float(round(n_day))}
        for value in (_critical(q, _DECILE_DF, n_ref, d) for d in days):
            if abs(answer - value) <= max(ROUND_3, 1e-3 * value) + 1e-12:
                return True
            if abs(answer - round(value, ROUND_2_DECIMALS)) <= 1e-9:
                return True
        return False

    def _slips(self, ctx: Mapping[str, Any]) -> list[tuple[str, float]]:
        n_ref, n_day, n_all = _segment_sizes(ctx)
        recent, reference = ctx["recent"], ctx["reference"]
        counts = recent["segment"].value_counts()
        largest = counts.index[0]
        per_day = scenario.daily_volume(recent)
        segment = scenario.smallest_segment_day(reference, recent)[0]
        n_days_rows = float(per_day[segment].sum())
        n_mean_day = float(per_day.loc[per_day[segment] > 0, segment].mean())
        n_ref_largest = int((reference["segment"] == largest).sum())
        n_day_largest = float(per_day.loc[per_day[largest] > 0, largest].median())
        df = _DECILE_DF
        return [
            (
                "that is the 95th percentile: a threshold wrong on 1 day in 20, not 1 in 100",
                _critical(0.95, df, n_ref, n_day),
            ),
            (
                "chi2.ppf(0.01, ...) is the 1st percentile, which noise exceeds on 99 days in "
                "100; 1 day in 100 above is the 99th percentile",
                _critical(0.01, df, n_ref, n_day),
            ),
            (
                "ten decile bins give nine degrees of freedom (bins - 1)",
                _critical(0.99, df + 1, n_ref, n_day),
            ),
            (
                "that uses the whole platform's daily volume; the alert runs per segment, on the "
                "smallest segment's days",
                _critical(0.99, df, n_ref, n_all),
            ),
            (
                "that uses the segment's 28 days of applications; the alert runs daily, so n_cur "
                "is one (median) day of it",
                _critical(0.99, df, n_ref, n_days_rows),
            ),
            (
                "that is the average PSI of pure noise (df times the size term), exceeded on "
                "about every other day; the question asks for the 99th percentile",
                df * (1 / n_ref + 1 / n_day),
            ),
            (
                "the formula has both sample sizes: (1/n_ref + 1/n_cur)",
                float(stats.chi2.ppf(0.99, df) / n_day),
            ),
            (
                "n_ref is the segment's rows in the reference, not the whole reference",
                _critical(0.99, df, len(reference), n_day),
            ),
            (
                "that is the largest segment; the noisiest alert is the smallest segment's",
                _critical(0.99, df, n_ref_largest, n_day_largest),
            ),
            (
                "that uses the mean day; the question asks for the median day (a busy day "
                "should not set the size of a typical one)",
                _critical(0.99, df, n_ref, n_mean_day),
            ),
            (
                "that is a folklore threshold; the question asks what pure noise exceeds at "
                "this window size",
                0.1,
            ),
            (
                "that is a folklore threshold; the question asks what pure noise exceeds at "
                "this window size",
                0.25,
            ),
        ]

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        if is_number(answer) and np.isfinite(float(answer)):
            if self._accepts(float(answer), ctx):
                return
            for why, value in self._slips(ctx):
                if abs(float(answer) - value) <= 1e-3 * abs(value) + 1e-12:
                    raise Incorrect(why)
        expect_number(answer, expected, rtol=1e-3, atol=1e-6, what="the noise threshold")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        right = self.expected(ctx)
        wrong = [v for _, v in self._slips(ctx) if not self._accepts(v, ctx)]
        return distinct(right, wrong, tol=1e-3 * right)


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


def _first_not_flagged(pvalues: Mapping[int, float], alpha: float) -> int | None:
    """The slip with the comparison flipped: the first size whose p-value is not below alpha."""
    return next((k for k, p in pvalues.items() if p >= alpha), None)


def _stays_flagged(pvalues: Mapping[int, float], alpha: float) -> int | None:
    """The first size from which every larger size also has p < alpha."""
    found = None
    for k, p in reversed(list(pvalues.items())):
        if p >= alpha:
            break
        found = k
    return found


class SmallestFlaggedSize(Question):
    title = "rows per side before KS calls a 2-point utilisation shift"
    hints = (
        "Run the KS test on the first k rows of big_ref and of big_tax for each k in SIZES "
        "(only sizes both halves have), and find the smallest k whose p-value is below 0.05.",
        "drift.ks(a, b) returns a result with a .pvalue; slice the two revol_util arrays "
        "(.to_numpy()) to their first k values, go through SIZES in increasing order and stop "
        "at the first p-value below 0.05.",
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
        pvalues = _pvalues(ctx)
        alpha = scenario.SETTINGS["alpha"]
        if isinstance(answer, (float, np.floating)) and float(answer).is_integer():
            answer = int(answer)
        if not isinstance(answer, (int, np.integer)) or isinstance(answer, (bool, np.bool_)):
            if is_number(answer) and 0 <= float(answer) <= 1:
                raise Incorrect("that looks like a p-value; answer the size k from SIZES")
            expect_number(answer, expected, rtol=0, atol=0.5, what="the sample size")
            raise Incorrect("answer one of the sizes in SIZES, as a whole number")
        answer = int(answer)
        if answer not in pvalues:
            raise Incorrect(f"{answer} is not one of the sizes tested; pick one from SIZES")
        if answer == expected:
            return
        # Named slips first; every other wrong size gets the same words, so that feedback
        # never says "bigger" or "smaller" (a learner could bisect to the answer).
        if answer == max(pvalues):
            raise Incorrect(
                "that is the largest sample, where any shift is significant; the question "
                "asks for the first size in SIZES at which the p-value falls below 0.05"
            )
        if answer == _first_flagged(pvalues, 0.01):
            raise Incorrect(
                "that is where the p-value falls below 0.01; the dashboard's alpha is 0.05"
            )
        if answer == _first_not_flagged(pvalues, alpha):
            raise Incorrect(
                "at that size the p-value is not below 0.05, so the test does not call the "
                "shift there: a test rejects when p < alpha (is your comparison flipped?)"
            )
        if answer == _stays_flagged(pvalues, alpha):
            raise Incorrect(
                "that is where the p-value stays below 0.05 for every larger size; the "
                "question asks for the first size at which it falls below"
            )
        raise Incorrect(
            "that is not the first size with p < 0.05: list the p-value at every size in "
            "SIZES, in increasing order, and read off the first one below 0.05"
        )

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        pvalues = _pvalues(ctx)
        right = self.expected(ctx)
        sizes = list(pvalues)
        i = sizes.index(right)
        alpha = scenario.SETTINGS["alpha"]
        return distinct(
            right,
            [
                sizes[-1],  # the largest sample: of course it flags
                sizes[i + 1] if i + 1 < len(sizes) else sizes[0],
                sizes[i - 1] if i > 0 else sizes[-1],
                _first_flagged(pvalues, 0.01) or sizes[0],  # p < 0.01 instead of 0.05
                _first_not_flagged(pvalues, alpha) or sizes[0],  # p >= 0.05: flipped
                _stays_flagged(pvalues, alpha) or sizes[-1],
                float(pvalues[right]),  # the p-value instead of the size
            ],
            tol=0.5,
        )


# --------------------------------------------------------------------------- Q4: seasonal baseline


def _red(ctx: Mapping[str, Any], reference_key: str) -> set[str]:
    ref, cur = ctx[reference_key], ctx["recent"]
    table = memo(f"dashboard-{reference_key}", (ref, cur), lambda: scenario.ks_dashboard(ref, cur))
    return set(table.loc[table["red"], "column"])


def _as_name_set(answer: Any) -> set[str] | None:
    """A collection of column names as a lower-case set, or None when it is not one."""
    if isinstance(answer, (str, bytes)) or not isinstance(
        answer, (set, frozenset, list, tuple, pd.Index, pd.Series, np.ndarray)
    ):
        return None
    items = list(answer)
    if not all(isinstance(c, str) for c in items):
        return None
    return {c.strip().lower() for c in items}


class ClearsAgainstLastYear(Question):
    title = "red features the same weeks of last year explain"
    hints = (
        "Run the same dashboard with last year's same 28 days as the reference. A feature "
        "that is red against Q4 2024 but not against last spring moves every spring: it is "
        "not news.",
        "Make a set of the red columns of each dashboard (`dashboard` against Q4 2024, "
        "scenario.ks_dashboard(last_year, recent) against last year), then take the set "
        "difference: red against Q4 but not against last year.",
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
        given = _as_name_set(answer)
        if given is not None and given != {c.lower() for c in expected}:
            red_q4, red_ly = _red(ctx, "reference"), _red(ctx, "last_year")
            named = [
                (
                    red_q4,
                    "that is every input red against Q4 2024; keep only those that are not red "
                    "against last year's same weeks",
                ),
                (
                    red_ly,
                    "that is what stays red against last year's same weeks (the news); the "
                    "question asks what last spring explains",
                ),
                (
                    red_q4 & red_ly,
                    "that is what stays red against last year's same weeks (the news); the "
                    "question asks what last spring explains",
                ),
                (
                    red_ly - red_q4,
                    "that is the difference the wrong way round: red against last year but not "
                    "against Q4 2024",
                ),
                (
                    set(scenario.SEASONAL),
                    "that is what you know the season moves, not what the two dashboards say: "
                    "compare their red lists",
                ),
            ]
            for wrong, why in named:
                if given == {c.lower() for c in wrong}:
                    raise Incorrect(why)
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
                red_ly - red_q4,  # the difference the wrong way round
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
        "First pick the alarm days: the rows of psi_grid whose largest value (max across the "
        "columns) reaches 0.1. On those days only, average each column and take the column "
        "with the largest mean (idxmax).",
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
        ref, recent = ctx["reference"], ctx["recent"]
        csi = memo(
            "csi-28d",
            (ref, recent),
            lambda: {c: drift.csi(ref[c], recent[c], nan_policy="bin") for c in scenario.MONITORED},
        )
        largest_28d = max(csi, key=csi.get)  # the 28-day CSI dilutes a one-week incident
        candidates = ["loan_amount", "term_months", "revol_util", largest_28d, "bureau_hit"]
        return distinct("", [c for c in candidates if c not in touched])


def _window(ctx: Mapping[str, Any]) -> tuple[dt.date, dt.date]:
    record = ctx["record"]
    return record.start.date(), (record.end - pd.Timedelta(days=1)).date()


def _last_log_day() -> dt.date:
    return (pd.Timestamp(scenario.SETTINGS["daily_view"][1]) - pd.Timedelta(days=1)).date()


class IncidentWindow(Question):
    title = "the incident's first and last day"
    hints = (
        "Daily PSI steps up on the first bad day and back down after the last one. Answer "
        "(first_day, last_day) as dates like '2025-03-14'; both days are affected.",
        "Use the same alarm days as in Q5: the days (index of psi_grid) whose largest PSI "
        "reaches 0.1. The first and the last of them, as dates (Timestamp.date()), are the "
        "answer.",
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
        if (first, last) == (want_first, want_last):
            return
        # Named slips, then one message per wrong end that never says "earlier" or "later":
        # direction would let a learner bisect to the answer instead of reading the evidence.
        s = scenario.SETTINGS
        if first != want_first and str(first) == s["tax_seasons"][1][0]:
            raise Incorrect(
                "that is the first day of tax season, which moves two columns a little every "
                "spring; the incident is a jump on other days"
            )
        if first != want_first and str(first) == s["dashboard"][0]:
            raise Incorrect(
                "that is the first day of the dashboard's 28-day window, not of the incident; "
                "read the days off the daily PSI"
            )
        if last != want_last and last == want_last + dt.timedelta(days=1):
            raise Incorrect(
                "your last day looks like the first clean day (the record's end is exclusive); "
                "give the last affected day"
            )
        if last != want_last and last == _last_log_day():
            raise Incorrect(
                "that is the last day of the log; check whether the incident's column is still "
                "above the noise there"
            )
        evidence = "the daily PSI (psi_grid) of the column you found in Q5"
        if first != want_first and last != want_last:
            raise Incorrect(
                f"neither day is right: read {evidence}; the first affected day is where it "
                "steps up from the noise, the last is the last day it stays above the noise"
            )
        if first != want_first:
            raise Incorrect(
                f"the first day is not the incident's first day: read {evidence} on the days "
                "around it; the first affected day is where it steps up from the noise"
            )
        raise Incorrect(
            f"the last day is not the incident's last affected day: read {evidence} on the "
            "days around it; the last affected day is the last one above the noise"
        )

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        first, last = _window(ctx)
        day = dt.timedelta(days=1)
        s = scenario.SETTINGS
        return distinct(
            (str(first), str(last)),
            [
                (str(first - day), str(last)),
                (str(first), str(last + day)),  # the record's exclusive end
                (str(first + day), str(last)),
                (str(first), str(last - day)),
                (s["tax_seasons"][1][0], str(last)),  # the start of tax season
                (s["dashboard"][0], str(last)),  # the start of the dashboard's window
                (str(first), str(_last_log_day())),  # the last day of the log
            ],
        )


_CONFUSED_WITH = {
    "bureau_outage": "stale_feature_store",
    "income_monthly_as_annual": "income_verification_vendor_change",
    "stale_feature_store": "bureau_outage",
    "income_verification_vendor_change": "income_monthly_as_annual",
    "partner_field_rename": "income_verification_vendor_change",
}


#: What each kind leaves in the lab's `signature` table: the evidence a wrong answer should
#: have shown (the words depend on the learner's answer only, never on the truth).
KIND_EVIDENCE: dict[str, str] = {
    "bureau_outage": (
        "a spike at one default value on several bureau fields at once: the fico row's share "
        "of the most common value jumps"
    ),
    "income_monthly_as_annual": (
        "partner_api income down by a round factor (about 1/12): the partner_api "
        "annual_income median row"
    ),
    "stale_feature_store": (
        "recent inquiries undercounted (the inquiries_6m mean row falls) with no spike at one "
        "value; a bureau outage lowers that mean too, with a fico spike"
    ),
    "income_verification_vendor_change": (
        "the verification-status mix shifts: the share verified row falls"
    ),
    "partner_field_rename": (
        "one partner_api field becomes one imputed value: the partner_api emp_length_years "
        "row's share of the most common value jumps"
    ),
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
        given = answer.strip().lower() if isinstance(answer, str) else None
        if given in KIND_CHOICES and given != expected:
            if given == "seasonality":
                raise Incorrect(
                    "the season moves revol_util and loan_amount a little from 1 February, and "
                    "last spring shows the same; the alarm days stepped up in March on other "
                    "signals: read the `signature` rows"
                )
            raise Incorrect(
                f"{given} would show {KIND_EVIDENCE[given]}; check that row of `signature`, "
                "and whether another row moved more"
            )
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


def _bug_slips(ctx: Mapping[str, Any]) -> list[tuple[str, int]]:
    """The count each plausible slip gives, with the message that names it."""
    as_sent, correct = _bug_decisions(ctx)
    bug, card, cutoff = ctx["bug"], ctx["card"], ctx["cutoff"]
    pd_sent = card.predict_pd(bug).to_numpy() < cutoff
    pd_right = card.predict_pd(bug.assign(fico=bug["fico_repull"])).to_numpy() < cutoff
    return [
        (
            "that counts every changed decision; the wrongly approved ones are a credit-risk "
            "question, not a re-decision for the applicant",
            int((as_sent != correct).sum()),
        ),
        (
            "that counts every shifted score; most moved too little to change the decision",
            int(ctx["bug_record"].rows_affected),
        ),
        (
            "that is the other direction: approved on the scores as sent, declined on the "
            "corrected ones",
            int((as_sent & ~correct).sum()),
        ),
        (
            "that counts every January decline on the scores as sent; most are declined on "
            "the corrected scores too",
            int((~as_sent).sum()),
        ),
        (
            "that skips the knock-out rules (score, DTI, inquiries): scenario.approve applies "
            "them before the PD cutoff, and the bug moves scores across 660 too",
            int((~pd_sent & pd_right).sum()),
        ),
    ]


class WronglyDeclinedByBug(Question):
    title = "applications the bureau bug wrongly declined"
    hints = (
        "Decide January twice with the same model and cutoff: on the scores the bureau sent "
        "(`fico`) and on the re-pulled, correct scores (`fico_repull`). Count the "
        "applications declined on the first but approved on the second.",
        "Call scenario.approve(card, ..., cutoff=CUTOFF) on `bug` and on a copy of it whose "
        "fico column holds the re-pulled scores (DataFrame.assign). Both give boolean arrays: "
        "combine them with ~ (not) and & (and), then sum.",
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
        if isinstance(answer, (int, np.integer)) and not isinstance(answer, (bool, np.bool_)):
            if answer != expected:
                for why, value in _bug_slips(ctx):
                    if answer == value:
                        raise Incorrect(why)
        expect_count(answer, expected, what="the number of applications")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        return distinct(self.expected(ctx), [v for _, v in _bug_slips(ctx)], tol=0.5)


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
