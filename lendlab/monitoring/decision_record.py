"""The decision record: what a scoring service writes for every credit decision.

A lender must be able to reconstruct every credit decision: which model version decided, on
which inputs, with which score, what the decision was and the specific reasons given to a
declined applicant. ECOA / Regulation B asks a creditor to keep the application, the
information used, the notice and the reasons for 25 months after the notice (12 months for
business credit); SR 11-7 asks for ongoing monitoring and outcomes analysis, which need the
same record. :func:`decision_log` builds that record from applications and a model
(:class:`lendlab.models.PDModel`) at a cutoff:

``application_id, applied_at, model_version, pd, score, decision, reason_1..reason_4``
followed by the input snapshot (the feature values the model saw, as served) and a few
context columns used to slice dashboards (``channel``, ``segment``).

What the record tells you before outcomes arrive lives beside it:
:mod:`~lendlab.monitoring.decision_mix` (approval / review / decline rates per period),
:mod:`~lendlab.monitoring.performance` (loan performance and vintages) and
:mod:`~lendlab.monitoring.estimation` (label-free estimation from calibrated PDs).

Conventions (as in :mod:`lendlab.metrics`): ``pd`` is a probability of default, higher is
riskier; an application is approved when ``pd < cutoff``. ``decision`` takes the values
``"approve"``, ``"review"`` (manual review: PDs in a grey band around the cutoff) and
``"decline"``.

Example
-------
>>> import numpy as np, pandas as pd
>>> class Fixed:  # any object with predict_pd(X) works
...     features = ("fico",)
...     def predict_pd(self, X):
...         return np.clip((720 - X["fico"].to_numpy()) / 400, 0.01, 0.99)
>>> apps = pd.DataFrame({"application_id": [1, 2], "fico": [700, 600],
...                      "applied_at": pd.to_datetime(["2025-01-02", "2025-01-03"], utc=True)})
>>> def why(model, X):
...     return pd.DataFrame({"reason_1": ["Credit score too low"] * len(X)})
>>> log = decision_log(apps, Fixed(), cutoff=0.2, model_version="fico-v1", reasons=why)
>>> log[["application_id", "pd", "decision", "reason_1"]]
   application_id    pd decision              reason_1
0               1  0.05  approve                   NaN
1               2  0.30  decline  Credit score too low
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lendlab.models.contract import PDModel, model_scaling
from lendlab.validation import (
    check_column_names,
    check_columns,
    check_frame,
    check_name,
    check_probability,
    datetime_column,
)
from lendlab.world.schema import FEATURES

__all__ = [
    "DECISIONS",
    "LOG_COLUMNS",
    "REASON_COLUMNS",
    "RETENTION_MONTHS",
    "PDModel",
    "decision_log",
]

#: Regulation B (12 CFR 1002.12): keep consumer-credit records 25 months after the notice.
RETENTION_MONTHS = 25
#: Up to four specific principal reasons (common practice for adverse-action notices).
REASON_COLUMNS: tuple[str, ...] = ("reason_1", "reason_2", "reason_3", "reason_4")
#: The fields that identify and explain a decision; the input snapshot follows them.
LOG_COLUMNS: tuple[str, ...] = (
    "application_id",
    "applied_at",
    "model_version",
    "pd",
    "score",
    "decision",
    *REASON_COLUMNS,
)
#: Values of ``decision``.
DECISIONS: tuple[str, ...] = ("approve", "review", "decline")

_PD_FLOOR = 1e-6  # keeps ln(odds) finite for a PD of exactly 0 or 1
_SCALING = ("pdo", "base_score", "base_odds")


def _points(p: np.ndarray, model: Any) -> np.ndarray:
    """Whole points from PDs with the model's PDO scaling (600 at 50:1, PDO 20 by default).

    PDs are clipped to [1e-6, 1 - 1e-6] first so a PD of exactly 0 or 1 still gets a score.
    """
    from lendlab.models import pd_to_score

    # a model that declares any of the scaling must declare all of it (the PDModel contract)
    scale = model_scaling(model) if any(hasattr(model, a) for a in _SCALING) else {}
    clipped = np.clip(p, _PD_FLOOR, 1.0 - _PD_FLOOR)
    return np.rint(pd_to_score(clipped, **scale)).astype(np.int64)


def _model_features(model: Any, features: Sequence[str] | None) -> list[str]:
    if features is not None:
        return list(check_column_names(features, "features"))
    # fitted names first (a Challenger's ``features`` may be None, meaning its default list)
    for attr in ("features_", "features", "feature_names_in_"):
        found = getattr(model, attr, None)
        if found is not None and len(found):
            return list(check_column_names(list(found), f"model.{attr}"))
    return list(FEATURES)


def _default_reasons(model: Any, X: pd.DataFrame) -> pd.DataFrame:
    try:
        from lendlab.models import reason_codes
    except ImportError as exc:  # pragma: no cover - lendlab.models ships with the package
        raise ValueError(
            "no reason-code function: pass reasons=callable(model, X) -> DataFrame of "
            "reason_1..reason_4"
        ) from exc
    return reason_codes(model, X, max_reasons=len(REASON_COLUMNS))


def decision_log(
    applications: pd.DataFrame,
    model: PDModel,
    *,
    cutoff: float,
    model_version: str | None = None,
    review_margin: float = 0.0,
    features: Sequence[str] | None = None,
    context: Sequence[str] = ("channel", "segment"),
    reasons: Callable[[Any, pd.DataFrame], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Score applications and write the decision log a scoring service would keep.

    Parameters
    ----------
    applications : DataFrame
        One row per application with ``application_id``, ``applied_at`` and the model's
        features (e.g. :func:`lendlab.world.generate`).
    model : PDModel, or any object with ``predict_pd(X)``
        The model in production (e.g. ``lendlab.models.Scorecard``). Its ``features``
        (fitted ``features_`` first), if any, name the inputs; its ``pdo``/``base_score``/
        ``base_odds``, if any, scale the points; its ``version``, if any, is logged.
    cutoff : float
        PD cutoff in (0, 1): approve when ``pd < cutoff - review_margin``.
    model_version : str, optional
        The version string the service reports, e.g. ``"scorecard-2025.1"``; default the
        model's ``version``. Required for a model without one.
    review_margin : float, default 0.0
        Width of the grey band on each side of the cutoff: PDs in
        ``[cutoff - review_margin, cutoff + review_margin)`` go to manual review; PDs at or above
        ``cutoff + review_margin`` are declined. 0 means no manual review.
    features : list of str, optional
        Input snapshot columns; default the model's ``features`` (else
        :data:`lendlab.world.FEATURES`).
    context : list of str, default ("channel", "segment")
        Extra columns copied for slicing (skipped when absent from ``applications``).
    reasons : callable, optional
        ``reasons(model, X) -> DataFrame`` with columns ``reason_1``.. (at most four), one row
        per row of ``X``; default :func:`lendlab.models.reason_codes`, which needs a
        Scorecard (for a challenger pass e.g.
        ``reasons=lambda m, X: reason_codes(scorecard, X)`` and say so to model risk). Reasons
        are logged for declines only (the adverse-action notice); approvals and reviews get a
        missing value.

    Returns
    -------
    DataFrame
        :data:`LOG_COLUMNS`, then the input snapshot, then the context columns; index 0..n-1,
        in the order of ``applications``. ``pd`` is rounded to 6 decimals (as a service would
        serialise it) and ``score`` is whole points (higher = safer).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> class Fixed:
    ...     features = ("dti",)
    ...     def predict_pd(self, X):
    ...         return X["dti"].to_numpy() / 100
    >>> apps = pd.DataFrame({"application_id": [1, 2, 3], "dti": [5.0, 19.0, 35.0],
    ...     "applied_at": pd.to_datetime(["2025-01-02"] * 3, utc=True)})
    >>> no_reasons = lambda model, X: pd.DataFrame(index=X.index)
    >>> decision_log(apps, Fixed(), cutoff=0.2, review_margin=0.02, model_version="v1",
    ...              reasons=no_reasons)["decision"].tolist()
    ['approve', 'review', 'decline']
    """
    applications = check_frame(applications, "applications")
    cut = check_probability(cutoff, "cutoff")
    margin = check_probability(review_margin, "review_margin", high=0.5)
    if not 0.0 < cut - margin <= cut + margin < 1.0:
        raise ValueError(
            f"the review band [cutoff - review_margin, cutoff + review_margin) = "
            f"[{cut - margin:g}, {cut + margin:g}) must lie inside (0, 1); narrow review_margin"
        )
    if model_version is None:
        model_version = getattr(model, "version", None)
        if model_version is None:
            raise ValueError(
                f"{type(model).__name__} has no `version`; pass model_version= (e.g. "
                "'scorecard-2025.1') or give the model a version"
            )
    check_name(model_version, "model_version")
    if not callable(getattr(model, "predict_pd", None)):
        raise TypeError(
            f"model must have a predict_pd(X) method (e.g. lendlab.models.Scorecard), "
            f"got {type(model).__name__}"
        )
    cols = _model_features(model, features)
    check_columns(
        applications,
        ["application_id", "applied_at", *cols],
        "applications",
        fix="pass a frame from lendlab.world.generate (or name the model's inputs with features=)",
    )
    datetime_column(applications, "applied_at", "applications")
    if applications["application_id"].duplicated().any():
        dup = applications.loc[applications["application_id"].duplicated(), "application_id"]
        raise ValueError(
            f"applications['application_id'] has duplicates (e.g. {dup.iloc[0]!r}); a decision "
            "log needs one row per application: drop duplicated rows (a fanned-out join?) first"
        )

    X = applications[cols].reset_index(drop=True)
    p = np.asarray(model.predict_pd(X), dtype=float).ravel()
    if p.size != len(X):
        raise ValueError(
            f"model.predict_pd returned {p.size} PDs for {len(X)} applications; it must return "
            "one PD per row of X"
        )
    bad = np.isnan(p) | (p < 0) | (p > 1)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"model.predict_pd returned {int(bad.sum())} value(s) outside [0, 1] or NaN (e.g. "
            f"row {first}: {p[first]!r}); check the model and its inputs before logging decisions"
        )
    p = np.round(p, 6)

    decision = np.where(
        p < cut - margin, "approve", np.where(p < cut + margin, "review", "decline")
    )
    log = pd.DataFrame(
        {
            "application_id": applications["application_id"].to_numpy(),
            "applied_at": applications["applied_at"].reset_index(drop=True),
            "model_version": pd.Series([model_version] * len(X), dtype="str"),
            "pd": p,
            "score": _points(p, model),
            "decision": pd.Categorical(decision, categories=list(DECISIONS)),
        }
    )

    texts = {col: np.full(len(X), None, dtype=object) for col in REASON_COLUMNS}
    declined = np.flatnonzero(decision == "decline")
    if declined.size:
        reason_fn = _default_reasons if reasons is None else reasons
        found = reason_fn(model, X.iloc[declined])
        if not isinstance(found, pd.DataFrame) or len(found) != declined.size:
            raise ValueError(
                "reasons(model, X) must return a DataFrame with one row per declined "
                f"application ({declined.size}), got {type(found).__name__}"
            )
        extra = [c for c in found.columns if c not in REASON_COLUMNS]
        if extra:
            raise ValueError(
                f"reasons(model, X) returned unexpected column(s) {extra}; "
                f"use {list(REASON_COLUMNS)} (at most four reasons)"
            )
        for col in found.columns:
            values = np.array(found[col], dtype=object)  # a writable copy
            values[pd.isna(values)] = None
            texts[col][declined] = values
    for col in REASON_COLUMNS:
        # the constructor (not astype) keeps None missing on pandas 2 and 3
        log[col] = pd.Series(texts[col], index=log.index, dtype="str")

    snapshot = X.copy()
    extras = [c for c in context if c in applications.columns and c not in cols]
    for c in extras:
        snapshot[c] = applications[c].to_numpy()
    return pd.concat([log, snapshot], axis=1)
