"""Week 2 scenario: a champion scorecard and a challenger promoted on "+3 AUC points".

The learner's world: one world of applications (:func:`lendlab.world.generate`), the loans the
policy approved split into develop / calibrate / test; the champion points scorecard on an older
bureau-and-income feature set (:data:`CHAMPION_FEATURES`) and a gradient-boosted challenger whose
training job read its labels too early (:data:`LABELS_AS_OF`), so its PDs are systematically
low; the back-test resampled to several bad rates (:data:`TARGET_BAD_RATES`); and three replays
of a change (the challenger's promotion, a broken bureau join, a "prior correction" of
:data:`PRIOR_OFFSET` on the champion's logit) for the threshold-vs-model triage.

In the lab::

    from lendlab.course.scenarios import week02 as scenario
    ctx = scenario.build_context(seed=seed, n=n)

:func:`build_context` rebuilds exactly what the lab binds to ``lendlab.course.exercises.week02``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from lendlab import models, world
from lendlab.world import faults

__all__ = [
    "CHAMPION_FEATURES",
    "CUTOFF",
    "LABELS_AS_OF",
    "PRIOR_OFFSET",
    "TARGET_BAD_RATES",
    "build_context",
    "logit",
]

#: The champion is an older bureau-and-income card: it never used the loan's term or amount.
CHAMPION_FEATURES: tuple[str, ...] = tuple(
    f for f in world.FEATURES if f not in ("term_months", "loan_amount")
)

#: The risk team's PD cutoff: approve when PD < 0.25.
CUTOFF = 0.25

#: The date the challenger's training job read its labels (the 2025 book is 24-36 months old).
LABELS_AS_OF = "2027-12-31"

#: Bad rates the PR-AUC section resamples the back-test to.
TARGET_BAD_RATES: tuple[float, ...] = (0.05, 0.10, 0.20)

#: The serving bug in the triage: an intercept "prior correction" added to the champion's logit.
PRIOR_OFFSET = -0.15


def logit(p: Any) -> np.ndarray:
    """Log-odds of a PD, clipped to [1e-6, 1 - 1e-6] so it stays finite.

    Examples
    --------
    >>> logit([0.5, 0.2]).round(3).tolist()
    [0.0, -1.386]
    """
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _at_bad_rate(frame: pd.DataFrame, rate: float, *, seed: int) -> pd.DataFrame:
    """A random subsample of ``frame`` whose bad rate (``defaulted``) is ``rate``.

    Keeps as many loans as possible: all goods when there are enough bads, otherwise all bads.

    Examples
    --------
    >>> frame = pd.DataFrame({"defaulted": [1] * 30 + [0] * 70})
    >>> round(float(_at_bad_rate(frame, 0.10, seed=0)["defaulted"].mean()), 2)
    0.1
    """
    bads = frame.index[frame["defaulted"] == 1]
    goods = frame.index[frame["defaulted"] == 0]
    n_bad = min(len(bads), round(rate / (1 - rate) * len(goods)))
    n_good = min(len(goods), round(n_bad * (1 - rate) / rate))
    rng = np.random.default_rng(seed)
    keep = np.concatenate(
        [rng.choice(bads, n_bad, replace=False), rng.choice(goods, n_good, replace=False)]
    )
    return frame.loc[np.sort(keep)]


def build_context(*, seed: int = 2026, n: int = 200_000) -> dict[str, Any]:
    """Rebuild the lab's data: the back-test frames, the cutoff, the samples and the replays.

    Mirrors the notebook cell by cell (same functions, same order of random draws).

    Examples
    --------
    >>> ctx = build_context(seed=3, n=3_000)
    >>> sorted(ctx)
    ['calibrate', 'cutoff', 'replays', 'samples', 'test']
    """
    book = world.generate(n, seed=seed)
    loans = book[book["approved_policy"]].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    split = rng.choice(
        np.array(["develop", "calibrate", "test"]), size=len(loans), p=[0.5, 0.2, 0.3]
    )
    develop = loans[split == "develop"].reset_index(drop=True)
    calibrate = loans[split == "calibrate"].reset_index(drop=True)
    test = loans[split == "test"].reset_index(drop=True)

    champion = models.Scorecard(features=list(CHAMPION_FEATURES)).fit(develop, develop["defaulted"])
    labels_then = world.observed(book, LABELS_AS_OF).set_index("application_id")["bad_so_far"]
    challenger = models.Challenger(features=list(world.FEATURES)).fit(
        develop, develop["application_id"].map(labels_then)
    )
    test["pd_champion"] = champion.predict_pd(test)
    test["score_champion"] = champion.points(test)
    test["pd_challenger"] = challenger.predict_pd(test)
    calibrate["pd_challenger"] = challenger.predict_pd(calibrate)

    samples = {rate: _at_bad_rate(test, rate, seed=seed) for rate in TARGET_BAD_RATES}

    broken, _ = faults.inject(
        test,
        "broken_join",
        start=test["applied_at"].min(),
        end=test["applied_at"].max() + pd.Timedelta(days=1),
        seed=seed,
        mode="misalign",
    )
    replays = {
        "challenger_promotion": pd.DataFrame(
            {
                "defaulted": test["defaulted"],
                "pd_before": test["pd_champion"],
                "pd_after": test["pd_challenger"],
            }
        ),
        "bureau_join": pd.DataFrame(
            {
                "defaulted": test["defaulted"],
                "pd_before": test["pd_champion"],
                "pd_after": champion.predict_pd(broken),
            }
        ),
        "prior_offset": pd.DataFrame(
            {
                "defaulted": test["defaulted"],
                "pd_before": test["pd_champion"],
                "pd_after": expit(logit(test["pd_champion"]) + PRIOR_OFFSET),
            }
        ),
    }
    return {
        "test": test,
        "calibrate": calibrate,
        "cutoff": CUTOFF,
        "samples": samples,
        "replays": replays,
    }
