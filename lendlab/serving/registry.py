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

__all__ = [
    "ALIASES_FILE",
    "ModelEntry",
    "ModelRegistry",
    "register_model",
    "score_bins",
    "train_models",
]

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
    from lendlab import world
    from lendlab.models import Challenger, Scorecard

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"seed must be a non-negative integer, got {seed!r}")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    book = world.generate(int(rows), seed=int(seed))
    train_apps, train, holdout = _training_split(book)
    candidates = {
        "champion": Scorecard(version=f"scorecard-{VERSION_TAG}"),
        "challenger": Challenger(version=f"challenger-{VERSION_TAG}"),
    }
    aliases: dict[str, str] = {}
    sidecars: dict[str, Any] = {}
    for alias, model in candidates.items():
        model.fit(train, train["defaulted"])
        meta = {
            "seed": int(seed),
            "rows_generated": int(rows),
            "rows_trained": len(train),
            "label": "defaulted (lifetime)",
            "trained_on": "loans approved by the incumbent policy, first 80% by applied_at",
        }
        sidecars[model.version] = _save_with_reference(
            model, folder, train_apps, holdout, metadata=meta
        )
        aliases[alias] = model.version
    (folder / ALIASES_FILE).write_text(json.dumps(aliases, indent=2) + "\n", encoding="utf-8")
    return {"aliases": aliases, "models": sidecars}


def _read_aliases(folder: Path) -> dict[str, str]:
    """``aliases.json`` of a registry folder; a clear error when the folder is not one."""
    alias_file = folder / ALIASES_FILE
    if not alias_file.is_file():
        raise FileNotFoundError(
            f"no {ALIASES_FILE} in {folder.as_posix()!r}; write models with "
            "`lendlab models train --out DIR`"
        )
    return json.loads(alias_file.read_text(encoding="utf-8"))


def _training_split(book: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(training-period applications, training loans, holdout loans): 80/20 by applied_at."""
    cut_time = book["applied_at"].quantile(0.8)
    train_apps = book[book["applied_at"] <= cut_time]
    loans = book[book["approved_policy"]]
    return train_apps, loans[loans["applied_at"] <= cut_time], loans[loans["applied_at"] > cut_time]


def _save_with_reference(
    model: Any,
    folder: Path,
    train_apps: pd.DataFrame,
    holdout: pd.DataFrame,
    *,
    metadata: dict[str, Any],
) -> dict[str, Any]:
    """Save ``model`` with its holdout AUC and reference score bins in the sidecar."""
    from sklearn.metrics import roc_auc_score

    from lendlab.drift import quantile_edges
    from lendlab.models import save_model

    auc = float(roc_auc_score(holdout["defaulted"], model.predict_pd(holdout)))
    scores = _scores(model, train_apps)
    edges = quantile_edges(scores, bins=10)
    shares = np.bincount(score_bins(scores, edges), minlength=edges.size + 1) / scores.size
    meta = {
        **metadata,
        "rows_holdout": len(holdout),
        "holdout_auc": round(auc, 4),
        "score_edges": [float(e) for e in edges],
        "score_shares": [float(s) for s in shares],
    }
    return save_model(model, folder / f"{model.version}.joblib", metadata=meta)


def register_model(
    folder: str | os.PathLike[str],
    model: Any,
    *,
    alias: str | None = None,
    seed: int = 2025,
    rows: int = 40_000,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Add an already fitted model to a registry folder, so the service can serve it.

    Your own candidate release: anything with the model contract
    (:class:`lendlab.models.PDModel`: ``predict_pd``, a ``version`` name; plus the scaling
    attributes for scores) and picklable by joblib. Its sidecar gets the same training metadata
    :func:`train_models` writes: the holdout AUC and the reference score bins, computed on the
    same training-period applications of ``world.generate(rows, seed=seed)``, so ``/metrics``
    and the score-PSI rule treat it like the champion. ``alias`` (e.g. ``"candidate"``) is
    pointed at it in ``aliases.json``; ``champion`` cannot be re-pointed here (switch the live
    model with ``POST /admin/model``).

    Parameters
    ----------
    folder : path
        A registry folder written by :func:`train_models`.
    model : PDModel
        Fitted; ``model.version`` names the version (letters, digits, ``.``, ``-``, ``_``).
    alias : str, optional
    seed, rows : int
        The world the reference bins are computed on (default: the one ``train_models`` uses).
    metadata : dict, optional
        Extra fields for the sidecar (e.g. who built it and from what).

    Returns
    -------
    dict
        The sidecar written.

    Example
    -------
    >>> import tempfile
    >>> from sklearn.base import clone
    >>> folder = tempfile.mkdtemp()
    >>> _ = train_models(folder, seed=1, rows=8_000)
    >>> registry = ModelRegistry.load(folder)
    >>> mine = clone(registry.resolve("challenger").model).set_params(
    ...     version="challenger-2025.2", max_iter=50)
    >>> book = __import__("lendlab").world.generate(8_000, seed=1)
    >>> loans = book[book["approved_policy"]]
    >>> _ = mine.fit(loans, loans["defaulted"])
    >>> side = register_model(folder, mine, alias="candidate", seed=1, rows=8_000)
    >>> ModelRegistry.load(folder).resolve("candidate").version
    'challenger-2025.2'
    """
    import re

    from lendlab import world

    folder = Path(folder)
    aliases = _read_aliases(folder)
    if not callable(getattr(model, "predict_pd", None)):
        raise TypeError(
            f"model must implement the model contract (predict_pd); got {type(model).__name__}"
        )
    version = getattr(model, "version", None)
    if not isinstance(version, str) or not re.fullmatch(
        r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", version
    ):
        raise ValueError(
            f"model.version must name the version (letters, digits, '.', '-', '_'), got "
            f"{version!r}; set it, e.g. model.set_params(version='challenger-2025.2')"
        )
    if alias is not None and (alias == "champion" or not re.fullmatch(r"[a-z][a-z0-9_-]*", alias)):
        raise ValueError(
            f"alias {alias!r}: use a lower-case name other than 'champion' (switch the live "
            "model with POST /admin/model)"
        )
    if (folder / f"{version}.joblib").exists():
        raise ValueError(
            f"version {version!r} is already in {folder.as_posix()!r}; a released version is "
            "never overwritten: give the new model a new version name"
        )
    train_apps, _, holdout = _training_split(world.generate(int(rows), seed=int(seed)))
    meta = {"seed": int(seed), "rows_generated": int(rows), **(metadata or {})}
    sidecar = _save_with_reference(model, folder, train_apps, holdout, metadata=meta)
    if alias is not None:
        aliases[alias] = version
        (folder / ALIASES_FILE).write_text(json.dumps(aliases, indent=2) + "\n", encoding="utf-8")
    return sidecar


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
        aliases = _read_aliases(folder)
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
