"""Week 2 (ranking vs calibration): the checks reject the mistakes learners actually make.

The common test (test_exercises_common.py) already feeds every question its own wrong answers;
these tests name specific slips, check the reason a learner reads, and accept the legitimate
variants (rounding, another quantile method, KS on points, a 'calibration' synonym).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression

from lendlab import metrics
from lendlab.course.exercises import week02 as ex
from lendlab.course.scenarios import week02 as scenario

NOTEBOOK = Path(__file__).resolve().parents[2] / "solutions" / "week02_ranking_vs_calibration.ipynb"


@pytest.fixture(scope="module")
def ctx():
    context = scenario.build_context(seed=11, n=6_000)
    ex.bind(**context)
    yield context
    ex._week.unbind()


pytestmark = pytest.mark.usefixtures("not_strict")


def verdict(question, answer) -> tuple[str, str]:
    result = question.evaluate(answer)
    return result.status, result.line


def test_q1_gini_variants_and_slips(ctx):
    test = ctx["test"]
    y = test["defaulted"]
    gini = metrics.gini(y, test["pd_champion"])
    auc = metrics.roc_auc(y, test["pd_champion"])
    assert verdict(ex.q1, round(gini, 3))[0] == "correct"
    assert verdict(ex.q1, 2 * round(auc, 3) - 1)[0] == "correct"  # from a printed AUC
    assert (
        verdict(ex.q1, metrics.gini(y, test["score_champion"], higher_is_riskier=False))[0]
        == "correct"
    )
    status, line = verdict(ex.q1, metrics.gini(y, test["score_champion"]))  # points, no flip
    assert status == "incorrect" and "wrong sign" in line
    status, line = verdict(ex.q1, 100 * gini)  # quoted in percent, as credit teams say it
    assert status == "incorrect" and "percent" in line
    assert verdict(ex.q1, auc)[0] == "incorrect"


def test_q2_ks_is_the_largest_gap_not_the_gap_at_the_cutoff(ctx):
    test = ctx["test"]
    y = test["defaulted"].to_numpy()
    pd_ = test["pd_champion"].to_numpy()
    ks = stats.ks_2samp(pd_[y == 1], pd_[y == 0]).statistic
    assert verdict(ex.q2, float(ks))[0] == "correct"
    # KS on the points score is the same number (direction does not matter)
    assert verdict(ex.q2, metrics.ks_statistic(y, test["score_champion"]))[0] == "correct"
    declined = pd_ >= ctx["cutoff"]
    gap_at_cutoff = declined[y == 1].mean() - declined[y == 0].mean()
    assert abs(gap_at_cutoff - ks) > 0.002, "fixture: the cutoff must not sit at the KS point"
    status, line = verdict(ex.q2, float(gap_at_cutoff))
    assert status == "incorrect" and "gap at the cutoff" in line


def _base_rate_table(samples, *, good_positive=False):
    rows = []
    for s in samples.values():
        y, p = s["defaulted"], s["pd_champion"]
        pr = metrics.pr_auc(1 - y, 1 - p) if good_positive else metrics.pr_auc(y, p)
        rows.append({"bad_rate": y.mean(), "roc_auc": metrics.roc_auc(y, p), "pr_auc": pr})
    return pd.DataFrame(rows)


def test_q3_table_accepts_rounding_and_names_the_positive_class_slip(ctx):
    samples = ctx["samples"]
    right = _base_rate_table(samples)
    assert verdict(ex.q3, right.round(3))[0] == "correct"
    assert verdict(ex.q3, right.assign(extra=1))[0] == "correct"  # extra columns are fine
    status, line = verdict(ex.q3, _base_rate_table(samples, good_positive=True))
    assert status == "incorrect" and "positive class" in line
    status, line = verdict(ex.q3, right.iloc[::-1].reset_index(drop=True))  # wrong order
    assert status == "incorrect" and "differs" in line
    status, line = verdict(ex.q3, right.drop(columns="bad_rate"))
    assert status == "incorrect" and "bad_rate" in line
    # the point of the question: PR-AUC grows with the bad rate, ROC-AUC does not track it
    assert right["pr_auc"].is_monotonic_increasing
    assert right["roc_auc"].max() - right["roc_auc"].min() < right["pr_auc"].iloc[-1] / 2


def test_q4_ece_is_about_the_challenger_and_unsigned(ctx):
    test = ctx["test"]
    y = test["defaulted"]
    ece = metrics.expected_calibration_error(y, test["pd_challenger"])
    assert verdict(ex.q4, round(ece, 3))[0] == "correct"
    assert verdict(ex.q4, metrics.expected_calibration_error(y, test["pd_champion"]))[0] == (
        "incorrect"
    )
    signed = float(test["pd_challenger"].mean() - y.mean())  # mean PD minus bad rate
    assert signed < 0, "the challenger's PDs run low"
    assert verdict(ex.q4, signed)[0] == "incorrect"
    assert verdict(ex.q4, metrics.brier_score(y, test["pd_challenger"]))[0] == "incorrect"


def test_q5_bad_rate_among_approved_not_over_all_loans(ctx):
    test, cutoff = ctx["test"], ctx["cutoff"]
    approval = metrics.approval_rate(test["pd_challenger"], cutoff=cutoff)
    bad = metrics.bad_rate_among_approved(test["defaulted"], test["pd_challenger"], cutoff=cutoff)
    assert verdict(ex.q5, [round(approval, 3), round(bad, 3)])[0] == "correct"
    status, line = verdict(ex.q5, (approval, float(test["defaulted"].mean())))
    assert status == "incorrect" and "among the approved" in line
    champion = (
        metrics.approval_rate(test["pd_champion"], cutoff=cutoff),
        metrics.bad_rate_among_approved(test["defaulted"], test["pd_champion"], cutoff=cutoff),
    )
    status, line = verdict(ex.q5, champion)
    assert status == "incorrect" and "champion" in line
    status, line = verdict(ex.q5, (100 * approval, 100 * bad))
    assert status == "incorrect" and "percent" in line
    status, line = verdict(ex.q5, (approval, bad, 0.0))
    assert status == "incorrect" and "two numbers" in line


def test_q6_any_cutoff_that_matches_the_approval_rate(ctx):
    test, cutoff = ctx["test"], ctx["cutoff"]
    target = metrics.approval_rate(test["pd_champion"], cutoff=cutoff)
    for method in ("linear", "lower", "higher", "nearest"):
        answer = float(np.quantile(test["pd_challenger"], target, method=method))
        assert verdict(ex.q6, answer)[0] == "correct", method
    status, line = verdict(ex.q6, float(cutoff))  # keeping the champion's cutoff
    assert status == "incorrect" and "approves more" in line
    status, line = verdict(ex.q6, float(np.quantile(test["pd_challenger"], 1 - target)))
    assert status == "incorrect" and "approves fewer" in line
    status, line = verdict(ex.q6, 100 * float(np.quantile(test["pd_challenger"], target)))
    assert status == "incorrect" and "between 0 and 1" in line


def _platt(ctx, *, C=1.0, fit_on="calibrate", use_logit=True):
    fit_frame, test = ctx[fit_on], ctx["test"]

    def inputs(frame):
        p = frame["pd_challenger"].to_numpy()
        return (scenario.logit(p) if use_logit else p).reshape(-1, 1)

    model = LogisticRegression(C=C).fit(inputs(fit_frame), fit_frame["defaulted"])
    return model.predict_proba(inputs(test))[:, 1]


def test_q7_platt_variants_pass_and_the_raw_challenger_fails(ctx):
    cutoff = ctx["cutoff"]
    assert verdict(ex.q7, metrics.approval_rate(_platt(ctx), cutoff=cutoff))[0] == "correct"
    unregularised = metrics.approval_rate(_platt(ctx, C=1e6), cutoff=cutoff)
    assert verdict(ex.q7, unregularised)[0] == "correct"
    raw = metrics.approval_rate(ctx["test"]["pd_challenger"], cutoff=cutoff)
    status, line = verdict(ex.q7, raw)
    assert status == "incorrect" and "before recalibration" in line
    status, line = verdict(ex.q7, 100 * metrics.approval_rate(_platt(ctx), cutoff=cutoff))
    assert status == "incorrect" and "percent" in line


def test_q7_recalibration_keeps_the_ranking(ctx):
    test = ctx["test"]
    before = metrics.roc_auc(test["defaulted"], test["pd_challenger"])
    after = metrics.roc_auc(test["defaulted"], _platt(ctx))
    assert after == pytest.approx(before, abs=1e-12)


def test_q8_names_the_replay_and_accepts_synonyms(ctx):
    right = ex.q8.expected(ctx)
    assert right == {
        "challenger_promotion": "threshold",
        "bureau_join": "model",
        "prior_offset": "threshold",
    }
    shouted = {k: v.upper() for k, v in right.items()}
    assert verdict(ex.q8, shouted)[0] == "correct"
    synonym = {**right, "prior_offset": "calibration"}
    assert verdict(ex.q8, synonym)[0] == "correct"
    status, line = verdict(ex.q8, {**right, "challenger_promotion": "model"})
    assert status == "incorrect" and "challenger_promotion" in line
    status, line = verdict(ex.q8, {k: right[k] for k in ("bureau_join", "prior_offset")})
    assert status == "incorrect" and "missing 'challenger_promotion'" in line
    status, line = verdict(ex.q8, {**right, "bureau_join": "rollback"})
    assert status == "incorrect" and "not one of the options" in line


def test_prior_offset_replay_keeps_auc_and_moves_approvals(ctx):
    r = ctx["replays"]["prior_offset"]
    y = r["defaulted"]
    assert metrics.roc_auc(y, r["pd_after"]) == pytest.approx(metrics.roc_auc(y, r["pd_before"]))
    cut = ctx["cutoff"]
    assert metrics.approval_rate(r["pd_after"], cutoff=cut) > metrics.approval_rate(
        r["pd_before"], cutoff=cut
    )


def test_the_story_holds_at_a_realistic_size():
    """The lab's narrative (better ranking, low PDs, approval jump) on another seed."""
    c = scenario.build_context(seed=2033, n=40_000)
    test, cut = c["test"], c["cutoff"]
    y = test["defaulted"]
    auc_champion = metrics.roc_auc(y, test["pd_champion"])
    auc_challenger = metrics.roc_auc(y, test["pd_challenger"])
    assert auc_challenger > auc_champion + 0.01, "the challenger must rank better"
    assert test["pd_challenger"].mean() < y.mean() - 0.01, "its PDs must run low"
    assert abs(test["pd_champion"].mean() - y.mean()) < 0.01, "the champion is calibrated"
    jump = metrics.approval_rate(test["pd_challenger"], cutoff=cut) - metrics.approval_rate(
        test["pd_champion"], cutoff=cut
    )
    assert jump > 0.04, "the approval rate must jump at the unchanged cutoff"
    assert ex.q8.expected(c) == {
        "challenger_promotion": "threshold",
        "bureau_join": "model",
        "prior_offset": "threshold",
    }


def test_module_constants_match_the_notebook():
    if not NOTEBOOK.exists():
        pytest.skip("solutions notebook not present")
    source = "\n".join(
        "".join(cell["source"])
        for cell in json.loads(NOTEBOOK.read_text())["cells"]
        if cell["cell_type"] == "code"
    )
    assert f"cutoff = {scenario.CUTOFF}" in source
    assert f'labels_as_of = "{scenario.LABELS_AS_OF}"' in source
    assert f"- {abs(scenario.PRIOR_OFFSET)})" in source
    assert "for rate in (0.05, 0.10, 0.20)" in source and scenario.TARGET_BAD_RATES == (
        0.05,
        0.1,
        0.2,
    )
    assert 'if f not in ("term_months", "loan_amount")' in source
    assert "term_months" not in scenario.CHAMPION_FEATURES
    assert "loan_amount" not in scenario.CHAMPION_FEATURES
