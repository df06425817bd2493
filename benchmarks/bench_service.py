"""Benchmark the scoring service on loopback with the open-loop replayer (issue 8, "Speed").

One service (``lendlab serve`` in a child process, durable log on: SQLite WAL with
``synchronous=FULL``, or ``--synchronous NORMAL`` to compare), the replayer in this process
on the same machine. Measured:

1. **healthy** at ``--rate`` (200/s) for ``--duration`` (25 s): server-side p99 from the
   service's own histogram (``/metrics`` scraped before and after, ``histogram_quantile`` over
   the bucket deltas) and exactly from the timings the decision log holds (``duration_ms``);
   client-side p50/p99 from each request's *scheduled* send time; errors; the service's CPU
   per request (from ``/proc/<pid>/stat``). Targets: server p99 <= 25 ms, client p99 <= 50 ms,
   zero errors.
2. **knee**: short runs at rising rates (100, 200, 300, 400, 600/s), stopping after the first
   miss; the knee is the highest rate with client p99 <= 50 ms and no errors.
3. **full bureau outage** at ``--rate``: every request answered (2xx) within the 0.1 s SLO
   server-side (every observation in the ``le="0.1"`` bucket, and the log's max) and flagged
   as fallback.
4. **/metrics scrape**: median of 50 GETs. Target < 50 ms.
5. **batch**: ``decide_in_batches`` of ``--batch-rows`` (16,000) world applications through
   ``POST /v1/decisions/batch`` (the week 7 backfill): seconds, and how many came back
   fallback (a busy box times out dependency calls: see ``lendlab_event_loop_lag_seconds``).

``--rounds N`` repeats the healthy run N times and prints the median of each column, since
one run on a shared box says little. The largest event-loop lag seen and the requests shed
(``lendlab_shed_total``) are printed after the healthy runs.

On a shared two-core box the client-side tail is dominated by the client and the scheduler
(``shared/research/operations.md``): both sides are printed, with the load average.

    python benchmarks/bench_service.py            # ~2 minutes
    python benchmarks/bench_service.py --rounds 3 # healthy run three times, medians
    python benchmarks/bench_service.py --quick    # smoke run, ~12 s
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from lendlab.serving import read_decisions, running, train_models  # noqa: E402
from lendlab.serving.replay import (  # noqa: E402
    ReplayResult,
    bucket_quantile,
    exact_quantiles,
    histogram_buckets,
    replay,
)

SERVER_P99_TARGET_S = 0.025
CLIENT_P99_TARGET_S = 0.050
SLO_S = 0.100
SCRAPE_TARGET_S = 0.050
TOKEN = "bench-service-token"
ROUTE = "/v1/decisions"


def _cpu_s(pid: int) -> float:
    """utime + stime of a process, seconds (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _scrape(url: str) -> dict[float, float]:
    return histogram_buckets(httpx.get(f"{url}/metrics", timeout=10).text, route=ROUTE)


def measure(svc: Any, rate: float, duration: float, *, seed: int) -> dict[str, Any]:
    """One replay with both sides measured: client quantiles, server histogram and log."""
    time.sleep(0.3)  # let the previous run's queue drain
    before = _scrape(svc.url)
    cpu0 = _cpu_s(svc.pid)
    result: ReplayResult = replay(svc.url, rate=rate, duration=duration, seed=seed)
    cpu1 = _cpu_s(svc.pid)
    time.sleep(0.3)  # duration_ms is written with the next group commit after the answer
    after = _scrape(svc.url)
    log = read_decisions(svc.db)
    ids = set(result.requests["application_id"])
    mine = log[log["application_id"].isin(ids)]
    s = result.summary
    count = after[math.inf] - before.get(math.inf, 0.0)
    within = after.get(SLO_S, 0.0) - before.get(SLO_S, 0.0)
    return {
        "rate": rate,
        "duration": duration,
        "scheduled": s["scheduled"],
        "ok": s["ok"],
        "errors": s["error_count"],
        "error_kinds": s["errors"],
        "client": s["latency_s"],
        "client_sent": s["latency_sent_s"],
        "max_send_lag_s": s["max_send_lag_s"],
        "server_hist_p99": bucket_quantile(0.99, after, before),
        "server_hist_p50": bucket_quantile(0.50, after, before),
        "server_hist_count": count,
        "server_within_slo": within,
        "server_log": exact_quantiles(mine["duration_ms"] / 1000.0),
        "logged": len(mine),
        "fallback": s["fallback"],
        "server_cpu_ms_per_request": 1000 * (cpu1 - cpu0) / max(s["sent"], 1),
        "client_cpu_ms_per_request": 1000 * s["client_cpu_s"] / max(s["sent"], 1),
        "result": result,
    }


def _gauge(text: str, name: str) -> float:
    """Sum of the samples of metric ``name`` in an exposition (0 when absent)."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and line[len(name) : len(name) + 1] in ("{", " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def _median_row(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """A row of medians over ``runs`` (for the table's columns)."""
    med = statistics.median
    return {
        "rate": runs[0]["rate"],
        "duration": runs[0]["duration"],
        "ok": int(med(m["ok"] for m in runs)),
        "errors": int(med(m["errors"] for m in runs)),
        "client": {k: med(m["client"][k] for m in runs) for k in ("p50", "p99", "max")},
        "server_hist_p99": med(m["server_hist_p99"] for m in runs),
        "server_log": {k: med(m["server_log"][k] for m in runs) for k in ("p99", "max")},
        "server_cpu_ms_per_request": med(m["server_cpu_ms_per_request"] for m in runs),
        "client_cpu_ms_per_request": med(m["client_cpu_ms_per_request"] for m in runs),
        "fallback": int(med(m["fallback"] for m in runs)),
    }


def batch_time(url: str, rows: int, seed: int) -> dict[str, Any] | None:
    """Seconds to decide ``rows`` world applications with ``decide_in_batches`` (None when
    this tree has no batch endpoint)."""
    try:
        from lendlab.serving.replay import decide_in_batches
    except ImportError:
        return None
    from lendlab import world

    book = world.generate(rows, seed=seed)
    book["application_id"] += 50_000_000  # clear of the replays' ids
    start = time.perf_counter()
    out = decide_in_batches(url, book)
    seconds = time.perf_counter() - start
    return {
        "rows": rows,
        "seconds": seconds,
        "ok": int((out["status"] == 200).sum()),
        "fallback": int(out["fallback"].notna().sum()),
    }


def scrape_time(url: str, n: int = 50) -> float:
    """Median seconds of ``n`` GET /metrics on one keep-alive connection."""
    times = []
    with httpx.Client(base_url=url, timeout=10) as client:
        client.get("/metrics")
        for _ in range(n):
            t = time.perf_counter()
            r = client.get("/metrics")
            r.raise_for_status()
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def _ms(x: float) -> str:
    return "    nan" if x != x else f"{x * 1000:7.1f}"


def _row(name: str, m: dict[str, Any]) -> str:
    return (
        f"{name:<10s}{m['rate']:>6g}{m['duration']:>5g}s{m['ok']:>7d}{m['errors']:>5d}"
        f"{_ms(m['client']['p50'])}{_ms(m['client']['p99'])}{_ms(m['client']['max'])}"
        f"{_ms(m['server_hist_p99'])}{_ms(m['server_log']['p99'])}{_ms(m['server_log']['max'])}"
        f"{m['server_cpu_ms_per_request']:>7.2f}{m['client_cpu_ms_per_request']:>7.2f}"
        f"{m['fallback']:>7d}"
    )


def _flag(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the table, return the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs (smoke test)")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--duration", type=float, default=25.0)
    parser.add_argument("--knee", default="100,200,300,400,600", help="rates, comma-separated")
    parser.add_argument("--knee-duration", type=float, default=6.0)
    parser.add_argument("--outage-duration", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=1, help="healthy runs (medians)")
    parser.add_argument("--batch-rows", type=int, default=16_000, help="0 skips the batch run")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--synchronous",
        choices=("FULL", "NORMAL"),
        default="FULL",
        help="the log's fsync policy (FULL: survives power loss; NORMAL: survives kill -9)",
    )
    parser.add_argument("--json", default=None, metavar="FILE", help="also write numbers here")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.knee_duration, args.outage_duration = 1.5, 1.0, 1.0
        args.knee, args.batch_rows = "100", min(args.batch_rows, 1_000)
    rates = [float(r) for r in args.knee.split(",") if r.strip()]
    load0 = os.getloadavg()
    folder = Path(tempfile.mkdtemp(prefix="bench-service-"))
    train_models(folder / "models", seed=4, rows=12_000)
    out: dict[str, Any] = {"load_before": load0, "cores": os.cpu_count()}
    config = folder / "service.json"
    config.write_text(json.dumps({"synchronous": args.synchronous}))
    db = folder / "decisions.db"
    with running(db=db, model_dir=folder / "models", config=config, admin_token=TOKEN) as svc:
        warm = 0.5 if args.quick else 2.0
        replay(svc.url, rate=50, duration=warm, seed=args.seed + 100)  # warm-up, not counted
        rounds = [
            measure(svc, args.rate, args.duration, seed=args.seed + 1000 * k)
            for k in range(max(1, args.rounds))
        ]
        healthy = rounds[0]
        text = httpx.get(f"{svc.url}/metrics", timeout=10).text
        loop_lag = _gauge(text, "lendlab_event_loop_lag_seconds")
        shed = _gauge(text, "lendlab_shed_total")
        knee_runs = []
        for k, rate in enumerate(rates):
            m = measure(svc, rate, args.knee_duration, seed=args.seed + 1 + k)
            m["fits"] = m["client"]["p99"] <= CLIENT_P99_TARGET_S and m["errors"] == 0
            knee_runs.append(m)
            if not m["fits"]:
                break
        fits = [m["rate"] for m in knee_runs if m["fits"]]
        r = httpx.post(
            f"{svc.url}/admin/faults",
            json={"reset": True, "bureau": {"outage": True}},
            headers=svc.headers(),
            timeout=5,
        )
        r.raise_for_status()
        try:
            outage = measure(svc, args.rate, args.outage_duration, seed=args.seed + 50)
        finally:
            httpx.post(
                f"{svc.url}/admin/faults", json={"reset": True}, headers=svc.headers(), timeout=5
            )
        scrape_s = scrape_time(svc.url, 50 if not args.quick else 10)
        batch = batch_time(svc.url, args.batch_rows, args.seed) if args.batch_rows else None
    median = _median_row(rounds) if len(rounds) > 1 else None
    out.update(
        healthy=healthy,
        healthy_median=median,
        batch=batch,
        loop_lag_s=loop_lag,
        shed=shed,
        knee_runs=knee_runs,
        knee_rate=max(fits) if fits else None,
        outage=outage,
        scrape_median_s=scrape_s,
        load_after=os.getloadavg(),
    )
    outage_ok = (
        outage["errors"] == 0
        and outage["fallback"] == outage["scheduled"]
        and outage["server_within_slo"] == outage["server_hist_count"] == outage["scheduled"]
        and outage["server_log"]["max"] <= SLO_S
    )
    judged = median if median is not None else healthy
    out["checks"] = {
        "server_p99_hist<=25ms": judged["server_hist_p99"] <= SERVER_P99_TARGET_S,
        "server_p99_log<=25ms": judged["server_log"]["p99"] <= SERVER_P99_TARGET_S,
        "client_p99<=50ms": judged["client"]["p99"] <= CLIENT_P99_TARGET_S,
        "zero_errors_healthy": all(m["errors"] == 0 for m in rounds),
        "outage_all_fallback_within_slo": outage_ok,
        "scrape<50ms": scrape_s < SCRAPE_TARGET_S,
    }

    print(
        f"bench_service: {os.cpu_count()} cores, load average {load0[0]:.1f} before / "
        f"{out['load_after'][0]:.1f} after; durable log (WAL, synchronous={args.synchronous}); "
        "replayer "
        "in-process on the same machine; latencies in ms"
    )
    print(
        f"{'run':<10s}{'rate':>6s}{'dur':>6s}{'2xx':>7s}{'err':>5s}"
        f"{'c_p50':>7s}{'c_p99':>7s}{'c_max':>7s}{'s_hist99':>9s}{'s_log99':>8s}{'s_max':>7s}"
        f"{'s_cpu':>7s}{'c_cpu':>7s}{'fallbk':>7s}"
    )
    for k, m in enumerate(rounds):
        print(_row("healthy" if len(rounds) == 1 else f"healthy{k + 1}", m))
    if median is not None:
        print(_row("median", median))
    frame = healthy["result"].requests
    window = frame["scheduled_s"] // 5 * 5
    by = frame.groupby(window)["latency_s"].quantile(0.99, interpolation="higher")
    out["healthy_client_p99_by_5s"] = {float(k): float(v) for k, v in by.items()}
    print(
        "  healthy client p99 by 5 s window: "
        + " ".join(f"{k:g}s:{v * 1000:.0f}" for k, v in by.items())
    )
    for m in knee_runs:
        print(_row("knee" + ("" if m["fits"] else "*"), m))
    print(_row("outage", outage))
    print("c_ = client, from scheduled send times; s_hist99 = histogram_quantile over /metrics")
    print("deltas; s_log99/s_max = exact, decision log duration_ms; s_cpu/c_cpu = service /")
    print("replayer CPU ms per request; knee* = first rate over 50 ms client p99 or with errors")
    knee = out["knee_rate"]
    print(
        f"knee (highest rate with client p99 <= 50 ms, no errors): "
        f"{'none of ' + args.knee if knee is None else f'{knee:g}/s'}"
    )
    print(f"/metrics scrape median: {scrape_s * 1000:.1f} ms")
    print(
        f"after the healthy runs: event-loop lag (max of the last second) "
        f"{loop_lag * 1000:.1f} ms, requests shed {shed:g}"
    )
    if batch is not None:
        print(
            f"batch: {batch['rows']} applications via POST /v1/decisions/batch in "
            f"{batch['seconds']:.2f} s ({batch['ok']} decided, {batch['fallback']} fallback)"
        )
    if healthy["errors"]:
        print(f"healthy errors by kind: {healthy['error_kinds']}")
    if outage["errors"]:
        print(f"outage errors by kind: {outage['error_kinds']}")
    print("targets: " + "  ".join(f"{k} {_flag(v)}" for k, v in out["checks"].items()))
    if args.json:
        slim = {k: v for k, v in out.items() if k not in ("healthy", "knee_runs", "outage")}
        slim["rounds"] = [{k: v for k, v in m.items() if k != "result"} for m in rounds]
        for key in ("healthy", "outage"):
            slim[key] = {k: v for k, v in out[key].items() if k != "result"}
        slim["knee_runs"] = [{k: v for k, v in m.items() if k != "result"} for m in knee_runs]
        Path(args.json).write_text(json.dumps(slim, indent=2, default=str))
    return out


if __name__ == "__main__":
    main()
