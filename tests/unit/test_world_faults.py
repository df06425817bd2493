"""Each incident kind moves what its signature says and leaves the rest flat.

Seeds 1, 2, 3 are not tuned: every threshold comes from the research signature table or from
what the incident does by construction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lendlab import quality, world
from lendlab.world import faults
from lendlab.world.faults import FAULTS, KINDS, FaultSpec, InjectedFault, inject
from lendlab.world.schema import BUREAU_FIELDS, passes_knockout

START, END = "2025-06-01", "2025-07-01"
T0, T1 = pd.Timestamp(START, tz="UTC"), pd.Timestamp(END, tz="UTC")
SEEDS = [1, 2, 3]


def assert_same(left: pd.DataFrame | pd.Series, right: pd.DataFrame | pd.Series) -> None:
    """Exact equality, fast (pandas' categorical assert costs ~65 ms a column)."""
    if isinstance(left, pd.Series):
        left, right = left.to_frame(), right.to_frame()
    if not (left.equals(right) and list(left.dtypes) == list(right.dtypes)):
        pd.testing.assert_frame_equal(left, right)
        raise AssertionError("frames differ")  # e.g. index labels; equals() is the stricter check


def psi(reference, current) -> float:
    """PSI on reference deciles (discrete: one bin per value); empty bins floored at 1e-4."""
    ref = pd.Series(reference).dropna().to_numpy(dtype=float)
    cur = pd.Series(current).dropna().to_numpy(dtype=float)
    if len(np.unique(ref)) <= 20:
        values = np.union1d(np.unique(ref), np.unique(cur))
        e = np.array([(ref == v).mean() for v in values])
        a = np.array([(cur == v).mean() for v in values])
    else:
        edges = np.unique(np.quantile(ref, np.linspace(0, 1, 11)[1:-1]))
        e, a = (
            np.bincount(np.searchsorted(edges, x, side="right"), minlength=edges.size + 1) / x.size
            for x in (ref, cur)
        )
    e, a = np.clip(e, 1e-4, None), np.clip(a, 1e-4, None)
    return float(np.sum((a - e) * np.log(a / e)))


@pytest.fixture(scope="module", params=SEEDS)
def book(request) -> pd.DataFrame:
    return world.generate(15_000, seed=request.param)


def split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    t = frame["applied_at"]
    return frame[t < T0], frame[(t >= T0) & (t < T1)]


def run(book: pd.DataFrame, kind: str, **opts):
    broken, inc = inject(book, kind, start=START, end=END, seed=7, **opts)
    ref, cur = split(broken)
    _, before = split(book)
    return broken, inc, ref, cur, before


# ----------------------------------------------------------------------------- shared invariants

ALL_CASES = [(k, {}) for k in KINDS] + [
    ("partner_field_rename", {"stage": "imputed"}),
    ("broken_join", {"mode": "misalign"}),
    ("concept_shift", {"segment": "thin_file"}),
]


@pytest.mark.parametrize(("kind", "opts"), ALL_CASES, ids=lambda x: str(x))
def test_input_untouched_outside_window_unchanged_and_deterministic(kind, opts):
    book = world.generate(4_000, seed=5)
    pristine = book.copy(deep=True)
    broken, inc = inject(book, kind, start=START, end=END, seed=3, **opts)
    assert_same(book, pristine)  # never mutated
    again, inc2 = inject(book, kind, start=START, end=END, seed=3, **opts)
    assert_same(broken, again)  # same seed, same bytes
    assert inc == inc2
    assert isinstance(inc, InjectedFault) and inc.kind == kind
    assert inc.rows_affected > 0 and len(inc.application_ids) == inc.rows_affected
    assert inc.moves and inc.flat and inc.expected and inc.description
    assert set(inc.columns) <= set(broken.columns)
    # Rows outside [start, end) are byte-identical on the original columns.
    outside = ~((book["applied_at"] >= T0) & (book["applied_at"] < T1))
    keep = broken["application_id"].isin(book.loc[outside, "application_id"])
    got = broken.loc[keep, book.columns].reset_index(drop=True)
    assert_same(got, book.loc[outside].reset_index(drop=True))
    # Affected ids all applied inside the window.
    when = book.set_index("application_id").loc[list(inc.application_ids), "applied_at"]
    assert ((when >= T0) & (when < T1)).all()


SAME_SHAPE = [c for c in ALL_CASES if c != ("broken_join", {})]  # duplicate mode adds rows


@pytest.mark.parametrize(("kind", "opts"), SAME_SHAPE, ids=str)
def test_columns_not_named_stay_identical(kind, opts):
    book = world.generate(4_000, seed=6)
    broken, inc = inject(book, kind, start=START, end=END, seed=1, **opts)
    untouched = [c for c in book.columns if c not in inc.columns and c != "approved_policy"]
    assert_same(broken[untouched], book[untouched])


# ----------------------------------------------------------------------------- signatures


def test_bureau_outage_signature(book):
    broken, inc, ref, cur, before = run(book, "bureau_outage")
    share = (cur["fico"] == 300).mean()
    assert 0.25 < share < 0.35 and (ref["fico"] == 300).mean() < 0.001  # one spike value
    assert psi(ref["fico"], cur["fico"]) > 0.25
    assert cur["bureau_hit"].mean() == pytest.approx(1 - share) and ref["bureau_hit"].all()
    assert cur["approved_policy"].mean() < before["approved_policy"].mean() - 0.05
    for col in ("annual_income", "dti", "loan_amount"):
        assert psi(ref[col], cur[col]) < 0.1
    assert_same(cur["defaulted"], before["defaulted"])  # labels flat


def test_bureau_attribute_bug_signature(book):
    broken, inc, ref, cur, before = run(book, "bureau_attribute_bug", repull_column="fico_repull")
    delta = (cur["fico"] - cur["fico_repull"]).abs()
    assert (cur["fico_repull"] == before["fico"]).all()
    assert 0.09 < (delta > 0).mean() < 0.15  # ~12% shifted
    assert (delta.between(1, 10)).mean() < 0.09
    assert (delta.between(11, 20)).mean() < 0.03
    assert (delta > 20).mean() < 0.01
    assert psi(ref["fico"], cur["fico"]) < 0.1  # invisible to drift monitoring
    assert abs(cur["approved_policy"].mean() - before["approved_policy"].mean()) < 0.02


def test_income_monthly_as_annual_signature(book):
    broken, inc, ref, cur, before = run(book, "income_monthly_as_annual")
    ratio = (cur["annual_income"] / before["annual_income"]).median()
    assert ratio == pytest.approx(1 / 12, rel=0.01)
    assert (cur["dti"] / before["dti"]).median() == pytest.approx(12, rel=0.01)
    lti_new = (cur["loan_amount"] / cur["annual_income"]).median()
    lti_old = (before["loan_amount"] / before["annual_income"]).median()
    assert lti_new / lti_old == pytest.approx(12, rel=0.02)
    assert psi(ref["annual_income"], cur["annual_income"]) > 0.25
    assert cur["approved_policy"].mean() < 0.2 * before["approved_policy"].mean()  # collapse
    # verified income comes from the vendor: the stated/verified gap explodes
    gap = (cur["annual_income"] / cur["verified_income"]).median()
    assert gap < 0.2
    for col in BUREAU_FIELDS:
        assert psi(ref[col], cur[col]) < 0.1


def test_income_annual_as_monthly_signature(book):
    broken, inc, ref, cur, before = run(book, "income_annual_as_monthly")
    assert (cur["annual_income"] / before["annual_income"]).median() == pytest.approx(12, rel=0.01)
    assert (cur["dti"] / before["dti"]).median() == pytest.approx(1 / 12, rel=0.02)
    assert psi(ref["annual_income"], cur["annual_income"]) > 0.25
    # Nobody is declined for DTI any more: approvals can only go up.
    assert cur["approved_policy"].mean() >= before["approved_policy"].mean()
    assert (cur["dti"] > world.POLICY["dti_max"]).sum() == 0
    for col in BUREAU_FIELDS:
        assert psi(ref[col], cur[col]) < 0.1


def test_income_units_can_be_limited_to_one_channel(book):
    broken, inc, ref, cur, before = run(book, "income_monthly_as_annual", channel="partner_api")
    changed = cur["annual_income"] != before["annual_income"]
    assert (cur.loc[changed, "channel"] == "partner_api").all()
    assert changed.sum() == inc.rows_affected == (before["channel"] == "partner_api").sum()
    assert inc.segments == ("channel=partner_api",)


def test_partner_field_rename_null_then_imputed(book):
    broken, inc, ref, cur, before = run(book, "partner_field_rename")
    partner = cur["channel"] == "partner_api"
    assert cur.loc[partner, "emp_length_years"].isna().all()
    other = cur.loc[~partner, "emp_length_years"]
    assert other.isna().mean() < 0.1  # other channels keep the natural ~6% unknown
    assert cur["emp_length_years"].isna().mean() > ref["emp_length_years"].isna().mean() + 0.1
    for col in ("fico", "annual_income", "revol_util"):
        assert psi(ref[col], cur[col]) < 0.1

    broken, inc, ref, cur, before = run(book, "partner_field_rename", stage="imputed")
    median = ref["emp_length_years"].median()
    assert cur.loc[cur["channel"] == "partner_api", "emp_length_years"].dropna().eq(median).all()
    assert cur["emp_length_years"].isna().mean() < 0.1  # nulls hidden
    spike = (cur["emp_length_years"] == median).mean()
    assert spike > (ref["emp_length_years"] == median).mean() + 0.1
    assert psi(ref["emp_length_years"], cur["emp_length_years"]) > 0.1


def test_partner_field_rename_on_an_int_bureau_field(book):
    broken, inc, ref, cur, before = run(book, "partner_field_rename", field="revol_util")
    assert cur.loc[cur["channel"] == "partner_api", "revol_util"].isna().all()
    broken, inc, ref, cur, before = run(
        book, "partner_field_rename", field="inquiries_6m", stage="imputed"
    )
    assert pd.api.types.is_integer_dtype(broken["inquiries_6m"])


def test_broken_join_duplicates(book):
    broken, inc, ref, cur, before = run(book, "broken_join")
    assert len(broken) == len(book) + inc.rows_affected
    assert cur["application_id"].duplicated().sum() == inc.rows_affected
    assert 0.03 < inc.rows_affected / len(before) < 0.07
    assert broken["applied_at"].is_monotonic_increasing
    assert psi(before["fico"], cur["fico"]) < 0.02  # distributions barely move


def test_broken_join_misalign(book):
    broken, inc, ref, cur, before = run(book, "broken_join", mode="misalign")
    for col in BUREAU_FIELDS:
        # same marginals
        assert (np.sort(cur[col].to_numpy()) == np.sort(before[col].to_numpy())).all()
        assert psi(ref[col], cur[col]) < 0.1
    assert before["fico"].corr(before["pd_true"]) < -0.3
    assert abs(cur["fico"].corr(cur["pd_true"])) < 0.1  # the link to risk is gone
    bad_before = before.loc[before["approved_policy"], "defaulted"].mean()
    bad_after = cur.loc[cur["approved_policy"], "defaulted"].mean()
    assert bad_after > bad_before + 0.1  # approving the wrong people
    assert len(broken) == len(book) and broken["application_id"].is_unique


def test_stale_feature_store(book):
    broken, inc, ref, cur, before = run(book, "stale_feature_store")
    assert cur["inquiries_6m"].mean() < 0.6 * before["inquiries_6m"].mean()
    assert (cur["inquiries_6m"] <= before["inquiries_6m"]).all()  # only ever undercounted
    assert psi(ref["inquiries_6m"], cur["inquiries_6m"]) > 0.1
    lag = cur["applied_at"] - cur["feature_as_of"]
    assert (lag == pd.Timedelta(days=90)).all()
    assert (ref["applied_at"] == ref["feature_as_of"]).all()
    assert cur["approved_policy"].mean() >= before["approved_policy"].mean()
    for col in ("fico", "annual_income", "dti", "revol_util"):
        assert psi(ref[col], cur[col]) < 0.1
    assert list(broken.dtypes.drop("feature_as_of")) == list(book.dtypes)  # schema checks pass


def test_income_verification_vendor_change(book):
    broken, inc, ref, cur, before = run(book, "income_verification_vendor_change")
    mix_before = before["income_verification"].value_counts(normalize=True)
    mix_after = cur["income_verification"].value_counts(normalize=True)
    assert mix_after["verified"] < mix_before["verified"] - 0.05
    assert mix_after["not_verified"] > mix_before["not_verified"] + 0.05
    gap_before = (before["verified_income"] / before["annual_income"]).median()
    gap_after = (cur["verified_income"] / cur["annual_income"]).median()
    assert gap_before == pytest.approx(0.95, abs=0.03)
    assert gap_after == pytest.approx(0.76, abs=0.03)
    assert (cur["verified_income"].isna() == (cur["income_verification"] == "not_verified")).all()
    for col in (*BUREAU_FIELDS, "annual_income", "dti"):
        assert psi(ref[col], cur[col]) < 0.1
    assert (cur["approved_policy"] == before["approved_policy"]).all()


def test_seasonality_pages_nobody(book):
    broken, inc, ref, cur, before = run(book, "seasonality")
    assert max(psi(ref[c], cur[c]) for c in world.FEATURES) < 0.1
    assert (cur["revol_util"].mean() - before["revol_util"].mean()) == pytest.approx(-2.0, abs=0.2)
    assert cur["loan_amount"].mean() / before["loan_amount"].mean() == pytest.approx(0.96, abs=0.01)
    assert abs(cur["approved_policy"].mean() - before["approved_policy"].mean()) < 0.02


def test_concept_shift_moves_outcomes_not_inputs(book):
    broken, inc, ref, cur, before = run(book, "concept_shift", segment="thin_file")
    assert_same(cur[list(world.FEATURES)], before[list(world.FEATURES)])
    thin = cur["segment"] == "thin_file"
    assert cur.loc[thin, "defaulted"].mean() > before.loc[thin, "defaulted"].mean() + 0.08
    assert (cur.loc[thin, "pd_true"] > before.loc[thin, "pd_true"]).all()
    assert (cur["defaulted"] >= before["defaulted"]).all()  # no default disappears
    assert_same(cur[~thin], before[~thin])  # other segments flat
    new_bad = (cur["defaulted"] == 1) & (before["defaulted"] == 0)
    assert cur.loc[new_bad, "months_to_default"].notna().all()
    assert (cur.loc[new_bad, "months_to_default"] <= cur.loc[new_bad, "term_months"]).all()
    # the re-drawn defaults follow the new PD: observed rate close to mean pd_true
    thin_rate = cur.loc[thin, "defaulted"].mean()
    assert thin_rate == pytest.approx(cur.loc[thin, "pd_true"].mean(), abs=0.06)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "meteor"}, "kind='meteor' is unknown"),
        ({"kind": "bureau_outage", "sharee": 0.3}, r"unknown option\(s\) \['sharee'\]"),
        ({"kind": "bureau_outage", "share": 1.5}, "share=1.5"),
        ({"kind": "bureau_outage", "score": 900}, "score=900"),
        ({"kind": "broken_join", "mode": "shuffle"}, "mode='shuffle'"),
        ({"kind": "partner_field_rename", "stage": "late"}, "stage='late'"),
        ({"kind": "partner_field_rename", "field": "channel"}, "must be a numeric feature"),
        ({"kind": "partner_field_rename", "field": "nope"}, r"needs column\(s\) \['nope'\]"),
        ({"kind": "concept_shift", "segment": "subprime"}, "segment='subprime' is not in the data"),
        ({"kind": "concept_shift", "odds_ratio": 0.5}, "odds_ratio=0.5"),
        ({"kind": "stale_feature_store", "stale_days": -3}, "stale_days=-3"),
        ({"kind": "income_monthly_as_annual", "channel": "fax"}, "channel='fax'"),
        ({"kind": "seasonality", "seed": -1}, "seed=-1"),
    ],
)
def test_bad_options_raise_with_the_fix(kwargs, match):
    book = world.generate(500, seed=1)
    kind = kwargs.pop("kind")
    seed = kwargs.pop("seed", 0)
    with pytest.raises(ValueError, match=match):
        inject(book, kind, start=START, end=END, seed=seed, **kwargs)


def test_bad_data_and_windows():
    book = world.generate(500, seed=1)
    with pytest.raises(TypeError, match="DataFrame"):
        inject(book.to_dict(), "seasonality", start=START, end=END)
    with pytest.raises(ValueError, match="must be before"):
        inject(book, "seasonality", start=END, end=START)
    with pytest.raises(ValueError, match="no applications between"):
        inject(book, "seasonality", start="2030-01-01", end="2030-02-01")
    with pytest.raises(ValueError, match="not a date"):
        inject(book, "seasonality", start="yesterday-ish", end=END)
    with pytest.raises(ValueError, match="'applied_at'"):
        inject(book.drop(columns="applied_at"), "seasonality", start=START, end=END)
    with pytest.raises(ValueError, match=r"\['revol_util'\]"):
        inject(book.drop(columns="revol_util"), "seasonality", start=START, end=END)
    with pytest.raises(ValueError, match="empty"):
        inject(book.iloc[:0], "seasonality", start=START, end=END)
    with pytest.raises(ValueError, match="must be datetime"):
        inject(
            book.assign(applied_at=book["applied_at"].astype(str)),
            "seasonality",
            start=START,
            end=END,
        )


def test_kinds_cover_the_brief():
    assert set(KINDS) == {
        "bureau_outage",
        "bureau_attribute_bug",
        "income_monthly_as_annual",
        "income_annual_as_monthly",
        "partner_field_rename",
        "broken_join",
        "stale_feature_store",
        "income_verification_vendor_change",
        "verification_feed_gap",
        "seasonality",
        "concept_shift",
    }
    assert faults.__all__


@pytest.mark.parametrize(("kind", "opts"), ALL_CASES, ids=str)
def test_works_on_a_shuffled_subset_with_its_own_index(kind, opts):
    book = world.generate(3_000, seed=4)
    subset = book.sample(frac=0.5, random_state=1)  # labs pass filtered, re-ordered frames
    broken, inc = inject(subset, kind, start=START, end=END, seed=1, **opts)
    assert inc.rows_affected > 0
    if (kind, opts) != ("broken_join", {}):
        assert broken.index.equals(subset.index)
        outside = ~((subset["applied_at"] >= T0) & (subset["applied_at"] < T1))
        assert_same(broken.loc[outside, subset.columns], subset.loc[outside])


def test_verification_feed_gap(book):
    broken, inc, ref, cur, before = run(book, "verification_feed_gap")
    assert cur["income_verification"].isna().all() and cur["verified_income"].isna().all()
    assert ref["income_verification"].notna().all()
    assert inc.rows_affected == len(cur)  # every status was present: every row changed
    for col in (*BUREAU_FIELDS, "annual_income", "dti"):
        assert_same(cur[col], before[col])
    assert (cur["approved_policy"] == before["approved_policy"]).all()
    broken, inc, ref, cur, before = run(book, "verification_feed_gap", channel="broker")
    gone = cur["income_verification"].isna()
    assert (gone == (cur["channel"] == "broker")).all() and inc.segments == ("channel=broker",)


# ----------------------------------------------------------------------------- the one catalogue


def test_one_catalogue_feeds_inject_and_the_pipeline():
    assert all(isinstance(s, FaultSpec) and s.name == n for n, s in FAULTS.items())
    assert KINDS == tuple(n for n, s in FAULTS.items() if s.injectable)
    assert quality.BREAKS == tuple(n for n, s in FAULTS.items() if s.pipeline_break)
    # every pipeline break can also be injected into a book under the same name
    assert set(quality.BREAKS) <= set(KINDS)
    assert set(quality.BREAKS) == {
        "broken_join",
        "stale_feature_store",
        "income_monthly_as_annual",
        "verification_feed_gap",
        "partner_field_rename",
    }
    for spec in FAULTS.values():
        assert spec.description and spec.moves and spec.flat
        assert spec.where == (("book",) if spec.injectable else ()) + (
            ("pipeline",) if spec.pipeline_break else ()
        )
    with pytest.raises(AttributeError):
        FAULTS["seasonality"].name = "x"  # frozen
    with pytest.raises(ValueError, match="injectable or a pipeline break"):
        FaultSpec("x", "d", ("m",), ("f",), injectable=False)
    _, inc = inject(world.generate(500, seed=1), "seasonality", start=START, end=END)
    assert inc.spec is FAULTS["seasonality"]


# ----------------------------------------------------------------------------- counting right


def _really_changed(before: pd.DataFrame, after: pd.DataFrame, columns) -> np.ndarray:
    """Reference count, written independently of the module: NaN -> NaN is no change."""
    out = np.zeros(len(before), dtype=bool)
    healthy = {"bureau_hit": True, "feature_as_of": before["applied_at"]}
    for col in columns:
        old = before[col] if col in before else pd.Series(healthy[col], index=before.index)
        a = old.astype(object).to_numpy()
        b = after[col].astype(object).to_numpy()
        both_na = pd.isna(a) & pd.isna(b)
        one_na = pd.isna(a) ^ pd.isna(b)
        with np.errstate(invalid="ignore"):
            neq = np.array([x != y for x, y in zip(a, b, strict=True)], dtype=bool)
        out |= one_na | (neq & ~both_na & ~one_na)
    return out


def _with_gaps(book: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """The book with ~10% missing in every column a fault reads (as a messy feed delivers)."""
    rng = np.random.default_rng(seed)
    out = book.copy()
    for col in (
        *world.FEATURES,
        "pd_true",
        "defaulted",
        "verified_income",
        "income_verification",
    ):
        gone = rng.random(len(out)) < 0.1
        if not isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype("float64")
        out.loc[gone, col] = np.nan
    return out


def test_chained_rename_then_attribute_bug_counts_real_changes():
    # The hostile tester's case: fico renamed (null) for partner rows over three months, then a
    # bureau attribute bug in June. NaN != NaN used to count every null row, even outside June.
    book = world.generate(5_000, seed=1)
    b1, r1 = inject(
        book, "partner_field_rename", start="2025-05-01", end="2025-08-01", field="fico"
    )
    b2, r2 = inject(b1, "bureau_attribute_bug", start=START, end=END)
    real = _really_changed(b1, b2, ["fico"])
    assert r2.rows_affected == real.sum() == len(r2.application_ids)
    assert set(r2.application_ids) == set(b1.loc[real, "application_id"])
    when = b1.set_index("application_id").loc[list(r2.application_ids), "applied_at"]
    assert ((when >= T0) & (when < T1)).all()
    assert b2["fico"].isna().sum() == b1["fico"].isna().sum()  # a missing score stays missing


@pytest.mark.parametrize(("kind", "opts"), ALL_CASES, ids=str)
def test_missing_inputs_count_only_real_changes_inside_the_window(kind, opts):
    messy = _with_gaps(world.generate(4_000, seed=5))
    broken, inc = inject(messy, kind, start=START, end=END, seed=2, **opts)
    inside = ((messy["applied_at"] >= T0) & (messy["applied_at"] < T1)).to_numpy()
    if (kind, opts) == ("broken_join", {}):
        assert len(broken) == len(messy) + inc.rows_affected
        assert set(inc.application_ids) <= set(messy.loc[inside, "application_id"])
        return
    real = _really_changed(messy, broken, inc.columns)
    assert not (real & ~inside).any()
    assert inc.rows_affected == real.sum() == len(inc.application_ids) > 0
    assert set(inc.application_ids) == set(messy.loc[real, "application_id"])
    # what was missing and is not part of the fault stays missing; nothing new is invented
    for col in set(inc.columns) & set(messy.columns):
        new_default = col in (
            "months_to_default",
            "months_to_dpd30",
            "months_to_dpd60",
            "months_to_dpd90",
        )
        fills = (kind == "bureau_outage" and col in BUREAU_FIELDS) or new_default
        if not fills:  # the gateway fills defaults; a new default gets its month and its roll
            assert broken[col].isna().sum() >= messy[col].isna().sum(), col
        assert not np.isinf(pd.to_numeric(broken[col], errors="coerce")).any(), col


def test_concept_shift_new_defaults_roll_through_delinquency_first():
    book = world.generate(20_000, seed=5)
    broken, inc = inject(book, "concept_shift", start=START, end=END, seed=5, odds_ratio=3.0)
    new_bad = (broken["defaulted"] == 1) & (book["defaulted"] == 0)
    assert new_bad.any()
    lagged = broken.loc[new_bad]
    # 30, 60 and 90 days past due in the months before the charge-off, no cure
    assert (lagged["months_to_dpd30"] < lagged["months_to_dpd60"]).all()
    assert (lagged["months_to_dpd60"] < lagged["months_to_dpd90"]).all()
    assert (lagged["months_to_dpd90"] < lagged["months_to_default"]).all()
    assert lagged["months_to_cure"].isna().all()
    view = world.observed(broken, "2027-06-01")
    charged = view["dpd_status"] == "charged_off"
    assert (view.loc[charged, "ever_dpd30_so_far"] == 1).all()


def test_concept_shift_with_missing_pd_true():
    book = world.generate(4_000, seed=3)
    messy = book.copy()
    messy.loc[messy.index[::5], "pd_true"] = np.nan
    broken, inc = inject(messy, "concept_shift", start=START, end=END, seed=1)
    inside = (messy["applied_at"] >= T0) & (messy["applied_at"] < T1)
    has_pd = inside & messy["pd_true"].notna()
    assert inc.rows_affected == has_pd.sum()  # the NaN rows are left alone, not counted
    assert broken.loc[messy["pd_true"].isna(), "pd_true"].isna().all()
    assert (broken.loc[has_pd, "pd_true"] > messy.loc[has_pd, "pd_true"]).all()
    no_pd = messy["pd_true"].isna()
    assert_same(broken.loc[no_pd, "defaulted"], messy.loc[no_pd, "defaulted"])


def test_stale_feature_store_with_missing_inquiries():
    book = world.generate(4_000, seed=3)
    messy = book.copy()
    messy["inquiries_6m"] = messy["inquiries_6m"].astype(float)
    messy.loc[messy.index[::4], "inquiries_6m"] = np.nan
    broken, inc = inject(messy, "stale_feature_store", start=START, end=END, seed=1)
    assert broken["inquiries_6m"].isna().sum() == messy["inquiries_6m"].isna().sum()
    both = messy["inquiries_6m"].notna()
    assert (broken.loc[both, "inquiries_6m"] <= messy.loc[both, "inquiries_6m"]).all()
    inside = (messy["applied_at"] >= T0) & (messy["applied_at"] < T1)
    assert inc.rows_affected == inside.sum()  # every row in the window was served stale
    # nullable integers keep their dtype
    nullable = book.assign(inquiries_6m=book["inquiries_6m"].astype("Int64"))
    nullable.loc[nullable.index[::4], "inquiries_6m"] = pd.NA
    broken, inc = inject(nullable, "stale_feature_store", start=START, end=END, seed=1)
    assert broken["inquiries_6m"].dtype == "Int64"
    bad = book.assign(inquiries_6m=book["inquiries_6m"] - 50)
    with pytest.raises(ValueError, match="whole counts >= 0"):
        inject(bad, "stale_feature_store", start=START, end=END)


def test_chained_injections_keep_what_the_first_one_left():
    book = world.generate(4_000, seed=2)
    may = ("2025-05-01", "2025-06-01")
    b1, _ = inject(book, "stale_feature_store", start=may[0], end=may[1], seed=1)
    b2, r2 = inject(b1, "stale_feature_store", start=START, end=END, seed=1, stale_days=30)
    assert_same(
        b2.loc[b2["applied_at"] < T0, "feature_as_of"],
        b1.loc[b1["applied_at"] < T0, "feature_as_of"],
    )
    lag = b2["applied_at"] - b2["feature_as_of"]
    assert set(lag[(b2["applied_at"] >= T0) & (b2["applied_at"] < T1)]) == {pd.Timedelta(days=30)}
    o1, _ = inject(book, "bureau_outage", start=may[0], end=may[1], seed=1)
    o2, r = inject(o1, "bureau_outage", start=START, end=END, seed=1)
    assert_same(
        o2.loc[o2["applied_at"] < T0, "bureau_hit"], o1.loc[o1["applied_at"] < T0, "bureau_hit"]
    )
    assert r.rows_affected == (~o2["bureau_hit"] & (o2["applied_at"] >= T0)).sum()
    # the same outage twice changes nothing the second time
    again, r_again = inject(o2, "bureau_outage", start=START, end=END, seed=1)
    assert r_again.rows_affected == 0 and "Nothing changed" in r_again.description


def test_policy_is_the_schema_knockout_on_what_the_lender_saw():
    book = world.generate(4_000, seed=4)
    broken, inc = inject(book, "partner_field_rename", start=START, end=END, field="fico")
    assert (broken["approved_policy"].to_numpy() == passes_knockout(broken)).all()
    hit = broken["application_id"].isin(inc.application_ids)
    assert not broken.loc[hit, "approved_policy"].any()  # a missing score fails its rule
    # rows the fault did not change keep the decision they had, even if it was stale
    odd = book.assign(approved_policy=~book["approved_policy"])
    b, r = inject(odd, "seasonality", start=START, end=END)
    same = ~b["application_id"].isin(r.application_ids)
    assert_same(b.loc[same, "approved_policy"], odd.loc[same, "approved_policy"])


def test_an_empty_slice_is_a_record_of_nothing():
    book = world.generate(2_000, seed=1)
    june = (book["applied_at"] >= T0) & (book["applied_at"] < T1)
    no_broker = book[~(june & (book["channel"] == "broker"))]
    broken, inc = inject(
        no_broker, "income_monthly_as_annual", start=START, end=END, channel="broker"
    )
    assert inc.rows_affected == 0 and inc.application_ids == ()
    assert "Nothing changed" in inc.description
    assert_same(broken, no_broker)


def test_zero_income_does_not_make_infinite_dti():
    book = world.generate(2_000, seed=1)
    odd = book.copy()
    odd.loc[odd.index[::10], "annual_income"] = 0.0
    broken, inc = inject(odd, "income_monthly_as_annual", start=START, end=END)
    assert np.isfinite(broken["dti"].dropna()).all()
    zero = odd["annual_income"] == 0
    assert_same(broken.loc[zero, "dti"], odd.loc[zero, "dti"])


def test_duplicate_index_labels_and_nullable_ints():
    book = world.generate(3_000, seed=2)
    dup = book.set_axis([7] * len(book))
    for kind, opts in ALL_CASES:
        broken, inc = inject(dup, kind, start=START, end=END, seed=1, **opts)
        assert inc.rows_affected > 0, kind
    nullable = book.assign(fico=book["fico"].astype("Int64"))
    nullable.loc[nullable.index[::6], "fico"] = pd.NA
    broken, inc = inject(nullable, "bureau_attribute_bug", start=START, end=END, seed=1)
    assert broken["fico"].dtype == "Int64"
    assert broken["fico"].isna().sum() == nullable["fico"].isna().sum()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"kind": 3}, TypeError, "kind=3 must be a fault name"),
        ({"kind": "bureau_outage", "share": "0.3"}, TypeError, "share='0.3' must be a number"),
        ({"kind": "bureau_outage", "share": float("nan")}, ValueError, "finite"),
        ({"kind": "bureau_outage", "score": 300.5}, TypeError, "score=300.5"),
        ({"kind": "bureau_outage", "hit_flag": "no"}, TypeError, "hit_flag='no'"),
        ({"kind": "bureau_attribute_bug", "repull_column": 5}, TypeError, "repull_column=5"),
        ({"kind": "bureau_attribute_bug", "repull_column": "fico"}, ValueError, "already exists"),
        ({"kind": "income_monthly_as_annual", "channel": 2}, TypeError, "channel=2"),
        ({"kind": "partner_field_rename", "field": 1}, TypeError, "field=1"),
        ({"kind": "partner_field_rename", "field": "pd_true"}, ValueError, "not an application"),
        ({"kind": "partner_field_rename", "stage": None}, TypeError, "stage=None"),
        ({"kind": "broken_join", "mode": 1}, TypeError, "mode=1"),
        ({"kind": "broken_join", "columns": "fico"}, ValueError, "mode='misalign' only"),
        ({"kind": "broken_join", "mode": "misalign", "share": 0.1}, ValueError, "'duplicate' only"),
        ({"kind": "broken_join", "mode": "misalign", "columns": 5}, TypeError, "columns=5"),
        ({"kind": "broken_join", "mode": "misalign", "columns": []}, ValueError, "at least one"),
        ({"kind": "broken_join", "mode": "misalign", "columns": "applied_at"}, ValueError, "clock"),
        ({"kind": "stale_feature_store", "stale_days": 90.0}, TypeError, "stale_days=90.0"),
        ({"kind": "stale_feature_store", "stale_days": 10**9}, ValueError, "up to 3650"),
        ({"kind": "stale_feature_store", "undercount": 0}, ValueError, "undercount=0"),
        (
            {"kind": "income_verification_vendor_change", "income_ratio": np.inf},
            ValueError,
            "finite",
        ),
        ({"kind": "income_verification_vendor_change", "income_ratio": -1}, ValueError, "positive"),
        ({"kind": "seasonality", "util_drop": None}, TypeError, "util_drop=None"),
        ({"kind": "concept_shift", "odds_ratio": float("nan")}, ValueError, "finite"),
        ({"kind": "concept_shift", "segment": 1}, TypeError, "segment=1"),
        ({"kind": "verification_feed_gap", "channel": "fax"}, ValueError, "channel='fax'"),
        ({"kind": "seasonality", "seed": 1.5}, TypeError, "seed=1.5"),
        ({"kind": "seasonality", "start": 5}, TypeError, "start=5 must be a date"),
        ({"kind": "seasonality", "end": None}, TypeError, "end=None must be a date"),
        ({"kind": "seasonality", "start": END}, ValueError, "must be before"),  # zero-length
    ],
    ids=lambda x: str(x)[:60],
)
def test_wrong_types_and_values_raise_clearly(kwargs, error, match):
    book = world.generate(500, seed=1)
    kwargs = dict(kwargs)
    kind = kwargs.pop("kind")
    args = {"start": kwargs.pop("start", START), "end": kwargs.pop("end", END)}
    seed = kwargs.pop("seed", 0)
    with pytest.raises(error, match=match):
        inject(book, kind, seed=seed, **args, **kwargs)


def test_bad_columns_raise_clearly():
    book = world.generate(500, seed=1)
    with pytest.raises(TypeError, match="numeric 'fico'"):
        inject(
            book.assign(fico=book["fico"].astype(str)), "bureau_attribute_bug", start=START, end=END
        )
    with pytest.raises(ValueError, match="'application_id'"):
        inject(book.drop(columns="application_id"), "seasonality", start=START, end=END)
    with pytest.raises(ValueError, match=r"pd_true must be a probability"):
        inject(book.assign(pd_true=book["pd_true"] + 2), "concept_shift", start=START, end=END)
    with pytest.raises(ValueError, match="no applications between"):  # before the data
        inject(book, "seasonality", start="2001-01-01", end="2001-02-01")
