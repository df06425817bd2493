"""Who gets approved: rates by segment and the adverse impact ratio (AIR).

Conventions: ``approved`` is True (or 1) for an approved application; ``bad`` is 1 for a loan
that defaulted, 0 for one that repaid.
"""

from __future__ import annotations

from typing import Any

import pandas

from lendlab.validation import (
    as_1d,
    check_approved,
    check_labels,
    check_same_length,
    check_scores,
)

__all__ = ["adverse_impact_ratio", "rates_by_segment"]


def _column_or_array(frame: pandas.DataFrame, value: Any, name: str) -> Any:
    """A column name picks the column; an array must have one value per row of ``frame``."""
    if isinstance(value, str):
        if value not in frame.columns:
            raise ValueError(
                f"{name}={value!r} is not a column of frame; available: {list(frame.columns)}."
            )
        return frame[value]
    arr = as_1d(value, name)
    if len(arr) != len(frame):
        raise ValueError(
            f"{name} has {len(arr)} values but frame has {len(frame)} rows; "
            "pass one value per row or a column name."
        )
    return arr


def rates_by_segment(
    frame: pandas.DataFrame, *, segment: str, approved: Any, bad: Any = None
) -> pandas.DataFrame:
    """Applications, approval rate and bad rate per segment (channel, region, grade...).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per application.
    segment : str
        Column to group by. Segments with no applications are left out.
    approved : str or array-like of bool
        Column name, or one True/False (1/0) per row; True = approved.
    bad : str or array-like of {0, 1}, optional
        Column name, or one outcome per row (1 = bad). Only approved rows are used, so
        declined rows may hold NaN (outcomes are only ever observed for approved loans).

    Returns
    -------
    pandas.DataFrame
        Indexed by segment: ``n_applications``, ``share_of_applications``, ``n_approved``,
        ``approval_rate`` and, when ``bad`` is given, ``n_bad`` and ``bad_rate_approved``
        (bads / approved). ``bad_rate_approved`` is NaN only for a segment with no approvals
        (the bad rate of an empty book is undefined), which is itself worth alerting on.

    Examples
    --------
    >>> import pandas as pd
    >>> apps = pd.DataFrame({"channel": ["web", "web", "broker", "broker"],
    ...                      "approved": [True, False, True, True],
    ...                      "defaulted": [0, None, 1, 0]})
    >>> rates = rates_by_segment(apps, segment="channel", approved="approved", bad="defaulted")
    >>> rates[["n_applications", "approval_rate", "bad_rate_approved"]].reset_index()
      channel  n_applications  approval_rate  bad_rate_approved
    0  broker               2            1.0                0.5
    1     web               2            0.5                0.0
    """
    if not isinstance(frame, pandas.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}.")
    if frame.empty:
        raise ValueError("frame is empty; pass at least one application.")
    if not isinstance(segment, str):
        raise TypeError(f"segment must be a column name (str), got {segment!r}.")
    if segment not in frame.columns:
        raise ValueError(
            f"segment={segment!r} is not a column of frame; available: {list(frame.columns)}."
        )
    keys = frame[segment]
    if keys.isna().any():
        rows = list(frame.index[keys.isna()][:3])
        raise ValueError(
            f"segment column {segment!r} has {int(keys.isna().sum())} missing value(s) "
            f"(rows {rows}); fill them (e.g. 'unknown') before computing rates."
        )
    ok = check_approved(_column_or_array(frame, approved, "approved"), "approved")
    data = pandas.DataFrame({"segment": keys.to_numpy(), "approved": ok})
    if bad is not None:
        outcome = as_1d(_column_or_array(frame, bad, "bad"), "bad")
        # outcomes matter (and must be clean 0/1) only where the loan was approved
        data["bad"] = 0
        if ok.any():
            data.loc[ok, "bad"] = check_labels(outcome[ok], "bad (approved rows)")
    if isinstance(keys.dtype, pandas.CategoricalDtype):
        data["segment"] = pandas.Categorical(data["segment"], dtype=keys.dtype)
    grouped = data.groupby("segment", observed=True, sort=True)
    out = pandas.DataFrame(
        {
            "n_applications": grouped.size().astype("int64"),
            "n_approved": grouped["approved"].sum().astype("int64"),
        }
    )
    out.insert(1, "share_of_applications", out["n_applications"] / len(data))
    out["approval_rate"] = out["n_approved"] / out["n_applications"]
    if bad is not None:
        out["n_bad"] = grouped["bad"].sum().astype("int64")
        n_approved = out["n_approved"].where(out["n_approved"] > 0)
        out["bad_rate_approved"] = out["n_bad"] / n_approved
    out.index.name = segment
    return out


def adverse_impact_ratio(
    approved: Any,
    group: Any = None,
    *,
    protected: Any = "protected",
    reference: Any = "reference",
    weights: Any = None,
) -> float:
    """Adverse impact ratio: protected-group approval rate / reference-group approval rate.

    A ratio below **0.80** is the usual flag for a closer fair-lending review. That
    "four-fifths rule" comes from EEOC employment-selection practice (29 CFR 1607.4(D)); it is
    not codified for lending under ECOA / Regulation B, where it is a screening convention,
    not a legal safe harbour or a finding of discrimination.

    Two ways to say who is in which group:

    * ``group`` (known membership): rates are plain approval rates of the rows whose group
      equals ``protected`` and ``reference``; other groups are ignored.
    * ``weights`` (proxy membership, e.g. BISG surname + geography probabilities): each
      application counts towards the protected group with weight ``w`` and towards the
      reference group with weight ``1 - w``, so
      ``protected rate = sum(w * approved) / sum(w)`` and
      ``reference rate = sum((1 - w) * approved) / sum(1 - w)``.

    Parameters
    ----------
    approved : array-like of bool
        True (or 1) = approved.
    group : array-like, optional
        Group label per application. Pass either ``group`` or ``weights``.
    protected, reference : label, default "protected" / "reference"
        The labels in ``group`` to compare.
    weights : array-like of float in [0, 1], optional
        Probability each applicant belongs to the protected group.

    Returns
    -------
    float
        AIR; 1.0 = equal approval rates.

    Raises
    ------
    ValueError
        If a group has no applications (or zero total weight), or the reference approval
        rate is 0 (the ratio is undefined).

    Examples
    --------
    >>> adverse_impact_ratio([1, 0, 1, 1], ["protected", "protected", "reference", "reference"])
    0.5
    >>> round(adverse_impact_ratio([1, 0, 1, 1], weights=[0.9, 0.8, 0.1, 0.2]), 3)
    0.667
    """
    ok = check_approved(approved).astype(float)
    if (group is None) == (weights is None):
        raise ValueError(
            "Pass exactly one of group= (known group labels) or weights= (proxy probabilities "
            "of being in the protected group)."
        )
    if weights is not None:
        w = check_scores(weights, "weights")
        check_same_length(approved=ok, weights=w)
        bad = (w < 0) | (w > 1)
        if bad.any():
            raise ValueError(
                f"weights must be probabilities in [0, 1]; found {w[bad][:3].tolist()}."
            )
        w_protected, w_reference = w, 1.0 - w
        names = ("protected (weight w)", "reference (weight 1 - w)")
    else:
        labels = as_1d(group, "group")
        check_same_length(approved=ok, group=labels)
        w_protected = (labels == protected).astype(float)
        w_reference = (labels == reference).astype(float)
        names = (f"protected={protected!r}", f"reference={reference!r}")
        if protected == reference:
            raise ValueError(f"protected and reference are both {protected!r}; pass two groups.")

    rates = []
    for weight, name in zip((w_protected, w_reference), names, strict=True):
        total = weight.sum()
        if total <= 0:
            seen = ""
            if weights is None:
                seen = f"; groups present: {sorted(set(labels.tolist()), key=str)}"
            raise ValueError(f"Group {name} has no applications{seen}.")
        rates.append(float((weight * ok).sum() / total))
    if rates[1] == 0:
        raise ValueError(
            f"The reference group ({names[1]}) has approval rate 0, so the ratio is undefined; "
            "check the decisions (did every application get declined?)."
        )
    return rates[0] / rates[1]
