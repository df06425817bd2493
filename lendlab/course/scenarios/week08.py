"""Week 8 scenario: a bad release of the nightly income-verification / DTI job, fifteen nights.

The learner's world: fifteen days of applications, Sunday 1 to Sunday 15 March 2026
(:func:`lendlab.world.generate`), split into nightly partitions of raw feeds
(:func:`lendlab.quality.release.nightly_partitions`; night 0, 1 March, is the known-good
partition already in production), and the champion scorecard (:func:`champion`: fitted on the
2024 book's matured knock-out passes, approve when PD < :data:`SETTINGS` ``["cutoff"]``).

Two runs of the bad releases of :data:`lendlab.quality.release.VARIANTS`, both with the gates
in dry-run mode (evaluated every night, blocking nothing):

* the **release drill** (:func:`release_drill`): each variant released on night
  ``SETTINGS["drill_landing"]``, one run per variant;
* the **incident** (:func:`incident`): the income verification job was redeployed at 02:00 on
  a night drawn from the seed, with a variant drawn from the seed; the run is handed over with
  the variant masked, and the truth is sealed in a :class:`SealedIncident`.

:func:`build_context` rebuilds exactly what the lab binds to ``lendlab.course.exercises.week08``.

In the lab::

    from lendlab.course.scenarios import week08 as scenario
    nights = scenario.nights(seed=seed, n=n)
    incident_run, sealed = scenario.incident(nights, model=champion, seed=seed)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from lendlab import models, quality, world
from lendlab.quality import release

__all__ = [
    "SETTINGS",
    "SealedIncident",
    "nights",
    "champion",
    "release_drill",
    "incident",
    "build_context",
]

#: The settings the lab uses (its cells show the same values).
SETTINGS: dict[str, Any] = {
    "start": "2026-03-01",  # night 0: the known-good partition in production
    "days": 15,  # nights 0..14 (1 to 15 March 2026)
    "dev_start": "2024-01-01",  # the champion's development year (outcomes matured)
    "dev_n": 40_000,
    "cutoff": 0.25,  # approve when the champion's PD < 0.25
    "drill_landing": 1,  # the release drill lands every variant on night 1 (2 March)
    "landing_nights": (3, 9),  # the incident lands on a night in 3..9 (4 to 10 March)
    "noticed_after": release.NOTICED_AFTER,  # nights until someone notices without a gate
}
#: The champion's inputs: the model features plus the verification status (the reason text
#: "Unable to verify income" exists for it).
CHAMPION_FEATURES: tuple[str, ...] = (*world.FEATURES, "income_verification")


@dataclass(frozen=True)
class SealedIncident:
    """The truth about the incident release: which variant, and the night it landed."""

    variant: str
    landing: int
    date: pd.Timestamp


def _seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed={seed!r} must be a non-negative integer, e.g. 2026")
    if seed < 0:
        raise ValueError(f"seed={seed!r} must be a non-negative integer, e.g. 2026")
    return int(seed)


def nights(*, seed: int, n: int = 30_000) -> list[quality.Sources]:
    """The fifteen nightly partitions of raw feeds (``n`` applications over 1-15 March 2026).

    Examples
    --------
    >>> parts = nights(seed=1, n=3_000)
    >>> len(parts), str(parts[0].applications["applied_at"].min().date())
    (15, '2026-03-01')
    """
    seed = _seed(seed)
    book = world.generate(n, seed=seed, start=SETTINGS["start"], days=SETTINGS["days"])
    return release.nightly_partitions(book, seed=seed)


def champion(*, seed: int) -> models.Scorecard:
    """The champion scorecard, fitted on the 2024 book's knock-out passes (outcomes matured).

    Examples
    --------
    >>> card = champion(seed=1)
    >>> card.version, "income_verification" in card.features_
    ('scorecard-2025.2', True)
    """
    seed = _seed(seed)
    dev = world.generate(SETTINGS["dev_n"], seed=seed, start=SETTINGS["dev_start"], days=365)
    loans = dev[dev["approved_policy"]]
    card = models.Scorecard(features=list(CHAMPION_FEATURES), version="scorecard-2025.2")
    return card.fit(loans, loans["defaulted"])


def release_drill(
    parts: list[quality.Sources], *, model: Any, seed: int
) -> dict[str, release.ReleaseRun]:
    """Every variant of :data:`lendlab.quality.release.VARIANTS` landed on the drill night.

    Examples
    --------
    >>> parts = nights(seed=1, n=3_000)
    >>> runs = release_drill(parts[:4], model=champion(seed=1), seed=1)
    >>> sorted(runs) == sorted(release.VARIANTS), runs["partial_zero_dti"].landing
    (True, 1)
    """
    seed = _seed(seed)
    return {
        name: release.simulate_release(
            parts,
            name,
            landing=SETTINGS["drill_landing"],
            model=model,
            cutoff=SETTINGS["cutoff"],
            seed=seed,
        )
        for name in release.VARIANTS
    }


def incident(
    parts: list[quality.Sources], *, model: Any, seed: int
) -> tuple[release.ReleaseRun, SealedIncident]:
    """The incident: a variant and a landing night drawn from ``seed``; the run with it masked.

    The returned run has ``variant="sealed"`` and no damage records: what the dry-run gates
    logged and the decisions, not the answer. The :class:`SealedIncident` holds the truth.

    Examples
    --------
    >>> parts = nights(seed=1, n=3_000)
    >>> run, sealed = incident(parts, model=champion(seed=1), seed=1)
    >>> run.variant, sealed.variant in release.VARIANTS, 3 <= sealed.landing <= 9
    ('sealed', True, True)
    """
    seed = _seed(seed)
    rng = np.random.default_rng([seed, 8])
    variant = str(rng.choice(list(release.VARIANTS)))
    lo, hi = SETTINGS["landing_nights"]
    landing = int(rng.integers(lo, hi + 1))
    if landing >= len(parts):
        raise ValueError(f"the incident needs {hi + 1} nights or more, got {len(parts)}")
    run = release.simulate_release(
        parts, variant, landing=landing, model=model, cutoff=SETTINGS["cutoff"], seed=seed
    )
    date = run.nights.loc[landing, "date"]
    masked = replace(run, variant="sealed", records=[None] * len(run.records))
    return masked, SealedIncident(variant, landing, date)


def build_context(*, seed: int = 2026, n: int = 30_000) -> dict[str, Any]:
    """Rebuild the lab's data for ``seed`` and ``n`` (what the lab passes to ``ex.bind``).

    Examples
    --------
    >>> ctx = build_context(seed=3, n=3_000)
    >>> sorted(ctx)
    ['drill', 'incident_run', 'nights', 'sealed']
    """
    parts = nights(seed=seed, n=n)
    card = champion(seed=seed)
    run, sealed = incident(parts, model=card, seed=seed)
    return {
        "nights": parts,
        "drill": release_drill(parts, model=card, seed=seed),
        "incident_run": run,
        "sealed": sealed,
    }
