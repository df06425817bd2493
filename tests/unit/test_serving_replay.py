"""The traffic replayer (lendlab.serving.replay) and its scenarios, against a stub HTTP server.

The stub is a raw ASGI app under uvicorn in a thread: it answers like ``POST /v1/decisions``
and can stall, fail by application id, and records ``POST /admin/faults``. The real service is
exercised by tests/service/.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lendlab.serving import replay as rp
from lendlab.serving.scenarios import SCENARIOS, DataFault, FaultStep, Scenario, get_scenario


class Stub:
    """A stand-in for the service: configurable stalls and failures, records admin calls."""

    def __init__(self) -> None:
        self.delay_s = 0.0
        self.stall_at: int | None = None  # the request with this id starts a stall ...
        self.stall_s = 0.0  # ... of this long: every request arriving in it waits until its end
        self.stall_end = 0.0
        self.fail: dict[int, int] = {}  # application_id -> status
        self.admin: list[tuple[float, dict, str]] = []
        self.seen = 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = dict(scope["headers"])
        if scope["path"] == "/admin/faults":
            auth = headers.get(b"authorization", b"").decode()
            self.admin.append((time.perf_counter(), json.loads(body), auth))
            await self._answer(send, 200, {})
            return
        if scope["path"] != "/v1/decisions":
            await self._answer(send, 200, {"status": "ok"})
            return
        self.seen += 1
        app_id = json.loads(body)["application_id"]
        now = time.perf_counter()
        if app_id == self.stall_at:
            self.stall_end = now + self.stall_s
        if now < self.stall_end:
            await asyncio.sleep(self.stall_end - now)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        status = self.fail.get(app_id, 200)
        answer = {"request_id": f"r{app_id}", "detail": "stub"}
        if status == 200:
            answer.update(
                decision="approve" if app_id % 2 else "review",
                fallback="manual_review" if app_id % 5 == 0 else False,
                replay=False,
                timings={"total": 1.5},
            )
        await self._answer(send, status, answer)

    @staticmethod
    async def _answer(send, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": data})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def stub_server() -> Iterator[tuple[str, Stub]]:
    import uvicorn

    stub = Stub()
    port = _free_port()
    config = uvicorn.Config(stub, host="127.0.0.1", port=port, log_level="error", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "stub server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", stub
    server.should_exit = True
    thread.join(5)


@pytest.fixture
def stub(stub_server) -> Iterator[tuple[str, Stub]]:
    url, s = stub_server
    s.__init__()
    yield url, s
    s.__init__()


# -- open loop ---------------------------------------------------------------------------------
def test_a_stalled_server_shows_in_latency_from_scheduled_time(stub):
    url, s = stub
    s.stall_at, s.stall_s = 51, 0.8  # request 51 is due at 0.5 s; the server stalls to 1.3 s
    result = rp.replay(url, rate=100, duration=2.0, seed=1, id_offset=0)
    frame = result.requests
    assert result.summary["scheduled"] == 200 and result.summary["ok"] == 200
    # the schedule went on during the stall: the requests due in it were sent, not held back
    # (a closed-loop client would have sent one and waited)
    during = frame[(frame["scheduled_s"] >= 0.5) & (frame["scheduled_s"] < 1.2)]
    assert len(during) == 70 and int((during["sent_s"] < 1.3).sum()) >= 60
    assert float((frame["sent_s"] - frame["scheduled_s"]).median()) < 0.05
    # each waited for the stall's end: latency from its scheduled time ~ 1.3 s - scheduled
    assert int((frame["latency_s"] > 0.3).sum()) >= 30
    assert result.summary["latency_s"]["p99"] > 0.5
    assert result.summary["latency_s"]["p50"] < 0.2
    assert bool((frame["latency_s"] >= frame["latency_sent_s"] - 1e-9).all())


def test_in_flight_cap_turns_due_requests_into_client_overload_errors(stub):
    url, s = stub
    s.delay_s = 0.5
    result = rp.replay(url, rate=100, duration=1.0, seed=1, concurrency=5, id_offset=0)
    frame = result.requests
    overload = frame["error"] == "client_overload"
    assert len(frame) == 100  # nothing skipped: every scheduled request has a row
    assert int(overload.sum()) == result.summary["errors"]["client_overload"] >= 80
    assert bool(frame.loc[overload, "sent_s"].isna().all())
    assert result.summary["sent"] + int(overload.sum()) == 100


def test_errors_are_counted_by_kind(stub):
    url, s = stub
    s.fail = {3: 422, 4: 422, 7: 503, 9: 409}
    result = rp.replay(url, rate=50, duration=0.4, seed=1, id_offset=0)
    assert result.summary["errors"] == {"http_422": 2, "http_503": 1, "http_409": 1}
    row = result.requests.set_index("application_id").loc[7]
    assert row["status"] == 503 and row["error"] == "http_503" and row["request_id"] == "r7"
    assert result.summary["ok"] == 16


def test_timeouts_and_connect_errors(stub):
    url, s = stub
    s.delay_s = 1.0
    result = rp.replay(url, rate=20, duration=0.2, seed=1, timeout=0.2, id_offset=0)
    assert result.summary["errors"] == {"timeout": 4}
    assert result.summary["latency_s"]["max"] >= 0.2  # counted at its timeout (a lower bound)
    assert result.summary["timeouts_lower_bound"] is True
    closed = f"http://127.0.0.1:{_free_port()}"
    result = rp.replay(closed, rate=20, duration=0.2, seed=1, id_offset=0)
    assert result.summary["errors"] == {"connect": 4}


def test_result_columns_summary_and_files(stub, tmp_path: Path):
    url, _ = stub
    result = rp.replay(url, rate=40, duration=0.5, seed=2, id_offset=1_000)
    frame = result.requests
    assert tuple(frame.columns) == rp.RESULT_COLUMNS
    assert frame["application_id"].tolist() == list(range(1_001, 1_021))
    assert frame["fallback"].notna().sum() == result.summary["fallback"] == 4  # ids % 5 == 0
    assert set(frame["decision"]) == {"approve", "review"}
    assert frame["scheduled_s"].tolist() == pytest.approx(np.arange(20) / 40)
    assert str(frame["scheduled_at"].dt.tz) == "UTC"
    for suffix in (".parquet", ".csv"):
        path = result.save(tmp_path / f"r{suffix}")
        back = pd.read_parquet(path) if suffix == ".parquet" else pd.read_csv(path)
        assert len(back) == 20 and list(back.columns) == list(rp.RESULT_COLUMNS)
    with pytest.raises(ValueError, match="parquet or .csv"):
        result.save(tmp_path / "r.json")
    text = result.report()
    assert "p99" in text and "errors: none" in text


def test_default_ids_are_fresh_per_run(stub):
    url, _ = stub
    a = rp.replay(url, rate=20, duration=0.1, seed=1)
    time.sleep(0.002)
    b = rp.replay(url, rate=20, duration=0.1, seed=1)
    assert set(a.requests["application_id"]).isdisjoint(b.requests["application_id"])


def test_replay_runs_inside_a_running_event_loop(stub):
    url, _ = stub

    async def notebook_cell():  # Jupyter runs cells inside a loop
        return rp.replay(url, rate=20, duration=0.2, seed=1, id_offset=0)

    assert asyncio.run(notebook_cell()).summary["ok"] == 4


# -- bounds and refusals -----------------------------------------------------------------------
@pytest.mark.parametrize("url", ["http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1",
                                 "http://127.8.9.10:1/"])  # fmt: skip
def test_loopback_urls_pass(url):
    rp.check_loopback(url)


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1:8000", "http://192.0.2.7", "http://[2001:db8::1]/"]
)
def test_remote_urls_are_refused_unless_allowed(url):
    with pytest.raises(ValueError, match="not loopback.*--allow-remote"):
        rp.check_loopback(url)
    assert rp.check_loopback(url, allow_remote=True)
    with pytest.raises(ValueError, match="not loopback"):
        rp.replay(url, rate=1, duration=1)


def test_bad_arguments():
    with pytest.raises(ValueError, match="http:// or https://"):
        rp.check_loopback("127.0.0.1:8000")
    with pytest.raises(ValueError, match="cannot resolve"):
        rp.check_loopback("http://no-such-host.invalid:80")
    with pytest.raises(TypeError, match="url must be a str"):
        rp.check_loopback(8000)
    url = "http://127.0.0.1:9"
    with pytest.raises(ValueError, match="over max_requests"):
        rp.replay(url, rate=100, duration=10, max_requests=500)
    with pytest.raises(ValueError, match="rate=0.0 must be > 0"):
        rp.replay(url, rate=0, duration=1)
    with pytest.raises(ValueError, match="duration=7200.0"):
        rp.replay(url, rate=1, duration=7200)
    with pytest.raises(TypeError, match="rate='200'"):
        rp.replay(url, rate="200", duration=1)
    with pytest.raises(ValueError, match="concurrency=0"):
        rp.replay(url, rate=1, duration=1, concurrency=0)
    with pytest.raises(ValueError, match="unknown scenario"):
        rp.replay(url, rate=1, duration=1, scenario="nope")


def test_exact_quantiles_are_nearest_rank():
    rng = np.random.default_rng(3)
    values = rng.lognormal(-4, 0.5, 1_001)
    got = rp.exact_quantiles(values)
    for key, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        assert got[key] == np.quantile(values, q, method="inverted_cdf")
        assert got[key] in values
    assert got["max"] == values.max()
    assert rp.exact_quantiles([np.nan, 0.5]) == {"p50": 0.5, "p95": 0.5, "p99": 0.5, "max": 0.5}


# -- scenarios ---------------------------------------------------------------------------------
def test_scenario_steps_reach_the_admin_api_at_their_times(stub, monkeypatch):
    url, s = stub
    monkeypatch.setenv("LENDLAB_ADMIN_TOKEN", "sesame")
    scen = get_scenario("bureau_outage", time_scale=1 / 120)  # steps at 0, 0.5, 1.5 s of 2 s
    result = rp.replay(url, rate=20, duration=2.0, scenario=scen, seed=1, id_offset=0)
    bodies = [body for _, body, _ in s.admin]
    assert bodies == [
        {"reset": True},
        {"bureau": {"outage": True}},
        {"reset": True},
        {"reset": True},
    ]  # fmt: skip  (the last one restores after the run)
    assert {auth for _, _, auth in s.admin} == {"Bearer sesame"}
    gaps = np.diff([t for t, _, _ in s.admin[:3]])
    assert gaps == pytest.approx([0.5, 1.0], abs=0.1)
    assert result.steps["status"].tolist() == ["200", "200", "200"]
    assert result.steps["applied_s"].to_numpy() == pytest.approx([0, 0.5, 1.5], abs=0.1)


def test_steps_after_the_run_are_skipped_and_reported(stub, monkeypatch):
    url, s = stub
    monkeypatch.setenv("LENDLAB_ADMIN_TOKEN", "sesame")
    result = rp.replay(url, rate=20, duration=0.3, scenario="bureau_outage", id_offset=0)
    assert result.steps["status"].tolist()[1:] == ["skipped (after the run)"] * 2
    assert [body for _, body, _ in s.admin] == [{"reset": True}, {"reset": True}]


def test_a_scenario_with_service_steps_needs_the_token(stub, monkeypatch):
    url, _ = stub
    monkeypatch.delenv("LENDLAB_ADMIN_TOKEN", raising=False)
    with pytest.raises(ValueError, match="LENDLAB_ADMIN_TOKEN"):
        rp.replay(url, rate=10, duration=1, scenario="bureau_hang")
    rp.replay(url, rate=10, duration=0.2, scenario="healthy", id_offset=0)  # needs none


def test_data_fault_breaks_only_its_window_and_channel():
    rate = 50.0
    scen = get_scenario("income_units_partner", time_scale=1 / 60)  # window [1 s, 3 s) of 4 s
    broken = rp.build_plan(200, rate, scenario=scen, seed=4, id_offset=0)
    clean = rp.build_plan(200, rate, scenario=None, seed=4, id_offset=0)
    for i, (b, c) in enumerate(zip(broken.bodies, clean.bodies, strict=True)):
        b, c = json.loads(b), json.loads(c)
        in_window = 50 <= i < 150 and c["channel"] == "partner_api"
        if in_window:
            assert b["annual_income"] == pytest.approx(round(c["annual_income"] / 12), abs=1)
            assert broken.data_fault[i] == "income_monthly_as_annual"
        else:
            assert b == c and broken.data_fault[i] is None
    assert (
        sum(m is not None for m in broken.data_fault) == broken.fault_records[0].rows_affected > 0
    )


def test_scenario_catalogue():
    assert {"healthy", "bureau_latency_spike", "bureau_outage", "income_units_partner"} <= set(
        SCENARIOS
    )
    from lendlab.world.faults import FAULTS, KINDS

    for scen in SCENARIOS.values():
        assert set(scen.catalogue) <= set(FAULTS), scen.name
        assert all(d.kind in KINDS for d in scen.data_faults)
        assert all(s.at_s < scen.duration_s for s in scen.steps)
    spike = SCENARIOS["bureau_latency_spike"]
    assert [s.at_s for s in spike.steps] == [0, 120, 240]  # minute 2 to minute 4
    assert [s.at_s for s in spike.compressed().steps] == [0, 2, 4]
    with pytest.raises(ValueError, match="not both"):
        get_scenario("healthy", compress=True, time_scale=0.5)
    with pytest.raises(ValueError, match="positive"):
        spike.scaled(0)
    with pytest.raises(TypeError, match="name or a Scenario"):
        get_scenario(3)
    with pytest.raises(ValueError, match="empty"):
        DataFault(5, 5, "bureau_outage")
    with pytest.raises(TypeError, match="number of seconds"):
        FaultStep("1", {"reset": True})
    with pytest.raises(ValueError, match="> 0"):
        Scenario("x", "y", 0)


# -- the command -------------------------------------------------------------------------------
def test_cli_replays_and_writes_results(stub, tmp_path: Path, capsys):
    from lendlab.cli import main

    url, _ = stub
    out = tmp_path / "runs" / "r.csv"
    code = main(["replay", "--url", url, "--rate", "20", "--duration", "0.5", "--out", str(out),
                 "--id-offset", "0", "--json"])  # fmt: skip
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["ok"] == 10 and summary["errors"] == {}
    assert len(pd.read_csv(out)) == 10


def test_cli_refuses_remote_and_bad_out(capsys):
    from lendlab.cli import main

    assert main(["replay", "--url", "http://10.2.3.4:80", "--rate", "5", "--duration", "1"]) == 1
    assert "not loopback" in capsys.readouterr().err
    assert main(["replay", "--url", "http://127.0.0.1:9", "--rate", "5", "--duration", "1",
                 "--out", "x.txt"]) == 1  # fmt: skip
    assert ".parquet or .csv" in capsys.readouterr().err


def test_bucket_quantile_follows_prometheus_and_stays_within_one_bucket():
    from lendlab.serving.metrics import LATENCY_BUCKETS, ServiceMetrics

    m = ServiceMetrics()
    before = rp.histogram_buckets(m.exposition().decode(), outcome="ok")
    values = np.random.default_rng(5).lognormal(np.log(0.008), 0.6, 5_000)
    for v in values:
        m.request_duration.labels(route="/v1/decisions", outcome="ok").observe(v)
    m.request_duration.labels(route="/v1/decisions", outcome="error").observe(9.0)
    after = rp.histogram_buckets(m.exposition().decode(), outcome="ok")
    assert after[np.inf] - before.get(np.inf, 0) == 5_000  # the error series is left out
    edges = [0.0, *LATENCY_BUCKETS]
    for q in (0.5, 0.95, 0.99):
        est = rp.bucket_quantile(q, after, before)
        exact = np.quantile(values, q, method="inverted_cdf")
        k = np.searchsorted(LATENCY_BUCKETS, exact)  # the bucket holding the exact value
        assert edges[k] <= est <= LATENCY_BUCKETS[k], (q, est, exact)
    # Prometheus' corner cases: empty -> NaN, rank in +Inf -> highest finite edge
    assert np.isnan(rp.bucket_quantile(0.99, after, after))
    assert rp.bucket_quantile(0.99, {0.1: 0.0, np.inf: 10.0}) == 0.1
    with pytest.raises(ValueError, match="between 0 and 1"):
        rp.bucket_quantile(99, after)
    with pytest.raises(ValueError, match=r"\+Inf"):
        rp.bucket_quantile(0.5, {0.1: 1.0})


def test_bench_service_quick_smoke(capsys):
    """benchmarks/bench_service.py runs end to end at smoke sizes (timings are not asserted)."""
    import importlib.util

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_service.py"
    spec = importlib.util.spec_from_file_location("bench_service", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = module.main(["--quick"])
    text = capsys.readouterr().out
    assert "healthy" in text and "outage" in text and "/metrics scrape median" in text
    healthy, outage = out["healthy"], out["outage"]
    assert healthy["ok"] + healthy["errors"] == healthy["scheduled"] == 300
    assert healthy["logged"] >= healthy["ok"]  # every 2xx is in the log
    assert healthy["server_hist_count"] >= healthy["ok"]
    assert outage["fallback"] == outage["ok"] > 0  # every outage answer flagged as fallback
    assert 0 < out["scrape_median_s"] < 5
    assert set(out["checks"]) >= {"server_p99_hist<=25ms", "client_p99<=50ms", "scrape<50ms"}
