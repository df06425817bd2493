"""Adverse-action reasons from a scorecard: the features that cost an applicant most points.

ECOA / Regulation B: a lender that declines must tell the applicant the *specific principal*
reasons ("internal standards" or "insufficient score" is not a reason); giving up to four is
common practice. A scorecard makes this mechanical: for each feature, the points lost are
``best bin's points - the applicant's points``, and the reasons are the features with the
largest losses, mapped to borrower-facing text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from lendlab import metrics
from lendlab.models.scorecard import MISSING, OTHER, Scorecard

__all__ = ["MISSING_REASON_TEXT", "REASON_TEXT", "decide", "reason_codes"]

#: Borrower-facing reason per feature. A pair means (value below the best bin, value above
#: it), so the text says which way the applicant fell short; a single string fits both.
REASON_TEXT: dict[str, str | tuple[str, str]] = {
    "fico": ("Credit score too low", "Credit score"),
    "annual_income": ("Income insufficient for amount of credit requested", "Income level"),
    "dti": ("Debt-to-income ratio", "Debt obligations too high relative to income"),
    "loan_amount": ("Amount of credit requested", "Amount of credit requested too high"),
    "term_months": ("Loan term requested", "Longer loan term requested"),
    "inquiries_6m": ("Number of recent credit inquiries", "Too many recent credit inquiries"),
    "revol_util": (
        "Limited use of revolving credit",
        "Revolving balances too high relative to credit limits",
    ),
    "emp_length_years": ("Length of employment too short", "Length of employment"),
    "delinq_2y": (
        "Delinquency history",
        "Delinquent past or present credit obligations with others",
    ),
    "open_accounts": (
        "Limited credit experience: too few open accounts",
        "Too many open credit accounts",
    ),
    "loan_to_income": (
        "Amount of credit requested relative to income",
        "Income insufficient for amount of credit requested",
    ),
    "home_ownership": "Housing status (own, mortgage or rent)",
    "income_verification": "Unable to verify income",
}

#: Reason when the applicant's value was missing and the missing bin cost points.
MISSING_REASON_TEXT: dict[str, str] = {
    "fico": "No credit score available from the credit bureau",
    "annual_income": "Income not provided",
    "dti": "Debt-to-income ratio could not be calculated",
    "emp_length_years": "Length of employment not provided",
    "revol_util": "Revolving credit information not available from the credit bureau",
    "inquiries_6m": "Number of recent credit inquiries not available from the credit bureau",
}


def _texts_for(
    feature: str, overrides: Mapping[str, str | tuple[str, str]] | None
) -> tuple[str, str, str]:
    """(below best, above best, missing) texts for one feature."""
    label = feature.replace("_", " ")
    text = (overrides or {}).get(feature, REASON_TEXT.get(feature))
    if text is None:  # a lender must map its own features; this fallback still names it
        low, high = f"{label.capitalize()} too low", f"{label.capitalize()} too high"
    elif isinstance(text, str):
        low = high = text
    else:
        low, high = text
    missing = MISSING_REASON_TEXT.get(feature, f"Credit application incomplete: {label} missing")
    return low, high, missing


def _check_max_reasons(max_reasons: Any) -> int:
    if isinstance(max_reasons, bool) or not isinstance(max_reasons, (int, np.integer)):
        raise TypeError(f"max_reasons must be an integer from 1 to 4, got {max_reasons!r}.")
    if not 1 <= max_reasons <= 4:
        raise ValueError(
            f"max_reasons={max_reasons!r} must be from 1 to 4: Reg B practice is up to four "
            "principal reasons."
        )
    return int(max_reasons)


def reason_codes(
    model: Scorecard,
    X: pd.DataFrame,
    *,
    max_reasons: int = 4,
    reason_text: Mapping[str, str | tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """The principal reasons each application lost points, most points lost first.

    For every feature the points lost are the points of the feature's best bin (among bins
    seen in training) minus the applicant's points. Features that lost nothing are never
    reasons; two features with the same text count once. Pass the **declined** applications
    (or use :func:`decide`, which does).

    Parameters
    ----------
    model : Scorecard
        A fitted scorecard (trees have no per-feature points; see :func:`decide`).
    X : pandas.DataFrame
        Applications holding the scorecard's features.
    max_reasons : int, default 4
        1 to 4 (four principal reasons is common Reg B practice).
    reason_text : mapping, optional
        Overrides or additions to :data:`REASON_TEXT`.

    Returns
    -------
    pandas.DataFrame
        Same index as ``X``; columns ``reason_1`` .. ``reason_{max_reasons}`` (str, None
        when there are fewer reasons).

    Examples
    --------
    >>> from lendlab import world
    >>> book = world.generate(20_000, seed=1)
    >>> loans = book[book["approved_policy"]]
    >>> card = Scorecard(features=["fico", "dti", "inquiries_6m"]).fit(loans, loans["defaulted"])
    >>> applicant = pd.DataFrame({"fico": [665], "dti": [38.0], "inquiries_6m": [0]})
    >>> reason_codes(card, applicant, max_reasons=2).iloc[0].tolist()
    ['Credit score too low', 'Debt obligations too high relative to income']
    """
    if not isinstance(model, Scorecard):
        raise TypeError(
            f"reason_codes needs a fitted Scorecard, got {type(model).__name__}: tree models "
            "have no per-feature points. Use decide(model, frame, cutoff=..., "
            "reasons_from=scorecard) to take reasons from a scorecard."
        )
    _check_max_reasons(max_reasons)
    bins = model._checked(X, "reason_codes")
    n, n_features = bins.shape
    best = model._best_bins()
    rows = np.arange(n)

    lost = np.empty((n, n_features))
    texts = np.empty((n, n_features), dtype=object)
    for j, (binning, points) in enumerate(zip(model.bins_, model.points_, strict=True)):
        b = bins[:, j]
        lost[:, j] = points[best[j]] - points[b]
        low, high, missing = _texts_for(binning.feature, reason_text)
        side = np.where(b < best[j], low, high)
        if binning.kind == "categorical":
            other = binning.labels.index(OTHER)
            side = np.where(b == other, f"{binning.feature.replace('_', ' ')} not recognised", low)
        texts[:, j] = np.where(b == binning.labels.index(MISSING), missing, side)

    # Most points lost first; ties keep the feature order of the scorecard.
    order = np.argsort(-lost, axis=1, kind="stable")
    ranked_lost = lost[rows[:, None], order]
    ranked_text = texts[rows[:, None], order]
    chosen = np.full((n, max_reasons), None, dtype=object)
    count = np.zeros(n, dtype=np.int64)
    for k in range(n_features):
        candidate = ranked_text[:, k]
        take = (ranked_lost[:, k] > 1e-9) & (count < max_reasons)
        for slot in range(max_reasons):  # same text already given? then skip it
            take &= chosen[:, slot] != candidate
        chosen[rows[take], count[take]] = candidate[take]
        count += take
    # one object block (not one aligned Series per column: the service explains one row at a
    # time and the alignment cost more than the reasons)
    return pd.DataFrame(
        chosen,
        index=X.index,
        columns=[f"reason_{k + 1}" for k in range(max_reasons)],
        dtype=object,
        copy=False,
    )


def decide(
    model: Any,
    frame: pd.DataFrame,
    *,
    cutoff: float,
    higher_is_riskier: bool = True,
    max_reasons: int = 4,
    reasons_from: Scorecard | None = None,
) -> pd.DataFrame:
    """Decide every application and give adverse-action reasons for the declined ones.

    Parameters
    ----------
    model : Scorecard or Challenger
        Any fitted model with ``predict_pd`` and ``points`` (scorecard points, higher =
        safer).
    frame : pandas.DataFrame
        Applications.
    cutoff : float
        PD cutoff: approve when ``pd < cutoff``. With ``higher_is_riskier=False`` a points
        cutoff: approve when ``points >= cutoff``.
    higher_is_riskier : bool, default True
        False when ``cutoff`` is in points.
    max_reasons : int, default 4
    reasons_from : Scorecard, optional
        Where reasons come from; default ``model`` itself, which must then be a Scorecard.
        A challenger deciding with a champion's reasons is a common stop-gap, but the reasons
        then explain the scorecard, not the decision: model risk will ask about that.

    Returns
    -------
    pandas.DataFrame
        Same index as ``frame``: ``pd``, ``score`` (the model's points), ``approved`` and
        ``reason_1`` ..
        ``reason_{max_reasons}`` (None for approved applications). A declined application
        without any reason means the cutoff declines even the best possible applicant:
        treat it as a misconfigured cutoff.

    Examples
    --------
    >>> from lendlab import world
    >>> book = world.generate(20_000, seed=1)
    >>> loans = book[book["approved_policy"]]
    >>> card = Scorecard().fit(loans, loans["defaulted"])
    >>> out = decide(card, book.head(500), cutoff=0.2)
    >>> bool(out.loc[out["approved"], "reason_1"].isna().all())
    True
    >>> bool(out.loc[~out["approved"], "reason_1"].notna().all())
    True
    """
    _check_max_reasons(max_reasons)
    explainer = model if reasons_from is None else reasons_from
    if not isinstance(explainer, Scorecard):
        raise TypeError(
            f"decide needs reasons for declines, and a {type(explainer).__name__} has no "
            "per-feature points; pass reasons_from=<a fitted Scorecard>."
        )
    pd_ = model.predict_pd(frame)
    score = model.points(frame)
    risk = pd_ if higher_is_riskier else score
    approved = metrics.approve(risk, cutoff=cutoff, higher_is_riskier=higher_is_riskier)
    out = pd.DataFrame({"pd": pd_, "score": score, "approved": approved}, index=frame.index)
    chosen = np.full((len(frame), max_reasons), None, dtype=object)
    if (~approved).any():
        declined = reason_codes(explainer, frame.loc[~approved], max_reasons=max_reasons)
        chosen[~approved] = declined.to_numpy(dtype=object)
    reasons = pd.DataFrame(
        {
            f"reason_{k + 1}": pd.Series(chosen[:, k], index=frame.index, dtype=object)
            for k in range(max_reasons)
        }
    )
    return pd.concat([out, reasons], axis=1)
