"""``lendlab rollout compare`` and ``lendlab rollout analyze`` end to end (small sizes)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lendlab import world
from lendlab.cli import main
from lendlab.rollout.commands import EXIT_HOLD
from lendlab.serving.registry import ModelRegistry, train_models
from lendlab.serving.store import DECISION_COLUMNS, DecisionStore


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    train_models(folder, seed=3, rows=8_000)
    return folder


def test_compare_world(models, tmp_path, capsys):
    code = main(
        [
            "rollout", "compare", "--baseline", "champion", "--candidate", "challenger",
            "--world", "3000", "--seed", "5", "--model-dir", str(models),
            "--out", str(tmp_path / "out"),
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "scorecard-2025.1 (baseline) vs challenger-2025.1 (candidate)" in out
    data = json.loads((tmp_path / "out" / "comparison.json").read_text())
    assert data["n"] == 3000 and 0 <= data["flip_rate"] <= 1


def test_compare_unknown_version(models, capsys):
    code = main(
        ["rollout", "compare", "--baseline", "champion", "--candidate", "nope",
         "--world", "100", "--model-dir", str(models)]
    )  # fmt: skip
    assert code == 1
    assert "no model 'nope'" in capsys.readouterr().err


def test_compare_missing_model_dir(tmp_path, capsys):
    code = main(
        ["rollout", "compare", "--baseline", "a", "--candidate", "b", "--world", "100",
         "--model-dir", str(tmp_path / "none")]
    )  # fmt: skip
    assert code == 1
    assert "lendlab models train" in capsys.readouterr().err


def _write_log(db, models, *, n_canary, slow=1.0):
    registry = ModelRegistry.load(models)
    apps = world.generate(2_400 + n_canary, seed=9)
    rng = np.random.default_rng(0)
    store = DecisionStore(db, synchronous="NORMAL")
    start = pd.Timestamp("2025-06-01", tz="UTC")
    futures = []
    for k, row in enumerate(apps.to_dict(orient="records")):
        canary = k >= 2_400
        entry = registry.resolve("challenger" if canary else "champion")
        rec = {c: row.get(c) for c in DECISION_COLUMNS if c in row}
        for c, v in rec.items():
            if isinstance(v, float) and np.isnan(v):
                rec[c] = None
        rec.update(
            applied_at=row["applied_at"].isoformat(),
            received_at=(start + pd.Timedelta(seconds=int(k % 2_400) * 1.0)).isoformat(),
            model_version=entry.version,
            active_model=entry.version,
            pd=float(rng.uniform(0.02, 0.4)),
            score=int(rng.integers(480, 700)),
            decision=str(rng.choice(["approve", "decline"], p=[0.3, 0.7])),
            reason_1="Credit score too low",
            request_id=f"r{k}",
            duration_ms=float(rng.lognormal(np.log(12), 0.3)) * (slow if canary else 1.0),
        )
        futures.append(store.submit_decision(rec))
    for f in futures:
        f.result(timeout=30)
    store.close()


def test_analyze_from_the_log(models, tmp_path, capsys):
    db = tmp_path / "decisions.db"
    _write_log(db, models, n_canary=2_400, slow=2.0)
    config = tmp_path / "g.toml"
    config.write_text("min_decisions_per_segment = 100\nmin_declines = 100\n")
    code = main(
        ["rollout", "analyze", "--db", str(db), "--baseline", "champion", "--canary",
         "challenger", "--model-dir", str(models), "--config", str(config),
         "--out", str(tmp_path / "verdict.json")]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1, out
    assert "verdict: ROLLBACK" in out and "HIGH   p99_latency_ms" in out
    assert json.loads((tmp_path / "verdict.json").read_text())["decision"] == "rollback"


def test_analyze_tiny_canary_holds(models, tmp_path, capsys):
    db = tmp_path / "decisions.db"
    _write_log(db, models, n_canary=50)
    code = main(
        ["rollout", "analyze", "--db", str(db), "--baseline", "champion", "--canary",
         "challenger", "--model-dir", str(models)]
    )  # fmt: skip
    assert code == EXIT_HOLD
    assert "too little traffic" in capsys.readouterr().out


def test_analyze_bad_inputs(models, tmp_path, capsys):
    assert main(["rollout", "analyze", "--db", str(tmp_path / "x.db"), "--baseline", "a",
                 "--canary", "b"]) == 1  # fmt: skip
    assert "no decision log" in capsys.readouterr().err
    bad = tmp_path / "g.json"
    bad.write_text('{"approval_tolerence": 0.1}')
    assert main(["rollout", "analyze", "--db", str(tmp_path / "x.db"), "--baseline", "a",
                 "--canary", "b", "--config", str(bad)]) == 1  # fmt: skip
    assert "approval_tolerence" in capsys.readouterr().err
