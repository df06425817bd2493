"""Save and load a model with a checksum, so the scoring service serves exactly what was validated.

:func:`save_model` writes two files:

* the **artifact** (``scorecard.joblib``): the fitted model, pickled with joblib;
* the **sidecar** (``scorecard.joblib.json``): what a registry, a reviewer or an incident
  responder needs without unpickling anything: ``version``, ``class``, ``features``, the
  points ``scaling``, the model's parameters, your training ``metadata`` (rows, window, label,
  ticket...), the ``sha256`` of the artifact bytes and the ``library_versions`` it was saved
  with.

:func:`load_model` recomputes the sha256 of the artifact bytes and refuses to unpickle them
when it differs from the sidecar's, then checks that the class and version are the ones the
sidecar promises. :func:`read_sidecar` reads the sidecar alone.

Why joblib and not skops. joblib ships with scikit-learn (no new dependency), stores numpy
arrays exactly (a loaded model gives bit-for-bit the same PDs) and writes the same bytes for
the same fitted model, so the sha256 of a retrain with the same seed and data is stable. skops
0.16 (checked on these classes) also round-trips them exactly, but only after trusting our
classes by name plus, for the challenger, ``functools.partial`` and
``sklearn.utils.validation.check_array`` (which weakens the very protection skops offers), and
it writes different bytes on every save (zip timestamps), so the sha256 of a retrain would
change. The price of joblib: loading a pickle runs code. The sha256 guards against a corrupted
or swapped artifact *given a sidecar you trust*; it is not a signature. Load only artifacts from
your own model registry, where writing both files needs the same rights as deploying.

Example
-------
>>> import tempfile, pathlib
>>> import numpy as np
>>> from lendlab import world
>>> from lendlab.models import Scorecard
>>> book = world.generate(5_000, seed=1)
>>> loans = book[book["approved_policy"]]
>>> card = Scorecard(["fico", "dti"], version="scorecard-2025.1").fit(loans, loans["defaulted"])
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> sidecar = save_model(card, folder / "card.joblib", metadata={"label": "defaulted"})
>>> sidecar["version"], sidecar["features"]
('scorecard-2025.1', ['fico', 'dti'])
>>> loaded = load_model(folder / "card.joblib")
>>> np.array_equal(loaded.predict_pd(loans), card.predict_pd(loans))
True
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import os
import platform
import tempfile
import warnings
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from lendlab.models.contract import check_model, model_features, model_scaling

__all__ = ["SIDECAR_FORMAT", "load_model", "read_sidecar", "save_model", "sidecar_path"]

#: Written into every sidecar; bump when its layout changes.
SIDECAR_FORMAT = "lendlab-model/1"
_PICKLE_PROTOCOL = 5  # fixed, so the bytes do not depend on the Python's default
_LIBRARIES = ("lendlab", "numpy", "pandas", "scikit-learn", "scipy", "joblib")
# a model can give different PDs when one of these changes between save and load
_MUST_MATCH = ("numpy", "scikit-learn")


def _as_path(path: Any, name: str = "path") -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"{name} must be a file path (str or pathlib.Path), got {type(path).__name__}; "
            "e.g. 'models/scorecard-2025.1.joblib'."
        )
    return Path(path)


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """Where the sidecar of an artifact lives: the artifact's name plus ``.json``.

    Examples
    --------
    >>> sidecar_path("models/scorecard.joblib").as_posix()
    'models/scorecard.joblib.json'
    """
    path = _as_path(path)
    return path.with_name(path.name + ".json")


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for lib in _LIBRARIES:
        try:
            found[lib] = importlib.metadata.version(lib)
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover - source checkout
            found[lib] = "unknown"
    return found


def _jsonable(value: Any) -> Any:
    """Model parameters as JSON values; anything exotic is recorded by its repr."""
    if isinstance(value, (str, bool, int, float)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return repr(value)


def _check_metadata(metadata: Any) -> dict[str, Any]:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict) or not all(isinstance(k, str) for k in metadata):
        raise TypeError(
            f"metadata must be a dict with str keys, got {metadata!r}; e.g. "
            "metadata={'trained_on': 'approved loans 2024', 'rows': 25000}."
        )
    try:
        json.dumps(metadata, allow_nan=False)
    except (TypeError, ValueError) as exc:
        bad = {}
        for key, value in metadata.items():
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError):
                bad[key] = value
        raise TypeError(
            f"metadata must hold JSON values (str, numbers, bool, None, lists, dicts; no NaN); "
            f"{bad!r} cannot be written. Convert them, e.g. str(timestamp) or float(x)."
        ) from exc
    return dict(metadata)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path`` and rename it: readers never see half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_model(
    model: Any, path: str | os.PathLike[str], *, metadata: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Write a fitted model and its JSON sidecar (with the sha256 of the artifact bytes).

    Parameters
    ----------
    model : PDModel
        A fitted model meeting :class:`lendlab.models.PDModel` (e.g. a fitted
        :class:`~lendlab.models.Scorecard`).
    path : str or pathlib.Path
        The artifact file, e.g. ``models/scorecard-2025.1.joblib``; its folder must exist.
        The sidecar is written to :func:`sidecar_path` (``<path>.json``). Both are replaced if
        they exist.
    metadata : dict, optional
        Training metadata to keep with the model (JSON values only), e.g. the training window,
        the label, the number of rows, who approved it.

    Returns
    -------
    dict
        The sidecar as written: ``format``, ``artifact``, ``sha256``, ``version``, ``class``,
        ``features``, ``scaling``, ``params``, ``metadata``, ``library_versions``.

    Raises
    ------
    TypeError
        The model does not meet the contract, ``path`` is not a path, ``metadata`` is not JSON.
    sklearn.exceptions.NotFittedError
        The model has not been fitted.
    FileNotFoundError
        The folder of ``path`` does not exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lendlab.models import Scorecard
    >>> save_model(Scorecard(), pathlib.Path(tempfile.mkdtemp()) / "card.joblib")
    Traceback (most recent call last):
    ...
    sklearn.exceptions.NotFittedError: This Scorecard instance is not fitted yet. Call 'fit' \
with appropriate arguments before using this estimator.
    """
    path = _as_path(path)
    meta = _check_metadata(metadata)
    check_model(model, "save_model")
    if callable(getattr(model, "fit", None)):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(model)
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"save_model: folder {str(path.parent)!r} does not exist; create it first "
            "(pathlib.Path(...).mkdir(parents=True))."
        )
    buffer = io.BytesIO()
    joblib.dump(model, buffer, protocol=_PICKLE_PROTOCOL)
    data = buffer.getvalue()
    params = model.get_params(deep=False) if callable(getattr(model, "get_params", None)) else {}
    cls = type(model)
    sidecar = {
        "format": SIDECAR_FORMAT,
        "artifact": path.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "version": model.version,
        "class": f"{cls.__module__}.{cls.__qualname__}",
        "features": list(model_features(model)),
        "scaling": model_scaling(model),
        "params": _jsonable(params),
        "metadata": meta,
        "library_versions": _versions(),
    }
    _write_atomically(path, data)
    text = json.dumps(sidecar, indent=2, sort_keys=True, allow_nan=False) + "\n"
    _write_atomically(sidecar_path(path), text.encode("utf-8"))
    return sidecar


def read_sidecar(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The sidecar of an artifact, without loading the model.

    Parameters
    ----------
    path : str or pathlib.Path
        The artifact (its sidecar is ``<path>.json``) or the sidecar itself.

    Returns
    -------
    dict

    Examples
    --------
    >>> read_sidecar("no/such/model.joblib")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no sidecar 'no/such/model.joblib.json' for artifact 'no/such/model.joblib'; \
an artifact without its sidecar cannot be verified: save models with lendlab.models.save_model.
    """
    path = _as_path(path)
    if path.name.endswith(".json"):
        path = path.with_name(path.name[: -len(".json")])
    side = sidecar_path(path)
    if not side.is_file():
        raise FileNotFoundError(
            f"no sidecar {side.as_posix()!r} for artifact {path.as_posix()!r}; an artifact "
            "without its sidecar cannot be verified: save models with lendlab.models.save_model."
        )
    try:
        sidecar = json.loads(side.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(
            f"sidecar {side.as_posix()!r} is not valid JSON ({exc}); restore it from the model "
            "registry or save the model again."
        ) from exc
    needed = ("format", "sha256", "version", "class", "features")
    missing = [k for k in needed if not isinstance(sidecar, dict) or k not in sidecar]
    if missing:
        raise ValueError(
            f"sidecar {side.as_posix()!r} lacks {missing}; it was not written by save_model. "
            "Save the model again with lendlab.models.save_model."
        )
    if sidecar["format"] != SIDECAR_FORMAT:
        raise ValueError(
            f"sidecar {side.as_posix()!r} has format {sidecar['format']!r}; this lendlab reads "
            f"{SIDECAR_FORMAT!r}. Load it with the lendlab that saved it, or save it again."
        )
    return sidecar


def load_model(path: str | os.PathLike[str]) -> Any:
    """Load a model saved by :func:`save_model`, refusing an artifact whose sha256 changed.

    Parameters
    ----------
    path : str or pathlib.Path
        The artifact; its sidecar ``<path>.json`` must sit beside it.

    Returns
    -------
    PDModel
        The model, giving bit-for-bit the PDs it gave when saved (same library versions).

    Raises
    ------
    FileNotFoundError
        The artifact or its sidecar is missing.
    ValueError
        The sha256 of the artifact differs from the sidecar's (the message names the file and
        both hashes), or the loaded class or version differs from the sidecar's.

    Warns
    -----
    UserWarning
        numpy or scikit-learn differ from the versions the model was saved with: PDs may
        differ; re-validate before serving.

    Examples
    --------
    >>> load_model("no/such/model.joblib")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no model artifact at 'no/such/model.joblib'; check the path (models are \
saved with lendlab.models.save_model).
    """
    path = _as_path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no model artifact at {path.as_posix()!r}; check the path (models are saved with "
            "lendlab.models.save_model)."
        )
    sidecar = read_sidecar(path)
    data = path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != sidecar["sha256"]:
        raise ValueError(
            f"refusing to load {path.as_posix()!r}: its sha256 is {actual} but its sidecar "
            f"{sidecar_path(path).as_posix()!r} records {sidecar['sha256']}. The artifact "
            "changed after it was saved (corrupted, truncated or replaced): do not serve it; "
            "restore both files from the model registry or save the model again."
        )
    saved_with = sidecar.get("library_versions", {})
    now = _versions()
    changed = {
        lib: (saved_with[lib], now[lib])
        for lib in _MUST_MATCH
        if lib in saved_with and saved_with[lib] != now[lib]
    }
    if changed:
        shown = ", ".join(f"{lib} {a} -> {b}" for lib, (a, b) in changed.items())
        warnings.warn(
            f"{path.as_posix()!r} was saved with other library versions ({shown}); its PDs may "
            "differ from the validated ones: re-run the validation before serving it.",
            UserWarning,
            stacklevel=2,
        )
    model = joblib.load(io.BytesIO(data))
    cls = type(model)
    name = f"{cls.__module__}.{cls.__qualname__}"
    if name != sidecar["class"]:
        raise ValueError(
            f"{path.as_posix()!r} holds a {name} but its sidecar says {sidecar['class']}; "
            "the two files do not belong together: restore them from the model registry."
        )
    check_model(model, "load_model")
    if model.version != sidecar["version"]:
        raise ValueError(
            f"{path.as_posix()!r} holds version {model.version!r} but its sidecar says "
            f"{sidecar['version']!r}; the two files do not belong together."
        )
    return model
