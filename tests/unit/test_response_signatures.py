"""Triage from measured signals: real injected faults are ranked first, the taxonomy, bad input."""

from functools import cache

import numpy as np
import pandas as pd
import pytest

from lendlab import models, monitoring, world
from lendlab.response import (
    SIGNATURES,
    TRIAGE_CLASSES,
    measure_signals,
    rank_faults,
    triage_signals,
)
from lendlab.response.signatures import HEADINGS, SIGNALS, STATES
from lendlab.world import faults

START, END = "2025-07-01", "2025-08-01"
CONTEXT = (
    "channel",
    "segment",
    "protected_proxy",
    "income_verification",
    "verified_income",
    "emp_length_years",
)


@cache
def _book():
    book = world.generate(20_000, seed=3)
    loans = book[book["approved_policy"]]
    card = models.Scorecard(version="sc").fit(loans, loans["defaulted"])
    return book, card


def _windows(kind):
    book, card = _book()
    broken, _ = faults.inject(book, kind, start=START, end=END, seed=1)
    broken = broken.drop_duplicates("application_id")
    log = monitoring.decision_log(broken, card, cutoff=0.2, review_margin=0.02, context=CONTEXT)
    base = log[(log["applied_at"] >= "2025-05-01") & (log["applied_at"] < START)]
    cur = log[(log["applied_at"] >= START) & (log["applied_at"] < END)]
    return base, cur


def test_every_catalogue_fault_has_a_structured_signature_and_heading():
    assert set(faults.FAULTS) <= set(SIGNATURES)
    assert set(HEADINGS.values()) <= set(TRIAGE_CLASSES)
    for signature in SIGNATURES.values():
        assert set(signature) <= set(SIGNALS)


@pytest.mark.parametrize(
    "kind",
    [
        "bureau_outage",
        "income_monthly_as_annual",
        "income_annual_as_monthly",
        "income_verification_vendor_change",
        "verification_feed_gap",
        "partner_field_rename",
        "stale_feature_store",
    ],
)
def test_injected_fault_is_ranked_first_and_filed_as_data(kind):
    base, cur = _windows(kind)
    result = triage_signals(measure_signals(base, cur))
    assert result.hypothesis == kind
    assert result.heading == "data"
    assert result.kind == "behavioural"  # the offline log has no infrastructure columns
    assert result.ranking.index[0] == kind


@pytest.mark.parametrize("kind", ["seasonality", "concept_shift", "bureau_attribute_bug"])
def test_faults_invisible_in_the_log_give_no_incident(kind):
    base, cur = _windows(kind)
    assert triage_signals(measure_signals(base, cur)).kind == "none"


def test_infrastructure_makes_it_technical():
    states = {"errors": "up", "latency": "up", "fallback": "up", "bureau_missing": "up"}
    result = triage_signals(states)
    assert result.infrastructure and result.kind == "technical"
    assert result.hypothesis == "bureau_outage"


def test_threshold_and_model_release_hypotheses():
    flat_inputs = {s: "flat" for s in ("income_shift", "dti_level", "bureau_missing", "errors")}
    got = triage_signals(
        {**flat_inputs, "approval_rate": "up", "score_psi": "flat", "model_changed": "flat"}
    )
    assert (got.hypothesis, got.heading) == ("threshold_misconfiguration", "threshold")
    got = triage_signals({**flat_inputs, "model_changed": "up", "approval_rate": "down"})
    assert (got.hypothesis, got.heading) == ("model_release", "model")


def test_fewer_rows_than_min_rows_is_unknown():
    frame = pd.DataFrame({"decision": ["approve", "decline"] * 10})
    table = measure_signals(frame, frame, min_rows=50)
    assert set(table["state"]) == {"unknown"}
    assert set(table["state"]) <= set(STATES)


def test_rank_is_a_mismatch_sensitive_score():
    ranked = rank_faults({"income_shift": "up", "dti_level": "down", "approval_rate": "up"})
    assert ranked.index[0] == "income_annual_as_monthly"
    assert ranked.loc["income_monthly_as_annual", "score"] < 1.0


@pytest.mark.parametrize(
    ("signals", "error"),
    [
        ([("approval_rate", "up")], TypeError),
        ({"approval": "up"}, ValueError),
        ({"approval_rate": "sideways"}, ValueError),
        (pd.DataFrame({"x": [1]}), ValueError),
    ],
)
def test_bad_signals(signals, error):
    with pytest.raises(error, match="signal|state"):
        rank_faults(signals)


def test_bad_windows():
    ok = pd.DataFrame({"decision": ["approve"] * 60})
    with pytest.raises(TypeError, match="DataFrame"):
        measure_signals([1, 2], ok)
    with pytest.raises(ValueError, match="'decision'"):
        measure_signals(ok, pd.DataFrame({"x": [1]}))
    with pytest.raises(TypeError, match="error_rate"):
        measure_signals(ok, ok, error_rate=0.1)
    with pytest.raises(ValueError, match="error_rate"):
        measure_signals(ok, ok, error_rate=(0.1, 2.0))
    with pytest.raises(TypeError, match="numeric"):
        measure_signals(ok.assign(score="600"), ok.assign(score="600"))


# ------------------------------------------------------------------ the week 10 game-day pool
# The lab's reveal: triage_signals(measure_signals(*truth_windows(log, sealed))) on the
# simulated game day (the decisions as the service makes them). Every kind of the pool, on
# several seeds, must land on its own signature, heading and kind.
W10_N = 1_200
W10_SEEDS_PER_KIND = 3


@cache
def _w10_seeds():
    from lendlab.course.scenarios import week10

    seeds: dict[str, list[int]] = {}
    for seed in range(200):
        sealed = week10.draw_incident(seed)
        key = sealed.name if sealed.segment is None else f"{sealed.name}:{sealed.segment}"
        seeds.setdefault(key, []).append(seed)
    return seeds


def _w10_cases():
    from lendlab.course.scenarios import week10

    cases = []
    for name in week10.KINDS:
        keys = [k for k in _w10_seeds() if k.split(":")[0] == name]
        for key in sorted(keys):  # income_units: both segments of the pool
            cases += [(name, seed) for seed in _w10_seeds()[key][:W10_SEEDS_PER_KIND]]
    return cases


@cache
def _w10_windows(seed):
    from lendlab.course.scenarios import week10

    sealed = week10.draw_incident(seed)
    log, sealed = week10.simulate_log(
        sealed, seed=seed, n=W10_N, champion=week10._cached_champion()
    )
    baseline, incident = week10.truth_windows(log, sealed)
    return sealed, baseline, incident


def test_the_week10_cases_cover_every_kind_of_the_pool():
    from lendlab.course.scenarios import week10

    names = [name for name, _ in _w10_cases()]
    for name in week10.KINDS:
        assert names.count(name) >= W10_SEEDS_PER_KIND, name
    segments = {week10.draw_incident(s).segment for n, s in _w10_cases() if n == "income_units"}
    assert segments == set(week10.INCIDENTS["income_units"].segments)


@pytest.mark.parametrize(("name", "seed"), _w10_cases())
def test_week10_incident_is_filed_under_its_signature_heading_and_kind(name, seed):
    sealed, baseline, incident = _w10_windows(seed)
    assert sealed.name == name
    result = triage_signals(measure_signals(baseline, incident))
    got = (result.hypothesis, result.heading, result.kind)
    assert got == (sealed.hypothesis, sealed.heading, sealed.kind), (seed, result.reasons)
    assert result.ranking.index[0] == sealed.hypothesis
    assert result.heading in TRIAGE_CLASSES


def _w10_signals(name, k=0):
    seed = [s for n, s in _w10_cases() if n == name][k]
    sealed, baseline, incident = _w10_windows(seed)
    return sealed, measure_signals(baseline, incident)["state"]


def test_a_dependency_outage_is_technical_because_of_the_fallback_share():
    for name in ("verification_outage", "bureau_outage", "bureau_timeouts"):
        _, state = _w10_signals(name)
        assert state["fallback"] == "up", name
    _, state = _w10_signals("verification_outage")
    assert state["verified_income_missing"] == "up" and state["bureau_missing"] == "flat"
    ranked = rank_faults(state.to_dict())
    assert not ranked.loc["threshold_misconfiguration", "consistent"]  # says fallback flat
    assert ranked.loc["verification_feed_gap", "consistent"]


def test_a_units_bug_in_one_segment_is_measured_within_segments():
    diluted = 0
    for k in range(W10_SEEDS_PER_KIND):
        sealed, state = _w10_signals("income_units", k)
        assert sealed.segment in ("returning", "thin_file")
        assert state["segment_income_level"] == "down"  # income 12x too small in one segment
        assert state["segment_dti_level"] == "up"
        assert state["decision_at_pd"] == "flat"  # the PDs moved, not the decision at a PD
        assert state["fallback"] == "flat"
        diluted += state["income_shift"] != "up"
    assert diluted >= 1  # over the whole window the segment's shift is averaged away


def test_a_cutoff_change_moves_decisions_at_the_same_pd_with_inputs_unchanged():
    for k in range(W10_SEEDS_PER_KIND):
        _, state = _w10_signals("cutoff_misconfiguration", k)
        assert state["decision_at_pd"] == "up"
        assert state["score_psi"] == "flat"  # PDs unchanged
        for signal in ("segment_income_level", "segment_dti_level", "income_shift", "fallback"):
            assert state[signal] in ("flat", "moderate"), signal
    for name in ("bureau_timeouts", "income_units"):
        _, state = _w10_signals(name)
        assert state["decision_at_pd"] in ("flat", "moderate"), name


def test_decision_at_pd_ignores_knockouts_and_fallbacks():
    pds = [0.05, 0.10, 0.15, 0.25, 0.30, 0.40] * 20
    base = pd.DataFrame({"pd": pds, "decision": ["approve" if p < 0.2 else "decline" for p in pds]})
    same = base.assign(fallback=None)
    # a knock-out decline at a low PD and a fallback review are not the cutoff's decisions
    knocked = base.assign(fico=[600.0] + [700.0] * 119, dti=10.0, inquiries_6m=0)
    knocked.loc[0, "decision"] = "decline"
    fell_back = same.assign(fallback=["manual_review"] * 10 + [None] * 110)
    fell_back.loc[:9, "decision"] = "review"
    for now in (same, fell_back):
        assert measure_signals(base, now).loc["decision_at_pd", "state"] == "flat"
    knocked_base = base.assign(fico=700.0, dti=10.0, inquiries_6m=0)
    assert measure_signals(knocked_base, knocked).loc["decision_at_pd", "state"] == "flat"
    moved = base.assign(decision=["approve" if p < 0.1 else "decline" for p in pds])
    row = measure_signals(base, moved).loc["decision_at_pd"]
    assert row["state"] == "up" and row["incident"] == pytest.approx(2 / 6)  # 0.10, 0.15


def test_segment_levels_need_enough_rows_per_segment():
    rows = 14  # one under SEGMENT_MIN_ROWS
    base = pd.DataFrame(
        {"decision": ["approve"] * 60, "segment": ["a"] * 60, "annual_income": 60_000.0}
    )
    few = base.assign(segment=["a"] * rows + ["b"] * (60 - rows))
    few.loc[: rows - 1, "annual_income"] = 5_000.0
    # 'b' is absent from the baseline and 'a' has too few rows now: not measured, not flat
    assert measure_signals(base, few).loc["segment_income_level", "state"] == "unknown"
    enough = base.assign(annual_income=[5_000.0] * 30 + [60_000.0] * 30)
    enough["segment"] = ["a"] * 30 + ["b"] * 30
    base2 = base.assign(segment=["a"] * 30 + ["b"] * 30)
    row = measure_signals(base2, enough).loc["segment_income_level"]
    assert row["state"] == "down" and row["incident"] / row["baseline"] == pytest.approx(1 / 12)


def test_a_few_slow_requests_on_a_busy_host_are_not_a_latency_symptom():
    """p99 x3 from 1 % of requests while the bulk is unchanged: moderate, not up."""
    rng = np.random.default_rng(0)

    def frame(slow_share: float, scale: float = 1.0) -> pd.DataFrame:
        ms = rng.gamma(4.0, 1.5, 2_000) * scale
        slow = rng.random(2_000) < slow_share
        ms[slow] = 70.0
        return pd.DataFrame({"duration_ms": ms, "decision": "approve"})

    noisy = measure_signals(frame(0.0), frame(0.02))
    assert noisy.loc["latency", "state"] == "moderate"
    real = measure_signals(frame(0.0), frame(0.02, scale=2.0))  # the bulk slowed down too
    assert real.loc["latency", "state"] == "up"
