"""Decision mix: approval, manual-review and decline rates per period.

These are the proxies that move the day something breaks (a feed sends nulls, a cutoff is
mis-set, a channel floods), months before any outcome arrives. Read them from the decision
record (:func:`lendlab.monitoring.decision_log`).

Example
-------
>>> import pandas as pd
>>> log = pd.DataFrame({"applied_at": pd.to_datetime(["2025-01-02", "2025-01-20"], utc=True),
...                     "decision": ["approve", "decline"], "pd": [0.05, 0.4]})
>>> decision_mix(log)["approval_rate"].tolist()
[0.5]
"""

from __future__ import annotations

import pandas as pd

from lendlab.monitoring.decision_record import DECISIONS
from lendlab.validation import check_columns, check_frame, datetime_column, numeric_column

__all__ = ["decision_mix"]


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
        ``approval_rate``, ``review_rate``, ``decline_rate`` (they sum to 1) and ``mean_pd``
        (over the decisions that have a PD; rules-fallback decisions have none).

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
    log = check_frame(log, "log")
    needed = ["applied_at", "decision", "pd"] + ([by] if by is not None else [])
    check_columns(log, needed, "log", fix="pass a frame from lendlab.monitoring.decision_log")
    when = datetime_column(log, "applied_at", "log")
    decision = log["decision"].astype("str")
    unknown = sorted(set(decision.unique()) - set(DECISIONS))
    if unknown:
        raise ValueError(
            f"log['decision'] has unknown value(s) {unknown}; use {list(DECISIONS)} "
            "(the values lendlab.monitoring.decision_log writes)"
        )
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
            # text PDs are refused; a missing PD (a rules-fallback decision has none) is left
            # out of mean_pd rather than turning the period's mean into NaN
            "pd": numeric_column(log["pd"], "decision_mix"),
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
