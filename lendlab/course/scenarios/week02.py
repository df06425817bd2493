"""Week 2 scenario: a champion scorecard and a challenger promoted on "+3 AUC points".

The learner's world, as the lender's warehouse shows it on :data:`LABELS_AS_OF`
(:func:`lendlab.world.observed`: booked loans, labels so far, no truth columns):

* ``develop``: the 2025 vintage, the challenger's training loans. Their labels
  (``bad_so_far``) are 23-35 months old, so part of the eventual bads still look good: the
  root cause of the lab's incident.
* ``champion_develop``: the matured :data:`CHAMPION_VINTAGE` vintage the champion points
  scorecard (an older bureau-and-income card, :data:`CHAMPION_FEATURES`) was fitted on.
* ``calibrate`` and ``test``: the matured :data:`BACKTEST_VINTAGE` vintage, split
  :data:`CALIBRATE_SHARE` / rest. Neither model saw that year: the back-test is out-of-time for
  both, and its outcomes are final (every loan is past the end of its term).

Both models score ``test`` and ``calibrate``; the back-test is resampled to several bad rates
(:data:`TARGET_BAD_RATES`); and three changes are replayed on it (the challenger's promotion, a
broken bureau join, a "prior correction" of :data:`PRIOR_OFFSET` on the champion's logit), each
with a re-pull reconciliation of the bureau fields (``bureau_matches_repull``) for the triage.

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
    "BACKTEST_VINTAGE",
    "CALIBRATE_SHARE",
    "CHAMPION_FEATURES",
    "CHAMPION_VINTAGE",
    "CUTOFF",
    "HISTORY_DAYS",
    "HISTORY_START",
    "LABELS_AS_OF",
    "PRIOR_OFFSET",
    "RECONCILE_TOLERANCE",
    "TARGET_BAD_RATES",
    "bureau_matches",
    "build_context",
    "logit",
]

#: The champion is an older bureau-and-income card: it never used the loan's term or amount.
CHAMPION_FEATURES: tuple[str, ...] = tuple(
    f for f in world.FEATURES if f not in ("term_months", "loan_amount")
)

#: The risk team's PD cutoff: approve when PD < 0.25.
CUTOFF = 0.25

#: The date the challenger's training job read its labels (the 2025 book is 23-35 months on book);
#: also the day the warehouse is read for the matured vintages.
LABELS_AS_OF = "2027-12-31"

#: The older applications: two whole years, 2020 and 2021.
HISTORY_START = "2020-01-01"
HISTORY_DAYS = 731

#: The vintage the champion was fitted on, and the out-of-time back-test vintage.
CHAMPION_VINTAGE = 2020
BACKTEST_VINTAGE = 2021

#: Share of the back-test vintage held out as the calibration split.
CALIBRATE_SHARE = 0.4

#: Bad rates the PR-AUC section resamples the back-test to.
TARGET_BAD_RATES: tuple[float, ...] = (0.05, 0.10, 0.20)

#: The serving bug in the triage: an intercept "prior correction" added to the champion's logit.
PRIOR_OFFSET = -0.15

#: The runbook's reconciliation rule: inputs are broken when more than this share of
#: applications disagree with a re-pull of their bureau record.
RECONCILE_TOLERANCE = 0.01


def logit(p: Any) -> np.ndarray:
    """Log-odds of a PD, clipped to [1e-6, 1 - 1e-6] so it stays finite.

    Examples
    --------
    >>> logit([0.5, 0.2]).round(3).tolist()
    [0.0, -1.386]
    """
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def bureau_matches(served: pd.DataFrame, repull: pd.DataFrame) -> pd.Series:
    """Per application: do the served bureau fields equal a re-pull of the bureau record?

    Compares every :data:`lendlab.world.BUREAU_FIELDS` column both frames hold, row by row
    (two missing values agree).

    Parameters
    ----------
    served, repull : pandas.DataFrame
        The same applications in the same order: what the model scored, and the re-pull.

    Returns
    -------
    pandas.Series of bool
        Indexed like ``served``; True = the record reconciles.

    Raises
    ------
    TypeError
        If either argument is not a DataFrame.
    ValueError
        If the frames differ in length or share no bureau field.

    Examples
    --------
    >>> a = pd.DataFrame({"fico": [700, 650], "inquiries_6m": [1, 0]})
    >>> bureau_matches(a, a.assign(fico=[700, 700])).tolist()
    [True, False]
    """
    for name, frame in (("served", served), ("repull", repull)):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    if len(served) != len(repull):
        raise ValueError(
            f"served has {len(served)} rows and repull {len(repull)}; pass the same "
            "applications in the same order"
        )
    fields = [f for f in world.BUREAU_FIELDS if f in served.columns and f in repull.columns]
    if not fields:
        raise ValueError(
            f"no bureau field ({', '.join(world.BUREAU_FIELDS)}) in both frames; pass world frames"
        )
    left = served[fields].to_numpy(dtype=float)
    right = repull[fields].to_numpy(dtype=float)
    same = (left == right) | (np.isnan(left) & np.isnan(right))
    return pd.Series(same.all(axis=1), index=served.index, name="bureau_matches_repull")


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
    """Rebuild the lab's data: the splits, the cutoff, the samples and the replays.

    Mirrors the notebook cell by cell (same functions, same order of random draws).

    Parameters
    ----------
    seed : int, default 2026
        The lab's seed; the older applications use ``seed + 1``.
    n : int, default 200_000
        Applications in each of the two books (2025; 2020-2021).

    Returns
    -------
    dict
        ``develop``, ``calibrate``, ``test``, ``cutoff``, ``samples`` and ``replays``.

    Examples
    --------
    >>> ctx = build_context(seed=3, n=3_000)
    >>> sorted(ctx)
    ['calibrate', 'cutoff', 'develop', 'replays', 'samples', 'test']
    >>> sorted(ctx["test"]["applied_at"].dt.year.unique().tolist())
    [2021]
    """
    book = world.generate(n, seed=seed)
    history = world.generate(n, seed=seed + 1, start=HISTORY_START, days=HISTORY_DAYS)
    develop = world.observed(book, LABELS_AS_OF).reset_index(drop=True)
    matured = world.observed(history, LABELS_AS_OF).reset_index(drop=True)
    matured["defaulted"] = matured["bad_so_far"]
    vintage = matured["applied_at"].dt.year
    champion_develop = matured[vintage == CHAMPION_VINTAGE].reset_index(drop=True)
    backtest = matured[vintage == BACKTEST_VINTAGE].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    to_calibrate = rng.random(len(backtest)) < CALIBRATE_SHARE
    calibrate = backtest[to_calibrate].reset_index(drop=True)
    test = backtest[~to_calibrate].reset_index(drop=True)

    champion = models.Scorecard(features=list(CHAMPION_FEATURES)).fit(
        champion_develop, champion_develop["defaulted"]
    )
    challenger = models.Challenger(features=list(world.FEATURES)).fit(
        develop, develop["bad_so_far"]
    )
    develop["pd_challenger"] = challenger.predict_pd(develop)
    for frame in (calibrate, test):
        frame["pd_champion"] = champion.predict_pd(frame)
        frame["pd_challenger"] = challenger.predict_pd(frame)
    test["score_champion"] = champion.points(test)

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
                "bureau_matches_repull": bureau_matches(test, test),
            }
        ),
        "bureau_join": pd.DataFrame(
            {
                "defaulted": test["defaulted"],
                "pd_before": test["pd_champion"],
                "pd_after": champion.predict_pd(broken),
                "bureau_matches_repull": bureau_matches(broken, test),
            }
        ),
        "prior_offset": pd.DataFrame(
            {
                "defaulted": test["defaulted"],
                "pd_before": test["pd_champion"],
                "pd_after": expit(logit(test["pd_champion"]) + PRIOR_OFFSET),
                "bureau_matches_repull": bureau_matches(test, test),
            }
        ),
    }
    return {
        "develop": develop,
        "test": test,
        "calibrate": calibrate,
        "cutoff": CUTOFF,
        "samples": samples,
        "replays": replays,
    }
