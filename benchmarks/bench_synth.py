"""How fast is the synthetic world? ``python benchmarks/bench_synth.py [--rows N] [--repeat K]``.

Target (issue 2): 1,000,000 applications with outcomes in under 1 second on two cores.
Prints every run and the median; the first (cold) run is reported but not counted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from lendlab import world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    times, cpu = [], []
    for i in range(args.repeat + 1):
        start, start_cpu = time.perf_counter(), time.process_time()
        book = world.generate(args.rows, seed=i)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    warm = times[1:]
    median = statistics.median(warm)
    print(f"cores available: {os.cpu_count()}")
    print(f"world.generate({args.rows:,}) with outcomes, {len(book.columns)} columns")
    print(f"  cold run: {times[0]:.3f} s; warm runs: {', '.join(f'{t:.3f}' for t in warm)} s")
    print(f"  median: {median:.3f} s  ({args.rows / median / 1e6:.2f} M rows/s)")
    # CPU time is what the generator itself costs; wall time also counts other processes.
    print(f"  median CPU time: {statistics.median(cpu[1:]):.3f} s")
    print(f"  load average now: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"  target < 1 s: {'MET' if median < 1.0 else 'MISSED'}")


if __name__ == "__main__":
    main()
