"""Calendar helpers the weekly scenarios share: UTC timestamps and date windows."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["between", "utc"]


def utc(value: Any) -> pd.Timestamp:
    """``value`` as a UTC timestamp: a naive date is read as UTC, an aware one converted.

    Examples
    --------
    >>> utc("2025-03-31")
    Timestamp('2025-03-31 00:00:00+0000', tz='UTC')
    >>> utc(pd.Timestamp("2025-03-31 02:00", tz="Europe/Berlin"))
    Timestamp('2025-03-31 00:00:00+0000', tz='UTC')
    """
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        raise ValueError(f"{value!r} is not a date; pass one like '2025-03-31'")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def between(frame: pd.DataFrame, start: Any, end: Any = None) -> pd.DataFrame:
    """Rows of ``frame`` with ``applied_at`` in ``[start, end)``; dates are read as UTC.

    Examples
    --------
    >>> from lendlab import world
    >>> book = world.generate(500, seed=1, start="2025-01-01", days=10)
    >>> len(between(book, "2025-01-03", "2025-01-05")) < len(book)
    True
    """
    if not isinstance(frame, pd.DataFrame) or "applied_at" not in frame.columns:
        raise ValueError("frame must be a DataFrame with an 'applied_at' column (a world frame)")
    keep = frame["applied_at"] >= utc(start)
    if end is not None:
        keep &= frame["applied_at"] < utc(end)
    return frame[keep]
