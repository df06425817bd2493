"""Input checks shared by the whole package: one place, one convention.

Every check either returns the value in a usable form (a 1-D numpy array, a float, a tuple of
column names) or raises an error that names the argument, quotes the bad value and says how to
fix it. Functions call these up front, so a bad input never turns into a silent NaN or a
silently wrong answer further down.

Convention:

* ``TypeError`` for a value of the wrong *type* (a list where a DataFrame was needed, text
  where numbers were needed, a float where an integer was needed);
* ``ValueError`` for a value of the right type but a wrong *value* (a missing column, an empty
  frame, a label of 2, a PD of 1.3, arrays of different lengths).

Checks on arrays: :func:`as_1d`, :func:`check_labels`, :func:`check_two_classes`,
:func:`check_scores`, :func:`check_pd`, :func:`check_approved`, :func:`check_amounts`,
:func:`check_same_length`. On scalars: :func:`check_cutoff`, :func:`check_probability`,
:func:`check_share`, :func:`check_fraction`, :func:`check_positive_int`,
:func:`check_bool_flag`, :func:`check_choice`, :func:`check_name`. On frames:
:func:`check_frame`, :func:`check_columns`, :func:`check_column_names`,
:func:`numeric_column`, :func:`reject_numbers_as_text`, :func:`datetime_column`.

Example
-------
>>> from lendlab import validation
>>> validation.check_labels([0, 1, 1]).tolist()
[0, 1, 1]
>>> validation.check_pd([0.1, 1.3])
Traceback (most recent call last):
...
ValueError: pd must be a probability of default in [0, 1]; found [1]=1.3. For a points \
score (higher = safer) pass higher_is_riskier=False, or convert it to a PD with \
model.predict_pd.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas

__all__ = [
    "as_1d",
    "check_amounts",
    "check_approved",
    "check_bool_flag",
    "check_choice",
    "check_column_names",
    "check_columns",
    "check_cutoff",
    "check_fraction",
    "check_frame",
    "check_labels",
    "check_name",
    "check_pd",
    "check_positive_int",
    "check_probability",
    "check_same_length",
    "check_scores",
    "check_share",
    "check_two_classes",
    "datetime_column",
    "numeric_column",
    "reject_numbers_as_text",
]

_NUMBER = (int, float, np.integer, np.floating)


def _plain(value: Any) -> Any:
    """numpy scalars as plain Python values, so messages read 2 rather than np.int64(2)."""
    return value.item() if isinstance(value, np.generic) else value


def _preview(values: np.ndarray, mask: np.ndarray, limit: int = 3) -> str:
    """Quote the first few offending values and their positions."""
    positions = np.flatnonzero(mask)
    shown = ", ".join(f"[{i}]={_plain(values[i])!r}" for i in positions[:limit])
    more = f" and {len(positions) - limit} more" if len(positions) > limit else ""
    return f"{shown}{more}"


def _prefix(where: str) -> str:
    return f"{where}: " if where else ""


# --------------------------------------------------------------------------- arrays


def as_1d(values: Any, name: str) -> np.ndarray:
    """Return ``values`` as a non-empty 1-D numpy array or raise naming ``name``.

    A one-column DataFrame and an (n, 1) or (1, n) array are accepted; a categorical Series is
    turned back into its values; nullable pandas dtypes keep NA visible as NaN.

    Parameters
    ----------
    values : array-like
        List, numpy array, pandas Series / Index or one-column DataFrame.
    name : str
        The argument's name, used in error messages.

    Returns
    -------
    numpy.ndarray
        One dimension, at least one element.

    Examples
    --------
    >>> as_1d([[1], [2]], "y").tolist()
    [1, 2]
    >>> as_1d(5, "y")
    Traceback (most recent call last):
    ...
    TypeError: y is a single value (5); pass one value per application.
    """
    if values is None:
        raise TypeError(f"{name} is None; pass an array, list or pandas Series.")
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name} is the string {values!r}; pass an array of values, not text.")
    if isinstance(values, pandas.DataFrame):
        if values.shape[1] == 0:
            raise ValueError(f"{name} is a DataFrame with no columns; pass one column of values.")
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
    """Outcome labels as an int array of 0 (good) / 1 (bad).

    Parameters
    ----------
    y_true : array-like
        0/1 (or True/False) per loan.
    name : str, default "y_true"
        The argument's name, used in error messages.

    Returns
    -------
    numpy.ndarray of int64

    Examples
    --------
    >>> check_labels([True, False]).tolist()
    [1, 0]
    >>> check_labels([0, 1, 2], "y")
    Traceback (most recent call last):
    ...
    ValueError: y must hold only 0 (good) and 1 (bad); found [2]=2. Map your outcome to 0/1 first.
    """
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
    """Both goods (0) and bads (1) must be present (ranking metrics, model fitting).

    Parameters
    ----------
    y : numpy.ndarray
        Labels already checked by :func:`check_labels`.
    name : str, default "y_true"

    Examples
    --------
    >>> import numpy as np
    >>> check_two_classes(np.array([0, 0]), "y")
    Traceback (most recent call last):
    ...
    ValueError: y holds only good (0) outcomes (2 rows); this metric compares goods with bads, \
so pass a sample with both (e.g. a longer window or more matured loans).
    """
    n_bad = int(y.sum())
    if n_bad == 0 or n_bad == y.size:
        only = "bad (1)" if n_bad else "good (0)"
        raise ValueError(
            f"{name} holds only {only} outcomes ({y.size} rows); this metric compares goods "
            "with bads, so pass a sample with both (e.g. a longer window or more matured loans)."
        )


def check_scores(y_score: Any, name: str = "y_score") -> np.ndarray:
    """Any finite numeric score (PD, points, logit) as a float array.

    Examples
    --------
    >>> check_scores([620, 700]).tolist()
    [620.0, 700.0]
    """
    return _as_float(y_score, name)


def check_pd(pd_: Any, name: str = "pd") -> np.ndarray:
    """Probabilities of default: finite and within [0, 1].

    Examples
    --------
    >>> check_pd([0.02, 0.5]).tolist()
    [0.02, 0.5]
    """
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
    """Approval flags as a bool array (accepts bool or 0/1).

    Examples
    --------
    >>> check_approved([1, 0]).tolist()
    [True, False]
    """
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
    """Non-negative finite money amounts.

    Examples
    --------
    >>> check_amounts([1_000, -5])
    Traceback (most recent call last):
    ...
    ValueError: loan_amount must be >= 0 dollars; found [1]=-5.0. Fix or drop those rows.
    """
    arr = _as_float(amounts, name)
    bad = arr < 0
    if bad.any():
        raise ValueError(
            f"{name} must be >= 0 dollars; found {_preview(arr, bad)}. Fix or drop those rows."
        )
    return arr


def check_same_length(**arrays: Sequence[Any] | np.ndarray) -> int:
    """All arrays must have one value per application; returns the common length.

    Examples
    --------
    >>> check_same_length(y=[0, 1], pd=[0.1, 0.2])
    2
    >>> check_same_length(y=[0, 1], pd=[0.1])
    Traceback (most recent call last):
    ...
    ValueError: Inputs have different lengths (y has 2, pd has 1); pass one value per row.
    """
    lengths = {name: len(arr) for name, arr in arrays.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{k} has {v}" for k, v in lengths.items())
        raise ValueError(f"Inputs have different lengths ({shown}); pass one value per row.")
    return next(iter(lengths.values()))


# --------------------------------------------------------------------------- scalars


def _number(value: Any, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, _NUMBER):
        raise TypeError(
            f"{name} must be a single number, got {value!r} ({type(value).__name__}); "
            f"pass e.g. {name}=0.2."
        )
    return float(value)


def check_cutoff(cutoff: Any, *, higher_is_riskier: bool, name: str = "cutoff") -> float:
    """A single finite cutoff; within [0, 1] when it is a PD cutoff.

    Examples
    --------
    >>> check_cutoff(0.2, higher_is_riskier=True)
    0.2
    >>> check_cutoff(620, higher_is_riskier=True)
    Traceback (most recent call last):
    ...
    ValueError: cutoff=620 is outside [0, 1]; a PD cutoff is a probability (e.g. 0.2). For a \
points score cutoff (e.g. 620) pass higher_is_riskier=False.
    """
    if isinstance(cutoff, (bool, np.bool_)) or not isinstance(cutoff, _NUMBER):
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


def check_probability(value: Any, name: str, *, low: float = 0.0, high: float = 1.0) -> float:
    """A single finite number within ``[low, high]`` (a cutoff, a margin, a rate).

    Examples
    --------
    >>> check_probability(0.25, "cutoff")
    0.25
    >>> check_probability(1.5, "cutoff")
    Traceback (most recent call last):
    ...
    ValueError: cutoff=1.5 must be a number in [0, 1]; pass a value between 0 and 1.
    """
    x = _number(value, name)
    if not (math.isfinite(x) and low <= x <= high):
        raise ValueError(
            f"{name}={value!r} must be a number in [{low:g}, {high:g}]; "
            f"pass a value between {low:g} and {high:g}."
        )
    return x


def check_share(value: Any, name: str) -> float:
    """A share of the rows in (0, 1]: a sample fraction, a traffic split, a population share.

    Examples
    --------
    >>> check_share(0.1, "frac")
    0.1
    >>> check_share(0, "frac")
    Traceback (most recent call last):
    ...
    ValueError: frac=0 must be a share in (0, 1]; e.g. frac=0.1 for ten per cent.
    """
    x = _number(value, name)
    if not (math.isfinite(x) and 0.0 < x <= 1.0):
        raise ValueError(
            f"{name}={value!r} must be a share in (0, 1]; e.g. {name}=0.1 for ten per cent."
        )
    return x


def check_fraction(value: Any, name: str, *, allow_above_one: bool = False) -> float:
    """A number in [0, 1] (or >= 0 with ``allow_above_one``), e.g. a loss given default.

    Examples
    --------
    >>> check_fraction(0.6, "lgd")
    0.6
    >>> check_fraction(1.5, "lgd")
    Traceback (most recent call last):
    ...
    ValueError: lgd=1.5 must be in [0, 1]; pass e.g. lgd=0.5.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, _NUMBER):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__}).")
    value_f = float(value)
    upper = np.inf if allow_above_one else 1.0
    if not (np.isfinite(value_f) and 0.0 <= value_f <= upper):
        bound = ">= 0" if allow_above_one else "in [0, 1]"
        raise ValueError(f"{name}={value!r} must be {bound}; pass e.g. {name}=0.5.")
    return value_f


def check_positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """A whole number >= ``minimum`` (bins, rows, months).

    Examples
    --------
    >>> check_positive_int(10, "n_bins", minimum=2)
    10
    >>> check_positive_int(2.0, "n_bins")
    Traceback (most recent call last):
    ...
    TypeError: n_bins must be an integer, got 2.0 (float); pass e.g. n_bins=2.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        example = int(value) if isinstance(value, float) and value.is_integer() else minimum
        raise TypeError(
            f"{name} must be an integer, got {value!r} ({type(value).__name__}); "
            f"pass e.g. {name}={max(example, minimum)}."
        )
    if value < minimum:
        raise ValueError(f"{name}={value!r} is too small; pass an integer >= {minimum}.")
    return int(value)


def check_bool_flag(value: Any, name: str) -> bool:
    """True or False (numpy bools accepted; 0/1 and strings are not).

    Examples
    --------
    >>> check_bool_flag("yes", "monotone")
    Traceback (most recent call last):
    ...
    TypeError: monotone must be True or False, got 'yes'.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


def check_choice(value: Any, name: str, choices: Sequence[str]) -> str:
    """One of a few allowed strings.

    Examples
    --------
    >>> check_choice("uniform", "strategy", ["quantile", "uniform"])
    'uniform'
    >>> check_choice("equal", "strategy", ["quantile", "uniform"])
    Traceback (most recent call last):
    ...
    ValueError: strategy='equal' is not one of ['quantile', 'uniform']; pick one of those.
    """
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not one of {list(choices)}; pick one of those.")
    return str(value)


def check_name(value: Any, name: str, *, example: str = "scorecard-2025.1") -> str:
    """A non-empty string without surrounding or inner whitespace (a version, a label).

    Examples
    --------
    >>> check_name("scorecard-2025.1", "version")
    'scorecard-2025.1'
    >>> check_name("", "version")
    Traceback (most recent call last):
    ...
    ValueError: version='' must be a non-empty name without spaces, e.g. 'scorecard-2025.1'.
    """
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be a string such as {example!r}, got {value!r} ({type(value).__name__})."
        )
    if not value or value != value.strip() or any(c.isspace() for c in value):
        raise ValueError(
            f"{name}={value!r} must be a non-empty name without spaces, e.g. {example!r}."
        )
    return value


# --------------------------------------------------------------------------- frames


def check_frame(X: Any, name: str = "X", *, where: str = "", fix: str = "") -> pandas.DataFrame:
    """``X`` must be a non-empty pandas DataFrame.

    Parameters
    ----------
    X : object
        The value to check.
    name : str, default "X"
        The argument's name, used in error messages.
    where : str, optional
        The calling function, prefixed to messages (e.g. ``"Scorecard.fit"``).
    fix : str, optional
        What to pass instead, appended to the type error.

    Examples
    --------
    >>> import pandas as pd
    >>> check_frame([1, 2], "applications")
    Traceback (most recent call last):
    ...
    TypeError: applications must be a pandas DataFrame, got list.
    >>> check_frame(pd.DataFrame({"fico": []}), "applications")
    Traceback (most recent call last):
    ...
    ValueError: applications is empty; pass at least one row.
    """
    if not isinstance(X, pandas.DataFrame):
        tail = f"; {fix}" if fix else ""
        raise TypeError(
            f"{_prefix(where)}{name} must be a pandas DataFrame, got {type(X).__name__}{tail}."
        )
    if len(X) == 0:
        raise ValueError(f"{_prefix(where)}{name} is empty; pass at least one row.")
    return X


def check_columns(
    frame: pandas.DataFrame, columns: Iterable[str], name: str = "X", *, where: str = "", fix: str
) -> None:
    """``frame`` must hold every column in ``columns``; ``fix`` says where to get them.

    Examples
    --------
    >>> import pandas as pd
    >>> check_columns(pd.DataFrame({"fico": [700]}), ["fico", "dti"], "applications",
    ...               fix="pass a frame from lendlab.world.generate")
    Traceback (most recent call last):
    ...
    ValueError: applications is missing column(s) ['dti']; it has ['fico']. Pass a frame from \
lendlab.world.generate.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        has = list(frame.columns)
        shown = has if len(has) <= 30 else [*has[:30], "..."]
        fix_text = fix[:1].upper() + fix[1:]
        raise ValueError(
            f"{_prefix(where)}{name} is missing column(s) {missing}; it has {shown}. "
            f"{fix_text.rstrip('.')}."
        )


def check_column_names(columns: Any, name: str = "features") -> tuple[str, ...]:
    """A non-empty list of distinct column names, as a tuple.

    Examples
    --------
    >>> check_column_names(["fico", "dti"])
    ('fico', 'dti')
    >>> check_column_names("fico")
    Traceback (most recent call last):
    ...
    TypeError: features must be a list of column names, got 'fico'; e.g. features=['fico', 'dti'].
    """
    if isinstance(columns, str) or not isinstance(columns, Sequence):
        raise TypeError(
            f"{name} must be a list of column names, got {columns!r}; e.g. {name}=['fico', 'dti']."
        )
    names = tuple(columns)
    if not names:
        raise ValueError(f"{name} is empty; pass at least one column name.")
    bad = [f for f in names if not isinstance(f, str)]
    if bad:
        raise TypeError(
            f"{name} must be column names (str); got {bad!r}. Name the columns, "
            "e.g. frame.columns = [str(c) for c in frame.columns]."
        )
    dupes = sorted({f for f in names if names.count(f) > 1})
    if dupes:
        raise ValueError(f"{name} lists {dupes} more than once; list each column once.")
    return names


def reject_numbers_as_text(series: pandas.Series, where: str = "") -> None:
    """Refuse a text column whose every value is a number: a numeric column with a broken dtype.

    Numbers stored as text look like categories to a model or a drift test; never guess,
    convert at the boundary.

    Examples
    --------
    >>> import pandas as pd
    >>> reject_numbers_as_text(pd.Series(["700", "650"], name="fico"), "Scorecard.fit")
    Traceback (most recent call last):
    ...
    TypeError: Scorecard.fit: column 'fico' holds numbers stored as text (e.g. '700'); convert \
it with pandas.to_numeric before fitting.
    """
    if not (
        pandas.api.types.is_string_dtype(series.dtype)
        or pandas.api.types.is_object_dtype(series.dtype)
    ):
        return
    present = series.dropna()
    if len(present) and pandas.to_numeric(present, errors="coerce").notna().all():
        raise TypeError(
            f"{_prefix(where)}column {series.name!r} holds numbers stored as text (e.g. "
            f"{present.iloc[0]!r}); convert it with pandas.to_numeric before fitting."
        )


def numeric_column(series: pandas.Series, where: str = "") -> np.ndarray:
    """A numeric column as float with NaN for missing; text, bool and infinities are refused.

    Examples
    --------
    >>> import pandas as pd
    >>> numeric_column(pd.Series([1, None], name="dti", dtype="Int64")).tolist()
    [1.0, nan]
    >>> numeric_column(pd.Series(["1.5"], name="dti"), "score")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: score: column 'dti' must be numeric, got dtype ... (e.g. '1.5'); convert it \
with pandas.to_numeric.
    """
    name = series.name
    if not pandas.api.types.is_numeric_dtype(series.dtype) or pandas.api.types.is_bool_dtype(
        series.dtype
    ):
        example = series.dropna().iloc[0] if series.notna().any() else None
        raise TypeError(
            f"{_prefix(where)}column {name!r} must be numeric, got dtype {series.dtype} "
            f"(e.g. {example!r}); convert it with pandas.to_numeric."
        )
    values = series.to_numpy(dtype=float, na_value=np.nan)
    infinite = np.isinf(values)
    if infinite.any():
        rows = list(series.index[infinite][:3])
        raise ValueError(
            f"{_prefix(where)}column {name!r} has {int(infinite.sum())} infinite value(s) "
            f"(rows {rows}); a division by zero upstream? Replace them with NaN (missing) "
            "or a real value."
        )
    return values


def datetime_column(frame: pandas.DataFrame, column: str, name: str = "frame") -> pandas.Series:
    """A datetime column without missing values.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"applied_at": ["2025-01-01"]})
    >>> datetime_column(frame, "applied_at", "log")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: log['applied_at'] must hold datetimes, got dtype ...; convert it with \
pd.to_datetime(..., utc=True).
    """
    values = frame[column]
    if not pandas.api.types.is_datetime64_any_dtype(values):
        raise ValueError(
            f"{name}[{column!r}] must hold datetimes, got dtype {values.dtype}; "
            "convert it with pd.to_datetime(..., utc=True)."
        )
    if values.isna().any():
        rows = list(values.index[values.isna().to_numpy()][:3])
        raise ValueError(
            f"{name}[{column!r}] has {int(values.isna().sum())} missing timestamp(s) "
            f"(rows {rows}); drop those rows or fill them from the source system."
        )
    return values
