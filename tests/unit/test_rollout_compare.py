"""Replay comparison: decisions as the service makes them, flips, deltas, bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lendlab import metrics, world
from lendlab.models import Scorecard
from lendlab.monitoring import decision_log
from lendlab.rollout import compare, decide_vectorised, score_batch
from lendlab.rollout.compare import DECISIONS, required_columns
from lendlab.world.schema import passes_knockout


class Shifted:
    """A PDModel wrapper: the same model with PDs scaled (a miscalibrated release)."""

    def __init__(self, model, factor, version, segment=None):
        self.model, self.factor, self.version, self.segment = model, factor, version, segment
        self.features = tuple(model.features_)
        self.pdo, self.base_score, self.base_odds = model.pdo, model.base_score, model.base_odds

    def predict_pd(self, X):
        p = np.asarray(self.model.predict_pd(X), dtype=float)
        if self.segment is None:
            return np.clip(p * self.factor, 0, 1)
        hit = (X["segment"] == self.segment).to_numpy()
        return np.where(hit, np.clip(p * self.factor, 0, 1), p)


@pytest.fixture(scope="module")
def book():
    return world.generate(30_000, seed=21)


@pytest.fixture(scope="module")
def card(book):
    loans = book[book["approved_policy"]]
    return Scorecard(version="scorecard-t1").fit(loans, loans["defaulted"])


def test_decisions_match_the_decision_log_rule(book, card):
    p = card.predict_pd(book).to_numpy()
    codes = decide_vectorised(p, np.ones(len(book), bool), cutoff=0.2, review_margin=0.02)
    log = decision_log(
        book, card, cutoff=0.2, review_margin=0.02, reasons=lambda m, X: pd.DataFrame(index=X.index)
    )
    assert (np.asarray(DECISIONS, dtype=object)[codes] == log["decision"].astype(str)).all()
    # knock-out rules decline whatever the PD (the service's order)
    ko = passes_knockout(book)
    codes = decide_vectorised(p, ko, cutoff=0.2, review_margin=0.02)
    assert (codes[~ko] == 2).all()


def test_same_pds_under_two_versions_flip_nothing(book, card):
    twin = Shifted(card, 1.0, "scorecard-t2")
    result = compare(card, twin, book, cutoff=0.2, review_margin=0.02)
    assert result.flip_rate == 0 and len(result.flips) == 0
    assert np.allclose(result.metrics["delta"], 0)
    assert result.score_diff.set_index("quantity").loc["points", "mean_abs"] == 0


def test_shifted_candidate(book, card):
    cand = Shifted(card, 0.7, "scorecard-low")
    result = compare(card, cand, book, cutoff=0.2, review_margin=0.02)
    t = result.transitions
    assert t.to_numpy().sum() == len(book)
    assert t.loc["approve", "decline"] == 0  # lower PDs never decline an approval
    assert t.loc["decline", "approve"] > 0
    assert len(result.flips) == t.to_numpy().sum() - np.trace(t.to_numpy())
    ko = passes_knockout(book)
    p_b = card.predict_pd(book).to_numpy()
    p_c = p_b * 0.7
    appr_b = ko & (p_b < 0.18)
    appr_c = ko & (p_c < 0.18)
    m = result.metrics
    assert m.loc["approval_rate", "baseline"] == pytest.approx(appr_b.mean())
    assert m.loc["approval_rate", "delta"] == pytest.approx(appr_c.mean() - appr_b.mean())
    air_c = metrics.adverse_impact_ratio(appr_c, weights=book["protected_proxy"])
    assert m.loc["air", "candidate"] == pytest.approx(air_c)
    # own PDs look safer; priced with the baseline's PDs the new approvals are riskier
    assert m.loc["expected_bad_rate", "delta"] < 0
    assert m.loc["expected_bad_rate_baseline_pd", "delta"] > 0
    assert m.loc["realised_bad_rate", "candidate"] == pytest.approx(
        book["defaulted"].to_numpy()[appr_c].mean()
    )
    # reasons: decline->approve explained by the baseline's (declining side's) scorecard
    d2a = result.by_reason[result.by_reason["transition"] == "decline->approve"]
    assert d2a["n"].sum() == t.loc["decline", "approve"]
    assert not d2a["reason"].str.startswith("(").any()
    seg = result.by_segment
    assert seg["n"].sum() == len(book)
    assert seg["decline_to_approve"].sum() == t.loc["decline", "approve"]


def test_one_segment_harm_shows_in_that_segment_only(book, card):
    cand = Shifted(card, 1.6, "scorecard-thin", segment="thin_file")
    seg = compare(card, cand, book, cutoff=0.2, review_margin=0.02).by_segment
    assert seg.loc["thin_file", "approval_delta"] < -0.05
    assert (seg.drop(index="thin_file")["approval_delta"] == 0).all()


def test_write_and_summary(book, card, tmp_path):
    result = compare(card, Shifted(card, 0.8, "v-2"), book.head(5000), cutoff=0.2)
    paths = result.write(tmp_path / "out")
    data = json.loads((tmp_path / "out" / "comparison.json").read_text())
    assert data["baseline"] == "scorecard-t1" and data["n"] == 5000
    assert {p.name for p in paths} >= {"flips.csv", "by_segment.csv", "transitions.csv"}
    text = result.summary()
    assert "flip rate" in text and "ms per 1k rows" in text


def test_request_log_latency(book, card):
    log = pd.DataFrame({"model_version": ["scorecard-t1"] * 100, "duration_ms": np.arange(100.0)})
    result = compare(card, Shifted(card, 0.9, "v-9"), book.head(2000), cutoff=0.2, request_log=log)
    assert result.latency.loc["scorecard-t1", "request_p99_ms"] == pytest.approx(98.01)
    assert result.latency.loc["v-9", "requests_logged"] == 0


def test_score_batch_keeps_row_order(book, card):
    one = score_batch(card, book, n_jobs=1)
    two = score_batch(card, book, n_jobs=2)
    assert np.array_equal(one, two)


def test_no_proxy_column_is_a_note_not_a_silent_nan(book, card):
    result = compare(
        card, Shifted(card, 0.9, "v-9"), book.drop(columns="protected_proxy"), cutoff=0.2
    )
    assert any("protected_proxy" in n for n in result.notes)


def test_bad_input(book, card):
    with pytest.raises(ValueError, match="both version"):
        compare(card, card, book, cutoff=0.2)
    with pytest.raises(ValueError, match=r"missing column\(s\) \['fico'\]"):
        compare(card, Shifted(card, 1, "v2"), book.drop(columns="fico"), cutoff=0.2)
    with pytest.raises(ValueError, match="empty"):
        compare(card, Shifted(card, 1, "v2"), book.head(0), cutoff=0.2)
    with pytest.raises(TypeError, match="DataFrame"):
        compare(card, Shifted(card, 1, "v2"), book.to_numpy(), cutoff=0.2)
    with pytest.raises(ValueError, match="review band"):
        compare(card, Shifted(card, 1, "v2"), book, cutoff=0.2, review_margin=0.3)
    with pytest.raises(TypeError, match="predict_pd"):
        compare(object(), card, book, cutoff=0.2)


def test_required_columns_expand_derived_features():
    cols = required_columns(Scorecard(features=["payment_to_income"]))
    assert {"loan_amount", "annual_income", "interest_rate", "term_months"} <= set(cols)
