"""Week 1 scenario: a two-year book and a champion scorecard, seen on Monday 5 January 2026.

The learner's world: 2024 and 2025 applications (:func:`lendlab.world.generate`), the lender's
view of them as of Monday 5 January 2026 (:func:`lendlab.world.observed`: censored outcomes),
the champion :class:`lendlab.models.Scorecard` fitted on 70% of the 2024 booked loans, its PD
on the other 30% (the sign-off sample) and on the 2025 applications that passed the knock-out
rules (the back-test), and the cost table of the PD cutoff (:data:`SETTINGS`).

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

__all__ = ["SETTINGS", "build_context"]

#: The settings the lab uses (its "Setup" cell shows the same values).
SETTINGS: dict[str, Any] = {
    "start": "2024-01-01",  # first application day
    "days": 731,  # 2024 (leap year) and 2025
    "as_of": "2026-01-05",  # Monday 9 a.m.: the day the lender looks
    "split": "2025-01-01",  # develop on 2024 loans, back-test on 2025 applications
    "cutoff": 0.30,  # the PD cutoff in production since the growth change
    "old_cutoff": 0.20,  # the cutoff before it
    "lgd": 0.6,  # loss given default: share of the amount lost on a bad loan
    "margin": 0.15,  # net lifetime margin on a good loan, share of the amount
    "cutoffs": tuple(np.round(np.arange(0.05, 0.505, 0.01), 2).tolist()),
}


def build_context(*, seed: int = 2026, n: int = 150_000) -> dict[str, Any]:
    """Rebuild the lab's data for ``seed`` and ``n`` (what the lab passes to ``ex.bind``).

    Mirrors the lab cell by cell: the world, the lender's view as of Monday, the champion
    scorecard fitted on 70% of the 2024 booked loans, its PD on the other 30% (``valid``,
    the sign-off sample) and on the 2025 applications that passed the knock-out rules
    (``backtest``), each with the world's lifetime outcome ``defaulted``.

    Examples
    --------
    >>> ctx = build_context(seed=3, n=20_000)
    >>> sorted(k for k in ctx if k in ("book", "view", "valid", "backtest"))
    ['backtest', 'book', 'valid', 'view']
    >>> bool(ctx["backtest"]["pd"].between(0, 1).all())
    True
    """
    from lendlab.models import Scorecard  # lazily: importing a week must stay cheap

    s = SETTINGS
    book = world.generate(n, seed=seed, start=s["start"], days=s["days"])
    view = world.observed(book, s["as_of"])

    booked = book[book["approved_policy"]]
    dev = booked[booked["applied_at"] < pd.Timestamp(s["split"], tz="UTC")]
    backtest = booked[booked["applied_at"] >= pd.Timestamp(s["split"], tz="UTC")]
    train, valid = train_test_split(
        dev, test_size=0.3, random_state=seed, stratify=dev["defaulted"]
    )
    features = list(world.FEATURES)
    scorecard = Scorecard(features=features).fit(train[features], train["defaulted"])
    valid = valid.assign(pd=scorecard.predict_pd(valid[features]))
    backtest = backtest.assign(pd=scorecard.predict_pd(backtest[features]))
    return {"book": book, "view": view, "valid": valid, "backtest": backtest, **s}
