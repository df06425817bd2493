"""The model registry: your own candidate release becomes a servable version (issue 9)."""

from __future__ import annotations

import json

import joblib
import pytest
from sklearn.base import clone

from lendlab import world
from lendlab.cli import main
from lendlab.serving.registry import ModelRegistry, register_model, train_models

ROWS = 8_000


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("models")
    train_models(out, seed=3, rows=ROWS)
    return out


@pytest.fixture(scope="module")
def my_model(folder):
    book = world.generate(ROWS, seed=3)
    loans = book[book["approved_policy"]]
    model = clone(ModelRegistry.load(folder).resolve("challenger").model)
    model.set_params(version="challenger-2025.9", max_iter=30)
    return model.fit(loans, loans["defaulted"])


def test_register_command_adds_a_version_with_reference_bins(folder, my_model, tmp_path, capsys):
    artifact = tmp_path / "mine.joblib"
    joblib.dump(my_model, artifact)
    rc = main(["models", "register", "--dir", str(folder), "--artifact", str(artifact),
               "--alias", "candidate"])  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    assert "registered challenger-2025.9 as 'candidate'" in capsys.readouterr().out
    entry = ModelRegistry.load(folder).resolve("candidate")
    assert entry.version == "challenger-2025.9"
    assert len(entry.score_edges) == 9 and abs(sum(entry.score_shares) - 1) < 1e-9
    assert 0.5 < entry.sidecar["metadata"]["holdout_auc"] < 1
    aliases = json.loads((folder / "aliases.json").read_text())
    assert aliases["champion"] == "scorecard-2025.1"  # untouched

    assert main(["models", "list", "--dir", str(folder)]) == 0
    listing = capsys.readouterr().out
    assert "challenger-2025.9" in listing and "candidate" in listing

    # a released version is never overwritten
    assert main(["models", "register", "--dir", str(folder), "--artifact", str(artifact)]) == 1
    assert "already in" in capsys.readouterr().err


def test_register_refuses_champion_alias_bad_versions_and_non_models(folder, my_model):
    with pytest.raises(ValueError, match="other than 'champion'"):
        register_model(folder, clone(my_model).set_params(version="x-1"), alias="champion")
    with pytest.raises(ValueError, match="model.version must name"):
        register_model(folder, clone(my_model).set_params(version="../evil"))
    with pytest.raises(TypeError, match="model contract"):
        register_model(folder, object())
    with pytest.raises(FileNotFoundError, match="lendlab models train"):
        register_model(folder / "nowhere", my_model)
