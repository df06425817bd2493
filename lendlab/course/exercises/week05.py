"""Week 5: drift detection (the checks behind the lab).

The lab ``solutions/week05_drift_detection.ipynb`` builds fifteen months of applications
(:func:`lendlab.world.generate`, January 2024 to Sunday 30 March 2025), adds the benign
tax-season shift of both springs (:func:`add_tax_seasons`) and one real incident whose kind and
window are drawn from the seed (:func:`vendor_incident`, sealed until the learner has
answered). On Monday 31 March 2025 the platform's drift dashboard (:func:`ks_dashboard`: a
KS or chi-square test per input, p < 0.05, the last 28 days against Q4 2024) is red. The lab
works the page: PSI by hand, why the 0.1 / 0.25 thresholds are folklore (sample size,
binning), why tests raise false alarms on large samples (:func:`big_platform`), seasonality
against a real shift (the same weeks last year, daily PSI with
:func:`lendlab.drift.drift_over_time`), prediction drift against feature drift (the champion
:class:`lendlab.models.Scorecard`, :func:`approve`) and an Evidently report.

In the lab::

    from lendlab.course.exercises import week05 as ex
    ex.bind(reference=reference, recent=recent, ...)
    ex.q1.check(psi_by_hand)

Every expected answer is computed from the bound data with :mod:`lendlab.drift` and scipy, or
read from the sealed :class:`lendlab.world.faults.InjectedFault` record, so the checks hold for any
seed. :func:`build_context` rebuilds exactly what the lab binds (the common exercise test uses
it with another seed and a small ``n``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lendlab import drift, models, world
from lendlab.course.exercises.checks import (
    Incorrect,
    Question,
    Week,
    expect_choice,
    expect_number,
    expect_set,
)
from lendlab.world import faults

__all__ = [
    "SETTINGS",
    "MONITORED",
    "SEASONAL",
    "PSI_COLUMN",
    "REAL_KINDS",
    "KIND_OPTIONS",
    "KIND_CHOICES",
    "SIZES",
    "between",
    "add_tax_seasons",
    "vendor_incident",
    "big_platform",
    "champion",
    "approve",
    "ks_dashboard",
    "daily_volume",
    "build_context",
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

# --------------------------------------------------------------------------- the lab's world

#: The dates and settings the lab uses (its setup cell shows the same values).
SETTINGS: dict[str, Any] = {
    "start": "2024-01-01",  # first application day
    "days": 455,  # through Sunday 30 March 2025
    "dev_start": "2023-01-01",  # the champion's development sample (outcomes matured)
    "reference": ("2024-10-01", "2025-01-01"),  # Q4 2024: the monitoring reference
    "tax_seasons": (("2024-02-01", "2024-04-16"), ("2025-02-01", "2025-04-16")),
    "monday": "2025-03-31",  # the day of the page
    "dashboard": ("2025-03-03", "2025-03-31"),  # the dashboard's trailing 28 days
    "last_year": ("2024-03-04", "2024-04-01"),  # the same 28 days, 52 weeks earlier
    "daily_view": ("2025-01-01", "2025-03-31"),  # the daily PSI view of this year
    "whatif": ("2025-01-01", "2025-02-01"),  # January 2025: quiet, for the what-ifs
    "cutoff": 0.25,  # the champion approves PD < 0.25 (after the knock-out rules)
    "alpha": 0.05,  # the dashboard's p-value threshold
    "null_quantile": 0.99,  # a noise threshold wrong on 1 window in 100
}
#: Columns the drift dashboard monitors: the model inputs and the verification fields.
MONITORED: tuple[str, ...] = (*world.FEATURES, "income_verification", "verified_income")
#: Columns the tax season moves (the injected ``seasonality`` kind).
SEASONAL: tuple[str, ...] = ("revol_util", "loan_amount")
#: The column Q1 works on: the tax season moves it, no incident of the lab touches it.
PSI_COLUMN = "loan_amount"
#: Kinds the Monday incident is drawn from: vendor and pipeline changes with a distinct signature.
REAL_KINDS: tuple[str, ...] = (
    "bureau_outage",
    "income_monthly_as_annual",
    "stale_feature_store",
    "income_verification_vendor_change",
    "partner_field_rename",
)
#: Options the lab uses for each kind (the rest are the incident library's defaults).
KIND_OPTIONS: dict[str, dict[str, Any]] = {
    "income_monthly_as_annual": {"channel": "partner_api"},
    "partner_field_rename": {"stage": "imputed"},
}
#: The options Q7 offers: the real kinds and the benign one.
KIND_CHOICES: tuple[str, ...] = (*REAL_KINDS, "seasonality")
#: Rows per side at which the sample-size experiment runs the KS test.
SIZES: tuple[int, ...] = (
    500,
    1_000,
    2_000,
    5_000,
    10_000,
    20_000,
    50_000,
    100_000,
    200_000,
    500_000,
)
_INCIDENT_FIRST_DAY = "2025-03-03"
_START_CHOICES = 18  # the incident starts between 3 and 20 March
_DURATION_DAYS = (5, 11)  # and lasts 5 to 10 days
_DECILE_DF = 9  # ten decile bins: nine degrees of freedom
PSI_TOL = 5e-5  # admits a PSI rounded to four decimals; every plausible slip is further away


def _utc(value: Any) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def between(frame: pd.DataFrame, start: Any, end: Any = None) -> pd.DataFrame:
    """Rows of ``frame`` with ``applied_at`` in ``[start, end)``; dates are read as UTC.

    Examples
    --------
    >>> book = world.generate(500, seed=1, start="2025-01-01", days=10)
    >>> len(between(book, "2025-01-03", "2025-01-05")) < len(book)
    True
    """
    if not isinstance(frame, pd.DataFrame) or "applied_at" not in frame.columns:
        raise ValueError("frame must be a DataFrame with an 'applied_at' column (a world frame)")
    keep = frame["applied_at"] >= _utc(start)
    if end is not None:
        keep &= frame["applied_at"] < _utc(end)
    return frame[keep]


def add_tax_seasons(book: pd.DataFrame, *, seed: int) -> tuple[pd.DataFrame, list]:
    """``book`` with the benign tax-season shift of every spring in ``SETTINGS["tax_seasons"]``.

    Refunds pay down cards (utilisation about 2 points lower) and trim requested amounts (about
    4% lower) from 1 February to 15 April, every year (``faults.inject(..., "seasonality")``).

    Returns
    -------
    book : DataFrame
        A copy with both springs shifted.
    records : list of InjectedFault
        One record per spring.

    Examples
    --------
    >>> book = world.generate(2_000, seed=1, start="2024-01-01", days=455)
    >>> shifted, records = add_tax_seasons(book, seed=1)
    >>> [r.kind for r in records]
    ['seasonality', 'seasonality']
    """
    records = []
    for start, end in SETTINGS["tax_seasons"]:
        book, record = faults.inject(book, "seasonality", start=start, end=end, seed=seed)
        records.append(record)
    return book, records


def vendor_incident(book: pd.DataFrame, *, seed: int) -> tuple[pd.DataFrame, faults.InjectedFault]:
    """March 2025's real incident: kind, start day and length drawn from ``seed``. Sealed.

    One kind of :data:`REAL_KINDS` starts on a day between 3 and 20 March 2025 and lasts 5 to
    10 days (then the vendor quietly rolls it back). The record says what really happened:
    read it only after answering.

    Examples
    --------
    >>> book = world.generate(3_000, seed=1, start="2024-01-01", days=455)
    >>> log, record = vendor_incident(book, seed=1)
    >>> record.kind in REAL_KINDS, log.shape[0] == book.shape[0]
    (True, True)
    """
    if not isinstance(book, pd.DataFrame) or "applied_at" not in book.columns:
        raise ValueError("book must be a world frame from lendlab.world.generate")
    rng = np.random.default_rng([seed, 5])
    kind = str(rng.choice(REAL_KINDS))
    start = _utc(_INCIDENT_FIRST_DAY) + pd.Timedelta(days=int(rng.integers(0, _START_CHOICES)))
    end = start + pd.Timedelta(days=int(rng.integers(*_DURATION_DAYS)))
    return faults.inject(book, kind, start=start, end=end, seed=seed, **KIND_OPTIONS.get(kind, {}))


def big_platform(*, seed: int, n_big: int) -> dict[str, pd.DataFrame]:
    """A year of a large platform's applications, split at random into two halves.

    Both halves come from the same distribution. ``"reference"`` is the first half,
    ``"same"`` the second, untouched; ``"tax"`` is the second half with the tax-season shift
    applied all year (utilisation -2 points, amounts -4%), a change too small to matter;
    ``"outage"`` is the second half with a 5% bureau outage (score 300, counts 0). Rows are in
    random order, so the first ``k`` rows of each are a random sample of ``k``.

    Examples
    --------
    >>> halves = big_platform(seed=1, n_big=4_000)
    >>> sorted(halves), len(halves["reference"])
    (['outage', 'reference', 'same', 'tax'], 2000)
    """
    if isinstance(n_big, bool) or not isinstance(n_big, (int, np.integer)) or n_big < 1_000:
        raise ValueError(f"n_big must be a whole number of at least 1,000 rows, got {n_big!r}")
    big = world.generate(int(n_big), seed=seed + 1)
    keep = ["applied_at", *world.FEATURES, "approved_policy"]
    order = np.random.default_rng([seed, 11]).permutation(len(big))
    half = len(big) // 2
    ref = big.iloc[order[:half]][keep].reset_index(drop=True)
    same = big.iloc[order[half : 2 * half]][keep].reset_index(drop=True)
    first, last = same["applied_at"].min(), same["applied_at"].max() + pd.Timedelta(seconds=1)
    tax, _ = faults.inject(same, "seasonality", start=first, end=last, seed=seed)
    outage, _ = faults.inject(
        same, "bureau_outage", start=first, end=last, seed=seed, share=0.05, hit_flag=False
    )
    return {"reference": ref, "same": same, "tax": tax, "outage": outage}


def champion(*, seed: int, n: int) -> models.Scorecard:
    """The champion scorecard, fitted on a matured 2023 development sample (approved loans).

    Examples
    --------
    >>> card = champion(seed=1, n=3_000)
    >>> round(card.factor_, 2)
    28.85
    """
    dev = world.generate(max(n // 3, 6_000), seed=seed + 2, start=SETTINGS["dev_start"], days=365)
    dev = dev[dev["approved_policy"]]
    return models.Scorecard().fit(dev, dev["defaulted"])


def approve(card: models.Scorecard, frame: pd.DataFrame, *, cutoff: float) -> np.ndarray:
    """The lender's decision: pass the knock-out rules and have a PD below ``cutoff``.

    Examples
    --------
    >>> book = world.generate(3_000, seed=1)
    >>> card = champion(seed=1, n=3_000)
    >>> bool(approve(card, book, cutoff=0.25).mean() < book["approved_policy"].mean())
    True
    """
    rules = models.rules_policy(frame)["approved"].to_numpy(dtype=bool)
    return rules & (card.predict_pd(frame).to_numpy() < cutoff)


def ks_dashboard(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    columns: Sequence[str] = MONITORED,
    alpha: float = SETTINGS["alpha"],
) -> pd.DataFrame:
    """The platform's drift dashboard: one test per column, red when the p-value < ``alpha``.

    Numeric columns get a two-sample KS test (missing values left out), categorical columns
    a chi-square test of current counts against reference proportions (missing values as a
    category of their own), via :func:`lendlab.drift.drift_table`.

    Returns
    -------
    DataFrame
        ``column, test, statistic, p_value, red``, in ``columns`` order.

    Examples
    --------
    >>> book = world.generate(4_000, seed=1)
    >>> table = ks_dashboard(book.iloc[:2_000], book.iloc[2_000:], columns=["fico", "channel"])
    >>> table["test"].tolist()
    ['ks', 'chi_square']
    """
    columns = list(columns)
    profile = drift.prepare_reference(reference, columns=columns, nan_policy="bin")
    kinds = {c: profile.column(c).kind for c in columns}
    method = {c: ("ks" if kinds[c] == "numeric" else "chi_square") for c in columns}
    table = profile.compare(current, method=method, thresholds=float(alpha))
    return pd.DataFrame(
        {
            "column": table["column"],
            "test": table["method"],
            "statistic": table["statistic"],
            "p_value": table["p_value"],
            "red": table["drifted"].astype(bool),
        }
    )


def daily_volume(frame: pd.DataFrame, *, by: str = "segment") -> pd.DataFrame:
    """Applications per UTC day (rows) and ``by`` value (columns); days without any row omitted.

    Examples
    --------
    >>> book = world.generate(1_000, seed=1, start="2025-01-01", days=7)
    >>> daily_volume(book).shape[0]
    7
    """
    day = frame["applied_at"].dt.floor("D").rename("day")
    counts = frame.groupby([day, frame[by]], observed=True).size().unstack(fill_value=0)
    return counts


def build_context(*, seed: int = 2026, n: int = 250_000, n_big: int | None = None) -> dict:
    """Rebuild the lab's data for ``seed`` and ``n`` (what the lab passes to ``ex.bind``).

    ``n_big`` (rows of the large platform) defaults to ``max(4 * n, 200_000)``; the lab uses
    1,000,000.

    Examples
    --------
    >>> ctx = build_context(seed=3, n=3_000)
    >>> ctx["record"].kind in REAL_KINDS, len(ctx["big_ref"]) == len(ctx["big_tax"])
    (True, True)
    """
    s = SETTINGS
    book = world.generate(n, seed=seed, start=s["start"], days=s["days"])
    book, _ = add_tax_seasons(book, seed=seed)
    served, record = vendor_incident(book, seed=seed)
    halves = big_platform(seed=seed, n_big=n_big or max(4 * n, 200_000))
    card = champion(seed=seed, n=n)
    january = between(served, *s["whatif"])
    bug, bug_record = faults.inject(
        january,
        "bureau_attribute_bug",
        start=s["whatif"][0],
        end=s["whatif"][1],
        seed=seed,
        repull_column="fico_repull",
    )
    return {
        "reference": between(served, *s["reference"]),
        "recent": between(served, *s["dashboard"]),
        "last_year": between(served, *s["last_year"]),
        "log": between(served, *s["daily_view"]),
        "record": record,
        "big_ref": halves["reference"],
        "big_tax": halves["tax"],
        "card": card,
        "bug": bug,
        "bug_record": bug_record,
        "cutoff": s["cutoff"],
    }


# --------------------------------------------------------------------------- shared helpers


def _distinct(expected: Any, candidates: Sequence[Any], *, tol: float = 0.0) -> list:
    """Wrong answers that really differ from ``expected`` (and from each other)."""
    out: list = []
    for c in candidates:
        if isinstance(c, (int, float, np.number)) and isinstance(expected, (int, float, np.number)):
            if not np.isfinite(c) or abs(float(c) - float(expected)) <= tol:
                continue
            if any(abs(float(c) - float(o)) <= tol for o in out):
                continue
        elif c == expected or c in out:
            continue
        out.append(c)
    return out


def _expect_count(answer: Any, expected: int, *, what: str) -> None:
    """A whole number: "too high" / "too low", without expect_number's unit guesses."""
    if isinstance(answer, (float, np.floating)) and float(answer).is_integer():
        answer = int(answer)
    if not isinstance(answer, (int, np.integer)) or isinstance(answer, (bool, np.bool_)):
        expect_number(answer, expected, rtol=0, atol=0.5, what=what)  # explains the type
        raise Incorrect(f"{what} should be a whole number")
    if answer != expected:
        raise Incorrect(f"{what} is too {'high' if answer > expected else 'low'}")


def _as_text(answer: Any, what: str) -> str:
    if not isinstance(answer, str):
        kind = "None" if answer is None else type(answer).__name__
        raise Incorrect(f"expected {what} as text (str), got {kind}")
    return answer.strip()


def _as_date(answer: Any, what: str) -> dt.date:
    if isinstance(answer, (str, dt.date, np.datetime64, pd.Timestamp)) and not isinstance(
        answer, bool
    ):
        try:
            ts = pd.Timestamp(answer)
        except (ValueError, TypeError):
            raise Incorrect(f"{what} is not a date; write it like '2025-03-14'") from None
        if pd.isna(ts):
            raise Incorrect(f"{what} is not a date; write it like '2025-03-14'")
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC")
        return ts.date()
    kind = "None" if answer is None else type(answer).__name__
    raise Incorrect(f"{what} should be a date such as '2025-03-14', got {kind}")


# Tests and drift tables over a year of data take a moment, and a learner may check an answer
# many times: keep the last result per question for the very same bound objects (held here,
# so their ids cannot be reused while cached).
_MEMO: dict[str, tuple[tuple, Any]] = {}


def _memo(name: str, objects: tuple, compute: Any) -> Any:
    held = _MEMO.get(name)
    if (
        held is None
        or len(held[0]) != len(objects)
        or any(a is not b for a, b in zip(held[0], objects, strict=True))
    ):
        held = (objects, compute())
        _MEMO[name] = held
    return held[1]


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
        return _distinct(
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
    per_day = daily_volume(ctx["recent"])
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
        ".sum(); n_day = ex.daily_volume(recent)[seg].median() (days with at least one of "
        "them); psi_noise_99 = stats.chi2.ppf(0.99, 9) * (1 / n_ref + 1 / n_day).",
    )
    solution_code = """\
seg = recent["segment"].value_counts().idxmin()
n_ref = int((reference["segment"] == seg).sum())
per_day = ex.daily_volume(recent)
n_day = per_day.loc[per_day[seg] > 0, seg].median()
psi_noise_99 = stats.chi2.ppf(0.99, 9) * (1 / n_ref + 1 / n_day)"""
    requires = ("reference", "recent")

    def expected(self, ctx: Mapping[str, Any]) -> float:
        n_ref, n_day, _ = _segment_sizes(ctx)
        return _critical(SETTINGS["null_quantile"], _DECILE_DF, n_ref, n_day)

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
        return _distinct(
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
        return {k: float(drift.ks(a[:k], b[:k]).pvalue) for k in SIZES if k <= min(a.size, b.size)}

    return _memo("pvalues", (ref, tax), compute)


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
a, b = big_ref["revol_util"].to_numpy(), big_tax["revol_util"].to_numpy()
pvalues = {k: drift.ks(a[:k], b[:k]).pvalue for k in SIZES if k <= len(a)}
smallest_flagged = next(k for k, p in pvalues.items() if p < 0.05)"""
    requires = ("big_ref", "big_tax")

    def expected(self, ctx: Mapping[str, Any]) -> int:
        found = _first_flagged(_pvalues(ctx), SETTINGS["alpha"])
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
        return _distinct(
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
    table = _memo(f"dashboard-{reference_key}", (ref, cur), lambda: ks_dashboard(ref, cur))
    return set(table.loc[table["red"], "column"])


class ClearsAgainstLastYear(Question):
    title = "red features the same weeks of last year explain"
    hints = (
        "Run the same dashboard with last year's same 28 days as the reference. A feature "
        "that is red against Q4 2024 but not against last spring moves every spring: it is "
        "not news.",
        "red_q4 = set of columns with red True in ex.ks_dashboard(reference, recent); "
        "red_ly = the same with ex.ks_dashboard(last_year, recent); "
        "clears = red_q4 - red_ly.",
    )
    solution_code = """\
red_q4 = set(dashboard.loc[dashboard["red"], "column"])
vs_last_year = ex.ks_dashboard(last_year, recent)
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
        unused = next(c for c in MONITORED if c not in right)
        return _distinct(
            right,
            [
                red_q4,  # every red feature
                red_ly,  # the ones that stay red
                set(SEASONAL),  # what we know the season moves, not what the data says
                right | {unused},
                (right - {min(right)}) if right else set(MONITORED[:2]),
            ],
        )


# --------------------------------------------------------------------------- Q5-Q7: the incident


def _touched(ctx: Mapping[str, Any]) -> list[str]:
    return [c for c in ctx["record"].columns if c in MONITORED]


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
        text = _as_text(answer, "a column name")
        if text not in MONITORED:
            raise Incorrect(f"{text!r} is not a monitored column; pick one of MONITORED")
        if text in _touched(ctx):
            return
        if text in SEASONAL:
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
alarm = psi_grid.max(axis=1) >= 0.1
days = psi_grid.index[alarm]
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
        first = _as_date(answer[0], "the first day")
        last = _as_date(answer[1], "the last day")
        want_first, want_last = _window(ctx)
        if first > last:
            raise Incorrect("the first day comes after the last day: swap them")
        if first < want_first and str(first) == SETTINGS["tax_seasons"][1][0]:
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
            (SETTINGS["tax_seasons"][1][0], str(last)),  # the start of tax season
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
    if sig.loc["partner_api annual_income: median ratio", "change"] < 0.5:
        return "income_monthly_as_annual"
    if sig.loc["inquiries_6m: mean ratio", "change"] < 0.8:
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
        return approve(card, bug, cutoff=cutoff), approve(card, repulled, cutoff=cutoff)

    return _memo("bug", (bug, card), compute)


class WronglyDeclinedByBug(Question):
    title = "applications the bureau bug wrongly declined"
    hints = (
        "Decide January twice with the same model and cutoff: on the scores the bureau sent "
        "(`fico`) and on the re-pulled, correct scores (`fico_repull`). Count the "
        "applications declined on the first but approved on the second.",
        "as_sent = ex.approve(card, bug, cutoff=CUTOFF); correct = ex.approve(card, "
        "bug.assign(fico=bug['fico_repull']), cutoff=CUTOFF); "
        "wrongly_declined = int((~as_sent & correct).sum()).",
    )
    solution_code = """\
as_sent = ex.approve(card, bug, cutoff=CUTOFF)
correct = ex.approve(card, bug.assign(fico=bug["fico_repull"]), cutoff=CUTOFF)
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
        _expect_count(answer, expected, what="the number of applications")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        as_sent, correct = _bug_decisions(ctx)
        return _distinct(
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
    build_context=build_context,
)
bind = _week.bind
q1, q2, q3, q4, q5, q6, q7, q8 = _week.questions
