"""Week 7 checks: each question rejects the mistakes a learner is likely to make.

The common test (test_exercises_common.py) feeds every ``wrong_answers`` entry through the live
service; these tests use the scenario's fast path (``decide_in_process``, held equal to the live
service below) to name the plausible slips one by one, to check that "which alert fires first,
on which segment, on which day" has one answer on many seeds, and that the messages point the
right way without revealing the answer.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from lendlab.course.exercises import week07 as ex
from lendlab.course.scenarios import week07 as scenario
from lendlab.monitoring import dashboard

pytestmark = pytest.mark.usefixtures("not_strict")

INCOME_SEED = 3  # income_monthly_as_annual in thin_file
BUREAU_SEED = 7  # bureau_outage (gateway defaults) in returning
EIGHT_SEEDS = (1, 2, 3, 5, 7, 12, 33, 2026)


def _ctx(seed: int) -> dict:
    return scenario.build_context(seed=seed, live=False)


@pytest.fixture(scope="module")
def income_ctx() -> dict:
    return _ctx(INCOME_SEED)


@pytest.fixture(scope="module")
def bureau_ctx() -> dict:
    return _ctx(BUREAU_SEED)


@pytest.fixture
def income(income_ctx, bind_week):
    return bind_week(ex, income_ctx)


@pytest.fixture
def bureau(bureau_ctx, bind_week):
    return bind_week(ex, bureau_ctx)


def status(q, answer):
    return q.evaluate(answer).status


def line(q, answer):
    return q.evaluate(answer).line


def day_of(value) -> str:
    return str(pd.Timestamp(value).tz_convert("UTC").date())


def shift(day: str, days: int) -> str:
    return str(dt.date.fromisoformat(day) + dt.timedelta(days=days))


# ------------------------------------------------------------------ the scenario


def test_the_scenario_is_sealed_and_drawn_from_the_seed(income_ctx, bureau_ctx):
    assert "sealed" in repr(income_ctx["hidden"])
    assert income_ctx["hidden"].kind == "income_monthly_as_annual"
    assert bureau_ctx["hidden"].kind == "bureau_outage"
    drawn = {scenario.hidden_scenario(seed=s)[1].segment for s in EIGHT_SEEDS}
    assert drawn == set(scenario.INCIDENT_SEGMENTS)


@pytest.mark.parametrize("seed", EIGHT_SEEDS)
def test_one_first_alert_on_every_seed_and_it_is_the_incident(seed):
    ctx = _ctx(seed)
    hidden = ctx["hidden"]
    table = scenario.first_alert_table(ctx["counts"], windows=ctx["windows"])
    assert not table.empty, "no alert fired"
    first = table.iloc[0]
    # one answer: nothing else fires at the first firing evaluation
    assert (table["time"] == first["time"]).sum() == 1
    assert first["alertname"] == "LendlabApprovalRateDrop"
    assert first["segment"] == hidden.segment
    assert hidden.incident.start < first["time"] <= hidden.incident.end + pd.Timedelta(days=7)
    # the AIR alert's guards hold it silent (near_prime's handful of approvals above all)
    assert "LendlabAdverseImpactRatioLow" not in set(table["alertname"])
    # the outage is after the reference weeks and away from the incident
    assert hidden.outage_start >= pd.Timestamp(scenario.SETTINGS["reference"][1], tz="UTC")
    assert abs((hidden.outage_start - hidden.incident.start).days) >= 4
    # the why: the service's own signals stayed flat, the inputs carry the fault's signature
    bound = ex._week
    bound.unbind()
    bound.bind(**ctx)
    try:
        assert ex.q2.expected(bound.context) == ("behavioural", hidden.kind)
        assert ex.q1.expected(bound.context) == (
            "LendlabApprovalRateDrop",
            hidden.segment,
            day_of(first["time"]),
        )
    finally:
        bound.unbind()


def test_the_fast_path_is_the_live_service(tmp_path):
    book, hidden = scenario.hidden_scenario(seed=BUREAU_SEED)
    live = scenario.decide_through_service(book, hidden, workdir=tmp_path, seed=BUREAU_SEED)
    fast = scenario.decide_in_process(book, hidden, seed=BUREAU_SEED)
    live = live.set_index("application_id").loc[fast["application_id"]].reset_index()
    assert len(live) == len(fast) == len(book)
    for column in ("decision", "model_version", "pd", "score", "fallback"):
        a = live[column].astype(object).where(live[column].notna(), None).tolist()
        b = fast[column].astype(object).where(fast[column].notna(), None).tolist()
        assert a == b, column
    on, off = scenario.outage_cuts(book, hidden)
    assert live["fallback"].notna().sum() == off - on > 0
    during = live.iloc[on:off]  # fast is in time order, live now in the same order
    assert (during["decision"].astype(str) == "review").all()
    assert during["applied_at"].min() >= hidden.outage_start
    assert during["applied_at"].max() < hidden.outage_end


def test_bad_input_to_the_scenario():
    book, hidden = scenario.hidden_scenario(seed=1)
    with pytest.raises(TypeError, match="hidden_scenario"):
        scenario.outage_cuts(book.to_dict(), hidden)
    with pytest.raises(TypeError, match="HiddenScenario"):
        scenario.decide_in_process(book, "sealed", seed=1)
    with pytest.raises(ValueError, match="seed"):
        scenario.hidden_scenario(seed=-1)


# ------------------------------------------------------------------ Q1


def test_q1_accepts_a_dict_and_dates(income):
    alert, segment, day = ex.q1.expected(income)
    assert status(ex.q1, (alert, segment, day)) == "correct"
    assert status(ex.q1, {"alert": alert, "segment": segment, "day": day}) == "correct"
    assert status(ex.q1, [alert, segment.upper(), dt.date.fromisoformat(day)]) == "correct"


def test_q1_slips(income):
    alert, segment, day = ex.q1.expected(income)
    hidden = income["hidden"]
    log = income["log"]
    lowest = log["decision"].astype(str).eq("approve").groupby(log["segment"].astype(str)).mean()
    assert lowest.idxmin() == "near_prime" != segment
    assert "lowest approval rate" in line(ex.q1, (alert, "near_prime", day))
    assert "not the alert" in line(ex.q1, ("LendlabAdverseImpactRatioLow", segment, day))
    assert "not an alert" in line(ex.q1, ("ApprovalDrop", segment, day))
    outage = day_of(hidden.outage_start)
    assert "bureau outage" in line(ex.q1, (alert, segment, outage))
    start = day_of(hidden.incident.start)
    assert start != day and "incident began" in line(ex.q1, (alert, segment, start))
    for off_by_one in (shift(day, -1), shift(day, 1)):
        assert "one day off" in line(ex.q1, (alert, segment, off_by_one))
    drift = scenario.first_drift_day(log, income["reference"])
    if drift is not None and day_of(drift) not in (day, outage, start, shift(day, -1)):
        assert "inputs first drifted" in line(ex.q1, (alert, segment, day_of(drift)))
    assert "expected a tuple" in line(ex.q1, (alert, segment))


# ------------------------------------------------------------------ Q2


def test_q2_slips_income(income):
    kind, fault = ex.q2.expected(income)
    assert (kind, fault) == ("behavioural", "income_monthly_as_annual")
    assert status(ex.q2, ("Behavioral", fault)) == "correct"
    assert "nobody was paged" in line(ex.q2, ("technical", fault))
    assert "triage heading" in line(ex.q2, ("data", fault))
    assert "live bureau outage" in line(ex.q2, (kind, "bureau_outage"))
    assert "not a name" in line(ex.q2, (kind, "unit bug"))
    assert status(ex.q2, (kind, "none")) == "incorrect"


def test_q2_slips_bureau_defaults(bureau):
    kind, fault = ex.q2.expected(bureau)
    assert (kind, fault) == ("behavioural", "bureau_outage")
    # a bureau problem sounds technical, but the gateway filled defaults: no error, no fallback
    assert "nobody was paged" in line(ex.q2, ("technical", "bureau_outage"))
    assert status(ex.q2, (kind, "income_monthly_as_annual")) == "incorrect"


# ------------------------------------------------------------------ Q3


def test_q3_slips(income):
    day, reviews = ex.q3.expected(income)
    log, hidden = income["log"], income["hidden"]
    days = log["applied_at"].dt.floor("D")
    on_day = days == pd.Timestamp(day, tz="UTC")
    fallback_only = int((on_day & log["fallback"].notna()).sum())
    assert 0 < fallback_only < reviews
    assert "only the fallback" in line(ex.q3, (day, fallback_only))
    typical = int(log["decision"].astype(str).eq("review").groupby(days).sum().median())
    assert typical < reviews / 2
    assert status(ex.q3, (day, typical)) == "incorrect"
    start = day_of(hidden.incident.start)
    assert "segment incident began" in line(ex.q3, (start, reviews))
    assert "one day off" in line(ex.q3, (shift(day, 1), reviews))
    assert status(ex.q3, (day, float(reviews))) == "correct"
    # the day with the most reviews is the outage's: a learner can find it either way
    assert str(log["decision"].astype(str).eq("review").groupby(days).sum().idxmax().date()) == day


# ------------------------------------------------------------------ Q4


def test_q4_slips(income):
    start = ex.q4.expected(income)
    hidden = income["hidden"]
    _, _, alert_day = ex.q1.expected(income)
    assert alert_day > start
    assert "first alert fired" in line(ex.q4, alert_day)
    assert "bureau outage" in line(ex.q4, day_of(hidden.outage_start))
    assert "one day off" in line(ex.q4, shift(start, -1))
    assert "one day off" in line(ex.q4, shift(start, 1))
    assert "still look like the reference" in line(ex.q4, shift(start, -3))
    assert status(ex.q4, pd.Timestamp(start, tz="UTC")) == "correct"


def test_wrong_answers_never_print_the_expected_answer(income, bureau):
    for ctx in (income, bureau):
        ex._week.unbind()
        ex.bind(**ctx)
        for q in (ex.q1, ex.q3, ex.q4):
            expected = q.expected(ex._week.context)
            shown = expected[-1] if isinstance(expected, tuple) else expected
            for slip in q.wrong_answers(ex._week.context):
                assert q.evaluate(slip).status == "incorrect", (q, slip)
                assert str(shown) not in q.evaluate(slip).line, (q, slip)


def test_without_promtool_the_pandas_rules_give_the_same_first_alert(income, tmp_path):
    if dashboard.promtool_path() is None:
        pytest.skip("promtool not installed (apt-get install prometheus)")
    run = dashboard.run_promtool(
        income["counts"],
        windows=income["windows"],
        interval=scenario.SETTINGS["scrape_interval"],
        workdir=tmp_path,
    )
    pandas = scenario.first_alert_table(income["counts"], windows=income["windows"])
    pd.testing.assert_frame_equal(run.first, pandas)
