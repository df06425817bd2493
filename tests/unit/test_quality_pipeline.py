"""The feature pipeline: a clean run honours every contract; each break is caught."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lendlab import world
from lendlab.quality import (
    BREAKS,
    CONTRACTS,
    Contract,
    Sources,
    apply_breaks,
    build_features,
    check_pipeline,
    split_sources,
    validate,
)
from lendlab.world.faults import FAULTS, inject


@pytest.fixture(scope="module", params=[1, 2, 3])
def world_data(request):
    book = world.generate(6_000, seed=request.param)
    return book, split_sources(book, seed=request.param)


def test_clean_run_has_zero_violations(world_data):
    book, sources = world_data
    features = build_features(sources)
    v = check_pipeline(sources, features)
    assert v.empty, v.to_string()
    assert list(v.columns) == ["table", "column", "rule", "observed", "expected", "rows_affected"]


def test_clean_features_reproduce_the_world(world_data):
    book, sources = world_data
    f = build_features(sources)
    assert len(f) == len(book) and f["application_id"].is_unique
    for col in world.FEATURES:
        got, want = f[col].to_numpy(), book[col].to_numpy()
        if col == "dti":  # recomputed from monthly debt rounded to cents
            assert np.abs(got - want).max() <= 0.011
        else:
            assert ((got == want) | (pd.isna(got) & pd.isna(want))).all(), col
    assert (f["income_verification"].astype(str) == book["income_verification"].astype(str)).all()
    assert np.allclose(f["loan_to_income"], book["loan_amount"] / book["annual_income"], atol=1e-4)
    assert f["fico"].dtype == np.int64 and f["inquiries_6m"].dtype == np.int64


def test_sources_look_like_raw_feeds(world_data):
    book, sources = world_data
    apps, bureau, verif = sources.applications, sources.bureau_pulls, sources.verifications
    assert "dti" not in apps and "monthly_debt" in apps and "pd_true" not in apps
    assert len(apps) == len(book) == len(verif)
    timeouts = bureau["fico"].isna()
    assert 0.02 < timeouts.mean() < 0.06  # retried pulls
    assert bureau.loc[timeouts, ["inquiries_6m", "revol_util"]].isna().all().all()
    assert set(bureau["application_id"]) == set(apps["application_id"])
    assert (verif["verified_income"].isna() == (verif["status"] == "not_verified")).all()
    assert sources.as_of > apps["applied_at"].max()


def test_split_sources_is_deterministic_and_leaves_the_book_alone():
    book = world.generate(1_000, seed=4)
    before = book.copy()
    a, b = split_sources(book, seed=4), split_sources(book, seed=4)
    for name in ("applications", "bureau_pulls", "verifications"):
        assert getattr(a, name).equals(getattr(b, name))
    assert book.equals(before)


# What each break must trip in the feature table (and where else it shows).
CAUGHT = {
    "broken_join": {
        ("features", "application_id", "unique"),
        ("features", "fico", "null_budget"),
    },
    "stale_feature_store": {
        ("features", "bureau_pulled_at->applied_at", "lag"),
        ("bureau_pulls", "pulled_at", "freshness"),
    },
    "income_monthly_as_annual": {
        ("features", "dti", "range"),
        ("applications", "annual_income", "range"),
    },
    "verification_feed_gap": {
        ("features", "income_verification", "null_budget"),
        ("applications", "application_id", "coverage"),
        ("verifications", "verified_at", "freshness"),
    },
    "partner_field_rename": {
        ("features", "emp_length_years", "null_budget"),
        ("applications", "employment_length", "unexpected"),
    },
}


def test_every_break_has_a_check():
    assert set(CAUGHT) == set(BREAKS)


@pytest.mark.parametrize("brk", list(BREAKS))
def test_each_break_is_caught(world_data, brk):
    book, sources = world_data
    features = build_features(sources, breaks=[brk])
    v = check_pipeline(sources, features, breaks=[brk])
    found = set(zip(v["table"], v["column"], v["rule"], strict=True))
    assert CAUGHT[brk] <= found, v.to_string()
    # the feature contract alone is enough to stop the batch
    assert not validate(features, CONTRACTS["features"]).empty
    # and the raw sources as delivered (no break) stay clean: the fault is in this run only
    assert check_pipeline(sources).empty


def test_break_details(world_data):
    book, sources = world_data
    dup = build_features(sources, breaks="broken_join")
    assert len(dup) == len(sources.bureau_pulls)  # fanned out: one row per pull
    units = build_features(sources, breaks=["income_monthly_as_annual"])
    partner = (units["channel"] == "partner_api").to_numpy()
    clean = build_features(sources)
    ratio = units.loc[partner, "dti"].to_numpy() / clean.loc[partner, "dti"].to_numpy()
    assert np.nanmedian(ratio) == pytest.approx(12, rel=0.01)
    assert (units.loc[~partner, "dti"].to_numpy() == clean.loc[~partner, "dti"].to_numpy()).all()
    stale = build_features(sources, breaks=["stale_feature_store"])
    assert stale["inquiries_6m"].sum() < clean["inquiries_6m"].sum()
    both = build_features(sources, breaks=["income_monthly_as_annual", "partner_field_rename"])
    v = validate(both, CONTRACTS["features"])
    assert {"range", "null_budget"} <= set(v["rule"])


def test_apply_breaks_never_mutates(world_data):
    book, sources = world_data
    copies = {k: v.copy() for k, v in sources.tables().items()}
    for brk in BREAKS:
        apply_breaks(sources, [brk])
        build_features(sources, breaks=[brk])
    for k, v in sources.tables().items():
        assert v.equals(copies[k]), k


def test_dedupe_keeps_the_latest_successful_pull():
    book = world.generate(500, seed=8)
    s = split_sources(book, seed=8, timeout_rate=0.0)
    # a second, later successful pull with a different score must win over the first
    again = s.bureau_pulls.iloc[:5].copy()
    again["pulled_at"] += pd.Timedelta("1min")
    again["fico"] = 700
    s2 = Sources(
        s.applications,
        pd.concat([s.bureau_pulls, again], ignore_index=True),
        s.verifications,
        s.as_of,
    )
    f = build_features(s2).set_index("application_id")
    assert (f.loc[again["application_id"], "fico"] == 700).all() and f.index.is_unique


def test_vendor_duplicates_make_the_join_fail_loudly():
    book = world.generate(300, seed=9)
    s = split_sources(book, seed=9)
    twice = Sources(
        s.applications,
        s.bureau_pulls,
        pd.concat([s.verifications, s.verifications.iloc[:2]]),
        s.as_of,
    )
    with pytest.raises(pd.errors.MergeError):
        build_features(twice)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda s, b: build_features(s, breaks=["typo"]),
            ValueError,
            r"unknown break\(s\) \['typo'\]",
        ),
        (
            lambda s, b: build_features(s, breaks=["income_units"]),
            ValueError,
            r"'income_units' is now 'income_monthly_as_annual'",
        ),
        (
            lambda s, b: build_features(s, breaks=["seasonality"]),
            ValueError,
            r"can only be injected into a book",
        ),
        (lambda s, b: build_features(s, breaks=[3]), TypeError, r"must be names \(str\)"),
        (lambda s, b: build_features(s, breaks=None), TypeError, "breaks=None"),
        (
            lambda s, b: apply_breaks(
                Sources(
                    s.applications.drop(columns="channel"),
                    s.bureau_pulls,
                    s.verifications,
                    s.as_of,
                ),
                ["partner_field_rename"],
            ),
            ValueError,
            r"break 'partner_field_rename' needs column\(s\) \['channel'\]",
        ),
        (lambda s, b: build_features(b), TypeError, "split_sources"),
        (lambda s, b: split_sources(b.drop(columns="dti")), ValueError, r"\['dti'\]"),
        (lambda s, b: split_sources(b.iloc[:0]), ValueError, "empty"),
        (lambda s, b: split_sources(b, timeout_rate=1.5), ValueError, "timeout_rate=1.5"),
        (lambda s, b: split_sources(b, seed=-2), ValueError, "seed=-2"),
        (lambda s, b: split_sources(b.to_dict()), TypeError, "DataFrame"),
        (
            lambda s, b: build_features(
                Sources(
                    s.applications.drop(columns="monthly_debt"),
                    s.bureau_pulls,
                    s.verifications,
                    s.as_of,
                )
            ),
            ValueError,
            r"sources.applications is missing column\(s\) \['monthly_debt'\]",
        ),
    ],
)
def test_bad_input_raises_with_the_fix(call, error, match):
    book = world.generate(200, seed=1)
    with pytest.raises(error, match=match):
        call(split_sources(book), book)


# ------------------------------------------------- incidents meet contracts (world-shaped data)

BOOK_CONTRACT = Contract(
    "book",
    {k: v for k, v in CONTRACTS["features"].columns.items() if k in world.generate(10).columns},
    unique=["application_id"],
)


@pytest.mark.parametrize(
    ("kind", "opts", "expected"),
    [
        ("bureau_outage", {}, {("fico", "spike"), ("open_accounts", "range")}),
        ("income_monthly_as_annual", {}, {("dti", "range"), ("annual_income", "range")}),
        ("partner_field_rename", {}, {("emp_length_years", "null_budget")}),
        ("broken_join", {}, {("application_id", "unique")}),
        # silent kinds: a contract cannot see them (drift, reconciliation or outcomes must)
        ("bureau_attribute_bug", {}, set()),
        ("stale_feature_store", {}, set()),
        ("seasonality", {}, set()),
        ("concept_shift", {}, set()),
        ("broken_join", {"mode": "misalign"}, set()),
        ("partner_field_rename", {"stage": "imputed"}, set()),
    ],
    ids=lambda x: str(x) if not isinstance(x, set) else "",  # sets print in hash order
)
def test_which_incidents_a_contract_can_see(kind, opts, expected):
    book = world.generate(8_000, seed=2)
    assert validate(book, BOOK_CONTRACT).empty
    broken, inc = inject(book, kind, start="2025-06-01", end="2025-07-01", seed=2, **opts)
    window = broken[(broken["applied_at"] >= inc.start) & (broken["applied_at"] < inc.end)]
    window = window.drop(columns=["bureau_hit", "feature_as_of"], errors="ignore")
    v = validate(window, BOOK_CONTRACT)
    assert set(zip(v["column"], v["rule"], strict=True)) == expected, v.to_string()


def test_breaks_are_the_catalogue_pipeline_faults():
    assert isinstance(BREAKS, tuple)
    assert BREAKS == tuple(n for n, spec in FAULTS.items() if spec.pipeline_break)
    for name in BREAKS:
        assert "pipeline" in FAULTS[name].where and FAULTS[name].pipeline_break


def test_a_break_named_twice_is_applied_once(world_data):
    book, sources = world_data
    once = apply_breaks(sources, ["stale_feature_store"])
    twice = apply_breaks(sources, ["stale_feature_store", "stale_feature_store"])
    assert once.bureau_pulls.equals(twice.bureau_pulls)


@pytest.mark.parametrize("name", BREAKS)
def test_each_break_is_the_same_fault_injected_into_the_book(name):
    # One name, two places: injecting the fault upstream and breaking the pipeline move the
    # same columns of the feature table.
    book = world.generate(3_000, seed=5)
    opts = {"channel": "partner_api"} if name == "income_monthly_as_annual" else {}
    hit, record = inject(book, name, start="2025-06-01", end="2025-07-01", seed=1, **opts)
    assert record.rows_affected > 0 and record.spec is FAULTS[name]
    src = split_sources(book, seed=5)
    clean, broken = build_features(src), build_features(src, breaks=[name])
    moved = {
        c for c in clean.columns if len(broken) != len(clean) or not clean[c].equals(broken[c])
    }
    injected = set(record.columns) & set(clean.columns)
    if name == "broken_join":
        assert len(broken) > len(clean) and len(hit) > len(book)  # both duplicate rows
    else:
        assert injected and injected <= moved | {"feature_as_of"}, (injected, moved)


@pytest.mark.parametrize(
    ("brk", "table", "column", "want"),
    [
        ("income_monthly_as_annual", "applications", "annual_income", "numeric"),
        ("stale_feature_store", "bureau_pulls", "inquiries_6m", "numeric"),
        ("stale_feature_store", "bureau_pulls", "pulled_at", "datetime"),
        ("verification_feed_gap", "verifications", "verified_at", "datetime"),
        ("partner_field_rename", "applications", "emp_length_years", "numeric"),
    ],
)
def test_a_break_refuses_text_where_it_needs_numbers_or_times(brk, table, column, want):
    s = split_sources(world.generate(300, seed=1))
    tables = s.tables()
    tables[table] = tables[table].assign(**{column: tables[table][column].astype(str)})
    bad = Sources(**tables, as_of=s.as_of)
    with pytest.raises(TypeError, match=rf"needs a {want} sources.{table}\['{column}'\]"):
        build_features(bad, breaks=[brk])
