"""A batch feature pipeline that can be broken on purpose, and the contracts that catch it.

Three raw sources feed the model's feature table, as at a real lender:

* ``applications``: what the applicant (or a partner's API) stated: income, monthly debt, loan;
* ``bureau_pulls``: one row per bureau request; a timed-out request leaves a row of nulls and is
  retried a few seconds later;
* ``verifications``: the income verification vendor's answer, one row per application.

:func:`build_features` dedupes the pulls (latest successful one), joins with ``merge(...,
validate=...)``, and derives DTI, loan-to-income and the verified/stated income ratio.
``breaks`` switches on faults of the one fault catalogue, :data:`lendlab.world.faults.FAULTS`
(:data:`BREAKS` lists the names that are pipeline breaks; the same name injects the fault into
a book with :func:`lendlab.world.faults.inject`); :data:`CONTRACTS` holds the data contracts
for the three sources and the feature table; :func:`check_pipeline` runs them all.

Example
-------
>>> from lendlab import world
>>> sources = split_sources(world.generate(2_000, seed=1), seed=1)
>>> features = build_features(sources)
>>> len(check_pipeline(sources, features))
0
>>> broken = build_features(sources, breaks=["broken_join"])
>>> sorted(set(check_pipeline(sources, broken, breaks=["broken_join"])["rule"]))
['null_budget', 'unique']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from lendlab.quality.contracts import (
    VIOLATION_COLUMNS,
    Column,
    Contract,
    Coverage,
    Freshness,
    Lag,
    validate,
)
from lendlab.world import features as derived
from lendlab.world.faults import FAULTS
from lendlab.world.schema import BUREAU_FIELDS, CATEGORIES, FEATURES

__all__ = [
    "Sources",
    "BREAKS",
    "CONTRACTS",
    "split_sources",
    "apply_breaks",
    "build_features",
    "check_pipeline",
    "BUREAU_COLUMNS",
]

#: Fields a bureau pull returns: :data:`lendlab.world.schema.BUREAU_FIELDS`.
BUREAU_COLUMNS: tuple[str, ...] = BUREAU_FIELDS
_APP_COLUMNS = (
    "application_id",
    "applied_at",
    "channel",
    "region",
    "segment",
    "annual_income",
    "monthly_debt",
    "loan_amount",
    "term_months",
    "emp_length_years",
    "home_ownership",
)
_BOOK_COLUMNS = (
    "application_id",
    "applied_at",
    "channel",
    "region",
    "segment",
    "annual_income",
    "dti",
    "loan_amount",
    "term_months",
    "emp_length_years",
    "home_ownership",
    "income_verification",
    "verified_income",
    *BUREAU_COLUMNS,
)

#: The faults :func:`build_features` can switch on: the names of the fault catalogue
#: (:data:`lendlab.world.faults.FAULTS`) that are pipeline breaks; what each break does is
#: ``FAULTS[name].pipeline_break``.
BREAKS: tuple[str, ...] = tuple(name for name, spec in FAULTS.items() if spec.pipeline_break)
#: Break names used before the catalogue was merged, so an old name gets a pointed error.
_FORMER_BREAKS = {
    "bureau_join_duplicates": "broken_join",
    "stale_bureau": "stale_feature_store",
    "income_units": "income_monthly_as_annual",
    "drop_verification": "verification_feed_gap",
    "rename_partner_field": "partner_field_rename",
}
#: Columns of the raw tables each break reads (checked before it runs).
_BREAK_NEEDS: dict[str, dict[str, tuple[str, ...]]] = {
    "stale_feature_store": {"bureau_pulls": ("pulled_at", "inquiries_6m")},
    "income_monthly_as_annual": {"applications": ("channel", "annual_income")},
    "verification_feed_gap": {"verifications": ("verified_at",)},
    "partner_field_rename": {"applications": ("channel", "emp_length_years")},
    "broken_join": {},
}


@dataclass(frozen=True)
class Sources:
    """The three raw tables and the time the batch runs (``as_of``, used by freshness rules)."""

    applications: pd.DataFrame
    bureau_pulls: pd.DataFrame
    verifications: pd.DataFrame
    as_of: pd.Timestamp

    def __post_init__(self) -> None:
        keys = {
            "applications": ("application_id", "applied_at"),
            "bureau_pulls": ("application_id", "pulled_at"),
            "verifications": ("application_id", "verified_at"),
        }
        for name, columns in keys.items():
            frame = getattr(self, name)
            if not isinstance(frame, pd.DataFrame):
                raise TypeError(
                    f"Sources.{name} must be a pandas DataFrame, got {type(frame).__name__}; "
                    "build the sources with split_sources(book)"
                )
            missing = [c for c in columns if c not in frame.columns]
            if missing:
                raise ValueError(
                    f"Sources.{name} is missing column(s) {missing}; build the sources with "
                    "split_sources(book)"
                )
        if self.applications.empty:
            raise ValueError("Sources.applications is empty; generate some applications first")
        if not isinstance(self.as_of, pd.Timestamp) or self.as_of.tzinfo is None:
            raise TypeError(
                f"Sources.as_of must be a timezone-aware pandas Timestamp (UTC), got {self.as_of!r}"
            )

    def tables(self) -> dict[str, pd.DataFrame]:
        """The raw tables by name (the names :data:`CONTRACTS` uses).

        Examples
        --------
        >>> from lendlab import world
        >>> sorted(split_sources(world.generate(100, seed=1)).tables())
        ['applications', 'bureau_pulls', 'verifications']
        """
        return {
            "applications": self.applications,
            "bureau_pulls": self.bureau_pulls,
            "verifications": self.verifications,
        }


#: Book columns that may be missing for a real reason (employment left blank; not verified).
_MAY_BE_MISSING = ("emp_length_years", "verified_income")


def _require_complete(book: pd.DataFrame) -> None:
    """Keys and stated/bureau numbers must be present: a NaN here would become a NaN join key."""
    for column in _BOOK_COLUMNS:
        if column in _MAY_BE_MISSING:
            continue
        missing = book[column].isna()
        if missing.any():
            rows = list(book.index[missing.to_numpy()][:3])
            raise ValueError(
                f"book[{column!r}] has {int(missing.sum())} missing value(s) (rows {rows}); "
                "split_sources needs the world's complete book -- drop or fill those rows first"
            )


def _require(frame: object, columns: Iterable[str], name: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{name} is missing column(s) {missing}; build it with split_sources(book)"
        )
    if frame.empty:
        raise ValueError(f"{name} is empty; generate some applications first")
    return frame


def split_sources(book: pd.DataFrame, *, seed: int = 0, timeout_rate: float = 0.04) -> Sources:
    """Turn a world frame into the three raw tables a lender's pipeline reads.

    Parameters
    ----------
    book : DataFrame
        Output of :func:`lendlab.world.generate`.
    seed : int, default 0
        Seed for request timings and which bureau pulls time out.
    timeout_rate : float, default 0.04
        Share of applications whose first bureau pull timed out (a row of nulls) and was retried.

    Returns
    -------
    Sources
        ``applications`` (stated fields; DTI is carried as ``monthly_debt``), ``bureau_pulls``
        (``application_id, pulled_at`` and the bureau fields as nullable integers / floats),
        ``verifications`` (``application_id, verified_at, status, verified_income``) and
        ``as_of`` (midnight after the last application: when the nightly batch runs).

    Examples
    --------
    >>> from lendlab import world
    >>> s = split_sources(world.generate(1_000, seed=1), seed=1)
    >>> len(s.applications), len(s.bureau_pulls) > 1_000, s.verifications["status"].isna().any()
    (1000, True, np.False_)
    """
    _require(book, _BOOK_COLUMNS, "book")
    _require_complete(book)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed={seed!r} must be a non-negative integer")
    if (
        isinstance(timeout_rate, bool)
        or not isinstance(timeout_rate, int | float)
        or not 0.0 <= timeout_rate < 1.0
    ):
        raise ValueError(f"timeout_rate={timeout_rate!r} must be a share in [0, 1), e.g. 0.04")
    rng = np.random.default_rng(seed)
    n = len(book)
    ids = book["application_id"].to_numpy()
    applied = book["applied_at"]

    apps = book[[c for c in _APP_COLUMNS if c in book.columns and c != "monthly_debt"]].copy()
    # DTI is a derived feature: the raw application carries the monthly debt payments.
    debt = np.round(book["dti"].to_numpy() / 100.0 * book["annual_income"].to_numpy() / 12.0, 2)
    apps.insert(apps.columns.get_loc("annual_income") + 1, "monthly_debt", debt)
    apps = apps.reset_index(drop=True)

    seconds = pd.to_timedelta(rng.integers(10, 41, n), unit="s")
    # .array keeps tz-aware times vectorised (to_numpy() would box a million Timestamps)
    good = pd.DataFrame({"application_id": ids, "pulled_at": (applied + seconds).array})
    for col in BUREAU_COLUMNS:
        values = book[col].to_numpy()
        good[col] = pd.array(values, dtype="Int64") if col != "revol_util" else values.astype(float)
    timed_out = rng.random(n) < timeout_rate
    failed = pd.DataFrame(
        {
            "application_id": ids[timed_out],
            "pulled_at": (
                applied[timed_out]
                + pd.to_timedelta(rng.integers(1, 6, int(timed_out.sum())), unit="s")
            ).array,
        }
    )
    for col in BUREAU_COLUMNS:
        failed[col] = (
            pd.array([pd.NA] * len(failed), dtype="Int64")
            if col != "revol_util"
            else np.full(len(failed), np.nan)
        )
    bureau = pd.concat([good, failed], ignore_index=True)
    bureau = _by_time(bureau, "pulled_at")

    hours = rng.uniform(0.5, 72.0, n)
    verif = pd.DataFrame(
        {
            "application_id": ids,
            "verified_at": (applied + pd.to_timedelta(np.round(hours * 3600), unit="s")).array,
            "status": _verification_status(book["income_verification"]),
            "verified_income": book["verified_income"].to_numpy(),
        }
    )
    verif = _by_time(verif, "verified_at")
    as_of = applied.max().floor("D") + pd.Timedelta(days=1)
    return Sources(apps, bureau, verif, as_of)


def _verification_status(status: pd.Series) -> pd.Categorical:
    cats = list(_CATEGORIES["income_verification"])
    if isinstance(status.dtype, pd.CategoricalDtype):
        return status.cat.set_categories(cats).array
    return pd.Categorical(status.astype(str), categories=cats)


def _by_time(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Rows in arrival order (time, then application id), as a feed would deliver them."""
    order = np.lexsort((frame["application_id"].to_numpy(), frame[column].array.asi8))
    return frame.take(order).reset_index(drop=True)


def _check_breaks(breaks: Iterable[str]) -> tuple[str, ...]:
    if isinstance(breaks, str):
        breaks = (breaks,)
    if not isinstance(breaks, Iterable):
        raise TypeError(
            f"breaks={breaks!r} must be a break name or a list of them, e.g. ['broken_join']"
        )
    breaks = tuple(breaks)
    wrong = [b for b in breaks if not isinstance(b, str)]
    if wrong:
        raise TypeError(f"breaks must be names (str), got {wrong}; use any of {list(BREAKS)}")
    unknown = [b for b in breaks if b not in BREAKS]
    if unknown:
        renamed = [f"{b!r} is now {_FORMER_BREAKS[b]!r}" for b in unknown if b in _FORMER_BREAKS]
        injectable = [b for b in unknown if b in FAULTS]
        hint = f" ({'; '.join(renamed)})" if renamed else ""
        if injectable:
            hint += (
                f" ({injectable} can only be injected into a book: "
                "lendlab.world.faults.inject(book, name, ...), then split_sources)"
            )
        raise ValueError(f"unknown break(s) {unknown}{hint}; use any of {list(BREAKS)}")
    return tuple(dict.fromkeys(breaks))


def _check_break_inputs(sources: Sources, breaks: tuple[str, ...]) -> None:
    tables = sources.tables()
    for brk in breaks:
        for name, columns in _BREAK_NEEDS[brk].items():
            table = tables[name]
            if not isinstance(table, pd.DataFrame):
                raise TypeError(
                    f"sources.{name} must be a pandas DataFrame, got {type(table).__name__}"
                )
            missing = [c for c in columns if c not in table.columns]
            if missing:
                raise ValueError(
                    f"break {brk!r} needs column(s) {missing} in sources.{name}; build the "
                    "sources with split_sources(book)"
                )
            for col in columns:
                dtype = table[col].dtype
                if col.endswith("_at"):
                    ok, want = pd.api.types.is_datetime64_any_dtype(dtype), "datetime"
                elif col == "channel":
                    ok, want = True, ""
                else:
                    ok = pd.api.types.is_numeric_dtype(dtype) and not (
                        pd.api.types.is_bool_dtype(dtype)
                    )
                    want = "numeric"
                if not ok:
                    raise TypeError(
                        f"break {brk!r} needs a {want} sources.{name}[{col!r}], got dtype "
                        f"{dtype}; convert it at the boundary (pd.to_numeric / pd.to_datetime) "
                        "or rebuild the sources with split_sources(book)"
                    )


def apply_breaks(sources: Sources, breaks: Iterable[str] = ()) -> Sources:
    """The raw tables as the pipeline sees them once ``breaks`` are switched on.

    Only faults that live in the data change anything here (``stale_feature_store``,
    ``income_monthly_as_annual``, ``verification_feed_gap``, ``partner_field_rename``);
    ``broken_join`` is a bug in a pipeline step and shows only in :func:`build_features`. What
    each break does is ``lendlab.world.faults.FAULTS[name].pipeline_break``. The input is never
    modified.

    Parameters
    ----------
    sources : Sources
        From :func:`split_sources`.
    breaks : str or iterable of str, optional
        Any of :data:`BREAKS`; a name given twice is applied once.

    Returns
    -------
    Sources
        The raw tables with the breaks applied (the same ``as_of``).

    Raises
    ------
    TypeError
        ``sources`` is not a :class:`Sources`, or a break is not a string.
    ValueError
        An unknown break (a former name says what it is called now), or a raw table lacks a
        column the break reads.

    Examples
    --------
    >>> from lendlab import world
    >>> s = split_sources(world.generate(1_000, seed=1))
    >>> "employment_length" in apply_breaks(s, ["partner_field_rename"]).applications
    True
    >>> from lendlab.world.faults import FAULTS
    >>> FAULTS["partner_field_rename"].where
    ('book', 'pipeline')
    """
    if not isinstance(sources, Sources):
        raise TypeError(f"sources must come from split_sources(book), got {type(sources).__name__}")
    breaks = _check_breaks(breaks)
    _check_break_inputs(sources, breaks)
    apps, bureau, verif = sources.applications, sources.bureau_pulls, sources.verifications
    if "stale_feature_store" in breaks:
        bureau = bureau.copy()
        bureau["pulled_at"] = bureau["pulled_at"] - pd.Timedelta(days=90)
        bureau["inquiries_6m"] = bureau["inquiries_6m"] // 2
    if "income_monthly_as_annual" in breaks:
        apps = apps.copy()
        partner = apps["channel"] == "partner_api"
        apps.loc[partner, "annual_income"] = np.round(apps.loc[partner, "annual_income"] / 12.0, 0)
    if "verification_feed_gap" in breaks:
        cutoff = verif["verified_at"].max() - pd.Timedelta(days=7)
        verif = verif[verif["verified_at"] <= cutoff].reset_index(drop=True)
    if "partner_field_rename" in breaks:
        apps = apps.copy()
        partner = (apps["channel"] == "partner_api").to_numpy()
        apps["employment_length"] = apps["emp_length_years"].where(partner)
        apps.loc[partner, "emp_length_years"] = np.nan
    return replace(sources, applications=apps, bureau_pulls=bureau, verifications=verif)


def build_features(sources: Sources, *, breaks: Iterable[str] = ()) -> pd.DataFrame:
    """Build the model's feature table from the raw sources (one row per application).

    Steps: keep the latest successful bureau pull per application; left-join applications to
    it (``validate="one_to_one"``) and to the verification result (``validate="many_to_one"``:
    the vendor must send one answer per application); derive ``dti`` (% of monthly
    income going to debt), ``loan_to_income`` and ``verified_to_stated`` (verified / stated
    income). Missing employment length stays NaN ("unknown" is information, not an error).

    Parameters
    ----------
    sources : Sources
        From :func:`split_sources`.
    breaks : str or iterable of str, optional
        Faults to switch on, any of :data:`BREAKS` (names of
        :data:`lendlab.world.faults.FAULTS`; ``FAULTS[name].pipeline_break`` says what each
        does here).

    Returns
    -------
    DataFrame
        ``application_id, applied_at``, the model features of :mod:`lendlab.world` (same
        values on a clean run), ``income_verification, verified_income, loan_to_income,
        verified_to_stated, bureau_pulled_at, verified_at``.

    Examples
    --------
    >>> from lendlab import world
    >>> book = world.generate(1_000, seed=1)
    >>> f = build_features(split_sources(book))
    >>> bool((f["fico"].to_numpy() == book["fico"].to_numpy()).all())
    True
    """
    breaks = _check_breaks(breaks)
    src = apply_breaks(sources, breaks)
    apps = _require(src.applications, _APP_COLUMNS, "sources.applications")
    bureau = _require(
        src.bureau_pulls, ("application_id", "pulled_at", *BUREAU_COLUMNS), "sources.bureau_pulls"
    )
    verif = _require(
        src.verifications,
        ("application_id", "verified_at", "status", "verified_income"),
        "sources.verifications",
    )

    bureau = bureau.rename(columns={"pulled_at": "bureau_pulled_at"})
    if "broken_join" in breaks:
        joined = apps.merge(bureau, on="application_id", how="left")  # the bug: no dedupe
    else:
        # A timed-out pull is a row of nulls; the retry a few seconds later is the one to use.
        ok = bureau.dropna(subset=list(BUREAU_COLUMNS), how="all")
        latest = ok.sort_values("bureau_pulled_at", kind="stable").drop_duplicates(
            "application_id", keep="last"
        )
        joined = apps.merge(latest, on="application_id", how="left", validate="one_to_one")
        for col in BUREAU_COLUMNS:  # back to plain int64 where nothing is missing
            if joined[col].dtype == "Int64" and not joined[col].isna().any():
                joined[col] = joined[col].astype("int64")

    verif = verif.rename(columns={"status": "income_verification"})
    joined = joined.merge(verif, on="application_id", how="left", validate="many_to_one")

    monthly_income = joined["annual_income"] / 12.0
    joined["dti"] = np.round(joined["monthly_debt"] / monthly_income * 100.0, 2)
    # The same functions the models use (lendlab.world.features): same names, same values.
    joined["loan_to_income"] = derived.loan_to_income(
        joined["loan_amount"], joined["annual_income"]
    )
    joined["verified_to_stated"] = derived.verified_to_stated(
        joined["verified_income"], joined["annual_income"]
    )
    order = [
        "application_id",
        "applied_at",
        "channel",
        "region",
        "segment",
        *FEATURES,  # the model inputs in the schema's order
        "home_ownership",
        "income_verification",
        "verified_income",
        "loan_to_income",
        "verified_to_stated",
        "bureau_pulled_at",
        "verified_at",
    ]
    return joined[order].reset_index(drop=True)


_CATEGORIES = CATEGORIES  # the world's category lists (lendlab.world.schema)

_BUREAU_RULES = {
    "fico": Column(dtype="int", min=300, max=850, max_mode_share=0.05),
    "inquiries_6m": Column(dtype="int", min=0, max=30),
    "revol_util": Column(dtype="float", min=0.0, max=120.0),
    "delinq_2y": Column(dtype="int", min=0, max=30),
    "open_accounts": Column(dtype="int", min=1, max=60),
}
_STATED_RULES = {
    "application_id": Column(dtype="int"),
    "applied_at": Column(dtype="datetime"),
    "channel": Column(dtype="category", allowed=_CATEGORIES["channel"]),
    "region": Column(dtype="category", allowed=_CATEGORIES["region"]),
    "segment": Column(dtype="category", allowed=_CATEGORIES["segment"]),
    # Income: a monthly figure in this field is the classic unit bug; p1 of real incomes ~$18K.
    "annual_income": Column(dtype="float", min=3_000, max=2_000_000),
    "loan_amount": Column(dtype="float", min=500, max=40_000),
    "term_months": Column(dtype="int", allowed=(36, 60)),
    # ~6% of applicants leave employment length blank; more than 10% means a feed problem.
    "emp_length_years": Column(dtype="float", min=0, max=10, max_null=0.10),
    "home_ownership": Column(dtype="category", allowed=_CATEGORIES["home_ownership"]),
}

#: Default data contracts: the three raw sources and the feature table.
CONTRACTS: dict[str, Contract] = {
    "applications": Contract(
        name="applications",
        columns={**_STATED_RULES, "monthly_debt": Column(dtype="float", min=0, max=100_000)},
        unique=["application_id"],
        freshness=Freshness("applied_at", max_age="2D"),
        joins=[
            Coverage("application_id", right="bureau_pulls"),
            Coverage("application_id", right="verifications"),
        ],
        strict=True,  # a partner renaming a field shows up as an unexpected column
    ),
    "bureau_pulls": Contract(
        name="bureau_pulls",
        columns={
            "application_id": Column(dtype="int"),
            "pulled_at": Column(dtype="datetime"),
            # a timed-out pull is a row of nulls: tolerated up to 10% of requests
            **{k: replace(v, max_null=0.10) for k, v in _BUREAU_RULES.items()},
        },
        unique=[("application_id", "pulled_at")],
        freshness=Freshness("pulled_at", max_age="2D"),
        joins=Coverage("application_id", right="applications"),
    ),
    "verifications": Contract(
        name="verifications",
        columns={
            "application_id": Column(dtype="int"),
            "verified_at": Column(dtype="datetime"),
            "status": Column(dtype="category", allowed=_CATEGORIES["income_verification"]),
            # null exactly when not verified (~30% of applications)
            "verified_income": Column(dtype="float", min=0, max=2_000_000, max_null=0.45),
        },
        unique=["application_id"],
        freshness=Freshness("verified_at", max_age="2D"),
        joins=Coverage("application_id", right="applications"),
    ),
    "features": Contract(
        name="features",
        columns={
            **_STATED_RULES,
            **_BUREAU_RULES,
            "dti": Column(dtype="float", min=0, max=100),
            "income_verification": Column(
                dtype="category", allowed=_CATEGORIES["income_verification"]
            ),
            "verified_income": Column(dtype="float", min=0, max=2_000_000, max_null=0.45),
            "loan_to_income": Column(dtype="float", min=0, max=10),
            "verified_to_stated": Column(dtype="float", min=0.2, max=5, max_null=0.45),
            "bureau_pulled_at": Column(dtype="datetime"),
            "verified_at": Column(dtype="datetime"),
        },
        unique=["application_id"],
        freshness=[
            Lag("bureau_pulled_at", "applied_at", max_lag="1D"),
            Lag("applied_at", "verified_at", max_lag="7D"),
        ],
        strict=True,
    ),
}


def check_pipeline(
    sources: Sources,
    features: pd.DataFrame | None = None,
    *,
    breaks: Iterable[str] = (),
    contracts: dict[str, Contract] | None = None,
    as_of: object = None,
) -> pd.DataFrame:
    """Validate the raw sources (as seen with ``breaks``) and the feature table in one go.

    Parameters
    ----------
    sources : Sources
        From :func:`split_sources`.
    features : DataFrame, optional
        Output of :func:`build_features`; skipped when None.
    breaks : str or iterable of str, optional
        The breaks the run used (any of :data:`BREAKS`), so the raw tables are checked as the
        pipeline saw them.
    contracts : dict of str to Contract, optional
        Defaults to :data:`CONTRACTS` (keys ``applications, bureau_pulls, verifications,
        features``).
    as_of : timestamp-like, optional
        "Now" for the freshness rules; defaults to ``sources.as_of`` (when the batch runs).

    Returns
    -------
    DataFrame
        ``table`` plus the columns of :func:`lendlab.quality.contracts.validate`; empty when
        every table honours its contract.

    Examples
    --------
    >>> from lendlab import world
    >>> s = split_sources(world.generate(2_000, seed=3), seed=3)
    >>> brk = ["income_monthly_as_annual"]
    >>> v = check_pipeline(s, build_features(s, breaks=brk), breaks=brk)
    >>> sorted(set(v["table"]))
    ['applications', 'features']
    """
    contracts = CONTRACTS if contracts is None else contracts
    src = apply_breaks(sources, breaks)
    as_of = src.as_of if as_of is None else as_of
    tables = src.tables()
    frames = []
    for name, table in tables.items():
        if name not in contracts:
            continue
        others = {k: v for k, v in tables.items() if k != name}
        v = validate(table, contracts[name], as_of=as_of, join=others)
        frames.append(v.assign(table=name))
    if features is not None and "features" in contracts:
        v = validate(features, contracts["features"], as_of=as_of)
        frames.append(v.assign(table="features"))
    if not frames:
        return pd.DataFrame(columns=["table", *VIOLATION_COLUMNS])
    out = pd.concat(frames, ignore_index=True)
    return out[["table", *VIOLATION_COLUMNS]].astype({"table": "str"})
