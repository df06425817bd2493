"""The world's schema: one knock-out policy that every caller agrees with, and its bad input."""

import numpy as np
import pandas as pd
import pytest

from lendlab import models, world
from lendlab.world import schema
from lendlab.world.schema import KNOCKOUT_RULES, POLICY, passes_knockout


def _random_applications(seed: int, n: int = 4_000) -> pd.DataFrame:
    """Values around each threshold, exact boundaries and missing values in every column."""
    rng = np.random.default_rng(seed)
    fico = rng.choice([659.0, 660.0, 661.0, 659.5, 660.0000001, np.nan, 300.0, 850.0], n)
    dti = rng.choice([39.99, 40.0, 40.01, 40.0000001, np.nan, 0.0, 75.0], n)
    inq = rng.choice([5.0, 6.0, 7.0, 6.5, np.nan, 0.0, 30.0], n)
    return pd.DataFrame({"fico": fico, "dti": dti, "inquiries_6m": inq})


def _by_hand(frame: pd.DataFrame) -> np.ndarray:
    """The rules written out, the way the research file states them."""
    return (
        (frame["fico"] >= 660) & (frame["dti"] <= 40.0) & (frame["inquiries_6m"] <= 6)
    ).to_numpy()


def test_policy_values_and_rules():
    assert POLICY == {"fico_min": 660, "dti_max": 40.0, "inquiries_max": 6}
    assert [r[0] for r in KNOCKOUT_RULES] == ["fico", "dti", "inquiries_6m"]
    assert world.POLICY is POLICY


def test_boundaries_pass_and_just_past_them_fails():
    apps = pd.DataFrame(
        {
            "fico": [660, 659, 660, 660, 660, 660],
            "dti": [40.0, 40.0, 40.01, 40.0, 40.0, np.nan],
            "inquiries_6m": [6, 6, 6, 7, 0, 0],
        }
    )
    assert passes_knockout(apps).tolist() == [True, False, False, False, True, False]


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_rules_policy_and_passes_knockout_agree_on_every_row(seed):
    apps = _random_applications(seed)
    assert np.isnan(apps.to_numpy()).any(axis=0).all()  # NaNs in every column
    ko = passes_knockout(apps)
    assert ko.dtype == bool and ko.shape == (len(apps),)
    np.testing.assert_array_equal(ko, _by_hand(apps))  # NaN compares False: missing fails
    out = models.rules_policy(apps)
    np.testing.assert_array_equal(out["approved"].to_numpy(), ko)
    # One reason per failed rule, and a missing value gets the "not available" wording.
    by_rule = passes_knockout(apps, by_rule=True)
    n_reasons = out[["reason_1", "reason_2", "reason_3"]].notna().sum(axis=1).to_numpy()
    np.testing.assert_array_equal(n_reasons, (~by_rule).sum(axis=1))
    no_score = apps["fico"].isna()
    assert (
        out.loc[no_score, "reason_1"] == "No credit score available from the credit bureau"
    ).all()


@pytest.mark.parametrize("dtype", ["int64", "Int64", "float64", "Float64", "int16"])
def test_integer_and_nullable_dtypes(dtype):
    apps = pd.DataFrame({"fico": [700, 640, 660], "dti": [10, 10, 40], "inquiries_6m": [6, 0, 7]})
    apps = apps.astype(dtype)
    if dtype in ("Int64", "Float64"):
        apps.loc[0, "dti"] = pd.NA
    expected = [False, False, False] if dtype in ("Int64", "Float64") else [True, False, False]
    assert passes_knockout(apps).tolist() == expected
    assert models.rules_policy(apps)["approved"].tolist() == expected


def test_generated_books_agree_with_the_policy_column():
    for seed in (0, 5):
        book = world.generate(20_000, seed=seed)
        np.testing.assert_array_equal(passes_knockout(book), book["approved_policy"].to_numpy())


def test_empty_frame_gives_an_empty_answer():
    empty = pd.DataFrame({"fico": [], "dti": [], "inquiries_6m": []}, dtype=float)
    assert passes_knockout(empty).shape == (0,)
    assert passes_knockout(empty, by_rule=True).shape == (0, 3)


@pytest.mark.parametrize(
    ("frame", "kwargs", "error", "message"),
    [
        ([700, 10.0, 0], {}, TypeError, "DataFrame"),
        (pd.DataFrame({"fico": [700], "dti": [10.0]}), {}, ValueError, r"\['inquiries_6m'\]"),
        (
            pd.DataFrame({"fico": ["700"], "dti": [1.0], "inquiries_6m": [0]}),
            {},
            TypeError,
            "'fico' must be numeric.*to_numeric",
        ),
        (
            pd.DataFrame({"fico": [700], "dti": [1.0], "inquiries_6m": [True]}),
            {},
            TypeError,
            "'inquiries_6m' must be numeric",
        ),
        (
            pd.DataFrame({"fico": [np.inf], "dti": [1.0], "inquiries_6m": [0]}),
            {},
            ValueError,
            "'fico' has 1 infinite",
        ),
        (
            pd.DataFrame({"fico": [700], "dti": [1.0], "inquiries_6m": [0]}),
            {"by_rule": "yes"},
            TypeError,
            "by_rule",
        ),
    ],
)
def test_bad_input(frame, kwargs, error, message):
    with pytest.raises(error, match=message):
        passes_knockout(frame, **kwargs)


def test_schema_lists_are_consistent():
    assert set(schema.FEATURES) <= set(schema.COLUMNS)
    assert set(schema.CATEGORICAL_FEATURES) <= set(schema.CATEGORIES)
    assert set(schema.TRUTH_COLUMNS) <= set(schema.COLUMNS)
    assert set(schema.BUREAU_FIELDS) <= set(schema.FEATURES)
    assert set(schema.CATEGORIES) <= set(schema.COLUMNS)
    assert schema.MONITORED_FEATURES == (
        *schema.FEATURES,
        "income_verification",
        "verified_income",
    )
    assert not set(schema.TRUTH_COLUMNS) & set(schema.MONITORED_FEATURES)
    assert all(spec.meaning for spec in schema.COLUMNS.values())
