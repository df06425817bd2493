"""The model contract: what the scoring service, the decision log and the rollout tools need.

A model the platform can serve is any object with

* ``predict_pd(X)`` - probability of default per row of the DataFrame ``X`` (higher = riskier);
* ``features`` - the columns it reads, by name (never by position);
* ``pdo``, ``base_score``, ``base_odds`` - its points scaling (:mod:`lendlab.models.scaling`),
  so that every service reports points on the same scale;
* ``version`` - the name the service reports and the decision log records, e.g.
  ``"scorecard-2025.1"``.

:class:`PDModel` states this as a :class:`typing.Protocol` (for type checkers and
``isinstance``); :func:`check_model` checks it at run time with an error that names what is
missing. :class:`~lendlab.models.Scorecard` and :class:`~lendlab.models.Challenger` implement
it; :func:`lendlab.models.save_model` refuses a model that does not.

Example
-------
>>> import pandas as pd
>>> class Constant:
...     features = ("fico",)
...     pdo, base_score, base_odds = 20.0, 600.0, 50.0
...     version = "constant-1"
...     def predict_pd(self, X):
...         return pd.Series(0.05, index=X.index)
>>> isinstance(Constant(), PDModel)
True
>>> check_model(Constant()).version
'constant-1'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from lendlab import validation

__all__ = ["PDModel", "check_model", "model_features", "model_scaling"]

_SCALING = ("pdo", "base_score", "base_odds")


@runtime_checkable
class PDModel(Protocol):
    """A credit model the platform can serve (see the module docstring).

    Attributes
    ----------
    features : sequence of str
        Input columns, read by name.
    pdo, base_score, base_odds : float
        Points scaling: ``base_score`` points at ``base_odds`` good:bad odds, ``pdo`` points
        to double the odds.
    version : str
        E.g. ``"scorecard-2025.1"``.
    """

    features: Sequence[str]
    pdo: float
    base_score: float
    base_odds: float
    version: str

    def predict_pd(self, X: pd.DataFrame) -> Any:
        """Probability of default per row of ``X``, in [0, 1]."""
        ...


def model_features(model: Any) -> tuple[str, ...]:
    """The columns a model reads: its fitted ``features_`` if any, else its ``features``.

    Parameters
    ----------
    model : object
        A :class:`PDModel`.

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> from lendlab.models import Scorecard
    >>> model_features(Scorecard(features=["fico", "dti"]))
    ('fico', 'dti')
    """
    for attr in ("features_", "features"):
        found = getattr(model, attr, None)
        if found is not None:
            return validation.check_column_names(found, f"{type(model).__name__}.{attr}")
    raise TypeError(
        f"{type(model).__name__} has no `features` attribute; a PDModel names the columns it "
        "reads, e.g. features = ('fico', 'dti')."
    )


def model_scaling(model: Any) -> dict[str, float]:
    """The model's points scaling as ``{"pdo": .., "base_score": .., "base_odds": ..}``.

    Parameters
    ----------
    model : object
        A :class:`PDModel`.

    Examples
    --------
    >>> from lendlab.models import Scorecard
    >>> model_scaling(Scorecard(pdo=40))
    {'pdo': 40.0, 'base_score': 600.0, 'base_odds': 50.0}
    """
    scale = {}
    for attr in _SCALING:
        if not hasattr(model, attr):
            raise TypeError(
                f"{type(model).__name__} has no `{attr}` attribute; a PDModel declares its points "
                "scaling as pdo, base_score and base_odds (e.g. 20, 600, 50)."
            )
        value = getattr(model, attr)
        if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)
        ):
            raise TypeError(
                f"{type(model).__name__}.{attr} must be a number, got {value!r}; e.g. "
                f"{attr}={dict(zip(_SCALING, (20, 600, 50), strict=True))[attr]}."
            )
        if not math.isfinite(float(value)):
            raise ValueError(f"{type(model).__name__}.{attr}={value!r} must be finite.")
        scale[attr] = float(value)
    return scale


def check_model(model: Any, where: str = "check_model") -> PDModel:
    """Check that ``model`` meets the :class:`PDModel` contract; return it unchanged.

    Parameters
    ----------
    model : object
        The model to check.
    where : str, default "check_model"
        The caller, named in error messages.

    Returns
    -------
    PDModel
        ``model`` itself.

    Raises
    ------
    TypeError
        A method or attribute of the contract is missing or of the wrong type.
    ValueError
        ``features`` is empty or repeats a column, ``version`` is empty or has spaces.

    Examples
    --------
    >>> check_model(object())
    Traceback (most recent call last):
    ...
    TypeError: check_model: object has no predict_pd(X) method; a PDModel (e.g. \
lendlab.models.Scorecard) returns the probability of default of each row of X.
    """
    name = type(model).__name__
    if not callable(getattr(model, "predict_pd", None)):
        raise TypeError(
            f"{where}: {name} has no predict_pd(X) method; a PDModel (e.g. "
            "lendlab.models.Scorecard) returns the probability of default of each row of X."
        )
    model_features(model)
    model_scaling(model)
    if not hasattr(model, "version"):
        raise TypeError(
            f"{where}: {name} has no `version` attribute; a PDModel names itself, e.g. "
            "version='scorecard-2025.1'."
        )
    validation.check_name(model.version, f"{name}.version")
    return model
