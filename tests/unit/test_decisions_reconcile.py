"""`lendlab decisions reconcile`: after a crash, is every acknowledged decision in the log?"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from lendlab import world  # noqa: E402
from lendlab.serving import ServiceConfig, create_app  # noqa: E402
from lendlab.serving.registry import train_models  # noqa: E402
from lendlab.serving.schemas import requests_from_frame  # noqa: E402
from lendlab.serving.store import reconcile  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
LENDLAB = str(Path(sys.executable).with_name("lendlab"))


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    """A log with 20 decisions, and the ids the service acknowledged."""
    folder = tmp_path_factory.mktemp("reconcile")
    train_models(folder / "models", seed=3, rows=8_000)
    db = folder / "decisions.db"
    bodies = requests_from_frame(world.generate(20, seed=4))
    with TestClient(create_app(ServiceConfig(db=db, model_dir=folder / "models"))) as client:
        statuses = [client.post("/v1/decisions", json=b).status_code for b in bodies]
    assert statuses == [200] * 20
    ids = [b["application_id"] for b in bodies]
    return db, ids


def _run(db: Path, replay: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LENDLAB, "decisions", "reconcile", "--db", str(db), "--replay", str(replay)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_every_acknowledged_decision_logged(logged, tmp_path):
    db, ids = logged
    replay = tmp_path / "replay.parquet"
    # 18 acknowledged; 2 lost their answer with the connection (logged but not acknowledged)
    status = [200] * 18 + [None, None]
    pd.DataFrame({"application_id": ids, "status": pd.array(status, dtype="Int64")}).to_parquet(
        replay
    )
    run = _run(db, replay)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[:6] == ["acknowledged", "18", "logged", "18", "missing", "0"]
    assert "logged but not acknowledged: 2" in run.stdout and "integrity_check: ok" in run.stdout


def test_a_lost_acknowledged_decision_fails_and_is_named(logged, tmp_path):
    db, ids = logged
    replay = tmp_path / "replay.csv"
    lost = 987_654_321
    pd.DataFrame({"application_id": [*ids, lost], "status": 200}).to_csv(replay, index=False)
    run = _run(db, replay)
    assert run.returncode == 1
    assert "missing 1" in run.stdout and str(lost) in run.stderr


def test_bad_inputs_name_the_fix(logged, tmp_path):
    db, _ = logged
    with pytest.raises(FileNotFoundError, match="lendlab replay"):
        reconcile(db, tmp_path / "none.parquet")
    with pytest.raises(ValueError, match="lack column"):
        reconcile(db, pd.DataFrame({"application_id": [1]}))
    bad = tmp_path / "r.json"
    bad.write_text("{}")
    with pytest.raises(ValueError, match=".parquet or .csv"):
        reconcile(db, bad)
