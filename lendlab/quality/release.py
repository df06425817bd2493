"""A bad release of the nightly feature job, the two gates before scoring, and what it costs.

The nightly batch job (:func:`lendlab.quality.build_features`) populates income verification
and DTI. :data:`VARIANTS` are broken *releases* of that job, each a function of one night's
raw sources that returns the feature partition the bad release would write, with a
:class:`ReleaseRecord` of the rows and columns it corrupted (:func:`release`). Every variant
reuses :func:`~lendlab.quality.build_features` (no second feature computation); the unit change
is the catalogue fault ``income_monthly_as_annual`` of :data:`lendlab.world.faults.FAULTS`.

Two gates stand between the job and the scorecard:

* :func:`contract_gate`: the data contracts (:func:`lendlab.quality.check_pipeline` on the raw
  tables the job read and on the partition it wrote). Invariants: a rule either holds or not.
* :func:`canary`: a feature-table canary that compares the new partition with the last good one
  (PSI per column with :func:`lendlab.drift.psi`, null-share and spike-share deltas, the row
  count ratio and join coverage) within :data:`CANARY_TOLERANCES`. Statistics: it tolerates noise.

:func:`simulate_release` runs a release over nightly partitions (:func:`nightly_partitions`)
with both gates in dry-run mode (evaluated every night, blocking nothing) and scores every
application with the champion on the bad and on the correct features; :func:`corrupted_decisions`
counts the decisions that differ, without a gate (the release runs until someone notices) and
with each gate (the partition is blocked on the detection night and its applications re-decided).

Example
-------
>>> from lendlab import world
>>> book = world.generate(6_000, seed=1, start="2026-03-02", days=3)
>>> nights = nightly_partitions(book, seed=1)
>>> bad, record = release(nights[1], "partial_zero_dti", seed=1)
>>> record.kind, record.columns, record.rows_corrupted > 0
('silent partial failure', ('dti',), True)
>>> good = quality.build_features(nights[0])
>>> contract_gate(nights[1], bad).passed, canary(bad, good).passed
(True, False)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from lendlab import drift, quality
from lendlab.world.faults import FAULTS
from lendlab.world.schema import FEATURES

__all__ = [
    "ReleaseVariant",
    "ReleaseRecord",
    "GateResult",
    "ReleaseRun",
    "VARIANTS",
    "GATES",
    "CANARY_COLUMNS",
    "CANARY_TOLERANCES",
    "NOTICED_AFTER",
    "MIN_SLICE_ROWS",
    "nightly_partitions",
    "release",
    "contract_gate",
    "canary",
    "simulate_release",
    "corrupted_decisions",
]

#: The gates, in pipeline order; ``"both"`` in :func:`corrupted_decisions` means either.
GATES: tuple[str, ...] = ("contracts", "canary")
#: Columns the canary compares: the model inputs, the verification fields and the two ratios
#: the job derives.
CANARY_COLUMNS: tuple[str, ...] = (
    *FEATURES,
    "income_verification",
    "verified_income",
    "loan_to_income",
    "verified_to_stated",
)
#: The canary's tolerances (new partition against the last good one). Each is documented:
#:
#: * ``psi``: PSI per column above this fails (0.25, the folklore "significant" line,
#:   :data:`lendlab.drift.PSI_SIGNIFICANT`; reference deciles, missing values a bin of their
#:   own). Two healthy nights of ~2,000 applications differ by a PSI of about 0.01.
#: * ``psi`` also applies per channel slice (``slice_by``), see :func:`canary`.
#: * ``null_share``: a column's null share may move by at most 10 points (unverified income is
#:   ~30% null, and moves by up to ~6 points between a Sunday and a Monday: the channel mix
#:   changes with the weekday).
#: * ``spike_share``: the share of a continuous column's single most common value may grow by
#:   at most 5 points (a default fill piles rows on one value; discrete columns such as term or
#:   inquiries always have a big mode, so only columns with more than 50 distinct values count).
#: * ``row_ratio``: rows tonight / rows in the last good partition within [0.6, 1.6]: the
#:   weekday pattern alone moves it between about 0.84 (Saturday after Friday) and 1.44
#:   (Monday after Sunday), so it cannot be tight.
#: * ``join_coverage``: the share of the night's applications that reach the partition with an
#:   income verification joined may fall by at most 2 points against the last good night.
CANARY_TOLERANCES: dict[str, Any] = {
    "psi": 0.25,
    "null_share": 0.10,
    "spike_share": 0.05,
    "row_ratio": (0.6, 1.6),
    "join_coverage": 0.02,
}
#: Nights a bad release runs before someone notices without a gate (risk ops sees approvals
#: drift in the weekly review, or a broker complains): an assumption, change it per lender.
NOTICED_AFTER = 5
_SPIKE_MIN_DISTINCT = 50
#: Smallest slice (rows on each night) the canary computes a PSI for: at 300 rows a healthy
#: slice's decile PSI is about 0.06, well under the 0.25 tolerance.
MIN_SLICE_ROWS = 300
_CHECK_COLUMNS = ["check", "column", "observed", "reference", "tolerance", "passed", "reason"]


# --------------------------------------------------------------------------- the variants


@dataclass(frozen=True)
class ReleaseVariant:
    """One broken release of the nightly job.

    Attributes
    ----------
    name : str
        The variant's name (a key of :data:`VARIANTS`).
    kind : str
        ``"unit change"``, ``"dropped join"``, ``"stale partition"`` or
        ``"silent partial failure"``.
    description : str
        What the release does wrong, as the post-mortem would say it.
    columns : tuple of str
        Feature columns it corrupts (for a dropped join: the verification columns of the lost
        rows).
    fault : str
        The name in :data:`lendlab.world.faults.FAULTS` when the variant is a catalogue fault,
        else ``""``.
    related : tuple of str
        Catalogue faults with a similar signature (for triage), when it is not one itself.
    """

    name: str
    kind: str
    description: str
    columns: tuple[str, ...]
    fault: str = ""
    related: tuple[str, ...] = ()
    needs_previous: bool = False


@dataclass(frozen=True)
class ReleaseRecord:
    """The truth about one bad partition: which rows and columns the release corrupted.

    ``application_ids`` holds every application whose feature row differs from the correct
    one in ``columns`` or that is missing from the partition (``rows_dropped`` of them).
    """

    variant: str
    kind: str
    fault: str
    columns: tuple[str, ...]
    rows_in: int
    rows_out: int
    rows_corrupted: int
    rows_dropped: int
    description: str
    application_ids: tuple[int, ...] = field(default=(), repr=False)


_SHARES = {"partial_zero_dti": 0.15, "partial_null_dti": 0.02}

VARIANTS: dict[str, ReleaseVariant] = {
    v.name: v
    for v in (
        ReleaseVariant(
            "income_monthly_as_annual",
            "unit change",
            "The release reads the partner API's new income field, which is monthly, into "
            "annual_income: partner_api income is 12x too small, DTI and loan-to-income 12x too "
            "big (the catalogue fault of the same name).",
            ("annual_income", "dti", "loan_to_income", "verified_to_stated"),
            fault="income_monthly_as_annual",
        ),
        ReleaseVariant(
            "verification_inner_join",
            "dropped join",
            "The refactored verification join is an inner join against the vendor's matched "
            "results: applications the vendor could not verify (no verified income) silently "
            "drop out of the partition and are never scored that night.",
            ("income_verification", "verified_income"),
            related=("verification_feed_gap", "broken_join"),
        ),
        ReleaseVariant(
            "stale_verification_partition",
            "stale partition",
            "The release reads yesterday's verification partition (a hard-coded date): no "
            "result matches tonight's applications, so every row gets no verification status "
            "and no verified income after the left join.",
            ("income_verification", "verified_income", "verified_to_stated"),
            related=("stale_feature_store", "verification_feed_gap"),
            needs_previous=True,
        ),
        ReleaseVariant(
            "partial_zero_dti",
            "silent partial failure",
            "The new debt-lookup step times out for 15% of rows and the release writes "
            "COALESCE(dti, 0): those applicants look debt-free. Nothing fails.",
            ("dti",),
            related=("bureau_outage",),
        ),
        ReleaseVariant(
            "partial_null_dti",
            "silent partial failure",
            "One of fifty writer shards fails quietly: 2% of rows are written with a null DTI.",
            ("dti",),
            related=("partner_field_rename",),
        ),
    )
}


def _check_variant(variant: Any) -> ReleaseVariant:
    if isinstance(variant, ReleaseVariant):
        variant = variant.name
    if not isinstance(variant, str):
        raise TypeError(
            f"variant={variant!r} must be a variant name (str), one of {list(VARIANTS)}"
        )
    if variant not in VARIANTS:
        hint = ""
        if variant in FAULTS:
            hint = f" ({variant!r} is a catalogue fault: quality.build_features(breaks=[...]))"
        raise ValueError(f"unknown variant {variant!r}{hint}; use one of {list(VARIANTS)}")
    return VARIANTS[variant]


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed={seed!r} must be a non-negative integer, e.g. 2026")
    if seed < 0:
        raise ValueError(f"seed={seed!r} must be a non-negative integer, e.g. 2026")
    return int(seed)


def _check_sources(sources: Any, name: str = "sources") -> quality.Sources:
    if not isinstance(sources, quality.Sources):
        raise TypeError(
            f"{name} must be a night's quality.Sources (from nightly_partitions(book)), got "
            f"{type(sources).__name__}"
        )
    return sources


def _differs(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise 'not the same value' with NaN == NaN (categoricals compared as objects)."""
    av, bv = a.astype(object).to_numpy(), b.astype(object).to_numpy()
    a_na, b_na = pd.isna(av), pd.isna(bv)
    both = ~a_na & ~b_na
    out = a_na != b_na
    out[both] = av[both] != bv[both]
    return out


def _record(
    spec: ReleaseVariant, sources: quality.Sources, good: pd.DataFrame, bad: pd.DataFrame
) -> ReleaseRecord:
    ids_in = sources.applications["application_id"].to_numpy()
    g = good.set_index("application_id")
    b = bad.set_index("application_id")
    common = g.index.intersection(b.index)
    dropped = np.setdiff1d(ids_in, b.index.to_numpy())
    changed = np.zeros(len(common), dtype=bool)
    for col in spec.columns:
        changed |= _differs(g.loc[common, col], b.loc[common, col])
    corrupted = np.union1d(common.to_numpy()[changed], dropped)
    return ReleaseRecord(
        variant=spec.name,
        kind=spec.kind,
        fault=spec.fault,
        columns=spec.columns,
        rows_in=len(ids_in),
        rows_out=len(bad),
        rows_corrupted=int(changed.sum()),
        rows_dropped=len(dropped),
        description=spec.description,
        application_ids=tuple(int(i) for i in corrupted),
    )


def release(
    sources: quality.Sources,
    variant: str,
    *,
    seed: int = 0,
    previous: quality.Sources | None = None,
) -> tuple[pd.DataFrame, ReleaseRecord]:
    """The feature partition a bad release writes for one night, and the record of the damage.

    Parameters
    ----------
    sources : Sources
        The night's raw tables (one element of :func:`nightly_partitions`).
    variant : str
        A name of :data:`VARIANTS`.
    seed : int, default 0
        Which rows a silent partial failure hits.
    previous : Sources, optional
        An earlier night's raw tables: the partition ``stale_verification_partition`` reads
        instead of tonight's (required for that variant, ignored by the others).

    Returns
    -------
    features : DataFrame
        The partition as the bad release writes it (same columns as
        :func:`lendlab.quality.build_features`).
    record : ReleaseRecord
        Rows in/out, the corrupted columns, and the applications whose row is wrong or missing.

    Raises
    ------
    TypeError
        ``sources``/``previous`` not :class:`lendlab.quality.Sources`, a non-string variant,
        a non-integer seed.
    ValueError
        An unknown variant, a negative seed, or ``stale_verification_partition`` without
        ``previous``.

    Examples
    --------
    >>> from lendlab import world
    >>> nights = nightly_partitions(world.generate(4_000, seed=2, start="2026-03-02", days=2))
    >>> bad, rec = release(nights[1], "verification_inner_join")
    >>> rec.rows_out == rec.rows_in - rec.rows_dropped, rec.rows_dropped > 0
    (True, True)
    >>> bad, rec = release(nights[1], "stale_verification_partition", previous=nights[0])
    >>> bool(bad["income_verification"].isna().all())
    True
    """
    sources = _check_sources(sources)
    spec = _check_variant(variant)
    seed = _check_seed(seed)
    good = quality.build_features(sources)
    if spec.name == "income_monthly_as_annual":
        bad = quality.build_features(sources, breaks=[spec.fault])
    elif spec.name == "verification_inner_join":
        # An inner join keeps exactly the rows a left join matched with a verified income.
        bad = good[good["verified_income"].notna()].reset_index(drop=True)
    elif spec.name == "stale_verification_partition":
        if previous is None:
            raise ValueError(
                "stale_verification_partition reads an earlier night's verifications: pass "
                "previous=<that night's Sources>, e.g. previous=nights[i - 1]"
            )
        previous = _check_sources(previous, "previous")
        bad = quality.build_features(replace(sources, verifications=previous.verifications))
    else:
        rng = np.random.default_rng([seed, 8, len(good)])
        hit = rng.random(len(good)) < _SHARES[spec.name]
        bad = good.copy()
        bad.loc[hit, "dti"] = 0.0 if spec.name == "partial_zero_dti" else np.nan
    return bad, _record(spec, sources, good, bad)


def _read_by(sources: quality.Sources, variant: str, previous: quality.Sources | None):
    """The raw tables the release read (what the contract gate validates)."""
    if variant == "income_monthly_as_annual":
        return quality.apply_breaks(sources, [variant])
    if variant == "stale_verification_partition" and previous is not None:
        return replace(sources, verifications=previous.verifications)
    return sources


# --------------------------------------------------------------------------- partitions


def nightly_partitions(book: pd.DataFrame, *, seed: int = 0) -> list[quality.Sources]:
    """Split a world into one :class:`lendlab.quality.Sources` per application day.

    The raw tables come from :func:`lendlab.quality.split_sources` (one call, so timeouts and
    verification delays are the same as for the whole book); each night holds the day's
    applications, their bureau pulls and verifications, and ``as_of`` = the midnight after.

    Examples
    --------
    >>> from lendlab import world
    >>> nights = nightly_partitions(world.generate(3_000, seed=1, start="2026-03-02", days=3))
    >>> len(nights), str(nights[0].as_of.date())
    (3, '2026-03-03')
    """
    if not isinstance(book, pd.DataFrame):
        raise TypeError(
            f"book must be a DataFrame from lendlab.world.generate, got {type(book).__name__}"
        )
    seed = _check_seed(seed)
    sources = quality.split_sources(book, seed=seed)
    apps = sources.applications
    day = apps["applied_at"].dt.floor("D")
    out = []
    for d in sorted(day.unique()):
        a = apps[(day == d).to_numpy()].reset_index(drop=True)
        ids = a["application_id"]
        pick = {
            name: t[t["application_id"].isin(ids)].reset_index(drop=True)
            for name, t in (("bureau", sources.bureau_pulls), ("verif", sources.verifications))
        }
        out.append(quality.Sources(a, pick["bureau"], pick["verif"], d + pd.Timedelta(days=1)))
    return out


# --------------------------------------------------------------------------- the gates


@dataclass(frozen=True)
class GateResult:
    """One gate's verdict on one partition.

    ``checks`` has one row per check (``check, column, observed, reference, tolerance,
    passed, reason``); ``passed`` is True when every check passed.
    """

    gate: str
    passed: bool
    checks: pd.DataFrame = field(repr=False)

    @property
    def failures(self) -> pd.DataFrame:
        """The checks that failed."""
        failed = ~self.checks["passed"].to_numpy(dtype=bool)
        return self.checks.loc[failed].reset_index(drop=True)

    @property
    def reasons(self) -> list[str]:
        """One line per failed check."""
        return self.failures["reason"].tolist()


def contract_gate(sources: quality.Sources, features: pd.DataFrame) -> GateResult:
    """Gate (a): the data contracts on the raw tables the job read and on its partition.

    Runs :func:`lendlab.quality.check_pipeline` (the default :data:`lendlab.quality.CONTRACTS`)
    and turns each violation into a failed check.

    Examples
    --------
    >>> from lendlab import world
    >>> nights = nightly_partitions(world.generate(2_000, seed=1, start="2026-03-02", days=1))
    >>> bad, _ = release(nights[0], "income_monthly_as_annual")
    >>> gate = contract_gate(nights[0], bad)
    >>> gate.passed, sorted(set(gate.failures["check"]))
    (False, ['features:range'])
    """
    sources = _check_sources(sources)
    if not isinstance(features, pd.DataFrame):
        raise TypeError(f"features must be a DataFrame, got {type(features).__name__}")
    v = quality.check_pipeline(sources, features)
    checks = pd.DataFrame(
        {
            "check": (v["table"] + ":" + v["rule"]).astype(str),
            "column": v["column"].astype(str),
            "observed": v["observed"].astype(str),
            "reference": "",
            "tolerance": v["expected"].astype(str),
            "passed": False,
            "reason": [
                f"{t}.{c}: {r} {o} (expected {e}; {n} rows)"
                for t, c, r, o, e, n in zip(
                    v["table"],
                    v["column"],
                    v["rule"],
                    v["observed"],
                    v["expected"],
                    v["rows_affected"],
                    strict=True,
                )
            ],
        },
        columns=_CHECK_COLUMNS,
    )
    return GateResult("contracts", checks.empty, checks.astype({"passed": bool}))


def _tolerances(tolerances: Mapping[str, Any] | None) -> dict[str, Any]:
    tol = dict(CANARY_TOLERANCES)
    if tolerances is None:
        return tol
    if not isinstance(tolerances, Mapping):
        raise TypeError(f"tolerances must be a dict like CANARY_TOLERANCES, got {tolerances!r}")
    unknown = [k for k in tolerances if k not in tol]
    if unknown:
        raise ValueError(f"unknown tolerance(s) {unknown}; use keys of {list(tol)}")
    tol.update(tolerances)
    for key in ("psi", "null_share", "spike_share", "join_coverage"):
        value = tol[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
            raise ValueError(f"tolerance {key}={value!r} must be a non-negative number")
    lo_hi = tol["row_ratio"]
    if (
        not isinstance(lo_hi, tuple | list)
        or len(lo_hi) != 2
        or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in lo_hi)
        or not 0 <= lo_hi[0] <= 1 <= lo_hi[1]
    ):
        raise ValueError(f"tolerance row_ratio={lo_hi!r} must be (low, high) with low <= 1 <= high")
    return tol


def _coverage(features: pd.DataFrame, applications: pd.DataFrame | None) -> float:
    """Share of the night's applications that reach the partition with a verification joined."""
    joined = features.loc[features["income_verification"].notna(), "application_id"]
    if applications is None:
        return float(len(joined) / len(features)) if len(features) else 0.0
    ids = applications["application_id"]
    return float(ids.isin(joined).mean()) if len(ids) else 0.0


def _psi(ref: pd.Series, cur: pd.Series) -> float:
    if ref.isna().all():
        return 0.0 if cur.isna().all() else float("inf")
    if cur.isna().all():
        return float("inf")
    return drift.psi(ref, cur, nan_policy="bin")


def _slices(
    features: pd.DataFrame, last_good: pd.DataFrame, slice_by: str | None
) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """``{"channel=web": (last good rows, tonight's rows)}`` for slices big enough on both."""
    if slice_by is None:
        return {}
    if not isinstance(slice_by, str):
        raise TypeError(f"slice_by={slice_by!r} must be a column name or None")
    if slice_by not in features or slice_by not in last_good:
        raise ValueError(f"slice_by={slice_by!r} is not a column of both partitions")
    out = {}
    ref_key, cur_key = last_good[slice_by].astype(str), features[slice_by].astype(str)
    for level in sorted(set(ref_key) & set(cur_key)):
        ref_s, cur_s = (
            last_good[(ref_key == level).to_numpy()],
            features[(cur_key == level).to_numpy()],
        )
        if min(len(ref_s), len(cur_s)) >= MIN_SLICE_ROWS:
            out[f"{slice_by}={level}"] = (ref_s, cur_s)
    return out


def _spike(series: pd.Series) -> float:
    values = series.dropna()
    if values.empty:
        return 0.0
    return float(values.value_counts().iloc[0] / len(series))


def canary(
    features: pd.DataFrame,
    last_good: pd.DataFrame,
    *,
    applications: pd.DataFrame | None = None,
    last_good_applications: pd.DataFrame | None = None,
    columns: Sequence[str] = CANARY_COLUMNS,
    slice_by: str | None = "channel",
    tolerances: Mapping[str, Any] | None = None,
) -> GateResult:
    """Gate (b): compare tonight's partition with the last good one, check by check.

    Checks (tolerances in :data:`CANARY_TOLERANCES`, which documents why each is what it is):
    ``psi`` per column, on the whole partition and per ``slice_by`` value
    (:func:`lendlab.drift.psi`, reference deciles, NaN as its own bin),
    ``null_share`` and ``spike_share`` deltas per column, ``row_ratio`` (rows tonight / rows
    last good) and ``join_coverage`` (share of the night's applications that reach the
    partition with a verification joined; pass the raw ``applications`` so dropped rows count).

    Parameters
    ----------
    features, last_good : DataFrame
        Tonight's partition and the last partition that passed the gates.
    applications, last_good_applications : DataFrame, optional
        The raw applications of each night (for join coverage); without them coverage is
        measured over the partition's own rows, which cannot see dropped rows.
    columns : sequence of str, default :data:`CANARY_COLUMNS`
    slice_by : str or None, default "channel"
        PSI is also computed per value of this column (a one-channel bug is diluted in the
        whole partition: a partner sending monthly income moves the partition's income PSI to
        only ~0.2). Slices with fewer than :data:`MIN_SLICE_ROWS` rows on either night are
        skipped (too noisy). None: whole partition only.
    tolerances : dict, optional
        Overrides of :data:`CANARY_TOLERANCES`.

    Returns
    -------
    GateResult
        ``gate="canary"``; ``checks`` holds every check with its reason.

    Examples
    --------
    >>> from lendlab import world
    >>> nights = nightly_partitions(world.generate(4_000, seed=1, start="2026-03-02", days=2))
    >>> good0, good1 = (quality.build_features(s) for s in nights)
    >>> canary(good1, good0).passed
    True
    >>> bad, _ = release(nights[1], "verification_inner_join")
    >>> gate = canary(bad, good0, applications=nights[1].applications)
    >>> "join_coverage" in set(gate.failures["check"])
    True
    """
    for name, frame in (("features", features), ("last_good", last_good)):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"{name} must be a feature partition (DataFrame), got {type(frame)}")
        if frame.empty:
            raise ValueError(f"{name} is empty; the canary needs rows to compare")
    if isinstance(columns, str) or not isinstance(columns, Sequence):
        raise TypeError(f"columns must be a list of column names, got {columns!r}")
    missing = [c for c in columns if c not in features or c not in last_good]
    if missing:
        raise ValueError(f"column(s) {missing} missing from a partition; pass columns=[...]")
    tol = _tolerances(tolerances)
    slices = _slices(features, last_good, slice_by)
    rows = []

    def add(check: str, column: str, obs: float, ref: float, limit: Any, ok: bool, why: str):
        rows.append((check, column, obs, ref, str(limit), bool(ok), why))

    for col in columns:
        ref, cur = last_good[col], features[col]
        value = _psi(ref, cur)
        add(
            "psi",
            col,
            value,
            0.0,
            tol["psi"],
            value <= tol["psi"],
            f"{col}: PSI {value:.3f} > {tol['psi']}",
        )
        for level, (ref_s, cur_s) in slices.items():
            value = _psi(ref_s[col], cur_s[col])
            add(
                "psi",
                f"{col}[{level}]",
                value,
                0.0,
                tol["psi"],
                value <= tol["psi"],
                f"{col} in {level}: PSI {value:.3f} > {tol['psi']}",
            )
        n_ref, n_cur = float(ref.isna().mean()), float(cur.isna().mean())
        add(
            "null_share",
            col,
            n_cur,
            n_ref,
            tol["null_share"],
            abs(n_cur - n_ref) <= tol["null_share"],
            f"{col}: null share {n_ref:.3f} -> {n_cur:.3f}",
        )
        if pd.api.types.is_numeric_dtype(ref) and ref.nunique() > _SPIKE_MIN_DISTINCT:
            s_ref, s_cur = _spike(ref), _spike(cur)
            add(
                "spike_share",
                col,
                s_cur,
                s_ref,
                tol["spike_share"],
                s_cur - s_ref <= tol["spike_share"],
                f"{col}: most common value on {s_cur:.3f} of rows (was {s_ref:.3f})",
            )
    ratio = len(features) / len(last_good)
    lo, hi = tol["row_ratio"]
    add(
        "row_ratio",
        "",
        ratio,
        1.0,
        (lo, hi),
        lo <= ratio <= hi,
        f"rows {len(last_good)} -> {len(features)} (ratio {ratio:.2f}, allowed {lo}-{hi})",
    )
    c_ref = _coverage(last_good, last_good_applications)
    c_cur = _coverage(features, applications)
    add(
        "join_coverage",
        "income_verification",
        c_cur,
        c_ref,
        tol["join_coverage"],
        c_ref - c_cur <= tol["join_coverage"],
        f"verification join coverage {c_ref:.3f} -> {c_cur:.3f}",
    )
    checks = pd.DataFrame(rows, columns=_CHECK_COLUMNS)
    return GateResult("canary", bool(checks["passed"].all()), checks)


# --------------------------------------------------------------------------- nights


@dataclass(frozen=True)
class ReleaseRun:
    """A bad release over nightly partitions, with both gates in dry-run mode.

    Attributes
    ----------
    variant : str
    landing : int
        Index of the first night the bad release wrote (nights before it ran the good job).
    nights : DataFrame
        One row per night: ``night, date, release`` ("good"/"bad"), ``rows_in, rows_out``,
        ``contracts, canary`` (passed?), ``contracts_reasons, canary_reasons`` (one string,
        "; "-joined), ``corrupted`` (decisions that differ that night).
    decisions : DataFrame
        One row per application of a bad night: ``night, date, application_id, segment,
        channel, approved_good, approved_bad`` (None when the row was dropped), ``corrupted``.
    gate_results : dict of str to list of GateResult
        Per gate, one result per night.
    records : list of ReleaseRecord or None
        Per night, the damage record (None on good nights).
    """

    variant: str
    landing: int
    nights: pd.DataFrame
    decisions: pd.DataFrame = field(repr=False)
    gate_results: dict[str, list[GateResult]] = field(repr=False)
    records: list[ReleaseRecord | None] = field(repr=False)

    def detection(self, gate: str) -> int | None:
        """First night at or after the landing on which ``gate`` fails (None: never).

        ``gate`` is ``"contracts"``, ``"canary"`` or ``"both"`` (whichever fails first).
        """
        gates = _gate_names(gate)
        failed = ~self.nights[list(gates)].all(axis=1).to_numpy()
        hits = np.flatnonzero(failed[self.landing :])
        return int(self.landing + hits[0]) if hits.size else None


def _gate_names(gate: Any) -> tuple[str, ...]:
    if gate == "both":
        return GATES
    if gate in GATES:
        return (gate,)
    raise ValueError(f"gate={gate!r}; use one of {[*GATES, 'both']} (or None for no gate)")


def _approve(model: Any, frame: pd.DataFrame, cutoff: float) -> np.ndarray:
    return np.asarray(model.predict_pd(frame), dtype=float) < cutoff


def simulate_release(
    nights: Sequence[quality.Sources],
    variant: str,
    *,
    landing: int,
    model: Any,
    cutoff: float,
    seed: int = 0,
    tolerances: Mapping[str, Any] | None = None,
) -> ReleaseRun:
    """Run the good job before ``landing`` and the bad release from it on, gates in dry-run.

    Every night both gates are evaluated (blocking nothing): the contracts on what the job
    read and wrote, the canary against the last partition that passed it (a failed
    partition never becomes the reference). Night 0 is the known-good partition already in
    production: ``landing`` must be at least 1. On bad nights every application is scored
    with ``model`` (approve when PD < ``cutoff``) on the bad partition and on the correct one.

    Parameters
    ----------
    nights : sequence of Sources
        From :func:`nightly_partitions`.
    variant : str
        A name of :data:`VARIANTS`.
    landing : int
        Index of the night the bad release first runs (``1 <= landing < len(nights)``).
    model : fitted model with ``predict_pd``
        The champion (e.g. :class:`lendlab.models.Scorecard`).
    cutoff : float
        PD cutoff in (0, 1).
    seed : int, default 0
        Rows a partial failure hits (drawn per night).
    tolerances : dict, optional
        Canary tolerance overrides.

    Returns
    -------
    ReleaseRun

    Examples
    --------
    >>> from lendlab import models, world
    >>> dev = world.generate(8_000, seed=1, start="2024-01-01", days=365)
    >>> card = models.Scorecard().fit(dev, dev["defaulted"])
    >>> nights = nightly_partitions(world.generate(6_000, seed=1, start="2026-03-02", days=4))
    >>> run = simulate_release(nights, "partial_zero_dti", landing=2, model=card, cutoff=0.25)
    >>> run.detection("contracts"), run.detection("canary")
    (None, 2)
    >>> corrupted_decisions(run, gate="canary"), corrupted_decisions(run) > 0
    (0, True)
    """
    if isinstance(nights, quality.Sources) or not isinstance(nights, Sequence):
        raise TypeError("nights must be a list of Sources from nightly_partitions(book)")
    nights = [_check_sources(s, "nights[i]") for s in nights]
    spec = _check_variant(variant)
    if isinstance(landing, bool) or not isinstance(landing, int | np.integer):
        raise TypeError(f"landing={landing!r} must be a night index (int)")
    if not 1 <= landing < len(nights):
        raise ValueError(
            f"landing={landing} must be in [1, {len(nights) - 1}]: night 0 is the known-good "
            "partition the canary starts from"
        )
    if not hasattr(model, "predict_pd"):
        raise TypeError(f"model must have predict_pd (a fitted Scorecard), got {type(model)}")
    if isinstance(cutoff, bool) or not isinstance(cutoff, int | float) or not 0 < cutoff < 1:
        raise ValueError(f"cutoff={cutoff!r} must be a PD in (0, 1), e.g. 0.25")
    seed = _check_seed(seed)
    _tolerances(tolerances)

    first = quality.build_features(nights[0])
    reference, reference_apps = first, nights[0].applications
    gate_results: dict[str, list[GateResult]] = {g: [] for g in GATES}
    records: list[ReleaseRecord | None] = []
    rows, decision_frames = [], []
    for i, src in enumerate(nights):
        date = src.applications["applied_at"].iloc[0].floor("D")
        bad_night = i >= landing
        good = first if i == 0 else quality.build_features(src)
        if bad_night:
            previous = nights[i - 1]
            written, rec = release(src, spec.name, seed=seed + i, previous=previous)
            read = _read_by(src, spec.name, previous)
        else:
            written, rec, read = good, None, src
        records.append(rec)
        gates = {
            "contracts": contract_gate(read, written),
            "canary": canary(
                written,
                reference,
                applications=src.applications,
                last_good_applications=reference_apps,
                tolerances=tolerances,
            )
            if i > 0
            else GateResult("canary", True, pd.DataFrame(columns=_CHECK_COLUMNS)),
        }
        for g, result in gates.items():
            gate_results[g].append(result)
        if i > 0 and gates["canary"].passed:
            reference, reference_apps = written, src.applications
        corrupted = 0
        if bad_night:
            ok_good = pd.Series(_approve(model, good, cutoff), index=good["application_id"])
            ok_bad = pd.Series(
                _approve(model, written, cutoff), index=written["application_id"].to_numpy()
            )
            bad_aligned = ok_bad.reindex(ok_good.index).astype(object)
            flags = bad_aligned.isna().to_numpy() | (
                bad_aligned.fillna(False).to_numpy(dtype=bool) != ok_good.to_numpy()
            )
            bad_aligned = bad_aligned.where(bad_aligned.notna(), None)
            decision_frames.append(
                pd.DataFrame(
                    {
                        "night": i,
                        "date": date,
                        "application_id": good["application_id"].to_numpy(),
                        "segment": good["segment"].astype(str).to_numpy(),
                        "channel": good["channel"].astype(str).to_numpy(),
                        "approved_good": ok_good.to_numpy(),
                        "approved_bad": bad_aligned.to_numpy(),
                        "corrupted": flags,
                    }
                )
            )
            corrupted = int(flags.sum())
        rows.append(
            {
                "night": i,
                "date": date,
                "release": "bad" if bad_night else "good",
                "rows_in": len(src.applications),
                "rows_out": len(written),
                "contracts": gates["contracts"].passed,
                "canary": gates["canary"].passed,
                "contracts_reasons": "; ".join(gates["contracts"].reasons),
                "canary_reasons": "; ".join(gates["canary"].reasons),
                "corrupted": corrupted,
            }
        )
    decisions = pd.concat(decision_frames, ignore_index=True)
    return ReleaseRun(spec.name, int(landing), pd.DataFrame(rows), decisions, gate_results, records)


def corrupted_decisions(
    run: ReleaseRun,
    *,
    gate: str | None = None,
    noticed_after: int = NOTICED_AFTER,
    by: str | None = None,
) -> int | pd.Series:
    """Decisions the bad release corrupted before it was stopped.

    Without a gate (``gate=None``) the release runs ``noticed_after`` nights from the landing
    (or to the last night). With a gate, the partition of the gate's detection night is
    blocked and its applications re-decided on the correct features, so only the nights from
    the landing up to the one before detection count (a gate that never fires stops nothing:
    the humans still notice after ``noticed_after`` nights). ``gate="both"``: either gate.

    Parameters
    ----------
    run : ReleaseRun
        From :func:`simulate_release`.
    gate : {None, "contracts", "canary", "both"}
    noticed_after : int, default :data:`NOTICED_AFTER`
    by : str, optional
        A column of ``run.decisions`` (``"segment"``, ``"channel"``): counts per value.

    Returns
    -------
    int or Series

    Examples
    --------
    >>> from lendlab import models, world
    >>> dev = world.generate(8_000, seed=1, start="2024-01-01", days=365)
    >>> card = models.Scorecard().fit(dev, dev["defaulted"])
    >>> nights = nightly_partitions(world.generate(6_000, seed=1, start="2026-03-02", days=4))
    >>> run = simulate_release(nights, "income_monthly_as_annual", landing=1, model=card,
    ...                        cutoff=0.25)
    >>> corrupted_decisions(run, gate="contracts")
    0
    >>> corrupted_decisions(run, noticed_after=1) < corrupted_decisions(run, noticed_after=3)
    True
    """
    if not isinstance(run, ReleaseRun):
        raise TypeError(f"run must come from simulate_release, got {type(run).__name__}")
    if isinstance(noticed_after, bool) or not isinstance(noticed_after, int | np.integer):
        raise TypeError(f"noticed_after={noticed_after!r} must be a number of nights (int)")
    if noticed_after < 1:
        raise ValueError(f"noticed_after={noticed_after} must be at least 1 night")
    stop = run.landing + int(noticed_after)
    if gate is not None:
        detected = run.detection(gate)
        if detected is not None:
            stop = min(stop, detected)
    rows = run.decisions[(run.decisions["night"] < stop) & run.decisions["corrupted"]]
    if by is None:
        return int(len(rows))
    if by not in run.decisions.columns:
        raise ValueError(f"by={by!r} is not a column of run.decisions; use 'segment' or 'channel'")
    values = sorted(run.decisions[by].unique())
    return rows.groupby(by).size().reindex(values, fill_value=0).astype(int)
