"""Fit time and holdout quality of the models. ``python benchmarks/bench_models.py``.

Targets (lendlab.models brief): Scorecard fit on 50k rows < 2 s, Challenger fit < 5 s.
Quality: holdout AUC of approved loans against the lifetime truth ``defaulted``.

Setup: ``world.generate(--apps, seed=0)``; the policy-approved loans are split in time order:
the first ``--train-rows`` train, the rest are the holdout. Also fits the scorecard on the
label a lender really has (12-month bads from ``world.observed``) to show the cost of
immature labels. Prints every timing run and the median (the first, cold, run not counted),
and the artifact size and save/load time of each model (``lendlab.models.save_model``), with a
check that the loaded model gives bit-for-bit the same PDs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from lendlab import metrics, world
from lendlab.models import Challenger, Scorecard, load_model, save_model


def _timed(fit, repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat + 1):
        start = time.perf_counter()
        fit()
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:]), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--apps", type=int, default=200_000)
    parser.add_argument("--train-rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    book = world.generate(args.apps, seed=0)
    loans = book[book["approved_policy"]]
    train, holdout = loans.iloc[: args.train_rows], loans.iloc[args.train_rows :]
    y_train, y_hold = train["defaulted"], holdout["defaulted"]
    print(f"cores available: {os.cpu_count()}")
    print(f"approved loans: {len(loans):,}; train {len(train):,}; holdout {len(holdout):,}")
    print(f"holdout bad rate: {y_hold.mean():.3f}")

    results = {}
    for name, make, target in (
        ("Scorecard", Scorecard, 2.0),
        ("Challenger", Challenger, 5.0),
    ):
        median, times = _timed(lambda make=make: make().fit(train, y_train), args.repeat)
        model = make().fit(train, y_train)
        p = model.predict_pd(holdout)
        results[name] = p
        print(
            f"{name}: fit {len(train):,} rows median {median:.2f} s "
            f"(runs {', '.join(f'{t:.2f}' for t in times)}); target < {target:g} s: "
            f"{'MET' if median < target else 'MISSED'}"
        )
        print(
            f"  holdout AUC {metrics.roc_auc(y_hold, p):.4f}  Gini {metrics.gini(y_hold, p):.4f}"
            f"  KS {metrics.ks_statistic(y_hold, p):.4f}"
            f"  Brier {metrics.brier_score(y_hold, p):.4f}"
            f"  ECE {metrics.expected_calibration_error(y_hold, p):.4f}"
        )
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{name.lower()}.joblib"
            start = time.perf_counter()
            save_model(model, path)
            saved = time.perf_counter() - start
            start = time.perf_counter()
            loaded = load_model(path)
            load_s = time.perf_counter() - start
            same = np.array_equal(loaded.predict_pd(holdout), p)
            print(
                f"  artifact {path.stat().st_size / 1024:.0f} KiB; save {saved:.3f} s, "
                f"load (sha256 checked) {load_s:.3f} s; same PDs after load: {same}"
            )

    print(f"pd_true on holdout (ceiling): AUC {metrics.roc_auc(y_hold, holdout['pd_true']):.4f}")
    card = Scorecard().fit(train, y_train)
    iv = card.information_value().round(3)
    print("Scorecard information value:", ", ".join(f"{k} {v}" for k, v in iv.items()))

    # What a lender can actually train on: the same training loans, but labelled with the
    # 12-month outcome seen a year after the last of them was booked (about 40% of eventual
    # bads are visible by month 12).
    as_of = train["applied_at"].max() + pd.Timedelta(days=366)
    view = world.observed(train, as_of, window_months=12)
    observed_card = Scorecard().fit(view, view["bad_in_window"])
    p_obs = observed_card.predict_pd(holdout)
    print(
        f"Scorecard on observed 12-month labels ({len(view):,} loans, bad rate "
        f"{view['bad_in_window'].mean():.3f}): holdout AUC {metrics.roc_auc(y_hold, p_obs):.4f}"
        f"  mean PD {p_obs.mean():.3f} vs holdout bad rate {y_hold.mean():.3f}"
    )


if __name__ == "__main__":
    main()
