"""Week 4 scenario: a lender's nightly feature pipeline, July to December 2025.

The learner's world: six months of applications (:func:`lendlab.world.generate`) split into the
three raw feeds the nightly batch reads (:func:`lendlab.quality.split_sources`: applications,
bureau pulls, income verifications) and the feature table built from them
(:func:`lendlab.quality.build_features`), checked stage by stage (:func:`stage_report`). Then
the pipeline breaks: five ``breaks=`` runs, two December incidents and stale income
(:func:`stale_income`); tonight's production
history in which part of the partner_api traffic went wrong since 28 December
(:func:`replay_production`, sealed); and a game day whose incident kind and start day are drawn
from the seed (:func:`game_day`, sealed).

In the lab::

    from lendlab.course.scenarios import week04 as scenario
    history, sealed_tonight = scenario.replay_production(book, seed=seed)

:func:`build_context` rebuilds exactly what the lab binds to ``lendlab.course.exercises.week04``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from lendlab import quality, world
from lendlab.course.scenarios.common import utc
from lendlab.world import faults

__all__ = [
    "SETTINGS",
    "NEW_FRONT_END_SHARE",
    "STAGES",
    "DRILL_KINDS",
    "DERIVED",
    "MONITORED",
    "STALE_INCOME",
    "replay_production",
    "stale_income",
    "game_day",
    "batch_job_contract",
    "stage_report",
    "first_stage",
    "build_context",
]

#: The settings the lab uses (its cells show the same values).
SETTINGS: dict[str, Any] = {
    "start": "2025-07-01",  # first application day
    "days": 184,  # July to December 2025; the nightly batch runs at midnight on 1 January 2026
    "december": "2025-12-01",  # the slice the section-3 incidents are injected into
    "fault_start": "2025-12-15",  # where those incidents start
    "scenario_start": "2025-12-28",  # tonight's page covers applications since this day
    "baseline_days": 28,  # the approval monitor compares with the four weeks before
    "reference_end": "2025-10-01",  # game day: reference = July to September
    "drill_month": ("2025-10-01", "2025-11-01"),  # game day: the month the drill replays
}
#: Share of partner_api applications that come through the partner's new front end.
NEW_FRONT_END_SHARE = 0.4
#: The stages a failure can first show in, in pipeline order ("none": no contract sees it).
STAGES: tuple[str, ...] = ("vendor_feed", "batch_job", "feature_table", "none")
#: Incident kinds a game day can draw: each leaves a distinct signature in the feature table.
DRILL_KINDS: tuple[str, ...] = (
    "bureau_outage",
    "income_monthly_as_annual",
    "income_annual_as_monthly",
    "partner_field_rename",
    "stale_feature_store",
    "income_verification_vendor_change",
)
#: Ratios the batch job derives: they move with their inputs but are never the root cause.
DERIVED: tuple[str, ...] = ("loan_to_income", "verified_to_stated")
#: Columns the game day monitors for drift (inputs, verification fields and derived ratios).
MONITORED: tuple[str, ...] = (
    *world.FEATURES,
    "home_ownership",
    "income_verification",
    "verified_income",
    *DERIVED,
)
#: The stale-income incident of section 3: since ``SETTINGS["fault_start"]`` the verification
#: vendor answers part of the traffic from its cache, an earlier verification of the same person.
STALE_INCOME: dict[str, Any] = {
    "share": 0.5,  # of the verified applications in the window
    "min_age_days": 120,  # how old a cached result is: 4 to 12 months
    "max_age_days": 365,
    "wage_growth": 0.04,  # a year-old income is ~4% lower on average (and spread out)
    "spread": 0.12,
}
_DRILL_FIRST_DAY = pd.Timestamp("2025-10-06", tz="UTC")
_DRILL_START_CHOICES = 19  # 6 to 24 October


def replay_production(
    book: pd.DataFrame, *, seed: int
) -> tuple[pd.DataFrame, faults.InjectedFault]:
    """Tonight's production history: ``book`` as the raw feeds delivered it, and the sealed record.

    Something went wrong for part of the partner_api traffic since
    ``SETTINGS["scenario_start"]``; the lab's on-call scenario is to find out what. The
    record says what really happened: read it only after answering.

    Parameters
    ----------
    book : DataFrame
        The world from :func:`lendlab.world.generate` (never modified).
    seed : int
        The lab's seed (which applications, and the incident's own random choices).

    Returns
    -------
    history : DataFrame
        A copy of ``book`` with the incident applied (same index, same dtypes).
    record : InjectedFault
        The truth about it (:class:`lendlab.world.faults.InjectedFault`).

    Examples
    --------
    >>> from lendlab import world
    >>> book = world.generate(3_000, seed=1, start="2025-07-01", days=184)
    >>> history, record = replay_production(book, seed=1)
    >>> history.shape == book.shape, record.rows_affected > 0
    (True, True)
    """
    if not isinstance(book, pd.DataFrame):
        raise TypeError(
            f"book must be a DataFrame from lendlab.world.generate, got {type(book).__name__}"
        )
    for col in ("applied_at", "channel"):
        if col not in book.columns:
            raise ValueError(
                f"book has no {col!r} column; pass the frame from lendlab.world.generate"
            )
    start = utc(SETTINGS["scenario_start"])
    end = book["applied_at"].max().floor("D") + pd.Timedelta(days=1)
    in_window = (book["channel"] == "partner_api").to_numpy() & (
        book["applied_at"] >= start
    ).to_numpy()
    candidates = np.flatnonzero(in_window)
    if candidates.size == 0:
        raise ValueError(
            f"book has no partner_api applications since {start.date()}; generate it with "
            f"start={SETTINGS['start']!r}, days={SETTINGS['days']}"
        )
    # The partner's new front end carries a fixed share of its traffic (at least one application).
    rng = np.random.default_rng([seed, 4])
    k = max(1, round(NEW_FRONT_END_SHARE * candidates.size))
    rows = np.sort(rng.choice(candidates, size=k, replace=False))
    hit, record = faults.inject(
        book.iloc[rows],
        "income_monthly_as_annual",
        start=start,
        end=end,
        seed=seed,
        channel="partner_api",
    )
    history = book.copy()
    history.loc[hit.index, hit.columns] = hit
    return history, record


def stale_income(
    sources: quality.Sources, *, seed: int, start: Any = None
) -> tuple[quality.Sources, np.ndarray]:
    """Stale income: the verification vendor answers from its cache since ``start``.

    For half of the verified applications since ``start`` (default
    ``SETTINGS["fault_start"]``) the vendor returns the result of an *earlier* verification of
    the same person instead of a fresh one: ``verified_at`` is that earlier verification's
    time, 4 to 12 months before the application, and ``verified_income`` the income as it was
    then (:data:`STALE_INCOME`). It is the catalogue's ``stale_feature_store`` failure (a
    snapshot served as new; :data:`lendlab.world.faults.FAULTS`) on the income feed instead of
    the bureau feed. Nothing else changes: same rows, same schema, same statuses.

    Parameters
    ----------
    sources : Sources
        From :func:`lendlab.quality.split_sources` (never modified).
    seed : int
        Which applications get a cached result, and how old it is.
    start : str or Timestamp, optional
        First application day served from the cache (UTC).

    Returns
    -------
    stale : Sources
        ``sources`` with the stale verifications (same ``as_of``).
    application_ids : ndarray of int
        The applications whose verification came from the cache, sorted.

    Raises
    ------
    TypeError
        ``sources`` is not a :class:`lendlab.quality.Sources` or ``seed`` not an integer.
    ValueError
        A negative seed, or no verified application on or after ``start``.

    Examples
    --------
    >>> from lendlab import world
    >>> s = quality.split_sources(world.generate(3_000, seed=1, start="2025-07-01", days=184))
    >>> stale, ids = stale_income(s, seed=1)
    >>> v = stale.verifications.merge(s.applications[["application_id", "applied_at"]])
    >>> old = v["verified_at"] < v["applied_at"]
    >>> bool(old.sum() == len(ids) > 0), len(stale.verifications) == len(s.verifications)
    (True, True)
    """
    if not isinstance(sources, quality.Sources):
        raise TypeError(
            f"sources must come from lendlab.quality.split_sources, got {type(sources).__name__}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed={seed!r} must be a non-negative integer, e.g. 2026")
    if seed < 0:
        raise ValueError(f"seed={seed!r} must be a non-negative integer, e.g. 2026")
    first = utc(SETTINGS["fault_start"] if start is None else start)
    applied = sources.verifications["application_id"].map(
        sources.applications.set_index("application_id")["applied_at"]
    )
    verified = sources.verifications["verified_income"].notna()
    candidates = np.flatnonzero(((applied >= first) & verified).to_numpy())
    if candidates.size == 0:
        raise ValueError(
            f"no verified application on or after {first.date()}; generate the book with "
            f"start={SETTINGS['start']!r}, days={SETTINGS['days']}"
        )
    rng = np.random.default_rng([seed, 9])
    k = max(1, round(STALE_INCOME["share"] * candidates.size))
    rows = np.sort(rng.choice(candidates, size=k, replace=False))
    age_days = rng.integers(STALE_INCOME["min_age_days"], STALE_INCOME["max_age_days"] + 1, k)
    change = np.exp(
        rng.normal(-STALE_INCOME["wage_growth"] * age_days / 365, STALE_INCOME["spread"], k)
    )
    verif = sources.verifications.copy()
    at, income = verif.columns.get_loc("verified_at"), verif.columns.get_loc("verified_income")
    seconds = rng.integers(0, 86_400, k)
    verif.iloc[rows, at] = (
        applied.iloc[rows] - pd.to_timedelta(age_days, unit="D") - pd.to_timedelta(seconds, "s")
    ).to_numpy()
    verif.iloc[rows, income] = np.round(verif["verified_income"].to_numpy()[rows] * change, -2)
    ids = np.sort(verif["application_id"].to_numpy()[rows])
    # The feed arrives in time order, as split_sources delivers it.
    order = np.lexsort((verif["application_id"].to_numpy(), verif["verified_at"].array.asi8))
    verif = verif.take(order).reset_index(drop=True)
    return replace(sources, verifications=verif), ids


def game_day(book: pd.DataFrame, *, seed: int) -> tuple[pd.DataFrame, faults.InjectedFault]:
    """The game-day drill: a month of ``book`` with one incident, kind and day drawn from ``seed``.

    The platform team replays ``SETTINGS["drill_month"]`` through staging with one fault from
    :data:`DRILL_KINDS`, starting on a day between 6 and 24 October and lasting to the end of
    the month. The record is sealed: the lab grades the diagnosis against it.

    Examples
    --------
    >>> from lendlab import world
    >>> book = world.generate(3_000, seed=1, start="2025-07-01", days=184)
    >>> drill_book, record = game_day(book, seed=1)
    >>> record.kind in DRILL_KINDS, str(record.end.date())
    (True, '2025-11-01')
    """
    if not isinstance(book, pd.DataFrame):
        raise TypeError(
            f"book must be a DataFrame from lendlab.world.generate, got {type(book).__name__}"
        )
    if "applied_at" not in book.columns:
        raise ValueError(
            "book has no 'applied_at' column; pass the frame from lendlab.world.generate"
        )
    first, last = (utc(d) for d in SETTINGS["drill_month"])
    month = book[(book["applied_at"] >= first) & (book["applied_at"] < last)]
    if month.empty:
        raise ValueError(
            f"book has no applications in {first.date()}..{last.date()}; generate it with "
            f"start={SETTINGS['start']!r}, days={SETTINGS['days']}"
        )
    rng = np.random.default_rng([seed, 7])
    kind = str(rng.choice(DRILL_KINDS))
    start = _DRILL_FIRST_DAY + pd.Timedelta(days=int(rng.integers(0, _DRILL_START_CHOICES)))
    options = {"stage": "null"} if kind == "partner_field_rename" else {}
    return faults.inject(month, kind, start=start, end=last, seed=seed, **options)


def _slice_faults(
    book: pd.DataFrame, *, seed: int
) -> dict[str, tuple[quality.Sources, pd.DataFrame]]:
    """The two section-3 incidents injected into December: (raw feeds, feature table) each."""
    december = book[book["applied_at"] >= utc(SETTINGS["december"])]
    out = {}
    for name, kind, options in (
        ("bureau_outage", "bureau_outage", {}),
        ("partner_field_rename_imputed", "partner_field_rename", {"stage": "imputed"}),
    ):
        broken_book, _ = faults.inject(
            december, kind, start=SETTINGS["fault_start"], end="2026-01-01", seed=seed, **options
        )
        src = quality.split_sources(broken_book, seed=seed)
        out[name] = (src, quality.build_features(src))
    return out


def batch_job_contract(sources: quality.Sources) -> quality.Contract:
    """The batch job's own reconciliation: one feature row per application, keys unique.

    Examples
    --------
    >>> from lendlab import world
    >>> s = quality.split_sources(world.generate(500, seed=1))
    >>> batch_job_contract(s).row_count
    (500, 500)
    """
    rows_in = len(sources.applications)
    return quality.Contract("batch_job", unique=["application_id"], row_count=(rows_in, rows_in))


def stage_report(sources: quality.Sources, features: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Violations per stage: the raw feeds, the batch job's reconciliation, the feature table.

    ``sources`` are the raw tables as the pipeline saw them (for a ``breaks=`` run, pass
    ``quality.apply_breaks(sources, breaks)``).

    Examples
    --------
    >>> from lendlab import world
    >>> s = quality.split_sources(world.generate(500, seed=1))
    >>> first_stage(stage_report(s, quality.build_features(s)))
    'none'
    """
    return {
        "vendor_feed": quality.check_pipeline(sources),
        "batch_job": quality.validate(features, batch_job_contract(sources)),
        "feature_table": quality.validate(
            features, quality.CONTRACTS["features"], as_of=sources.as_of
        ),
    }


def first_stage(report: Mapping[str, pd.DataFrame]) -> str:
    """The first stage (pipeline order) with a violation, or ``"none"``.

    Examples
    --------
    >>> empty, one = pd.DataFrame(), pd.DataFrame({"rule": ["unique"]})
    >>> first_stage({"vendor_feed": empty, "batch_job": one, "feature_table": one})
    'batch_job'
    """
    return next((s for s in STAGES[:-1] if len(report[s]) > 0), "none")


def build_context(*, seed: int = 2026, n: int = 100_000) -> dict[str, Any]:
    """Rebuild the lab's data for ``seed`` and ``n`` (what the lab passes to ``ex.bind``).

    Mirrors the lab cell by cell: the world, the clean raw feeds and feature table, the five
    pipeline breaks, the two December incidents, stale income, tonight's production history
    and the game day.

    Examples
    --------
    >>> ctx = build_context(seed=3, n=3_000)
    >>> sorted(ctx["broken"]) == sorted(quality.BREAKS), ctx["drill"].kind in DRILL_KINDS
    (True, True)
    """
    book = world.generate(n, seed=seed, start=SETTINGS["start"], days=SETTINGS["days"])
    sources = quality.split_sources(book, seed=seed)
    features = quality.build_features(sources)
    broken = {b: quality.build_features(sources, breaks=[b]) for b in quality.BREAKS}
    faults = {b: (quality.apply_breaks(sources, [b]), broken[b]) for b in quality.BREAKS}
    faults.update(_slice_faults(book, seed=seed))
    history, scenario = replay_production(book, seed=seed)
    sources_now = quality.split_sources(history, seed=seed)
    features_now = quality.build_features(sources_now)
    stale_sources, _ = stale_income(sources, seed=seed)
    stale_features = quality.build_features(stale_sources)
    drill_book, drill = game_day(book, seed=seed)
    drill_features = quality.build_features(quality.split_sources(drill_book, seed=seed))
    return {
        "sources": sources,
        "features": features,
        "broken": broken,
        "faults": faults,
        "stale_features": stale_features,
        "sources_now": sources_now,
        "features_now": features_now,
        "scenario": scenario,
        "drill_features": drill_features,
        "drill": drill,
    }
