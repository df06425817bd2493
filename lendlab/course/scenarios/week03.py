"""Week 3 scenario: a champion scorecard in production for 2024-2025, seen on 1 January 2026.

The learner's world: the champion :class:`lendlab.models.Scorecard` fitted on a matured 2021
development sample; two years of production applications with a macro shock that changes
outcomes (not inputs) in spring 2025 (``faults.inject(..., "concept_shift")``); the decision log
of the applications that passed the knock-out rules (:func:`lendlab.monitoring.decision_log`);
the booked loans' performance and vintage curves as of 1 January 2026; three cohorts for a
label-free estimate (baseline, covariate-shifted, concept-shifted); and the served features of
Q4 2025 against a nightly offline feature job with one defect drawn from the seed
(:func:`offline_feature_job`).

In the lab::

    from lendlab.course.scenarios import week03 as scenario
    S = scenario.SETTINGS
    offline = scenario.offline_feature_job(applications, seed=seed)

:func:`build_context` rebuilds exactly what the lab binds to ``lendlab.course.exercises.week03``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lendlab import monitoring, world
from lendlab.course.scenarios.common import between
from lendlab.world import faults

__all__ = [
    "COHORTS",
    "PROPOSED_SCHEMA",
    "SETTINGS",
    "SKEW_COLUMNS",
    "build_context",
    "offline_feature_job",
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
    perf = monitoring.loan_performance(book, s["as_of"], approved=booked)
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
