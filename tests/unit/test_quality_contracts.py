"""Data contracts: every rule fires on a crafted violation, stays quiet on clean data, and
agrees with pandera on the rules both implement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lendlab.quality import (
    VIOLATION_COLUMNS,
    Column,
    Contract,
    Coverage,
    Freshness,
    Lag,
    validate,
)

T = pd.Timestamp("2025-06-01", tz="UTC")


@pytest.fixture
def apps() -> pd.DataFrame:
    n = 200
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "application_id": np.arange(1, n + 1, dtype=np.int64),
            "applied_at": T + pd.to_timedelta(np.arange(n) * 600, unit="s"),
            "fico": rng.integers(500, 800, n),
            "dti": rng.uniform(0, 45, n).round(2),
            "channel": pd.Categorical(
                rng.choice(["web", "mobile"], n), categories=["web", "mobile"]
            ),
            "note": pd.array(["ok"] * n, dtype="str"),
        }
    )


@pytest.fixture
def contract() -> Contract:
    return Contract(
        name="applications",
        columns={
            "application_id": Column(dtype="int"),
            "applied_at": Column(dtype="datetime"),
            "fico": Column(dtype="int", min=300, max=850),
            "dti": Column(dtype="float", min=0, max=60),
            "channel": Column(dtype="category", allowed=["web", "mobile"]),
            "note": Column(dtype="str"),
        },
        unique=["application_id"],
        row_count=(100, 1000),
    )


def rules(v: pd.DataFrame) -> list[tuple[str, str, int]]:
    return list(zip(v["column"], v["rule"], v["rows_affected"], strict=True))


def test_clean_frame_gives_an_empty_typed_frame(apps, contract):
    v = validate(apps, contract)
    assert list(v.columns) == VIOLATION_COLUMNS and v.empty
    assert pd.api.types.is_integer_dtype(v["rows_affected"])


def test_each_column_rule_fires_with_the_right_count(apps, contract):
    bad = apps.copy()
    bad.loc[:2, "fico"] = 250  # 3 below range
    bad["dti"] = bad["dti"].astype(float)
    bad.loc[10:13, "dti"] = np.nan  # 4 nulls, budget 0
    bad["channel"] = bad["channel"].cat.add_categories(["fax"])
    bad.loc[20:24, "channel"] = "fax"  # 5 not allowed
    v = validate(bad, contract)
    assert rules(v) == [("fico", "range", 3), ("dti", "null_budget", 4), ("channel", "allowed", 5)]
    assert "'fax'" in v.loc[v["rule"] == "allowed", "observed"].item()
    assert v.loc[v["rule"] == "range", "observed"].item().startswith("min 250, max ")
    assert v.loc[v["rule"] == "range", "expected"].item() == "[300, 850]"


def test_missing_column_is_a_violation_not_a_keyerror(apps, contract):
    v = validate(apps.drop(columns=["fico"]), contract)
    assert rules(v) == [("fico", "present", len(apps))]
    optional = Contract("t", {"fico": Column(required=False, min=300)})
    assert validate(apps.drop(columns=["fico"]), optional).empty


def test_dtype_and_range_on_wrong_dtype(apps, contract):
    bad = apps.assign(fico=apps["fico"].astype(str))
    v = validate(bad, contract)
    assert rules(v) == [("fico", "dtype", len(apps))]  # no confusing range error on text
    assert v["observed"].item() == "str" and v["expected"].item() == "int"
    # pandas 3 text is not a category and a category is not text
    assert rules(validate(apps.assign(channel=apps["channel"].astype(str)), contract)) == [
        ("channel", "dtype", len(apps))
    ]
    floats = validate(apps.assign(fico=apps["fico"].astype(float)), contract)
    assert rules(floats) == [("fico", "dtype", len(apps))]
    bools = Contract("t", {"x": Column(dtype="int")})
    assert rules(validate(pd.DataFrame({"x": [True, False]}), bools)) == [("x", "dtype", 2)]
    assert validate(pd.DataFrame({"x": [1.5]}), Contract("t", {"x": Column(dtype="numeric")})).empty


def test_null_budget_allows_a_share(apps):
    frame = apps.assign(dti=apps["dti"].where(apps.index >= 10))  # 10 of 200 = 5% null
    assert validate(frame, Contract("t", {"dti": Column(max_null=0.05)})).empty
    v = validate(frame, Contract("t", {"dti": Column(max_null=0.04)}))
    assert rules(v) == [("dti", "null_budget", 10)] and v["observed"].item() == "0.0500 null"


def test_spike_catches_a_default_fill(apps):
    c = Contract("t", {"fico": Column(max_mode_share=0.05)})
    assert validate(apps, c).empty
    v = validate(apps.assign(fico=apps["fico"].where(apps.index >= 30, 300)), c)
    assert rules(v) == [("fico", "spike", 30)] and "= 300" in v["observed"].item()


def test_unique_single_and_compound_keys(apps):
    dup = pd.concat([apps, apps.iloc[:3]], ignore_index=True)
    v = validate(dup, Contract("t", unique=["application_id"]))
    assert rules(v) == [("application_id", "unique", 6)]
    assert v["observed"].item() == "3 repeated keys"
    pulls = pd.DataFrame({"application_id": [1, 1, 2], "pulled_at": [T, T + pd.Timedelta("5s"), T]})
    assert validate(pulls, Contract("t", unique=[("application_id", "pulled_at")])).empty
    v = validate(pulls.assign(pulled_at=T), Contract("t", unique=[("application_id", "pulled_at")]))
    assert rules(v) == [("application_id+pulled_at", "unique", 2)]
    assert rules(validate(pulls, Contract("t", unique="nope"))) == [("nope", "present", 3)]


def test_row_count_bounds_and_empty_tables(apps, contract):
    assert rules(validate(apps.iloc[:40], contract)) == [("*", "row_count", 60)]
    big = pd.concat([apps] * 6, ignore_index=True).assign(
        application_id=np.arange(1, 1201, dtype=np.int64)
    )
    assert rules(validate(big, contract)) == [("*", "row_count", 200)]
    empty = apps.iloc[:0]
    assert rules(validate(empty, Contract("t"))) == [("*", "row_count", 1)]  # empty is a finding
    assert validate(empty, Contract("t", row_count=(0, None))).empty


def test_freshness_newest_and_oldest(apps):
    newest = apps["applied_at"].max()
    c = Contract("t", freshness=Freshness("applied_at", max_age="2D"))
    assert validate(apps, c, as_of=newest + pd.Timedelta("1D")).empty
    v = validate(apps, c, as_of=newest + pd.Timedelta("3D"))
    assert rules(v) == [("applied_at", "freshness", len(apps))]
    # naive as_of strings are read in the column's time zone
    assert validate(apps, c, as_of=str(newest.tz_convert(None) + pd.Timedelta("1h"))).empty
    oldest = Contract("t", freshness=Freshness("applied_at", max_age="1D", which="oldest"))
    v = validate(apps, oldest, as_of=T + pd.Timedelta("1D") + pd.Timedelta("25min"))
    assert rules(v) == [("applied_at", "freshness", 3)]  # rows at 0, 10 and 20 minutes
    with pytest.raises(ValueError, match="pass as_of="):
        validate(apps, c)
    with pytest.raises(ValueError, match="not a timestamp"):
        validate(apps, c, as_of="soon")
    assert rules(validate(apps.assign(applied_at="x"), c, as_of=T)) == [
        ("applied_at", "dtype", len(apps))
    ]


def test_lag_between_two_timestamps(apps):
    frame = apps.assign(pulled_at=apps["applied_at"] + pd.Timedelta("20s"))
    c = Contract("t", freshness=Lag("pulled_at", "applied_at", max_lag="1D"))
    assert validate(frame, c).empty
    frame.loc[:4, "pulled_at"] -= pd.Timedelta("90D")
    v = validate(frame, c)
    assert rules(v) == [("pulled_at->applied_at", "lag", 5)]
    tolerant = Contract("t", freshness=Lag("pulled_at", "applied_at", "1D", max_share=0.05))
    assert validate(frame, tolerant).empty  # 5 of 200 rows = 2.5% <= 5%
    assert rules(validate(apps, c)) == [("pulled_at", "present", len(apps))]


def test_join_coverage(apps):
    bureau = apps[["application_id"]].iloc[10:]
    c = Contract("t", joins=Coverage("application_id", right="bureau_pulls"))
    v = validate(apps, c, join={"bureau_pulls": bureau})
    assert rules(v) == [("application_id", "coverage", 10)]
    assert v["observed"].item() == "0.9500 of keys found in bureau_pulls"
    assert rules(validate(apps, c, join=bureau)) == rules(v)  # a bare frame for a single rule
    relaxed = Contract("t", joins=Coverage("application_id", right="bureau_pulls", min_share=0.9))
    assert validate(apps, relaxed, join=bureau).empty
    renamed = Contract("t", joins=Coverage("application_id", right="b", right_key="app"))
    other = bureau.rename(columns={"application_id": "app"})
    assert rules(validate(apps, renamed, join={"b": other})) == [("application_id", "coverage", 10)]
    with pytest.raises(ValueError, match="pass join="):
        validate(apps, c)
    with pytest.raises(ValueError, match="has no table 'bureau_pulls'"):
        validate(apps, c, join={"other": bureau})
    with pytest.raises(ValueError, match="no key column 'application_id'"):
        validate(apps, c, join=bureau.rename(columns={"application_id": "id"}))


def test_strict_contract_flags_unexpected_columns(apps, contract):
    strict = Contract(contract.name, contract.columns, strict=True)
    assert validate(apps, strict).empty
    v = validate(apps.assign(employment_length=1.0), strict)
    assert rules(v) == [("employment_length", "unexpected", len(apps))]


def test_datetime_range(apps):
    c = Contract("t", {"applied_at": Column(min="2025-06-01", max="2025-06-02")})
    # 200 rows every 10 minutes from midnight: rows 0..144 fall inside (max is inclusive)
    assert rules(validate(apps, c)) == [("applied_at", "range", 55)]


def test_validate_never_mutates_and_accepts_a_dict(apps, contract):
    before = apps.copy()
    v1 = validate(apps, contract)
    v2 = validate(apps, contract.to_dict())
    pd.testing.assert_frame_equal(v1, v2)
    pd.testing.assert_frame_equal(apps, before)


def test_from_dict_yaml_and_round_trip(contract):
    spec = {
        "name": "bureau_pulls",
        "columns": {"fico": {"dtype": "int", "min": 300, "max": 850, "max_null": 0.05}},
        "unique": [["application_id", "pulled_at"]],
        "row_count": [1, None],
        "freshness": [
            {"column": "pulled_at", "max_age": "2D"},
            {"earlier": "pulled_at", "later": "applied_at", "max_lag": "1D"},
        ],
        "joins": {"key": "application_id", "right": "applications"},
    }
    c = Contract.from_dict(spec)
    assert isinstance(c.freshness[0], Freshness) and isinstance(c.freshness[1], Lag)
    assert c.unique == (("application_id", "pulled_at"),) and c.joins[0].min_share == 1.0
    assert Contract.from_dict(c.to_dict()) == c
    assert Contract.from_dict(contract.to_dict()) == contract
    text = """
name: applications
columns:
  fico: {dtype: int, min: 300, max: 850}
  channel: {dtype: category, allowed: [web, mobile]}
unique: [application_id]
freshness:
  - {column: applied_at, max_age: 2D}
"""
    y = Contract.from_yaml(text)
    assert y.columns["channel"].allowed == ("web", "mobile")
    assert y.freshness[0].max_age == pd.Timedelta("2D")


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: Column(dtype="integer"), ValueError, "dtype='integer' is unknown"),
        (lambda: Column(max_null=5), ValueError, "max_null=5"),
        (lambda: Column(min=10, max=1), ValueError, "min=10 is above max=1"),
        (lambda: Column(allowed="web"), TypeError, "must be a list"),
        (lambda: Freshness("t", max_age="soon"), ValueError, "max_age='soon'"),
        (lambda: Freshness("t", max_age="1D", which="latest"), ValueError, "which='latest'"),
        (lambda: Lag("a", "b", max_lag="-1D"), ValueError, "non-negative"),
        (lambda: Coverage("k", "r", min_share=1.2), ValueError, "min_share=1.2"),
        (lambda: Contract(""), ValueError, "name=''"),
        (lambda: Contract("t", columns={"x": 3}), TypeError, "'x' rule must be a Column"),
        (lambda: Contract("t", row_count=(1, 2, 3)), ValueError, "row_count"),
        (
            lambda: Contract.from_dict({"name": "t", "colums": {}}),
            ValueError,
            r"unknown keys \['colums'\]",
        ),
        (lambda: Contract.from_dict({"columns": {}}), ValueError, "needs a 'name'"),
        (
            lambda: Contract.from_dict({"name": "t", "columns": {"x": {"maximum": 3}}}),
            ValueError,
            r"column 'x' has unknown keys \['maximum'\]",
        ),
        (
            lambda: Contract.from_dict({"name": "t", "freshness": [{"max_age": "1D"}]}),
            ValueError,
            "needs 'column'",
        ),
        (lambda: Contract.from_dict(["name"]), TypeError, "must be a dict"),
        (lambda: validate({"a": [1]}, Contract("t")), TypeError, "DataFrame"),
        (lambda: validate(pd.DataFrame({"a": [1]}), "contract"), TypeError, "Contract or a dict"),
    ],
)
def test_bad_specs_raise_with_a_fix(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_agrees_with_pandera_on_shared_rules():
    """Range, allowed values and nulls counted the same way as pandera's lazy validation."""
    pa = pytest.importorskip("pandera.pandas")
    rng = np.random.default_rng(11)
    n = 2_000
    frame = pd.DataFrame(
        {
            "fico": np.where(rng.random(n) < 0.03, np.nan, rng.normal(640, 90, n).round()),
            "channel": pd.Categorical(rng.choice(["web", "mobile", "fax"], n, p=[0.6, 0.38, 0.02])),
            "dti": np.where(rng.random(n) < 0.05, np.nan, rng.uniform(-5, 70, n)),
        }
    )
    ours = validate(
        frame,
        Contract(
            "t",
            {
                "fico": Column(min=300, max=850, max_null=1.0),
                "channel": Column(allowed=["web", "mobile"]),
                "dti": Column(min=0, max=60),
            },
        ),
    )
    schema = pa.DataFrameSchema(
        {
            "fico": pa.Column(float, pa.Check.in_range(300, 850), nullable=True),
            "channel": pa.Column(checks=pa.Check.isin(["web", "mobile"])),
            "dti": pa.Column(float, pa.Check.in_range(0, 60), nullable=False),
        }
    )
    with pytest.raises(pa.errors.SchemaErrors) as caught:
        schema.validate(frame, lazy=True)
    cases = caught.value.failure_cases
    theirs_nulls = cases[(cases["column"] == "dti") & cases["failure_case"].isna()].shape[0]
    theirs = cases[cases["failure_case"].notna()].groupby("column").size().to_dict()
    mine = ours.set_index(["column", "rule"])["rows_affected"].to_dict()
    assert mine[("fico", "range")] == theirs["fico"] > 0
    assert mine[("channel", "allowed")] == theirs["channel"] > 0
    assert mine[("dti", "range")] == theirs["dti"] > 0
    assert mine[("dti", "null_budget")] == theirs_nulls > 0


# ---------------------------------------------------------------- common YAML and Python spellings


@pytest.mark.parametrize("key", ["columns", "unique", "row_count", "freshness", "joins"])
def test_an_empty_yaml_key_means_none(key):
    c = Contract.from_yaml(f"name: t\n{key}:\n")
    assert c == Contract("t")
    assert Contract("t", **{key: None}) == Contract("t")


def test_an_empty_column_entry_gets_the_default_rules(apps):
    c = Contract.from_yaml("name: t\ncolumns:\n  fico:\n  dti:\n")
    assert c.columns == {"fico": Column(), "dti": Column()}
    assert rules(validate(apps.drop(columns=["dti"]), c)) == [("dti", "present", len(apps))]


def test_a_single_rule_dict_is_one_rule_and_a_string_is_refused():
    one = Contract("t", joins={"key": "application_id", "right": "bureau"})
    assert one.joins == (Coverage("application_id", right="bureau"),)
    fresh = Contract("t", freshness={"column": "applied_at", "max_age": "2D"})
    assert fresh.freshness == (Freshness("applied_at", max_age="2D"),)
    with pytest.raises(TypeError, match=r"joins='bureau' must be a rule .*Coverage\("):
        Contract("t", joins="bureau")
    with pytest.raises(TypeError, match=r"freshness='applied_at' must be a rule .*Freshness\("):
        Contract("t", freshness="applied_at")


def test_row_count_accepts_a_min_max_mapping():
    assert Contract.from_yaml("name: t\nrow_count: {min: 100}").row_count == (100, None)
    assert Contract("t", row_count={"min": 1, "max": 9}).row_count == (1, 9)
    c = Contract("t", row_count={"max": 2})
    assert Contract.from_dict(c.to_dict()) == c


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        # where a list belongs
        (lambda: Contract("t", unique={"application_id": True}), TypeError, "list of keys"),
        (lambda: Contract("t", unique=[3]), TypeError, "unique key 3"),
        (lambda: Contract("t", unique=[[]]), TypeError, r"unique key \[\]"),
        (lambda: Contract("t", joins=["bureau"]), TypeError, "joins entry 'bureau'"),
        (lambda: Contract("t", joins=[3]), TypeError, "joins entry 3"),
        (lambda: Contract("t", freshness=[None]), TypeError, "freshness entry None"),
        (lambda: Contract("t", freshness=Coverage("a", "b")), TypeError, "freshness="),
        (lambda: Contract("t", joins=Freshness("a", "1D")), TypeError, "joins="),
        (lambda: Contract("t", columns=["fico", "dti"]), TypeError, r"\{'fico': \{\}, 'dti'"),
        (lambda: Contract("t", columns="fico"), TypeError, "must map column name"),
        (lambda: Contract("t", columns={3: Column()}), TypeError, "column name 3"),
        (lambda: Contract("t", columns={"x": {"maximum": 1}}), ValueError, r"\['maximum'\]"),
        # row counts
        (lambda: Contract("t", row_count=5), TypeError, r"must be \(min, max\)"),
        (lambda: Contract("t", row_count="10"), TypeError, r"must be \(min, max\)"),
        (lambda: Contract("t", row_count=(1.5, None)), TypeError, "whole numbers"),
        (lambda: Contract("t", row_count=(True, None)), TypeError, "whole numbers"),
        (lambda: Contract("t", row_count=(-1, None)), ValueError, "negative"),
        (lambda: Contract("t", row_count=(10, 5)), ValueError, "swap"),
        (lambda: Contract("t", row_count={"minimum": 1}), ValueError, r"\['minimum'\]"),
        # scalars
        (lambda: Contract(3), TypeError, "name=3 must be a string"),
        (lambda: Contract("t", strict="yes"), TypeError, "strict='yes' must be True or False"),
        (lambda: Column(required="no"), TypeError, "required='no'"),
        (lambda: Column(dtype=int), TypeError, "must be one of the names"),
        (lambda: Column(dtype=["int"]), TypeError, "must be one of the names"),
        (lambda: Column(max_null="5%"), TypeError, "max_null='5%'"),
        (lambda: Column(max_null=None), TypeError, "max_null=None"),
        (lambda: Column(max_null=float("nan")), ValueError, "max_null=nan"),
        (lambda: Column(min="300"), TypeError, "write the number 300 without quotes"),
        (lambda: Column(min="soon"), ValueError, "neither a number nor a timestamp"),
        (lambda: Column(min=True), TypeError, "not a bool"),
        (lambda: Column(min=float("nan")), ValueError, "open end"),
        (lambda: Column(min=[1]), TypeError, "number or a timestamp"),
        (lambda: Column(min=1, max="2025-01-01"), ValueError, "mix a number and a timestamp"),
        (lambda: Column(min="2025-02-01", max="2025-01-01"), ValueError, "swap"),
        (lambda: Freshness("t", max_age=2), TypeError, "bare number"),
        (lambda: Freshness("t", max_age=None), TypeError, "max_age=None"),
        (lambda: Freshness(None, max_age="1D"), TypeError, "column=None"),
        (lambda: Freshness("", max_age="1D"), ValueError, "non-empty"),
        (lambda: Freshness("t", "1D", which=None), ValueError, "which=None"),
        (lambda: Lag("a", ["b"], max_lag="1D"), TypeError, r"later=\['b'\]"),
        (lambda: Lag("a", "b", max_lag=1.5), TypeError, "bare number"),
        (lambda: Coverage(3, "r"), TypeError, "key=3"),
        (lambda: Coverage("k", None), TypeError, "right=None"),
        (lambda: Coverage("k", "r", right_key=1), TypeError, "right_key=1"),
        (lambda: Coverage("k", "r", min_share="all"), TypeError, "min_share='all'"),
        # YAML text
        (lambda: Contract.from_yaml(None), TypeError, "YAML text"),
        (lambda: Contract.from_yaml(""), ValueError, "YAML is empty"),
        (lambda: Contract.from_yaml("name: [t"), ValueError, "does not parse at line 1"),
        (lambda: Contract.from_yaml("- name: t"), TypeError, "must be a dict"),
        (lambda: Contract.from_yaml("name: t\nfreshness: [applied_at]"), TypeError, "entry"),
        (lambda: Contract.from_yaml("name: t\ncolumns: {x: {min: '5'}}"), TypeError, "quotes"),
    ],
)
def test_wrong_spellings_fail_at_construction_with_a_fix(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_bounds_of_the_wrong_kind_are_violations_not_crashes(apps):
    numbers_on_time = Contract("t", {"applied_at": Column(min=300)})
    v = validate(apps, numbers_on_time)  # not "300 ns after 1970"
    assert rules(v) == [("applied_at", "range", len(apps))]
    assert v["expected"].item() == "timestamps for this min/max"
    time_on_numbers = Contract("t", {"fico": Column(max="2025-01-01")})
    assert rules(validate(apps, time_on_numbers)) == [("fico", "range", len(apps))]
    aware = Contract("t", {"applied_at": Column(max=pd.Timestamp("2025-06-02", tz="UTC"))})
    naive = apps.assign(applied_at=apps["applied_at"].dt.tz_convert(None))
    assert rules(validate(naive, aware)) == [("applied_at", "range", 55)]
    assert rules(validate(apps, aware)) == [("applied_at", "range", 55)]


def test_validate_refuses_duplicate_columns_and_non_frame_join_tables(apps):
    twice = pd.concat([apps[["fico"]], apps[["fico"]]], axis=1)
    with pytest.raises(ValueError, match=r"duplicate column names \['fico'\]"):
        validate(twice, Contract("t", {"fico": Column()}))
    c = Contract("t", joins=Coverage("application_id", right="bureau"))
    with pytest.raises(TypeError, match=r"join\['bureau'\] must be a pandas DataFrame, got dict"):
        validate(apps, c, join={"bureau": {"application_id": [1]}})
