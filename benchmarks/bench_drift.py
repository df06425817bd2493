"""Benchmark lendlab.drift against Evidently 0.7 on lending-shaped data (numpy only, seeded).

Two measurements, side by side in one run:

1. Drift table: reference and current of 1,000,000 rows each, 10 numeric columns and one
   categorical. lendlab's default ``drift_table`` (PSI on reference deciles, bins prepared
   inside the call) against Evidently's ``DataDriftPreset`` on the same frames. Target: at least
   100x faster. A plain numpy PSI (np.quantile + np.histogram per column) is shown for context.
2. Drift over time: a 1,000,000-row decision log over 90 days, 4 segments, the 12
   ``lendlab.world.schema.MONITORED_FEATURES`` plus the model score, reference prepared once
   (missing values as a bin of their own: ``verified_income`` is NaN when not verified).
   Target: under 1 s. Evidently would need one report per day and segment (360); we time ONE
   report on a typical window and multiply by 360, which is an extrapolation, not a measurement.

Evidently runs once (it is slow); lendlab runs ``--repeats`` times and the median is reported.

    python benchmarks/bench_drift.py            # full sizes (Evidently takes about a minute)
    python benchmarks/bench_drift.py --quick    # small sizes, a smoke run
    python benchmarks/bench_drift.py --quick --skip-evidently
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lendlab.drift import drift_over_time, drift_table, prepare_reference  # noqa: E402
from lendlab.world.schema import CATEGORIES, FEATURES, MONITORED_FEATURES  # noqa: E402

NUMERIC = list(FEATURES)  # the 10 numeric model inputs
# What a drift dashboard watches (12 columns, lendlab.world.schema) + the model score
MONITORED = [*MONITORED_FEATURES, "score"]
SEGMENTS = list(CATEGORIES["segment"])
CHANNELS = list(CATEGORIES["channel"])
VERIFICATION = list(CATEGORIES["income_verification"])


def applications(n: int, *, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """Lending-shaped applications; ``shift`` moves scores down and DTI up (a drifted month)."""
    rng = np.random.default_rng(seed)
    fico = np.clip(np.rint(rng.normal(640 - 25 * shift, 60, n)), 300, 850)
    income = np.round(np.exp(rng.normal(11.08, 0.55, n)), 0)
    dti = np.round(rng.beta(2.78 + shift, 4.10, n) * 45, 2)
    loan = np.round(np.exp(rng.normal(np.log(12_000), 0.6, n)) / 25) * 25
    frame = pd.DataFrame(
        {
            "fico": fico.astype(np.int64),
            "annual_income": income,
            "dti": dti,
            "loan_amount": np.clip(loan, 500, 40_000),
            "term_months": np.where(rng.random(n) < 0.76 - 0.1 * shift, 36, 60),
            "inquiries_6m": rng.poisson(0.66 + 0.3 * shift, n),
            "revol_util": np.round(np.clip(rng.normal(52, 24, n), 0, 120), 1),
            "emp_length_years": rng.integers(0, 11, n).astype(np.float64),
            "delinq_2y": rng.poisson(0.32, n) * (rng.random(n) < 0.5),
            "open_accounts": np.clip(rng.poisson(11.6, n), 1, 60),
            "channel": pd.Categorical(
                rng.choice(CHANNELS, n, p=[0.45 - 0.1 * shift, 0.25, 0.15 + 0.1 * shift, 0.15]),
                categories=CHANNELS,
            ),
        }
    )
    return frame


def decision_log(n: int, *, seed: int, days: int = 90) -> pd.DataFrame:
    """A scored decision log: applications over ``days`` days, a segment and a model score."""
    rng = np.random.default_rng(seed)
    frame = applications(n, seed=seed + 1, shift=0.0)
    # Drift creeps in over the last third of the period.
    late = np.sort(rng.random(n)) > 2 / 3
    frame.loc[late, "fico"] = frame.loc[late, "fico"] - 20
    seconds = np.sort(rng.integers(0, days * 86_400, n))
    frame.insert(
        0,
        "applied_at",
        pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(seconds, unit="s"),
    )
    return _with_extras(frame, rng)


def _with_extras(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(frame)
    frame["segment"] = pd.Categorical(rng.choice(SEGMENTS, n), categories=SEGMENTS)
    frame["loan_to_income"] = frame["loan_amount"] / frame["annual_income"]
    status = rng.choice(len(VERIFICATION), n, p=[0.35, 0.35, 0.30])
    frame["income_verification"] = pd.Categorical.from_codes(status, categories=VERIFICATION)
    verified = np.round(frame["annual_income"] * np.exp(rng.normal(-0.05, 0.10, n)), -2)
    frame["verified_income"] = np.where(status == 2, np.nan, verified)  # NaN: not verified
    frame["interest_rate"] = np.round(5 + (850 - frame["fico"]) / 25 + rng.normal(0, 1.5, n), 2)
    logit = -1.6 - 0.016 * (frame["fico"] - 700) + 0.03 * (frame["dti"] - 18)
    frame["score"] = 1 / (1 + np.exp(-logit))
    return frame


def naive_psi(reference: pd.DataFrame, current: pd.DataFrame, columns: list[str]) -> dict:
    """Straightforward numpy PSI: np.quantile deciles + np.histogram, per column."""
    out = {}
    for name in columns:
        ref = reference[name].to_numpy(dtype=np.float64)
        cur = current[name].to_numpy(dtype=np.float64)
        edges = np.unique(np.quantile(ref, np.arange(1, 10) / 10))
        # np.histogram bins are [a, b); nudging edges up one ulp gives (a, b] like lendlab
        edges = np.concatenate(([-np.inf], np.nextafter(edges, np.inf), [np.inf]))
        e = np.histogram(ref, edges)[0] / ref.size
        a = np.histogram(cur, edges)[0] / cur.size
        e, a = np.where(e == 0, 1e-4, e), np.where(a == 0, 1e-4, a)
        out[name] = float(np.sum((a - e) * np.log(a / e)))
    return out


CPU: dict[str, float] = {}  # median CPU seconds per task (all threads), beside wall time


def timed(fn: Callable[[], object], repeats: int, *, key: str) -> tuple[float, object]:
    """Median wall-clock seconds of ``repeats`` calls (CPU seconds go to ``CPU[key]``)."""
    times, cpu, result = [], [], None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    CPU[key] = statistics.median(cpu)
    return statistics.median(times), result


def evidently_preset(reference: pd.DataFrame, current: pd.DataFrame, *, key: str) -> float:
    """Seconds for one Evidently DataDriftPreset run (explicit column types, defaults else)."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    numeric = [c for c in reference.columns if pd.api.types.is_numeric_dtype(reference[c])]
    categorical = [c for c in reference.columns if c not in numeric]
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    start, start_cpu = time.perf_counter(), time.process_time()
    ref = Dataset.from_pandas(reference, data_definition=definition)
    cur = Dataset.from_pandas(current, data_definition=definition)
    Report([DataDriftPreset()]).run(cur, ref)
    CPU[key] = time.process_time() - start_cpu
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument("--skip-evidently", action="store_true", help="time lendlab only")
    parser.add_argument("--repeats", type=int, default=None, help="lendlab runs (median)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    n_table = 20_000 if args.quick else 1_000_000
    n_log = 50_000 if args.quick else 1_000_000
    n_ref_time = 20_000 if args.quick else 100_000
    days, n_windows = 90, 90 * len(SEGMENTS)
    repeats = args.repeats or (3 if args.quick else 5)
    warnings.filterwarnings("ignore")
    results: dict[str, float] = {}
    rows: list[tuple[str, str, float, str, str]] = []  # task, data, wall s, cpu key, runs

    # 1. Drift table ---------------------------------------------------------------------
    reference = applications(n_table, seed=args.seed)
    current = applications(n_table, seed=args.seed + 1, shift=1.0)
    size = f"{n_table:,} + {n_table:,} rows x {len(NUMERIC) + 1} cols"
    t_lendlab, table = timed(lambda: drift_table(reference, current), repeats, key="table")
    t_naive, naive = timed(
        lambda: naive_psi(reference, current, NUMERIC), repeats, key="table_numpy"
    )
    ours = table.set_index("column")["statistic"]
    gap = max(abs(ours[c] - naive[c]) for c in NUMERIC)
    rows.append(("drift table: lendlab drift_table (PSI)", size, t_lendlab, "table", str(repeats)))
    rows.append(
        ("drift table: plain numpy PSI, 10 numeric", size, t_naive, "table_numpy", str(repeats))
    )
    results.update(table_lendlab_s=t_lendlab, table_numpy_s=t_naive, psi_max_gap=gap)
    if not args.skip_evidently:
        t_evidently = evidently_preset(reference, current, key="table_evidently")
        rows.append(
            ("drift table: Evidently DataDriftPreset", size, t_evidently, "table_evidently", "1")
        )
        results.update(table_evidently_s=t_evidently, table_ratio=t_evidently / t_lendlab)

    # 2. Drift over time ---------------------------------------------------------------
    log = decision_log(n_log, seed=args.seed + 2, days=days)
    ref_time = _with_extras(
        applications(n_ref_time, seed=args.seed + 3), np.random.default_rng(args.seed + 4)
    )
    t_prepare, profile = timed(
        # verified_income is NaN when not verified: missing values count as a bin of their own
        lambda: prepare_reference(ref_time, columns=MONITORED, nan_policy="bin"),
        repeats,
        key="prepare",
    )
    t_over, over = timed(
        lambda: drift_over_time(profile, log, freq="D", by="segment", columns=MONITORED),
        repeats,
        key="over_time",
    )
    size_log = f"{n_log:,} rows, {days} d x {len(SEGMENTS)} seg x {len(MONITORED)} cols"
    rows.append(
        (
            "over time: prepare_reference (once)",
            f"{n_ref_time:,} rows",
            t_prepare,
            "prepare",
            str(repeats),
        )
    )
    rows.append(("over time: lendlab drift_over_time", size_log, t_over, "over_time", str(repeats)))
    results.update(prepare_s=t_prepare, over_time_s=t_over, over_time_rows=len(over))
    if not args.skip_evidently:
        # A typical window: one mid-period day of one segment (~n_log / 360 rows).
        day = log["applied_at"].dt.floor("D")
        window = log[(day == day.iloc[len(log) // 2]) & (log["segment"] == "prime")]
        t_one = evidently_preset(ref_time[MONITORED], window[MONITORED], key="window")
        rows.append(
            (
                "over time: Evidently DataDriftPreset, ONE window",
                f"{len(window):,} vs {n_ref_time:,} rows",
                t_one,
                "window",
                "1",
            )
        )
        CPU["windows"] = CPU["window"] * n_windows
        rows.append(
            (
                f"over time: Evidently x {n_windows} windows (EXTRAPOLATED)",
                f"{n_windows} x the one above",
                t_one * n_windows,
                "windows",
                "-",
            )
        )
        results.update(window_evidently_s=t_one, over_time_ratio=t_one * n_windows / t_over)

    # Report -------------------------------------------------------------------------------
    print(
        f"lendlab.drift benchmark ({'quick' if args.quick else 'full'} sizes, seed {args.seed},"
        f" {os.cpu_count()} CPUs)"
    )
    width = max(len(r[0]) for r in rows)
    print(f"{'task':<{width}}  {'data':<40}  {'median s':>9}  {'cpu s':>8}  runs")
    for task, data, wall, cpu_key, runs in rows:
        print(f"{task:<{width}}  {data:<40}  {wall:>9.3f}  {CPU[cpu_key]:>8.3f}  {runs:>4}")
    print(
        "(median s: wall clock; cpu s: process CPU time, all threads - less sensitive to"
        " other jobs on the machine)"
    )
    print(f"max |lendlab PSI - numpy PSI| over the numeric columns: {gap:.2e}")
    if "table_ratio" in results:
        verdict = "OK" if results["table_ratio"] >= 100 else "MISSED"
        cpu_ratio = CPU["table_evidently"] / CPU["table"]
        print(
            f"drift table: Evidently / lendlab = {results['table_ratio']:.0f}x wall, "
            f"{cpu_ratio:.0f}x cpu (target >= 100x: {verdict})"
        )
    verdict = "OK" if t_over < 1.0 else "MISSED"
    print(f"drift over time: {t_over:.3f} s median wall (target < 1 s: {verdict})")
    if "over_time_ratio" in results:
        print(
            f"drift over time: Evidently x {n_windows} windows (extrapolated from one window)"
            f" / lendlab = {results['over_time_ratio']:.0f}x"
        )
    return results


if __name__ == "__main__":
    main()
