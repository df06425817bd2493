"""The real service in a child process: kill -9 under load loses no acknowledged decision.

Starts ``python -m lendlab.serving serve`` through :func:`lendlab.serving.running`, drives
concurrent traffic, SIGKILLs it mid-load, restarts it on the same decision log and checks that
every application that got a 2xx is logged and that ``PRAGMA integrity_check`` is ok. Also
checks over real HTTP that a body over 64 KB gets its 413 (not a connection reset).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from lendlab import world  # noqa: E402
from lendlab.serving import read_decisions, running, train_models  # noqa: E402
from lendlab.serving.schemas import example_application, requests_from_frame  # noqa: E402


def test_kill_9_mid_load_keeps_every_acknowledged_decision(tmp_path: Path) -> None:
    models = tmp_path / "models"
    train_models(models, seed=4, rows=12_000)
    db = tmp_path / "decisions.db"
    bodies = requests_from_frame(world.generate(4_000, seed=8))
    acked: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()

    def drive(part: list[dict], stop: threading.Event, url: str) -> None:
        with httpx.Client(base_url=url, timeout=5.0) as client:
            for body in part:
                if stop.is_set():
                    return
                try:
                    r = client.post("/v1/decisions", json=body)
                except httpx.HTTPError as exc:  # the kill: refused or reset from here on
                    with lock:
                        errors.append(type(exc).__name__)
                    return
                if 200 <= r.status_code < 300:
                    with lock:
                        acked.append(body["application_id"])

    with running(db=db, model_dir=models, ready_timeout=120) as svc:
        stop = threading.Event()
        threads = [
            threading.Thread(target=drive, args=(bodies[k::4], stop, svc.url)) for k in range(4)
        ]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while len(acked) < 100 and time.monotonic() < deadline:
            time.sleep(0.02)
        svc.kill()  # SIGKILL while the four clients are still sending
        stop.set()
        for t in threads:
            t.join(10)
        killed_with = svc.process.returncode
    assert killed_with == -9
    assert len(acked) >= 100, f"only {len(acked)} acknowledged before the kill"
    assert len(acked) < len(bodies), "the load finished before the kill: not a mid-load kill"

    with running(db=db, model_dir=models, ready_timeout=120) as svc:
        # the restarted service answers, and a too-large body gets its 413 over real HTTP
        big = {**example_application(10**9), "padding": "x" * 70_000}
        r = httpx.post(f"{svc.url}/v1/decisions", json=big, timeout=10)
        assert r.status_code == 413
        ok = httpx.post(f"{svc.url}/v1/decisions", json=example_application(10**9 + 1))
        assert ok.status_code == 200

    logged = set(read_decisions(db)["application_id"])
    lost = sorted(set(acked) - logged)
    assert not lost, f"{len(lost)} acknowledged decision(s) missing after kill -9: {lost[:10]}"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
