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


def test_q1_vacuous_row_count_is_named(bound):
    ref = _reference(bound)
    out = line(ex.q1, {**ref, "row_count": [0, 10**9]})
    assert "row count rule ([0, 1000000000]) cannot fail" in out
    # Still vacuous: a fan-out of a few percent and a stalled feed both fit in it.
    rows = len(bound["sources"].applications)
    assert "cannot fail" in line(ex.q1, {**ref, "row_count": [rows // 2, 2 * rows]})
    # One open end is fine when the other one bites.
    assert status(ex.q1, {**ref, "row_count": [0, rows]}) == "correct"
    assert status(ex.q1, {**ref, "row_count": [rows, None]}) == "correct"


def test_q1_vacuous_join_is_named(bound):
    ref = _reference(bound)
    join = ref["joins"][0]
    out = line(ex.q1, {**ref, "joins": [{**join, "min_share": 0.0}]})
    assert "join-coverage rule (application_id -> verifications, min_share 0) cannot fail" in out
    # A week of missing results is a few percent of six months: 0.9 never fires either.
    assert "cannot fail" in line(ex.q1, {**ref, "joins": [{**join, "min_share": 0.9}]})
    # A join that can fail counts, whichever table it points to.
    bureau = {"key": "application_id", "right": "bureau_pulls", "min_share": 0.99}
    assert status(ex.q1, {**ref, "joins": [bureau]}) == "correct"


def test_q1_vacuous_freshness_unique_and_budget_are_named(bound):
    ref = _reference(bound)
    stale_lag = {"earlier": "bureau_pulled_at", "later": "applied_at", "max_lag": "1D"}
    # A max_age nothing exceeds is fine while the lag rule bites ...
    loose_age = [{"column": "applied_at", "max_age": "365D"}, stale_lag]
    assert status(ex.q1, {**ref, "freshness": loose_age}) == "correct"
    # ... but the stale snapshot passes once the lag is loose too.
    loose_both = [
        {"column": "applied_at", "max_age": "365D"},
        {**stale_lag, "max_lag": "365D"},
    ]
    assert "'stale_feature_store'" in line(ex.q1, {**ref, "freshness": loose_both})
    # A compound key the fan-out never repeats (the duplicate has its own pull time).
    compound = {**ref, "unique": [["application_id", "bureau_pulled_at"]]}
    assert "uniqueness rule" in line(ex.q1, compound)
    assert "cannot fail" in line(ex.q1, compound)
    # A budget so loose that a renamed field arriving empty fits in it.
    cols = dict(ref["columns"])
    cols["emp_length_years"] = {**cols["emp_length_years"], "max_null": 0.99}
    assert "'partner_field_rename'" in line(ex.q1, {**ref, "columns": cols})


def test_q1_row_count_of_the_wrong_table_fails_the_good_night(bound):
    ref = _reference(bound)
    pulls = len(bound["sources"].bureau_pulls)  # one row per request, retries included
    out = line(ex.q1, {**ref, "row_count": [pulls, pulls]})
    assert "fails the clean feature table" in out and "'row_count'" in out


def test_q1_feedback_never_shows_the_reference_values(bound):
    ref = _reference(bound)
    out = line(ex.q1, {**ref, "joins": [{**ref["joins"][0], "min_share": 0.0}]})
    assert "0.99" not in out


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
    # The loudest stage: the fanned-out join breaks more feature-table rules than batch-job ones.
    assert "'broken_join'" in line(ex.q2, {**right, "broken_join": "feature_table"})
    # The lag rule is in the feature contract too, but the bureau feed's freshness comes first.
    assert "'stale_feature_store'" in line(ex.q2, {**right, "stale_feature_store": "feature_table"})
    assert "no entry" in line(ex.q2, {k: v for k, v in right.items() if k != "bureau_outage"})
    assert "must be one of" in line(ex.q2, {**right, "stale_feature_store": "scoring"})
    assert status(ex.q2, {k.upper(): v for k, v in right.items()}) == "incorrect"
    assert status(ex.q2, {k: v.upper() for k, v in right.items()}) == "correct"


# --------------------------------------------------------------------------- Q3 stale income


def test_q3_any_rule_that_sees_stale_income_and_passes_the_good_night(bound):
    for rule in (
        {"earlier": "verified_at", "later": "applied_at", "max_lag": "0D"},
        {"earlier": "verified_at", "later": "applied_at", "max_lag": "60D"},
        quality.Lag("verified_at", "applied_at", max_lag="30D"),
        {
            "name": "features",
            "freshness": [{"earlier": "verified_at", "later": "applied_at", "max_lag": "30D"}],
        },
    ):
        assert status(ex.q3, rule) == "correct", rule


def test_q3_plausible_mistakes(bound):
    # The default contract's lag: how late the result came, not how old it was.
    default_lag = {"earlier": "applied_at", "later": "verified_at", "max_lag": "7D"}
    assert "swap earlier and later" in line(ex.q3, default_lag)
    assert "swap earlier and later" in line(ex.q3, quality.Lag("applied_at", "verified_at", "7D"))
    assert "newest verification is fresh" in line(ex.q3, {"column": "verified_at", "max_age": "2D"})
    oldest = {"column": "verified_at", "max_age": "30D", "which": "oldest"}
    assert "fails the good night" in line(ex.q3, oldest)
    too_loose = {"earlier": "verified_at", "later": "applied_at", "max_lag": "400D"}
    assert "right direction but passes" in line(ex.q3, too_loose)
    too_tight = {"earlier": "applied_at", "later": "verified_at", "max_lag": "1h"}
    assert "fails the good night" in line(ex.q3, too_tight)
    assert "not a time rule" in line(ex.q3, {"verified_income": {"min": 0}})
    assert "not valid" in line(
        ex.q3, {"earlier": "verified_at", "later": "applied_at", "max_lag": 30}
    )  # a bare number has no unit
    assert "no freshness or lag rule" in line(ex.q3, {"name": "features"})


def test_stale_income_changes_only_cached_verifications(ctx):
    sources = ctx["sources"]
    before = sources.verifications.copy()
    stale, ids = scenario.stale_income(sources, seed=SEED)
    assert sources.verifications.equals(before)  # input untouched
    assert len(stale.verifications) == len(before) and len(ids) > 0
    assert stale.applications is sources.applications
    merged = stale.verifications.merge(
        sources.applications[["application_id", "applied_at"]], on="application_id"
    ).set_index("application_id")
    old = merged.index[merged["verified_at"] < merged["applied_at"]]
    assert sorted(old) == sorted(ids)
    age = (merged.loc[ids, "applied_at"] - merged.loc[ids, "verified_at"]).dt.days
    assert age.between(
        scenario.STALE_INCOME["min_age_days"], scenario.STALE_INCOME["max_age_days"]
    ).all()
    fault_start = pd.Timestamp(scenario.SETTINGS["fault_start"], tz="UTC")
    assert (merged.loc[ids, "applied_at"] >= fault_start).all()
    # Untouched rows keep their values; statuses never change.
    clean = before.set_index("application_id")
    rest = merged.index.difference(pd.Index(ids))
    assert merged.loc[rest, "verified_income"].equals(clean.loc[rest, "verified_income"])
    assert (merged["status"].astype(str) == clean.loc[merged.index, "status"].astype(str)).all()
    again, ids_again = scenario.stale_income(sources, seed=SEED)
    assert again.verifications.equals(stale.verifications) and (ids_again == ids).all()


def test_stale_income_passes_every_default_contract(ctx):
    report = scenario.stage_report(
        *scenario.stale_income(ctx["sources"], seed=SEED)[:1], ctx["stale_features"]
    )
    assert scenario.first_stage(report) == "none"


def test_stale_income_rejects_bad_input(ctx):
    with pytest.raises(TypeError, match="split_sources"):
        scenario.stale_income(ctx["features"], seed=1)
    with pytest.raises(TypeError, match="seed"):
        scenario.stale_income(ctx["sources"], seed="1")
    with pytest.raises(ValueError, match="seed"):
        scenario.stale_income(ctx["sources"], seed=-1)
    with pytest.raises(ValueError, match="no verified application"):
        scenario.stale_income(ctx["sources"], seed=1, start="2026-06-01")


# --------------------------------------------------------------------------- Q4-Q7 tonight


def test_q4_points_ratio_and_all_channels_are_wrong(bound):
    right = ex.q4.expected(bound)
    assert 0 < right < 1
    assert status(ex.q4, round(right, 3)) == "correct"
    assert "fraction" in line(ex.q4, 100 * right)
    for wrong in ex.q4.wrong_answers(bound):
        assert status(ex.q4, wrong) == "incorrect"
    assert "complement" in line(ex.q4, 1 - right)


def test_q5_the_page_is_not_where_it_first_showed(bound):
    right = ex.q5.expected(bound)
    assert right == "vendor_feed"  # the raw income range rule
    assert status(ex.q5, right.upper()) == "correct"
    assert "not one of the options" in line(ex.q5, "scoring")
    assert "run the stage checks" in line(ex.q5, "none")
    assert "pipeline order" in line(ex.q5, "feature_table")


def test_q6_derived_feature_points_upstream(bound):
    assert ex.q6.expected(bound) == "annual_income"
    assert status(ex.q6, "Annual_Income") == "correct"
    assert "computed by the batch job" in line(ex.q6, "dti")
    assert "computed by the batch job" in line(ex.q6, "loan_to_income")
    assert "another vendor's feed" in line(ex.q6, "verified_income")
    assert "another vendor's feed" in line(ex.q6, "fico")
    assert "where it broke" in line(ex.q6, "channel")
    assert "looks the same" in line(ex.q6, "monthly_debt")
    assert "not a column" in line(ex.q6, "income")


def test_q7_counts_only_decisions_the_fix_flips(bound):
    right = ex.q7.expected(bound)
    record = bound["scenario"]
    assert 0 < right <= record.rows_affected
    assert status(ex.q7, record.rows_affected) == "incorrect" or right == record.rows_affected
    for wrong in ex.q7.wrong_answers(bound):
        assert status(ex.q7, wrong) == "incorrect"
    assert status(ex.q7, float(right)) == "correct"
    assert status(ex.q7, right + 0.5) == "incorrect"  # a count is a whole number


# --------------------------------------------------------------------------- Q8-Q10 game day


def test_q8_accepts_every_corrupted_input_but_not_derived_ratios(bound):
    drill = bound["drill"]
    accepted = [c for c in drill.columns if c in bound["drill_features"].columns]
    for column in accepted:
        assert status(ex.q8, column) == "correct"
    assert "ratio the batch job derives" in line(ex.q8, "loan_to_income")
    assert "did not touch" in line(ex.q8, "term_months")
    assert "slice" in line(ex.q8, "channel")


def test_q9_dates_in_several_forms(bound):
    start = bound["drill"].start
    assert status(ex.q9, str(start.date())) == "correct"
    assert status(ex.q9, start) == "correct"
    assert status(ex.q9, start.date()) == "correct"
    assert "not a date" in line(ex.q9, "last Tuesday")
    assert status(ex.q9, 20251014) == "incorrect"


def test_q9_feedback_does_not_say_which_way_to_move(bound):
    start = bound["drill"].start
    early = line(ex.q9, str((start - pd.Timedelta(days=1)).date()))
    late = line(ex.q9, str((start + pd.Timedelta(days=1)).date()))
    much_later = line(ex.q9, str((start + pd.Timedelta(days=5)).date()))
    for out in (early, late, much_later):
        assert "not the day it started" in out
        for word in ("early", "late", "before it started", "after", "already"):
            assert word not in out.lower().replace("every day before it", "")
    # Same advice either side: only the date the learner gave differs.
    assert (
        early.split(" is not ")[1] == late.split(" is not ")[1] == much_later.split(" is not ")[1]
    )
    assert "outside the drill" in line(ex.q9, str(bound["drill"].end.date()))
    assert "first day of the replayed month" in line(ex.q9, "2025-10-01")


def test_q10_the_mirror_kind_is_wrong(bound):
    kind = bound["drill"].kind
    assert status(ex.q10, kind) == "correct"
    assert status(ex.q10, ex._CONFUSED_WITH[kind]) == "incorrect"
    assert "not one of the options" in line(ex.q10, "data_drift")
    # A catalogue name that the drill never draws is not an option either.
    assert "not one of the options" in line(ex.q10, "broken_join")


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
