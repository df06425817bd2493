"""Week 8 checks: each question rejects the mistakes a learner is likely to make.

The common test (test_exercises_common.py) feeds every ``wrong_answers`` entry on small data;
these tests name the plausible slips one by one at the lab's scale, check the messages point
the right way without revealing the answer, and test the scenario's sealing.
"""

from __future__ import annotations

import datetime as dt

import pytest

from lendlab.course.exercises import week08 as ex
from lendlab.course.scenarios import week08 as scenario
from lendlab.quality import release

SEED, N = 2127, 30_000  # this seed's incident is the dropped join (canary only)
pytestmark = pytest.mark.usefixtures("not_strict")


@pytest.fixture(scope="module")
def ctx():
    return scenario.build_context(seed=SEED, n=N)


@pytest.fixture
def bound(ctx, bind_week):
    return bind_week(ex, ctx)


def status(q, answer):
    return q.evaluate(answer).status


def line(q, answer):
    return q.evaluate(answer).line


def test_the_incident_is_sealed_and_drawn_from_the_seed(ctx):
    assert ctx["incident_run"].variant == "sealed"
    assert all(r is None for r in ctx["incident_run"].records)
    assert ctx["sealed"].variant == "verification_inner_join"
    lo, hi = scenario.SETTINGS["landing_nights"]
    assert lo <= ctx["sealed"].landing <= hi == 9
    card = scenario.champion(seed=SEED)
    drawn = {
        scenario.incident(ctx["nights"][:10], model=card, seed=s)[1].variant for s in (1, 2033)
    }
    assert len(drawn) > 1


def test_q1_accepts_sets_strings_and_both(bound):
    right = ex.q1.expected(bound)
    as_sets = {v: set(g) for v, g in right.items()}
    assert status(ex.q1, as_sets) == "correct"
    words = {v: ("both" if len(g) == 2 else g[0] if g else "none") for v, g in right.items()}
    assert status(ex.q1, words) == "correct"


def test_q1_slips(bound):
    right = ex.q1.expected(bound)
    contracts_all = {v: ["contracts"] for v in right}
    assert status(ex.q1, contracts_all) == "incorrect"
    too_many = {**right, "partial_zero_dti": ["contracts", "canary"]}
    assert "passed it on the landing night" in line(ex.q1, too_many)
    missing = {k: v for k, v in right.items() if k != "partial_null_dti"}
    assert "no entry for 'partial_null_dti'" in line(ex.q1, missing)
    assert "not a gate" in line(ex.q1, {**right, "partial_null_dti": ["schema"]})


def test_q2_kind_instead_of_name_and_the_neighbour(bound):
    assert "is a kind" in line(ex.q2, "dropped join")
    assert status(ex.q2, "stale_verification_partition") == "incorrect"
    assert status(ex.q2, " Verification_Inner_Join ") == "correct"


def test_q3_slips(bound):
    right = ex.q3.expected(bound)
    assert right["contracts"] is None and right["canary"] is not None
    assert "answer None" in line(ex.q3, {"contracts": right["canary"], "canary": right["canary"]})
    next_day = str(dt.date.fromisoformat(right["canary"]) + dt.timedelta(days=1))
    assert "as_of" in line(ex.q3, {"contracts": None, "canary": next_day})
    assert "does fail" in line(ex.q3, {"contracts": None, "canary": None})
    early = str(dt.date.fromisoformat(right["canary"]) - dt.timedelta(days=2))
    assert "before the redeploy" in line(ex.q3, {"contracts": None, "canary": early})


def test_q4_slips(bound):
    run = bound["incident_run"]
    n = scenario.SETTINGS["noticed_after"]
    right = ex.q4.expected(bound)
    window = run.decisions[run.decisions["night"] < run.landing + n]
    without_dropped = int((window["corrupted"] & window["approved_bad"].notna()).sum())
    assert without_dropped < right  # the dropped join: most corrupted decisions never happened
    assert status(ex.q4, without_dropped) == "incorrect"
    assert status(ex.q4, int(run.decisions["corrupted"].sum())) == "incorrect"  # to the end
    assert status(ex.q4, release.corrupted_decisions(run, noticed_after=n + 1)) == "incorrect"
    assert status(ex.q4, float(right)) == "correct"
    assert "whole number" in line(ex.q4, right + 0.5)


def test_q5_slips(bound):
    right = ex.q5.expected(bound)
    assert right["verification_inner_join"] > right["partial_zero_dti"] > 0
    assert right["income_monthly_as_annual"] == right["partial_null_dti"] == 0
    out = line(ex.q5, {**right, "partial_null_dti": 25})
    assert "already block" in out
    for slip in ex.q5.wrong_answers(bound):
        assert status(ex.q5, slip) == "incorrect"


def test_q6_count_instead_of_share_and_channel(bound):
    run = bound["incident_run"]
    n = scenario.SETTINGS["noticed_after"]
    window = run.decisions[run.decisions["night"] < run.landing + n]
    by_count = window.groupby("segment")["corrupted"].sum().idxmax()
    right = ex.q6.expected(bound)
    if by_count != right:
        assert "compare shares" in line(ex.q6, by_count)
    assert "is a channel" in line(ex.q6, "partner_api")
    assert "not a list" in line(ex.q6, [right])
    assert status(ex.q6, right.upper()) == "correct"


def test_wrong_answers_never_print_the_expected_number(bound):
    for q in (ex.q4,):
        expected = str(q.expected(bound))
        for slip in q.wrong_answers(bound):
            assert expected not in line(q, slip)
