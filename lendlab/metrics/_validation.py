"""Input checks shared by every metric.

Each check turns an array-like into a 1-D numpy array or raises an error that names the
argument, quotes the bad value and says how to fix it. Metrics call these up front so a
bad input never turns into a silent NaN further down.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas

__all__ = [
    "as_1d",
    "check_amounts",
    "check_approved",
    "check_cutoff",
    "check_labels",
    "check_pd",
    "check_same_length",
    "check_scores",
    "check_two_classes",
]


def _plain(value: Any) -> Any:
    """numpy scalars as plain Python values, so messages read 2 rather than np.int64(2)."""
    return value.item() if isinstance(value, np.generic) else value


def _preview(values: np.ndarray, mask: np.ndarray, limit: int = 3) -> str:
    """Quote the first few offending values and their positions."""
    positions = np.flatnonzero(mask)
    shown = ", ".join(f"[{i}]={_plain(values[i])!r}" for i in positions[:limit])
    more = f" and {len(positions) - limit} more" if len(positions) > limit else ""
    return f"{shown}{more}"


def as_1d(values: Any, name: str) -> np.ndarray:
    """Return ``values`` as a non-empty 1-D numpy array or raise naming ``name``."""
    if values is None:
        raise TypeError(f"{name} is None; pass an array, list or pandas Series.")
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name} is the string {values!r}; pass an array of values, not text.")
    if isinstance(values, pandas.DataFrame):
        if values.shape[1] != 1:
            raise ValueError(
                f"{name} is a DataFrame with {values.shape[1]} columns; pass one column, "
                f"e.g. frame[{list(values.columns)[0]!r}]."
            )
        values = values.iloc[:, 0]
    if isinstance(values, pandas.Series) and isinstance(values.dtype, pandas.CategoricalDtype):
        values = values.astype(values.cat.categories.dtype)
    ptypes = pandas.api.types
    if isinstance(values, (pandas.Series, pandas.Index)) and ptypes.is_extension_array_dtype(
        values.dtype
    ):
        if ptypes.is_numeric_dtype(values.dtype) or ptypes.is_bool_dtype(values.dtype):
            # nullable Int64/Float64/boolean: keep NA visible as NaN so checks can report it
            if values.hasnans:
                values = values.to_numpy(dtype=float, na_value=np.nan)
            else:
                values = values.to_numpy(dtype=values.dtype.numpy_dtype)
    arr = np.asarray(values)
    if arr.ndim == 0:
        raise TypeError(f"{name} is a single value ({values!r}); pass one value per application.")
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"{name} has shape {arr.shape}; pass a 1-D array (one value per row).")
    if arr.size == 0:
        raise ValueError(f"{name} is empty; pass at least one application.")
    return arr


def _is_text(arr: np.ndarray) -> bool:
    if arr.dtype.kind in "USO" and arr.dtype != object:
        return True
    return arr.dtype == object and any(isinstance(v, (str, bytes)) for v in arr[:1000])


def _as_float(values: Any, name: str) -> np.ndarray:
    arr = as_1d(values, name)
    if _is_text(arr):
        raise TypeError(
            f"{name} must be numeric; got text such as {_plain(arr[0])!r}. "
            "Convert it with pandas.to_numeric first."
        )
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        if arr.dtype == object:
            try:
                arr = arr.astype(float)
            except (TypeError, ValueError):
                raise TypeError(
                    f"{name} must be numeric; got values such as {_plain(arr[0])!r} "
                    f"(dtype {arr.dtype}). Convert it with pandas.to_numeric first."
                ) from None
        elif arr.dtype != bool:
            raise TypeError(
                f"{name} must be numeric; got dtype {arr.dtype} (e.g. {_plain(arr[0])!r}). "
                "Convert it with pandas.to_numeric first."
            )
    arr = arr.astype(float)
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(
            f"{name} has {int(bad.sum())} missing or infinite value(s) at {_preview(arr, bad)}; "
            "drop or impute those rows first."
        )
    return arr


def check_labels(y_true: Any, name: str = "y_true") -> np.ndarray:
    """Outcome labels as an int array of 0 (good) / 1 (bad)."""
    arr = as_1d(y_true, name)
    if arr.dtype == bool:
        return arr.astype(np.int64)
    if _is_text(arr):
        raise TypeError(
            f"{name} must hold 0 (good) and 1 (bad); got text such as {_plain(arr[0])!r}. "
            "Map your outcome to 0/1 first, e.g. (status == 'charged_off').astype(int)."
        )
    if arr.dtype == object:
        try:
            arr = arr.astype(float)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must hold 0 (good) and 1 (bad); got values such as {_plain(arr[0])!r}. "
                "Map your outcome to 0/1 first, e.g. (status == 'charged_off').astype(int)."
            ) from None
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(
            f"{name} must hold 0 (good) and 1 (bad); got dtype {arr.dtype} "
            f"(e.g. {_plain(arr[0])!r}). "
            "Map your outcome to 0/1 first, e.g. (status == 'charged_off').astype(int)."
        )
    as_float = arr.astype(float)
    missing = np.isnan(as_float)
    if missing.any():
        raise ValueError(
            f"{name} has {int(missing.sum())} missing label(s) at {_preview(as_float, missing)}; "
            "keep only loans whose outcome is known (e.g. matured loans)."
        )
    bad = (as_float != 0) & (as_float != 1)
    if bad.any():
        raise ValueError(
            f"{name} must hold only 0 (good) and 1 (bad); found {_preview(arr, bad)}. "
            "Map your outcome to 0/1 first."
        )
    return as_float.astype(np.int64)


def check_two_classes(y: np.ndarray, name: str = "y_true") -> None:
    """Ranking metrics need both goods and bads."""
    n_bad = int(y.sum())
    if n_bad == 0 or n_bad == y.size:
        only = "bad (1)" if n_bad else "good (0)"
        raise ValueError(
            f"{name} holds only {only} outcomes ({y.size} rows); this metric compares goods "
            "with bads, so pass a sample with both (e.g. a longer window or more matured loans)."
        )


def check_scores(y_score: Any, name: str = "y_score") -> np.ndarray:
    """Any finite numeric score (PD, points, logit)."""
    return _as_float(y_score, name)


def check_pd(pd_: Any, name: str = "pd") -> np.ndarray:
    """Probabilities of default: finite and within [0, 1]."""
    arr = _as_float(pd_, name)
    bad = (arr < 0) | (arr > 1)
    if bad.any():
        raise ValueError(
            f"{name} must be a probability of default in [0, 1]; found {_preview(arr, bad)}. "
            "For a points score (higher = safer) pass higher_is_riskier=False, or convert it "
            "to a PD with model.predict_pd."
        )
    return arr


def check_approved(approved: Any, name: str = "approved") -> np.ndarray:
    """Approval flags as a bool array (accepts bool or 0/1)."""
    arr = as_1d(approved, name)
    if arr.dtype == bool:
        return arr
    if _is_text(arr):
        raise TypeError(
            f"{name} must be True/False (or 1/0) per application; got text such as "
            f"{_plain(arr[0])!r}. "
            "Build it with e.g. frame['decision'] == 'approve'."
        )
    try:
        as_float = arr.astype(float)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be True/False (or 1/0) per application; got values such as "
            f"{_plain(arr[0])!r}. Build it with e.g. frame['decision'] == 'approve'."
        ) from None
    bad = ~np.isin(as_float, (0.0, 1.0))
    if bad.any():
        raise ValueError(
            f"{name} must be True/False (or 1/0); found {_preview(arr, bad)}. "
            "Fill missing decisions before computing rates."
        )
    return as_float.astype(bool)


def check_amounts(amounts: Any, name: str = "loan_amount") -> np.ndarray:
    """Non-negative finite money amounts."""
    arr = _as_float(amounts, name)
    bad = arr < 0
    if bad.any():
        raise ValueError(f"{name} must be >= 0 dollars; found {_preview(arr, bad)}.")
    return arr


def check_cutoff(cutoff: Any, *, higher_is_riskier: bool, name: str = "cutoff") -> float:
    """A single finite cutoff; within [0, 1] when it is a PD cutoff."""
    if isinstance(cutoff, bool) or not isinstance(cutoff, (int, float, np.integer, np.floating)):
        raise TypeError(
            f"{name} must be a single number, got {cutoff!r} ({type(cutoff).__name__})."
        )
    value = float(cutoff)
    if not np.isfinite(value):
        raise ValueError(f"{name}={cutoff!r} is not finite; pass a number.")
    if higher_is_riskier and not 0.0 <= value <= 1.0:
        raise ValueError(
            f"{name}={cutoff!r} is outside [0, 1]; a PD cutoff is a probability (e.g. 0.2). "
            "For a points score cutoff (e.g. 620) pass higher_is_riskier=False."
        )
    return value


def check_same_length(**arrays: Sequence[Any] | np.ndarray) -> int:
    """All arrays must have one value per application."""
    lengths = {name: len(arr) for name, arr in arrays.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{k} has {v}" for k, v in lengths.items())
        raise ValueError(f"Inputs have different lengths ({shown}); pass one value per row.")
    return next(iter(lengths.values()))


def check_bool_flag(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


def check_positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name}={value!r} is too small; pass an integer >= {minimum}.")
    return int(value)


def check_choice(value: Any, name: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not one of {list(choices)}.")
    return str(value)


def check_fraction(value: Any, name: str, *, allow_above_one: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {value!r}.")
    value_f = float(value)
    upper = np.inf if allow_above_one else 1.0
    if not (np.isfinite(value_f) and 0.0 <= value_f <= upper):
        bound = ">= 0" if allow_above_one else "in [0, 1]"
        raise ValueError(f"{name}={value!r} must be {bound}.")
    return value_f
