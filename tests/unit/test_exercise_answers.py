"""The grading helpers every week shares (lendlab.course.exercises.answers)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from lendlab.course.exercises import answers
from lendlab.course.exercises.checks import Incorrect


def test_distinct_drops_what_equals_the_answer_within_tol_and_repeats():
    assert answers.distinct(0.25, [0.2502, 0.3, 0.3001, 25.0], tol=5e-4) == [0.3, 25.0]
    assert answers.distinct(3, [3, 4, 4, np.int64(5)]) == [4, np.int64(5)]


def test_distinct_compares_text_case_insensitively_and_tuples_elementwise():
    assert answers.distinct("fico", [" FICO", "dti", "DTI"]) == ["dti"]
    assert answers.distinct((0.1, 0.2), [(0.1, 0.2), (0.2, 0.1), (0.1,)]) == [(0.2, 0.1), (0.1,)]


def test_distinct_drops_non_finite_and_keeps_other_kinds():
    assert answers.distinct(0.5, [float("nan"), float("inf"), (0.1, float("nan")), 0.6]) == [0.6]
    assert answers.distinct({"a"}, [{"a"}, {"b"}, ["a"]]) == [{"b"}, ["a"]]


def test_memo_recomputes_only_for_other_objects():
    a, b = pd.DataFrame({"x": [1]}), pd.DataFrame({"x": [1]})
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert answers.memo("t-memo", (a,), compute) == 1
    assert answers.memo("t-memo", (a,), compute) == 1  # the very same object: cached
    assert answers.memo("t-memo", (b,), compute) == 2  # equal but not the same: recomputed


@pytest.mark.parametrize(
    "value",
    [
        "2025-03-14",
        dt.date(2025, 3, 14),
        np.datetime64("2025-03-14"),
        pd.Timestamp("2025-03-14 23:59", tz="UTC"),
        pd.Timestamp("2025-03-15 00:30", tz="Europe/Berlin"),
    ],
)
def test_as_date_reads_the_utc_day(value):
    assert answers.as_date(value, "the day") == dt.date(2025, 3, 14)


@pytest.mark.parametrize("value", [None, True, 20250314, "soon", "NaT", [2025, 3, 14]])
def test_as_date_refuses_with_the_expected_format(value):
    with pytest.raises(Incorrect, match="2025-10-14"):
        answers.as_date(value, "the start day", example="2025-10-14")


def test_as_text_as_number_as_pair():
    assert answers.as_text(" fico ", "a column") == "fico"
    with pytest.raises(Incorrect, match="as text"):
        answers.as_text(1, "a column")
    assert answers.as_number(np.float32(0.5), "x") == 0.5
    for bad, why in [(True, "as a number"), ("0.5", "as a number"), (float("inf"), "finite")]:
        with pytest.raises(Incorrect, match=why):
            answers.as_number(bad, "x")
    assert answers.as_pair(np.array([1, 2]), ("a", "b")) == (1, 2)
    for bad, why in [({"a": 1, "b": 2}, "as a tuple"), ([1, 2, 3], "got 3 values")]:
        with pytest.raises(Incorrect, match=why):
            answers.as_pair(bad, ("a", "b"))


def test_expect_count():
    answers.expect_count(np.int64(7), 7, what="the count")
    answers.expect_count(7.0, 7, what="the count")
    for bad, why in [(8, "too high"), (6, "too low"), (7.5, "whole number"), ("7", "number")]:
        with pytest.raises(Incorrect, match=why):
            answers.expect_count(bad, 7, what="the count")
