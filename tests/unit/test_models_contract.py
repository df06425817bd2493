"""The model contract (PDModel) and save/load with a sha256 sidecar."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from lendlab import models, world
from lendlab.models import artifacts


@pytest.fixture(scope="module")
def loans() -> pd.DataFrame:
    book = world.generate(30_000, seed=3)
    return book[book["approved_policy"]]


def _fit(kind: str, loans: pd.DataFrame):
    if kind == "Scorecard":
        model = models.Scorecard(version="scorecard-2025.1")
    else:
        model = models.Challenger(max_iter=40, version="challenger-2025.1")
    return model.fit(loans, loans["defaulted"])


KINDS = ["Scorecard", "Challenger"]


# -- the contract ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_models_meet_the_contract(kind, loans):
    model = _fit(kind, loans)
    assert isinstance(model, models.PDModel)
    assert models.check_model(model) is model
    assert models.model_features(model) == model.features_
    assert models.model_scaling(model) == {"pdo": 20.0, "base_score": 600.0, "base_odds": 50.0}
    assert model.version == f"{kind.lower()}-2025.1"


def test_default_versions():
    assert models.Scorecard().version == "scorecard-dev"
    assert models.Challenger().version == "challenger-dev"
    assert tuple(models.Scorecard().features) == world.FEATURES


class _Partial:
    features = ("fico",)

    def predict_pd(self, X):
        return np.full(len(X), 0.1)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda m: setattr(m, "predict_pd", None), TypeError, "predict_pd"),
        (lambda m: setattr(m, "features", "fico"), TypeError, "list of column names"),
        (lambda m: setattr(m, "features", ()), ValueError, "empty"),
        (lambda m: setattr(m, "version", "v 1"), ValueError, "without spaces"),
        (lambda m: setattr(m, "version", 3), TypeError, "version"),
        (lambda m: setattr(m, "pdo", "20"), TypeError, "pdo must be a number"),
        (lambda m: delattr(m, "base_odds"), TypeError, "base_odds"),
    ],
)
def test_check_model_names_what_is_missing(change, error, match):
    model = _Partial()
    model.pdo, model.base_score, model.base_odds, model.version = 20.0, 600.0, 50.0, "v1"
    change(model)
    with pytest.raises(error, match=match):
        models.check_model(model)


# -- save / load ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_is_bit_for_bit(kind, loans, tmp_path):
    model = _fit(kind, loans)
    path = tmp_path / "model.joblib"
    sidecar = models.save_model(model, path, metadata={"label": "defaulted", "rows": len(loans)})
    loaded = models.load_model(path)
    assert type(loaded) is type(model) and loaded is not model
    np.testing.assert_array_equal(loaded.predict_pd(loans), model.predict_pd(loans))
    assert np.array_equal(loaded.predict_pd(loans), model.predict_pd(loans))
    assert np.array_equal(loaded.predict_proba(loans), model.predict_proba(loans))
    assert np.array_equal(loaded.points(loans), model.points(loans))
    # the sidecar
    on_disk = json.loads(models.sidecar_path(path).read_text())
    assert on_disk == sidecar == models.read_sidecar(path)
    assert sidecar["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert sidecar["version"] == model.version
    assert sidecar["class"] == f"lendlab.models.{kind.lower()}.{kind}"
    assert sidecar["features"] == list(model.features_)
    assert sidecar["scaling"] == {"pdo": 20.0, "base_score": 600.0, "base_odds": 50.0}
    assert sidecar["metadata"] == {"label": "defaulted", "rows": len(loans)}
    assert {"python", "lendlab", "numpy", "pandas", "scikit-learn", "joblib"} <= set(
        sidecar["library_versions"]
    )
    assert sidecar["params"]["version"] == model.version


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_bytes(kind, loans, tmp_path):
    a = models.save_model(_fit(kind, loans), tmp_path / "a.joblib")
    b = models.save_model(_fit(kind, loans), tmp_path / "b.joblib")
    assert (tmp_path / "a.joblib").read_bytes() == (tmp_path / "b.joblib").read_bytes()
    assert a["sha256"] == b["sha256"]


def test_same_bytes_in_another_process(tmp_path):
    """Not only within one interpreter: a fresh process writes the same artifact."""
    script = textwrap.dedent(
        """
        import sys
        from lendlab import models, world
        book = world.generate(30_000, seed=3)
        loans = book[book["approved_policy"]]
        card = models.Scorecard(version="scorecard-2025.1").fit(loans, loans["defaulted"])
        print(models.save_model(card, sys.argv[1])["sha256"])
        """
    )
    digests = [
        subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / f"{i}.joblib")],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        for i in range(2)
    ]
    assert digests[0] == digests[1] and len(digests[0]) == 64


def test_tampered_artifact_is_refused(loans, tmp_path):
    path = tmp_path / "card.joblib"
    saved = models.save_model(_fit("Scorecard", loans), path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    actual = hashlib.sha256(bytes(data)).hexdigest()
    with pytest.raises(ValueError) as info:
        models.load_model(path)
    message = str(info.value)
    assert "card.joblib" in message
    assert saved["sha256"] in message and actual in message


def test_swapped_artifact_is_refused(loans, tmp_path):
    models.save_model(_fit("Scorecard", loans), tmp_path / "a.joblib")
    models.save_model(_fit("Challenger", loans), tmp_path / "b.joblib")
    (tmp_path / "a.joblib").write_bytes((tmp_path / "b.joblib").read_bytes())
    with pytest.raises(ValueError, match="sha256"):
        models.load_model(tmp_path / "a.joblib")


def test_missing_and_broken_sidecar(loans, tmp_path):
    path = tmp_path / "card.joblib"
    models.save_model(_fit("Scorecard", loans), path)
    side = models.sidecar_path(path)
    side.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        models.load_model(path)
    side.write_text(json.dumps({"format": "lendlab-model/1"}))
    with pytest.raises(ValueError, match="lacks"):
        models.load_model(path)
    side.unlink()
    with pytest.raises(FileNotFoundError, match="no sidecar"):
        models.load_model(path)
    with pytest.raises(FileNotFoundError, match="no model artifact"):
        models.load_model(tmp_path / "other.joblib")


def test_version_mismatch_warns(loans, tmp_path, monkeypatch):
    path = tmp_path / "card.joblib"
    models.save_model(_fit("Scorecard", loans), path)
    real = artifacts._versions()
    monkeypatch.setattr(artifacts, "_versions", lambda: {**real, "scikit-learn": "0.0.1"})
    with pytest.warns(UserWarning, match="scikit-learn .* -> 0.0.1"):
        models.load_model(path)


@pytest.mark.parametrize(
    ("model", "path", "metadata", "error", "match"),
    [
        (models.Scorecard(), "x.joblib", None, NotFittedError, "not fitted"),
        (object(), "x.joblib", None, TypeError, "predict_pd"),
        ("fitted", 42, None, TypeError, "file path"),
        ("fitted", "x.joblib", {"when": pd.Timestamp("2025-01-01")}, TypeError, "'when'"),
        ("fitted", "x.joblib", {"auc": float("nan")}, TypeError, "no NaN"),
        ("fitted", "x.joblib", ["rows", 5], TypeError, "dict with str keys"),
        ("fitted", "missing/x.joblib", None, FileNotFoundError, "does not exist"),
    ],
)
def test_save_model_bad_input(model, path, metadata, error, match, loans, tmp_path):
    if isinstance(model, str):
        model = models.Scorecard(["fico"]).fit(loans, loans["defaulted"])
    target = tmp_path / path if isinstance(path, str) else path
    with pytest.raises(error, match=match):
        models.save_model(model, target, metadata=metadata)
