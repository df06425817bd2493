"""``POST /v1/decisions/batch`` in-process (FastAPI TestClient): each item handled exactly as
``POST /v1/decisions`` would (validation, rejected table, idempotency, dependencies, routing,
metrics), one group commit, whole-body refusals, and the ``decide_in_batches`` client.
"""

from __future__ import annotations

import concurrent.futures
import json
import math
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from lendlab import world  # noqa: E402
from lendlab.serving import (  # noqa: E402
    ServiceConfig,
    create_app,
    decide_in_batches,
    read_decisions,
    read_rejected,
    train_models,
)
from lendlab.serving.replay import BATCH_COLUMNS, histogram_buckets  # noqa: E402
from lendlab.serving.rollout_modes import assign_arm  # noqa: E402
from lendlab.serving.schemas import example_application, requests_from_frame  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
TOKEN = "s3cret-token"
ROUTE = "/v1/decisions"
BATCH = "/v1/decisions/batch"
# Tests that compare decisions must not see a false dependency timeout when the shared box
# stalls the process (a 180 ms stall was seen at load 3.6): generous timeouts, same knobs.
STEADY = {
    "request_budget_ms": 10_000,
    "bureau": {"timeout_ms": 8_000},
    "income_verification": {"latency_median_ms": 2.0, "latency_p99_ms": 8.0, "timeout_ms": 8_000},
}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    train_models(folder, seed=3, rows=12_000)
    return folder


@pytest.fixture
def make_client(model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    clients = []

    def make(**overrides) -> TestClient:
        monkeypatch.setenv("LENDLAB_ADMIN_TOKEN", TOKEN)
        cfg = ServiceConfig(db=tmp_path / "decisions.db", model_dir=model_dir, **overrides)
        client = TestClient(create_app(cfg))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client) -> TestClient:
    return make_client(**STEADY)


def admin(client: TestClient, path: str, body: dict):
    return client.post(path, json=body, headers={"Authorization": f"Bearer {TOKEN}"})


def db_of(client: TestClient) -> Path:
    return client.app.state.service.store.path


def logged_ids(client: TestClient) -> list[int]:
    with sqlite3.connect(db_of(client)) as conn:
        return [r[0] for r in conn.execute("SELECT application_id FROM decisions ORDER BY 1")]


def batch(client: TestClient, items: list) -> dict:
    r = client.post(BATCH, json={"applications": items})
    assert r.status_code == 200, r.text
    return r.json()


def raw_batch(client: TestClient, text: str):
    return client.post(BATCH, content=text, headers={"Content-Type": "application/json"})


def metric(text: str, line_start: str) -> float:
    """The value of the one exposition line that starts with ``line_start`` (0 if none)."""
    hits = [line for line in text.splitlines() if line.startswith(line_start)]
    assert len(hits) <= 1, hits
    return float(hits[0].rsplit(" ", 1)[1]) if hits else 0.0


# -- items: good and bad side by side --------------------------------------------------------
def test_mixed_items_bad_ones_refused_per_field_logged_and_never_approved(client) -> None:
    good = json.dumps(example_application(1))
    items = [
        good,
        json.dumps({**example_application(2), "fico": "700"}),
        json.dumps(example_application(3)),
        good.replace('"dti": 18.5', '"dti": NaN').replace('_id": 1,', '_id": 4,'),
        json.dumps({**example_application(5), "nickname": "x"}),
        json.dumps({**example_application(6), "annual_income": -1.0}),
        "7",
    ]  # fmt: skip
    r = raw_batch(client, '{"applications": [' + ", ".join(items) + "]}")
    assert r.status_code == 200, r.text
    body = r.json()
    results = body["results"]
    assert [x["status"] for x in results] == [200, 422, 200, 422, 422, 422, 422]
    assert [x["application_id"] for x in results] == [1, 2, 3, 4, 5, 6, None]
    fields = [[e["field"] for e in x["errors"]] for x in results]
    assert fields[1] == ["fico"] and fields[3] == ["dti"] and fields[4] == ["nickname"]
    assert fields[5] == ["annual_income"] and fields[6] == ["(body)"]
    assert all(x["decision"] is None and x["detail"] for x in results if x["status"] != 200)
    assert all(x["decision"]["application_id"] == x["application_id"] for x in results[::2][:2])
    assert "NaN" not in r.text
    # every bad item is in the rejected table, under its own request id; none was decided
    rejected = read_rejected(db_of(client))
    assert rejected["request_id"].tolist() == [f"{body['request_id']}-{i}" for i in (1, 3, 4, 5, 6)]
    assert rejected["status"].tolist() == [422] * 5
    assert rejected["application_id"].tolist()[:4] == [2, 4, 5, 6]
    assert [e["field"] for e in rejected["reasons"].iloc[0]] == ["fico"]
    assert logged_ids(client) == [1, 3]


def test_an_item_over_max_body_bytes_gets_its_own_413(client) -> None:
    big = {**example_application(8), "padding": "x" * 70_000}
    out = batch(client, [example_application(9), big])["results"]
    assert [x["status"] for x in out] == [200, 413]
    assert "over the limit" in out[1]["detail"]
    assert read_rejected(db_of(client))["status"].tolist() == [413]
    assert logged_ids(client) == [9]


# -- idempotency -----------------------------------------------------------------------------
def test_idempotent_replay_and_409_per_item(client) -> None:
    first = batch(client, [example_application(21), example_application(22)])["results"]
    changed = {**example_application(22), "loan_amount": 30_000.0}
    again = batch(client, [example_application(21), changed, example_application(23)])["results"]
    assert [x["status"] for x in again] == [200, 409, 200]
    a, b = first[0]["decision"], again[0]["decision"]
    assert b["replay"] is True and again[2]["decision"]["replay"] is False
    for key in ("request_id", "decision", "pd", "score", "reasons", "model_version"):
        assert a[key] == b[key]
    assert again[1]["errors"][0]["field"] == "application_id"
    assert logged_ids(client) == [21, 22, 23]
    rejected = read_rejected(db_of(client))
    assert rejected["status"].tolist() == [409] and rejected["application_id"].tolist() == [22]
    # a batch replays what a single request decided, and the other way round
    single = client.post(ROUTE, json=example_application(23))
    assert single.headers["Idempotent-Replay"] == "true"
    assert single.json()["request_id"] == again[2]["decision"]["request_id"]


def test_an_application_twice_in_one_batch_is_decided_once(client) -> None:
    changed = {**example_application(31), "dti": 40.0}
    out = batch(client, [example_application(31), example_application(31), changed])["results"]
    assert [x["status"] for x in out] == [200, 200, 409]
    assert out[0]["decision"]["replay"] is False and out[1]["decision"]["replay"] is True
    assert out[1]["decision"]["request_id"] == out[0]["decision"]["request_id"]
    assert logged_ids(client) == [31]
    assert read_rejected(db_of(client))["status"].tolist() == [409]


# -- whole-body refusals ---------------------------------------------------------------------
def test_over_max_batch_is_refused_with_the_limit_and_the_fix(make_client) -> None:
    client = make_client(max_batch=3)
    r = client.post(BATCH, json={"applications": [example_application(i) for i in range(1, 5)]})
    assert r.status_code == 413
    assert "max_batch=3" in r.json()["detail"]
    assert "split into batches of at most 3" in r.json()["detail"]
    assert read_rejected(db_of(client))["status"].tolist() == [413]
    assert logged_ids(client) == []
    spec = client.get("/openapi.json").json()
    schema = spec["paths"][BATCH]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["applications"]["maxItems"] == 3


def test_body_over_the_batch_limit_is_413(make_client) -> None:
    client = make_client(max_batch_body_bytes=4_096)
    r = client.post(BATCH, json={"applications": [example_application(i) for i in range(1, 20)]})
    assert r.status_code == 413 and "batch limit of 4096 bytes" in r.json()["detail"]
    assert logged_ids(client) == []


@pytest.mark.parametrize(
    ("text", "status", "field"),
    [
        ('{"applications": [', 400, "(body)"),
        ("[1, 2]", 422, "(body)"),
        ('{"apps": []}', 422, "applications"),
        ('{"applications": {}}', 422, "applications"),
        ('{"applications": []}', 422, "applications"),
        ('{"applications": [], "extra": 1}', 422, "extra"),
    ],
)
def test_malformed_bodies_are_refused_whole_and_logged(client, text, status, field) -> None:
    r = raw_batch(client, text)
    assert r.status_code == status, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    rejected = read_rejected(db_of(client))
    assert rejected["status"].tolist() == [status]
    assert rejected["request_id"].tolist() == [r.json()["request_id"]]
    assert logged_ids(client) == []


# -- same world as single requests -----------------------------------------------------------
def test_batch_decides_exactly_as_the_single_endpoint(client) -> None:
    book = world.generate(240, seed=9)
    bodies = requests_from_frame(book)
    out = batch(client, bodies)["results"]
    assert all(x["status"] == 200 for x in out)
    singles = [
        client.post(ROUTE, json={**b, "application_id": b["application_id"] + 10_000}).json()
        for b in bodies
    ]
    keys = ("decision", "pd", "score", "reasons", "model_version", "fallback", "arm")
    for x, s in zip(out, singles, strict=True):
        assert {k: x["decision"][k] for k in keys} == {k: s[k] for k in keys}
    decisions = {x["decision"]["decision"] for x in out}
    assert decisions == {"approve", "review", "decline"}  # the comparison covers all three
    assert any(len(x["decision"]["reasons"]) > 1 for x in out)


def test_rows_in_the_log_are_the_acknowledged_items(client) -> None:
    bodies = requests_from_frame(world.generate(60, seed=2))
    bodies[5] = {**bodies[5], "fico": 1}
    bodies[7] = {**bodies[7], "channel": "fax"}
    body = batch(client, bodies)
    acked = {x["application_id"]: x["decision"] for x in body["results"] if x["status"] == 200}
    assert len(acked) == 58
    log = read_decisions(db_of(client))
    assert sorted(log["application_id"]) == sorted(acked)
    for row in log.itertuples():
        d = acked[row.application_id]
        assert row.request_id == d["request_id"] and row.decision == d["decision"]
        assert (row.pd == d["pd"]) or (pd.isna(row.pd) and d["pd"] is None)
    assert log["request_id"].str.startswith(body["request_id"] + "-").all()
    assert (log["duration_ms"] > 0).all()  # the batch's duration, written after the ack


def test_a_failed_commit_acknowledges_nothing(client, monkeypatch) -> None:
    store = client.app.state.service.store

    def broken(rows):
        fut: concurrent.futures.Future = concurrent.futures.Future()
        fut.set_exception(sqlite3.OperationalError("disk I/O error"))
        return fut

    monkeypatch.setattr(store, "submit_decisions", broken)
    r = client.post(BATCH, json={"applications": [example_application(i) for i in (1, 2)]})
    assert r.status_code == 500 and "no decision of this batch" in r.json()["detail"]
    assert "results" not in r.json() and logged_ids(client) == []
    assert metric(client.get("/metrics").text, "lendlab_decisions_total{") == 0


def test_a_commit_past_its_timeout_is_503_and_retry_is_idempotent(make_client) -> None:
    client = make_client(commit_timeout_ms=0.001)
    items = [example_application(i) for i in (41, 42)]
    r = client.post(BATCH, json={"applications": items})
    assert r.status_code == 503 and r.headers["Retry-After"] == "1"
    assert "retry the batch" in r.json()["detail"]


# -- dependencies, routing, metrics ----------------------------------------------------------
@pytest.mark.parametrize("mode", ["manual_review", "rules"])
def test_bureau_outage_makes_every_item_fallback(make_client, mode) -> None:
    client = make_client(fallback=mode)
    admin(client, "/admin/faults", {"bureau": {"outage": True}})
    bodies = requests_from_frame(world.generate(50, seed=4))
    out = [x["decision"] for x in batch(client, bodies)["results"]]
    assert all(d["fallback"] == mode and d["failed_dependencies"] == ["bureau"] for d in out)
    assert all(d["decision"] != "approve" and d["pd"] is None for d in out)  # no bureau
    if mode == "rules":
        assert {d["model_version"] for d in out} == {"rules-policy"}
        assert all(d["reasons"][0].startswith("No credit score") for d in out)
    text = client.get("/metrics").text
    assert metric(text, f'lendlab_fallback_total{{dependency="bureau",mode="{mode}"}}') == 50
    assert metric(text, 'lendlab_dependency_errors_total{dependency="bureau",kind="outage"}') == 50
    assert set(read_decisions(db_of(client))["fallback"]) == {mode}


def test_a_hanging_dependency_cuts_every_item_at_the_budget(make_client) -> None:
    client = make_client(request_budget_ms=60)
    admin(client, "/admin/faults", {"income_verification": {"hang": True, "timeout_ms": 5_000}})
    body = batch(client, [example_application(i) for i in range(1, 41)])
    out = [x["decision"] for x in body["results"]]
    assert all(d["fallback"] == "manual_review" for d in out)
    assert max(d["timings"]["income_verification"] for d in out) < 60
    assert out[0]["timings"]["total"] < 1_000


def test_counters_count_items_and_latency_has_its_own_route(client) -> None:
    bodies = requests_from_frame(world.generate(30, seed=6))
    bodies[0] = {**bodies[0], "emp_length_years": None}
    bodies[1] = {**bodies[1], "fico": 1}
    out = batch(client, bodies)["results"]
    decided = [x["decision"] for x in out if x["status"] == 200]
    text = client.get("/metrics").text
    total = sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("lendlab_decisions_total{")
    )
    assert total == len(decided) == 29
    bins = sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("lendlab_score_bin_total{")
    )
    assert bins == 29
    missing = sum(1 for b in bodies[2:] if b["emp_length_years"] is None) + 1
    assert metric(text, 'lendlab_missing_features_total{feature="emp_length_years"}') == missing
    batch_count = 'lendlab_request_duration_seconds_count{outcome="ok",route="/v1/decisions/batch"}'
    assert metric(text, batch_count) == 1
    assert (
        metric(text, 'lendlab_request_duration_seconds_count{outcome="ok",route="/v1/decisions"}')
        == 0
    )
    assert metric(text, 'lendlab_requests_total{code="200",route="/v1/decisions/batch"}') == 1
    client.post(ROUTE, json=example_application(900))  # one single request beside the batch
    text = client.get("/metrics").text
    assert histogram_buckets(text)[math.inf] == 1  # the single route by default
    assert histogram_buckets(text, route=None)[math.inf] == 2


def test_canary_routing_is_per_item_as_for_single_requests(make_client) -> None:
    client = make_client(canary="challenger", canary_share=0.5, **STEADY)
    salt = client.app.state.service.config.canary_salt
    out = batch(client, [example_application(i) for i in range(100, 160)])["results"]
    arms = [x["decision"]["arm"] for x in out]
    assert arms == [assign_arm(i, share=0.5, salt=salt) for i in range(100, 160)]
    assert {"canary", "primary"} == set(arms)
    for x in out:
        want = "challenger-2025.1" if x["decision"]["arm"] == "canary" else "scorecard-2025.1"
        assert x["decision"]["model_version"] == want
    log = read_decisions(db_of(client))
    assert log.set_index("application_id")["arm"].to_dict() == dict(
        zip(range(100, 160), arms, strict=True)
    )


def test_shadow_gets_every_healthy_item(client) -> None:
    got = []

    class Shadow:  # records submissions; the real worker is tested in tests/service
        version = "challenger-2025.1"

        def submit(self, request_id, application_id, primary_model, served):
            got.append((request_id, application_id, primary_model))

        def close(self):
            pass

    client.app.state.service.shadow = Shadow()
    body = batch(client, [example_application(i) for i in (1, 2, 3)])
    assert got == [(f"{body['request_id']}-{i}", i + 1, "scorecard-2025.1") for i in range(3)]


def test_openapi_documents_the_batch_body_and_answer(client) -> None:
    spec = client.get("/openapi.json").json()
    post = spec["paths"][BATCH]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    items = schema["properties"]["applications"]
    assert items["maxItems"] == 500 and items["minItems"] == 1
    assert items["items"]["properties"]["fico"]["minimum"] == 300
    assert schema["additionalProperties"] is False
    answer = post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert answer.endswith("/BatchResponse") and "413" in post["responses"]


# -- the Python client -----------------------------------------------------------------------
def test_decide_in_batches_returns_one_row_per_application(client) -> None:
    book = world.generate(130, seed=8)
    out = decide_in_batches("http://testserver", book, batch_size=50, client=client)
    assert list(out.columns) == list(BATCH_COLUMNS)
    assert out["application_id"].tolist() == book["application_id"].tolist()
    assert (out["status"] == 200).all() and not out["replayed"].any()
    assert out["fallback"].isna().all() and out["pd"].between(0, 1).all()
    log = read_decisions(db_of(client)).set_index("application_id")
    assert (log.loc[out["application_id"].astype(int), "pd"].to_numpy() == out["pd"]).all()
    again = decide_in_batches("http://testserver", book.head(10), client=client)
    assert again["replayed"].all()


def test_decide_in_batches_reports_a_refused_batch_and_bad_arguments(make_client) -> None:
    client = make_client(max_batch=5, **STEADY)
    book = world.generate(12, seed=8)
    with pytest.raises(RuntimeError, match="split into batches of at most 5"):
        decide_in_batches("http://testserver", book, batch_size=10, client=client)
    assert len(decide_in_batches("http://testserver", book, batch_size=5, client=client)) == 12
    with pytest.raises(ValueError, match="not loopback"):
        decide_in_batches("http://10.1.2.3:8000", book)
    with pytest.raises(TypeError, match="DataFrame"):
        decide_in_batches("http://127.0.0.1:1", requests_from_frame(book))
    with pytest.raises(ValueError, match="batch_size"):
        decide_in_batches("http://127.0.0.1:1", book, batch_size=0)
