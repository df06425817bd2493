"""Derived features: the ratios a model sees, computed one way for the world, models and pipeline.

The generator's truth terms, the challenger's engineered features and the batch pipeline's
feature table all call these functions, so a ratio has one name, one formula and one meaning.

* :func:`annuity_factor` - monthly payment per dollar borrowed at an APR over a term.
* :func:`loan_to_income` - requested amount over stated annual income.
* :func:`payment_to_income` - monthly instalment over stated monthly income.
* :func:`verified_to_stated` - verified over stated income; NaN when income was not verified
  ("unverified" is information: tree models such as HistGradientBoosting split on NaN natively).
* :func:`add_derived_features` - add any of :data:`DERIVED_FEATURES` to an application frame.

Values are not rounded anywhere: a model gets full precision, and a report rounds for display.

Example
-------
>>> import pandas as pd
>>> app = pd.DataFrame({"loan_amount": [12_000.0], "annual_income": [60_000.0],
...                     "interest_rate": [12.0], "term_months": [36],
...                     "verified_income": [float("nan")]})
>>> out = add_derived_features(app)
>>> round(float(out["payment_to_income"].iloc[0]), 4), float(out["verified_to_stated"].iloc[0])
(0.0797, nan)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "DERIVED_FEATURES",
    "annuity_factor",
    "loan_to_income",
    "payment_to_income",
    "verified_to_stated",
    "add_derived_features",
]

#: Derived column -> the raw columns it is computed from (in the order its function takes them).
DERIVED_FEATURES: dict[str, tuple[str, ...]] = {
    "loan_to_income": ("loan_amount", "annual_income"),
    "payment_to_income": ("loan_amount", "annual_income", "interest_rate", "term_months"),
    "verified_to_stated": ("verified_income", "annual_income"),
}


def _values(x: Any, name: str, *, positive: bool = False) -> np.ndarray:
    """``x`` as a float array (NaN for missing); non-numbers, infinities, bad signs refused."""
    if isinstance(x, pd.Series):
        dtype = x.dtype
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            raise TypeError(
                f"{name} must be numeric, got dtype {dtype}; convert it with pandas.to_numeric"
            )
        values = x.to_numpy(dtype=float, na_value=np.nan)
    else:
        arr = np.asarray(x)
        if arr.dtype.kind not in "iuf":
            raise TypeError(
                f"{name} must be numbers, got {type(x).__name__} of dtype {arr.dtype}; pass a "
                "numeric array, Series or scalar"
            )
        values = arr.astype(float)
    if np.isinf(values).any():
        raise ValueError(
            f"{name} has infinite value(s); replace them with NaN (missing) or the real value"
        )
    with np.errstate(invalid="ignore"):
        bad = values <= 0 if positive else values < 0
    if bad.any():
        example = values[bad].flat[0]
        need = "positive" if positive else "non-negative"
        raise ValueError(
            f"{name} must be {need}, got {example!r} ({int(bad.sum())} value(s)); fix the "
            "source or set the value to NaN (missing)"
        )
    return values


def annuity_factor(apr: Any, term_months: Any) -> np.ndarray:
    """Monthly payment per dollar borrowed, for a fully amortising loan.

    ``r / (1 - (1 + r) ** -n)`` with monthly rate ``r = apr / 1200`` and ``n`` monthly
    payments; ``1 / n`` at a zero rate.

    Parameters
    ----------
    apr : float or array-like
        Annual percentage rate in percent (12.0 means 12 %), non-negative; NaN gives NaN.
    term_months : int or array-like
        Number of monthly payments, positive; broadcast against ``apr``.

    Returns
    -------
    numpy.ndarray
        The payment per dollar, shaped as ``apr`` and ``term_months`` broadcast together.

    Examples
    --------
    >>> round(float(annuity_factor(12.0, 36)), 6)
    0.033214
    >>> float(annuity_factor(0.0, 40))
    0.025
    """
    r = _values(apr, "apr") / 1200.0
    n = _values(term_months, "term_months", positive=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        # r == 0 (not r > 0): a missing rate must stay missing, not become an interest-free loan
        return np.where(r == 0, 1.0 / n, r / (1.0 - (1.0 + r) ** -n))


def loan_to_income(loan_amount: Any, annual_income: Any) -> np.ndarray:
    """Requested loan amount over stated annual income.

    Examples
    --------
    >>> loan_to_income([12_000.0, 5_000.0], [60_000.0, 50_000.0]).tolist()
    [0.2, 0.1]
    """
    loan = _values(loan_amount, "loan_amount")
    income = _values(annual_income, "annual_income", positive=True)
    return loan / income


def payment_to_income(
    loan_amount: Any, annual_income: Any, apr: Any, term_months: Any
) -> np.ndarray:
    """Monthly instalment (:func:`annuity_factor` at ``apr`` over ``term_months``) over monthly
    stated income.

    The challenger uses the quoted ``interest_rate``; the world's payment-shock truth term uses
    an APR that falls with the score.

    Examples
    --------
    >>> round(float(payment_to_income(12_000.0, 60_000.0, 12.0, 36)), 4)
    0.0797
    """
    loan = _values(loan_amount, "loan_amount")
    income = _values(annual_income, "annual_income", positive=True)
    return loan * annuity_factor(apr, term_months) / (income / 12.0)


def verified_to_stated(verified_income: Any, annual_income: Any) -> np.ndarray:
    """Verified over stated annual income; NaN where income was not verified.

    Below 1 the applicant overstated. NaN is kept (not filled with 1.0): "not verified" is
    information a model should be able to see, not "nothing contradicts the applicant".

    Examples
    --------
    >>> verified_to_stated([57_000.0, float("nan")], [60_000.0, 60_000.0]).tolist()
    [0.95, nan]
    """
    verified = _values(verified_income, "verified_income")
    income = _values(annual_income, "annual_income", positive=True)
    return verified / income


_FUNCTIONS = {
    "loan_to_income": loan_to_income,
    "payment_to_income": payment_to_income,
    "verified_to_stated": verified_to_stated,
}


def add_derived_features(frame: pd.DataFrame, names: Sequence[str] | None = None) -> pd.DataFrame:
    """Return ``frame`` with the derived columns it lacks (the input is not modified).

    Parameters
    ----------
    frame : pandas.DataFrame
        Applications, e.g. from :func:`lendlab.world.generate`, holding the raw columns of
        :data:`DERIVED_FEATURES` for the features wanted.
    names : sequence of str, optional
        Columns wanted; those that are not derived features are ignored (so a model can pass
        its whole feature list). Default: every derived feature. A derived column already in
        ``frame`` is kept as it is.

    Returns
    -------
    pandas.DataFrame
        ``frame`` itself when nothing is added, else a copy with the new columns at the end.

    Raises
    ------
    TypeError
        ``frame`` is not a DataFrame, ``names`` is a single string, or a raw column is not
        numeric.
    ValueError
        A raw column is missing, ``annual_income`` is not positive, or a value is infinite.

    Examples
    --------
    >>> from lendlab import world
    >>> book = world.generate(1_000, seed=1)
    >>> out = add_derived_features(book, ["fico", "loan_to_income"])
    >>> [c for c in out.columns if c not in book.columns]
    ['loan_to_income']
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            "add_derived_features: the frame must be a pandas DataFrame of applications, got "
            f"{type(frame).__name__}; pass e.g. world.generate(1_000)"
        )
    if names is None:
        names = tuple(DERIVED_FEATURES)
    elif isinstance(names, str) or not isinstance(names, Sequence):
        raise TypeError(f"names must be a list of column names, got {names!r}")
    wanted = [n for n in DERIVED_FEATURES if n in names and n not in frame.columns]
    if not wanted:
        return frame
    missing = sorted({c for n in wanted for c in DERIVED_FEATURES[n]} - set(frame.columns))
    if missing:
        raise ValueError(
            f"derived features {wanted} need column(s) {missing}; pass the application "
            "frame from lendlab.world.generate or add them"
        )
    out = frame.copy()
    for name in wanted:
        out[name] = _FUNCTIONS[name](*(frame[c] for c in DERIVED_FEATURES[name]))
    return out
