"""Loan performance before the labels mature: the servicing ledger as of a date, and vintages.

* :func:`loan_performance` - what the servicing ledger knows as of a date: booked loans, months
  on book, the defaults seen so far and the month on book they happened;
* :func:`vintage_curve` - cumulative bad rate by month on book per monthly vintage (a
  seasoning chart: each curve stops where its data stops);
* :func:`bad_rate_by_vintage` - the naive dashboard, bad rate so far per vintage (why the
  newest vintage always looks good: right-censoring).

The first charge-off arrives around month 5 on book, so a book must be read this way for
months before its outcomes can be used.

Example
-------
>>> from lendlab import world
>>> book = world.generate(2_000, seed=3, start="2024-01-01", days=365)
>>> curve = vintage_curve(loan_performance(book, "2025-06-01"))
>>> bool(curve.groupby("vintage")["cum_bad_rate"].is_monotonic_increasing.all())
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lendlab.validation import check_columns, check_frame, datetime_column

__all__ = ["bad_rate_by_vintage", "loan_performance", "vintage_curve"]


def _vintage(applied_at: pd.Series) -> pd.Series:
    """Monthly vintage label ``YYYY-MM`` (the month a loan was booked).

    Formats each distinct month once: ``dt.strftime`` on tz-aware times costs ~1.5 s per 50k rows.
    """
    month = applied_at.dt.year.to_numpy() * 12 + applied_at.dt.month.to_numpy() - 1
    distinct, where = np.unique(month, return_inverse=True)
    labels = np.array([f"{m // 12:04d}-{m % 12 + 1:02d}" for m in distinct], dtype=object)
    return pd.Series(labels[where], index=applied_at.index, name="vintage", dtype="str")


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

    book = check_frame(book, "book")
    check_columns(
        book, ["applied_at", "months_to_default"], "book", fix="pass lendlab.world.generate output"
    )
    if isinstance(approved, pd.Series) and not approved.index.equals(book.index):
        raise ValueError(
            "approved must be aligned to book (same index); build it from book's rows, "
            "e.g. book['approved_policy'] or log['decision'].eq('approve').set_axis(book.index)"
        )
    view = world.observed(book, as_of, approved=approved)
    seen = view["bad_so_far"].to_numpy().astype(bool)
    month = book.loc[view.index, "months_to_default"].to_numpy(dtype=float)
    view["default_month"] = np.where(seen, month, np.nan)
    view["vintage"] = _vintage(view["applied_at"]).to_numpy()
    return view


def _performance_columns(view: pd.DataFrame, name: str, needed: Sequence[str], fix: str) -> None:
    check_frame(view, name)
    check_columns(view, needed, name, fix=fix)
    mob = view["months_on_book"]
    if not pd.api.types.is_numeric_dtype(mob) or mob.isna().any() or (mob < 0).any():
        raise ValueError(
            f"{name}['months_on_book'] must be whole months >= 0 without missing values; "
            "build the view with lendlab.monitoring.loan_performance or lendlab.world.observed"
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
        else _vintage(datetime_column(performance, "applied_at", "performance"))
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
        raise ValueError(
            "view['bad_so_far'] must be 0/1 per loan; pass lendlab.world.observed(book, as_of) "
            "output"
        )
    vintage = (
        view["vintage"].astype("str")
        if "vintage" in view.columns
        else _vintage(datetime_column(view, "applied_at", "view"))
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
