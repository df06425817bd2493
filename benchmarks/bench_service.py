"""Latency of the real scoring service, sequential requests. ``python benchmarks/bench_service.py``.

Starts ``lendlab serve`` in a child process (:func:`lendlab.serving.running`), sends
``--requests`` world applications one after another from one client on the same machine, and
prints, for healthy dependencies and then a full bureau outage:

* client-side p50/p95/p99/max (round trip, sequential: no coordinated-omission question);
* server-side p50/p95/p99 from the decision log's ``duration_ms`` (exact) and the stage
  medians the responses report;
* the share of answers flagged as fallback, and the time of one ``/metrics`` scrape.

This is the quick sequential figure. The open-loop 200 requests/s benchmark with the
replayer (scheduled send times) is ``lendlab replay``'s (issue 8, section 2).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

from lendlab import world
from lendlab.serving import read_decisions, running
from lendlab.serving.schemas import requests_from_frame


def _run(client: httpx.Client, bodies: list[dict]) -> pd.DataFrame:
    rows = []
    for body in bodies:
        start = time.perf_counter()
        r = client.post("/v1/decisions", json=body)
        elapsed = (time.perf_counter() - start) * 1000
        out = r.json()
        rows.append(
            {
                "application_id": body["application_id"],
                "code": r.status_code,
                "client_ms": elapsed,
                "fallback": out.get("fallback"),
                **{f"t_{k}": v for k, v in out.get("timings", {}).items()},
            }
        )
    return pd.DataFrame(rows)


def _report(name: str, frame: pd.DataFrame, log: pd.DataFrame) -> None:
    server = log.set_index("application_id").loc[frame["application_id"], "duration_ms"]
    q = [50, 95, 99]
    c = np.percentile(frame["client_ms"], q)
    s = np.percentile(server.dropna(), q)
    codes = frame["code"].value_counts().to_dict()
    print(f"\n== {name}: {len(frame)} sequential requests, codes {codes}")
    top = frame["client_ms"].max()
    print(f"client ms  p50 {c[0]:.2f}  p95 {c[1]:.2f}  p99 {c[2]:.2f}  max {top:.1f}")
    print(f"server ms  p50 {s[0]:.2f}  p95 {s[1]:.2f}  p99 {s[2]:.2f}  max {server.max():.1f}")
    stages = [c for c in frame.columns if c.startswith("t_")]
    print("stage medians ms:", {c[2:]: round(float(frame[c].median()), 2) for c in stages})
    print(f"fallback share: {(frame['fallback'] != False).mean():.3f}")  # noqa: E712


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--synchronous", choices=("FULL", "NORMAL"), default="FULL")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-service-"))
    config = folder / "service.json"
    config.write_text(f'{{"db": "{folder / "d.db"}", "synchronous": "{args.synchronous}"}}')
    book = world.generate(2 * args.requests, seed=args.seed)
    bodies = requests_from_frame(book)
    healthy, outage = bodies[: args.requests], bodies[args.requests :]
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()}, synchronous={args.synchronous}")
    with running(db=folder / "d.db", config=config, admin_token="bench") as svc:
        with httpx.Client(base_url=svc.url, timeout=10) as client:
            _run(client, healthy[:50])  # warm-up (also first-request imports)
            first = _run(client, healthy[50:])
            start = time.perf_counter()
            client.get("/metrics")
            scrape = (time.perf_counter() - start) * 1000
            client.post("/admin/faults", json={"bureau": {"outage": True}}, headers=svc.headers())
            second = _run(client, outage)
    log = read_decisions(folder / "d.db")
    _report("healthy dependencies", first, log)
    print(f"/metrics scrape: {scrape:.1f} ms")
    _report("full bureau outage", second, log)


if __name__ == "__main__":
    main()
