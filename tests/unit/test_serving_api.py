"""The scoring service in-process (FastAPI TestClient): contract, bad input, idempotency, admin,
fallback under outage and hang, metrics. The real-process crash test is test_serving_process.py.
"""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from lendlab import monitoring, world  # noqa: E402
from lendlab.cli import main as cli_main  # noqa: E402
from lendlab.models import load_model  # noqa: E402
from lendlab.serving import (  # noqa: E402
    ServiceConfig,
    create_app,
    read_decisions,
    read_rejected,
    train_models,
)
from lendlab.serving.schemas import (  # noqa: E402
    APPLICATION_FIELDS,
    example_application,
    requests_from_frame,
)
from lendlab.world.schema import COLUMNS, TRUTH_COLUMNS  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
TOKEN = "s3cret-token"
ROUTE = "/v1/decisions"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    train_models(folder, seed=3, rows=12_000)
    return folder


@pytest.fixture
def make_client(model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    clients = []

    def make(token: str | None = TOKEN, **overrides) -> TestClient:
        if token is None:
            monkeypatch.delenv("LENDLAB_ADMIN_TOKEN", raising=False)
        else:
            monkeypatch.setenv("LENDLAB_ADMIN_TOKEN", token)
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
    return make_client()


def admin(client: TestClient, path: str, body: dict, token: str = TOKEN):
    return client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})


def rows(client: TestClient, table: str) -> list[tuple]:
    db = client.app.state.service.store.path
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT * FROM {table}").fetchall()


# -- contract --------------------------------------------------------------------------------
def test_decision_has_the_documented_fields_and_logs_one_row(client: TestClient) -> None:
    r = client.post(ROUTE, json=example_application(11))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["decision"] in monitoring.DECISIONS
    assert 0 < body["pd"] < 1 and isinstance(body["score"], int)
    assert body["model_version"] == "scorecard-2025.1" and body["fallback"] is False
    assert len(body["reasons"]) <= 4 and body["replay"] is False
    assert {"parse", "dependencies", "model", "commit", "total"} <= set(body["timings"])
    entry = client.app.state.service.active
    assert body["model_sha256"] == entry.sha256
    log = read_decisions(client.app.state.service.store.path)
    assert list(log.columns[: len(monitoring.LOG_COLUMNS)]) == list(monitoring.LOG_COLUMNS)
    row = log.iloc[0]
    assert row["application_id"] == 11 and row["request_id"] == body["request_id"]
    assert row["model_sha256"] == entry.sha256 and row["pd"] == body["pd"]


@pytest.mark.parametrize("alias", ["champion", "challenger"])
def test_served_pd_equals_the_model_on_the_world_row(make_client, model_dir, alias) -> None:
    """No second feature computation: the service's PD is the model's PD on the world frame."""
    client = make_client(model=alias)
    book = world.generate(40, seed=5)
    version = json.loads((model_dir / "aliases.json").read_text())[alias]
    model = load_model(model_dir / f"{version}.joblib")
    expected = np.round(np.asarray(model.predict_pd(book), dtype=float), 6)
    for body, want in zip(requests_from_frame(book), expected, strict=True):
        got = client.post(ROUTE, json=body).json()
        assert got["model_version"] == version
        assert got["pd"] == pytest.approx(want, abs=1e-6)


def test_knockout_first_declines_with_the_rule_reason(client: TestClient) -> None:
    body = {**example_application(12), "inquiries_6m": 9}
    got = client.post(ROUTE, json=body).json()
    assert got["decision"] == "decline"
    assert got["reasons"] == ["Too many recent credit inquiries (more than 6 in 6 months)"]


def test_model_declines_carry_reasons(client: TestClient) -> None:
    book = world.generate(80, seed=9)
    out = [client.post(ROUTE, json=b).json() for b in requests_from_frame(book)]
    declined = [o for o in out if o["decision"] == "decline"]
    assert declined and all(1 <= len(o["reasons"]) <= 4 for o in declined)
    assert all(o["reasons"] == [] for o in out if o["decision"] != "decline")


def test_openapi_documents_every_request_field(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schema = spec["paths"][ROUTE]["post"]["requestBody"]["content"]["application/json"]["schema"]
    props = schema["properties"]
    assert list(props) == list(APPLICATION_FIELDS)
    assert not set(props) & set(TRUTH_COLUMNS)
    for name, prop in props.items():
        assert prop["description"] == COLUMNS[name].meaning
    assert schema["additionalProperties"] is False
    assert props["fico"]["minimum"] == 300 and props["fico"]["maximum"] == 850


# -- bad input -------------------------------------------------------------------------------
MARKER = "ZZ-raw-input-ZZ"
GOOD = json.dumps(example_application(500))
BAD_BODIES = {
    "malformed JSON": (GOOD[:-5] + MARKER, 400, "(body)"),
    "missing field": (json.dumps({k: v for k, v in json.loads(GOOD).items() if k != "dti"}), 422,
                      "dti"),
    "unknown field": (json.dumps({**json.loads(GOOD), "nickname": MARKER}), 422, "nickname"),
    "string number": (GOOD.replace('"fico": 700', '"fico": "700"'), 422, "fico"),
    "NaN": (GOOD.replace('"dti": 18.5', '"dti": NaN'), 422, "dti"),
    "Infinity": (GOOD.replace('"loan_amount": 12000.0', '"loan_amount": Infinity'), 422,
                 "loan_amount"),
    "negative income": (GOOD.replace('"annual_income": 72000.0', '"annual_income": -1.0'), 422,
                        "annual_income"),
    "fico below 300": (GOOD.replace('"fico": 700', '"fico": 299'), 422, "fico"),
    "fico above 850": (GOOD.replace('"fico": 700', '"fico": 851'), 422, "fico"),
    "unknown category": (GOOD.replace('"channel": "web"', f'"channel": "{MARKER}"'), 422,
                         "channel"),
    "not an object": ("[1, 2]", 422, "(body)"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_bad_input_is_refused_per_field_logged_and_never_approved(client, case) -> None:
    text, status, field = BAD_BODIES[case]
    assert text != GOOD
    r = client.post(ROUTE, content=text, headers={"Content-Type": "application/json"})
    assert r.status_code == status, r.text
    body = r.json()
    assert field in [e["field"] for e in body["errors"]], body
    assert all(e["reason"] for e in body["errors"])
    assert MARKER not in r.text and "NaN" not in r.text and "Infinity" not in r.text
    rejected = read_rejected(client.app.state.service.store.path)
    assert rejected["request_id"].tolist() == [body["request_id"]]
    assert rejected["status"].tolist() == [status]
    assert field in [e["field"] for e in rejected["reasons"].iloc[0]]
    assert rows(client, "decisions") == []  # never decided, so never approved


def test_body_over_64kb_gets_413_and_is_logged(client: TestClient) -> None:
    body = {**example_application(501), "padding": "x" * 70_000}
    r = client.post(ROUTE, json=body)
    assert r.status_code == 413 and "over the limit" in r.json()["detail"]
    rejected = read_rejected(client.app.state.service.store.path)
    assert rejected["status"].tolist() == [413] and rejected["body_bytes"].iloc[0] > 65_536
    assert rows(client, "decisions") == []


# -- idempotency -----------------------------------------------------------------------------
def test_same_id_same_payload_replays_the_logged_decision(client: TestClient) -> None:
    first = client.post(ROUTE, json=example_application(21))
    # same payload, other key order and an equivalent timestamp spelling
    body = dict(reversed(list(example_application(21).items())))
    body["applied_at"] = "2025-03-01T12:00:00+00:00"
    again = client.post(ROUTE, json=body)
    assert again.status_code == 200 and again.headers["Idempotent-Replay"] == "true"
    a, b = first.json(), again.json()
    assert b["replay"] is True
    for key in ("request_id", "decision", "pd", "score", "reasons", "model_version"):
        assert a[key] == b[key]
    assert "Idempotent-Replay" not in first.headers
    assert len(rows(client, "decisions")) == 1


def test_same_id_different_payload_is_a_409(client: TestClient) -> None:
    client.post(ROUTE, json=example_application(22))
    r = client.post(ROUTE, json={**example_application(22), "loan_amount": 30_000.0})
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "application_id"
    assert len(rows(client, "decisions")) == 1
    rejected = read_rejected(client.app.state.service.store.path)
    assert rejected["status"].tolist() == [409] and rejected["application_id"].tolist() == [22]


# -- admin -----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/admin/model", "/admin/cutoff", "/admin/faults"])
def test_admin_needs_the_bearer_token(client: TestClient, path: str) -> None:
    body = {"/admin/model": {"model": "challenger"}, "/admin/cutoff": {"cutoff": 0.3},
            "/admin/faults": {"bureau": {"outage": True}}}[path]  # fmt: skip
    assert client.post(path, json=body).status_code == 401
    wrong = admin(client, path, body, token="nope")
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"] == "Bearer"
    assert admin(client, path, body).status_code == 200


def test_admin_is_disabled_without_the_env_var(make_client) -> None:
    client = make_client(token=None)
    r = admin(client, "/admin/cutoff", {"cutoff": 0.3}, token="")
    assert r.status_code == 403 and "LENDLAB_ADMIN_TOKEN" in r.json()["detail"]


def test_admin_switches_model_cutoff_and_refuses_bad_knobs(client: TestClient) -> None:
    r = admin(client, "/admin/model", {"model": "challenger"})
    assert r.json()["model_version"] == "challenger-2025.1"
    assert client.post(ROUTE, json=example_application(31)).json()["model_version"] == (
        "challenger-2025.1"
    )
    assert admin(client, "/admin/model", {"model": "nope"}).status_code == 404
    assert admin(client, "/admin/cutoff", {"cutoff": 0.999}).status_code == 422
    r = admin(client, "/admin/cutoff", {"cutoff": 0.9, "review_margin": 0.0})
    assert r.json() == {"cutoff": 0.9, "review_margin": 0.0}
    assert client.post(ROUTE, json=example_application(32)).json()["decision"] == "approve"
    bad = client.post(
        "/admin/faults",
        content='{"bureau": {"error_rate": NaN}}',
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    assert bad.status_code == 422 and "NaN" not in bad.text
    bad = admin(client, "/admin/faults", {"bureau": {"error_rate": 2}})
    assert bad.status_code == 422
    assert client.app.state.service.dependencies["bureau"].knobs.error_rate == 0.0


# -- dependencies and fallback ---------------------------------------------------------------
@pytest.mark.parametrize("mode", ["manual_review", "rules"])
def test_bureau_outage_degrades_to_the_configured_fallback(make_client, mode) -> None:
    client = make_client(fallback=mode)
    admin(client, "/admin/faults", {"bureau": {"outage": True}})
    out = [client.post(ROUTE, json=example_application(40 + i)).json() for i in range(5)]
    for o in out:
        assert o["fallback"] == mode and o["failed_dependencies"] == ["bureau"]
        assert o["decision"] != "approve" and o["pd"] is None  # no bureau: never approved
    if mode == "rules":
        assert out[0]["reasons"][0] == "No credit score available from the credit bureau"
    else:
        assert {o["decision"] for o in out} == {"review"}
    log = read_decisions(client.app.state.service.store.path)
    assert set(log["fallback"]) == {mode} and log["fico"].isna().all()
    metrics = client.get("/metrics").text
    assert f'lendlab_fallback_total{{dependency="bureau",mode="{mode}"}} 5.0' in metrics
    assert 'lendlab_dependency_errors_total{dependency="bureau",kind="outage"} 5.0' in metrics
    admin(client, "/admin/faults", {"reset": True})
    assert client.post(ROUTE, json=example_application(49)).json()["fallback"] is False


def test_a_hanging_dependency_is_answered_within_budget(make_client) -> None:
    client = make_client(request_budget_ms=60)
    admin(client, "/admin/faults", {"income_verification": {"hang": True, "timeout_ms": 500}})
    r = client.post(ROUTE, json=example_application(50))
    body = r.json()
    assert r.status_code == 200 and body["fallback"] == "manual_review"
    assert body["failed_dependencies"] == ["income_verification"]
    assert body["timings"]["income_verification"] < 60  # cut by the budget, not the 500 ms
    assert body["timings"]["total"] < 60 + 40  # budget plus scheduling slack on a busy box
    metrics = client.get("/metrics").text
    assert (
        'lendlab_dependency_errors_total{dependency="income_verification",kind="timeout"} 1.0'
        in (metrics)
    )


def test_stale_bureau_undercounts_inquiries(make_client) -> None:
    client = make_client()
    admin(client, "/admin/faults", {"bureau": {"stale_days": 90, "undercount": 1.0}})
    client.post(ROUTE, json={**example_application(60), "inquiries_6m": 5})
    log = read_decisions(client.app.state.service.store.path)
    assert log["inquiries_6m"].tolist() == [0]
    assert json.loads(log["input_json"].iloc[0])["inquiries_6m"] == 5  # as received


# -- ops -------------------------------------------------------------------------------------
CONTRACT_METRICS = (
    "lendlab_request_duration_seconds_bucket",
    "lendlab_requests_total",
    "lendlab_decisions_total",
    "lendlab_fallback_total",
    "lendlab_missing_features_total",
    "lendlab_dependency_duration_seconds_bucket",
    "lendlab_dependency_errors_total",
    "lendlab_score_bin_total",
    "lendlab_score_reference_share",
    "lendlab_model_info",
)


def test_metrics_follow_the_contract(client: TestClient) -> None:
    no_job = {**example_application(70), "emp_length_years": None}
    client.post(ROUTE, json=no_job)
    client.post(ROUTE, json={**example_application(71), "fico": 1})
    client.post(ROUTE, json=no_job)  # replay
    text = client.get("/metrics").text
    for name in CONTRACT_METRICS:
        assert name in text, name
    assert (
        'lendlab_request_duration_seconds_bucket{le="0.1",outcome="ok",route="/v1/decisions"}'
        in (text)
    )
    assert 'lendlab_requests_total{code="200",route="/v1/decisions"} 2.0' in text
    assert 'lendlab_requests_total{code="422",route="/v1/decisions"} 1.0' in text
    assert 'lendlab_missing_features_total{feature="emp_length_years"} 1.0' in text
    entry = client.app.state.service.active
    assert f'artifact_sha256="{entry.sha256[:12]}"' in text and 'alias="champion"' in text
    shares = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("lendlab_score_reference_share{")
    ]
    assert len(shares) == 10 and math.isclose(sum(shares), 1.0)
    scored = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("lendlab_score_bin_total{")
    ]
    assert sum(scored) == 1.0  # one new decision; the replay and the 422 are not scored
    assert "application_id" not in text and "request_id" not in text


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["model_version"] == "scorecard-2025.1"


def test_export_reads_unchanged_in_the_week3_tools(client: TestClient, tmp_path: Path) -> None:
    for body in requests_from_frame(world.generate(60, seed=4)):
        client.post(ROUTE, json=body)
    db = client.app.state.service.store.path
    out = tmp_path / "log.parquet"
    assert cli_main(["decisions", "export", "--db", str(db), "--out", str(out)]) == 0
    log = pd.read_parquet(out)
    assert len(log) == 60 and list(log.columns[:10]) == list(monitoring.LOG_COLUMNS)
    mix = monitoring.decision_mix(log, freq="MS")
    assert mix["n"].sum() == 60 if "n" in mix.columns else len(mix) >= 1


# -- load shedding and the event-loop lag ----------------------------------------------------
def test_over_max_in_flight_sheds_with_503_and_decides_nothing(make_client) -> None:
    client = make_client(max_in_flight=2)
    state = client.app.state.service
    state.in_flight = 2  # two requests being handled (as if a burst were in progress)
    r = client.post(ROUTE, json=example_application(80))
    assert r.status_code == 503 and r.headers["Retry-After"] == "1"
    assert "max_in_flight=2" in r.json()["detail"] and "nothing was decided" in r.json()["detail"]
    batch = client.post(f"{ROUTE}/batch", json={"applications": [example_application(81)]})
    assert batch.status_code == 503
    assert rows(client, "decisions") == []
    text = client.get("/metrics").text
    assert 'lendlab_shed_total{route="/v1/decisions"} 1.0' in text
    assert 'lendlab_shed_total{route="/v1/decisions/batch"} 1.0' in text
    assert "lendlab_decisions_total{" not in text
    state.in_flight = 1  # one slot free again
    ok = client.post(ROUTE, json=example_application(80))
    assert ok.status_code == 200 and ok.json()["decision"] in monitoring.DECISIONS
    assert state.in_flight == 1  # the slot was given back after the answer
    assert "lendlab_in_flight 1.0" in client.get("/metrics").text


def test_event_loop_lag_is_sampled(client: TestClient) -> None:
    import time as _time

    _time.sleep(0.3)  # the watcher samples every 0.1 s
    text = client.get("/metrics").text
    line = next(x for x in text.splitlines() if x.startswith("lendlab_event_loop_lag_seconds "))
    assert 0.0 <= float(line.split()[1]) < 5.0


def test_scorecard_fast_pd_is_bit_for_bit_the_points_pd(model_dir: Path) -> None:
    """The service's speed-up of Scorecard.predict_pd (numpy sum) changes no PD."""
    version = json.loads((model_dir / "aliases.json").read_text())["champion"]
    card = load_model(model_dir / f"{version}.joblib")
    book = world.generate(5_000, seed=12)
    slow = 1.0 / (1.0 + np.exp((card.points(book).to_numpy() - card.offset_) / card.factor_))
    assert np.array_equal(card.predict_pd(book).to_numpy(), slow)


def test_fallback_and_dependency_error_series_exist_at_zero_before_any_failure(client):
    """rate() needs a sample before the first failure, or the outage's first seconds vanish."""
    text = client.get("/metrics").text
    for dependency in ("bureau", "income_verification"):
        assert (
            f'lendlab_fallback_total{{dependency="{dependency}",mode="manual_review"}} 0.0' in text
        )
        for kind in ("timeout", "error", "outage"):
            assert (
                f'lendlab_dependency_errors_total{{dependency="{dependency}",kind="{kind}"}} 0.0'
                in text
            )
