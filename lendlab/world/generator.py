"""The synthetic lending world: applications, bureau and income data, true risk, late outcomes.

One row per application for an unsecured personal-loan platform shaped like LendingClub
2007-2018 (see ``shared/research/lending-world.md`` and ``datasets/DATA_CARD.md``). Every
applicant carries the truth (``pd_true``, ``defaulted``, ``months_to_default`` and the months it
went 30/60/90 days past due); the lender only
ever sees :func:`observed`, which keeps approved loans and labels that have matured.

The generator is a single vectorised pass: a Gaussian copula ties the bureau and income
attributes together, marginals come from the research table, and the lifetime probability of
default follows a documented logit (:data:`PD_MODEL`). Values are rounded as they are made, so
the same seed gives the same bytes on any machine.

Example
-------
>>> from lendlab import world
>>> book = world.generate(1_000, seed=1)
>>> len(book), book["application_id"].is_unique
(1000, True)
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special, stats

from lendlab.world import features as derived
from lendlab.world.delinquency import PATH_COLUMNS, delinquency_as_of, delinquency_paths
from lendlab.world.schema import (
    CATEGORICAL_FEATURES,
    CATEGORIES,
    FEATURES,
    POLICY,
    TRUTH_COLUMNS,
    passes_knockout,
)

__all__ = [
    "FEATURES",
    "CATEGORICAL_FEATURES",
    "TRUTH_COLUMNS",
    "PD_MODEL",
    "POLICY",
    "generate",
    "observed",
]

#: logit(PD) = intercept + sum(coef * term). Score slope: odds double about every 45 points
#: (Fed 2007 Report to Congress on Credit Scoring); DTI: default roughly doubles from the lowest
#: to the highest band; the rest are assumptions. ``extra`` terms are the world's own additions
#: (documented in the data card) that give the bureau fields a role beyond the research formula.
PD_MODEL = {
    "intercept": -2.2,
    "fico_per_point": -0.016,  # (fico - 700)
    "dti_per_point": 0.030,  # (dti - 18)
    "term_60": 0.50,
    "extra_term_60": 0.40,  # the formula alone gives 60-month loans ~1.5x, not ~2x, the bad rate
    "inquiry": 0.10,  # per inquiry in 6 months
    "util_per_10pts": 0.05,  # (revol_util - 50) / 10
    "loan_to_income": 1.0,  # (loan / income - 0.2)
    "emp_year": -0.02,  # (emp_length_years - 6); unknown counts as 6
    "extra_delinquency": 0.10,  # per delinquency in 2 years
    "extra_returning": -0.25,  # returning customer, known payer
    "extra_unknown_employment": 0.15,
    # Non-additive risk a linear scorecard cannot fully see (a tree model can): payment shock
    # above 8% of monthly income, credit hunger (inquiries while near the limit), thin files
    # with short employment.
    "extra_payment_shock": 6.0,  # per unit of (payment-to-income - 0.08), when positive
    "extra_credit_hunger": 0.3,  # per inquiry when revol_util > 70
    "extra_stretched": 0.5,  # score below 690 and DTI above 25
    "extra_thin_new_job": 0.6,  # open_accounts <= 4 and employed < 2 years
    # Data the champion scorecard does not use but a challenger can: acquisition channel and
    # the gap between stated and verified income (NaN compares False: unverified adds nothing).
    "extra_channel_broker": 0.35,
    "extra_channel_partner": 0.15,
    "extra_income_overstated": 0.6,  # verified income more than 15% below stated
    "frailty_sd": 0.8,  # unobserved heterogeneity: no model sees it
}

# Seasoning: cumulative bad rate by month on book (LendingClub vintages, research file §2),
# expressed as the share of eventual bads seen by that month.
_SEASONING_MONTHS = np.array([4.0, 5, 12, 24, 36, 60])
_SEASONING_CUM = np.array([0.0, 2.5, 7.3, 13.4, 16.5, 17.3]) / 17.3

_CHANNEL_MIX = (0.45, 0.25, 0.20, 0.10)
_REGION_MIX = (0.18, 0.21, 0.38, 0.23)
# Grade mix among policy-approved loans (LendingClub 2007-2018) and the rate card by grade.
_GRADE_MIX = (0.175, 0.292, 0.284, 0.149, 0.070, 0.024, 0.007)
_GRADE_RATE = (7.0, 10.5, 14.0, 18.0, 22.0, 26.0, 29.0)
# Employment length 0..10 (10 = "10+ years"): mean about 6, as in LendingClub's data.
_EMP_MIX = (0.08, 0.07, 0.09, 0.08, 0.06, 0.06, 0.05, 0.045, 0.045, 0.04, 0.34)

# Copula order: fico, revol_util, inquiries, income, loan, dti.
_CORR = np.array(
    [
        [1.00, -0.45, -0.30, 0.15, 0.00, 0.00],
        [-0.45, 1.00, 0.00, 0.00, 0.00, 0.20],
        [-0.30, 0.00, 1.00, 0.00, 0.00, 0.00],
        [0.15, 0.00, 0.00, 1.00, 0.45, -0.15],
        [0.00, 0.00, 0.00, 0.45, 1.00, 0.00],
        [0.00, 0.20, 0.00, -0.15, 0.00, 1.00],
    ]
)
_CHOL = np.linalg.cholesky(_CORR)

# Lookup tables built once: inverse CDFs that would be slow to evaluate a million times.
# DTI is Beta(2.78, 4.10) x 45 of a copula normal, tabulated over z in [-6, 6].
_Z_LO, _Z_HI = -6.0, 6.0
_DTI_BY_Z = stats.beta.ppf(special.ndtr(np.linspace(_Z_LO, _Z_HI, 8193)), 2.78, 4.10) * 45.0
# Inquiries are Poisson(0.66): a copula normal above the k-th cut means more than k inquiries.
_INQ_CUTS = special.ndtri(np.clip(stats.poisson.cdf(np.arange(0, 30), 0.66), 0, 1 - 1e-16))

# The world's APR by score for the payment-shock term (6%-30%), indexed by fico - 300.
_APR = np.clip(30.0 - 0.08 * (np.arange(300, 851) - 600.0), 6.0, 30.0)
_CHANNEL_CODE = {name: code for code, name in enumerate(CATEGORIES["channel"])}

_GRADE_NOISE = 0.5  # how blurred the incumbent pricing model's view of risk is
# Above the 90th percentile of the approved book's visible risk the incumbent's view flattens
# to a quarter of the slope (a scorecard's extreme bins are open-ended). Without it the 0.7%
# of G loans sit where payment shock and thin files pile up and ~68% of them go bad (LC ~50%).
_GRADE_KNEE = (0.90, 0.25)


# pandas nanosecond timestamps cover 1677-09-21 .. 2262-04-11: every application day must fit.
_FIRST_DAY = pd.Timestamp("1677-09-22", tz="UTC")
_END_DAY = pd.Timestamp("2262-04-11", tz="UTC")  # exclusive: the last day must end before it


def _whole(value: object, name: str, *, minimum: int, what: str) -> int:
    """A whole number >= ``minimum``: TypeError for another type, ValueError below it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(
            f"{name} must be {what} (an int), got {type(value).__name__} {value!r}; "
            f"e.g. {name}=int({value!r}) if it is a whole number"
        )
    if value < minimum:
        raise ValueError(f"{name} must be {what} (>= {minimum}), got {value!r}")
    return int(value)


def _utc_timestamp(value: object, name: str, example: str) -> pd.Timestamp:
    """A date or time as a UTC Timestamp: TypeError for a non-date, ValueError for a bad one."""
    if not isinstance(value, (str, dt.date, np.datetime64)):  # pd.Timestamp is a datetime
        raise TypeError(
            f"{name} must be a date such as {example!r} (str, datetime or Timestamp), got "
            f"{type(value).__name__} {value!r}"
        )
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValueError(f"{name} must be a date such as {example!r}, got {value!r}") from exc
    if pd.isna(ts):
        raise ValueError(f"{name} must be a date such as {example!r}, got a missing date {value!r}")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _daily_weights(start: pd.Timestamp, days: int) -> np.ndarray:
    """Relative application volume per day: weekday pattern, tax season, holidays, growth."""
    dates = pd.date_range(start, periods=days, freq="D")
    weekday = np.array([1.12, 1.10, 1.06, 1.04, 0.98, 0.82, 0.78])[dates.dayofweek]
    month = dates.month.to_numpy()
    season = np.where((month >= 2) & (month <= 4), 1.06, 1.0)  # tax refunds, spring spending
    season = np.where(month == 12, 0.92, season) * np.where(month == 1, 1.08, 1.0)
    growth = 1.0 + 0.10 * np.arange(days) / 365.0
    return weekday * season * growth


def _timestamps(rng: np.random.Generator, n: int, start: pd.Timestamp, days: int) -> np.ndarray:
    """Sorted application times in UTC seconds since the epoch (daytime-heavy)."""
    weights = _daily_weights(start, days)
    per_day = rng.multinomial(n, weights / weights.sum())
    day = np.repeat(np.arange(days, dtype=np.int64), per_day)
    # Arrivals peak mid-day: a triangular curve over the day (kept simple, in UTC).
    second = ((rng.random(n) + rng.random(n)) * 43_199.5).astype(np.int64)
    base = start.value // 1_000_000_000
    return np.sort(base + day * 86_400 + second)


def _pick(values: np.ndarray, mix: Sequence[float], *, normal: bool = False) -> np.ndarray:
    """Map uniforms (or standard normals) to category codes with the given mix.

    A few comparisons against the cumulative mix beat ``searchsorted`` for short mixes.
    """
    cuts = np.cumsum(mix)[:-1]
    if normal:
        cuts = special.ndtri(cuts)
    codes = np.zeros(values.shape, dtype=np.int8)
    for cut in cuts:
        codes += values >= cut
    return codes


def generate(
    n: int,
    *,
    seed: int = 0,
    start: str | pd.Timestamp = "2025-01-01",
    days: int = 365,
    protected_share: float = 0.30,
) -> pd.DataFrame:
    """Generate ``n`` loan applications with their true risk and lifetime outcome.

    Parameters
    ----------
    n : int
        Number of applications (a positive whole number).
    seed : int, default 0
        Seed for :func:`numpy.random.default_rng`. The same seed gives the same bytes.
    start : str, datetime or Timestamp, default "2025-01-01"
        First application day (UTC; a time of day is dropped).
    days : int, default 365
        Length of the application window in days. The window must end by 2262-04-10, the
        last whole day pandas' nanosecond timestamps can hold.
    protected_share : float, default 0.30
        Share of applicants in the synthetic protected group (fair-lending labs), in (0, 1).

    Returns
    -------
    pandas.DataFrame
        One row per application, sorted by ``applied_at``; its columns, dtypes and meanings
        are :data:`lendlab.world.schema.COLUMNS`.

    Raises
    ------
    TypeError
        An argument has the wrong type (``n="10"``, ``seed=1.5``, ``start=5``) or is unknown.
    ValueError
        An argument has a bad value (``n=0``, ``seed=-1``, ``protected_share=1.5``, a start
        that is not a date, or a window past 2262-04-10).

    Examples
    --------
    >>> book = generate(10_000, seed=3)
    >>> round(float(book.loc[book["approved_policy"], "defaulted"].mean()), 1)
    0.2
    """
    n = _whole(n, "n", minimum=1, what="a positive whole number of applications")
    seed = _whole(seed, "seed", minimum=0, what="a non-negative integer")
    days = _whole(days, "days", minimum=1, what="a positive whole number of days")
    if isinstance(protected_share, bool) or not isinstance(
        protected_share, (int, float, np.integer, np.floating)
    ):
        raise TypeError(
            f"protected_share must be a number between 0 and 1, got "
            f"{type(protected_share).__name__} {protected_share!r}"
        )
    if not 0.0 < float(protected_share) < 1.0:  # NaN fails too
        raise ValueError(
            f"protected_share must be strictly between 0 and 1, got {protected_share!r}; e.g. 0.30"
        )
    start_ts = _utc_timestamp(start, "start", "2025-01-01").normalize()
    if start_ts < _FIRST_DAY or (_END_DAY - start_ts).days < days:
        last = (_END_DAY - pd.Timedelta(days=1)).date()
        raise ValueError(
            f"start={start!r} with days={days} does not fit pandas' timestamp range: "
            f"applications must fall between {_FIRST_DAY.date()} and {last} (nanosecond "
            "timestamps end 2262-04-11); use an earlier start or fewer days"
        )

    rng = np.random.default_rng(seed)
    applied = _timestamps(rng, n, start_ts, int(days))

    # Synthetic protected group: somewhat lower scores and incomes on average, so any disparity
    # reaches decisions only through the features (as it does in real lending data).
    protected = rng.random(n) < protected_share
    e = rng.standard_normal((6, n))
    # Copula rows written out (L is lower-triangular): 3x faster than a (n, 6) matmul here.
    z = [sum(_CHOL[i, j] * e[j] for j in range(i + 1) if _CHOL[i, j] != 0.0) for i in range(6)]
    z_fico = z[0] - 0.15 * protected
    z_util, z_inq, z_loan, z_dti = z[1], z[2], z[4], z[5]
    z_income = z[3] - 0.15 * protected

    fico = np.clip(np.rint(640.0 + 60.0 * z_fico), 300, 850).astype(np.int64)
    revol_util = np.round(np.clip(52.0 + 24.0 * z_util, 0.0, 120.0), 1)
    inquiries = np.searchsorted(_INQ_CUTS, z_inq, side="right").astype(np.int64)
    income = np.round(np.exp(11.08 + 0.55 * z_income), -2)
    loan = np.clip(np.round(np.exp(math.log(12_000) + 0.6 * z_loan) / 25.0) * 25.0, 500.0, 40_000.0)
    dti = np.round(_lookup((z_dti - _Z_LO) / (_Z_HI - _Z_LO), _DTI_BY_Z), 2)
    term_60 = rng.random(n) < special.expit(-1.42 + 0.9 * z_loan)
    term = np.where(term_60, 60, 36)

    emp = _pick(rng.random(n), _EMP_MIX).astype(np.float64)
    emp_unknown = rng.random(n) < 0.06
    emp[emp_unknown] = np.nan
    delinq = np.zeros(n, dtype=np.int64)
    has_delinq = rng.random(n) < special.expit(-1.75 - 0.8 * z_fico)
    delinq[has_delinq] = 1 + rng.poisson(0.7, int(has_delinq.sum()))
    noise = rng.standard_normal((5, n))
    open_accounts = np.clip(np.rint(10.8 * np.exp(0.45 * noise[0])), 1, 60).astype(np.int64)
    # Homeowners earn more: mortgage at the top of a noisy income ranking, renters in the middle.
    home = _pick(0.8 * z_income + 0.6 * noise[1], (0.11, 0.40, 0.49), normal=True)
    home = np.array([2, 1, 0], dtype=np.int8)[home]
    channel = _pick(rng.random(n), _CHANNEL_MIX)
    region = _pick(rng.random(n), _REGION_MIX)
    returning = rng.random(n) < 0.12
    segment = np.where(
        returning, 3, np.where(open_accounts <= 6, 2, np.where(fico >= 680, 0, 1))
    ).astype(np.int8)

    # Income verification: bigger loans get verified more often; stated income runs ~5% high.
    # 0.5^2 + 0.85^2 ~ 1: the mixing stays a standard normal, so normal cuts give the mix.
    verification = _pick(0.5 * z_loan + 0.85 * noise[2], (0.32, 0.38, 0.30), normal=True)
    verification = np.array([2, 1, 0], dtype=np.int8)[verification]
    verified_income = np.round(income * np.exp(-0.05 + 0.10 * noise[3]), -2)
    verified_income[verification == 2] = np.nan

    m = PD_MODEL
    logit = (
        m["intercept"]
        + m["fico_per_point"] * (fico - 700.0)
        + m["dti_per_point"] * (dti - 18.0)
        + (m["term_60"] + m["extra_term_60"]) * term_60
        + m["inquiry"] * inquiries
        + m["util_per_10pts"] * (revol_util - 50.0) / 10.0
        + m["loan_to_income"] * (derived.loan_to_income(loan, income) - 0.2)
        + m["emp_year"] * (np.where(emp_unknown, 6.0, emp) - 6.0)
        + m["extra_delinquency"] * delinq
        + m["extra_returning"] * returning
        + m["extra_unknown_employment"] * emp_unknown
        + m["extra_payment_shock"]
        * np.clip(derived.payment_to_income(loan, income, _APR[fico - 300], term) - 0.08, 0.0, 0.12)
        * (fico < 700)
        + m["extra_credit_hunger"] * inquiries * (revol_util > 70.0)
        + m["extra_stretched"] * ((fico < 690) & (dti > 25.0))
        + m["extra_thin_new_job"] * ((open_accounts <= 4) & (np.nan_to_num(emp, nan=6.0) < 2))
        + m["extra_channel_broker"] * (channel == _CHANNEL_CODE["broker"])
        + m["extra_channel_partner"] * (channel == _CHANNEL_CODE["partner_api"])
        + m["extra_income_overstated"]
        * (derived.verified_to_stated(verified_income, income) < 0.85)
    )
    visible = logit  # what a model of the application data could know
    logit = visible + m["frailty_sd"] * noise[4]
    pd_true = np.round(special.expit(logit), 6)
    defaulted = (rng.random(n) < pd_true).astype(np.int8)
    months_to_default = _months_to_default(rng, term, defaulted)

    approved = passes_knockout(pd.DataFrame({"fico": fico, "dti": dti, "inquiries_6m": inquiries}))
    # Pricing grade from the incumbent model: a noisy view of the risk visible in the
    # application (never the frailty), cut so the approved book has LendingClub's grade mix.
    noise = rng.standard_normal((3, n))
    knee = np.quantile(visible[approved] if approved.any() else visible, _GRADE_KNEE[0])
    priced = np.where(visible > knee, knee + _GRADE_KNEE[1] * (visible - knee), visible)
    risk_view = priced + _GRADE_NOISE * noise[0]
    basis = risk_view[approved] if approved.any() else risk_view
    grade = np.zeros(n, dtype=np.int8)
    mix = np.asarray(_GRADE_MIX) / np.sum(_GRADE_MIX)  # the published mix sums to 100.1%
    for cut in np.quantile(basis, np.cumsum(mix)[:-1]):
        grade += risk_view > cut
    rate = np.round(np.asarray(_GRADE_RATE)[grade] + 0.8 * noise[1], 2)
    proxy = np.round(special.expit(-1.9 + 2.8 * protected + 0.9 * noise[2]), 4)
    # Missed payments before charge-off (lendlab.world.delinquency), drawn after every other
    # column so that those keep their values.
    paths = delinquency_paths(
        rng, months_to_default, term, pd_true, seasoning=(_SEASONING_MONTHS, _SEASONING_CUM)
    )

    def cat(codes: np.ndarray, labels: Sequence[str], ordered: bool = False) -> pd.Categorical:
        return pd.Categorical.from_codes(codes, categories=list(labels), ordered=ordered)

    columns = {
        "application_id": np.arange(1, n + 1, dtype=np.int64),
        "applied_at": pd.DatetimeIndex((applied * 1_000_000_000).view("M8[ns]")).tz_localize("UTC"),
        "channel": cat(channel, CATEGORIES["channel"]),
        "region": cat(region, CATEGORIES["region"]),
        "segment": cat(segment, CATEGORIES["segment"]),
        "fico": fico,
        "annual_income": income,
        "income_verification": cat(verification, CATEGORIES["income_verification"]),
        "verified_income": verified_income,
        "dti": dti,
        "loan_amount": loan,
        "term_months": term,
        "grade": cat(grade, CATEGORIES["grade"], ordered=True),
        "interest_rate": rate,
        "inquiries_6m": inquiries,
        "revol_util": revol_util,
        "emp_length_years": emp,
        "delinq_2y": delinq,
        "open_accounts": open_accounts,
        "home_ownership": cat(home, CATEGORIES["home_ownership"]),
        "protected_group": cat(protected.astype(np.int8), CATEGORIES["protected_group"]),
        "protected_proxy": proxy,
        "approved_policy": approved,
        "pd_true": pd_true,
        "defaulted": defaulted,
        "months_to_default": months_to_default,
        **{name: paths[name] for name in PATH_COLUMNS},
    }
    # copy=False: the arrays are ours alone, and copying/consolidating them costs ~0.6 s at 1M rows.
    frame = pd.DataFrame(columns, copy=False)
    return frame


def _months_to_default(
    rng: np.random.Generator, term: np.ndarray, defaulted: np.ndarray
) -> np.ndarray:
    """Month on book of default from the seasoning curve; NaN for loans that never default.

    A 36-month loan defaults within its term, so its timing is the seasoning curve cut at 36.
    """
    bad = np.flatnonzero(defaulted)
    bad_term = term[bad]
    cap = np.where(bad_term == 36, np.interp(36.0, _SEASONING_MONTHS, _SEASONING_CUM), 1.0)
    month = np.ceil(np.interp(rng.random(bad.size) * cap, _SEASONING_CUM, _SEASONING_MONTHS))
    out = np.full(term.shape, np.nan)
    out[bad] = np.clip(month, 5.0, bad_term)
    return out


def _lookup(u: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Linear interpolation in a table tabulated on an even grid of [0, 1] (fast np.interp)."""
    pos = np.clip(u, 0.0, 1.0) * (table.size - 1)
    left = np.minimum(pos.astype(np.int64), table.size - 2)
    frac = pos - left
    return table[left] + frac * (table[left + 1] - table[left])


def _require(frame: pd.DataFrame, columns: Sequence[str], where: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{where} needs a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{where}: missing column(s) {missing}; pass a frame from lendlab.world.generate "
            "or add them"
        )
    if frame.empty:
        raise ValueError(f"{where}: the frame is empty; generate or load some applications first")


def observed(
    book: pd.DataFrame,
    as_of: str | pd.Timestamp,
    *,
    approved: str | pd.Series = "approved_policy",
    window_months: int | None = None,
) -> pd.DataFrame:
    """The lender's view of outcomes as of a date: approved loans and matured labels only.

    Parameters
    ----------
    book : DataFrame
        Output of :func:`generate` (it must still hold the truth columns).
    as_of : str or Timestamp
        The date the lender looks (UTC). Loans booked after it are not in the view.
    approved : str or boolean Series, default "approved_policy"
        Which applications were booked: a boolean column name or a mask aligned to ``book``.
    window_months : int, optional
        A performance window: keep loans with at least this many months on book and add
        ``bad_in_window`` (default seen within the window).

    Returns
    -------
    DataFrame
        Booked loans with ``months_on_book`` and ``bad_so_far``; when ``book`` holds the
        delinquency paths (as :func:`generate` makes them), also ``dpd_status`` (current,
        dpd30, dpd60, dpd90plus or charged_off at the loan's months on book) and
        ``ever_dpd30_so_far``, ``ever_dpd60_so_far``, ``ever_dpd90_so_far``
        (see :mod:`lendlab.world.delinquency`). The truth columns (:data:`TRUTH_COLUMNS`:
        ``pd_true``, ``defaulted``, ``months_to_default``, the delinquency paths,
        ``protected_group``) are removed.

    Raises
    ------
    TypeError
        ``book`` is not a DataFrame, ``as_of`` is not a date, ``approved`` is neither a column
        name nor a boolean Series, or ``window_months`` is not an int.
    ValueError
        A needed column is missing, ``book`` is empty, ``as_of`` does not parse, ``approved``
        is not aligned to ``book`` or has missing values, or ``window_months`` < 1.

    Examples
    --------
    >>> book = generate(20_000, seed=4, start="2024-01-01", days=365)
    >>> view = observed(book, "2025-01-01")
    >>> "pd_true" in view.columns, bool(view["bad_so_far"].mean() < book["defaulted"].mean())
    (False, True)
    """
    _require(book, ("applied_at", "defaulted", "months_to_default"), "observed")
    if not isinstance(book["applied_at"].dtype, pd.DatetimeTZDtype):
        raise TypeError(
            f"observed: applied_at must be UTC timestamps, got dtype {book['applied_at'].dtype}; "
            "convert with pandas.to_datetime(book['applied_at'], utc=True)"
        )
    as_of_ts = _utc_timestamp(as_of, "as_of", "2026-01-01")
    if window_months is not None:
        window_months = _whole(
            window_months, "window_months", minimum=1, what="a positive whole number of months"
        )
    if isinstance(approved, str):
        _require(book, (approved,), "observed")
        mask = book[approved]
    elif isinstance(approved, pd.Series):
        mask = approved
        if not mask.index.equals(book.index):
            raise ValueError(
                "approved must be aligned to book (the same index); build it from book's rows, "
                "e.g. approved=book['fico'] >= 700"
            )
    else:
        raise TypeError(
            "approved must be a boolean column name or a boolean Series aligned to book, got "
            f"{type(approved).__name__}"
        )
    if not pd.api.types.is_bool_dtype(mask.dtype):
        raise TypeError(
            f"approved must be boolean (True = booked), got dtype {mask.dtype}; e.g. "
            "approved=book['fico'] >= 700"
        )
    if mask.isna().any():
        raise ValueError(
            f"approved has {int(mask.isna().sum())} missing value(s); decide every application "
            "(fillna(False) if undecided means declined)"
        )
    booked = mask.to_numpy(dtype=bool) & (book["applied_at"] <= as_of_ts).to_numpy()
    view = book.loc[booked].copy()
    elapsed_days = (as_of_ts - view["applied_at"]).dt.days.to_numpy()
    mob = np.floor(elapsed_days / 30.4375).astype(np.int64)
    view["months_on_book"] = mob
    seen = view["months_to_default"].to_numpy() <= mob  # NaN compares False: never defaulted
    view["bad_so_far"] = seen.astype(np.int8)
    if all(c in view.columns for c in PATH_COLUMNS):  # a tape without the paths skips these
        for name, values in delinquency_as_of(view, mob).items():
            view[name] = values
    if window_months is not None:
        view = view.loc[view["months_on_book"] >= window_months].copy()
        view["bad_in_window"] = (view["months_to_default"].to_numpy() <= window_months).astype(
            np.int8
        )
    return view.drop(columns=[c for c in TRUTH_COLUMNS if c in view.columns])
