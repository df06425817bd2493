"""Fault injectors: break a book of applications on purpose and record the truth.

:func:`inject` copies a world frame (see :func:`lendlab.world.generate`), breaks the rows whose
``applied_at`` falls in ``[start, end)`` the way a real incident would, and returns the broken
frame with an :class:`InjectedFault` record: what changed, where, when, how many rows, and the
signature a responder should be able to measure (which signals move, which stay flat). The
signatures follow the incident table in ``shared/research/lending-world.md`` §5.

Conventions for every kind:

* the input frame is never modified; rows outside the window are never changed (a kind may
  add a column, ``bureau_hit`` or ``feature_as_of``, holding the healthy value outside it);
* ``approved_policy`` (the incumbent rules: fico >= 660, dti <= 40, inquiries_6m <= 6) is
  recomputed on the broken inputs, because the lender decided on what it saw;
* the truth (``pd_true``, ``defaulted``, ``months_to_default``) changes only for
  ``concept_shift``: a broken feed changes what the lender sees, not how the borrower behaves;
* ``grade`` and ``interest_rate`` are left as generated (the pricing model is out of scope here).

Example
-------
>>> from lendlab import world
>>> book = world.generate(5_000, seed=1)
>>> broken, inc = inject(book, "bureau_outage", start="2025-06-01", end="2025-07-01", seed=1)
>>> inc.kind, inc.rows_affected > 0, bool((broken["fico"] == 300).sum() > 0)
('bureau_outage', True, True)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from lendlab.world.generator import POLICY

__all__ = ["InjectedFault", "KINDS", "BUREAU_FIELDS", "inject"]

#: Fields a credit-bureau pull returns (the rest of an application is stated by the applicant).
BUREAU_FIELDS: tuple[str, ...] = (
    "fico",
    "inquiries_6m",
    "revol_util",
    "delinq_2y",
    "open_accounts",
)
_INPUTS = (
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
_LABELS = ("pd_true", "defaulted")


@dataclass(frozen=True)
class InjectedFault:
    """The truth about one injected incident.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    start, end : Timestamp
        The window ``[start, end)`` of ``applied_at`` that was touched.
    columns : tuple of str
        Columns whose values were changed (or added).
    segments : tuple of str
        Slices affected, as ``"channel=partner_api"`` / ``"segment=thin_file"``, or ``("all",)``.
    rows_affected : int
        Rows whose values changed (for duplicated keys: rows added).
    description : str
        One paragraph a responder would write in the incident ticket.
    moves, flat : tuple of str
        Signals that should move / stay flat (the research signature table).
    expected : dict of str to str
        Measurable expectations, e.g. ``{"fico PSI": "> 0.25"}``.
    application_ids : tuple of int
        The affected applications (for re-decisioning and re-issued notices).
    """

    kind: str
    start: pd.Timestamp
    end: pd.Timestamp
    columns: tuple[str, ...]
    segments: tuple[str, ...]
    rows_affected: int
    description: str
    moves: tuple[str, ...]
    flat: tuple[str, ...]
    expected: dict[str, str] = field(default_factory=dict)
    application_ids: tuple[int, ...] = field(default=(), repr=False)


@dataclass
class _Effect:
    columns: tuple[str, ...]
    rows: np.ndarray  # positions (in the broken frame) of changed rows
    description: str
    moves: tuple[str, ...]
    flat: tuple[str, ...]
    expected: dict[str, str]
    segments: tuple[str, ...] = ("all",)


# --------------------------------------------------------------------------------------------
# helpers


def _need(df: pd.DataFrame, columns: Sequence[str], kind: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"inject(kind={kind!r}) needs column(s) {missing} in data; pass a frame from "
            "lendlab.world.generate or add them"
        )


def _share_opt(value: Any, name: str, *, allow_zero: bool = False) -> float:
    lo_ok = (lambda v: v >= 0.0) if allow_zero else (lambda v: v > 0.0)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (lo_ok(value) and value <= 1.0)
    ):
        bound = "[0, 1]" if allow_zero else "(0, 1]"
        raise ValueError(f"{name}={value!r} must be a share in {bound}, e.g. 0.3")
    return float(value)


def _slice(
    df: pd.DataFrame, window: np.ndarray, column: str, value: str | None, kind: str
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Narrow the window to rows where ``column == value`` (no narrowing when value is None)."""
    if value is None:
        return window, ("all",)
    _need(df, [column], kind)
    known = {str(v) for v in pd.unique(df[column].dropna())}
    if isinstance(df[column].dtype, pd.CategoricalDtype):
        known |= {str(c) for c in df[column].cat.categories}
    if value not in known:
        raise ValueError(f"{column}={value!r} is not in the data; use one of {sorted(known)}")
    match = (df[column] == value).fillna(False).to_numpy(dtype=bool)
    return window & match, (f"{column}={value}",)


def _policy(df: pd.DataFrame, rows: np.ndarray) -> None:
    """Re-decide ``approved_policy`` for ``rows`` on the (broken) inputs the lender saw."""
    need = ("approved_policy", "fico", "dti", "inquiries_6m")
    if not all(c in df.columns for c in need) or not rows.any():
        return
    sub = df.loc[rows, list(need[1:])]
    # A missing input cannot pass a rule (NaN comparisons are False): the applicant is declined.
    decision = (
        (sub["fico"] >= POLICY["fico_min"])
        & (sub["dti"] <= POLICY["dti_max"])
        & (sub["inquiries_6m"] <= POLICY["inquiries_max"])
    )
    df.loc[rows, "approved_policy"] = decision.fillna(False).astype(bool).to_numpy()


def _pick_rows(rng: np.random.Generator, mask: np.ndarray, share: float) -> np.ndarray:
    """Boolean mask: each row of ``mask`` chosen independently with probability ``share``."""
    return mask & (rng.random(mask.size) < share)


def _set(df: pd.DataFrame, rows: np.ndarray, column: str, values: Any) -> None:
    """Assign, widening an int column to float when NaN is written (as a null feed would)."""
    vals = np.asarray(values) if not np.isscalar(values) else values
    has_nan = bool(np.any(pd.isna(vals)))
    if has_nan and pd.api.types.is_integer_dtype(df[column]):
        df[column] = df[column].astype("float64")
    df.loc[rows, column] = vals


# --------------------------------------------------------------------------------------------
# the kinds


def _bureau_outage(
    df: pd.DataFrame,
    window: np.ndarray,
    rng: np.random.Generator,
    *,
    share: float = 0.3,
    score: int = 300,
    hit_flag: bool = True,
) -> _Effect:
    """Bureau timeouts: a share of pulls fail and the gateway fills a default for every field."""
    share = _share_opt(share, "share")
    if (
        isinstance(score, bool)
        or not isinstance(score, int | np.integer)
        or not 300 <= score <= 850
    ):
        raise ValueError(f"score={score!r} must be a whole score in 300..850, e.g. 300")
    _need(df, BUREAU_FIELDS, "bureau_outage")
    rows = _pick_rows(rng, window, share)
    # The default fill a careless gateway uses: a floor score and zeros for the counts.
    fills = {
        "fico": score,
        "inquiries_6m": 0,
        "revol_util": 0.0,
        "delinq_2y": 0,
        "open_accounts": 0,
    }
    for col, value in fills.items():
        df.loc[rows, col] = value
    cols = BUREAU_FIELDS
    if hit_flag:
        df["bureau_hit"] = ~rows
        cols = (*cols, "bureau_hit")
    n_w = int(window.sum())
    share_w = rows.sum() / n_w
    return _Effect(
        columns=cols,
        rows=rows,
        description=(
            f"Bureau gateway timeouts: {share_w:.0%} of pulls in the window failed and were filled "
            f"with a default (fico={score}, counts 0, revol_util 0) instead of being retried or "
            "routed to manual review."
        ),
        moves=(
            "bureau no-hit rate up",
            f"spike at fico={score}",
            "fico PSI > 0.25",
            "approval rate down",
            "revol_util/inquiries spike at 0",
        ),
        flat=("labels (pd_true, defaulted)", "applicant-stated fields (income, dti, loan_amount)"),
        expected={
            f"share of fico == {score}": f"~{share_w:.2f} (reference ~0)",
            "bureau_hit rate": f"~{1 - share_w:.2f} (reference 1.0)",
            "fico PSI": "> 0.25" if share >= 0.3 else "up",
            "approval rate": "down",
            "annual_income PSI": "< 0.1",
            "default rate": "unchanged",
        },
    )


def _bureau_attribute_bug(
    df: pd.DataFrame,
    window: np.ndarray,
    rng: np.random.Generator,
    *,
    share: float = 0.12,
    repull_column: str | None = None,
) -> _Effect:
    """A silent scoring bug at the bureau: a few scores shifted by a few points (2022 pattern)."""
    share = _share_opt(share, "share")
    _need(df, ["fico"], "bureau_attribute_bug")
    before = df["fico"].to_numpy().copy()
    # Of the shifted scores ~71% move by 1-10 points, ~22% by 11-20 and ~7% by 21-40 (at 12%:
    # 8.5 / 2.7 / 0.8% of rows). Exact counts, not coin flips, so a small window keeps the mix.
    pos = rng.permutation(np.flatnonzero(window))
    counts = np.round(np.array([0.085, 0.027, 0.008]) / 0.12 * share * pos.size).astype(int)
    size = np.zeros(window.size, dtype=np.int64)
    for (lo, hi), chosen in zip(
        ((1, 11), (11, 21), (21, 41)), np.split(pos, np.cumsum(counts))[:3], strict=True
    ):
        size[chosen] = rng.integers(lo, hi, chosen.size)
    sign = np.where(rng.random(window.size) < 0.5, -1, 1)
    shifted = np.clip(before + np.where(window, sign * size, 0), 300, 850)
    rows = shifted != before
    df["fico"] = shifted.astype(df["fico"].dtype)
    cols: tuple[str, ...] = ("fico",)
    if repull_column is not None:
        if not isinstance(repull_column, str) or repull_column in df.columns:
            raise ValueError(
                f"repull_column={repull_column!r} must be a new column name, e.g. 'fico_repull'"
            )
        df[repull_column] = before  # what a re-pull from the bureau returns: the right score
        cols = (*cols, repull_column)
    n_w = int(window.sum())
    delta = np.abs(shifted - before)[rows]
    small_share = float((delta <= 10).mean()) if delta.size else 0.0
    return _Effect(
        columns=cols,
        rows=rows,
        description=(
            f"Silent bureau attribute bug: {rows.sum() / n_w:.1%} of scores in the window are off, "
            f"{small_share:.0%} of them by 10 points or less. Nothing fails; only a reconciliation "
            "or re-pull shows it."
        ),
        moves=("share of scores differing from a re-pull (~12%)", "approvals near the 660 cutoff"),
        flat=("fico PSI (< 0.1)", "other features", "labels", "infrastructure metrics"),
        expected={
            "share of fico changed": f"~{share:.2f}",
            "changed by 1-10 pts": f"< {0.09 / 0.12 * share:.3f} of rows",
            "changed by 11-20 pts": f"< {0.03 / 0.12 * share:.3f} of rows",
            "changed by > 20 pts": f"< {0.01 / 0.12 * share:.3f} of rows",
            "fico PSI": "< 0.1",
            "approval rate": "changes by < 2 points",
        },
    )


def _income_units(factor: float, kind: str) -> Callable[..., _Effect]:
    def inject_units(
        df: pd.DataFrame,
        window: np.ndarray,
        rng: np.random.Generator,
        *,
        channel: str | None = None,
    ) -> _Effect:
        _need(df, ["annual_income", "dti"], kind)
        rows, segs = _slice(df, window, "channel", channel, kind)
        income = df["annual_income"].to_numpy()
        new_income = np.round(income * factor, 0)
        # DTI = monthly debt / monthly income: the debt is right, so DTI moves by 1 / factor.
        new_dti = np.round(df["dti"].to_numpy() * income / new_income, 2)
        df.loc[rows, "annual_income"] = new_income[rows]
        df.loc[rows, "dti"] = new_dti[rows]
        where = f" from channel {channel}" if channel else ""
        if factor < 1:
            desc = (
                f"Income unit change: applications{where} send monthly income in the annual "
                "field, so stated income is 12x too small and DTI and loan-to-income 12x too big."
            )
            moves = (
                "annual_income CSI huge (income /12)",
                "dti x12",
                "loan-to-income x12",
                "approval rate collapses",
                "stated vs verified income gap",
                "reason codes dominated by DTI/income",
            )
            exp = {
                "annual_income median ratio": "~1/12",
                "dti median ratio": "~12",
                "annual_income CSI": "> 0.25",
                "dti CSI": "> 0.25",
                "approval rate": "down sharply",
                "fico PSI": "< 0.1",
            }
        else:
            desc = (
                f"Reverse income unit change: annual income{where} arrives in a monthly field "
                "and is annualised again, so stated income is 12x too big and DTI 12x too small."
            )
            moves = (
                "annual_income CSI huge (income x12)",
                "dti /12",
                "loan-to-income /12",
                "approvals up for a model that uses DTI/loan-to-income (the rules policy's "
                "DTI <= 40 cap seldom binds, so it barely moves)",
                "early-payment default of approved loans up (months later)",
            )
            exp = {
                "annual_income median ratio": "~12",
                "dti median ratio": "~1/12",
                "annual_income CSI": "> 0.25",
                "rules-policy approval rate": "never down (no DTI decline left)",
                "share of dti > 40": "0",
                "fico PSI": "< 0.1",
            }
        return _Effect(
            columns=("annual_income", "dti"),
            rows=rows,
            segments=segs,
            description=desc,
            moves=moves,
            flat=(
                "bureau features (fico, inquiries_6m, revol_util, ...)",
                "loan_amount",
                "verified_income",
                "labels (pd_true, defaulted)",
            ),
            expected=exp,
        )

    inject_units.__name__ = f"_{kind}"
    return inject_units


def _partner_field_rename(
    df: pd.DataFrame,
    window: np.ndarray,
    rng: np.random.Generator,
    *,
    field: str = "emp_length_years",
    channel: str = "partner_api",
    stage: str = "null",
) -> _Effect:
    """A partner renames a field: it arrives null, then (stage 2) median imputation fills it."""
    if stage not in ("null", "imputed"):
        raise ValueError(f"stage={stage!r}; use 'null' (field arrives empty) or 'imputed'")
    _need(df, [field], "partner_field_rename")
    if not pd.api.types.is_numeric_dtype(df[field]) or pd.api.types.is_bool_dtype(df[field]):
        raise ValueError(
            f"field={field!r} must be a numeric feature (e.g. 'emp_length_years'), "
            f"got dtype {df[field].dtype}"
        )
    window, segs = _slice(df, window, "channel", channel, "partner_field_rename")
    rows = window & df[field].notna().to_numpy()
    dtype = df[field].dtype
    if stage == "null":
        _set(df, rows, field, np.nan)
        desc = (
            f"Partner field rename: channel {channel} renamed the field behind {field!r}; our "
            "parser finds nothing and the feature arrives null for every partner application."
        )
        moves = (
            f"{field} null rate up",
            f"{field} CSI up (if nulls are binned)",
            "scores squeezed to the middle",
            "estimated Gini down",
        )
        exp = {f"{field} null rate in {channel}": "1.0", f"{field} null rate overall": "up"}
    else:
        # The imputer was fitted before the incident: the median of the reference rows.
        ref = df.loc[
            ~window & df["applied_at"].lt(df.loc[window, "applied_at"].min()), field
        ].dropna()
        ref = ref if len(ref) else df.loc[~window, field].dropna()
        if not len(ref):
            raise ValueError(
                f"no rows outside the window hold {field!r}; cannot fit the median imputer"
            )
        median = float(ref.median())
        median = round(median) if pd.api.types.is_integer_dtype(dtype) else median
        df.loc[rows, field] = median
        desc = (
            f"Partner field rename, after imputation: channel {channel} sends {field!r} under "
            f"a new name; the serving path fills the gap with the training median ({median:g}), "
            "so nulls look fine and the feature silently loses its information."
        )
        moves = (
            f"spike at {field}={median:g}",
            f"{field} CSI up",
            "scores squeezed to the middle",
            "estimated Gini down",
        )
        exp = {
            f"share of {field} == {median:g}": "up",
            f"{field} CSI": "> 0.1",
            f"{field} null rate": "unchanged",
        }
    return _Effect(
        columns=(field,),
        rows=rows,
        segments=segs,
        description=desc,
        moves=moves,
        flat=("other features", "other channels", "labels"),
        expected=exp,
    )


def _broken_join(
    df: pd.DataFrame,
    window: np.ndarray,
    rng: np.random.Generator,
    *,
    mode: str = "duplicate",
    share: float = 0.05,
    columns: str | Sequence[str] = BUREAU_FIELDS,
) -> _Effect:
    """Duplicated keys (rows repeated) or misaligned keys (bureau row of the neighbour)."""
    if mode == "duplicate":
        share = _share_opt(share, "share")
        rows = _pick_rows(rng, window, share)
        return _Effect(
            columns=(),
            rows=rows,
            description=(
                f"Broken join (duplicate keys): the bureau table held repeated pulls and "
                f"the join fanned out, so {int(rows.sum())} applications appear twice."
            ),
            moves=("row count up", "application_id no longer unique", "approval volume inflated"),
            flat=("feature distributions (PSI ~0)", "default rate"),
            expected={
                "duplicated application_id": f"~{share:.2f} of window rows",
                "row count in window": f"x{1 + share:.2f}",
                "fico PSI": "< 0.1",
            },
        )
    if mode != "misalign":
        raise ValueError(f"mode={mode!r}; use 'duplicate' or 'misalign'")
    cols = (columns,) if isinstance(columns, str) else tuple(columns)
    if not cols:
        raise ValueError("columns must name at least one column to misalign, e.g. 'fico'")
    _need(df, cols, "broken_join")
    # Sort by time inside the window and give each application its neighbour's values: a
    # positional join after one side was re-sorted. Marginals are unchanged by construction.
    pos = np.flatnonzero(window)
    pos = pos[np.argsort(df["applied_at"].to_numpy()[pos], kind="stable")]
    if pos.size < 2:
        raise ValueError("misalign needs at least two applications in the window; widen start/end")
    rows = np.zeros(window.size, dtype=bool)
    for col in cols:
        values = df[col].to_numpy()
        shifted = values.copy()
        shifted[pos] = np.roll(values[pos], 1)
        changed = ~((shifted == values) | (pd.isna(shifted) & pd.isna(values)))
        rows |= changed
        df[col] = pd.Series(shifted, index=df.index).astype(df[col].dtype)
    return _Effect(
        columns=cols,
        rows=rows,
        description=(
            f"Broken join (misaligned keys): {', '.join(cols)} come from the neighbouring "
            "application. Every value is plausible and every distribution is unchanged."
        ),
        moves=(
            f"relationship of {cols[0]} with outcomes (e.g. corr with pd_true -> ~0)",
            "reconciliation against the source by key",
            "model AUC down",
        ),
        flat=(f"{cols[0]} PSI (~0)", "null rates", "schema", "row count"),
        expected={
            f"{cols[0]} PSI": "~0",
            f"corr({cols[0]}, pd_true)": "-> ~0",
            "share of rows with a value differing from source": "high",
        },
    )


def _stale_feature_store(
    df: pd.DataFrame,
    window: np.ndarray,
    rng: np.random.Generator,
    *,
    stale_days: int = 90,
    undercount: float = 0.6,
) -> _Effect:
    """The feature store stopped refreshing: inquiries_6m come from an old snapshot."""
    if (
        isinstance(stale_days, bool)
        or not isinstance(stale_days, int | np.integer)
        or stale_days <= 0
    ):
        raise ValueError(
            f"stale_days={stale_days!r} must be a positive whole number of days, e.g. 90"
        )
    undercount = _share_opt(undercount, "undercount")
    _need(df, ["inquiries_6m"], "stale_feature_store")
    inq = df["inquiries_6m"].to_numpy()
    # A loan shopper's inquiries cluster in the weeks before applying, so a snapshot taken
    # months earlier misses most of them: each one is missing with probability `undercount`.
    kept = rng.binomial(np.maximum(inq, 0).astype(np.int64), 1.0 - undercount)
    new = np.where(window, kept, inq).astype(df["inquiries_6m"].dtype)
    df["inquiries_6m"] = new
    lag = pd.Timedelta(days=int(stale_days))
    df["feature_as_of"] = df["applied_at"].where(~window, df["applied_at"] - lag)
    return _Effect(
        columns=("inquiries_6m", "feature_as_of"),
        rows=window.copy(),
        description=(
            f"Stale feature store: the refresh job stopped and inquiries_6m were served "
            f"from a snapshot {stale_days} days old, undercounting recent credit shopping."
        ),
        moves=(
            "feature freshness lag up (feature_as_of)",
            "inquiries_6m mean down / CSI up",
            "approval rate never down (the rules' inquiry cap of 6 seldom binds)",
            "loan-stacking risk",
        ),
        flat=("schema and null checks", "other features", "labels"),
        expected={
            "feature_as_of lag in window": f"{stale_days} days (reference 0)",
            "inquiries_6m mean ratio": f"~{1 - undercount:.2f}",
            "inquiries_6m CSI": "> 0.1",
            "fico PSI": "< 0.1",
        },
    )


def _income_verification_vendor_change(
    df: pd.DataFrame,
    window: np.ndarray,
    rng: np.random.Generator,
    *,
    downgrade: float = 0.4,
    income_ratio: float = 0.8,
) -> _Effect:
    """A new verification vendor matches fewer applicants and reports net, not gross, income."""
    downgrade = _share_opt(downgrade, "downgrade", allow_zero=True)
    if (
        isinstance(income_ratio, bool)
        or not isinstance(income_ratio, int | float)
        or income_ratio <= 0
    ):
        raise ValueError(f"income_ratio={income_ratio!r} must be a positive ratio, e.g. 0.8")
    _need(
        df,
        ["income_verification", "verified_income", "annual_income"],
        "income_verification_vendor_change",
    )
    levels = ["verified", "source_verified", "not_verified"]
    col = df["income_verification"]
    before = pd.Categorical(col, categories=levels).codes  # -1: missing or unknown, left alone
    # Lower match rate: each status steps down one level with probability `downgrade`.
    step = window & (rng.random(window.size) < downgrade) & (before >= 0) & (before < 2)
    codes = np.where(step, before + 1, before).astype(before.dtype)
    status = pd.Categorical.from_codes(codes, categories=levels)
    if isinstance(col.dtype, pd.CategoricalDtype) and list(col.cat.categories) != levels:
        status = status.set_categories(col.cat.categories)
    df["income_verification"] = status
    not_verified = codes == 2
    vi = df["verified_income"].to_numpy().copy()
    vi_new = np.where(window, np.round(vi * income_ratio, -2), vi)
    vi_new[not_verified] = np.nan
    changed_vi = ~((vi_new == vi) | (np.isnan(vi_new) & np.isnan(vi)))
    df["verified_income"] = vi_new
    rows = (codes != before) | changed_vi
    return _Effect(
        columns=("income_verification", "verified_income"),
        rows=rows,
        description=(
            "Income verification vendor change: the new vendor matches fewer applicants "
            f"(statuses step down for ~{downgrade:.0%}) and reports net pay "
            f"(x{income_ratio:g} of the old figures)."
        ),
        moves=(
            "verification-status mix (fewer verified)",
            "verified vs stated income gap",
            "verified_income null rate up",
        ),
        flat=(
            "bureau features",
            "stated annual_income and dti",
            "approval rate (policy ignores it)",
            "labels",
        ),
        expected={
            "share verified": "down",
            "share not_verified": "up",
            "median verified/stated income ratio": f"~{0.95 * income_ratio:.2f} (reference ~0.95)",
            "fico PSI": "< 0.1",
            "annual_income PSI": "< 0.1",
        },
    )


def _seasonality(
    df: pd.DataFrame,
    window: np.ndarray,
    rng: np.random.Generator,
    *,
    util_drop: float = 2.0,
    loan_change: float = -0.04,
) -> _Effect:
    """Tax season: refunds pay down cards and trim loan sizes a little. Benign."""
    for name, v in (("util_drop", util_drop), ("loan_change", loan_change)):
        if isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v):
            raise ValueError(f"{name}={v!r} must be a number, e.g. 2.0 / -0.04")
    if not -0.5 < loan_change < 0.5:
        raise ValueError(
            f"loan_change={loan_change!r} must be a small relative change in (-0.5, 0.5)"
        )
    _need(df, ["revol_util", "loan_amount"], "seasonality")
    util = df["revol_util"].to_numpy()
    loan = df["loan_amount"].to_numpy()
    new_util = np.where(window, np.round(np.clip(util - util_drop, 0.0, 120.0), 1), util)
    new_loan = np.where(
        window, np.clip(np.round(loan * (1 + loan_change) / 25.0) * 25.0, 500.0, 40_000.0), loan
    )
    rows = (new_util != util) | (new_loan != loan)
    df["revol_util"] = new_util
    df["loan_amount"] = new_loan
    return _Effect(
        columns=("revol_util", "loan_amount"),
        rows=rows,
        description=(
            f"Tax season: refunds pay down revolving balances (utilisation -{util_drop:g} "
            f"points) and requested amounts move {loan_change:+.0%}. Expected and benign."
        ),
        moves=(f"revol_util mean -{util_drop:g} points", f"loan_amount mean {loan_change:+.0%}"),
        flat=("PSI < 0.1 on every feature (must page nobody)", "approval rate", "labels"),
        expected={
            "max feature PSI": "< 0.1",
            "revol_util mean change": f"~-{util_drop:g}",
            "loan_amount mean ratio": f"~{1 + loan_change:.2f}",
        },
    )


def _concept_shift(
    df: pd.DataFrame,
    window: np.ndarray,
    rng: np.random.Generator,
    *,
    segment: str | None = None,
    odds_ratio: float = 2.0,
) -> _Effect:
    """A macro shock: borrowers default more at the same inputs. Inputs do not move at all."""
    if isinstance(odds_ratio, bool) or not isinstance(odds_ratio, int | float) or odds_ratio <= 1.0:
        raise ValueError(
            f"odds_ratio={odds_ratio!r} must be above 1 (a shock raises risk), e.g. 2.0"
        )
    _need(df, ["pd_true", "defaulted"], "concept_shift")
    rows, segs = _slice(df, window, "segment", segment, "concept_shift")
    p = df["pd_true"].to_numpy()
    p_new = np.where(
        rows,
        np.round(special.expit(special.logit(np.clip(p, 1e-9, 1 - 1e-9)) + np.log(odds_ratio)), 6),
        p,
    )
    # Keep every existing default and add new ones so that P(default) = p_new exactly:
    # a non-defaulter flips with probability (p_new - p) / (1 - p).
    flip_p = np.where(rows, (p_new - p) / np.clip(1.0 - p, 1e-12, None), 0.0)
    old = df["defaulted"].to_numpy()
    new = np.where((old == 0) & (rng.random(p.size) < flip_p), 1, old).astype(df["defaulted"].dtype)
    df["pd_true"] = p_new
    df["defaulted"] = new
    cols: tuple[str, ...] = ("pd_true", "defaulted")
    flipped = new != old
    if "months_to_default" in df.columns and flipped.any():
        # New defaults follow the book's own timing: resample months from existing defaulters.
        mtd = df["months_to_default"].to_numpy().copy()
        pool = mtd[~np.isnan(mtd)]
        if pool.size == 0:
            raise ValueError("concept_shift needs some defaulters in data to time new defaults")
        drawn = rng.choice(pool, size=int(flipped.sum()))
        if "term_months" in df.columns:
            drawn = np.minimum(drawn, df["term_months"].to_numpy()[flipped])
        mtd[flipped] = drawn
        df["months_to_default"] = mtd
        cols = (*cols, "months_to_default")
    where = f"segment {segment}" if segment else "every segment"
    return _Effect(
        columns=cols,
        rows=(p_new != p) | flipped,
        segments=segs,
        description=(
            f"Macro shock in {where}: at the same inputs borrowers default more "
            f"(odds x{odds_ratio:g}). Input monitoring sees nothing; only outcomes move, "
            "and they arrive months later."
        ),
        moves=("pd_true mean up", "default rate up (when labels mature)", "calibration breaks"),
        flat=("every input feature (PSI 0)", "approval rate", "other segments"),
        expected={
            "pd_true mean ratio": f"up (odds x{odds_ratio:g})",
            "default rate": "up",
            "max feature PSI": "0",
            "approval rate": "unchanged",
        },
    )


_KIND_FUNCS: dict[str, Callable[..., _Effect]] = {
    "bureau_outage": _bureau_outage,
    "bureau_attribute_bug": _bureau_attribute_bug,
    "income_monthly_as_annual": _income_units(1 / 12, "income_monthly_as_annual"),
    "income_annual_as_monthly": _income_units(12.0, "income_annual_as_monthly"),
    "partner_field_rename": _partner_field_rename,
    "broken_join": _broken_join,
    "stale_feature_store": _stale_feature_store,
    "income_verification_vendor_change": _income_verification_vendor_change,
    "seasonality": _seasonality,
    "concept_shift": _concept_shift,
}

#: Every incident kind :func:`inject` knows.
KINDS: tuple[str, ...] = tuple(_KIND_FUNCS)


def _options(kind: str) -> dict[str, Any]:
    params = list(inspect.signature(_KIND_FUNCS[kind]).parameters.values())[3:]
    return {p.name: p.default for p in params}


def _timestamp(value: Any, name: str, like: pd.Series) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name}={value!r} is not a date; pass e.g. '2025-06-01'") from exc
    if pd.isna(ts):
        raise ValueError(f"{name}={value!r} is not a date; pass e.g. '2025-06-01'")
    tz = like.dt.tz
    if tz is not None:
        return ts.tz_localize(tz) if ts.tz is None else ts.tz_convert(tz)
    return ts.tz_convert(None) if ts.tz is not None else ts


def inject(
    data: pd.DataFrame,
    kind: str,
    *,
    start: Any,
    end: Any,
    seed: int = 0,
    **options: Any,
) -> tuple[pd.DataFrame, InjectedFault]:
    """Break ``data`` the way incident ``kind`` would, between ``start`` and ``end``.

    Parameters
    ----------
    data : DataFrame
        A world frame (:func:`lendlab.world.generate`); never modified.
    kind : str
        One of :data:`KINDS`:

        ``bureau_outage`` (``share=0.3, score=300, hit_flag=True``),
        ``bureau_attribute_bug`` (``share=0.12, repull_column=None``),
        ``income_monthly_as_annual`` / ``income_annual_as_monthly`` (``channel=None``),
        ``partner_field_rename`` (``field="emp_length_years", channel="partner_api",
        stage="null"|"imputed"``),
        ``broken_join`` (``mode="duplicate"|"misalign", share=0.05, columns=BUREAU_FIELDS``),
        ``stale_feature_store`` (``stale_days=90, undercount=0.6``),
        ``income_verification_vendor_change`` (``downgrade=0.4, income_ratio=0.8``),
        ``seasonality`` (``util_drop=2.0, loan_change=-0.04``),
        ``concept_shift`` (``segment=None, odds_ratio=2.0``).
    start, end : str or Timestamp
        Window ``[start, end)`` on ``applied_at``; naive times are read in the data's time zone.
    seed : int, default 0
        Seed for the random choices (which rows fail, by how much).
    **options
        Options of the kind, listed above.

    Returns
    -------
    broken : DataFrame
        A copy of ``data`` with the incident applied (``broken_join`` duplicate mode adds rows
        and returns a fresh RangeIndex; every other kind keeps the index).
    record : InjectedFault
        What was done and the signature to expect.

    Examples
    --------
    >>> from lendlab import world
    >>> book = world.generate(5_000, seed=2)
    >>> broken, inc = inject(book, "income_monthly_as_annual", start="2025-03-01",
    ...                      end="2025-04-01", channel="partner_api")
    >>> inc.segments, inc.columns
    (('channel=partner_api',), ('annual_income', 'dti'))
    >>> bool(book.equals(world.generate(5_000, seed=2)))  # the input is untouched
    True
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if kind not in _KIND_FUNCS:
        raise ValueError(f"kind={kind!r} is unknown; use one of {list(KINDS)}")
    valid = _options(kind)
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ValueError(
            f"inject(kind={kind!r}) got unknown option(s) {unknown}; valid: {sorted(valid)}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed={seed!r} must be a non-negative integer")
    if "applied_at" not in data.columns:
        raise ValueError(
            "data has no 'applied_at' column; pass a frame from lendlab.world.generate"
        )
    if not pd.api.types.is_datetime64_any_dtype(data["applied_at"]):
        raise ValueError(
            f"data['applied_at'] must be datetime, got {data['applied_at'].dtype}; "
            "convert it with pd.to_datetime(..., utc=True)"
        )
    if data.empty:
        raise ValueError("data is empty; generate some applications first")
    t0 = _timestamp(start, "start", data["applied_at"])
    t1 = _timestamp(end, "end", data["applied_at"])
    if not t0 < t1:
        raise ValueError(f"start={start!r} must be before end={end!r}")

    broken = data.copy(deep=True)
    when = broken["applied_at"]
    window = ((when >= t0) & (when < t1)).to_numpy()
    if not window.any():
        raise ValueError(
            f"no applications between start={start!r} and end={end!r}; data runs from "
            f"{when.min()} to {when.max()}"
        )
    rng = np.random.default_rng(seed)
    effect = _KIND_FUNCS[kind](broken, window, rng, **options)
    if kind == "broken_join" and options.get("mode", "duplicate") == "duplicate":
        # Each duplicated row sits right after its original, as a fanned-out join would put it.
        order = np.concatenate([np.arange(len(broken)), np.flatnonzero(effect.rows)])
        order = order[np.argsort(order, kind="stable")]
        ids = broken["application_id"].to_numpy()[effect.rows] if "application_id" in broken else ()
        broken = broken.iloc[order].reset_index(drop=True)
    else:
        _policy(broken, window)
        ids = broken["application_id"].to_numpy()[effect.rows] if "application_id" in broken else ()
    record = InjectedFault(
        kind=kind,
        start=t0,
        end=t1,
        columns=tuple(effect.columns),
        segments=effect.segments,
        rows_affected=int(effect.rows.sum()),
        description=effect.description,
        moves=effect.moves,
        flat=effect.flat,
        expected=effect.expected,
        application_ids=tuple(int(i) for i in ids),
    )
    return broken, record
