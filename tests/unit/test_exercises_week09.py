"""Week 9 checks: the slips a release SRE makes, each rejected with its own reason.

The context is the lab's (:func:`lendlab.course.scenarios.week09.build_context`: a real
registry with sealed releases, a simulated live run, historical traffic, canary logs). Every
slip is built from the bound data by changing one entry of the right answer, so each test
says exactly which mistake it rejects.
"""

from __future__ import annotations

import pytest

from lendlab.course.exercises import week09 as ex
from lendlab.course.scenarios import week09 as scenario
from lendlab.rollout.candidates import INTENDED, simulate_canary


@pytest.fixture(scope="module")
def context():
    return scenario.build_context(seed=7, n=500)


@pytest.fixture
def ctx(context):
    ex._week.unbind()
    ex.bind(**context)
    yield ex._week.context
    ex._week.unbind()


def verdict_of(q, answer):
    res = q.evaluate(answer)
    return res.status, res.message


def rejects(q, answer, *phrases):
    status, message = verdict_of(q, answer)
    assert status == "incorrect", message
    for phrase in phrases:
        assert phrase in message, message
    return message


def one_changed(right, version, call):
    return {**right, version: call}


def kinds(ctx):
    sealed = ctx["sealed"]
    return {sealed.kind_of(v): v for v in ctx["releases"]}


# -- the expected answers come from the data and match the sealed truth ------------------------
def test_go_no_go_expected_matches_the_sealed_kinds(ctx):
    expected = ex.q8.expected(ctx)
    sealed = ctx["sealed"]
    assert {v: d for v, (d, _) in expected.items()} == sealed.intended()
    verdicts = ex._verdicts(ctx)
    for v in expected:
        _, reasons = INTENDED[sealed.kind_of(v)]
        assert set(reasons) <= set(ex._failed(verdicts[v]))
    assert verdict_of(ex.q8, expected)[0] == "correct"


def test_replay_expectations_match_the_kinds(ctx):
    k = kinds(ctx)
    assert k["miscalibrated"] in ex.q5.expected(ctx)
    assert k["segment_harm"] not in ex.q5.expected(ctx)
    assert ex.q7.expected(ctx) == (k["segment_harm"], "thin_file")
    calibration = ex.q6.expected(ctx)
    assert calibration[k["miscalibrated"]] < 0.8 < calibration[k["good"]]


# -- Q8: the go/no-go slips --------------------------------------------------------------------
def test_promoting_the_miscalibrated_release_because_its_auc_is_higher(ctx):
    right = ex.q8.expected(ctx)
    v = kinds(ctx)["miscalibrated"]
    assert ex._aucs(ctx)[v] > ex._aucs(ctx)["champion"]
    rejects(ex.q8, one_changed(right, v, ("promote", None)), "better ranking is not a safer")


def test_promoting_the_segment_harm_release_because_overall_approval_barely_moved(ctx):
    right = ex.q8.expected(ctx)
    v = kinds(ctx)["segment_harm"]
    rejects(ex.q8, one_changed(right, v, ("promote", None)), "segment_approval")


def test_rolling_back_the_good_release_because_its_decisions_flip(ctx):
    right = ex.q8.expected(ctx)
    v = kinds(ctx)["good"]
    assert ex._comparisons(ctx)[v].flip_rate > 0.01  # it does flip decisions
    rejects(ex.q8, one_changed(right, v, ("rollback", "approval_rate")), "flips are expected")


def test_judging_the_slow_release_by_business_metrics_only(ctx):
    right = ex.q8.expected(ctx)
    v = kinds(ctx)["slow"]
    rejects(ex.q8, one_changed(right, v, ("promote", None)), "latency")
    # the right verdict with a business reason: that guardrail passed
    rejects(ex.q8, one_changed(right, v, ("rollback", "approval_rate")), "passed")


def test_a_rollback_must_name_a_failed_guardrail(ctx):
    right = ex.q8.expected(ctx)
    v = kinds(ctx)["segment_harm"]
    rejects(ex.q8, one_changed(right, v, ("rollback", None)), "name the guardrail")
    rejects(ex.q8, one_changed(right, v, ("rollback", "flip_rate")), "not a guardrail")
    rejects(ex.q8, one_changed(right, v, ("rollback", "air")), "passed")
    good = kinds(ctx)["good"]
    rejects(ex.q8, one_changed(right, good, ("promote", "approval_rate")), "no guardrail failed")
    rejects(ex.q8, one_changed(right, good, ("ship it", None)), "not one of")


def test_any_failed_critical_guardrail_is_a_valid_reason(ctx):
    right = ex.q8.expected(ctx)
    v = kinds(ctx)["miscalibrated"]
    verdict = ex._verdicts(ctx)[v]
    critical = ex._failed_critical(verdict)
    assert len(critical) >= 2  # approval_rate and expected_bad_rate at least
    for name in critical:
        assert verdict_of(ex.q8, one_changed(right, v, ("rollback", name)))[0] == "correct"
    assert verdict_of(ex.q8, one_changed(right, kinds(ctx)["good"], "promote"))[0] == "correct"


def test_a_failed_non_critical_guardrail_is_not_the_reason_for_a_rollback(ctx):
    """The miscalibrated release also fails score_psi, which alone would not roll it back."""
    right = ex.q8.expected(ctx)
    v = kinds(ctx)["miscalibrated"]
    verdict = ex._verdicts(ctx)[v]
    non_critical = [f for f in ex._failed(verdict) if f not in ex._failed_critical(verdict)]
    assert "score_psi" in non_critical
    rejects(ex.q8, one_changed(right, v, ("rollback", "score_psi")), "not critical")
    assert one_changed(right, v, ("rollback", non_critical[0])) in ex.q8.wrong_answers(ctx)


def test_a_near_miss_is_told_apart_from_a_wrong_value(ctx):
    a, b = ex.q3.expected(ctx)
    rejects(ex.q3, (round(a * 1.002, 3), b), "close but not exact")
    rejects(ex.q3, (a, b * 0.997), "close but not exact")
    rejects(ex.q3, (a * 1.5, b), "too high")
    ratios = ex.q6.expected(ctx)
    rounded = {
        v: round(r, 3) if abs(round(r, 3) - r) > 1e-6 * r else r + 1e-3 for v, r in ratios.items()
    }
    rejects(ex.q6, rounded, "close but not exact")


# -- Q4: the no-traffic trap --------------------------------------------------------------------
def test_promoting_a_canary_on_too_little_traffic(ctx):
    assert ex.q4.expected(ctx) == "hold"
    rejects(ex.q4, "promote", "no-traffic trap")
    rejects(ex.q4, "rollback", "inconclusive")


def test_the_live_verdict_is_computed_from_the_traffic(context):
    """With enough canary decisions the same question expects the release's real verdict."""
    releases = context["releases"]
    good = context["sealed"].version_of("good")
    apps = scenario.world.generate(48_000, seed=99, start="2026-03-05", days=3)
    base, can = simulate_canary(
        context["champion"], releases[good], apps, explainer=context["champion"], minutes=240
    )
    big = scenario.pd.concat([base, can], ignore_index=True)
    ex._week.unbind()
    ex.bind(**{**context, "log": big})
    try:
        assert ex.q4.expected(ex._week.context) == "promote"
        rejects(ex.q4, "hold", "not the best option")
    finally:
        ex._week.unbind()


# -- Q1 to Q3, Q5 to Q7: the other slips ---------------------------------------------------------
def test_modes(ctx):
    right = ex.q1.expected(ctx)
    rejects(ex.q1, {**right, "first_look": "canary"}, "adverse-action notice")
    rejects(ex.q1, {**right, "learn_effect": "canary"}, "not for measuring an effect")
    rejects(ex.q1, {**right, "blast_radius": "A/B"}, "not for safety")
    assert verdict_of(ex.q1, {**right, "instant_switch": "Blue-Green"})[0] == "correct"


def test_shadow_flip_rates(ctx):
    right = ex.q2.expected(ctx)
    pairs = ex._pairs(ctx)
    counts = pairs.groupby(pairs["segment"].astype(str))["flipped"].sum().astype(float)
    rejects(ex.q2, counts.to_dict(), "count of flips")
    rejects(ex.q2, {k: 100 * v for k, v in right.items()}, "percent")
    everyone = ex._flip_by_segment(ex._pairs(ctx, primary_only=False))
    if any(abs(everyone[k] - right[k]) > 1e-9 for k in right):
        rejects(ex.q2, everyone, "primary arm only")


def test_shadow_latency(ctx):
    a, b = ex.q3.expected(ctx)
    rejects(ex.q3, (b, a), "swapped")
    pairs = ex._pairs(ctx)
    rejects(ex.q3, (a, float(pairs["shadow_score_ms"].quantile(0.99))), "score_ms")
    rejects(ex.q3, (a / 1000, b), "seconds")


def test_better_rankers_and_calibration(ctx):
    right = ex.q5.expected(ctx)
    rejects(ex.q5, set(ctx["releases"]) - right)
    ratios = ex.q6.expected(ctx)
    rejects(ex.q6, {v: 1 / r for v, r in ratios.items()}, "divide the other way")
    rejects(ex.q6, ex._calibration(ctx, everyone=True), "knock-out rules")


def test_segment_harm_slips(ctx):
    delta = ex._segment_table(ctx, "approval_delta")
    biggest_gain = tuple(delta.idxmax())
    rejects(ex.q7, biggest_gain, "gains approvals")
    v, _ = ex.q7.expected(ctx)
    rejects(ex.q7, (v, "prime"), "not the segment")
    rejects(ex.q7, (v, "web"), "not a segment")
