"""Input checks shared by the drift functions: one place decides kinds, NaNs and error wording.

Every message names the column (or argument), quotes the bad value and says the fix. The
convention is lendlab's: TypeError for a value of the wrong type (including a column whose
dtype cannot be what it claims, such as numbers stored as text), ValueError for a value of the
right type that is out of range or misspelled. Generic checks come from
:mod:`lendlab.validation`; the drift-specific ones (column kinds, NaN policy, bins) live here.
:func:`reject_numbers_as_text` is drift's own: unlike ``validation.reject_numbers_as_text`` it
also catches numbers with a few placeholders ("N/A"), leaves object columns of booleans alone
and only scans a column whose first rows look numeric (the drift hot path).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from lendlab import validation

Kind = Literal["numeric", "categorical"]
NanPolicy = Literal["raise", "omit", "bin"]
NAN_POLICIES: tuple[str, ...] = ("raise", "omit", "bin")

#: Most quantile or equal-width bins a drift statistic accepts. Beyond a few hundred bins most
#: bins of a realistic current sample are empty and the empty-bin floor dominates PSI; beyond
#: this the bin arrays alone (``bins=10**9`` is 8 GB) would exhaust memory.
MAX_BINS = 1_000

# Text columns that hold at least this many distinct numbers and at most
# _MAX_PLACEHOLDERS distinct non-numbers ("N/A", "", "missing") are numbers stored as text.
_MIN_DISTINCT_NUMBERS = 20
_MAX_PLACEHOLDERS = 5
# A text column none of whose first rows looks like a number is taken as genuine text.
_SNIFF_ROWS = 64


def as_series(values: object, *, default_name: str) -> tuple[pd.Series, str]:
    """Wrap a Series, array or list as a Series and pick the name used in messages."""
    if isinstance(values, pd.DataFrame):
        raise TypeError(
            f"{default_name} must be one column (a Series or 1-D array), got a DataFrame with "
            f"columns {list(values.columns)!r}; pass frame[column] instead"
        )
    if isinstance(values, pd.Series):
        series = values
    elif isinstance(values, (np.ndarray, pd.Index, pd.Categorical, list, tuple)):
        array = values if isinstance(values, (pd.Index, pd.Categorical)) else np.asarray(values)
        if getattr(array, "ndim", 1) != 1:
            raise ValueError(
                f"{default_name} must be 1-D, got shape {np.shape(array)!r}; pass one column"
            )
        series = pd.Series(array, copy=False)
    else:
        raise TypeError(
            f"{default_name} must be a pandas Series, numpy array or list, "
            f"got {type(values).__name__!r}"
        )
    name = series.name if isinstance(series.name, str) else default_name
    return series, name


def column_kind(series: pd.Series, *, column: str, side: str) -> Kind:
    """Say whether a column is measured as numbers or as categories.

    Booleans, pandas categoricals, strings and objects are categorical; other numbers are
    numeric; anything else (datetimes, timedeltas) is refused, and so is a text or object
    column that holds numbers (see :func:`reject_numbers_as_text`).
    """
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        reject_numbers_as_text(series, column=column, side=side)
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    raise TypeError(
        f"column {column!r} in {side} has dtype {str(dtype)!r}, which has no drift statistic; "
        "pass numeric or categorical columns only (e.g. leave timestamps out of `columns`)"
    )


def reject_numbers_as_text(series: pd.Series, *, column: str, side: str) -> None:
    """Raise TypeError when a text (``str``/object) column holds numbers.

    Binned by category, such a column reports false drift: every distinct number becomes a
    category of its own (the same N(640, 60) sample gives PSI 0.006 as float64 and 0.77 or
    more as text). Refused: a column whose every non-missing value is a number (as text or as
    Python numbers in an object column), and a column with at least 20 distinct numbers and
    at most 5 distinct non-numbers (placeholders such as "N/A"). A pandas ``category`` column
    is never refused: that dtype says the labels are categories (codes, zip codes).

    Cost: genuine text is recognised from its first 64 rows, so the full check (one pass over
    the distinct values) only runs when those rows hold a number.
    """
    present = series.iloc[:_SNIFF_ROWS].dropna()
    if len(present) == 0:
        present = series.dropna()
        if len(present) == 0:
            return
    if pd.to_numeric(pd.Series(present.to_numpy(dtype=object)), errors="coerce").isna().all():
        return
    uniques = pd.Series(pd.unique(series.dropna().to_numpy(dtype=object)), dtype=object)
    inferred = pd.api.types.infer_dtype(uniques, skipna=True)
    if inferred == "boolean":
        return
    if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
        is_number = np.ones(len(uniques), dtype=bool)
    else:
        is_number = pd.to_numeric(uniques, errors="coerce").notna().to_numpy()
    n_numbers = int(is_number.sum())
    placeholders = uniques[~is_number]
    if n_numbers == len(uniques) or (
        n_numbers >= _MIN_DISTINCT_NUMBERS and len(placeholders) <= _MAX_PLACEHOLDERS
    ):
        example = uniques[is_number].iloc[0]
        extra = (
            f" and the placeholder(s) {placeholders.tolist()!r}, which "
            "pandas.to_numeric(..., errors='coerce') turns into NaN"
            if len(placeholders)
            else ""
        )
        raise TypeError(
            f"column {column!r} in {side} holds numbers stored as text (dtype "
            f"{str(series.dtype)!r}, e.g. {example!r}){extra}; binned as categories it would "
            f"report false drift. Convert it with pandas.to_numeric(frame[{column!r}]) (or "
            ".astype('category') if the values really are labels, such as zip codes)"
        )


def same_kind(reference: pd.Series, current: pd.Series, *, column: str) -> Kind:
    """Return the shared kind of two columns, or raise TypeError if they disagree."""
    ref_kind = column_kind(reference, column=column, side="reference")
    cur_kind = column_kind(current, column=column, side="current")
    if ref_kind != cur_kind:
        raise TypeError(
            f"column {column!r} is {ref_kind} in reference (dtype {str(reference.dtype)!r}) but "
            f"{cur_kind} in current (dtype {str(current.dtype)!r}); cast both to the same type "
            "before comparing them"
        )
    return ref_kind


def check_nan_policy(nan_policy: object, *, allowed: Sequence[str] = NAN_POLICIES) -> str:
    if nan_policy not in allowed:
        raise ValueError(f"nan_policy must be one of {list(allowed)!r}, got {nan_policy!r}")
    return str(nan_policy)


def check_bins(bins: object) -> int:
    """An integer number of bins in [2, MAX_BINS]."""
    if isinstance(bins, (bool, np.bool_)) or not isinstance(bins, (int, np.integer)):
        raise TypeError(
            f"bins must be an integer >= 2, got {bins!r} ({type(bins).__name__}); "
            "e.g. bins=10 for deciles"
        )
    if not 2 <= bins <= MAX_BINS:
        raise ValueError(
            f"bins must be an integer >= 2 and <= {MAX_BINS} (MAX_BINS), got {bins!r}; "
            "10 (deciles) is the credit convention"
        )
    return int(bins)


def check_count(value: object, *, name: str, minimum: int = 0) -> int:
    """A whole number >= ``minimum`` (e.g. ``min_rows``): :mod:`lendlab.validation`'s check."""
    return validation.check_positive_int(value, name, minimum=minimum)


def check_threshold(value: object, *, name: str = "threshold") -> float:
    """A finite, non-negative number."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(
            f"{name} must be a non-negative number, got {value!r} ({type(value).__name__})"
        )
    if not (np.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite, non-negative number, got {value!r}")
    return float(value)


def numeric_values(
    series: pd.Series, *, column: str, side: str, nan_policy: str, keep_int: bool = False
) -> tuple[np.ndarray, int]:
    """Float64 view of a numeric column and its NaN count, after the NaN and infinity checks.

    NaNs stay in the array (the binning code counts them); infinities are always an error
    because they have no place on a distribution and usually mean a division by zero upstream.
    With ``keep_int``, a signed-integer column comes back as is (no copy, no NaN possible).
    """
    dtype = series.dtype
    if keep_int and isinstance(dtype, np.dtype) and dtype.kind == "i":
        values = series.to_numpy()
        check_missing(len(values), 0, column=column, side=side, nan_policy=nan_policy)
        return values, 0
    if isinstance(dtype, np.dtype) and dtype == np.float64:
        values = series.to_numpy()
    elif isinstance(dtype, np.dtype):
        values = series.to_numpy(dtype=np.float64)
    else:  # nullable extension dtypes hold pd.NA
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    n_nan = 0
    if not np.isfinite(values).all():
        n_nan = int(np.count_nonzero(np.isnan(values)))
        n_inf = int(np.count_nonzero(np.isinf(values)))
        if n_inf:
            raise ValueError(
                f"column {column!r} in {side} has {n_inf} infinite values; replace or drop "
                "them (they usually come from a division by zero upstream)"
            )
    check_missing(len(values), n_nan, column=column, side=side, nan_policy=nan_policy)
    return values, n_nan


def check_missing(n: int, n_nan: int, *, column: str, side: str, nan_policy: str) -> None:
    """Apply the NaN rules: empty and all-missing columns, then the chosen policy."""
    if n == 0:
        raise ValueError(
            f"column {column!r} in {side} is empty (0 rows); a drift statistic needs at least "
            "one row on each side"
        )
    if n_nan == n and not (nan_policy == "bin" and side != "reference"):
        raise ValueError(
            f"column {column!r} in {side} is entirely NaN ({n} rows); check the feed for this "
            "column, or leave it out of `columns`"
        )
    if n_nan and nan_policy == "raise":
        raise ValueError(
            f"column {column!r} in {side} has {n_nan} NaN values out of {n}; drop them or pass "
            "nan_policy='bin' to count missing values as their own bin "
            "(nan_policy='omit' ignores them)"
        )


def category_codes(series: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1 for missing) and the values they stand for, without copying strings."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy(), series.cat.categories
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes, pd.Index(uniques)


def value_family(index: pd.Index) -> str:
    """Coarse type of category labels, to refuse comparing 36 with '36'."""
    if len(index) == 0 or pd.api.types.is_object_dtype(index.dtype):
        return "any"
    if pd.api.types.is_bool_dtype(index.dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(index.dtype):
        return "number"
    return "text"


def require_columns(frame: pd.DataFrame, columns: Iterable[str], *, side: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"column(s) {missing!r} missing from {side}; {side} has {list(frame.columns)!r}. "
            "Pass `columns=` with columns both frames share"
        )


def check_frame(frame: object, *, side: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{side} must be a pandas DataFrame, got {type(frame).__name__!r}")
    if len(frame) == 0:
        raise ValueError(f"{side} is empty (0 rows); drift needs data on both sides")
    return frame


def check_columns_arg(columns: object) -> list[str] | None:
    if columns is None:
        return None
    if isinstance(columns, str):
        return [columns]
    try:
        names = list(columns)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(f"columns must be a list of column names, got {columns!r}") from None
    if not names:
        raise ValueError("columns is an empty list; pass at least one column name or None")
    return names


def drift_columns(
    frame: pd.DataFrame, *, exclude: Iterable[str] = (), side: str = "reference"
) -> list[str]:
    """Columns with a drift statistic (numeric, boolean, categorical, text), in frame order."""
    skip = set(exclude)
    out = []
    for name in frame.columns:
        if name in skip:
            continue
        dtype = frame[name].dtype
        if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
            continue
        out.append(name)
    if not out:
        raise ValueError(
            f"{side} has no column with a drift statistic (numbers, booleans, categories or "
            f"text); it has {list(frame.columns)!r}. Pass a frame with the monitored columns"
        )
    return out


def reject_all_missing(frame: pd.DataFrame, columns: Iterable[str], *, side: str) -> None:
    """ValueError naming the columns of ``frame`` that are entirely missing."""
    empty = [c for c in columns if frame[c].isna().all()]
    if empty:
        raise ValueError(
            f"column(s) {empty!r} in {side} are entirely NaN ({len(frame)} rows); check the "
            "feed for those columns, or leave them out of `columns`"
        )
