"""Rollout modes of the service (issue 9): canary arms, blue-green switch and rollback, shadow.

In-process (FastAPI TestClient); the shadow worker is a real child process. Faulty shadow
models (:class:`~lendlab.serving.rollout_modes.FaultyModel`: raises, hangs, slow) are saved
into the model folder beside the champion and challenger.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from lendlab import world  # noqa: E402
from lendlab.models import load_model, save_model  # noqa: E402
from lendlab.serving import ServiceConfig, create_app, read_decisions, train_models  # noqa: E402
from lendlab.serving.rollout_modes import FaultyModel, assign_arm, canary_bucket  # noqa: E402
from lendlab.serving.schemas import requests_from_frame  # noqa: E402
from lendlab.serving.store import DecisionStore, read_shadow  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
TOKEN = "rollout-token"
H = {"Authorization": f"Bearer {TOKEN}"}
ROUTE = "/v1/decisions"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    train_models(folder, seed=3, rows=12_000)
    champion = load_model(folder / "scorecard-2025.1.joblib")
    for kind, delay in (("raise", 0), ("hang", 0), ("slow", 0.2)):
        save_model(FaultyModel(champion, kind, delay), folder / f"faulty-{kind}.joblib")
    return folder


@pytest.fixture(scope="module")
def bodies() -> list[dict]:
    return requests_from_frame(world.generate(400, seed=11))


@pytest.fixture
def make_client(model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    clients = []

    def make(**overrides) -> TestClient:
        monkeypatch.setenv("LENDLAB_ADMIN_TOKEN", TOKEN)
        db = overrides.pop("db", tmp_path / f"d{len(clients)}.db")
        cfg = ServiceConfig(db=db, model_dir=model_dir, **overrides)
        client = TestClient(create_app(cfg))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _post_all(client: TestClient, bodies: list[dict]) -> list[dict]:
    out = []
    for body in bodies:
        r = client.post(ROUTE, json=body)
        assert r.status_code == 200, r.text
        out.append(r.json())
    return out


def _drain(client: TestClient, timeout: float = 60.0) -> dict:
    """Wait until every queued shadow job has a result; return the shadow stats."""
    runner = client.app.state.service.shadow
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = runner.stats()
        if s["queued"] == 0 and s["ok"] + s["error"] + s["timeout"] == s["submitted"]:
            time.sleep(0.3)  # the rows ride the next group commit
            return runner.stats()
        time.sleep(0.05)
    raise AssertionError(f"shadow did not drain in {timeout} s: {runner.stats()}")


def _metric(client: TestClient, name: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    text = client.get("/metrics").text
    return sum(
        s.value for f in text_string_to_metric_families(text) for s in f.samples if s.name == name
    )


# -- canary --------------------------------------------------------------------------------
def test_canary_bucket_is_uniform_deterministic_and_salted():
    u = np.array([canary_bucket(i, "s") for i in range(20_000)])
    assert ((u >= 0) & (u < 1)).all()
    # uniform: each tenth holds 10 % +- 1 %
    assert np.abs(np.bincount((u * 10).astype(int), minlength=10) / u.size - 0.1).max() < 0.01
    assert canary_bucket(42, "s") == canary_bucket(42, "s")
    assert canary_bucket(42, "s") != canary_bucket(42, "t")
    # raising the share only moves applications into the canary
    small = {i for i in range(5_000) if assign_arm(i, share=0.05, salt="s") == "canary"}
    large = {i for i in range(5_000) if assign_arm(i, share=0.20, salt="s") == "canary"}
    assert small < large
    with pytest.raises(TypeError, match="integer"):
        canary_bucket(1.5, "s")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        assign_arm(1, share=-0.1, salt="s")


def test_canary_arm_follows_the_hash_and_a_retry_keeps_its_arm(make_client, bodies):
    client = make_client(canary="challenger", canary_share=0.3)
    answers = _post_all(client, bodies[:120])
    salt = client.app.state.service.config.canary_salt
    for body, a in zip(bodies[:120], answers, strict=True):
        arm = assign_arm(body["application_id"], share=0.3, salt=salt)
        assert a["arm"] == arm
        if not a["fallback"]:
            expected = "challenger-2025.1" if arm == "canary" else "scorecard-2025.1"
            assert a["model_version"] == expected
    arms = [a["arm"] for a in answers]
    assert 15 <= arms.count("canary") <= 55, arms.count("canary")
    # a retried application: same arm, the logged decision
    again = client.post(ROUTE, json=bodies[0]).json()
    assert again["replay"] is True and again["arm"] == answers[0]["arm"]
    log = read_decisions(client.app.state.service.store.path).set_index("request_id")
    for a in answers:
        assert log.loc[a["request_id"], "arm"] == a["arm"]
    canary = log[log["arm"] == "canary"]
    assert (canary["active_model"] == "challenger-2025.1").all()
    assert (log.loc[log["arm"] == "primary", "active_model"] == "scorecard-2025.1").all()


def test_canary_share_without_a_canary_is_refused():
    with pytest.raises(ValueError, match="without a canary model"):
        ServiceConfig(db="x.db", canary_share=0.1)


def test_rollout_endpoint_starts_changes_and_stops_the_canary(make_client, bodies):
    client = make_client()
    assert client.post("/admin/rollout", json={"canary_share": 0.5}, headers=H).status_code == 409
    assert client.post("/admin/rollout", json={"canary": "nope"}, headers=H).status_code == 404
    assert client.post("/admin/rollout", json={"canary": "challenger"}).status_code == 401
    r = client.post("/admin/rollout", json={"canary": "challenger", "canary_share": 1.0}, headers=H)
    assert r.status_code == 200 and r.json()["canary"] == "challenger-2025.1"
    assert {a["arm"] for a in _post_all(client, bodies[:10])} == {"canary"}
    r = client.post("/admin/rollout", json={"canary": None}, headers=H)
    assert r.json()["canary"] is None and r.json()["canary_share"] == 0.0
    assert {a["arm"] for a in _post_all(client, bodies[10:20])} == {"primary"}
    info = 'lendlab_rollout_arm_info{arm="primary",model_version="scorecard-2025.1"} 1.0'
    assert info in client.get("/metrics").text


# -- blue-green --------------------------------------------------------------------------
def test_blue_green_switch_and_rollback_record_arm_and_version(make_client, bodies):
    client = make_client(blue_green=True)
    rollback = {"rollback": True}
    assert client.post("/admin/model", json=rollback, headers=H).status_code == 409  # no history
    assert client.post("/admin/model", json={}, headers=H).status_code == 422
    both = {"model": "challenger", "rollback": True}
    assert client.post("/admin/model", json=both, headers=H).status_code == 422
    first = _post_all(client, bodies[:10])
    r = client.post("/admin/model", json={"model": "challenger"}, headers=H).json()
    assert (r["arm"], r["model_version"], r["previous"]) == (
        "green",
        "challenger-2025.1",
        "scorecard-2025.1",
    )
    second = _post_all(client, bodies[10:20])
    r = client.post("/admin/model", json=rollback, headers=H).json()
    assert (r["arm"], r["model_version"]) == ("blue", "scorecard-2025.1")
    third = _post_all(client, bodies[20:30])
    state = client.get("/admin/rollout", headers=H).json()
    assert state["slots"] == {"blue": "scorecard-2025.1", "green": "challenger-2025.1"}
    assert state["live"] == "blue" and state["history"] == []
    log = read_decisions(client.app.state.service.store.path).set_index("request_id")
    for answers, arm, version in (
        (first, "blue", "scorecard-2025.1"),
        (second, "green", "challenger-2025.1"),
        (third, "blue", "scorecard-2025.1"),
    ):
        assert {a["arm"] for a in answers} == {arm}
        rows = log.loc[[a["request_id"] for a in answers]]
        assert set(rows["arm"]) == {arm} and set(rows["active_model"]) == {version}


def test_plain_mode_rollback_returns_to_the_previous_version(make_client, bodies):
    client = make_client()
    client.post("/admin/model", json={"model": "challenger"}, headers=H)
    r = client.post("/admin/model", json={"rollback": True}, headers=H).json()
    assert (r["arm"], r["model_version"], r["previous"]) == (
        "primary",
        "scorecard-2025.1",
        "challenger-2025.1",
    )
    assert {a["arm"] for a in _post_all(client, bodies[:5])} == {"primary"}


def test_an_old_log_without_the_arm_column_is_migrated(tmp_path):
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE decisions (application_id INTEGER PRIMARY KEY, pd REAL)")
    store = DecisionStore(db)
    row = {"application_id": 1, "decision": "approve", "arm": "canary", "request_id": "r"}
    assert store.submit_decision(row).result(timeout=5) is True
    store.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT arm FROM decisions").fetchone() == ("canary",)


# -- shadow -------------------------------------------------------------------------------
def test_shadow_of_the_primary_model_gives_the_primary_decisions(make_client, bodies):
    """The shadow path decides exactly as the request path does (same logic, batched)."""
    client = make_client(shadow="champion")
    answers = _post_all(client, bodies[:150])
    stats = _drain(client)
    assert stats["ok"] == stats["submitted"] > 100, stats
    db = client.app.state.service.store.path
    log = read_decisions(db).set_index("request_id")
    shadow = read_shadow(db).set_index("request_id")
    scored = [a for a in answers if not a["fallback"]]
    assert len(shadow) == len(scored)
    for a in scored:
        s = shadow.loc[a["request_id"]]
        assert s["status"] == "ok" and s["model_version"] == "scorecard-2025.1"
        assert (s["pd"], s["score"], s["decision"]) == (a["pd"], a["score"], a["decision"])
        got = [s[f"reason_{k}"] for k in range(1, 5)]
        assert [r for r in got if isinstance(r, str)] == a["reasons"]
        assert s["application_id"] == log.loc[a["request_id"], "application_id"]
        assert s["latency_ms"] >= s["score_ms"] >= 0


def test_shadow_challenger_logs_both_outputs_under_one_request_id(make_client, bodies):
    client = make_client(shadow="challenger")
    answers = _post_all(client, bodies[:60])
    _drain(client)
    db = client.app.state.service.store.path
    both = read_decisions(db).merge(read_shadow(db), on="request_id", suffixes=("", "_shadow"))
    assert len(both) == sum(not a["fallback"] for a in answers)
    assert set(both["model_version_shadow"]) == {"challenger-2025.1"}
    assert set(both["model_version"]) == {"scorecard-2025.1"}
    assert (both["pd"] != both["pd_shadow"]).mean() > 0.9  # a different model


def _primary_answers(client: TestClient, bodies: list[dict]) -> list[tuple]:
    return [
        (a["decision"], a["pd"], a["score"], a["reasons"], a["fallback"])
        for a in _post_all(client, bodies)
    ]


@pytest.mark.parametrize("kind", ["raise", "hang", "slow"])
def test_a_faulty_shadow_never_changes_the_primary(make_client, bodies, kind, tmp_path):
    n = 60
    plain = make_client(db=tmp_path / "plain.db")
    expected = _primary_answers(plain, bodies[:n])
    faulty = make_client(
        db=tmp_path / f"{kind}.db",
        shadow=f"scorecard-2025.1-{kind}",
        shadow_timeout_ms=300,
        shadow_queue_max=8,
        shadow_batch_max=4,
    )
    start = time.perf_counter()
    got = _primary_answers(faulty, bodies[:n])
    elapsed = time.perf_counter() - start
    assert got == expected
    # the primary never waited for the shadow: 60 requests in far less than one timeout each
    assert elapsed < n * 0.3 / 4, elapsed
    durations = read_decisions(faulty.app.state.service.store.path)["duration_ms"].dropna()
    assert durations.max() < 250, durations.max()  # a hung shadow would show its 300 ms+
    runner = faulty.app.state.service.shadow
    outcome = {"raise": "error", "hang": "timeout", "slow": "ok"}[kind]
    deadline = time.monotonic() + 60  # the worker's start (imports, model load) varies with load
    while runner.stats()[outcome] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the rows ride the next group commit
    stats = runner.stats()
    assert stats["submitted"] + stats["dropped"] == sum(not a[4] for a in got)
    shadow = read_shadow(faulty.app.state.service.store.path)
    if kind == "raise":
        assert stats["error"] > 0 and stats["ok"] == 0, stats
        assert (shadow["status"] == "error").all() and len(shadow) > 0
        assert shadow["error"].str.contains("injected failure").all()
    elif kind == "hang":
        assert stats["timeout"] > 0 and stats["ok"] == 0, stats
        assert (shadow["status"] == "timeout").all() and len(shadow) > 0
        assert shadow["error"].str.contains("not scored within 300 ms").all()
    else:  # slow: 0.2 s per batch of 4 cannot keep up, the queue of 8 fills: drops counted
        assert stats["ok"] > 0 and stats["dropped"] > 0, stats
        assert (shadow["status"] == "ok").all()
    dropped = _metric(faulty, "lendlab_shadow_dropped_total")
    assert dropped == runner.stats()["dropped"]


def test_a_hung_shadow_worker_is_killed_and_replaced(make_client, bodies):
    client = make_client(shadow="scorecard-2025.1-hang", shadow_timeout_ms=200)
    runner = client.app.state.service.shadow
    _post_all(client, bodies[:3])
    deadline = time.monotonic() + 60
    # the timeout is counted first, then the worker is killed and reaped: wait for both
    while (runner.stats()["timeout"] == 0 or runner._proc is not None) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)
    first = runner.stats()
    assert first["timeout"] > 0, first
    assert runner._proc is None  # killed at its timeout and reaped
    _post_all(client, bodies[3:6])  # the next batch starts a fresh worker (after a back-off)
    deadline = time.monotonic() + 60
    while runner.stats()["worker_starts"] < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert runner.stats()["worker_starts"] >= 2, runner.stats()


def test_shadow_queue_full_drops_without_waiting_and_counts(make_client, bodies):
    client = make_client(shadow="scorecard-2025.1-slow", shadow_queue_max=2, shadow_batch_max=1)
    _post_all(client, bodies[:40])
    stats = client.app.state.service.shadow.stats()
    assert stats["dropped"] >= 30, stats
    assert stats["submitted"] + stats["dropped"] <= 40
    assert _metric(client, "lendlab_shadow_dropped_total") == stats["dropped"]
    line = 'lendlab_shadow_dropped_total{model_version="scorecard-2025.1-slow"}'
    assert line in client.get("/metrics").text


def test_shadow_started_and_stopped_through_the_admin_api(make_client, bodies):
    client = make_client()
    r = client.post("/admin/rollout", json={"shadow": "challenger"}, headers=H)
    assert r.status_code == 200 and r.json()["shadow"]["model_version"] == "challenger-2025.1"
    _post_all(client, bodies[:20])
    stats = _drain(client)
    assert stats["ok"] == stats["submitted"] > 10
    runner = client.app.state.service.shadow
    r = client.post("/admin/rollout", json={"shadow": None}, headers=H)
    assert r.json()["shadow"] is None
    assert runner._proc is None  # the worker process was stopped
    _post_all(client, bodies[20:30])
    assert len(read_shadow(client.app.state.service.store.path)) == stats["ok"]
