"""Week 1 scenario: a two-year book, a champion scorecard and a cutoff change, seen on Monday.

The learner's world: 2024 and 2025 applications (:func:`lendlab.world.generate`); the champion
:class:`lendlab.models.Scorecard` fitted on 70% of the 2024 applications that passed the
knock-out rules (the other 30% is the sign-off sample); the loans the platform **booked**, those
approved by the rules *and* by the cutoff in force on the application day (0.20 until the growth
change of 1 July 2025, 0.30 since: :func:`booked_mask`); the lender's view of them as of Monday
5 January 2026 (:func:`lendlab.world.observed`: censored outcomes, delinquency so far); the
2025 back-test (every 2025 application that reached the scorecard, with lifetime outcomes); the
cost table of the PD cutoff (:data:`SETTINGS`); and the early-delinquency comparison at equal
months on book (:func:`early_delinquency`).

In the lab::

    from lendlab.course.scenarios import week01 as scenario
    ctx = scenario.build_context(seed=seed, n=n)

:func:`build_context` rebuilds exactly what the lab binds to ``lendlab.course.exercises.week01``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from lendlab import world
from lendlab.course.scenarios.common import utc

__all__ = [
    "EARLY_MONTHS",
    "LIKE_FOR_LIKE_RULE",
    "SETTINGS",
    "booked_mask",
    "build_context",
    "early_delinquency",
]

#: The settings the lab uses (its "Setup" cell shows the same values).
SETTINGS: dict[str, Any] = {
    "start": "2024-01-01",  # first application day
    "days": 731,  # 2024 (leap year) and 2025
    "as_of": "2026-01-05",  # Monday 9 a.m.: the day the lender looks
    "split": "2025-01-01",  # develop on 2024 applications, back-test on 2025 applications
    "change": "2025-07-01",  # the growth-team change: cutoff 0.20 -> 0.30 from this day
    "cutoff": 0.30,  # the PD cutoff in production since the growth change
    "old_cutoff": 0.20,  # the cutoff before it
    "lgd": 0.6,  # loss given default, applied to the amount lent (a simplification)
    "margin": 0.15,  # net lifetime margin on a good loan, share of the amount
    "cutoffs": tuple(np.round(np.arange(0.05, 0.505, 0.01), 2).tolist()),
}

#: Early delinquency is read at this many months on book (30+ DPD within the first months).
EARLY_MONTHS = 3
#: Like-for-like early delinquency (new bookings the old cutoff would also have approved, over
#: the bookings before the change) above this ratio says the borrowers' repayment moved.
LIKE_FOR_LIKE_RULE = 1.25


def booked_mask(book: pd.DataFrame, *, change: Any, cutoff: float, old_cutoff: float) -> pd.Series:
    """Which applications became loans: passed the knock-out rules and PD < the cutoff in force.

    Parameters
    ----------
    book : DataFrame
        Applications with ``applied_at``, ``approved_policy`` and ``pd`` (NaN for applications
        the rules knocked out: they are never scored, and never booked).
    change : date
        The day the cutoff moved from ``old_cutoff`` to ``cutoff`` (UTC).
    cutoff, old_cutoff : float
        The cutoff since ``change`` and the one before it.

    Returns
    -------
    pandas.Series of bool
        Aligned to ``book`` (pass it to ``world.observed(..., approved=...)``).

    Examples
    --------
    >>> apps = pd.DataFrame({
    ...     "applied_at": pd.to_datetime(["2025-06-30", "2025-07-01", "2025-07-02"], utc=True),
    ...     "approved_policy": [True, True, False], "pd": [0.25, 0.25, np.nan]})
    >>> booked_mask(apps, change="2025-07-01", cutoff=0.30, old_cutoff=0.20).tolist()
    [False, True, False]
    """
    for column in ("applied_at", "approved_policy", "pd"):
        if column not in book.columns:
            raise ValueError(
                f"book has no {column!r} column; score the knock-out passes first "
                "(book['pd'] = NaN, then the scorecard's PD on the passes)"
            )
    in_force = np.where(book["applied_at"] < utc(change), old_cutoff, cutoff)
    return book["approved_policy"] & (book["pd"] < in_force)


def early_delinquency(
    view: pd.DataFrame,
    book: pd.DataFrame,
    *,
    change: Any,
    old_cutoff: float,
    months: int = EARLY_MONTHS,
) -> dict[str, float]:
    """30+ DPD within the first ``months`` on book, for loans booked before and since ``change``.

    Only loans at least ``months`` old on the view's date count (equal months on book), and for
    them the first 30+ DPD month (``book["months_to_dpd30"]``) up to ``months`` is history the
    lender has already seen.

    Returns
    -------
    dict
        ``before`` and ``since`` (shares), ``like`` (since, PD < ``old_cutoff``: loans the old
        cutoff would also have approved), ``band`` (since, PD >= ``old_cutoff``: the loans the
        change added), ``like_for_like`` (``like / before``) and the counts ``n_before``,
        ``n_since``.

    Examples
    --------
    >>> from lendlab.course.scenarios import week01 as scenario
    >>> ctx = scenario.build_context(seed=3, n=20_000)
    >>> e = scenario.early_delinquency(ctx["view"], ctx["book"], change="2025-07-01",
    ...                                old_cutoff=0.20)
    >>> 0 < e["before"] < 0.2 and 0 < e["since"] < 0.2
    True
    """
    seasoned = view[view["months_on_book"] >= months]
    late = (book.loc[seasoned.index, "months_to_dpd30"] <= months).to_numpy()
    before = (seasoned["applied_at"] < utc(change)).to_numpy()
    like = ~before & (seasoned["pd"] < old_cutoff).to_numpy()
    band = ~before & ~like

    def share(mask: np.ndarray) -> float:
        return float(late[mask].mean()) if mask.any() else float("nan")

    out = {
        "before": share(before),
        "since": share(~before),
        "like": share(like),
        "band": share(band),
        "n_before": int(before.sum()),
        "n_since": int((~before).sum()),
    }
    out["like_for_like"] = out["like"] / out["before"] if out["before"] > 0 else float("nan")
    return out


def build_context(*, seed: int = 2026, n: int = 150_000) -> dict[str, Any]:
    """Rebuild the lab's data for ``seed`` and ``n`` (what the lab passes to ``ex.bind``).

    Mirrors the lab cell by cell: the world; the champion scorecard fitted on 70% of the 2024
    knock-out passes and its PD on every knock-out pass (``book["pd"]``, NaN for the rest); the
    booked loans and the lender's view of them as of Monday; the sign-off sample (``valid``);
    the 2025 back-test (``backtest``: 2025 knock-out passes, lifetime outcome ``defaulted``); and
    every 2025 application (``apps_2025``) for the fair-lending check.

    Examples
    --------
    >>> ctx = build_context(seed=3, n=20_000)
    >>> sorted(k for k in ctx if k in ("book", "view", "valid", "backtest", "apps_2025"))
    ['apps_2025', 'backtest', 'book', 'valid', 'view']
    >>> bool(ctx["backtest"]["pd"].between(0, 1).all()), bool(ctx["view"]["pd"].notna().all())
    (True, True)
    """
    from lendlab.models import Scorecard  # lazily: importing a week must stay cheap

    s = SETTINGS
    book = world.generate(n, seed=seed, start=s["start"], days=s["days"])
    passed = book[book["approved_policy"]]
    split = utc(s["split"])
    dev = passed[passed["applied_at"] < split]
    train, valid = train_test_split(
        dev, test_size=0.3, random_state=seed, stratify=dev["defaulted"]
    )
    features = list(world.FEATURES)
    scorecard = Scorecard(features=features).fit(train[features], train["defaulted"])
    book["pd"] = np.nan
    book.loc[passed.index, "pd"] = scorecard.predict_pd(passed[features])
    valid = book.loc[valid.index]
    booked = booked_mask(book, change=s["change"], cutoff=s["cutoff"], old_cutoff=s["old_cutoff"])
    view = world.observed(book, s["as_of"], approved=booked)
    backtest = book[book["approved_policy"] & (book["applied_at"] >= split)]
    apps_2025 = book[book["applied_at"] >= split]
    return {
        "book": book,
        "view": view,
        "valid": valid,
        "backtest": backtest,
        "apps_2025": apps_2025,
        **s,
    }
