"""Week 4 checks: each question rejects the mistakes a learner is likely to make.

The common test (test_exercises_common.py) already feeds every ``wrong_answers`` entry; these
tests name the plausible mistakes one by one, check the messages point the right way without
revealing the answer, and test the lab's helpers (the production replay and the game day).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from lendlab import quality, world
from lendlab.course.exercises import week04 as ex
from lendlab.course.exercises.checks import ____
from lendlab.course.scenarios import week04 as scenario

SEED, N = 11, 3_000
pytestmark = pytest.mark.usefixtures("not_strict")


@pytest.fixture(scope="module")
def ctx():
    return scenario.build_context(seed=SEED, n=N)


@pytest.fixture
def bound(ctx, bind_week):
    return bind_week(ex, ctx)


def status(question, answer):
    return question.evaluate(answer).status


def line(question, answer):
    return question.evaluate(answer).line


# --------------------------------------------------------------------------- Q1 contract


def _reference(ctx):
    return ex.q1.expected(ctx)


def test_q1_reference_contract_and_contract_object_are_correct(bound):
    ref = _reference(bound)
    assert status(ex.q1, ref) == "correct"
    assert status(ex.q1, quality.Contract.from_dict(ref)) == "correct"


def test_q1_zero_null_budget_fails_the_good_night(bound):
    ref = _reference(bound)
    cols = dict(ref["columns"])
    cols["verified_income"] = {"dtype": "float", "min": 0}  # ~30% are legitimately unverified
    out = line(ex.q1, {**ref, "columns": cols})
    assert "fails the clean feature table" in out and "verified_income" in out


def test_q1_percent_budget_is_rejected_with_the_reason(bound):
    ref = _reference(bound)
    cols = dict(ref["columns"])
    cols["emp_length_years"] = {**cols["emp_length_years"], "max_null": 10}  # 10 meaning 10%
    out = line(ex.q1, {**ref, "columns": cols})
    assert "not a valid contract" in out and "share between 0 and 1" in out


def test_q1_ranges_too_wide_miss_the_income_unit_bug(bound):
    ref = _reference(bound)
    cols = dict(ref["columns"])
    cols["annual_income"] = {"dtype": "float", "min": 0}
    cols["dti"] = {"dtype": "float", "min": 0, "max": 1_000}
    assert "'income_monthly_as_annual'" in line(ex.q1, {**ref, "columns": cols})


def test_q1_freshness_without_the_bureau_lag_misses_the_stale_snapshot(bound):
    ref = _reference(bound)
    out = line(ex.q1, {**ref, "freshness": [{"column": "applied_at", "max_age": "2D"}]})
    assert "'stale_feature_store'" in out


def test_q1_missing_rule_kinds_are_named(bound):
    ref = _reference(bound)
    assert "row count" in line(ex.q1, {k: v for k, v in ref.items() if k != "row_count"})
    assert "join-coverage" in line(ex.q1, {k: v for k, v in ref.items() if k != "joins"})
    no_budget = {
        c: {k: v for k, v in r.items() if k != "max_null"} for c, r in ref["columns"].items()
    }
    assert "null budget" in line(ex.q1, {**ref, "columns": no_budget})


def test_q1_bad_join_table_and_unknown_key_are_incorrect_not_errors(bound):
    ref = _reference(bound)
    bad_join = {**ref, "joins": [{"key": "application_id", "right": "credit_files"}]}
    assert "validate() refused" in line(ex.q1, bad_join)
    assert status(ex.q1, {**ref, "owner": "sre"}) == "incorrect"
    assert status(ex.q1, "features") == "incorrect"


# --------------------------------------------------------------------------- Q2 stages


def test_q2_expected_stages_follow_the_pipeline(bound):
    stages = ex.q2.expected(bound)
    assert set(stages) == set(bound["faults"])
    assert stages["broken_join"] == "batch_job"  # raw feeds allow timeouts
    assert stages["partner_field_rename_imputed"] == "none"  # passes every shape rule
    assert stages["stale_feature_store"] == "vendor_feed"


def test_q2_plausible_mistakes(bound):
    right = ex.q2.expected(bound)
    assert status(ex.q2, {k: "feature_table" for k in right}) == "incorrect"
    blame_bureau = {**right, "broken_join": "vendor_feed"}
    assert "'broken_join'" in line(ex.q2, blame_bureau)
    assert "no entry" in line(ex.q2, {k: v for k, v in right.items() if k != "bureau_outage"})
    assert "must be one of" in line(ex.q2, {**right, "stale_feature_store": "scoring"})
    assert status(ex.q2, {k.upper(): v for k, v in right.items()}) == "incorrect"


# --------------------------------------------------------------------------- Q3-Q6 tonight


def test_q3_points_ratio_and_all_channels_are_wrong(bound):
    right = ex.q3.expected(bound)
    assert 0 < right < 1
    assert status(ex.q3, round(right, 3)) == "correct"
    assert "fraction" in line(ex.q3, 100 * right)
    for wrong in ex.q3.wrong_answers(bound):
        assert status(ex.q3, wrong) == "incorrect"
    assert "complement" in line(ex.q3, 1 - right)


def test_q4_the_page_is_not_where_it_first_showed(bound):
    right = ex.q4.expected(bound)
    assert right in scenario.STAGES
    assert status(ex.q4, right.upper()) == "correct"
    assert "not one of the options" in line(ex.q4, "scoring")


def test_q5_derived_feature_points_upstream(bound):
    assert ex.q5.expected(bound) == "annual_income"
    assert status(ex.q5, "Annual_Income") == "correct"
    assert "computed by the batch job" in line(ex.q5, "dti")
    assert "looks the same" in line(ex.q5, "monthly_debt")
    assert "not a column" in line(ex.q5, "income")


def test_q6_counts_only_decisions_the_fix_flips(bound):
    right = ex.q6.expected(bound)
    scenario = bound["scenario"]
    assert 0 <= right <= scenario.rows_affected
    assert status(ex.q6, scenario.rows_affected) == "incorrect" or right == scenario.rows_affected
    for wrong in ex.q6.wrong_answers(bound):
        assert status(ex.q6, wrong) == "incorrect"
    assert status(ex.q6, float(right)) == "correct"


# --------------------------------------------------------------------------- Q7-Q9 game day


def test_q7_accepts_every_corrupted_input_but_not_derived_ratios(bound):
    drill = bound["drill"]
    accepted = [c for c in drill.columns if c in bound["drill_features"].columns]
    for column in accepted:
        assert status(ex.q7, column) == "correct"
    assert "ratio the batch job derives" in line(ex.q7, "loan_to_income")
    assert "did not touch" in line(ex.q7, "term_months")


def test_q8_dates_in_several_forms_and_off_by_one(bound):
    start = bound["drill"].start
    assert status(ex.q8, str(start.date())) == "correct"
    assert status(ex.q8, start) == "correct"
    assert status(ex.q8, start.date()) == "correct"
    assert "too early" in line(ex.q8, str((start - pd.Timedelta(days=1)).date()))
    assert "too late" in line(ex.q8, str(bound["drill"].end.date()))
    assert "not a date" in line(ex.q8, "last Tuesday")
    assert status(ex.q8, 20251014) == "incorrect"


def test_q9_the_mirror_kind_is_wrong(bound):
    kind = bound["drill"].kind
    assert status(ex.q9, kind) == "correct"
    assert status(ex.q9, ex._CONFUSED_WITH[kind]) == "incorrect"
    assert "not one of the options" in line(ex.q9, "data_drift")


def test_blank_answers_are_not_attempted(bound):
    for q in ex._week.questions:
        assert status(q, ____) == "not_attempted"


# --------------------------------------------------------------------------- the helpers


@pytest.fixture(scope="module")
def book():
    return world.generate(
        N, seed=SEED, start=scenario.SETTINGS["start"], days=scenario.SETTINGS["days"]
    )


def test_replay_production_breaks_only_partner_rows_in_the_window(book):
    before = book.copy()
    history, record = scenario.replay_production(book, seed=SEED)
    assert book.equals(before)  # input untouched
    assert history.index.equals(book.index) and history.dtypes.equals(book.dtypes)
    changed = (history["annual_income"] != book["annual_income"]).to_numpy()
    assert changed.sum() == record.rows_affected > 0
    assert (history.loc[changed, "channel"] == "partner_api").all()
    assert (
        history.loc[changed, "applied_at"]
        >= pd.Timestamp(scenario.SETTINGS["scenario_start"], tz="UTC")
    ).all()
    ratio = history.loc[changed, "annual_income"] / book.loc[changed, "annual_income"]
    assert np.allclose(ratio, 1 / 12, rtol=0.02)
    again, _ = scenario.replay_production(book, seed=SEED)
    assert again.equals(history)


def test_game_day_kind_and_start_come_from_the_seed(book):
    kinds, starts = set(), set()
    for seed in range(8):
        drill_book, record = scenario.game_day(book, seed=seed)
        assert record.kind in scenario.DRILL_KINDS
        assert dt.date(2025, 10, 6) <= record.start.date() <= dt.date(2025, 10, 24)
        assert record.end == pd.Timestamp("2025-11-01", tz="UTC")
        assert drill_book["applied_at"].min() >= pd.Timestamp("2025-10-01", tz="UTC")
        kinds.add(record.kind)
        starts.add(record.start)
    assert len(kinds) >= 3 and len(starts) >= 3


def test_helpers_reject_bad_input(book):
    with pytest.raises(TypeError):
        scenario.replay_production(book.to_numpy(), seed=1)
    with pytest.raises(ValueError, match="channel"):
        scenario.replay_production(book.drop(columns=["channel"]), seed=1)
    with pytest.raises(TypeError):
        scenario.game_day(None, seed=1)
    with pytest.raises(ValueError, match="applied_at"):
        scenario.game_day(book.drop(columns=["applied_at"]), seed=1)
    with pytest.raises(ValueError, match="no applications"):
        scenario.game_day(book[book["applied_at"] < pd.Timestamp("2025-09-01", tz="UTC")], seed=1)


def test_stage_report_is_clean_on_a_good_night(ctx):
    report = scenario.stage_report(ctx["sources"], ctx["features"])
    assert {k: len(v) for k, v in report.items()} == {
        "vendor_feed": 0,
        "batch_job": 0,
        "feature_table": 0,
    }
    assert scenario.first_stage(report) == "none"
