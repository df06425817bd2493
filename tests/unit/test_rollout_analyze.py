"""Canary analysis: graded go/no-go calls on candidate releases, the no-traffic trap, NaNs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lendlab import world
from lendlab.models import Scorecard, reason_codes
from lendlab.rollout import Guardrails, analyze, arm_decisions, decide_vectorised, load_guardrails
from lendlab.rollout.compare import DECISIONS, _points
from lendlab.world.schema import passes_knockout

N_ARM = 20_000


class Oracle:
    """Higher AUC than the scorecard (it sees pd_true) but PDs shifted down: miscalibrated."""

    features = ("fico",)
    pdo, base_score, base_odds = 20.0, 600.0, 50.0
    version = "oracle-shifted"

    def predict_pd(self, X):
        return X["pd_true"].to_numpy() * 0.55


class SegmentHarm:
    def __init__(self, model):
        self.model, self.features = model, tuple(model.features_)
        self.pdo, self.base_score, self.base_odds = model.pdo, model.base_score, model.base_odds
        self.version = "scorecard-thin-harm"

    def predict_pd(self, X):
        p = np.asarray(self.model.predict_pd(X), dtype=float)
        return np.where((X["segment"] == "thin_file").to_numpy(), np.clip(p * 1.7, 0, 1), p)


@pytest.fixture(scope="module")
def traffic():
    book = world.generate(2 * N_ARM, seed=33)
    rng = np.random.default_rng(4)
    arm = rng.random(len(book)) < 0.5
    return book[arm].reset_index(drop=True), book[~arm].reset_index(drop=True)


@pytest.fixture(scope="module")
def champion():
    train = world.generate(40_000, seed=1)
    loans = train[train["approved_policy"]]
    return Scorecard(version="scorecard-a").fit(loans, loans["defaulted"])


@pytest.fixture(scope="module")
def retrained():
    """A good release: the champion rebuilt from the same data and recipe, new version."""
    train = world.generate(40_000, seed=1)
    loans = train[train["approved_policy"]]
    return Scorecard(version="scorecard-b").fit(loans, loans["defaulted"])


def test_a_model_retrained_on_other_data_is_not_automatically_good(traffic, champion):
    # a plausible slip: "retrained, so it is fine". Seed 2's scorecard approves more, and
    # priced with the champion's PDs its extra approvals raise the expected bad rate.
    train = world.generate(40_000, seed=2)
    loans = train[train["approved_policy"]]
    other = Scorecard(version="scorecard-c").fit(loans, loans["defaulted"])
    a, b = traffic
    base = log_of(champion, a, explainer=champion, seed=1)
    can = log_of(other, b, explainer=other, seed=2)
    verdict = analyze(base, can, reference_model=champion)
    assert verdict.decision == "rollback"
    assert statuses(verdict)["expected_bad_rate"] == "High"


def log_of(model, apps, *, explainer, slow=1.0, error_share=0.0, seed=0, minutes=60):
    """What the service would log for ``apps`` served by ``model``."""
    rng = np.random.default_rng(seed)
    n = len(apps)
    p = np.asarray(model.predict_pd(apps), dtype=float)
    codes = decide_vectorised(p, passes_knockout(apps), cutoff=0.2, review_margin=0.02)
    out = apps.copy()
    out["model_version"] = model.version
    out["pd"] = p
    out["score"] = _points(p, model)
    out["decision"] = np.asarray(DECISIONS, dtype=object)[codes]
    out["reason_1"] = None
    declined = codes == 2
    out.loc[declined, "reason_1"] = reason_codes(explainer, apps[declined], max_reasons=1)[
        "reason_1"
    ].to_numpy()
    start = pd.Timestamp("2025-06-01", tz="UTC")
    out["received_at"] = start + pd.to_timedelta(np.sort(rng.uniform(0, minutes * 60, n)), "s")
    out["duration_ms"] = rng.lognormal(np.log(12), 0.35, n) * slow
    out["fallback"] = np.where(rng.random(n) < error_share, "manual_review", None)
    return out


def statuses(verdict):
    return {j.name: j.classification for j in verdict.judgements}


def test_good_candidate_promotes(traffic, champion, retrained):
    a, b = traffic
    base = log_of(champion, a, explainer=champion, seed=1)
    can = log_of(retrained, b, explainer=retrained, seed=2)
    verdict = analyze(base, can, reference_model=champion)
    assert verdict.decision == "promote", verdict.summary()
    assert verdict.score == 100.0
    assert len(verdict.reasons) == 1


def test_miscalibrated_candidate_rolls_back(traffic, champion):
    a, b = traffic
    base = log_of(champion, a, explainer=champion, seed=1)
    can = log_of(Oracle(), b, explainer=champion, seed=2)
    from sklearn.metrics import roc_auc_score

    auc_can = roc_auc_score(b["defaulted"], Oracle().predict_pd(b))
    assert auc_can > roc_auc_score(a["defaulted"], champion.predict_pd(a))  # better ranking
    verdict = analyze(base, can, reference_model=champion)
    s = statuses(verdict)
    assert verdict.decision == "rollback"
    assert s["approval_rate"] == "High"
    assert s["expected_bad_rate"] == "High"  # priced with the champion's PDs
    # by its own PDs the miscalibrated model looks safer: the reference model matters
    own = statuses(analyze(base, can))
    assert own["expected_bad_rate"] == "Pass"


def test_one_segment_harm_rolls_back_on_segment_approval(traffic, champion):
    a, b = traffic
    base = log_of(champion, a, explainer=champion, seed=1)
    can = log_of(SegmentHarm(champion), b, explainer=champion, seed=2)
    verdict = analyze(base, can)
    s = statuses(verdict)
    assert verdict.decision == "rollback"
    assert s["segment_approval"] == "Low"
    assert verdict.segments.loc["thin_file", "status"] == "Low"
    assert (verdict.segments.drop(index="thin_file")["status"] == "Pass").all()
    assert s["approval_rate"] == "Pass"  # the overall rate hides it


def test_slow_candidate_rolls_back_on_p99(traffic, champion):
    a, b = traffic
    base = log_of(champion, a, explainer=champion, seed=1)
    can = log_of(champion, b, explainer=champion, seed=2, slow=1.6)
    can["model_version"] = "scorecard-slow"
    verdict = analyze(base, can)
    s = statuses(verdict)
    assert verdict.decision == "rollback"
    assert s["p99_latency_ms"] == "High"
    assert s["approval_rate"] == "Pass" and s["score_psi"] == "Pass"


def test_erroring_candidate_against_a_zero_error_baseline(traffic, champion):
    a, b = traffic
    base = log_of(champion, a, explainer=champion, seed=1)
    can = log_of(champion, b, explainer=champion, seed=2, error_share=0.05)
    verdict = analyze(base, can)
    assert statuses(verdict)["error_rate"] == "High"
    assert verdict.decision == "rollback"


def test_tiny_traffic_holds_never_promotes(traffic, champion, retrained):
    a, b = traffic
    base = log_of(champion, a, explainer=champion, seed=1)
    can = log_of(retrained, b.head(400), explainer=retrained, seed=2, minutes=3)
    verdict = analyze(base, can)
    assert verdict.decision == "hold"
    assert "too little traffic" in verdict.reasons[0]
    # even a harmful tiny canary is HOLD (inconclusive), not an automatic rollback
    harm = log_of(champion, b.head(400), explainer=champion, seed=2, slow=3.0, minutes=3)
    assert analyze(base, harm).decision == "hold"


def test_small_segment_gives_hold(traffic, champion, retrained):
    a, b = traffic
    base = log_of(champion, a, explainer=champion, seed=1)
    can = log_of(retrained, b, explainer=retrained, seed=2)
    strict = Guardrails(min_decisions_per_segment=5_000)
    verdict = analyze(base, can, guardrails=strict, reference_model=champion)
    assert verdict.decision == "hold"
    assert statuses(verdict)["segment_approval"] == "Nodata"


def test_missing_latency_and_proxy_are_nodata_not_pass(traffic, champion, retrained):
    a, b = traffic
    base = log_of(champion, a, explainer=champion, seed=1)
    can = log_of(retrained, b, explainer=retrained, seed=2).drop(
        columns=["duration_ms", "protected_proxy"]
    )
    verdict = analyze(base, can, reference_model=champion)
    s = statuses(verdict)
    assert s["p99_latency_ms"] == "Nodata" and s["air"] == "Nodata"
    assert verdict.decision == "hold"


def test_all_fallback_canary_has_no_pds(traffic, champion):
    a, b = traffic
    base = log_of(champion, a, explainer=champion, seed=1)
    can = log_of(champion, b, explainer=champion, seed=2)
    can["pd"] = np.nan
    can["score"] = np.nan
    can["fallback"] = "manual_review"
    can["decision"] = "review"
    verdict = analyze(base, can)
    s = statuses(verdict)
    assert s["expected_bad_rate"] == "Nodata" and s["score_psi"] == "Nodata"
    assert s["error_rate"] == "High"
    assert verdict.decision == "rollback"


def test_report_shapes(traffic, champion, retrained):
    a, b = traffic
    verdict = analyze(
        log_of(champion, a, explainer=champion, seed=1),
        log_of(retrained, b, explainer=retrained, seed=2),
    )
    frame = verdict.frame()
    assert list(frame.index)[:2] == ["error_rate", "p99_latency_ms"]
    assert json.dumps(verdict.to_dict())
    assert verdict.summary().startswith("verdict: ")


def test_arm_decisions_and_since():
    t = pd.to_datetime(["2025-01-01T00:00", "2025-01-01T01:00", "2025-01-01T02:00"], utc=True)
    log = pd.DataFrame(
        {
            "model_version": ["v1", "v2", "rules-policy"],
            "active_model": ["v1", "v2", "v2"],
            "received_at": t,
        }
    )
    assert len(arm_decisions(log, "v2")) == 2
    assert len(arm_decisions(log, "v2", since="2025-01-01T01:30")) == 1


def test_bad_input(traffic, champion):
    a, _ = traffic
    base = log_of(champion, a.head(100), explainer=champion)
    with pytest.raises(TypeError, match="DataFrame"):
        analyze(base, [1, 2])
    with pytest.raises(ValueError, match="empty"):
        analyze(base, base.head(0))
    with pytest.raises(ValueError, match=r"missing column\(s\) \['segment'\]"):
        analyze(base, base.drop(columns="segment"))
    odd = base.copy()
    odd.loc[0, "decision"] = "maybe"
    with pytest.raises(ValueError, match="maybe"):
        analyze(base, odd)
    with pytest.raises(TypeError, match="Guardrails"):
        analyze(base, base, guardrails={"approval_tolerance": 0.1})


def test_guardrails_config(tmp_path):
    path = tmp_path / "g.json"
    path.write_text(json.dumps({"psi_tolerance": 0.2, "critical": ["error_rate"]}))
    g = load_guardrails(path)
    assert g.psi_tolerance == 0.2 and g.critical == ("error_rate",)
    with pytest.raises(ValueError, match="unknown guardrail"):
        Guardrails(critical=("latency",))
    with pytest.raises(ValueError, match="interval"):
        Guardrails(interval="soon")
    with pytest.raises(ValueError, match="positive integer"):
        Guardrails(min_decisions_per_arm=0)
