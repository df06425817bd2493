"""Input checks shared by the models: the application frame and its feature columns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lendlab.metrics._validation import check_labels, check_same_length, check_two_classes


def check_frame(X: Any, features: Sequence[str], where: str) -> pd.DataFrame:
    """``X`` must be a non-empty DataFrame holding every feature column."""
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"{where}: X must be a pandas DataFrame of applications, got {type(X).__name__}; "
            "pass e.g. book[model.features]."
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
    if isinstance(features, str) or not isinstance(features, Sequence):
        raise TypeError(
            f"features must be a list of column names, got {features!r}; "
            "e.g. features=['fico', 'dti']."
        )
    names = tuple(features)
    if not names:
        raise ValueError("features is empty; pass at least one column name.")
    bad = [f for f in names if not isinstance(f, str)]
    if bad:
        raise TypeError(f"features must be column names (str); got {bad!r}.")
    dupes = sorted({f for f in names if names.count(f) > 1})
    if dupes:
        raise ValueError(f"features lists {dupes} more than once; list each column once.")
    return names


def check_target(y: Any, X: pd.DataFrame) -> np.ndarray:
    """0/1 outcomes, one per row of X, with both goods and bads."""
    labels = check_labels(y, "y")
    check_same_length(X=X, y=labels)
    check_two_classes(labels, "y")
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


def category_codes(series: pd.Series, categories: Sequence[Any]) -> np.ndarray:
    """Position of each value in ``categories``; -1 for missing or unseen values."""
    values = series.astype(object).to_numpy()
    codes = pd.Index(list(categories), dtype=object).get_indexer(values)
    codes[pd.isna(values)] = -1
    return codes.astype(np.int64)


def reject_numbers_as_text(series: pd.Series, where: str) -> None:
    """A text column whose every value is a number is a numeric feature with a broken dtype."""
    if not (
        pd.api.types.is_string_dtype(series.dtype) or pd.api.types.is_object_dtype(series.dtype)
    ):
        return
    present = series.dropna()
    if len(present) and pd.to_numeric(present, errors="coerce").notna().all():
        raise TypeError(
            f"{where}: column {series.name!r} holds numbers stored as text (e.g. "
            f"{present.iloc[0]!r}); convert it with pandas.to_numeric before fitting."
        )


def numeric_values(series: pd.Series, where: str) -> np.ndarray:
    """A numeric column as float with NaN for missing; infinities are rejected."""
    name = series.name
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        raise TypeError(
            f"{where}: column {name!r} was numeric when the model was fitted but now has dtype "
            f"{series.dtype} (e.g. {series.iloc[0]!r}); convert it with pandas.to_numeric."
        )
    values = series.to_numpy(dtype=float, na_value=np.nan)
    infinite = np.isinf(values)
    if infinite.any():
        rows = list(series.index[infinite][:3])
        raise ValueError(
            f"{where}: column {name!r} has {int(infinite.sum())} infinite value(s) "
            f"(rows {rows}); a division by zero upstream? Replace them with NaN (missing) "
            "or a real value."
        )
    return values
