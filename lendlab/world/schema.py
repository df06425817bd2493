"""The schema of the synthetic lending world: columns, categories, feature lists and the policy.

Every domain fact that more than one module needs is defined here, once: the generator makes
data to this schema, the fault catalogue, the batch pipeline, the models and the course read it.

* :data:`COLUMNS` - every column :func:`lendlab.world.generate` produces, its dtype and meaning.
* :data:`CATEGORIES` - the levels of each categorical column, in code order.
* :data:`FEATURES`, :data:`CATEGORICAL_FEATURES` - model inputs known at application time.
* :data:`TRUTH_COLUMNS` - what only the world knows (never in the lender's view).
* :data:`BUREAU_FIELDS` - what a credit-bureau pull returns.
* :data:`MONITORED_FEATURES` - what a drift dashboard watches on the application stream.
* :data:`POLICY`, :data:`KNOCKOUT_RULES`, :func:`passes_knockout` - the incumbent rules policy.

Example
-------
>>> from lendlab.world import schema
>>> schema.CATEGORIES["channel"]
('web', 'mobile', 'partner_api', 'broker')
>>> set(schema.FEATURES) <= set(schema.COLUMNS)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "ColumnSpec",
    "COLUMNS",
    "CATEGORIES",
    "FEATURES",
    "CATEGORICAL_FEATURES",
    "TRUTH_COLUMNS",
    "BUREAU_FIELDS",
    "MONITORED_FEATURES",
    "POLICY",
    "KNOCKOUT_RULES",
    "passes_knockout",
]


@dataclass(frozen=True)
class ColumnSpec:
    """One column of the world: its pandas dtype (as ``str(series.dtype)``) and its meaning."""

    dtype: str
    meaning: str


#: Every column the generator produces, in output order, with its dtype and a one-line meaning
#: (the data card renders its column table from this).
COLUMNS: dict[str, ColumnSpec] = {
    "application_id": ColumnSpec("int64", "unique id, increasing with time"),
    "applied_at": ColumnSpec("datetime64[ns, UTC]", "application time, UTC"),
    "channel": ColumnSpec("category", "web / mobile / partner_api / broker"),
    "region": ColumnSpec("category", "US census region"),
    "segment": ColumnSpec(
        "category",
        "risk segment: returning customer, thin file (<= 6 accounts), prime (fico >= 680), "
        "near prime",
    ),
    "fico": ColumnSpec("int64", "bureau credit score, 300-850"),
    "annual_income": ColumnSpec("float64", "stated annual income, dollars"),
    "income_verification": ColumnSpec("category", "verified / source_verified / not_verified"),
    "verified_income": ColumnSpec(
        "float64", "income found by verification (NaN when not verified)"
    ),
    "dti": ColumnSpec("float64", "debt-to-income, % excluding mortgage"),
    "loan_amount": ColumnSpec("float64", "requested amount, dollars (multiples of 25)"),
    "term_months": ColumnSpec("int64", "36 or 60"),
    "grade": ColumnSpec(
        "category", "pricing grade A-G from the incumbent model (not a model input)"
    ),
    "interest_rate": ColumnSpec("float64", "APR %, by grade"),
    "inquiries_6m": ColumnSpec("int64", "credit inquiries in the last 6 months"),
    "revol_util": ColumnSpec("float64", "revolving utilisation %"),
    "emp_length_years": ColumnSpec("float64", "years employed 0-10 (10 = 10+); NaN = unknown"),
    "delinq_2y": ColumnSpec("int64", "delinquencies in the last 2 years"),
    "open_accounts": ColumnSpec("int64", "open credit lines"),
    "home_ownership": ColumnSpec("category", "mortgage / rent / own"),
    "protected_group": ColumnSpec(
        "category", "TRUTH: synthetic protected class (fair-lending labs only)"
    ),
    "protected_proxy": ColumnSpec(
        "float64", "BISG-like probability of membership in the protected group"
    ),
    "approved_policy": ColumnSpec(
        "bool", "decision of the incumbent rules policy (fico >= 660, dti <= 40, inq <= 6)"
    ),
    "pd_true": ColumnSpec("float64", "TRUTH: lifetime probability of default"),
    "defaulted": ColumnSpec("int8", "TRUTH: lifetime outcome, 1 = charged off"),
    "months_to_default": ColumnSpec("float64", "TRUTH: month on book of default (NaN if none)"),
    "months_to_dpd30": ColumnSpec("float64", "TRUTH: first month 30+ days past due (NaN: never)"),
    "months_to_dpd60": ColumnSpec("float64", "TRUTH: first month 60+ days past due (NaN: never)"),
    "months_to_dpd90": ColumnSpec("float64", "TRUTH: first month 90+ days past due (NaN: never)"),
    "months_to_cure": ColumnSpec("float64", "TRUTH: month a cured delinquency was current again"),
}

#: Levels of each categorical column, in the order of the generator's codes.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "channel": ("web", "mobile", "partner_api", "broker"),
    "region": ("northeast", "midwest", "south", "west"),
    "segment": ("prime", "near_prime", "thin_file", "returning"),
    "home_ownership": ("mortgage", "rent", "own"),
    "income_verification": ("verified", "source_verified", "not_verified"),
    "grade": ("A", "B", "C", "D", "E", "F", "G"),  # ordered: A is the safest
    "protected_group": ("reference", "protected"),
}

#: Model inputs a lender has at application time. ``grade`` and ``interest_rate`` are outputs of
#: the incumbent pricing model, so they are not model inputs here (using them would leak it).
FEATURES: tuple[str, ...] = (
    "fico",
    "annual_income",
    "dti",
    "loan_amount",
    "term_months",
    "inquiries_6m",
    "revol_util",
    "emp_length_years",
    "delinq_2y",
    "open_accounts",
)
CATEGORICAL_FEATURES: tuple[str, ...] = ("home_ownership", "income_verification", "channel")

#: Columns only the world knows. :func:`lendlab.world.observed` never returns them.
TRUTH_COLUMNS: tuple[str, ...] = (
    "pd_true",
    "defaulted",
    "months_to_default",
    "months_to_dpd30",
    "months_to_dpd60",
    "months_to_dpd90",
    "months_to_cure",
    "protected_group",
)

#: Fields a credit-bureau pull returns (the rest of an application is stated by the applicant).
BUREAU_FIELDS: tuple[str, ...] = (
    "fico",
    "inquiries_6m",
    "revol_util",
    "delinq_2y",
    "open_accounts",
)

#: What a drift dashboard on the application stream watches: the model inputs plus the income
#: verification fields (a verification vendor change moves those and nothing else). A monitor
#: of the batch feature table (week 4's game day) adds the columns that table derives.
MONITORED_FEATURES: tuple[str, ...] = (*FEATURES, "income_verification", "verified_income")

#: The incumbent rules policy: LendingClub's published credit criteria (FICO >= 660, at most
#: 6 inquiries in 6 months), with the DTI limit relaxed from 35% to 40%
#: (``shared/research/lending-world.md`` section 1, marked S/A: sourced, then adjusted).
POLICY: dict[str, float] = {"fico_min": 660, "dti_max": 40.0, "inquiries_max": 6}

#: The knock-out rules as (column, comparison, key in :data:`POLICY`): an application passes a
#: rule when ``frame[column] <comparison> POLICY[key]``.
KNOCKOUT_RULES: tuple[tuple[str, str, str], ...] = (
    ("fico", ">=", "fico_min"),
    ("dti", "<=", "dti_max"),
    ("inquiries_6m", "<=", "inquiries_max"),
)


#: numpy dtypes whose values convert to float exactly as the general path converts them.
_PLAIN_NUMERIC = frozenset(
    np.dtype(t) for t in ("float64", "float32", "int64", "int32", "int16", "int8")
)


def _rule_values(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A rule's column as float with NaN for missing; non-numeric and infinite values refused."""
    series = frame[column]
    dtype = series.dtype
    if dtype in _PLAIN_NUMERIC:  # fast path (the service decides one row at a time)
        values = series.to_numpy(dtype=float, copy=True)
        if not np.isinf(values).any():
            return values
    if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        example = series.dropna().iloc[0] if series.notna().any() else None
        raise TypeError(
            f"passes_knockout: column {column!r} must be numeric, got dtype {dtype} "
            f"(e.g. {example!r}); convert it with pandas.to_numeric(frame[{column!r}], "
            "errors='coerce') so unreadable values become missing (and fail the rule)."
        )
    values = series.to_numpy(dtype=float, na_value=np.nan)
    infinite = np.isinf(values)
    if infinite.any():
        rows = list(frame.index[infinite][:3])
        raise ValueError(
            f"passes_knockout: column {column!r} has {int(infinite.sum())} infinite value(s) "
            f"(rows {rows}); a division by zero upstream? Replace them with NaN (missing, "
            "fails the rule) or the real value."
        )
    return values


def passes_knockout(frame: pd.DataFrame, *, by_rule: bool = False) -> np.ndarray:
    """Whether each application passes the knock-out rules of :data:`POLICY`.

    The rules are ``fico >= 660``, ``dti <= 40.0`` and ``inquiries_6m <= 6`` (boundaries pass).
    A missing value fails its rule: the policy cannot show that the application passes it.

    Parameters
    ----------
    frame : pandas.DataFrame
        Applications with numeric ``fico``, ``dti`` and ``inquiries_6m`` columns.
    by_rule : bool, default False
        Return one column per rule of :data:`KNOCKOUT_RULES` instead of their conjunction.

    Returns
    -------
    numpy.ndarray of bool
        Shape ``(len(frame),)``: True where every rule passes; with ``by_rule`` shape
        ``(len(frame), 3)``: True where that rule passes.

    Raises
    ------
    TypeError
        ``frame`` is not a DataFrame, or a rule column is not numeric (or is boolean).
    ValueError
        A rule column is missing, or holds an infinite value.

    Examples
    --------
    >>> import pandas as pd
    >>> apps = pd.DataFrame({"fico": [660, 659, None], "dti": [40.0, 20.0, 10.0],
    ...                      "inquiries_6m": [6, 0, 0]})
    >>> passes_knockout(apps).tolist()
    [True, False, False]
    >>> passes_knockout(apps, by_rule=True)[1].tolist()
    [False, True, True]
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"passes_knockout needs a pandas DataFrame of applications, got "
            f"{type(frame).__name__}; pass e.g. world.generate(1_000)."
        )
    if not isinstance(by_rule, (bool, np.bool_)):
        raise TypeError(f"by_rule must be True or False, got {by_rule!r}")
    needed = [rule[0] for rule in KNOCKOUT_RULES]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(
            f"passes_knockout: missing column(s) {missing}; the knock-out rules need {needed}. "
            "Pass applications from lendlab.world.generate, or add the columns "
            "(a missing value is allowed and fails its rule)."
        )
    passes = np.empty((len(frame), len(KNOCKOUT_RULES)), dtype=bool)
    for j, (column, op, key) in enumerate(KNOCKOUT_RULES):
        values = _rule_values(frame, column)
        threshold = POLICY[key]
        with np.errstate(invalid="ignore"):  # NaN compares False: missing fails
            passes[:, j] = values >= threshold if op == ">=" else values <= threshold
    return passes if by_rule else passes.all(axis=1)
