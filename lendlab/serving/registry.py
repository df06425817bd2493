"""The model registry the service serves from: versioned artifacts, aliases, reference bins.

:func:`train_models` fits the champion :class:`~lendlab.models.Scorecard` and the challenger
:class:`~lendlab.models.Challenger` on world data from a seed and writes them with
:func:`lendlab.models.save_model` (joblib plus a JSON sidecar with the sha256; the reasons for
joblib over skops are in :mod:`lendlab.models.artifacts`), named ``scorecard-2025.1`` and
``challenger-2025.1``, with ``aliases.json`` mapping ``champion`` and ``challenger`` to them.
Each sidecar's training metadata holds the seed, the rows, the holdout AUC and the model's
**reference score bins**: the deciles of its score on the training applications (edges from
:func:`lendlab.drift.quantile_edges`) and the exact share of each bin, which ``/metrics``
exports so PSI can be a PromQL recording rule.

:class:`ModelRegistry` loads a folder (refusing any artifact whose sha256 changed) and resolves
an alias or a version.

Example
-------
>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> info = train_models(folder, seed=1, rows=8_000)
>>> sorted(info["aliases"].items())
[('challenger', 'challenger-2025.1'), ('champion', 'scorecard-2025.1')]
>>> registry = ModelRegistry.load(folder)
>>> entry = registry.resolve("champion")
>>> entry.version, len(entry.sha256), len(entry.score_shares)
('scorecard-2025.1', 64, 10)
>>> round(sum(entry.score_shares), 6)
1.0
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ALIASES_FILE", "ModelEntry", "ModelRegistry", "score_bins", "train_models"]

ALIASES_FILE = "aliases.json"
VERSION_TAG = "2025.1"


def score_bins(scores: Any, edges: Any) -> np.ndarray:
    """Bin index of each score on right-closed edges ``(-inf, e0], (e0, e1], ..., (e_last, inf)``.

    The convention of :func:`lendlab.drift.quantile_edges`.

    Examples
    --------
    >>> score_bins([500, 600, 601, 900], [600, 700]).tolist()
    [0, 0, 1, 2]
    """
    return np.searchsorted(np.asarray(edges, dtype=float), np.asarray(scores, dtype=float))


def _scores(model: Any, frame: pd.DataFrame) -> np.ndarray:
    from lendlab.models import model_scaling, pd_to_score

    p = np.clip(np.asarray(model.predict_pd(frame), dtype=float), 1e-6, 1 - 1e-6)
    return np.rint(pd_to_score(p, **model_scaling(model))).astype(np.int64)


def train_models(
    out: str | os.PathLike[str], *, seed: int = 2025, rows: int = 40_000
) -> dict[str, Any]:
    """Train the champion and challenger on ``world.generate(rows, seed=seed)`` and save them.

    Both are fitted on the first 80 % (by application time) of the loans the incumbent policy
    approved, with the lifetime ``defaulted`` label; the last 20 % is the holdout for AUC.
    The reference score bins use every application of the training period (the service
    scores every applicant, not only the approved ones). About a second on two cores.

    Parameters
    ----------
    out : path
        Folder to write (created if needed).
    seed : int, default 2025
    rows : int, default 40000
        Applications generated (about a third are approved loans).

    Returns
    -------
    dict
        ``{"aliases": {...}, "models": {version: sidecar}}``.
    """
    from sklearn.metrics import roc_auc_score

    from lendlab import world
    from lendlab.drift import quantile_edges
    from lendlab.models import Challenger, Scorecard, save_model

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"seed must be a non-negative integer, got {seed!r}")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    book = world.generate(int(rows), seed=int(seed))
    cut_time = book["applied_at"].quantile(0.8)
    train_apps = book[book["applied_at"] <= cut_time]
    loans = book[book["approved_policy"]]
    train = loans[loans["applied_at"] <= cut_time]
    holdout = loans[loans["applied_at"] > cut_time]
    candidates = {
        "champion": Scorecard(version=f"scorecard-{VERSION_TAG}"),
        "challenger": Challenger(version=f"challenger-{VERSION_TAG}"),
    }
    aliases: dict[str, str] = {}
    sidecars: dict[str, Any] = {}
    for alias, model in candidates.items():
        model.fit(train, train["defaulted"])
        auc = float(roc_auc_score(holdout["defaulted"], model.predict_pd(holdout)))
        scores = _scores(model, train_apps)
        edges = quantile_edges(scores, bins=10)
        shares = np.bincount(score_bins(scores, edges), minlength=edges.size + 1) / scores.size
        meta = {
            "seed": int(seed),
            "rows_generated": int(rows),
            "rows_trained": len(train),
            "rows_holdout": len(holdout),
            "label": "defaulted (lifetime)",
            "trained_on": "loans approved by the incumbent policy, first 80% by applied_at",
            "holdout_auc": round(auc, 4),
            "score_edges": [float(e) for e in edges],
            "score_shares": [float(s) for s in shares],
        }
        sidecars[model.version] = save_model(
            model, folder / f"{model.version}.joblib", metadata=meta
        )
        aliases[alias] = model.version
    (folder / ALIASES_FILE).write_text(json.dumps(aliases, indent=2) + "\n", encoding="utf-8")
    return {"aliases": aliases, "models": sidecars}


@dataclass
class ModelEntry:
    """One loaded model: the object, its sidecar and its reference score bins."""

    version: str
    model: Any
    sidecar: dict[str, Any]
    score_edges: list[float] = field(default_factory=list)
    score_shares: list[float] = field(default_factory=list)
    columns: tuple[str, ...] = ()  # the raw columns the service builds for this model

    @property
    def sha256(self) -> str:
        """sha256 of the artifact bytes (from the verified sidecar)."""
        return str(self.sidecar["sha256"])

    def score_bin(self, score: float) -> int:
        """The reference bin of one score."""
        return int(score_bins([score], self.score_edges)[0])


@dataclass
class ModelRegistry:
    """The models of one folder, by version, and the aliases pointing at them."""

    folder: Path
    models: dict[str, ModelEntry]
    aliases: dict[str, str]

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> ModelRegistry:
        """Load every ``*.joblib`` of ``folder`` (sha256-checked) and its ``aliases.json``."""
        from lendlab.models import load_model, read_sidecar

        folder = Path(folder)
        alias_file = folder / ALIASES_FILE
        if not alias_file.is_file():
            raise FileNotFoundError(
                f"no {ALIASES_FILE} in {folder.as_posix()!r}; write models with "
                "`lendlab models train --out DIR`"
            )
        aliases = json.loads(alias_file.read_text(encoding="utf-8"))
        models = {}
        for path in sorted(folder.glob("*.joblib")):
            sidecar = read_sidecar(path)
            meta = sidecar.get("metadata", {})
            models[sidecar["version"]] = ModelEntry(
                version=sidecar["version"],
                model=load_model(path),
                sidecar=sidecar,
                score_edges=list(meta.get("score_edges", [])),
                score_shares=list(meta.get("score_shares", [1.0])),
            )
        missing = {a: v for a, v in aliases.items() if v not in models}
        if missing:
            raise ValueError(
                f"{alias_file.as_posix()} points at version(s) without an artifact: {missing}"
            )
        return cls(folder, models, aliases)

    @classmethod
    def load_or_train(cls, folder: str | os.PathLike[str], *, seed: int) -> ModelRegistry:
        """:meth:`load`, training the models first when ``folder`` has none."""
        if not (Path(folder) / ALIASES_FILE).is_file():
            train_models(folder, seed=seed)
        return cls.load(folder)

    def resolve(self, name: str) -> ModelEntry:
        """The entry for an alias (``champion``) or a version (``scorecard-2025.1``)."""
        version = self.aliases.get(name, name)
        if version not in self.models:
            known = sorted({*self.aliases, *self.models})
            raise KeyError(f"no model {name!r}; known aliases and versions: {known}")
        return self.models[version]

    def alias_of(self, version: str) -> str:
        """The alias pointing at ``version`` (``"none"`` when no alias does)."""
        return next((a for a, v in self.aliases.items() if v == version), "none")
