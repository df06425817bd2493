"""Benchmark the replay comparison (issue 9, "Speed"): 1,000,000 applications, two models, <= 10 s.

``lendlab.rollout.compare`` of the champion scorecard and the challenger (gradient-boosted
trees, 200 rounds) on ``world.generate(N)``: scoring both models (``n_jobs`` threads), the
knock-out rules, decisions, flips by segment and by reason (reason codes for flipped declines
only), AIR and bad rates. The world and the models are built first and not timed. Reported:
the median wall time of ``--repeats`` runs (3), each run's wall and CPU time, the per-model
scoring time, and the load average (a shared two-core box is noisy: CPU time is the
load-independent figure; wall time <= CPU time / 2 when two cores are free).

    python benchmarks/bench_rollout.py                  # 1,000,000 rows, median of 3
    python benchmarks/bench_rollout.py --rows 100000    # quick
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_S = 10.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--model-dir", default=None, help="trained models (default: train now)")
    args = parser.parse_args(argv)

    from lendlab import world
    from lendlab.rollout import compare
    from lendlab.serving.registry import ModelRegistry, train_models

    folder = args.model_dir or tempfile.mkdtemp(prefix="bench-rollout-")
    if not (Path(folder) / "aliases.json").is_file():
        train_models(folder, seed=2025)
    registry = ModelRegistry.load(folder)
    champion = registry.resolve("champion").model
    challenger = registry.resolve("challenger").model
    t0 = time.perf_counter()
    apps = world.generate(args.rows, seed=args.seed)
    print(f"world.generate({args.rows:,}): {time.perf_counter() - t0:.1f} s (not timed)")

    walls, cpus = [], []
    result = None
    for k in range(args.repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        result = compare(
            champion, challenger, apps, cutoff=0.20, review_margin=0.02, n_jobs=args.jobs
        )
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        walls.append(wall)
        cpus.append(cpu)
        lat = result.latency
        per_model = ", ".join(f"{v} {r['seconds']:.2f} s" for v, r in lat.iterrows())
        print(
            f"run {k + 1}: wall {wall:.2f} s, cpu {cpu:.2f} s (scoring: {per_model}); "
            f"load average {os.getloadavg()[0]:.1f}"
        )
    median = statistics.median(walls)
    assert result is not None
    print(
        f"replay comparison of {args.rows:,} applications through two models: median wall "
        f"{median:.2f} s, median cpu {statistics.median(cpus):.2f} s on {args.jobs} thread(s) "
        f"({os.cpu_count()} cores); flip rate {result.flip_rate:.2%}, {len(result.flips):,} "
        f"flips; target <= {TARGET_S:g} s: {'met' if median <= TARGET_S else 'MISSED'}"
    )
    return 0 if median <= TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
