"""Week 2 (ranking vs calibration): the checks reject the mistakes learners actually make.

The common test (test_exercises_common.py) already feeds every question its own wrong answers;
these tests name specific slips, check the reason a learner reads, and accept the legitimate
variants (rounding, another quantile method, KS on points, an unregularised Platt fit, a
'calibration' synonym).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from lendlab import metrics, response
from lendlab.course.exercises import week02 as ex
from lendlab.course.scenarios import week02 as scenario

NOTEBOOK = Path(__file__).resolve().parents[2] / "solutions" / "week02_ranking_vs_calibration.ipynb"


@pytest.fixture(scope="module")
def ctx():
    context = scenario.build_context(seed=11, n=20_000)
    ex.bind(**context)
    yield context
    ex._week.unbind()


pytestmark = pytest.mark.usefixtures("not_strict")


def verdict(question, answer) -> tuple[str, str]:
    result = question.evaluate(answer)
    return result.status, result.line


def assert_slip(question, answer, *words):
    status, line = verdict(question, answer)
    assert status == "incorrect", line
    for word in words:
        assert word in line, line


# --------------------------------------------------------------------------- the world


def test_back_test_is_out_of_time_and_matured(ctx):
    test, calibrate, develop = ctx["test"], ctx["calibrate"], ctx["develop"]
    years = set(test["applied_at"].dt.year) | set(calibrate["applied_at"].dt.year)
    assert years == {scenario.BACKTEST_VINTAGE}
    assert set(develop["applied_at"].dt.year) == {2025}
    # out-of-time: the back-test ends before the challenger's training loans begin
    assert test["applied_at"].max() < develop["applied_at"].min()
    # every back-test loan is past the end of the longest term (60 months): labels are final
    assert test["months_on_book"].min() > 60
    assert (test["defaulted"] == test["bad_so_far"]).all()
    # the challenger's training labels are censored: 24-36 months on book
    assert develop["months_on_book"].between(23, 36).all()
    # the lender's view: no truth columns in what the learner gets
    assert "pd_true" not in test.columns and "protected_group" not in test.columns


def test_the_story_holds_at_a_realistic_size():
    """The lab's narrative (better ranking, low PDs, approval jump) on another seed."""
    c = scenario.build_context(seed=2033, n=60_000)
    test, cut = c["test"], c["cutoff"]
    y = test["defaulted"]
    auc_champion = metrics.roc_auc(y, test["pd_champion"])
    auc_challenger = metrics.roc_auc(y, test["pd_challenger"])
    assert auc_challenger > auc_champion + 0.01, "the challenger must rank better"
    assert test["pd_challenger"].mean() < y.mean() - 0.01, "its PDs must run low"
    assert abs(test["pd_champion"].mean() - y.mean()) < 0.015, "the champion is calibrated"
    # the challenger learned the censored bad rate of its training loans
    develop = c["develop"]
    assert abs(develop["pd_challenger"].mean() - develop["bad_so_far"].mean()) < 0.01
    jump = metrics.approval_rate(test["pd_challenger"], cutoff=cut) - metrics.approval_rate(
        test["pd_champion"], cutoff=cut
    )
    assert jump > 0.04, "the approval rate must jump at the unchanged cutoff"
    assert ex.q8.expected(c) == {
        "challenger_promotion": "threshold",
        "bureau_join": "data",
        "prior_offset": "threshold",
    }


def test_bureau_matches_reconciles_and_validates():
    a = pd.DataFrame({"fico": [700.0, np.nan], "inquiries_6m": [1, 0]})
    assert scenario.bureau_matches(a, a.copy()).tolist() == [True, True]
    assert scenario.bureau_matches(a, a.assign(inquiries_6m=[1, 2])).tolist() == [True, False]
    with pytest.raises(TypeError, match="served must be a pandas DataFrame"):
        scenario.bureau_matches([1, 2], a)
    with pytest.raises(ValueError, match="same applications"):
        scenario.bureau_matches(a, a.iloc[:1])
    with pytest.raises(ValueError, match="no bureau field"):
        scenario.bureau_matches(a[[]], a[[]])


# --------------------------------------------------------------------------- Q1-Q4


def test_q1_gini_variants_and_slips(ctx):
    test = ctx["test"]
    y = test["defaulted"]
    gini = metrics.gini(y, test["pd_champion"])
    auc = metrics.roc_auc(y, test["pd_champion"])
    assert verdict(ex.q1, round(gini, 3))[0] == "correct"
    assert verdict(ex.q1, 2 * round(auc, 3) - 1)[0] == "correct"  # from a printed AUC
    points_gini = metrics.gini(y, test["score_champion"], higher_is_riskier=False)
    assert verdict(ex.q1, points_gini)[0] == "correct"
    assert_slip(ex.q1, metrics.gini(y, test["score_champion"]), "wrong sign")  # points, no flip
    assert_slip(ex.q1, 100 * gini, "percent")  # quoted in percent, as credit teams say it
    assert_slip(ex.q1, auc, "ROC-AUC")  # Gini = AUC
    assert_slip(ex.q1, metrics.roc_auc(y, test["score_champion"]), "higher = safer")
    assert_slip(ex.q1, metrics.ks_statistic(y, test["pd_champion"]), "KS")
    assert_slip(ex.q1, metrics.gini(y, test["pd_challenger"]), "challenger")


def test_q2_ks_is_the_largest_gap_on_the_back_test(ctx):
    test, cal = ctx["test"], ctx["calibrate"]
    y = test["defaulted"].to_numpy()
    pd_ = test["pd_champion"].to_numpy()
    ks = stats.ks_2samp(pd_[y == 1], pd_[y == 0]).statistic
    assert verdict(ex.q2, float(ks))[0] == "correct"
    # KS on the points score is the same number (direction does not matter)
    assert verdict(ex.q2, metrics.ks_statistic(y, test["score_champion"]))[0] == "correct"
    declined = pd_ >= ctx["cutoff"]
    gap_at_cutoff = declined[y == 1].mean() - declined[y == 0].mean()
    assert abs(gap_at_cutoff - ks) > 0.002, "fixture: the cutoff must not sit at the KS point"
    assert_slip(ex.q2, float(gap_at_cutoff), "gap at the cutoff")
    ks_calibrate = metrics.ks_statistic(cal["defaulted"], cal["pd_champion"])
    assert abs(ks_calibrate - ks) > 0.002, "fixture: the splits must differ"
    assert_slip(ex.q2, ks_calibrate, "calibration split")  # KS on the wrong split
    assert_slip(ex.q2, metrics.ks_statistic(y, test["pd_challenger"]), "challenger")
    assert_slip(ex.q2, metrics.gini(y, pd_), "Gini")
    assert_slip(ex.q2, 100 * ks, "percent")


def _base_rate_table(samples, *, good_positive=False):
    rows = []
    for s in samples.values():
        y, p = s["defaulted"], s["pd_champion"]
        pr = metrics.pr_auc(1 - y, 1 - p) if good_positive else metrics.pr_auc(y, p)
        rows.append({"bad_rate": y.mean(), "roc_auc": metrics.roc_auc(y, p), "pr_auc": pr})
    return pd.DataFrame(rows)


def test_q3_table_accepts_rounding_and_names_the_slips(ctx):
    samples = ctx["samples"]
    right = _base_rate_table(samples)
    assert verdict(ex.q3, right.round(3))[0] == "correct"
    assert verdict(ex.q3, right.assign(extra=1))[0] == "correct"  # extra columns are fine
    assert_slip(ex.q3, _base_rate_table(samples, good_positive=True), "positive class")
    swapped = right.rename(columns={"roc_auc": "pr_auc", "pr_auc": "roc_auc"})
    assert_slip(ex.q3, swapped, "swapped")  # PR-AUC and ROC-AUC swapped
    assert_slip(ex.q3, right.iloc[::-1].reset_index(drop=True), "differs")  # wrong order
    assert_slip(ex.q3, right.drop(columns="bad_rate"), "bad_rate")
    # the point of the question: PR-AUC grows with the bad rate, ROC-AUC does not track it
    assert right["pr_auc"].is_monotonic_increasing
    assert right["roc_auc"].max() - right["roc_auc"].min() < right["pr_auc"].iloc[-1] / 2


def test_q4_ece_names_the_banding_the_sign_and_the_split(ctx):
    test, cal = ctx["test"], ctx["calibrate"]
    y, p = test["defaulted"], test["pd_challenger"]
    ece = metrics.expected_calibration_error(y, p)
    assert verdict(ex.q4, round(ece, 3))[0] == "correct"
    quantile = metrics.expected_calibration_error(y, p, strategy="quantile")
    twenty = metrics.expected_calibration_error(y, p, n_bins=20)
    assert min(abs(quantile - ece), abs(twenty - ece)) > 0.0012, "fixture: bandings must differ"
    assert_slip(ex.q4, quantile, "quantile")  # ECE with the wrong bins
    assert_slip(ex.q4, twenty, "20 bands")
    signed = float(p.mean() - y.mean())  # mean PD minus bad rate
    assert signed < 0, "the challenger's PDs run low"
    assert_slip(ex.q4, signed, "signed gap")
    assert_slip(ex.q4, metrics.brier_score(y, p), "Brier")
    assert_slip(ex.q4, metrics.expected_calibration_error(y, test["pd_champion"]), "champion")
    on_calibrate = metrics.expected_calibration_error(cal["defaulted"], cal["pd_challenger"])
    assert_slip(ex.q4, on_calibrate, "calibration split")


# --------------------------------------------------------------------------- Q5-Q6


def test_q5_bad_rate_among_approved_not_over_all_loans(ctx):
    test, cutoff = ctx["test"], ctx["cutoff"]
    approval = metrics.approval_rate(test["pd_challenger"], cutoff=cutoff)
    bad = metrics.bad_rate_among_approved(test["defaulted"], test["pd_challenger"], cutoff=cutoff)
    assert verdict(ex.q5, [round(approval, 3), round(bad, 3)])[0] == "correct"
    assert_slip(ex.q5, (approval, float(test["defaulted"].mean())), "among the approved")
    champion = (
        metrics.approval_rate(test["pd_champion"], cutoff=cutoff),
        metrics.bad_rate_among_approved(test["defaulted"], test["pd_champion"], cutoff=cutoff),
    )
    assert_slip(ex.q5, champion, "champion")
    assert_slip(ex.q5, (bad, approval), "wrong order")
    declined = ~metrics.approve(test["pd_challenger"], cutoff=cutoff)
    bad_declined = float(test["defaulted"][declined].mean())
    assert_slip(ex.q5, (1 - approval, bad_declined), "declined")
    assert_slip(ex.q5, (approval, bad_declined), "among the declined")
    assert_slip(ex.q5, (100 * approval, 100 * bad), "percent")
    assert_slip(ex.q5, (approval, bad, 0.0), "two numbers")


def test_q6_any_cutoff_that_matches_the_approval_rate(ctx):
    test, cutoff = ctx["test"], ctx["cutoff"]
    target = metrics.approval_rate(test["pd_champion"], cutoff=cutoff)
    for method in ("linear", "lower", "higher", "nearest"):
        answer = float(np.quantile(test["pd_challenger"], target, method=method))
        assert verdict(ex.q6, answer)[0] == "correct", method
    assert_slip(ex.q6, float(cutoff), "approves more")  # keeping the champion's cutoff
    assert_slip(ex.q6, float(np.quantile(test["pd_challenger"], 1 - target)), "approves fewer")
    assert_slip(ex.q6, float(target), "approval rate to match")  # the share, not a PD
    assert_slip(ex.q6, 100 * float(np.quantile(test["pd_challenger"], target)), "between 0 and 1")


# --------------------------------------------------------------------------- Q7 Platt


def _platt(ctx, *, C=1.0, fit_on="calibrate", label="defaulted", raw=False, column=1):
    fit_frame, test = ctx[fit_on], ctx["test"]

    def inputs(frame):
        p = frame["pd_challenger"].to_numpy()
        return (p if raw else scenario.logit(p)).reshape(-1, 1)

    model = LogisticRegression(C=C).fit(inputs(fit_frame), fit_frame[label])
    return model.predict_proba(inputs(test))[:, column]


def test_q7_platt_variants_pass(ctx):
    assert verdict(ex.q7, _platt(ctx))[0] == "correct"
    assert verdict(ex.q7, pd.Series(_platt(ctx)))[0] == "correct"
    assert verdict(ex.q7, _platt(ctx, C=1e6))[0] == "correct"  # unregularised
    assert verdict(ex.q7, list(_platt(ctx)))[0] == "correct"


def test_q7_names_each_platt_slip(ctx):
    test, cal = ctx["test"], ctx["calibrate"]
    right = _platt(ctx)
    on_test = _platt(ctx, fit_on="test")
    assert np.max(np.abs(on_test - right)) > 0.01, "fixture: the splits must differ"
    assert_slip(ex.q7, on_test, "back-test", "calibrate")  # hint 1: never the test split
    assert_slip(ex.q7, _platt(ctx, fit_on="develop", label="bad_so_far"), "develop")
    assert_slip(ex.q7, _platt(ctx, raw=True), "raw PD")  # sigmoid of the PD, not the logit
    fitted = LogisticRegression().fit(
        scenario.logit(cal["pd_challenger"]).reshape(-1, 1), cal["defaulted"]
    )
    applied_to_pd = fitted.predict_proba(test[["pd_challenger"]].to_numpy())[:, 1]
    assert_slip(ex.q7, applied_to_pd, "applied to the raw PDs")
    assert_slip(ex.q7, _platt(ctx, column=0), "column 0")
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1)
    iso_test = iso.fit(test["pd_challenger"], test["defaulted"]).predict(test["pd_challenger"])
    assert_slip(ex.q7, iso_test, "isotonic", "back-test")
    iso_cal = iso.fit(cal["pd_challenger"], cal["defaulted"]).predict(test["pd_challenger"])
    assert_slip(ex.q7, iso_cal, "isotonic recalibration from the cell above")
    assert_slip(ex.q7, test["pd_challenger"], "before recalibration")  # never refitted
    # shapes a learner hands in by mistake
    assert_slip(ex.q7, metrics.approval_rate(right, cutoff=ctx["cutoff"]), "one number")
    two = fitted.predict_proba(scenario.logit(test["pd_challenger"]).reshape(-1, 1))
    assert_slip(ex.q7, two, "two columns")
    assert_slip(ex.q7, right[:-1], "one PD per back-test loan")
    assert_slip(ex.q7, scenario.logit(right), "between 0 and 1")


def test_q7_recalibration_keeps_the_ranking(ctx):
    test = ctx["test"]
    before = metrics.roc_auc(test["defaulted"], test["pd_challenger"])
    after = metrics.roc_auc(test["defaulted"], _platt(ctx))
    assert after == pytest.approx(before, abs=1e-12)


# --------------------------------------------------------------------------- Q8 triage


def test_q8_uses_the_one_taxonomy(ctx):
    assert not hasattr(ex, "TRIAGE_AUC_DROP"), "the AUC-drop rule lives in lendlab.response"
    assert ex.q8.choices == response.TRIAGE_CLASSES
    right = ex.q8.expected(ctx)
    assert right == {
        "challenger_promotion": "threshold",
        "bureau_join": "data",
        "prior_offset": "threshold",
    }
    join = ctx["replays"]["bureau_join"]
    y = join["defaulted"]
    drop = metrics.roc_auc(y, join["pd_before"]) - metrics.roc_auc(y, join["pd_after"])
    assert drop > response.AUC_DROP_RULE, "the broken join breaks the ranking too"


def test_q8_names_the_slip_and_accepts_synonyms(ctx):
    right = ex.q8.expected(ctx)
    assert verdict(ex.q8, {k: v.upper() for k, v in right.items()})[0] == "correct"
    assert verdict(ex.q8, {**right, "prior_offset": "calibration"})[0] == "correct"
    # week 1 taught it: a broken join is a data problem, even though the ranking broke
    assert_slip(ex.q8, {**right, "bureau_join": "model"}, "bureau_join", "'data'")
    assert_slip(ex.q8, {**right, "bureau_join": "threshold"}, "re-pull disagrees")
    assert_slip(ex.q8, {**right, "challenger_promotion": "model"}, "ranking survived")
    assert_slip(ex.q8, {**right, "prior_offset": "world"}, "same loans")
    assert_slip(ex.q8, {**right, "prior_offset": "data"}, "reconciles")
    assert_slip(
        ex.q8, {k: right[k] for k in ("bureau_join", "prior_offset")}, "missing 'challenger_"
    )
    assert_slip(ex.q8, {**right, "bureau_join": "rollback"}, "not one of the options")
    assert_slip(ex.q8, "data", "expected a dict")


def test_prior_offset_replay_keeps_auc_and_moves_approvals(ctx):
    r = ctx["replays"]["prior_offset"]
    y = r["defaulted"]
    assert metrics.roc_auc(y, r["pd_after"]) == pytest.approx(metrics.roc_auc(y, r["pd_before"]))
    cut = ctx["cutoff"]
    assert metrics.approval_rate(r["pd_after"], cutoff=cut) > metrics.approval_rate(
        r["pd_before"], cutoff=cut
    )
    assert r["bureau_matches_repull"].all()
    assert ctx["replays"]["bureau_join"]["bureau_matches_repull"].mean() < 0.5


# --------------------------------------------------------------------------- Q9 AIR


def _rates(test, pd_, cutoff):
    ok = metrics.approve(pd_, cutoff=cutoff).astype(float)
    w = test["protected_proxy"].to_numpy()
    return (w * ok).sum() / w.sum(), ((1 - w) * ok).sum() / (1 - w).sum()


def test_q9_air_variants_and_slips(ctx):
    test, cutoff = ctx["test"], ctx["cutoff"]
    right = ex.q9.expected(ctx)
    protected, reference = _rates(test, test["pd_challenger"], cutoff)
    assert right["challenger"] == pytest.approx(protected / reference)
    assert verdict(ex.q9, {k: round(v, 3) for k, v in right.items()})[0] == "correct"
    assert_slip(ex.q9, {**right, "challenger": reference / protected}, "upside down")
    assert_slip(ex.q9, {**right, "challenger": protected - reference}, "difference")
    assert_slip(ex.q9, {**right, "challenger": (1 - protected) / (1 - reference)}, "decline rates")
    hard = np.where(test["protected_proxy"] >= 0.5, "protected", "reference")
    thresholded = metrics.adverse_impact_ratio(
        metrics.approve(test["pd_champion"], cutoff=cutoff), hard
    )
    assert_slip(ex.q9, {**right, "champion": thresholded}, "protected_proxy >= 0.5")
    target = metrics.approval_rate(test["pd_champion"], cutoff=cutoff)
    matched = float(np.quantile(test["pd_challenger"], target))
    at_matched = metrics.adverse_impact_ratio(
        metrics.approve(test["pd_challenger"], cutoff=matched), weights=test["protected_proxy"]
    )
    assert_slip(ex.q9, {**right, "challenger": at_matched}, "approval-matched")
    swapped = {"champion": right["challenger"], "challenger": right["champion"]}
    assert_slip(ex.q9, swapped, "challenger's AIR")
    assert_slip(ex.q9, {"champion": right["champion"]}, "missing 'challenger'")
    assert_slip(ex.q9, right["champion"], "expected a dict")


# --------------------------------------------------------------------------- notebook


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
    assert f'start="{scenario.HISTORY_START}", days={scenario.HISTORY_DAYS}' in source
    assert f"== {scenario.CHAMPION_VINTAGE}]" in source
    assert f"== {scenario.BACKTEST_VINTAGE}]" in source
    assert f"< {scenario.CALIBRATE_SHARE}" in source
    assert "TRIAGE_AUC_DROP" not in source and "0.02" not in source
    assert "term_months" not in scenario.CHAMPION_FEATURES
    assert "loan_amount" not in scenario.CHAMPION_FEATURES
