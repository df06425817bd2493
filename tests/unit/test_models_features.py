"""Engineered challenger features: values, immutability and errors."""

import numpy as np
import pandas as pd
import pytest

from lendlab import world
from lendlab.models import CHALLENGER_FEATURES, add_engineered_features


@pytest.fixture(scope="module")
def book():
    return world.generate(2_000, seed=21)


def test_values_match_the_annuity_formula(book):
    out = add_engineered_features(book)
    row = book.iloc[0]
    r = row["interest_rate"] / 1200
    payment = row["loan_amount"] * r / (1 - (1 + r) ** -row["term_months"])
    assert out["payment_to_income"].iloc[0] == pytest.approx(payment / (row["annual_income"] / 12))
    assert out["loan_to_income"].iloc[0] == pytest.approx(row["loan_amount"] / row["annual_income"])
    unverified = book["verified_income"].isna()
    assert (out.loc[unverified, "verified_income_ratio"] == 1.0).all()
    ratio = book["verified_income"] / book["annual_income"]
    np.testing.assert_allclose(out.loc[~unverified, "verified_income_ratio"], ratio[~unverified])


def test_input_not_modified_and_present_columns_kept(book):
    before = book.copy()
    add_engineered_features(book)
    pd.testing.assert_frame_equal(book, before)
    given = book.assign(loan_to_income=-1.0)
    assert (add_engineered_features(given)["loan_to_income"] == -1.0).all()


def test_missing_raw_column_is_named(book):
    with pytest.raises(ValueError, match="interest_rate"):
        add_engineered_features(book.drop(columns=["interest_rate"]))


def test_challenger_default_features_include_engineered():
    assert set(world.FEATURES) <= set(CHALLENGER_FEATURES)
    assert {"channel", "payment_to_income", "verified_income_ratio"} <= set(CHALLENGER_FEATURES)
