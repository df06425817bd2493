"""The decision tree: each branch, the queue arithmetic, the Reg B clock, bad input."""

import datetime as dt

import pytest

from lendlab.response import ACTIONS, decide_response, notice_clock, retain_until

HARM = {"approval_delta": -0.15, "incident_air": 0.75, "air_delta": -0.1}


def _plan(heading, impact=HARM, **kw):
    args = {"last_good_model": True, "review_capacity_per_hour": 50, "arrivals_per_hour": 100}
    return decide_response(heading, impact, **{**args, **kw})


def test_no_harm_continues():
    plan = _plan("data", {"approval_delta": 0.01, "incident_air": 0.95, "air_delta": -0.01})
    assert plan.action == "continue"


def test_infrastructure_alone_is_harm():
    plan = _plan("data", {"approval_delta": 0.0}, infrastructure=True, arrivals_per_hour=10)
    assert plan.action == "freeze"


@pytest.mark.parametrize("heading", ["model", "threshold"])
def test_our_release_rolls_back_when_possible(heading):
    assert _plan(heading).action == "rollback"
    assert _plan(heading, last_good_model=False, arrivals_per_hour=50).action == "freeze"


def test_data_freezes_while_review_keeps_up_then_falls_back():
    # 100/h against 50/h for 24 h: backlog 1200, the last arrival waits 24 h <= 72 h
    plan = _plan("data")
    assert plan.action == "freeze"
    assert plan.options.loc["freeze", "backlog_at_horizon"] == 1200
    assert plan.options.loc["freeze", "max_wait_hours"] == 24
    assert plan.queue["freeze"].iloc[1] == 50
    # 250/h: backlog 4800, 96 h wait > 72 h
    plan = _plan("data", arrivals_per_hour=250, broken_inputs=["dti"])
    assert plan.action == "fallback"
    assert "dti" in plan.reasons[-1]
    assert plan.options.loc["fallback", "backlog_at_horizon"] == 0


def test_options_table_covers_every_action():
    plan = _plan("world", completed_at=["2026-01-01T10:00Z"], now="2026-01-20")
    assert list(plan.options.index) == list(ACTIONS)
    assert list(plan.queue.columns) == list(ACTIONS)
    assert plan.oldest_deadline == dt.date(2026, 1, 31)
    assert plan.notices["days_left"].tolist() == [11]
    assert not _plan("world", last_good_model=False).options.loc["rollback", "available"]


def test_notice_clock_counts_by_deadline():
    clock = notice_clock(
        ["2026-01-01T01:00Z", "2026-01-01T23:00Z", "2026-01-02T00:30Z"], now="2026-02-01"
    )
    assert clock["notices_due"].tolist() == [2, 1]
    assert clock["days_left"].tolist() == [-1, 0]
    with pytest.raises(ValueError, match="not timestamps"):
        notice_clock(["2026-01-01", "soon"])
    with pytest.raises(TypeError, match="list or Series"):
        notice_clock("2026-01-01")


def test_retain_until_is_25_months_after_notice():
    assert retain_until("2026-03-15") == dt.date(2028, 4, 15)
    with pytest.raises(ValueError, match="months"):
        retain_until("2026-03-15", months=0)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"review_capacity_per_hour": 0}, ValueError),
        ({"review_capacity_per_hour": "10"}, TypeError),
        ({"arrivals_per_hour": float("nan")}, ValueError),
        ({"last_good_model": "yes"}, TypeError),
        ({"hours": 0}, ValueError),
        ({"baseline_review_rate": 1.5}, ValueError),
        ({"broken_inputs": "dti"}, TypeError),
    ],
)
def test_bad_input(kwargs, error):
    with pytest.raises(error):
        _plan("data", **kwargs)


def test_bad_heading_and_impact():
    with pytest.raises(ValueError, match="heading"):
        _plan("infra")
    with pytest.raises(TypeError, match="impact"):
        _plan("data", impact=[0.1])
    with pytest.raises(TypeError, match="approval_delta"):
        _plan("data", impact={"approval_delta": "big"})
