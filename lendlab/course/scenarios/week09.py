"""Week 9 scenario: a Thursday release train, judged by shadow, replay and canary evidence.

The learner's world:

* a **model registry** (:func:`release_train`, :func:`lendlab.rollout.build_candidates`): the
  champion scorecard, the challenger (gradient-boosted trees) and four release candidates
  ``rc-2025.2-a`` .. ``-d``: a good one, a miscalibrated one, one that harms a single segment
  and a slow one, in an order drawn from the seed and sealed in a
  :class:`~lendlab.rollout.SealedReleases`;
* the **live service** run with the challenger in shadow and one release on a 5 % canary
  (:func:`live_canary`: the first release whose load test passed; :func:`service_flags`),
  replayed for a few seconds: its decision log and shadow table (in
  the tests, :func:`simulate_live` stands in for the service with the same columns);
* **historical traffic** (:func:`history`): two months of world applications with their
  outcomes, for the replay comparison (:func:`lendlab.rollout.compare`);
* each release's **canary** (:func:`canary_runs`): what a 50 % canary over four hours would
  have logged for each release against the champion arm
  (:func:`lendlab.rollout.simulate_canary`, with the live run's request overhead), for
  :func:`lendlab.rollout.analyze` under :data:`POLICY`.

:func:`build_context` rebuilds exactly what the lab binds to ``lendlab.course.exercises.week09``.

In the lab::

    from lendlab.course.scenarios import week09 as scenario
    info, sealed = scenario.release_train(workdir, seed=seed)
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lendlab import world
from lendlab.rollout import candidates
from lendlab.rollout.candidates import CANARY_POLICY, decision_rows, simulate_canary

__all__ = [
    "MODES",
    "POLICY",
    "SETTINGS",
    "SITUATIONS",
    "build_context",
    "canary_runs",
    "history",
    "join_shadow",
    "live_canary",
    "load_releases",
    "overhead_ms",
    "release_train",
    "service_flags",
    "simulate_live",
]

#: The settings the lab uses (its cells show the same values).
SETTINGS: dict[str, Any] = {
    "cutoff": 0.20,  # the service's defaults: approve below 0.18, review up to 0.22
    "review_margin": 0.02,
    "live_canary_share": 0.05,  # one release has been on 5 % since 10:00
    "canary_salt": "lendlab-canary-1",  # the service's default salt
    "id_offset": 90_000_000,  # the replay's application ids (fixed: the canary arm is stable)
    "history_start": "2026-01-05",
    "history_days": 56,  # eight weeks of applications, outcomes known (a synthetic world)
    "canary_start": "2026-03-02 08:00",
    "canary_minutes": 240,  # each release's canary: four hours at 50 %
    "canary_share": 0.5,
}
#: The release train's canary policy (:data:`lendlab.rollout.CANARY_POLICY`).
POLICY = CANARY_POLICY
#: The four ways to ship a model the lab compares.
MODES: tuple[str, ...] = ("shadow", "canary", "ab", "blue_green")
#: Question 1's situations, and the mode that fits each credit decision best.
SITUATIONS: dict[str, tuple[str, str]] = {
    "first_look": (
        "See how the new model would decide today's real applications, with no applicant "
        "affected and no adverse-action notice sent on its account",
        "shadow",
    ),
    "blast_radius": (
        "Let the new model make real decisions for a small, fixed share of applicants, with "
        "guardrails that can stop it, before everyone gets it",
        "canary",
    ),
    "learn_effect": (
        "Measure whether a new credit-line strategy lowers 12-month losses: randomise "
        "applicants between the two and wait for outcomes",
        "ab",
    ),
    "instant_switch": (
        "Move every decision to a new serving runtime with the same model, and be able to "
        "switch back in one step",
        "blue_green",
    ),
}


def _seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise TypeError(f"seed={seed!r} must be a non-negative integer, e.g. 2026")
    return int(seed)


def release_train(
    workdir: str | os.PathLike[str], *, seed: int
) -> tuple[dict[str, Any], candidates.SealedReleases]:
    """The registry folder ``<workdir>/models``: champion, challenger, four sealed releases.

    Examples
    --------
    >>> import tempfile
    >>> info, sealed = release_train(tempfile.mkdtemp(), seed=1)  # doctest: +SKIP
    >>> info["candidates"][0]  # doctest: +SKIP
    'rc-2025.2-a'
    """
    folder = Path(workdir) / "models"
    return candidates.build_candidates(folder, seed=_seed(seed))


def load_releases(info: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    """``(champion, challenger, {version: release})`` loaded from the registry (sha256-checked).

    Examples
    --------
    >>> load_releases({"folder": "no/such/folder"})
    Traceback (most recent call last):
    ...
    FileNotFoundError: no aliases.json in 'no/such/folder'; write models with `lendlab models \
train --out DIR`
    """
    from lendlab.serving import ModelRegistry

    registry = ModelRegistry.load(info["folder"])
    releases = {v: registry.resolve(v).model for v in info["candidates"]}
    return registry.resolve("champion").model, registry.resolve("challenger").model, releases


def live_canary(info: dict[str, Any], sealed: candidates.SealedReleases) -> str:
    """The release on the live 5 % canary: the first, in letter order, whose load test passed.

    (The slow release's load test has not run yet: it is still in the queue. A synchronous
    model that waits 40 ms per call would also hold up the service's event loop, and every
    primary request with it; that is what a load test is for.)

    Examples
    --------
    >>> sealed = candidates.SealedReleases(("a", "b"), {"a": "slow", "b": "good"})
    >>> live_canary({"candidates": ["a", "b"]}, sealed)
    'b'
    """
    return next(v for v in info["candidates"] if sealed.kind_of(v) != "slow")


def service_flags(info: dict[str, Any], canary: str) -> list[str]:
    """``lendlab serve`` flags: the challenger in shadow, ``canary`` on the live 5 % canary.

    Examples
    --------
    >>> service_flags({"candidates": ["rc-2025.2-a"]}, "rc-2025.2-a")
    ['--shadow', 'challenger', '--canary', 'rc-2025.2-a', '--canary-share', '0.05']
    """
    if canary not in info["candidates"]:
        raise ValueError(f"{canary!r} is not a release of this train: {info['candidates']}")
    return [
        "--shadow",
        "challenger",
        "--canary",
        canary,
        "--canary-share",
        f"{SETTINGS['live_canary_share']:g}",
    ]


def join_shadow(log: pd.DataFrame, shadow: pd.DataFrame) -> pd.DataFrame:
    """The primary arm's decisions beside the shadow's answer to the same request.

    One row per primary-arm decision with an ``ok`` shadow row: ``segment``, ``decision``
    (primary), ``shadow_decision``, ``flipped``, ``duration_ms`` (primary, server-side),
    ``shadow_latency_ms`` (enqueued to scored) and ``shadow_score_ms``.

    Examples
    --------
    >>> log = pd.DataFrame({"request_id": ["r1", "r2"], "arm": ["primary"] * 2,
    ...     "segment": ["prime", "thin_file"], "decision": ["approve", "decline"],
    ...     "duration_ms": [5.0, 6.0]})
    >>> shadow = pd.DataFrame({"request_id": ["r1", "r2"], "status": ["ok", "ok"],
    ...     "decision": ["approve", "review"], "latency_ms": [30.0, 31.0], "score_ms": [2.0, 2.0]})
    >>> join_shadow(log, shadow)["flipped"].tolist()
    [False, True]
    """
    primary = log[log["arm"].astype(str) == "primary"]
    ok = shadow[shadow["status"].astype(str) == "ok"]
    ok = ok.rename(
        columns={
            "decision": "shadow_decision",
            "latency_ms": "shadow_latency_ms",
            "score_ms": "shadow_score_ms",
        }
    )
    out = primary[["request_id", "segment", "decision", "duration_ms"]].merge(
        ok[["request_id", "shadow_decision", "shadow_latency_ms", "shadow_score_ms"]],
        on="request_id",
        how="inner",
    )
    out["flipped"] = out["decision"].astype(str) != out["shadow_decision"].astype(str)
    return out


def history(*, seed: int, n: int = 20_000) -> pd.DataFrame:
    """Eight weeks of world applications with outcomes: the replay comparison's traffic.

    Examples
    --------
    >>> book = history(seed=1, n=500)
    >>> len(book), str(book["applied_at"].min().date())
    (500, '2026-01-05')
    """
    return world.generate(
        int(n),
        seed=_seed(seed) + 1,
        start=SETTINGS["history_start"],
        days=SETTINGS["history_days"],
    )


def overhead_ms(log: pd.DataFrame, champion: Any) -> np.ndarray:
    """The service's time per request without the model: the primary arm's ``duration_ms``
    minus the champion's measured per-request model time (median), at least 0.1 ms.

    Examples
    --------
    >>> import pandas as pd
    >>> class Flat:
    ...     features, version, pdo, base_score, base_odds = ("fico",), "flat", 20, 600, 50
    ...     def predict_pd(self, X):
    ...         return pd.Series(0.1, index=X.index)
    >>> log = pd.DataFrame({"arm": ["primary"] * 3, "duration_ms": [5.0, 6.0, 7.0],
    ...                     "fico": [700, 710, 720]})
    >>> bool((overhead_ms(log, Flat()) > 4).all())
    True
    """
    primary = log[log["arm"].astype(str) == "primary"]
    ms = candidates.request_latency_ms({"champion": champion}, primary.head(15), calls=15)
    values = primary["duration_ms"].to_numpy(dtype=float) - float(ms["champion"].median())
    return np.maximum(values[np.isfinite(values)], 0.1)


def canary_runs(
    champion: Any,
    releases: dict[str, Any],
    *,
    seed: int,
    n: int = 48_000,
    overhead: Any = None,
) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """Each release's canary: ``{version: (champion_arm, canary_arm)}``, 50 % for four hours.

    ``n`` world applications (three days of the canary window) are split per release by the
    service's hash with the salt ``canary-<version>``; :func:`lendlab.rollout.simulate_canary`
    decides them; ``overhead`` are request durations without the model (default a stand-in).

    Examples
    --------
    >>> from lendlab.models import Scorecard
    >>> book = world.generate(4_000, seed=2)
    >>> loans = book[book["approved_policy"]]
    >>> card = Scorecard(version="s-1").fit(loans, loans["defaulted"])
    >>> runs = canary_runs(card, {"s-2": card.set_params(version="s-2")}, seed=1, n=2_000)
    >>> base, can = runs["s-2"]
    >>> len(base) + len(can)
    2000
    """
    apps = world.generate(int(n), seed=_seed(seed) + 3, start="2026-03-02", days=3)
    return {
        version: simulate_canary(
            champion,
            model,
            apps,
            explainer=champion,
            share=SETTINGS["canary_share"],
            salt=f"canary-{version}",
            cutoff=SETTINGS["cutoff"],
            review_margin=SETTINGS["review_margin"],
            overhead_ms=overhead,
            start=SETTINGS["canary_start"],
            minutes=SETTINGS["canary_minutes"],
            seed=_seed(seed) + k,
        )
        for k, (version, model) in enumerate(releases.items())
    }


def simulate_live(
    champion: Any,
    challenger: Any,
    canary_model: Any,
    *,
    seed: int,
    n: int = 500,
    rate: float = 50.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A stand-in for the live run (tests): the decision log and the shadow table.

    ``n`` applications at ``rate`` per second; the canary arm by the service's hash and
    salt at :data:`SETTINGS` ``["live_canary_share"]``; the challenger scores every primary
    decision in shadow, as the service does (canary-arm requests too; status ``ok``, a
    latency of tens of ms: queue, batching, scoring).

    Examples
    --------
    >>> from lendlab.models import Scorecard
    >>> book = world.generate(4_000, seed=2)
    >>> loans = book[book["approved_policy"]]
    >>> card = Scorecard(version="s-1").fit(loans, loans["defaulted"])
    >>> log, shadow = simulate_live(card, card, card, seed=1, n=300)
    >>> len(log), sorted(set(log["arm"])), len(shadow) == len(log)
    (300, ['canary', 'primary'], True)
    """
    seed = _seed(seed)
    apps = world.generate(int(n), seed=seed + 7, start="2026-03-05", days=1)
    apps["application_id"] = apps["application_id"] + SETTINGS["id_offset"]
    rng = np.random.default_rng([seed, 9, 7])
    minutes = n / rate / 60.0
    base, can = simulate_canary(
        champion,
        canary_model,
        apps,
        explainer=champion,
        share=SETTINGS["live_canary_share"],
        salt=SETTINGS["canary_salt"],
        cutoff=SETTINGS["cutoff"],
        review_margin=SETTINGS["review_margin"],
        start="2026-03-05 10:40",
        minutes=minutes,
        seed=seed,
    )
    log = pd.concat([base, can]).sort_values("received_at").reset_index(drop=True)
    log["request_id"] = [f"req-{i:06d}" for i in range(len(log))]
    # the service shadows every request the model decided, canary-arm ones included
    primary = log
    rows = decision_rows(
        challenger,
        log.drop(columns=["model_version", "active_model", "arm", "pd", "score"]),
        explainer=champion,
        cutoff=SETTINGS["cutoff"],
        review_margin=SETTINGS["review_margin"],
    )
    score_ms = rng.lognormal(np.log(4.0), 0.4, len(rows))
    queue = rng.lognormal(np.log(25.0), 0.3, len(rows))
    shadow = pd.DataFrame(
        {
            "request_id": primary["request_id"].to_numpy(),
            "application_id": primary["application_id"].to_numpy(),
            "primary_model": log["active_model"].to_numpy(),
            "model_version": str(challenger.version),
            "status": "ok",
            "pd": rows["pd"].to_numpy(),
            "score": rows["score"].to_numpy(),
            "decision": rows["decision"].to_numpy(),
            "reason_1": rows["reason_1"].to_numpy(),
            "queue_ms": np.round(queue, 3),
            "score_ms": np.round(score_ms, 3),
            "latency_ms": np.round(queue + score_ms, 3),
        }
    )
    return log, shadow


def build_context(*, seed: int = 2026, n: int = 500) -> dict[str, Any]:
    """Rebuild the lab's data for ``seed`` (``n`` live requests, simulated for the tests).

    Examples
    --------
    >>> ctx = build_context(seed=3, n=300)  # doctest: +SKIP
    >>> sorted(ctx)  # doctest: +SKIP
    ['canaries', 'champion', 'history', 'live_canary', 'log', 'releases', 'sealed', 'shadow']
    """
    seed = _seed(seed)
    workdir = Path(tempfile.mkdtemp(prefix="lendlab-week09-"))
    info, sealed = release_train(workdir, seed=seed)
    champion, challenger, releases = load_releases(info)
    live = live_canary(info, sealed)
    log, shadow = simulate_live(champion, challenger, releases[live], seed=seed, n=n)
    return {
        "log": log,
        "shadow": shadow,
        "champion": champion,
        "releases": releases,
        "live_canary": live,
        "history": history(seed=seed),
        "canaries": canary_runs(champion, releases, seed=seed, overhead=overhead_ms(log, champion)),
        "sealed": sealed,
    }
