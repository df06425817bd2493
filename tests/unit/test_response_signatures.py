"""Triage from measured signals: real injected faults are ranked first, the taxonomy, bad input."""

from functools import cache

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
