"""Approve/decline decisions at a cutoff, and what they cost.

Conventions used by every function here:

* ``y_true``: 1 = bad (defaulted / charged off), 0 = good (repaid).
* ``pd``: probability of default, higher = riskier. An application is **approved when
  pd < cutoff** and declined otherwise (a PD exactly at the cutoff is declined).
* Points scores (higher = safer, e.g. a scorecard's 600-at-50:1 points) are supported with
  ``higher_is_riskier=False``: an application is then **approved when score >= cutoff**.
* "Positive" in the classification sense is *bad*, and "predicted positive" is *declined*:
  decline precision is the share of declines that were bad, decline recall the share of bads
  that were declined.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas
from sklearn.metrics import confusion_matrix, precision_score, recall_score

from lendlab.validation import (
    check_amounts,
    check_bool_flag,
    check_cutoff,
    check_fraction,
    check_labels,
    check_pd,
    check_same_length,
    check_scores,
)

__all__ = [
    "approval_rate",
    "approve",
    "bad_rate_among_approved",
    "decision_confusion",
    "decline_precision",
    "decline_recall",
    "false_decline_rate",
    "threshold_table",
]


def _risk_input(values: Any, higher_is_riskier: bool) -> np.ndarray:
    if higher_is_riskier:
        return check_pd(values, "pd")
    return check_scores(values, "pd (points score)")


def approve(pd: Any, *, cutoff: float, higher_is_riskier: bool = True) -> np.ndarray:
    """Approve/decline flags at a cutoff.

    Parameters
    ----------
    pd : array-like of float
        Probability of default per application (higher = riskier), or a points score
        (higher = safer) when ``higher_is_riskier=False``.
    cutoff : float
        PD cutoff in [0, 1]; approve when ``pd < cutoff``. With ``higher_is_riskier=False``
        a points cutoff; approve when ``score >= cutoff``.
    higher_is_riskier : bool, default True
        False for points scores.

    Returns
    -------
    numpy.ndarray of bool
        True = approved.

    Examples
    --------
    >>> approve([0.05, 0.20, 0.40], cutoff=0.20)
    array([ True, False, False])
    >>> approve([640, 600, 580], cutoff=600, higher_is_riskier=False)
    array([ True,  True, False])
    """
    higher_is_riskier = check_bool_flag(higher_is_riskier, "higher_is_riskier")
    risk = _risk_input(pd, higher_is_riskier)
    cut = check_cutoff(cutoff, higher_is_riskier=higher_is_riskier)
    return risk < cut if higher_is_riskier else risk >= cut


def _labels_and_decisions(
    y_true: Any, pd: Any, cutoff: float, higher_is_riskier: bool
) -> tuple[np.ndarray, np.ndarray]:
    y = check_labels(y_true)
    approved = approve(pd, cutoff=cutoff, higher_is_riskier=higher_is_riskier)
    check_same_length(y_true=y, pd=approved)
    return y, approved


def decision_confusion(
    y_true: Any, pd: Any, *, cutoff: float, higher_is_riskier: bool = True
) -> pandas.Series:
    """Counts of the four decision outcomes, in lending words.

    Built on :func:`sklearn.metrics.confusion_matrix` with bad = positive and
    declined = predicted positive.

    Parameters
    ----------
    y_true : array-like of {0, 1}
        1 = bad (defaulted), 0 = good.
    pd : array-like of float
        Probability of default (approve when ``pd < cutoff``), or a points score with
        ``higher_is_riskier=False`` (approve when ``score >= cutoff``).
    cutoff : float
        The decision cutoff.
    higher_is_riskier : bool, default True
        False for points scores.

    Returns
    -------
    pandas.Series of int
        ``approved_good``, ``approved_bad`` (approved-then-bad: credit losses),
        ``declined_good`` (declined-but-good: lost business), ``declined_bad``.

    Examples
    --------
    >>> decision_confusion([0, 1, 0, 1], [0.1, 0.15, 0.3, 0.6], cutoff=0.2).to_dict()
    {'approved_good': 1, 'approved_bad': 1, 'declined_good': 1, 'declined_bad': 1}
    """
    y, approved = _labels_and_decisions(y_true, pd, cutoff, higher_is_riskier)
    declined = (~approved).astype(np.int64)
    # rows: actual good/bad; columns: approved/declined
    (ag, dg), (ab, db) = confusion_matrix(y, declined, labels=[0, 1])
    return pandas.Series(
        {
            "approved_good": int(ag),
            "approved_bad": int(ab),
            "declined_good": int(dg),
            "declined_bad": int(db),
        },
        name="applications",
        dtype="int64",
    )


def approval_rate(pd: Any, *, cutoff: float, higher_is_riskier: bool = True) -> float:
    """Share of applications approved at a cutoff.

    Parameters
    ----------
    pd : array-like of float
        Probability of default (approve when ``pd < cutoff``), or a points score with
        ``higher_is_riskier=False`` (approve when ``score >= cutoff``).
    cutoff : float
        The decision cutoff.
    higher_is_riskier : bool, default True
        False for points scores.

    Returns
    -------
    float
        Approved / all applications, in [0, 1].

    Examples
    --------
    >>> approval_rate([0.05, 0.10, 0.30, 0.50], cutoff=0.2)
    0.5
    """
    return float(approve(pd, cutoff=cutoff, higher_is_riskier=higher_is_riskier).mean())


def bad_rate_among_approved(
    y_true: Any, pd: Any, *, cutoff: float, higher_is_riskier: bool = True
) -> float:
    """Share of approved loans that went bad (the book's bad rate at this cutoff).

    Parameters
    ----------
    y_true : array-like of {0, 1}
        1 = bad (defaulted), 0 = good.
    pd : array-like of float
        Probability of default (approve when ``pd < cutoff``), or a points score with
        ``higher_is_riskier=False``.
    cutoff : float
        The decision cutoff.
    higher_is_riskier : bool, default True
        False for points scores.

    Returns
    -------
    float
        approved_bad / approved.

    Raises
    ------
    ValueError
        If nothing is approved at this cutoff (the bad rate of an empty book is undefined).

    Examples
    --------
    >>> bad_rate_among_approved([0, 1, 0, 1], [0.05, 0.1, 0.15, 0.6], cutoff=0.2)
    0.3333333333333333
    """
    y, approved = _labels_and_decisions(y_true, pd, cutoff, higher_is_riskier)
    if not approved.any():
        raise ValueError(
            f"No application is approved at cutoff={cutoff!r}, so the bad rate among approved "
            "is undefined; choose a cutoff that approves someone."
        )
    return float(y[approved].mean())


def decline_precision(
    y_true: Any, pd: Any, *, cutoff: float, higher_is_riskier: bool = True
) -> float:
    """Of the declined applications, the share that were bad.

    :func:`sklearn.metrics.precision_score` with bad = positive, declined = predicted
    positive. ``1 - decline_precision`` is the share of declines that were good customers.

    Parameters
    ----------
    y_true : array-like of {0, 1}
        1 = bad (defaulted), 0 = good.
    pd : array-like of float
        Probability of default (approve when ``pd < cutoff``), or a points score with
        ``higher_is_riskier=False``.
    cutoff : float
        The decision cutoff.
    higher_is_riskier : bool, default True
        False for points scores.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If nothing is declined (precision of no declines is undefined).

    Examples
    --------
    >>> decline_precision([0, 1, 0, 1], [0.1, 0.15, 0.3, 0.6], cutoff=0.2)
    0.5
    """
    y, approved = _labels_and_decisions(y_true, pd, cutoff, higher_is_riskier)
    if approved.all():
        raise ValueError(
            f"Nothing is declined at cutoff={cutoff!r}, so decline precision is undefined; "
            "choose a cutoff that declines someone."
        )
    return float(precision_score(y, (~approved).astype(np.int64), pos_label=1))


def decline_recall(y_true: Any, pd: Any, *, cutoff: float, higher_is_riskier: bool = True) -> float:
    """Of the bad loans, the share the cutoff would have declined (bads caught).

    :func:`sklearn.metrics.recall_score` with bad = positive, declined = predicted positive.

    Parameters
    ----------
    y_true : array-like of {0, 1}
        1 = bad (defaulted), 0 = good.
    pd : array-like of float
        Probability of default (approve when ``pd < cutoff``), or a points score with
        ``higher_is_riskier=False``.
    cutoff : float
        The decision cutoff.
    higher_is_riskier : bool, default True
        False for points scores.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If there are no bads in ``y_true``.

    Examples
    --------
    >>> decline_recall([0, 1, 0, 1], [0.1, 0.15, 0.3, 0.6], cutoff=0.2)
    0.5
    """
    y, approved = _labels_and_decisions(y_true, pd, cutoff, higher_is_riskier)
    if not y.any():
        raise ValueError(
            "y_true has no bad (1) outcomes, so decline recall is undefined; "
            "pass a sample that contains defaults."
        )
    return float(recall_score(y, (~approved).astype(np.int64), pos_label=1))


def false_decline_rate(
    y_true: Any, pd: Any, *, cutoff: float, higher_is_riskier: bool = True
) -> float:
    """Of the good customers, the share the cutoff declined (declined-but-good / goods).

    This is the false-positive rate with bad = positive. (Some teams instead quote the share
    of *declines* that were good; that is ``1 - decline_precision``.)

    Parameters
    ----------
    y_true : array-like of {0, 1}
        1 = bad (defaulted), 0 = good.
    pd : array-like of float
        Probability of default (approve when ``pd < cutoff``), or a points score with
        ``higher_is_riskier=False``.
    cutoff : float
        The decision cutoff.
    higher_is_riskier : bool, default True
        False for points scores.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If there are no goods in ``y_true``.

    Examples
    --------
    >>> false_decline_rate([0, 1, 0, 1], [0.1, 0.15, 0.3, 0.6], cutoff=0.2)
    0.5
    """
    y, approved = _labels_and_decisions(y_true, pd, cutoff, higher_is_riskier)
    good = y == 0
    if not good.any():
        raise ValueError(
            "y_true has no good (0) outcomes, so the false-decline rate is undefined; "
            "pass a sample that contains repaid loans."
        )
    return float((~approved[good]).mean())


def _check_cutoffs(cutoffs: Any) -> np.ndarray:
    if cutoffs is None:
        return np.round(np.linspace(0.05, 0.50, 10), 2)
    arr = check_scores(cutoffs, "cutoffs")
    bad = (arr < 0) | (arr > 1)
    if bad.any():
        raise ValueError(
            f"cutoffs must be PD cutoffs in [0, 1]; found {arr[bad][:3].tolist()}. "
            "threshold_table works on PDs; convert points with model.predict_pd first."
        )
    return arr


def threshold_table(
    y_true: Any,
    pd: Any,
    *,
    cutoffs: Any = None,
    loan_amount: Any = None,
    lgd: float = 0.6,
    margin: float = 0.15,
) -> pandas.DataFrame:
    """Approval rate, bad rate, losses and profit for a range of PD cutoffs.

    Approve when ``pd < cutoff``. The cost model is deliberately simple, so a learner can
    check it by hand:

    * an approved **good** loan earns ``margin * amount`` (net lifetime interest margin after
      funding and servicing costs, as a fraction of the amount lent);
    * an approved **bad** loan loses ``lgd * amount`` (loss given default: the share of the
      amount never recovered);
    * declined applications earn and lose nothing.

    So ``profit = margin * sum(amount of approved goods) - lgd * sum(amount of approved
    bads)``, and a loan is worth approving when ``pd < margin / (margin + lgd)`` (0.2 with the
    defaults).

    Parameters
    ----------
    y_true : array-like of {0, 1}
        1 = bad (defaulted), 0 = good.
    pd : array-like of float
        Probability of default in [0, 1].
    cutoffs : array-like of float, optional
        PD cutoffs in [0, 1]; default 0.05, 0.10, ..., 0.50.
    loan_amount : array-like of float, optional
        Dollars lent per application. Default: every loan counts as 1, so money columns are
        in "loans" (e.g. profit 120.0 = the margin on 120 average loans' worth of exposure).
    lgd : float, default 0.6
        Loss given default, in [0, 1].
    margin : float, default 0.15
        Net lifetime margin earned on a good loan, as a fraction of the amount (>= 0).

    Returns
    -------
    pandas.DataFrame
        One row per cutoff (in the order given) with columns ``cutoff``, ``n_approved``,
        ``approval_rate``, ``bad_rate_approved``, ``approved_bad``, ``declined_good``,
        ``expected_loss`` (model view: ``sum(pd * lgd * amount)`` over approved — what the
        model predicts the book will lose), ``realized_loss`` (``sum(lgd * amount)`` over
        approved bads — what it did lose) and ``profit``. ``bad_rate_approved`` is NaN
        only in rows that approve nobody (the bad rate of an empty book is undefined).

    Examples
    --------
    >>> t = threshold_table([0, 0, 1, 1], [0.05, 0.1, 0.15, 0.6], cutoffs=[0.12, 0.2])
    >>> t[["cutoff", "n_approved", "bad_rate_approved", "profit"]]
       cutoff  n_approved  bad_rate_approved  profit
    0    0.12           2           0.000000     0.3
    1    0.20           3           0.333333    -0.3
    """
    y = check_labels(y_true)
    risk = check_pd(pd, "pd")
    cuts = _check_cutoffs(cutoffs)
    lgd_ = check_fraction(lgd, "lgd")
    margin_ = check_fraction(margin, "margin", allow_above_one=True)
    if loan_amount is None:
        amount = np.ones_like(risk)
        check_same_length(y_true=y, pd=risk)
    else:
        amount = check_amounts(loan_amount, "loan_amount")
        check_same_length(y_true=y, pd=risk, loan_amount=amount)

    # Sort once; the approved set at cutoff c is the prefix with pd < c, so every total is a
    # cumulative sum read at searchsorted(c). Index 0 of each prefix array is "nobody".
    order = np.argsort(risk, kind="stable")
    pd_sorted, y_sorted, amt_sorted = risk[order], y[order], amount[order]

    def prefix(values: np.ndarray) -> np.ndarray:
        return np.concatenate([[0.0], np.cumsum(values, dtype=float)])

    n_bad = prefix(y_sorted)
    good_amount = prefix((1 - y_sorted) * amt_sorted)
    bad_amount = prefix(y_sorted * amt_sorted)
    expected = prefix(pd_sorted * lgd_ * amt_sorted)

    k = np.searchsorted(pd_sorted, cuts, side="left")  # count with pd < cutoff
    n_total = risk.size
    n_goods_total = int((y == 0).sum())
    approved_bad = n_bad[k].astype(np.int64)
    approved_good = k - approved_bad
    with np.errstate(invalid="ignore", divide="ignore"):
        bad_rate = np.where(k > 0, n_bad[k] / np.maximum(k, 1), np.nan)
    realized = lgd_ * bad_amount[k]
    return pandas.DataFrame(
        {
            "cutoff": cuts,
            "n_approved": k.astype(np.int64),
            "approval_rate": k / n_total,
            "bad_rate_approved": bad_rate,
            "approved_bad": approved_bad,
            "declined_good": (n_goods_total - approved_good).astype(np.int64),
            "expected_loss": expected[k],
            "realized_loss": realized,
            "profit": margin_ * good_amount[k] - realized,
        }
    )
