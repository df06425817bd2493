"""How well a score separates goods from bads: AUC, Gini, KS, PR-AUC.

Conventions: ``y_true`` 1 = bad (defaulted), 0 = good. ``y_score`` is a PD or any risk
score where higher = riskier; pass ``higher_is_riskier=False`` for a points score where
higher = safer (the sign is flipped before scoring, so a good scorecard still gets AUC > 0.5).
All of these are thin wrappers over scikit-learn / scipy with lending input checks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

from lendlab.validation import (
    check_bool_flag,
    check_labels,
    check_same_length,
    check_scores,
    check_two_classes,
)

__all__ = ["gini", "ks_statistic", "pr_auc", "roc_auc"]


def _prepare(y_true: Any, y_score: Any, higher_is_riskier: bool) -> tuple[np.ndarray, np.ndarray]:
    higher_is_riskier = check_bool_flag(higher_is_riskier, "higher_is_riskier")
    y = check_labels(y_true)
    score = check_scores(y_score, "y_score")
    check_same_length(y_true=y, y_score=score)
    check_two_classes(y)
    return y, score if higher_is_riskier else -score


def roc_auc(y_true: Any, y_score: Any, *, higher_is_riskier: bool = True) -> float:
    """Area under the ROC curve: the chance a random bad scores riskier than a random good.

    :func:`sklearn.metrics.roc_auc_score` with bad = positive. 0.5 = no better than a coin;
    consumer-credit scorecards typically land around 0.65–0.80.

    Parameters
    ----------
    y_true : array-like of {0, 1}
        1 = bad (defaulted), 0 = good. Both classes must be present.
    y_score : array-like of float
        PD or risk score (higher = riskier), or points with ``higher_is_riskier=False``.
    higher_is_riskier : bool, default True
        False for points scores (higher = safer).

    Returns
    -------
    float

    Examples
    --------
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> roc_auc([0, 0, 1, 1], [700, 620, 640, 560], higher_is_riskier=False)
    0.75
    """
    y, score = _prepare(y_true, y_score, higher_is_riskier)
    return float(roc_auc_score(y, score))


def gini(y_true: Any, y_score: Any, *, higher_is_riskier: bool = True) -> float:
    """Gini coefficient (accuracy ratio) = 2 * AUC - 1, the figure credit teams quote.

    Parameters
    ----------
    y_true : array-like of {0, 1}
        1 = bad (defaulted), 0 = good. Both classes must be present.
    y_score : array-like of float
        PD or risk score (higher = riskier), or points with ``higher_is_riskier=False``.
    higher_is_riskier : bool, default True
        False for points scores (higher = safer).

    Returns
    -------
    float
        In [-1, 1]; 0 = random ranking, negative = ranking backwards.

    Examples
    --------
    >>> gini([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.5
    """
    return 2.0 * roc_auc(y_true, y_score, higher_is_riskier=higher_is_riskier) - 1.0


def ks_statistic(y_true: Any, y_score: Any, *, higher_is_riskier: bool = True) -> float:
    """Kolmogorov–Smirnov statistic: the largest gap between the cumulative score
    distributions of goods and bads.

    Computed from :func:`sklearn.metrics.roc_curve` as ``max |TPR - FPR|`` over all
    thresholds, which equals ``scipy.stats.ks_2samp(score[bad], score[good]).statistic``
    (two-sided). For a score that ranks the right way round it is ``max(TPR - FPR)``.
    The direction of the score does not change KS, so ``higher_is_riskier`` is accepted only
    for a uniform call signature; use :func:`gini` to see if a score ranks backwards.

    Parameters
    ----------
    y_true : array-like of {0, 1}
        1 = bad (defaulted), 0 = good. Both classes must be present.
    y_score : array-like of float
        PD, risk score or points.
    higher_is_riskier : bool, default True
        Has no effect on the value (see above).

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> ks_statistic([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.5
    """
    y, score = _prepare(y_true, y_score, higher_is_riskier)
    fpr, tpr, _ = roc_curve(y, score, drop_intermediate=False)
    return float(np.max(np.abs(tpr - fpr)))


def pr_auc(y_true: Any, y_score: Any, *, higher_is_riskier: bool = True) -> float:
    """Area under the precision–recall curve for catching bads (average precision).

    This is :func:`sklearn.metrics.average_precision_score` with bad = positive: the mean
    decline precision over every recall level, without the optimistic trapezoid
    interpolation. A random score gets about the bad rate, so compare it to that baseline.

    Parameters
    ----------
    y_true : array-like of {0, 1}
        1 = bad (defaulted), 0 = good. Both classes must be present.
    y_score : array-like of float
        PD or risk score (higher = riskier), or points with ``higher_is_riskier=False``.
    higher_is_riskier : bool, default True
        False for points scores (higher = safer).

    Returns
    -------
    float

    Examples
    --------
    >>> round(pr_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 4)
    0.8333
    """
    y, score = _prepare(y_true, y_score, higher_is_riskier)
    return float(average_precision_score(y, score, pos_label=1))
