"""The decision log a scoring service writes, and what it tells you before outcomes arrive.

A lender must be able to reconstruct every credit decision: which model version decided, on
which inputs, with which score, what the decision was and the specific reasons given to a
declined applicant. ECOA / Regulation B asks a creditor to keep the application, the
information used, the notice and the reasons for 25 months after the notice (12 months for
business credit); SR 11-7 asks for ongoing monitoring and outcomes analysis, which need the
same record. :func:`decision_log` builds that record from applications, a model and a cutoff:

``application_id, applied_at, model_version, pd, score, decision, reason_1..reason_4``
followed by the input snapshot (the feature values the model saw, as served) and a few
context columns used to slice dashboards (``channel``, ``segment``).

Outcomes arrive months later (the first charge-off is around month 5 on book), so the rest of
this module is about reading a book before its labels mature:

* :func:`decision_mix` - approval, manual review and decline rates per period (proxies that
  move the day something breaks);
* :func:`loan_performance`, :func:`vintage_curve`, :func:`bad_rate_by_vintage` - what the
  servicing ledger knows as of a date, and cumulative bad rate by month on book per monthly
  vintage (why the newest vintage always looks good: right-censoring);
* :func:`expected_outcomes` - label-free performance estimation from calibrated PDs (the idea
  behind NannyML's CBPE): the expected confusion counts at a cutoff. It follows covariate shift
  and is blind to concept shift.

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

import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

__all__ = [
    "DECISIONS",
    "LOG_COLUMNS",
    "REASON_COLUMNS",
    "RETENTION_MONTHS",
    "PDModel",
    "bad_rate_by_vintage",
    "decision_log",
    "decision_mix",
    "expected_outcomes",
    "loan_performance",
    "vintage_curve",
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


class PDModel(Protocol):
    """Anything with ``predict_pd(X) -> array of PDs`` (``lendlab.models.Scorecard`` etc.)."""

    def predict_pd(self, X: pd.DataFrame) -> Any: ...


# --------------------------------------------------------------------------- validation


def _frame(value: Any, name: str) -> pd.DataFrame:
    if not isinstance(value, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(value).__name__}")
    if value.empty:
        raise ValueError(f"{name} is empty; pass at least one row")
    return value


def _require(frame: pd.DataFrame, columns: Sequence[str], name: str, fix: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s) {missing}; {fix}")


def _probability(value: Any, name: str, *, low: float = 0.0, high: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    x = float(value)
    if not (math.isfinite(x) and low <= x <= high):
        raise ValueError(f"{name}={value!r} must be a number in [{low:g}, {high:g}]")
    return x


def _datetimes(frame: pd.DataFrame, column: str, name: str) -> pd.Series:
    values = frame[column]
    if not pd.api.types.is_datetime64_any_dtype(values):
        raise ValueError(
            f"{name}[{column!r}] must hold datetimes, got dtype {values.dtype}; "
            "convert it with pd.to_datetime(..., utc=True)"
        )
    if values.isna().any():
        raise ValueError(f"{name}[{column!r}] has {int(values.isna().sum())} missing timestamps")
    return values


def _as_of(value: Any, like: pd.Series) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"as_of={value!r} is not a date; pass e.g. '2026-01-01'") from exc
    if pd.isna(ts):
        raise ValueError(f"as_of={value!r} is not a date; pass e.g. '2026-01-01'")
    tz = like.dt.tz
    if tz is not None:
        return ts.tz_localize(tz) if ts.tz is None else ts.tz_convert(tz)
    return ts.tz_convert(None) if ts.tz is not None else ts


def _vintage(applied_at: pd.Series) -> pd.Series:
    """Monthly vintage label ``YYYY-MM`` (the month a loan was booked).

    Formats each distinct month once: ``dt.strftime`` on tz-aware times costs ~1.5 s per 50k rows.
    """
    month = applied_at.dt.year.to_numpy() * 12 + applied_at.dt.month.to_numpy() - 1
    distinct, where = np.unique(month, return_inverse=True)
    labels = np.array([f"{m // 12:04d}-{m % 12 + 1:02d}" for m in distinct], dtype=object)
    return pd.Series(labels[where], index=applied_at.index, name="vintage", dtype="str")


# --------------------------------------------------------------------------- the log


def _points(p: np.ndarray, model: Any) -> np.ndarray:
    """Whole scorecard points from PDs with the model's PDO scaling (600 at 50:1, PDO 20 default).

    PDs are clipped to [1e-6, 1 - 1e-6] first so a PD of exactly 0 or 1 still gets a score.
    """
    from lendlab.models import pd_to_score

    scale = {
        attr: float(getattr(model, attr))
        for attr in ("pdo", "base_score", "base_odds")
        if isinstance(getattr(model, attr, None), (int, float))
    }
    clipped = np.clip(p, _PD_FLOOR, 1.0 - _PD_FLOOR)
    return np.rint(pd_to_score(clipped, **scale)).astype(np.int64)


def _model_features(model: Any, features: Sequence[str] | None) -> list[str]:
    if features is not None:
        if isinstance(features, str) or not all(isinstance(f, str) for f in features):
            raise TypeError(f"features must be a list of column names, got {features!r}")
        return list(features)
    # fitted names first (a Scorecard's ``features`` may be None, meaning world.FEATURES)
    for attr in ("features_", "features", "feature_names_in_"):
        found = getattr(model, attr, None)
        if found is not None and len(found):
            return [str(f) for f in found]
    from lendlab.world.generator import FEATURES

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
    model_version: str,
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
    model : object with ``predict_pd(X)``
        The model in production (e.g. ``lendlab.models.Scorecard``). Its ``features``
        attribute, if any, names the inputs; its ``pdo``/``base_score``/``base_odds``, if any,
        scale the points.
    cutoff : float
        PD cutoff in (0, 1): approve when ``pd < cutoff - review_margin``.
    model_version : str
        The version string the service reports, e.g. ``"scorecard-2025.01"``.
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
    applications = _frame(applications, "applications")
    cut = _probability(cutoff, "cutoff")
    margin = _probability(review_margin, "review_margin", high=0.5)
    if not 0.0 < cut - margin <= cut + margin < 1.0:
        raise ValueError(
            f"the review band [cutoff - review_margin, cutoff + review_margin) = "
            f"[{cut - margin:g}, {cut + margin:g}) must lie inside (0, 1); narrow review_margin"
        )
    if not isinstance(model_version, str) or not model_version.strip():
        raise ValueError(
            "model_version must be a non-empty string such as 'scorecard-v1', "
            f"got {model_version!r}"
        )
    if not callable(getattr(model, "predict_pd", None)):
        raise TypeError(
            f"model must have a predict_pd(X) method (e.g. lendlab.models.Scorecard), "
            f"got {type(model).__name__}"
        )
    cols = _model_features(model, features)
    _require(
        applications,
        ["application_id", "applied_at", *cols],
        "applications",
        "pass a frame from lendlab.world.generate (or name the model's inputs with features=)",
    )
    _datetimes(applications, "applied_at", "applications")
    if applications["application_id"].duplicated().any():
        dup = applications.loc[applications["application_id"].duplicated(), "application_id"]
        raise ValueError(
            f"applications['application_id'] has duplicates (e.g. {dup.iloc[0]!r}); a decision "
            "log needs one row per application: drop duplicated rows (a fanned-out join?) first"
        )

    X = applications[cols].reset_index(drop=True)
    p = np.asarray(model.predict_pd(X), dtype=float).ravel()
    if p.size != len(X):
        raise ValueError(f"model.predict_pd returned {p.size} PDs for {len(X)} applications")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("model.predict_pd returned values outside [0, 1] or NaN; check the model")
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


def decision_mix(log: pd.DataFrame, *, freq: str = "MS", by: str | None = None) -> pd.DataFrame:
    """Approval, manual-review and decline rates per period: proxies that move immediately.

    Parameters
    ----------
    log : DataFrame
        A decision log (:func:`decision_log`): ``applied_at``, ``decision``, ``pd``.
    freq : {"MS", "W", "D"}, default "MS"
        Period: calendar month (``"MS"``, also ``"M"``), week starting Monday (``"W"``) or
        day (``"D"``).
    by : str, optional
        A column to split by as well (e.g. ``"channel"``).

    Returns
    -------
    DataFrame
        One row per period (and group): ``period`` (start, UTC), ``applications``,
        ``approval_rate``, ``review_rate``, ``decline_rate`` (they sum to 1) and ``mean_pd``.

    Examples
    --------
    >>> log = pd.DataFrame({
    ...     "applied_at": pd.to_datetime(["2025-01-02", "2025-01-20", "2025-02-03"], utc=True),
    ...     "decision": ["approve", "decline", "review"], "pd": [0.05, 0.4, 0.2]})
    >>> decision_mix(log)[["period", "applications", "approval_rate", "review_rate"]]
                         period  applications  approval_rate  review_rate
    0 2025-01-01 00:00:00+00:00             2            0.5          0.0
    1 2025-02-01 00:00:00+00:00             1            0.0          1.0
    """
    log = _frame(log, "log")
    needed = ["applied_at", "decision", "pd"] + ([by] if by is not None else [])
    _require(log, needed, "log", "pass a frame from lendlab.monitoring.decision_log")
    when = _datetimes(log, "applied_at", "log")
    decision = log["decision"].astype("str")
    unknown = sorted(set(decision.unique()) - set(DECISIONS))
    if unknown:
        raise ValueError(f"log['decision'] has unknown value(s) {unknown}; use {list(DECISIONS)}")
    periods = {"D": "D", "W": "W", "M": "M", "MS": "M"}
    if freq not in periods:
        raise ValueError(
            f"freq={freq!r} is not supported; use 'D' (day), 'W' (week from Monday) or "
            "'MS' (calendar month)"
        )
    naive = when.dt.tz_localize(None) if when.dt.tz is not None else when
    period = naive.dt.to_period(periods[freq]).dt.start_time
    if when.dt.tz is not None:
        period = period.dt.tz_localize(when.dt.tz)
    keys = [period.rename("period")] + ([log[by]] if by is not None else [])
    frame = pd.DataFrame(
        {
            "approve": (decision == "approve").to_numpy(),
            "review": (decision == "review").to_numpy(),
            "decline": (decision == "decline").to_numpy(),
            "pd": log["pd"].to_numpy(dtype=float),
        },
        index=log.index,
    )
    grouped = frame.groupby(keys, observed=True, sort=True)
    out = pd.DataFrame(
        {
            "applications": grouped.size(),
            "approval_rate": grouped["approve"].mean(),
            "review_rate": grouped["review"].mean(),
            "decline_rate": grouped["decline"].mean(),
            "mean_pd": grouped["pd"].mean(),
        }
    )
    return out.reset_index()


# --------------------------------------------------------------------------- outcomes


def loan_performance(
    book: pd.DataFrame,
    as_of: Any,
    *,
    approved: str | pd.Series = "approved_policy",
) -> pd.DataFrame:
    """What the servicing ledger knows as of a date: booked loans, months on book, defaults so far.

    :func:`lendlab.world.observed` plus ``vintage`` (``YYYY-MM`` of booking) and
    ``default_month`` (month on book of the default, for defaults already seen; ``NaN`` for
    loans that have not defaulted *yet*). Defaults after ``as_of`` stay invisible: a lender
    knows when a loan charged off, never whether a current loan will.

    Parameters
    ----------
    book : DataFrame
        A world frame (:func:`lendlab.world.generate`) with the truth columns.
    as_of : str or Timestamp
        The date the lender looks.
    approved : str or boolean Series, default "approved_policy"
        Which applications were booked (e.g. ``log["decision"].eq("approve")`` aligned to
        ``book``).

    Examples
    --------
    >>> from lendlab import world
    >>> book = world.generate(5_000, seed=3, start="2024-01-01", days=365)
    >>> perf = loan_performance(book, "2025-01-01")
    >>> bool((perf["default_month"].notna() == perf["bad_so_far"].astype(bool)).all())
    True
    >>> seen = perf[perf["default_month"].notna()]
    >>> bool((seen["default_month"] <= seen["months_on_book"]).all())
    True
    """
    from lendlab import world

    book = _frame(book, "book")
    _require(
        book, ["applied_at", "months_to_default"], "book", "pass lendlab.world.generate output"
    )
    if isinstance(approved, pd.Series) and not approved.index.equals(book.index):
        raise ValueError("approved must be aligned to book (same index); build it from book's rows")
    view = world.observed(book, as_of, approved=approved)
    seen = view["bad_so_far"].to_numpy().astype(bool)
    month = book.loc[view.index, "months_to_default"].to_numpy(dtype=float)
    view["default_month"] = np.where(seen, month, np.nan)
    view["vintage"] = _vintage(view["applied_at"]).to_numpy()
    return view


def _performance_columns(view: pd.DataFrame, name: str, needed: Sequence[str], fix: str) -> None:
    _frame(view, name)
    _require(view, needed, name, fix)
    mob = view["months_on_book"]
    if not pd.api.types.is_numeric_dtype(mob) or mob.isna().any() or (mob < 0).any():
        raise ValueError(
            f"{name}['months_on_book'] must be whole months >= 0 without missing values"
        )


def vintage_curve(performance: pd.DataFrame, *, max_months: int | None = None) -> pd.DataFrame:
    """Cumulative bad rate by month on book for each monthly vintage (a seasoning chart).

    ``cum_bad_rate`` at month ``m`` of vintage ``v`` = loans of ``v`` that defaulted at or before
    month ``m`` on book / all loans of ``v``. A point is shown only when *every* loan of the
    vintage has been on book at least ``m`` months, so each curve stops where its data stops
    (the newest vintages have short curves: right-censoring, not better loans).

    Parameters
    ----------
    performance : DataFrame
        :func:`loan_performance` output: ``applied_at``, ``months_on_book``,
        ``default_month`` (``vintage`` is derived from ``applied_at`` when absent).
    max_months : int, optional
        Stop the curves at this month on book.

    Returns
    -------
    DataFrame
        Long format: ``vintage``, ``months_on_book`` (1..), ``loans``, ``bads`` (cumulative),
        ``cum_bad_rate``; sorted by vintage then month.

    Examples
    --------
    >>> perf = pd.DataFrame({
    ...     "applied_at": pd.to_datetime(["2025-01-05", "2025-01-20", "2025-02-10"], utc=True),
    ...     "months_on_book": [3, 3, 2], "default_month": [2.0, float("nan"), float("nan")]})
    >>> vintage_curve(perf)
       vintage  months_on_book  loans  bads  cum_bad_rate
    0  2025-01               1      2     0           0.0
    1  2025-01               2      2     1           0.5
    2  2025-01               3      2     1           0.5
    3  2025-02               1      1     0           0.0
    4  2025-02               2      1     0           0.0
    """
    _performance_columns(
        performance,
        "performance",
        ["applied_at", "months_on_book", "default_month"],
        "build it with lendlab.monitoring.loan_performance(book, as_of); world.observed alone "
        "does not keep the month of default",
    )
    if max_months is not None and (
        isinstance(max_months, bool)
        or not isinstance(max_months, (int, np.integer))
        or max_months < 1
    ):
        raise ValueError(f"max_months must be a positive whole number, got {max_months!r}")
    dm = performance["default_month"].to_numpy(dtype=float)
    mob = performance["months_on_book"].to_numpy()
    if np.any(dm[~np.isnan(dm)] > mob[~np.isnan(dm)]):
        raise ValueError(
            "performance['default_month'] is after months_on_book for some loans: the view "
            "holds defaults the lender cannot have seen yet; build it with loan_performance"
        )
    vintage = (
        performance["vintage"].astype("str")
        if "vintage" in performance.columns
        else _vintage(_datetimes(performance, "applied_at", "performance"))
    )
    rows = []
    for v, idx in vintage.groupby(vintage.to_numpy(), sort=True).indices.items():
        horizon = int(mob[idx].min())
        if max_months is not None:
            horizon = min(horizon, int(max_months))
        if horizon < 1:
            continue
        months = np.arange(1, horizon + 1)
        d = dm[idx]
        bads = np.searchsorted(np.sort(d[~np.isnan(d)]), months, side="right")
        rows.append(
            pd.DataFrame({"vintage": v, "months_on_book": months, "loans": idx.size, "bads": bads})
        )
    if not rows:
        raise ValueError("no vintage has a full month on book yet; look at a later as_of date")
    out = pd.concat(rows, ignore_index=True)
    out["vintage"] = out["vintage"].astype("str")
    out["months_on_book"] = out["months_on_book"].astype("int64")
    out["loans"] = out["loans"].astype("int64")
    out["bads"] = out["bads"].astype("int64")
    out["cum_bad_rate"] = out["bads"] / out["loans"]
    return out


def bad_rate_by_vintage(view: pd.DataFrame) -> pd.DataFrame:
    """The naive dashboard: bad rate so far per monthly vintage, as of the view's date.

    Works on :func:`lendlab.world.observed` output directly. Vintages differ in age, so this
    table compares loans at different months on book: the newest vintages always look good.

    Returns
    -------
    DataFrame
        ``vintage``, ``loans``, ``min_months_on_book``, ``bads_so_far``, ``bad_rate_so_far``.

    Examples
    --------
    >>> view = pd.DataFrame({
    ...     "applied_at": pd.to_datetime(["2024-01-05", "2024-01-20", "2025-06-10"], utc=True),
    ...     "months_on_book": [17, 17, 2], "bad_so_far": [1, 0, 0]})
    >>> bad_rate_by_vintage(view)
       vintage  loans  min_months_on_book  bads_so_far  bad_rate_so_far
    0  2024-01      2                  17            1              0.5
    1  2025-06      1                   2            0              0.0
    """
    _performance_columns(
        view,
        "view",
        ["applied_at", "months_on_book", "bad_so_far"],
        "pass lendlab.world.observed(book, as_of) output",
    )
    bad = view["bad_so_far"]
    if not pd.api.types.is_numeric_dtype(bad) or not bad.isin([0, 1]).all():
        raise ValueError("view['bad_so_far'] must be 0/1 per loan")
    vintage = (
        view["vintage"].astype("str")
        if "vintage" in view.columns
        else _vintage(_datetimes(view, "applied_at", "view"))
    )
    grouped = pd.DataFrame(
        {
            "vintage": vintage.to_numpy(),
            "mob": view["months_on_book"].to_numpy(),
            "bad": bad.to_numpy(dtype=np.int64),
        }
    ).groupby("vintage", sort=True)
    out = pd.DataFrame(
        {
            "loans": grouped.size().astype("int64"),
            "min_months_on_book": grouped["mob"].min().astype("int64"),
            "bads_so_far": grouped["bad"].sum().astype("int64"),
        }
    )
    out["bad_rate_so_far"] = out["bads_so_far"] / out["loans"]
    out = out.reset_index()
    out["vintage"] = out["vintage"].astype("str")
    return out


# --------------------------------------------------------------------------- label-free estimate


def expected_outcomes(pd_values: Any, *, cutoff: float) -> pd.Series:
    """Expected decision outcomes from calibrated PDs, before any label arrives (the CBPE idea).

    If the PDs are calibrated, an approved application with PD ``p`` is an expected ``p`` of a
    bad loan and ``1 - p`` of a good one. Summing gives the expected confusion counts at the
    cutoff and the expected bad rate among approved loans (the mean PD of the approved).

    This holds under covariate shift (the applicant mix changes, ``P(bad | inputs)`` does
    not). It is blind to concept shift: when the same inputs start to mean more risk (a macro
    shock, a reporting change), the PDs do not move and neither does the estimate.

    Parameters
    ----------
    pd_values : array-like of float
        Calibrated probabilities of default in [0, 1].
    cutoff : float
        Approve when ``pd < cutoff``.

    Returns
    -------
    Series
        ``applications``, ``approved``, ``approval_rate``, ``expected_approved_bad``,
        ``expected_approved_good``, ``expected_declined_bad``, ``expected_declined_good``,
        ``expected_bad_rate_approved`` (floats; the counts are expectations, not integers).

    Examples
    --------
    >>> expected_outcomes([0.02, 0.10, 0.30, 0.60], cutoff=0.2).round(3)
    applications                  4.00
    approved                      2.00
    approval_rate                 0.50
    expected_approved_bad         0.12
    expected_approved_good        1.88
    expected_declined_bad         0.90
    expected_declined_good        1.10
    expected_bad_rate_approved    0.06
    Name: expected, dtype: float64
    """
    p = np.asarray(pd_values, dtype=float).ravel() if not isinstance(pd_values, str) else None
    if p is None:
        raise TypeError(f"pd_values must be an array of PDs, got {pd_values!r}")
    if p.size == 0:
        raise ValueError("pd_values is empty; pass the PDs of at least one application")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("pd_values must be probabilities of default in [0, 1] without NaN")
    cut = _probability(cutoff, "cutoff")
    ok = p < cut
    if not ok.any():
        raise ValueError(
            f"no application is approved at cutoff={cutoff!r} (every pd >= cutoff): the expected "
            "bad rate among approved is undefined; check the cutoff"
        )
    return pd.Series(
        {
            "applications": float(p.size),
            "approved": float(ok.sum()),
            "approval_rate": float(ok.mean()),
            "expected_approved_bad": float(p[ok].sum()),
            "expected_approved_good": float((1 - p[ok]).sum()),
            "expected_declined_bad": float(p[~ok].sum()),
            "expected_declined_good": float((1 - p[~ok]).sum()),
            "expected_bad_rate_approved": float(p[ok].mean()),
        },
        name="expected",
    )
