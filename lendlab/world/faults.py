"""The fault catalogue: break a book of applications on purpose and record the truth.

:data:`FAULTS` is the one list of faults the course knows, one :class:`FaultSpec` per name: what
the fault is, its research signature (which signals move, which stay flat, after the incident
table in ``shared/research/lending-world.md`` section 5) and where it can be switched on:

* injected into a book with :func:`inject` (every name in :data:`KINDS`), and/or
* as a break of the batch feature pipeline, ``lendlab.quality.build_features(sources,
  breaks=[name])`` (the names whose :attr:`FaultSpec.pipeline_break` is set).

:func:`inject` copies a world frame (see :func:`lendlab.world.generate`), breaks the rows whose
``applied_at`` falls in ``[start, end)`` the way a real incident would, and returns the broken
frame with an :class:`InjectedFault` record: what changed, where, when, which rows, and the
signature a responder should be able to measure.

Conventions for every kind:

* the input frame is never modified; rows outside the window are never changed (a kind may
  add a column, ``bureau_hit`` or ``feature_as_of``, holding the healthy value outside it, or
  keep the value an earlier injection left there);
* ``rows_affected`` and ``application_ids`` count the rows of the window whose value really
  changed in one of the record's ``columns`` (a missing value that stays missing is unchanged);
  for ``broken_join`` in duplicate mode they count the rows that were duplicated. A fault that
  finds nothing to change in the window (e.g. every value already missing, or no application of
  the requested channel) returns a record with ``rows_affected == 0`` and says so;
* ``approved_policy`` is re-decided with :func:`lendlab.world.schema.passes_knockout` for the
  changed rows, because the lender decided on what it saw (a missing input fails its rule);
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
>>> FAULTS["stale_feature_store"].where
('book', 'pipeline')
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from lendlab.world.delinquency import DELINQUENCY_MODEL, PATH_COLUMNS
from lendlab.world.schema import (
    BUREAU_FIELDS,
    CATEGORIES,
    KNOCKOUT_RULES,
    TRUTH_COLUMNS,
    passes_knockout,
)

__all__ = ["FaultSpec", "FAULTS", "KINDS", "InjectedFault", "inject"]


@dataclass(frozen=True)
class FaultSpec:
    """One fault of the catalogue: what it is, its signature, and where it can be switched on.

    Attributes
    ----------
    name : str
        The one name of the fault, used by :func:`inject` and by the pipeline's ``breaks=``.
    description : str
        What happens, in the words of an incident ticket.
    moves, flat : tuple of str
        The research signature: signals that move / stay flat.
    injectable : bool
        Whether :func:`inject` can put it into a book (then the name is in :data:`KINDS`).
    pipeline_break : str
        What ``lendlab.quality.build_features(sources, breaks=[name])`` does; empty when the
        fault is not a pipeline break.

    Examples
    --------
    >>> spec = FAULTS["income_monthly_as_annual"]
    >>> spec.where, "dti x12" in spec.moves
    (('book', 'pipeline'), True)
    """

    name: str
    description: str
    moves: tuple[str, ...]
    flat: tuple[str, ...]
    injectable: bool = True
    pipeline_break: str = ""

    def __post_init__(self) -> None:
        if not (self.name and self.description and self.moves and self.flat):
            raise ValueError(f"FaultSpec {self.name!r} needs a name, description, moves and flat")
        if not (self.injectable or self.pipeline_break):
            raise ValueError(f"FaultSpec {self.name!r} must be injectable or a pipeline break")

    @property
    def where(self) -> tuple[str, ...]:
        """Where the fault can be switched on: ``"book"`` (:func:`inject`), ``"pipeline"``."""
        return (("book",) if self.injectable else ()) + (
            ("pipeline",) if self.pipeline_break else ()
        )


def _spec(name: str, description: str, moves: Sequence[str], flat: Sequence[str], **kw: Any):
    return name, FaultSpec(name, description, tuple(moves), tuple(flat), **kw)


#: The one fault catalogue: name -> :class:`FaultSpec`.
FAULTS: dict[str, FaultSpec] = dict(
    [
        _spec(
            "bureau_outage",
            "Bureau gateway timeouts: a share of pulls fail and the gateway fills a default "
            "value (a floor score, zero counts) instead of retrying or routing to manual review.",
            (
                "bureau no-hit / missing rate up",
                "spike at one score value",
                "score PSI > 0.25",
                "approvals down, manual review up",
                "errors and latency up",
            ),
            ("labels (for months)", "applicant-stated fields (income, dti, loan_amount)"),
        ),
        _spec(
            "bureau_attribute_bug",
            "A silent scoring bug at the bureau (the 2022 pattern): ~12% of scores shifted, "
            "most by 10 points or less. Nothing fails.",
            ("a few attributes wrong", "small approval change near the cutoff"),
            (
                "infrastructure metrics",
                "score PSI (mostly < 0.1): caught only by reconciliation or re-pull",
            ),
        ),
        _spec(
            "income_monthly_as_annual",
            "Income unit change: monthly income is sent in the annual income field, so stated "
            "income is 12x too small and DTI and loan-to-income 12x too big.",
            (
                "income CSI huge",
                "dti x12",
                "loan-to-income x12",
                "approvals collapse",
                "reason codes dominated by DTI/income",
            ),
            ("bureau features",),
            pipeline_break=(
                "The partner_api channel sends monthly income in the annual_income field: stated "
                "income is 12x too small, so DTI and loan-to-income come out 12x too big."
            ),
        ),
        _spec(
            "income_annual_as_monthly",
            "Reverse income unit change: annual income arrives in a monthly field and is "
            "annualised again, so stated income is 12x too big and DTI 12x too small.",
            (
                "dti /12",
                "approvals up",
                "early-payment default up 1-3 months later",
            ),
            ("bureau features", "score PSI may look moderate"),
        ),
        _spec(
            "income_verification_vendor_change",
            "A new income verification vendor matches fewer applicants and reports net, not "
            "gross, income.",
            ("verification-status mix shifts", "stated vs verified income gap moves"),
            ("bureau features", "stated income and dti"),
        ),
        _spec(
            "verification_feed_gap",
            "The income verification vendor's results never arrive for a stretch of "
            "applications: they have no verification status and no verified income.",
            (
                "income_verification null rate up",
                "verified_income null rate up",
                "verification join coverage down",
            ),
            (
                "bureau features",
                "stated income and dti",
                "approval rate (the rules policy ignores verification)",
                "labels",
            ),
            pipeline_break=(
                "The verification vendor's last 7 days of results never arrive: those "
                "applications get no verification status (null after the left join)."
            ),
        ),
        _spec(
            "partner_field_rename",
            "A partner renames a field: the feature arrives null for the partner's "
            "applications, then (stage 'imputed') median imputation hides the nulls.",
            (
                "null rate and CSI of one feature up",
                "scores squeezed to the middle",
                "estimated Gini down",
            ),
            ("other features", "other channels"),
            pipeline_break=(
                "The partner_api channel renames emp_length_years to employment_length: the raw "
                "applications gain an unexpected column and the feature is null for partner rows."
            ),
        ),
        _spec(
            "broken_join",
            "A broken join: duplicated keys fan rows out (mode 'duplicate'), or misaligned keys "
            "give an application its neighbour's bureau fields (mode 'misalign').",
            (
                "duplicate: row count up, application_id no longer unique",
                "misalign: link of the features to outcomes gone, model AUC down",
            ),
            ("feature distributions (PSI ~0)", "schema"),
            pipeline_break=(
                "Duplicate mode in the batch job: the dedupe step is skipped and the bureau join "
                "is not validated, so an application whose first pull timed out appears twice, "
                "once with null bureau fields."
            ),
        ),
        _spec(
            "stale_feature_store",
            "Stale features: the refresh job stopped and bureau features are served from an old "
            "snapshot, so recent credit shopping (inquiries) is undercounted.",
            (
                "freshness lag up",
                "inquiries undercounted",
                "approvals up",
                "loan-stacking risk",
            ),
            ("schema checks",),
            pipeline_break=(
                "The pipeline reads a bureau snapshot taken 90 days earlier: pulled_at is 90 days "
                "old and inquiries_6m miss the recent credit shopping (halved, rounded down)."
            ),
        ),
        _spec(
            "seasonality",
            "Tax season: refunds pay down revolving balances and trim loan sizes a little. "
            "Expected and benign.",
            ("balances and delinquency move a few % on a calendar",),
            ("should page nobody",),
        ),
        _spec(
            "concept_shift",
            "A macro or reporting shock: at the same inputs borrowers default more. Inputs do "
            "not move at all.",
            ("default rate up (when labels mature)", "calibration breaks"),
            ("input PSI (can mislead)", "other segments"),
        ),
    ]
)


@dataclass(frozen=True)
class InjectedFault:
    """The truth about one injected incident.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS` (a name of :data:`FAULTS`).
    start, end : Timestamp
        The window ``[start, end)`` of ``applied_at`` that was touched.
    columns : tuple of str
        Columns whose values were changed (or added).
    segments : tuple of str
        Slices affected, as ``"channel=partner_api"`` / ``"segment=thin_file"``, or ``("all",)``.
    rows_affected : int
        Rows of the window whose value really changed in one of ``columns`` (NaN staying NaN is
        unchanged); for ``broken_join`` in duplicate mode, rows duplicated. May be 0 when the
        window held nothing the fault could change (the description then says so).
    description : str
        One paragraph a responder would write in the incident ticket.
    moves, flat : tuple of str
        Signals that should move / stay flat for this injection (the catalogue's signature,
        made concrete: :attr:`spec` holds the general one).
    expected : dict of str to str
        Measurable expectations, e.g. ``{"fico PSI": "> 0.25"}``.
    application_ids : tuple of int
        The affected applications, one per affected row (for re-decisioning and notices).
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

    @property
    def spec(self) -> FaultSpec:
        """The catalogue entry of this fault (:data:`FAULTS`)."""
        return FAULTS[self.kind]


@dataclass
class _Effect:
    columns: tuple[str, ...]
    description: str
    moves: tuple[str, ...]
    flat: tuple[str, ...]
    expected: dict[str, str]
    segments: tuple[str, ...] = ("all",)
    # Rows changed in a way comparing the input's columns cannot see: a value of an added
    # column that differs from its healthy value, or (with ``duplicated``) a row repeated.
    flagged: np.ndarray | None = None
    duplicated: bool = False


# --------------------------------------------------------------------------------------------
# helpers


def _need(df: pd.DataFrame, columns: Sequence[str], kind: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"inject(kind={kind!r}) needs column(s) {missing} in data; pass a frame from "
            "lendlab.world.generate or add them"
        )


def _numeric(df: pd.DataFrame, column: str, kind: str) -> np.ndarray:
    """``df[column]`` as float with NaN for missing; a non-numeric column is refused."""
    _need(df, [column], kind)
    dtype = df[column].dtype
    if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        raise TypeError(
            f"inject(kind={kind!r}) needs a numeric {column!r} column, got dtype {dtype}; "
            f"convert it with pd.to_numeric(data[{column!r}], errors='coerce')"
        )
    return df[column].to_numpy(dtype=float, na_value=np.nan)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _number_opt(value: Any, name: str, example: str) -> float:
    """A finite number option (TypeError for a non-number, ValueError for NaN/inf)."""
    if not _is_number(value):
        raise TypeError(f"{name}={value!r} must be a number, e.g. {example}")
    if not np.isfinite(value):
        raise ValueError(f"{name}={value!r} must be a finite number, e.g. {example}")
    return float(value)


def _share_opt(value: Any, name: str, *, allow_zero: bool = False) -> float:
    bound = "[0, 1]" if allow_zero else "(0, 1]"
    value = _number_opt(value, name, "0.3")
    if not ((value >= 0.0 if allow_zero else value > 0.0) and value <= 1.0):
        raise ValueError(f"{name}={value!r} must be a share in {bound}, e.g. 0.3")
    return value


def _str_opt(value: Any, name: str, example: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        none = " or None" if optional else ""
        raise TypeError(f"{name}={value!r} must be a string{none}, e.g. {example!r}")
    return value


def _slice(
    df: pd.DataFrame, window: np.ndarray, column: str, value: str | None, kind: str
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Narrow the window to rows where ``column == value`` (no narrowing when value is None)."""
    _str_opt(value, column, CATEGORIES.get(column, ("a level",))[0], optional=True)
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


def _differs(before: pd.Series, after: pd.Series) -> np.ndarray:
    """Positional mask of values that really differ (missing vs missing is not a change)."""
    b_na, a_na = before.isna().to_numpy(), after.isna().to_numpy()
    numeric = all(
        pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype)
        for s in (before, after)
    )
    if numeric:
        same = before.to_numpy(dtype=float, na_value=np.nan) == after.to_numpy(
            dtype=float, na_value=np.nan
        )
    elif all(pd.api.types.is_datetime64_any_dtype(s.dtype) for s in (before, after)):
        same = np.asarray(before.array == after.array, dtype=bool)
    else:
        x = np.where(b_na, None, before.astype(object).to_numpy())
        y = np.where(a_na, None, after.astype(object).to_numpy())
        same = np.asarray(x == y, dtype=bool)
    return ~((same & ~b_na & ~a_na) | (b_na & a_na))


def _write(df: pd.DataFrame, column: str, rows: np.ndarray, values: Any) -> None:
    """Set a numeric ``df[column]`` to ``values`` where ``rows``, keeping its dtype if it can.

    An integer column is widened to float64 when a NaN or a fraction is written (as a null
    feed would); a nullable ``Int64`` column keeps missing values as ``<NA>``.
    """
    s = df[column]
    out = np.where(rows, np.asarray(values, dtype=float), s.to_numpy(dtype=float, na_value=np.nan))
    target: Any = s.dtype
    if pd.api.types.is_integer_dtype(s.dtype):
        finite = out[~np.isnan(out)]
        fractional = bool((finite != np.round(finite)).any())
        if fractional or (np.isnan(out).any() and not pd.api.types.is_extension_array_dtype(s)):
            target = "float64"
    df[column] = pd.Series(out).astype(target).array


def _pick_rows(rng: np.random.Generator, mask: np.ndarray, share: float) -> np.ndarray:
    """Boolean mask: each row of ``mask`` chosen independently with probability ``share``."""
    return mask & (rng.random(mask.size) < share)


def _policy(df: pd.DataFrame, rows: np.ndarray) -> None:
    """Re-decide ``approved_policy`` for ``rows`` on the (broken) inputs the lender saw."""
    inputs = [rule[0] for rule in KNOCKOUT_RULES]
    if "approved_policy" not in df.columns or not rows.any():
        return
    if any(c not in df.columns for c in inputs):  # no rule inputs: nothing to re-decide on
        return
    positions = np.flatnonzero(rows)
    decision = passes_knockout(df.iloc[positions][inputs])
    df.iloc[positions, df.columns.get_loc("approved_policy")] = decision


# --------------------------------------------------------------------------------------------
# the kinds: each breaks ``df`` (the copy) inside ``window`` and describes what it did


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
    if not isinstance(score, int | np.integer) or isinstance(score, bool | np.bool_):
        raise TypeError(f"score={score!r} must be a whole score in 300..850, e.g. 300")
    if not 300 <= score <= 850:
        raise ValueError(f"score={score!r} must be a whole score in 300..850, e.g. 300")
    if not isinstance(hit_flag, bool | np.bool_):
        raise TypeError(f"hit_flag={hit_flag!r} must be True or False")
    for col in BUREAU_FIELDS:
        _numeric(df, col, "bureau_outage")
    failed = _pick_rows(rng, window, share)
    # The default fill a careless gateway uses: a floor score and zeros for the counts.
    fills = {
        "fico": score,
        "inquiries_6m": 0,
        "revol_util": 0.0,
        "delinq_2y": 0,
        "open_accounts": 0,
    }
    for col, value in fills.items():
        _write(df, col, failed, value)
    cols = BUREAU_FIELDS
    flagged = None
    if hit_flag:
        # A hit flag an earlier outage left stays as it was outside this window.
        prior = (
            df["bureau_hit"].fillna(True).to_numpy(dtype=bool)
            if "bureau_hit" in df.columns
            else np.ones(len(df), dtype=bool)
        )
        df["bureau_hit"] = prior & ~failed
        flagged = failed & prior
        cols = (*cols, "bureau_hit")
    share_w = failed.sum() / int(window.sum())
    return _Effect(
        columns=cols,
        flagged=flagged,
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
    repull_column = _str_opt(repull_column, "repull_column", "fico_repull", optional=True)
    if repull_column is not None and repull_column in df.columns:
        raise ValueError(
            f"repull_column={repull_column!r} already exists; name a new column, e.g. 'fico_repull'"
        )
    before = _numeric(df, "fico", "bureau_attribute_bug")
    # Only a score that exists can be wrong: a missing score stays missing.
    present = window & ~np.isnan(before)
    # Of the shifted scores ~71% move by 1-10 points, ~22% by 11-20 and ~7% by 21-40 (at 12%:
    # 8.5 / 2.7 / 0.8% of rows). Exact counts, not coin flips, so a small window keeps the mix.
    pos = rng.permutation(np.flatnonzero(present))
    counts = np.round(np.array([0.085, 0.027, 0.008]) / 0.12 * share * pos.size).astype(int)
    size = np.zeros(window.size, dtype=np.int64)
    for (lo, hi), chosen in zip(
        ((1, 11), (11, 21), (21, 41)), np.split(pos, np.cumsum(counts))[:3], strict=True
    ):
        size[chosen] = rng.integers(lo, hi, chosen.size)
    sign = np.where(rng.random(window.size) < 0.5, -1, 1)
    shifted = np.where(present, np.clip(before + sign * size, 300, 850), before)
    changed = present & (shifted != before)
    original = df["fico"].copy()
    _write(df, "fico", present, shifted)
    cols: tuple[str, ...] = ("fico",)
    if repull_column is not None:
        df[repull_column] = original.array  # what a re-pull from the bureau returns: the truth
        cols = (*cols, repull_column)
    n_present = int(present.sum())
    delta = np.abs(shifted - before)[changed]
    small_share = float((delta <= 10).mean()) if delta.size else 0.0
    of_scores = changed.sum() / n_present if n_present else 0.0
    return _Effect(
        columns=cols,
        description=(
            f"Silent bureau attribute bug: {of_scores:.1%} of the {n_present} scores in the "
            f"window are off, {small_share:.0%} of them by 10 points or less. Nothing fails; "
            "only a reconciliation or re-pull shows it."
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
        income = _numeric(df, "annual_income", kind)
        dti = _numeric(df, "dti", kind)
        rows, segs = _slice(df, window, "channel", channel, kind)
        new_income = np.round(income * factor, 0)
        # DTI = monthly debt / monthly income: the debt is right, so DTI moves by 1 / factor.
        # Without a positive income on both sides there is no debt to carry over: DTI stays.
        ok = rows & (income > 0) & (new_income > 0)
        new_dti = np.round(np.divide(dti * income, new_income, out=dti.copy(), where=ok), 2)
        _write(df, "annual_income", rows, new_income)
        _write(df, "dti", ok, new_dti)
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


#: Columns no feed can rename: the key, the clock, the decision and the world's truth.
_NOT_A_FIELD = ("application_id", "applied_at", "approved_policy", *TRUTH_COLUMNS)


def _partner_field_rename(
    df: pd.DataFrame,
    window: np.ndarray,
    rng: np.random.Generator,
    *,
    field: str = "emp_length_years",
    channel: str | None = "partner_api",
    stage: str = "null",
) -> _Effect:
    """A partner renames a field: it arrives null, then (stage 2) median imputation fills it."""
    field = _str_opt(field, "field", "emp_length_years")
    stage = _str_opt(stage, "stage", "null")
    if stage not in ("null", "imputed"):
        raise ValueError(f"stage={stage!r}; use 'null' (field arrives empty) or 'imputed'")
    _need(df, [field], "partner_field_rename")
    if field in _NOT_A_FIELD:
        raise ValueError(
            f"field={field!r} is not an application field a partner sends; use a feature such "
            "as 'emp_length_years' or 'fico'"
        )
    if not pd.api.types.is_numeric_dtype(df[field]) or pd.api.types.is_bool_dtype(df[field]):
        raise ValueError(
            f"field={field!r} must be a numeric feature (e.g. 'emp_length_years'), "
            f"got dtype {df[field].dtype}"
        )
    window, segs = _slice(df, window, "channel", channel, "partner_field_rename")
    who = f"channel {channel}" if channel else "every channel"
    rows = window & df[field].notna().to_numpy()
    if stage == "null":
        _write(df, field, rows, np.nan)
        desc = (
            f"Partner field rename: {who} renamed the field behind {field!r}; our parser finds "
            "nothing and the feature arrives null for every application from it."
        )
        moves = (
            f"{field} null rate up",
            f"{field} CSI up (if nulls are binned)",
            "scores squeezed to the middle",
            "estimated Gini down",
        )
        scope = f" in {channel}" if channel else " in the window"
        exp = {f"{field} null rate{scope}": "1.0", f"{field} null rate overall": "up"}
    else:
        # The imputer was fitted before the incident: the median of the reference rows.
        values = df[field]
        if window.any():
            first = df["applied_at"].to_numpy()[window].min()
            earlier = ~window & (df["applied_at"] < first).to_numpy(dtype=bool)
        else:
            earlier = ~window
        ref = values[earlier].dropna()
        ref = ref if len(ref) else values[~window].dropna()
        if not len(ref):
            raise ValueError(
                f"no rows outside the window hold {field!r}; cannot fit the median imputer"
            )
        median = float(ref.median())
        median = round(median) if pd.api.types.is_integer_dtype(values.dtype) else median
        _write(df, field, rows, median)
        desc = (
            f"Partner field rename, after imputation: {who} sends {field!r} under a new name; "
            f"the serving path fills the gap with the training median ({median:g}), so nulls "
            "look fine and the feature silently loses its information."
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
    share: float | None = None,
    columns: str | Sequence[str] | None = None,
) -> _Effect:
    """Duplicated keys (rows repeated) or misaligned keys (bureau row of the neighbour)."""
    mode = _str_opt(mode, "mode", "duplicate")
    if mode not in ("duplicate", "misalign"):
        raise ValueError(f"mode={mode!r}; use 'duplicate' or 'misalign'")
    if mode == "duplicate":
        if columns is not None:
            raise ValueError(
                "columns= applies to mode='misalign' only; a duplicated key repeats whole rows"
            )
        share = _share_opt(0.05 if share is None else share, "share")
        rows = _pick_rows(rng, window, share)
        return _Effect(
            columns=(),
            flagged=rows,
            duplicated=True,
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
    if share is not None:
        raise ValueError(
            "share= applies to mode='duplicate' only; misalign shifts every row of the window"
        )
    if columns is None:
        columns = BUREAU_FIELDS
    if isinstance(columns, str):
        columns = (columns,)
    if not isinstance(columns, Sequence) or not all(isinstance(c, str) for c in columns):
        raise TypeError(f"columns={columns!r} must be a column name or a list of names")
    cols = tuple(dict.fromkeys(columns))
    if not cols:
        raise ValueError("columns must name at least one column to misalign, e.g. 'fico'")
    bad = [c for c in cols if c in ("application_id", "applied_at")]
    if bad:
        raise ValueError(
            f"columns={list(cols)} may not include {bad}: the join key and the clock define "
            "which row is whose; misalign the joined fields, e.g. 'fico'"
        )
    _need(df, cols, "broken_join")
    # Sort by time inside the window and give each application its neighbour's values: a
    # positional join after one side was re-sorted. Marginals are unchanged by construction.
    pos = np.flatnonzero(window)
    pos = pos[np.argsort(df["applied_at"].to_numpy()[pos], kind="stable")]
    if pos.size < 2:
        raise ValueError("misalign needs at least two applications in the window; widen start/end")
    for col in cols:
        values = df[col].to_numpy()
        shifted = values.copy()
        shifted[pos] = np.roll(values[pos], 1)
        df[col] = pd.Series(shifted).astype(df[col].dtype).array
    return _Effect(
        columns=cols,
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
    if not isinstance(stale_days, int | np.integer) or isinstance(stale_days, bool | np.bool_):
        raise TypeError(
            f"stale_days={stale_days!r} must be a positive whole number of days, e.g. 90"
        )
    if not 0 < stale_days <= 3_650:
        raise ValueError(
            f"stale_days={stale_days!r} must be a positive whole number of days up to 3650, e.g. 90"
        )
    undercount = _share_opt(undercount, "undercount")
    inq = _numeric(df, "inquiries_6m", "stale_feature_store")
    present = window & ~np.isnan(inq)
    bad = present & ((inq < 0) | (inq != np.round(inq)))
    if bad.any():
        ids = df["application_id"].to_numpy()[bad][:3].tolist()
        raise ValueError(
            f"inquiries_6m must be whole counts >= 0 in the window; {int(bad.sum())} row(s) are "
            f"not (application_id {ids}); fix the feed or set them missing"
        )
    if "feature_as_of" in df.columns and not pd.api.types.is_datetime64_any_dtype(
        df["feature_as_of"]
    ):
        raise TypeError(
            f"data['feature_as_of'] must be datetime (left by an earlier stale_feature_store), "
            f"got {df['feature_as_of'].dtype}; drop the column or convert it"
        )
    # A loan shopper's inquiries cluster in the weeks before applying, so a snapshot taken
    # months earlier misses most of them: each one is missing with probability `undercount`.
    # A missing count stays missing (the snapshot did not have it either).
    kept = np.zeros(inq.size)
    kept[present] = rng.binomial(inq[present].astype(np.int64), 1.0 - undercount)
    _write(df, "inquiries_6m", present, kept)
    lag = pd.Timedelta(days=int(stale_days))
    healthy = df["feature_as_of"] if "feature_as_of" in df.columns else df["applied_at"]
    as_of = healthy.where(~window, (df["applied_at"] - lag).array)
    flagged = window & _differs(healthy, as_of)
    df["feature_as_of"] = as_of
    return _Effect(
        columns=("inquiries_6m", "feature_as_of"),
        flagged=flagged,
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


_VERIFICATION_LEVELS = list(CATEGORIES["income_verification"])


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
    income_ratio = _number_opt(income_ratio, "income_ratio", "0.8")
    if income_ratio <= 0:
        raise ValueError(f"income_ratio={income_ratio!r} must be a positive ratio, e.g. 0.8")
    kind = "income_verification_vendor_change"
    _need(df, ["income_verification"], kind)
    vi = _numeric(df, "verified_income", kind)
    col = df["income_verification"]
    before = pd.Categorical(col, categories=_VERIFICATION_LEVELS).codes  # -1: missing/unknown
    # Lower match rate: each status steps down one level with probability `downgrade`.
    step = window & (rng.random(window.size) < downgrade) & (before >= 0) & (before < 2)
    codes = np.where(step, before + 1, before).astype(before.dtype)
    status = pd.Categorical.from_codes(codes, categories=_VERIFICATION_LEVELS)
    if isinstance(col.dtype, pd.CategoricalDtype) and list(col.cat.categories) != list(
        _VERIFICATION_LEVELS
    ):
        status = status.set_categories(col.cat.categories)
    if isinstance(col.dtype, pd.CategoricalDtype):
        df["income_verification"] = status
    else:  # keep a text column text; unknown values it held stay as they were
        df["income_verification"] = col.where(~step, pd.Series(status).astype(str).array)
    vi_new = np.where(window, np.round(vi * income_ratio, -2), vi)
    vi_new[window & (codes == 2)] = np.nan  # the vendor found nothing: no verified income
    _write(df, "verified_income", window, vi_new)
    return _Effect(
        columns=("income_verification", "verified_income"),
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


def _verification_feed_gap(
    df: pd.DataFrame,
    window: np.ndarray,
    rng: np.random.Generator,
    *,
    channel: str | None = None,
) -> _Effect:
    """The verification vendor's results never arrive: no status, no verified income."""
    kind = "verification_feed_gap"
    _need(df, ["income_verification"], kind)
    _numeric(df, "verified_income", kind)
    rows, segs = _slice(df, window, "channel", channel, kind)
    status = df["income_verification"].copy()
    status[rows] = np.nan
    df["income_verification"] = status
    _write(df, "verified_income", rows, np.nan)
    where = f" for channel {channel}" if channel else ""
    return _Effect(
        columns=("income_verification", "verified_income"),
        segments=segs,
        description=(
            f"Verification feed gap: the income verification vendor's results{where} never "
            "arrived for the window, so those applications have no verification status and "
            "no verified income."
        ),
        moves=(
            "income_verification null rate up (1.0 in the window)",
            "verified_income null rate up",
            "verification join coverage down",
            "verified vs stated income ratio missing",
        ),
        flat=(
            "bureau features",
            "stated annual_income and dti",
            "approval rate (the rules policy ignores verification)",
            "labels",
        ),
        expected={
            "income_verification null rate in window": "1.0 (reference 0)",
            "verified_income null rate in window": "1.0",
            "fico PSI": "< 0.1",
            "approval rate": "unchanged",
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
    util_drop = _number_opt(util_drop, "util_drop", "2.0")
    loan_change = _number_opt(loan_change, "loan_change", "-0.04")
    if not -0.5 < loan_change < 0.5:
        raise ValueError(
            f"loan_change={loan_change!r} must be a small relative change in (-0.5, 0.5)"
        )
    util = _numeric(df, "revol_util", "seasonality")
    loan = _numeric(df, "loan_amount", "seasonality")
    new_util = np.round(np.clip(util - util_drop, 0.0, 120.0), 1)
    new_loan = np.clip(np.round(loan * (1 + loan_change) / 25.0) * 25.0, 500.0, 40_000.0)
    _write(df, "revol_util", window, new_util)
    _write(df, "loan_amount", window, new_loan)
    return _Effect(
        columns=("revol_util", "loan_amount"),
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
    odds_ratio = _number_opt(odds_ratio, "odds_ratio", "2.0")
    if odds_ratio <= 1.0:
        raise ValueError(
            f"odds_ratio={odds_ratio!r} must be above 1 (a shock raises risk), e.g. 2.0"
        )
    p = _numeric(df, "pd_true", "concept_shift")
    old = _numeric(df, "defaulted", "concept_shift")
    rows, segs = _slice(df, window, "segment", segment, "concept_shift")
    # A row without a true PD has nothing to shift: it is left alone.
    rows = rows & ~np.isnan(p)
    outside = rows & ((p < 0) | (p > 1))
    if outside.any():
        ids = df["application_id"].to_numpy()[outside][:3].tolist()
        raise ValueError(
            f"pd_true must be a probability in [0, 1]; {int(outside.sum())} row(s) in the window "
            f"are not (application_id {ids})"
        )
    shifted = special.expit(special.logit(np.clip(p, 1e-9, 1 - 1e-9)) + np.log(odds_ratio))
    p_new = np.where(rows, np.round(shifted, 6), p)
    # Keep every existing default and add new ones so that P(default) = p_new exactly:
    # a non-defaulter flips with probability (p_new - p) / (1 - p).
    flip_p = np.where(rows, (p_new - p) / np.clip(1.0 - p, 1e-12, None), 0.0)
    flipped = rows & (old == 0) & (rng.random(p.size) < flip_p)
    _write(df, "pd_true", rows, p_new)
    _write(df, "defaulted", flipped, 1)
    cols: tuple[str, ...] = ("pd_true", "defaulted")
    if "months_to_default" in df.columns and flipped.any():
        # New defaults follow the book's own timing: resample months from existing defaulters.
        mtd = _numeric(df, "months_to_default", "concept_shift")
        pool = mtd[~np.isnan(mtd)]
        if pool.size == 0:
            raise ValueError("concept_shift needs some defaulters in data to time new defaults")
        drawn = rng.choice(pool, size=int(flipped.sum()))
        if "term_months" in df.columns:
            term = _numeric(df, "term_months", "concept_shift")[flipped]
            drawn = np.where(np.isnan(term), drawn, np.minimum(drawn, term))
        new_mtd = mtd.copy()
        new_mtd[flipped] = drawn
        _write(df, "months_to_default", flipped, new_mtd)
        cols = (*cols, "months_to_default")
        if all(c in df.columns for c in PATH_COLUMNS):
            # A new default rolls 30, 60, 90 DPD in the months before it (world.delinquency);
            # any earlier cured episode is dropped. No random draw: other rows keep their bytes.
            lag = float(DELINQUENCY_MODEL["months_30_to_charge_off"])
            for step, name in enumerate(PATH_COLUMNS[:3]):
                _write(df, name, flipped, new_mtd - lag + step)
            _write(df, "months_to_cure", flipped, np.full(new_mtd.size, np.nan))
            cols = (*cols, *PATH_COLUMNS)
    where = f"segment {segment}" if segment else "every segment"
    return _Effect(
        columns=cols,
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
    "income_verification_vendor_change": _income_verification_vendor_change,
    "verification_feed_gap": _verification_feed_gap,
    "partner_field_rename": _partner_field_rename,
    "broken_join": _broken_join,
    "stale_feature_store": _stale_feature_store,
    "seasonality": _seasonality,
    "concept_shift": _concept_shift,
}
if {n for n, s in FAULTS.items() if s.injectable} != set(_KIND_FUNCS):  # pragma: no cover
    raise RuntimeError("every injectable fault of FAULTS needs an injector, and only those")

#: The faults :func:`inject` can put into a book, in catalogue order (derived from FAULTS).
KINDS: tuple[str, ...] = tuple(n for n, s in FAULTS.items() if s.injectable)


def _options(kind: str) -> dict[str, Any]:
    params = list(inspect.signature(_KIND_FUNCS[kind]).parameters.values())[3:]
    return {p.name: p.default for p in params}


_DATE_TYPES = (str, dt.date, np.datetime64)  # dt.datetime and pd.Timestamp are dt.date


def _timestamp(value: Any, name: str, like: pd.Series) -> pd.Timestamp:
    if not isinstance(value, _DATE_TYPES):
        raise TypeError(
            f"{name}={value!r} must be a date (str, datetime or Timestamp), e.g. '2025-06-01'"
        )
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
    """Break ``data`` the way fault ``kind`` would, between ``start`` and ``end``.

    Parameters
    ----------
    data : DataFrame
        A world frame (:func:`lendlab.world.generate`, or a filtered, re-ordered or already
        broken copy of one) with ``application_id`` and a datetime ``applied_at``; never
        modified. Missing values are allowed: a fault leaves a missing value missing.
    kind : str
        One of :data:`KINDS` (see :data:`FAULTS` for each one's signature), with its options:

        ``bureau_outage`` (``share=0.3, score=300, hit_flag=True``),
        ``bureau_attribute_bug`` (``share=0.12, repull_column=None``),
        ``income_monthly_as_annual`` / ``income_annual_as_monthly`` (``channel=None``),
        ``income_verification_vendor_change`` (``downgrade=0.4, income_ratio=0.8``),
        ``verification_feed_gap`` (``channel=None``),
        ``partner_field_rename`` (``field="emp_length_years", channel="partner_api"`` or None
        for every channel, ``stage="null"|"imputed"``),
        ``broken_join`` (``mode="duplicate"`` with ``share=0.05``, or ``mode="misalign"``
        with ``columns=BUREAU_FIELDS``),
        ``stale_feature_store`` (``stale_days=90, undercount=0.6``),
        ``seasonality`` (``util_drop=2.0, loan_change=-0.04``),
        ``concept_shift`` (``segment=None, odds_ratio=2.0``).
    start, end : str, datetime or Timestamp
        Window ``[start, end)`` on ``applied_at``; naive times are read in the data's time zone.
        It must hold at least one application.
    seed : int, default 0
        Seed for the random choices (which rows fail, by how much).
    **options
        Options of the kind, listed above.

    Returns
    -------
    broken : DataFrame
        A copy of ``data`` with the fault applied (``broken_join`` duplicate mode adds rows
        and returns a fresh RangeIndex; every other kind keeps the index).
    record : InjectedFault
        What was done, which rows really changed, and the signature to expect.

    Raises
    ------
    TypeError
        ``data`` is not a DataFrame, or ``kind``, a date or an option has the wrong type.
    ValueError
        Unknown kind or option, a value out of range, a missing column, or a window that holds
        no application.

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

    Injections chain: only rows whose value really changes count.

    >>> b1, r1 = inject(book, "partner_field_rename", start="2025-05-01", end="2025-08-01",
    ...                 field="fico")
    >>> b2, r2 = inject(b1, "bureau_attribute_bug", start="2025-06-01", end="2025-07-01")
    >>> changed = (b2["fico"] != b1["fico"]) & b1["fico"].notna()
    >>> r2.rows_affected == int(changed.sum())
    True
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if not isinstance(kind, str):
        raise TypeError(f"kind={kind!r} must be a fault name (str), one of {list(KINDS)}")
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is unknown; use one of {list(KINDS)}")
    valid = _options(kind)
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ValueError(
            f"inject(kind={kind!r}) got unknown option(s) {unknown}; valid: {sorted(valid)}"
        )
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool | np.bool_):
        raise TypeError(f"seed={seed!r} must be a non-negative integer, e.g. 0")
    if seed < 0:
        raise ValueError(f"seed={seed!r} must be a non-negative integer")
    for col in ("applied_at", "application_id"):
        if col not in data.columns:
            raise ValueError(
                f"data has no {col!r} column; pass a frame from lendlab.world.generate"
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
    window = ((when >= t0) & (when < t1)).to_numpy(dtype=bool)
    if not window.any():
        raise ValueError(
            f"no applications between start={start!r} and end={end!r}; data runs from "
            f"{when.min()} to {when.max()}"
        )
    rng = np.random.default_rng(seed)
    effect = _KIND_FUNCS[kind](broken, window, rng, **options)
    ids = data["application_id"].to_numpy()
    if effect.duplicated:
        rows = effect.flagged & window
        # Each duplicated row sits right after its original, as a fanned-out join would put it.
        order = np.concatenate([np.arange(len(broken)), np.flatnonzero(rows)])
        order = order[np.argsort(order, kind="stable")]
        broken = broken.iloc[order].reset_index(drop=True)
    else:
        changed = np.zeros(len(data), dtype=bool)
        for col in effect.columns:
            if col in data.columns:
                changed |= _differs(data[col], broken[col])
        if (changed & ~window).any():  # pragma: no cover - a broken injector, not bad input
            raise RuntimeError(f"inject(kind={kind!r}) changed rows outside the window")
        if effect.flagged is not None:
            changed |= effect.flagged
        rows = changed & window
        _policy(broken, rows)
    description = effect.description
    if not rows.any():
        description += (
            " Nothing changed: no row in the window held a value this fault alters "
            "(e.g. every value already missing, or no application of the slice)."
        )
    return broken, InjectedFault(
        kind=kind,
        start=t0,
        end=t1,
        columns=tuple(effect.columns),
        segments=effect.segments,
        rows_affected=int(rows.sum()),
        description=description,
        moves=effect.moves,
        flat=effect.flat,
        expected=effect.expected,
        application_ids=tuple(int(i) for i in ids[rows]),
    )
