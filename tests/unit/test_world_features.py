"""Derived features (lendlab.world.features): values, one meaning, immutability and errors."""

import numpy as np
import pandas as pd
import pytest

from lendlab import world
from lendlab.models.features import CHALLENGER_FEATURES
from lendlab.world import features, generator
from lendlab.world.features import (
    DERIVED_FEATURES,
    add_derived_features,
    annuity_factor,
    loan_to_income,
    payment_to_income,
    verified_to_stated,
)


@pytest.fixture(scope="module")
def book():
    return world.generate(2_000, seed=21)


def test_values_match_the_formulas(book):
    out = add_derived_features(book)
    r = book["interest_rate"].to_numpy() / 1200
    n = book["term_months"].to_numpy()
    payment = book["loan_amount"].to_numpy() * r / (1 - (1 + r) ** -n)
    income = book["annual_income"].to_numpy()
    np.testing.assert_allclose(out["payment_to_income"], payment / (income / 12), rtol=1e-12)
    np.testing.assert_allclose(out["loan_to_income"], book["loan_amount"] / income, rtol=1e-15)
    unverified = book["verified_income"].isna().to_numpy()
    assert unverified.any() and (~unverified).any()
    # One meaning: NaN when income was not verified (never a 1.0 that looks like "matches").
    assert out.loc[unverified, "verified_to_stated"].isna().all()
    ratio = book["verified_income"].to_numpy() / income
    np.testing.assert_array_equal(out.loc[~unverified, "verified_to_stated"], ratio[~unverified])


def test_no_rounding(book):
    ratio = add_derived_features(book)["loan_to_income"]
    assert (ratio != ratio.round(4)).any()


def test_annuity_factor_known_values():
    # 12% APR over 36 months: $33.21 a month per $1,000 (standard amortisation tables).
    assert float(annuity_factor(12.0, 36)) == pytest.approx(0.0332143, abs=1e-7)
    assert float(annuity_factor(0.0, 48)) == pytest.approx(1 / 48)
    got = annuity_factor(np.array([6.0, 30.0, np.nan]), np.array([60, 36, 36]))
    assert got[0] < got[1] and np.isnan(got[2])
    # A longer term lowers the payment; a higher rate raises it.
    assert annuity_factor(10.0, 60) < annuity_factor(10.0, 36) < annuity_factor(20.0, 36)


def test_generator_uses_the_same_annuity():
    # The world's payment-shock term reads payment_to_income at its score-based APR table.
    assert not hasattr(generator, "_annuity_table") and not hasattr(generator, "_pti")
    fico = np.array([300, 600, 700, 850])
    pti = payment_to_income(12_000.0, 60_000.0, generator._APR[fico - 300], 36)
    r = np.clip(0.30 - 0.0008 * (fico - 600.0), 0.06, 0.30) / 12
    np.testing.assert_allclose(pti, 12_000 * r / (1 - (1 + r) ** -36) / 5_000, rtol=1e-12)


def test_array_functions_take_series_and_scalars():
    assert loan_to_income(pd.Series([10_000.0]), 50_000).tolist() == [0.2]
    assert np.isnan(verified_to_stated([np.nan], [50_000.0])[0])
    nullable = pd.Series([45_000.0, None], dtype="Float64")
    assert np.isnan(verified_to_stated(nullable, [50_000.0, 50_000.0])[1])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: loan_to_income([1_000.0], [0.0]), ValueError, "annual_income must be positive"),
        (lambda: loan_to_income([1_000.0], [-5.0]), ValueError, "annual_income"),
        (lambda: loan_to_income([-1.0], [50_000.0]), ValueError, "loan_amount"),
        (lambda: loan_to_income(["1000"], [50_000.0]), TypeError, "loan_amount"),
        (lambda: loan_to_income([1_000.0], [np.inf]), ValueError, "infinite"),
        (lambda: annuity_factor(-1.0, 36), ValueError, "apr"),
        (lambda: annuity_factor(12.0, 0), ValueError, "term_months"),
        (lambda: annuity_factor(12.0, [True]), TypeError, "term_months"),
        (
            lambda: verified_to_stated(pd.Series(["a"]), [1.0]),
            TypeError,
            "verified_income must be numeric",
        ),
    ],
)
def test_array_functions_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_input_not_modified_and_present_columns_kept(book):
    before = book.copy()
    add_derived_features(book)
    pd.testing.assert_frame_equal(book, before)
    given = book.assign(loan_to_income=-1.0)
    assert (add_derived_features(given)["loan_to_income"] == -1.0).all()
    assert add_derived_features(given, ["loan_to_income", "fico"]) is given


def test_names_select_and_ignore_other_columns(book):
    out = add_derived_features(book, ["fico", "verified_to_stated"])
    assert [c for c in out.columns if c not in book.columns] == ["verified_to_stated"]
    # Only the raw columns of the wanted features are needed.
    slim = book[["verified_income", "annual_income"]]
    assert "verified_to_stated" in add_derived_features(slim, ["verified_to_stated"])


def test_frame_bad_input(book):
    with pytest.raises(ValueError, match="interest_rate"):
        add_derived_features(book.drop(columns=["interest_rate"]))
    with pytest.raises(TypeError, match="DataFrame"):
        add_derived_features(book.to_dict())
    with pytest.raises(TypeError, match="list of column names"):
        add_derived_features(book, "loan_to_income")
    with pytest.raises(ValueError, match="annual_income must be positive"):
        add_derived_features(book.assign(annual_income=0.0))
    with pytest.raises(TypeError, match="loan_amount"):
        add_derived_features(book.assign(loan_amount=book["loan_amount"].astype(str)))


def test_challenger_default_features_are_built_from_the_world():
    assert CHALLENGER_FEATURES == (*world.FEATURES, "channel", *DERIVED_FEATURES)
    assert {"payment_to_income", "verified_to_stated"} <= set(CHALLENGER_FEATURES)
    assert set(DERIVED_FEATURES) == {"loan_to_income", "payment_to_income", "verified_to_stated"}
    assert features.DERIVED_FEATURES is DERIVED_FEATURES
