"""lendlab.validation: one convention (TypeError = wrong type, ValueError = wrong value)."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

from lendlab import validation as v

CASES = [
    # (call, error, text the message must quote or name)
    (lambda: v.check_labels(["good", "bad"]), TypeError, "'good'"),
    (lambda: v.check_labels([0, 1, 3]), ValueError, r"\[2\]=3"),
    (lambda: v.check_labels([0, np.nan]), ValueError, "missing label"),
    (lambda: v.check_pd([0.1, -0.2]), ValueError, r"\[1\]=-0.2"),
    (lambda: v.check_pd(["0.1"]), TypeError, "to_numeric"),
    (lambda: v.check_scores([1.0, np.inf]), ValueError, "infinite"),
    (lambda: v.check_same_length(a=[1], b=[1, 2]), ValueError, "a has 1, b has 2"),
    (lambda: v.check_positive_int(0, "n_bins"), ValueError, "n_bins=0"),
    (lambda: v.check_positive_int(2.5, "n_bins"), TypeError, "n_bins must be an integer"),
    (lambda: v.check_share(1.5, "frac"), ValueError, r"frac=1.5 .* \(0, 1\]"),
    (lambda: v.check_share(0.0, "frac"), ValueError, "frac=0.0"),
    (lambda: v.check_share("0.1", "frac"), TypeError, "'0.1'"),
    (lambda: v.check_probability(2.0, "cutoff"), ValueError, "cutoff=2.0"),
    (lambda: v.check_probability(True, "cutoff"), TypeError, "cutoff"),
    (lambda: v.check_choice("x", "freq", ["D", "W"]), ValueError, r"freq='x' .* \['D', 'W'\]"),
    (lambda: v.check_name("a b", "version"), ValueError, "'a b'"),
    (lambda: v.check_name(None, "version"), TypeError, "None"),
    (lambda: v.check_frame([1], "book"), TypeError, "book must be a pandas DataFrame, got list"),
    (lambda: v.check_frame(pd.DataFrame(), "book"), ValueError, "book is empty"),
    (
        lambda: v.check_columns(pd.DataFrame({"a": [1]}), ["a", "b"], "book", fix="add b"),
        ValueError,
        r"\['b'\]; it has \['a'\]\. Add b\.",
    ),
    (lambda: v.check_column_names(["a", "a"]), ValueError, r"\['a'\] more than once"),
    (lambda: v.check_column_names([1, 2]), TypeError, r"\[1, 2\]"),
    (
        lambda: v.reject_numbers_as_text(pd.Series(["1", "2"], name="fico")),
        TypeError,
        "'fico' holds numbers stored as text",
    ),
    (lambda: v.numeric_column(pd.Series([True], name="f")), TypeError, "'f' must be numeric"),
    (lambda: v.numeric_column(pd.Series([np.inf], name="dti")), ValueError, "'dti' has 1 inf"),
    (
        lambda: v.datetime_column(pd.DataFrame({"t": pd.to_datetime([None], utc=True)}), "t"),
        ValueError,
        "missing timestamp",
    ),
]


@pytest.mark.parametrize(("call", "error", "match"), CASES)
def test_errors_follow_the_convention_and_quote_the_value(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_good_values_pass_through():
    assert v.check_labels(pd.Series([True, False])).tolist() == [1, 0]
    assert v.check_pd(pd.Series([0.1, None], dtype="Float64").fillna(0.2)).tolist() == [0.1, 0.2]
    assert v.check_share(1, "frac") == 1.0
    assert v.check_column_names(("fico",)) == ("fico",)
    reject = v.reject_numbers_as_text(pd.Series(["rent", "own"], name="home"))
    assert reject is None
    values = v.numeric_column(pd.Series([1, None], dtype="Int64", name="x"))
    assert np.isnan(values[1]) and values[0] == 1.0


def test_metrics_and_models_use_the_public_module():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("lendlab.metrics._validation")
    from lendlab.models import _validation as model_checks

    assert model_checks.reject_numbers_as_text is v.reject_numbers_as_text
