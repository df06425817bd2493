"""Do predicted PDs match observed bad rates? Calibration table, Brier score, ECE.

Conventions: ``y_true`` 1 = bad (defaulted), 0 = good; ``pd`` is the predicted probability of
default in [0, 1]. Calibration matters to lenders beyond ranking: pricing, expected-loss
provisions and label-free performance estimates all read the PD as a probability.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas
from sklearn.metrics import brier_score_loss

from lendlab.validation import (
    check_choice,
    check_labels,
    check_pd,
    check_positive_int,
    check_same_length,
)

__all__ = ["brier_score", "calibration_table", "expected_calibration_error"]


def calibration_table(
    y_true: Any, pd: Any, *, n_bins: int = 10, strategy: str = "quantile"
) -> pandas.DataFrame:
    """Predicted PD vs observed bad rate per PD band (a reliability table).

    Bins exactly as :func:`sklearn.calibration.calibration_curve`: ``strategy="quantile"``
    puts edges at PD quantiles (about equal counts: the credit-practice "deciles");
    ``"uniform"`` uses equal-width bands over [0, 1]. A PD on an edge falls in the lower band.
    Empty bands are dropped (as sklearn does), so there may be fewer than ``n_bins`` rows;
    ``bad_rate`` and ``mean_pd`` equal calibration_curve's ``prob_true`` and ``prob_pred``.

    Parameters
    ----------
    y_true : array-like of {0, 1}
        1 = bad (defaulted), 0 = good.
    pd : array-like of float
        Predicted probability of default in [0, 1].
    n_bins : int, default 10
        Number of bands (>= 1).
    strategy : {"quantile", "uniform"}, default "quantile"

    Returns
    -------
    pandas.DataFrame
        One row per non-empty band: ``band`` (0-based band number), ``pd_low``, ``pd_high``
        (band edges), ``n`` (loans), ``n_bad``, ``mean_pd`` (predicted), ``bad_rate``
        (observed) and ``gap`` = bad_rate - mean_pd (positive = model too optimistic).

    Examples
    --------
    >>> t = calibration_table([0, 0, 1, 0, 1, 1], [0.1, 0.2, 0.3, 0.6, 0.7, 0.9], n_bins=2)
    >>> t[["n", "mean_pd", "bad_rate"]].round(3)
       n  mean_pd  bad_rate
    0  3    0.200     0.333
    1  3    0.733     0.667
    """
    y = check_labels(y_true)
    prob = check_pd(pd, "pd")
    check_same_length(y_true=y, pd=prob)
    bins = check_positive_int(n_bins, "n_bins")
    how = check_choice(strategy, "strategy", ("quantile", "uniform"))

    if how == "quantile":
        edges = np.percentile(prob, np.linspace(0, 100, bins + 1))
    else:
        edges = np.linspace(0.0, 1.0, bins + 1)
    band = np.searchsorted(edges[1:-1], prob)  # same rule as calibration_curve

    n = np.bincount(band, minlength=bins)
    n_bad = np.bincount(band, weights=y, minlength=bins)
    pd_sum = np.bincount(band, weights=prob, minlength=bins)
    keep = n > 0
    safe_n = np.where(keep, n, 1)
    table = pandas.DataFrame(
        {
            "band": np.arange(bins),
            "pd_low": edges[:-1],
            "pd_high": edges[1:],
            "n": n.astype(np.int64),
            "n_bad": n_bad.astype(np.int64),
            "mean_pd": pd_sum / safe_n,
            "bad_rate": n_bad / safe_n,
        }
    )[keep].reset_index(drop=True)
    table["gap"] = table["bad_rate"] - table["mean_pd"]
    return table


def brier_score(y_true: Any, pd: Any) -> float:
    """Mean squared error of the PD against the 0/1 outcome (lower is better).

    :func:`sklearn.metrics.brier_score_loss` with bad = positive. It mixes calibration and
    ranking; a model that always predicts the portfolio bad rate ``p`` scores ``p * (1 - p)``.

    Parameters
    ----------
    y_true : array-like of {0, 1}
        1 = bad (defaulted), 0 = good.
    pd : array-like of float
        Predicted probability of default in [0, 1].

    Returns
    -------
    float

    Examples
    --------
    >>> brier_score([0, 1], [0.2, 0.6])
    0.1
    """
    y = check_labels(y_true)
    prob = check_pd(pd, "pd")
    check_same_length(y_true=y, pd=prob)
    return float(brier_score_loss(y, prob, pos_label=1))


def expected_calibration_error(
    y_true: Any, pd: Any, *, n_bins: int = 10, strategy: str = "uniform"
) -> float:
    """Expected calibration error: the loan-weighted mean |observed bad rate - mean PD|.

    ``ECE = sum over bands of (n_band / n) * |bad_rate_band - mean_pd_band|``, with the bands
    of :func:`calibration_table` (default: 10 equal-width PD bands, the usual ML convention).
    It reads in PD points: 0.02 means predicted and observed bad rates differ by two
    percentage points on average. It depends on the banding, so quote ``n_bins`` and
    ``strategy`` with it.

    Parameters
    ----------
    y_true : array-like of {0, 1}
        1 = bad (defaulted), 0 = good.
    pd : array-like of float
        Predicted probability of default in [0, 1].
    n_bins : int, default 10
    strategy : {"uniform", "quantile"}, default "uniform"

    Returns
    -------
    float
        In [0, 1]; 0 = perfectly calibrated on these bands.

    Examples
    --------
    >>> round(expected_calibration_error([0, 0, 1, 1], [0.1, 0.1, 0.9, 0.7]), 3)
    0.15
    """
    table = calibration_table(y_true, pd, n_bins=n_bins, strategy=strategy)
    weights = table["n"] / table["n"].sum()
    return float((weights * table["gap"].abs()).sum())
