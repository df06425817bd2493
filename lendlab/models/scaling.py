"""Points-to-odds scaling of a credit score (the PDO convention).

``score = offset + factor * ln(good:bad odds)`` with ``factor = pdo / ln 2`` and
``offset = base_score - factor * ln(base_odds)``: the score rises by ``pdo`` points each time
the good:bad odds double. With the common 600 points at 50:1 odds and PDO 20,
factor = 28.85 and offset = 487.12. Higher points = safer; PD = 1 / (1 + odds).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lendlab.validation import check_pd, check_scores

__all__ = ["pd_to_score", "points_scaling", "score_to_pd"]


def points_scaling(
    *, pdo: float = 20.0, base_score: float = 600.0, base_odds: float = 50.0
) -> tuple[float, float]:
    """Factor and offset of the PDO scaling.

    Parameters
    ----------
    pdo : float, default 20
        Points to double the good:bad odds (> 0).
    base_score : float, default 600
        Score that corresponds to ``base_odds``.
    base_odds : float, default 50
        Good:bad odds at ``base_score`` (> 0); 50 means 50 goods per bad (PD ~ 1.96%).

    Returns
    -------
    (factor, offset) : tuple of float

    Examples
    --------
    >>> factor, offset = points_scaling(pdo=20, base_score=600, base_odds=50)
    >>> round(factor, 2), round(offset, 2)
    (28.85, 487.12)
    """
    for name, value in (("pdo", pdo), ("base_score", base_score), ("base_odds", base_odds)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name} must be a number, got {value!r}.")
        if not math.isfinite(value):
            raise ValueError(f"{name}={value!r} must be finite.")
    if pdo <= 0:
        raise ValueError(f"pdo={pdo!r} must be > 0 (points to double the odds, e.g. 20).")
    if base_odds <= 0:
        raise ValueError(f"base_odds={base_odds!r} must be > 0 (good:bad odds, e.g. 50).")
    factor = float(pdo) / math.log(2.0)
    offset = float(base_score) - factor * math.log(float(base_odds))
    return factor, offset


def pd_to_score(
    pd: Any, *, pdo: float = 20.0, base_score: float = 600.0, base_odds: float = 50.0
) -> np.ndarray:
    """Convert probabilities of default to points (higher = safer).

    Parameters
    ----------
    pd : array-like of float
        Probability of default, strictly between 0 and 1.
    pdo, base_score, base_odds : float
        The scaling (see :func:`points_scaling`).

    Returns
    -------
    numpy.ndarray of float

    Examples
    --------
    >>> pd_to_score([1 / 51, 1 / 101]).round(1)  # 50:1 and 100:1 odds
    array([600., 620.])
    """
    factor, offset = points_scaling(pdo=pdo, base_score=base_score, base_odds=base_odds)
    prob = check_pd(pd, "pd")
    edge = (prob == 0) | (prob == 1)
    if edge.any():
        raise ValueError(
            f"pd has {int(edge.sum())} value(s) of exactly 0 or 1, whose odds (and points) are "
            "infinite; clip PDs to e.g. [1e-6, 1 - 1e-6] first."
        )
    return offset + factor * np.log((1.0 - prob) / prob)


def score_to_pd(
    score: Any, *, pdo: float = 20.0, base_score: float = 600.0, base_odds: float = 50.0
) -> np.ndarray:
    """Convert points (higher = safer) back to probabilities of default.

    Handy to turn a points cutoff into a PD cutoff: ``score_to_pd([620])[0]``.

    Parameters
    ----------
    score : array-like of float
        Points.
    pdo, base_score, base_odds : float
        The scaling (see :func:`points_scaling`).

    Returns
    -------
    numpy.ndarray of float

    Examples
    --------
    >>> score_to_pd([600, 620]).round(4)
    array([0.0196, 0.0099])
    """
    factor, offset = points_scaling(pdo=pdo, base_score=base_score, base_odds=base_odds)
    points = check_scores(score, "score")
    log_odds_good = (points - offset) / factor
    return 1.0 / (1.0 + np.exp(log_odds_good))
