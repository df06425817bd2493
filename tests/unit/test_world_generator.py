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


@pytest.mark.parametrize("n", [0, -5, 2.5, "10", True, None])
def test_generate_rejects_bad_n(n):
    with pytest.raises(ValueError, match="n must be"):
        world.generate(n)


def test_generate_rejects_unknown_option():
    with pytest.raises(ValueError, match="colour"):
        world.generate(10, colour="red")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"seed": -1}, "seed"),
        ({"days": 0}, "days"),
        ({"start": "not a date"}, "start"),
        ({"protected_share": 1.5}, "protected_share"),
    ],
)
def test_generate_rejects_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        world.generate(10, **kwargs)


def test_observed_bad_input(book):
    with pytest.raises(ValueError, match="missing column"):
        world.observed(book.drop(columns=["defaulted"]), "2026-01-01")
    with pytest.raises(ValueError, match="empty"):
        world.observed(book.iloc[:0], "2026-01-01")
    with pytest.raises(ValueError, match="as_of"):
        world.observed(book, "yesterday-ish")
    with pytest.raises(ValueError, match="approved"):
        world.observed(book, "2026-01-01", approved=book["fico"])
    with pytest.raises(TypeError):
        world.observed(book.to_numpy(), "2026-01-01")


def test_policy_column_matches_the_rules_policy(book):
    from lendlab import models

    assert (models.rules_policy(book)["approved"] == book["approved_policy"]).all()
