"""Model-specific input checks, built on :mod:`lendlab.validation`.

What is here and not there: the wording of a model's errors (which feature, "when the model was
fitted"), the training target (0/1, one per row, both classes) and how a model bins a column
(by value or by quantile).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lendlab import validation
from lendlab.validation import reject_numbers_as_text

__all__ = [
    "category_codes",
    "check_features",
    "check_frame",
    "check_target",
    "is_categorical",
    "numeric_values",
    "reject_numbers_as_text",
]


def check_frame(X: Any, features: Sequence[str], where: str) -> pd.DataFrame:
    """``X`` must be a non-empty DataFrame holding every feature column."""
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"{where}: X must be a pandas DataFrame of applications, got {type(X).__name__}; "
            "pass e.g. book[model.features] (the models read columns by name, never by "
            "position)."
        )
    missing = [f for f in features if f not in X.columns]
    if missing:
        raise ValueError(
            f"{where}: X is missing feature column(s) {missing}; it has {list(X.columns)}. "
            "Pass the same columns the model was built with."
        )
    if len(X) == 0:
        raise ValueError(f"{where}: X is empty; pass at least one application.")
    return X


def check_features(features: Any) -> tuple[str, ...]:
    """A non-empty list of distinct column names."""
    return validation.check_column_names(features, "features")


def check_target(y: Any, X: pd.DataFrame) -> np.ndarray:
    """0/1 outcomes, one per row of X, with both goods and bads."""
    labels = validation.check_labels(y, "y")
    validation.check_same_length(X=X, y=labels)
    validation.check_two_classes(labels, "y")
    return labels


def is_categorical(series: pd.Series) -> bool:
    """Text, category and bool columns are binned by value, numbers by quantile."""
    dtype = series.dtype
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_string_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
    )


@functools.lru_cache(maxsize=256)
def _category_index(categories: tuple[Any, ...]) -> pd.Index:
    return pd.Index(list(categories), dtype=object)


def category_codes(series: pd.Series, categories: Sequence[Any]) -> np.ndarray:
    """Position of each value in ``categories``; -1 for missing or unseen values."""
    values = series.astype(object).to_numpy()
    key = tuple(categories)
    try:
        index = _category_index(key)
    except TypeError:  # unhashable categories: build the index each time
        index = pd.Index(list(categories), dtype=object)
    codes = index.get_indexer(values)
    codes[pd.isna(values)] = -1
    return codes.astype(np.int64)


def numeric_values(series: pd.Series, where: str) -> np.ndarray:
    """A column the model fitted as numeric, as float with NaN for missing.

    Same rules as :func:`lendlab.validation.numeric_column`; the type error says that the
    column was numeric when the model was fitted.
    """
    dtype = series.dtype
    if dtype in _PLAIN_NUMERIC:  # fast path (the service scores one row at a time)
        values = series.to_numpy(dtype=float, copy=True)
        if not np.isinf(values).any():
            return values
    if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        example = series.dropna().iloc[0] if series.notna().any() else None
        raise TypeError(
            f"{where}: column {series.name!r} was numeric when the model was fitted but now has "
            f"dtype {dtype} (e.g. {example!r}); convert it with pandas.to_numeric."
        )
    return validation.numeric_column(series, where)


#: numpy dtypes whose values convert to float exactly as ``numeric_column`` converts them.
_PLAIN_NUMERIC = frozenset(
    np.dtype(t) for t in ("float64", "float32", "int64", "int32", "int16", "int8")
)
