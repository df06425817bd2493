"""The synthetic world: contract, determinism, anchors, the observed view and bad input."""

import hashlib

import pandas as pd
import pytest

from lendlab import world

CONTRACT = [
    "application_id",
    "applied_at",
    "fico",
    "annual_income",
    "dti",
    "loan_amount",
    "term_months",
    "grade",
    "inquiries_6m",
    "revol_util",
    "emp_length_years",
    "segment",
    "pd_true",
    "defaulted",
    "months_to_default",
    "channel",
    "region",
    "income_verification",
    "verified_income",
    "protected_group",
    "protected_proxy",
    "approved_policy",
]


@pytest.fixture(scope="module")
def book():
    # A seed the generator was not tuned on.
    return world.generate(200_000, seed=11)


def test_contract_columns_and_dtypes(book):
    assert set(CONTRACT) <= set(book.columns)
    assert str(book["applied_at"].dtype) == "datetime64[ns, UTC]"
    assert book["application_id"].is_unique
    assert book["applied_at"].is_monotonic_increasing
    assert book["application_id"].is_monotonic_increasing
    for col in world.FEATURES:
        assert pd.api.types.is_numeric_dtype(book[col]), col
    assert set(book["term_months"].unique()) == {36, 60}
    assert list(book["grade"].cat.categories) == list("ABCDEFG")
    assert book["fico"].between(300, 850).all()
    assert book["defaulted"].isin([0, 1]).all()
    # A default time exists exactly for the loans that default, within the term.
    assert (book["months_to_default"].notna() == (book["defaulted"] == 1)).all()
    bad = book[book["defaulted"] == 1]
    assert (bad["months_to_default"] >= 5).all()
    assert (bad["months_to_default"] <= bad["term_months"]).all()
    assert book["verified_income"].isna().equals(book["income_verification"] == "not_verified")


def test_same_seed_same_bytes_other_seed_other_bytes():
    def digest(frame):
        return hashlib.sha256(
            pd.util.hash_pandas_object(frame, index=True).values.tobytes()
        ).hexdigest()

    a, b, c = (world.generate(5_000, seed=s) for s in (3, 3, 4))
    assert digest(a) == digest(b)
    assert digest(a) != digest(c)


def test_anchors_on_an_untuned_seed(book):
    approved = book[book["approved_policy"]]
    assert 0.17 <= approved["defaulted"].mean() <= 0.23
    by_grade = approved.groupby("grade", observed=True)["defaulted"].mean()
    assert by_grade.is_monotonic_increasing
    assert 0.04 <= by_grade["A"] <= 0.09 and 0.45 <= by_grade["G"] <= 0.80
    by_term = approved.groupby("term_months")["defaulted"].mean()
    assert 1.6 <= by_term[60] / by_term[36] <= 2.3
    seen_12 = (approved.loc[approved["defaulted"] == 1, "months_to_default"] <= 12).mean()
    assert 0.35 <= seen_12 <= 0.50
    assert 60_000 <= book["annual_income"].median() <= 70_000
    assert 16 <= book["dti"].mean() <= 20
    assert 690 <= approved["fico"].mean() <= 705
    mix = approved["grade"].value_counts(normalize=True)
    assert abs(mix["B"] - 0.292) < 0.01 and abs(mix["D"] - 0.149) < 0.01


def test_weekly_seasonality_and_volume():
    book = world.generate(100_000, seed=5, start="2025-06-02", days=28)
    per_day = book.groupby(book["applied_at"].dt.dayofweek).size()
    assert per_day[0] > per_day[6] * 1.2  # Mondays busier than Sundays
    assert book["applied_at"].min() >= pd.Timestamp("2025-06-02", tz="UTC")
    assert book["applied_at"].max() < pd.Timestamp("2025-06-30", tz="UTC")


def test_protected_group_and_proxy(book):
    share = (book["protected_group"] == "protected").mean()
    assert 0.28 <= share <= 0.32
    proxy = book.groupby("protected_group", observed=True)["protected_proxy"].mean()
    assert proxy["protected"] > proxy["reference"] + 0.3  # informative ...
    assert (
        (book["protected_proxy"] > 0.5) != (book["protected_group"] == "protected")
    ).mean() > 0.05  # ... but noisy


def test_observed_view_hides_truth_and_only_matured_labels(book):
    as_of = pd.Timestamp("2025-09-01", tz="UTC")
    view = world.observed(book, as_of)
    for col in world.TRUTH_COLUMNS:
        assert col not in view.columns
    assert view["approved_policy"].all()
    assert (view["applied_at"] <= as_of).all()
    truth = book.loc[view.index]
    # A bad label is shown only once the default has happened by as_of.
    assert (view["bad_so_far"] <= truth["defaulted"]).all()
    assert (
        truth.loc[view["bad_so_far"] == 1, "months_to_default"]
        <= view.loc[view["bad_so_far"] == 1, "months_on_book"]
    ).all()
    # Right-censoring: the newest loans look falsely good.
    young = view["months_on_book"] < 5
    assert view.loc[young, "bad_so_far"].sum() == 0
    assert view["bad_so_far"].mean() < truth["defaulted"].mean()


def test_observed_window(book):
    view = world.observed(book, "2026-06-01", window_months=12)
    assert (view["months_on_book"] >= 12).all()
    truth = book.loc[view.index]
    expected = (truth["months_to_default"] <= 12).astype(int)
    assert (view["bad_in_window"] == expected).all()


def test_observed_with_custom_approvals(book):
    mask = book["fico"] >= 700
    view = world.observed(book, "2026-01-01", approved=mask)
    assert len(view) == int(mask.sum())


@pytest.mark.parametrize("n", [0, -5])
def test_generate_rejects_bad_n_value(n):
    with pytest.raises(ValueError, match="n must be"):
        world.generate(n)


@pytest.mark.parametrize("n", [2.5, 10.0, "10", True, None])
def test_generate_rejects_bad_n_type(n):
    with pytest.raises(TypeError, match="n must be"):
        world.generate(n)


def test_generate_unknown_option_is_pythons_type_error():
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        world.generate(10, colour="red")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"seed": -1}, "seed"),
        ({"days": 0}, "days"),
        ({"start": "not a date"}, "start"),
        ({"start": "NaT"}, "start"),
        ({"protected_share": 1.5}, "protected_share"),
        ({"protected_share": 0.0}, "protected_share"),
        ({"protected_share": float("nan")}, "protected_share"),
    ],
)
def test_generate_rejects_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        world.generate(10, **kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"seed": 1.5}, "seed"),
        ({"seed": "1"}, "seed"),
        ({"days": 30.0}, "days"),
        ({"start": 20250101}, "start"),
        ({"start": None}, "start"),
        ({"protected_share": "0.3"}, "protected_share"),
        ({"protected_share": True}, "protected_share"),
    ],
)
def test_generate_rejects_bad_types(kwargs, match):
    with pytest.raises(TypeError, match=match):
        world.generate(10, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start": "2262-01-01"},  # 365 days run past 2262-04-11
        {"days": 10**6},
        {"start": "2262-04-11", "days": 1},
        {"start": "3000-01-01", "days": 1},
        {"start": "1600-01-01", "days": 1},
    ],
)
def test_generate_refuses_dates_pandas_cannot_hold(kwargs):
    # Before: applied_at silently wrapped round to the 1700s.
    with pytest.raises(ValueError, match=r"start=.* days=.*2262-04-1"):
        world.generate(10, **kwargs)


def test_generate_works_up_to_the_limit():
    book = world.generate(500, seed=1, start="2262-01-01", days=100)
    assert book["applied_at"].min() >= pd.Timestamp("2262-01-01", tz="UTC")
    assert book["applied_at"].max() < pd.Timestamp("2262-04-11", tz="UTC")
    assert book["applied_at"].is_monotonic_increasing


def test_generate_accepts_datetime_and_timestamp_start():
    import datetime as dt

    a = world.generate(200, seed=2, start="2025-03-01", days=10)
    b = world.generate(200, seed=2, start=dt.date(2025, 3, 1), days=10)
    c = world.generate(200, seed=2, start=pd.Timestamp("2025-03-01 09:30", tz="UTC"), days=10)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)


def test_observed_bad_input(book):
    with pytest.raises(ValueError, match="missing column"):
        world.observed(book.drop(columns=["defaulted"]), "2026-01-01")
    with pytest.raises(ValueError, match="empty"):
        world.observed(book.iloc[:0], "2026-01-01")
    with pytest.raises(ValueError, match="as_of"):
        world.observed(book, "yesterday-ish")
    with pytest.raises(TypeError):
        world.observed(book.to_numpy(), "2026-01-01")


@pytest.mark.parametrize(
    "as_of, error",
    [("NaT", ValueError), (None, TypeError), (20260101, TypeError), (1.5, TypeError)],
)
def test_observed_rejects_bad_as_of(book, as_of, error):
    # Before: None became NaT and the view was silently empty; an int became 1970.
    with pytest.raises(error, match="as_of"):
        world.observed(book, as_of)


def test_observed_rejects_bad_approved(book):
    with pytest.raises(TypeError, match="approved must be boolean"):
        world.observed(book, "2026-01-01", approved=book["fico"])
    with pytest.raises(TypeError, match="approved must be boolean"):
        world.observed(book, "2026-01-01", approved="fico")
    with pytest.raises(TypeError, match="approved must be a boolean column name"):
        world.observed(book, "2026-01-01", approved=book["fico"].to_numpy() > 700)
    shuffled = (book["fico"] >= 700).sample(frac=1.0, random_state=0)
    with pytest.raises(ValueError, match="aligned"):
        world.observed(book, "2026-01-01", approved=shuffled)
    with_gap = (book["fico"] >= 700).astype("boolean")
    with_gap.iloc[3] = pd.NA
    with pytest.raises(ValueError, match="missing value"):
        world.observed(book, "2026-01-01", approved=with_gap)


def test_observed_rejects_bad_window(book):
    with pytest.raises(ValueError, match="window_months"):
        world.observed(book, "2026-01-01", window_months=0)
    with pytest.raises(TypeError, match="window_months"):
        world.observed(book, "2026-01-01", window_months=6.0)


def test_observed_needs_utc_times(book):
    naive = book.assign(applied_at=book["applied_at"].dt.tz_localize(None))
    with pytest.raises(TypeError, match="applied_at must be UTC"):
        world.observed(naive, "2026-01-01")


def test_policy_column_matches_the_rules_policy(book):
    from lendlab import models

    assert (models.rules_policy(book)["approved"] == book["approved_policy"]).all()
    assert (world.passes_knockout(book) == book["approved_policy"].to_numpy()).all()


def test_columns_and_dtypes_are_the_schema(book):
    assert list(book.columns) == list(world.COLUMNS)
    assert [str(t) for t in book.dtypes] == [spec.dtype for spec in world.COLUMNS.values()]
    for column, levels in world.CATEGORIES.items():
        assert tuple(book[column].cat.categories) == levels, column


def test_no_constants_are_redefined_in_the_generator():
    from lendlab.world import generator, schema

    assert generator.FEATURES is schema.FEATURES and generator.POLICY is schema.POLICY
    assert not hasattr(generator, "_CHANNELS") and not hasattr(generator, "_GRADES")
