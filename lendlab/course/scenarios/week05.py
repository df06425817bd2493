"""Week 5 scenario: drift detection at a lender, fifteen months of applications.

The learner's world: January 2024 to Sunday 30 March 2025 of applications
(:func:`lendlab.world.generate`), with the benign tax-season shift of both springs
(:func:`add_tax_seasons`) and one real incident in March 2025 whose kind and window are drawn
from the seed (:func:`vendor_incident`, sealed until the learner has answered). On Monday 31
March 2025 the platform's drift dashboard (:func:`ks_dashboard`: a KS or chi-square test per
input, p < 0.05, the last 28 days against Q4 2024) is red. The lab also uses a large platform's
year split into two halves (:func:`big_platform`) for the sample-size experiments, the
champion scorecard fitted on 2023 (:func:`champion`) with the lender's decision rule
(:func:`approve`), and a January 2025 bureau attribute bug for the what-ifs.

In the lab::

    from lendlab.course.scenarios import week05 as scenario
    S = scenario.SETTINGS
    served, sealed = scenario.vendor_incident(book, seed=seed)

:func:`build_context` rebuilds exactly what the lab binds to ``lendlab.course.exercises.week05``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lendlab import drift, models, world
from lendlab.course.scenarios.common import between, utc
from lendlab.world import faults, schema

__all__ = [
    "SETTINGS",
    "MONITORED",
    "SEASONAL",
    "REAL_KINDS",
    "KIND_OPTIONS",
    "SIZES",
    "between",
    "add_tax_seasons",
    "vendor_incident",
    "big_platform",
    "champion",
    "approve",
    "ks_dashboard",
    "daily_volume",
    "smallest_segment_day",
    "build_context",
]

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
#: Columns the drift dashboard monitors: the model inputs and the verification fields (the
#: world's one list, :data:`lendlab.world.schema.MONITORED_FEATURES`).
MONITORED: tuple[str, ...] = tuple(schema.MONITORED_FEATURES)
#: Columns the tax season moves (the injected ``seasonality`` kind).
SEASONAL: tuple[str, ...] = ("revol_util", "loan_amount")
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
    start = utc(_INCIDENT_FIRST_DAY) + pd.Timedelta(days=int(rng.integers(0, _START_CHOICES)))
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
    keep = ["application_id", "applied_at", *world.FEATURES, "approved_policy"]
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


def smallest_segment_day(
    reference: pd.DataFrame, recent: pd.DataFrame, *, by: str = "segment"
) -> tuple[str, int, float]:
    """The segment with the fewest rows in ``recent``, its rows in ``reference``, its median day.

    The sizes behind a per-segment daily PSI alert's noise floor (lab Q2): the alert is noisiest
    for the smallest segment, whose reference holds ``n_ref`` rows and whose typical day in
    ``recent`` holds ``n_day`` applications (the median over the days it had any: a float, e.g.
    ``69.5``, never rounded). The lab's check and the cell after it both use this, so the number
    the lab prints is the number the check expects.

    Parameters
    ----------
    reference, recent : DataFrame
        World frames with ``applied_at`` and ``by``.
    by : str, default "segment"
        The column that names the segment.

    Returns
    -------
    (segment, n_ref, n_day) : tuple of str, int, float

    Raises
    ------
    TypeError
        ``reference`` or ``recent`` is not a DataFrame.
    ValueError
        A frame lacks ``applied_at`` or ``by``, or ``recent`` is empty.

    Examples
    --------
    >>> book = world.generate(6_000, seed=1, start="2025-01-01", days=28)
    >>> segment, n_ref, n_day = smallest_segment_day(book.iloc[:3_000], book.iloc[3_000:])
    >>> segment in world.CATEGORIES["segment"], n_ref > 0, n_day > 0
    (True, True, True)
    """
    for name, frame in (("reference", reference), ("recent", recent)):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(
                f"{name} must be a DataFrame of applications, got {type(frame).__name__}"
            )
        missing = [c for c in ("applied_at", by) if c not in frame.columns]
        if missing:
            raise ValueError(f"{name} has no column {missing[0]!r}; pass a world frame")
    if recent.empty:
        raise ValueError("recent has no rows: pick a window with applications")
    counts = recent[by].value_counts()
    counts = counts[counts > 0]
    segment = counts.sort_values(kind="stable").index[0]
    n_ref = int((reference[by] == segment).sum())
    per_day = daily_volume(recent, by=by)
    n_day = float(per_day.loc[per_day[segment] > 0, segment].median())
    return str(segment), n_ref, n_day


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
