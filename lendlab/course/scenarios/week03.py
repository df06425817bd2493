"""Week 3 scenario: a champion scorecard in production for 2024-2025, seen on 1 January 2026.

The learner's world: the champion :class:`lendlab.models.Scorecard` fitted on a matured 2021
development sample; two years of production applications with a macro shock that changes
outcomes (not inputs) in spring 2025 (``faults.inject(..., "concept_shift")``); the decision log
of the applications that passed the knock-out rules (:func:`lendlab.monitoring.decision_log`);
the booked loans' payment history (:func:`payment_history`: defaults and the months each loan
first went 30/60/90+ days past due) and vintage curves as of 1 January 2026, with the
early-warning monitors of :data:`EARLY_WARNING` (:func:`proxy_by_vintage`); three cohorts for a
label-free estimate (baseline, covariate-shifted, concept-shifted); and the served features of
Q4 2025 against a nightly offline feature job with one defect drawn from the seed
(:func:`offline_feature_job`).

In the lab::

    from lendlab.course.scenarios import week03 as scenario
    S = scenario.SETTINGS
    perf = scenario.payment_history(book, S["as_of"], approved=booked)
    offline = scenario.offline_feature_job(applications, seed=seed)

:func:`build_context` rebuilds exactly what the lab binds to ``lendlab.course.exercises.week03``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lendlab import monitoring, world
from lendlab.course.scenarios.common import between
from lendlab.world import delinquency, faults

__all__ = [
    "COHORTS",
    "EARLY_WARNING",
    "PROPOSED_SCHEMA",
    "SETTINGS",
    "SKEW_COLUMNS",
    "build_context",
    "offline_feature_job",
    "payment_history",
    "proxy_by_vintage",
]

#: The settings the lab uses (its setup cell shows the same values).
SETTINGS: dict[str, Any] = {
    "dev_start": "2021-01-01",  # development sample: 2021 loans, outcomes matured by now
    "start": "2024-01-01",  # production: 2024 and 2025 applications
    "days": 731,
    "as_of": "2026-01-01",  # the day the lender looks
    "cutoff": 0.25,  # PD cutoff
    "review_margin": 0.02,  # PDs within 2 points of the cutoff go to manual review
    "model_version": "scorecard-2024.01",
    "shock_start": "2025-03-01",  # the macro shock: outcomes change, inputs do not
    "shock_end": "2025-06-01",
    "shock_odds": 2.5,
    "pre_start": "2024-03-01",  # the 12 months before the shock, for early-payment default
    "baseline_start": "2024-01-01",  # a quiet half-year for the label-free estimate
    "baseline_end": "2024-07-01",
    "dti_tilt": 0.10,  # covariate shift: applicant weight exp(0.10 * dti)
    "skew_start": "2025-10-01",  # the quarter the offline feature job backfilled
}
#: The three cohorts of the label-free estimation section.
COHORTS: tuple[str, ...] = ("baseline", "covariate_shift", "concept_shift")
#: Columns the offline feature job can get wrong (one is drawn from the seed).
SKEW_COLUMNS: tuple[str, ...] = ("inquiries_6m", "emp_length_years", "dti")
#: A proposal for a slimmer decision log (the lab's question 1 audits it).
PROPOSED_SCHEMA: tuple[str, ...] = (
    "application_id",
    "applied_at",
    "pd",
    "decision",
    "latency_ms",
    "pod_name",
    "fico",
    "annual_income",
    "dti",
    "channel",
    "segment",
)


#: Early-warning monitors of section 4: name -> (first-month column of the payment history,
#: month on book). Industry definitions vary; these are common ones (research file section 2).
EARLY_WARNING: dict[str, tuple[str, int]] = {
    "first-payment default (30+ DPD at month 1)": ("dpd30_month", 1),
    "30+ DPD by month 3": ("dpd30_month", 3),
    "60+ DPD by month 6": ("dpd60_month", 6),
    "charged off by month 6": ("default_month", 6),
    "charged off by month 12": ("default_month", 12),
}


def payment_history(book: pd.DataFrame, as_of: Any, *, approved: pd.Series) -> pd.DataFrame:
    """What the servicing system knows as of a date: each booked loan's payment history.

    :func:`lendlab.monitoring.loan_performance` (months on book, defaults so far and their
    month) plus ``dpd30_month``, ``dpd60_month`` and ``dpd90_month``: the month on book the
    loan first went 30+, 60+ and 90+ days past due, ``NaN`` when it has not (yet) by
    ``as_of``. A month the loan has not reached is never shown: the future stays hidden.

    Parameters
    ----------
    book : DataFrame
        A world frame (:func:`lendlab.world.generate`, possibly with an injected fault) that
        still holds the truth columns (``months_to_default``, ``months_to_dpd30/60/90``).
    as_of : str or Timestamp
        The day the lender looks (UTC).
    approved : boolean Series aligned to ``book``
        The loans that were booked. There is no default: only booked loans make payments,
        so a payment history of every knock-out pass would describe loans nobody made.

    Returns
    -------
    DataFrame
        One row per booked loan applied for by ``as_of``, index of ``book``.

    Raises
    ------
    TypeError
        ``book`` is not a DataFrame or ``approved`` is not a boolean Series.
    ValueError
        ``book`` lacks the delinquency columns, or ``approved`` is not aligned to it.

    Examples
    --------
    >>> book = world.generate(5_000, seed=2, start="2024-01-01", days=365)
    >>> history = payment_history(book, "2025-06-01", approved=book["approved_policy"])
    >>> seen = history["dpd30_month"].notna()
    >>> bool((history.loc[seen, "dpd30_month"] <= history.loc[seen, "months_on_book"]).all())
    True
    >>> bool((seen == history["ever_dpd30_so_far"].astype(bool)).all())
    True
    """
    if not isinstance(book, pd.DataFrame):
        raise TypeError(
            f"book must be a DataFrame (world.generate output), got {type(book).__name__}"
        )
    if not isinstance(approved, pd.Series) or not pd.api.types.is_bool_dtype(approved.dtype):
        raise TypeError(
            "approved must be a boolean Series aligned to book (True = booked), e.g. "
            f"approved=booked; got {type(approved).__name__}"
        )
    needed = ["months_to_default", *(f"months_to_dpd{d}" for d in (30, 60, 90))]
    missing = [c for c in needed if c not in book.columns]
    if missing:
        raise ValueError(
            f"book is missing the truth column(s) {missing}; pass world.generate output (the "
            "world keeps the payment history in them)"
        )
    history = monitoring.loan_performance(book, as_of, approved=approved)
    rows = book.loc[history.index]
    mob = history["months_on_book"].to_numpy(dtype=float)
    charge_off = rows["months_to_default"].to_numpy(dtype=float)
    lag = float(delinquency.DELINQUENCY_MODEL["months_30_to_charge_off"])
    for step, days in enumerate((30, 60, 90)):
        # A charged-off loan rolled 30, 60, 90 DPD in the months before charge-off.
        first = np.fmin(rows[f"months_to_dpd{days}"].to_numpy(dtype=float), charge_off - lag + step)
        history[f"dpd{days}_month"] = np.where(first <= mob, first, np.nan)
    return history


def proxy_by_vintage(history: pd.DataFrame, event: str, months_on_book: int) -> pd.Series:
    """Per monthly vintage, the share of loans with ``event`` by ``months_on_book``.

    Only vintages whose every loan has reached ``months_on_book`` get a value (the rule of
    :func:`lendlab.monitoring.vintage_curve`): younger vintages are absent, not zero.

    Parameters
    ----------
    history : DataFrame
        :func:`payment_history` output.
    event : str
        A first-month column: ``"dpd30_month"``, ``"dpd60_month"``, ``"dpd90_month"`` or
        ``"default_month"``.
    months_on_book : int
        The month on book at which every vintage is compared (1 or more).

    Returns
    -------
    Series
        Indexed by vintage (``YYYY-MM``), named ``event``.

    Examples
    --------
    >>> book = world.generate(5_000, seed=2, start="2024-01-01", days=365)
    >>> history = payment_history(book, "2025-01-01", approved=book["approved_policy"])
    >>> at3 = proxy_by_vintage(history, "dpd30_month", 3)
    >>> at3.index[0], at3.index[-1], bool(at3.between(0, 1).all())
    ('2024-01', '2024-09', True)
    """
    if not isinstance(history, pd.DataFrame):
        raise TypeError(
            f"history must be a DataFrame (payment_history output), got {type(history).__name__}"
        )
    firsts = ("dpd30_month", "dpd60_month", "dpd90_month", "default_month")
    if event not in firsts:
        raise ValueError(f"event must be one of {list(firsts)}, got {event!r}")
    if event not in history.columns:
        raise ValueError(f"history has no {event!r} column; build it with payment_history")
    if (
        isinstance(months_on_book, bool)
        or not isinstance(months_on_book, (int, np.integer))
        or months_on_book < 1
    ):
        raise ValueError(f"months_on_book must be a whole number >= 1, got {months_on_book!r}")
    # vintage_curve counts the first month in `default_month`: hand it the event's column.
    relabelled = history.assign(default_month=history[event])
    curve = monitoring.vintage_curve(relabelled, max_months=int(months_on_book))
    at = curve[curve["months_on_book"] == months_on_book]
    return at.set_index("vintage")["cum_bad_rate"].rename(event)


def offline_feature_job(applications: pd.DataFrame, *, seed: int) -> pd.DataFrame:
    """The nightly offline feature job: model inputs recomputed from raw sources, keyed by id.

    It is meant to reproduce what the scoring service served, but it carries one defect drawn
    from ``seed`` (one of :data:`SKEW_COLUMNS`): a 3-month inquiry window instead of 6
    months, unknown employment written as 0 instead of null, or DTI recomputed from verified
    instead of stated income. Rows come back in the job's own order (shuffled), so compare on
    ``application_id``, never by position.

    Parameters
    ----------
    applications : DataFrame
        Applications with ``application_id`` and :data:`lendlab.world.FEATURES` (the world's
        values, which the service served), plus ``verified_income``.
    seed : int
        Draws the defect and the job's row order.

    Returns
    -------
    DataFrame
        ``application_id`` and the features.

    Examples
    --------
    >>> book = world.generate(2_000, seed=1)
    >>> job = offline_feature_job(book, seed=1)
    >>> sorted(job.columns) == sorted(["application_id", *world.FEATURES])
    True
    >>> bool(job["application_id"].is_unique), len(job) == len(book)
    (True, True)
    """
    if not isinstance(applications, pd.DataFrame):
        raise TypeError(f"applications must be a DataFrame, got {type(applications).__name__}")
    needed = ["application_id", *world.FEATURES, "annual_income", "verified_income"]
    missing = [c for c in dict.fromkeys(needed) if c not in applications.columns]
    if missing:
        raise ValueError(f"applications is missing column(s) {missing}; pass world rows")
    rng = np.random.default_rng([int(seed), 3])
    defect = SKEW_COLUMNS[int(rng.integers(len(SKEW_COLUMNS)))]
    job = applications[["application_id", *world.FEATURES]].reset_index(drop=True).copy()
    if defect == "inquiries_6m":
        # the job's window is 3 months: each inquiry of the last 6 months falls in it w.p. 1/2
        job["inquiries_6m"] = rng.binomial(job["inquiries_6m"].to_numpy(), 0.5).astype(np.int64)
    elif defect == "emp_length_years":
        job["emp_length_years"] = job["emp_length_years"].fillna(0.0)
    else:
        # debt / verified income where a verification exists, debt / stated income otherwise
        stated = applications["annual_income"].to_numpy()
        verified = applications["verified_income"].to_numpy()
        income = np.where(np.isnan(verified), stated, verified)
        job["dti"] = np.round(job["dti"].to_numpy() * stated / income, 2)
    return job.iloc[rng.permutation(len(job))].reset_index(drop=True)


def build_context(*, seed: int, n: int) -> dict[str, Any]:
    """Rebuild the lab's data for ``seed`` and ``n`` (what the lab passes to ``ex.bind``).

    Mirrors the lab cell by cell: a development sample (``n // 2`` applications of 2021) for
    the champion scorecard; the production world of ``n`` applications over 2024-2025 with a
    concept shift in spring 2025; the decision log of the applications that passed the
    knock-out rules; the loans booked (approved) and their performance as of 1 January 2026;
    the three cohorts of the label-free estimate; the served vs offline features of Q4 2025.

    Examples
    --------
    >>> ctx = build_context(seed=3, n=20_000)
    >>> sorted(k for k in ctx if k in ("log", "book", "perf", "curve"))
    ['book', 'curve', 'log', 'perf']
    >>> sorted(ctx["cohorts"]) == sorted(COHORTS)
    True
    """
    from lendlab.models import Scorecard  # lazily: importing a week must stay cheap

    s = SETTINGS
    dev = world.generate(n // 2, seed=seed + 1, start=s["dev_start"], days=365)
    dev = dev[dev["approved_policy"]]
    card = Scorecard().fit(dev, dev["defaulted"])

    production = world.generate(n, seed=seed, start=s["start"], days=s["days"])
    book, _ = faults.inject(
        production,
        "concept_shift",
        start=s["shock_start"],
        end=s["shock_end"],
        seed=seed,
        odds_ratio=s["shock_odds"],
    )
    apps = book[book["approved_policy"]]  # the knock-out rules run before the model
    log = monitoring.decision_log(
        apps,
        card,
        cutoff=s["cutoff"],
        review_margin=s["review_margin"],
        model_version=s["model_version"],
    )
    approved_ids = log.loc[log["decision"] == "approve", "application_id"]
    booked = book["application_id"].isin(approved_ids)
    perf = payment_history(book, s["as_of"], approved=booked)
    curve = monitoring.vintage_curve(perf)

    baseline = between(apps, s["baseline_start"], s["baseline_end"])
    covariate = baseline.sample(
        frac=1.0, replace=True, weights=np.exp(s["dti_tilt"] * baseline["dti"]), random_state=seed
    )
    concept = between(apps, s["shock_start"], s["shock_end"])
    cohorts = {"baseline": baseline, "covariate_shift": covariate, "concept_shift": concept}

    served = between(log, s["skew_start"])[["application_id", *card.features_]]
    offline = offline_feature_job(
        book[book["application_id"].isin(served["application_id"])], seed=seed
    )
    return {
        "card": card,
        "book": book,
        "log": log,
        "booked": booked,
        "perf": perf,
        "curve": curve,
        "cohorts": cohorts,
        "served": served,
        "offline": offline,
        "proposed_schema": list(PROPOSED_SCHEMA),
        **s,
    }
