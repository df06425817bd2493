"""Engineered features a challenger adds on top of the raw application fields.

Example
-------
>>> import pandas as pd
>>> app = pd.DataFrame({"loan_amount": [12_000.0], "annual_income": [60_000.0],
...                     "interest_rate": [12.0], "term_months": [36],
...                     "verified_income": [float("nan")]})
>>> round(float(add_engineered_features(app)["payment_to_income"].iloc[0]), 4)
0.0797
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ENGINEERED", "CHALLENGER_FEATURES", "add_engineered_features"]

#: Engineered column -> the raw columns it is computed from.
ENGINEERED: dict[str, tuple[str, ...]] = {
    "loan_to_income": ("loan_amount", "annual_income"),
    "payment_to_income": ("loan_amount", "annual_income", "interest_rate", "term_months"),
    "verified_income_ratio": ("verified_income", "annual_income"),
}


def _challenger_features() -> tuple[str, ...]:
    from lendlab import world

    return (*world.FEATURES, "channel", *ENGINEERED)


#: What the challenger uses by default: the champion's features, the acquisition channel and
#: the engineered affordability and income-verification features.
CHALLENGER_FEATURES: tuple[str, ...] = _challenger_features()


def add_engineered_features(
    frame: pd.DataFrame, names: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Return ``frame`` with the engineered columns it lacks (the input is not modified).

    ``payment_to_income`` is the monthly instalment at the quoted rate over monthly income;
    ``verified_income_ratio`` is verified over stated income, 1.0 when income was not verified
    (nothing contradicts the applicant).
    """
    wanted = [n for n in (names or ENGINEERED) if n in ENGINEERED and n not in frame.columns]
    if not wanted:
        return frame
    missing = sorted({c for n in wanted for c in ENGINEERED[n]} - set(frame.columns))
    if missing:
        raise ValueError(
            f"engineered features {wanted} need column(s) {missing}; pass the application "
            "frame from lendlab.world.generate"
        )
    out = frame.copy()
    income = out["annual_income"].to_numpy(dtype=float)
    if np.any(income <= 0):
        raise ValueError("annual_income must be positive to compute engineered features")
    if "loan_to_income" in wanted:
        out["loan_to_income"] = out["loan_amount"].to_numpy(dtype=float) / income
    if "payment_to_income" in wanted:
        r = out["interest_rate"].to_numpy(dtype=float) / 1200.0
        n = out["term_months"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(r > 0, r / (1.0 - (1.0 + r) ** -n), 1.0 / n)
        out["payment_to_income"] = (
            out["loan_amount"].to_numpy(dtype=float) * factor / (income / 12.0)
        )
    if "verified_income_ratio" in wanted:
        ratio = out["verified_income"].to_numpy(dtype=float) / income
        out["verified_income_ratio"] = np.where(np.isnan(ratio), 1.0, ratio)
    return out
