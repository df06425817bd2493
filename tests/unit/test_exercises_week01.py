"""Week 1 checks: each question rejects the slips a learner is likely to make, with a reason.

The common test (``test_exercises_common.py``) already feeds every ``wrong_answers`` entry;
here each plausible mistake is built by hand, the way a learner would make it, and the
message must name the slip without revealing the answer. Expected answers are also
recomputed independently (plain numpy / scikit-learn) so a bug in the week module cannot
hide behind a bug in :mod:`lendlab.metrics`.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import precision_score, recall_score, roc_auc_score

from lendlab import drift, response, world
from lendlab.course.exercises import week01 as ex
from lendlab.course.scenarios import week01 as scenario

pytestmark = pytest.mark.usefixtures("not_strict")

NOTEBOOK = Path(__file__).resolve().parents[2] / "solutions" / "week01_classification_metrics.ipynb"


@pytest.fixture(scope="module")
def ctx():
    return scenario.build_context(seed=11, n=20_000)


@pytest.fixture
def bound(ctx, bind_week):
    return bind_week(ex, ctx)


def verdict(question, answer):
    result = question.evaluate(answer)
    return result.status, result.line


def assert_incorrect(question, answer, *fragments):
    status, line = verdict(question, answer)
    assert status == "incorrect", line
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    return line


def y_pd(ctx):
    bt = ctx["backtest"]
    return bt["defaulted"].to_numpy(), bt["pd"].to_numpy()


# --------------------------------------------------------------------------- Part 1


def test_q1_observed_rate_accepts_rounding_and_rejects_truth_and_denominators(bound):
    book, view = bound["book"], bound["view"]
    right = view["bad_so_far"].sum() / len(view)
    assert verdict(ex.q1, round(float(right), 3))[0] == "correct"
    assert_incorrect(ex.q1, float(book.loc[view.index, "defaulted"].mean()), "lifetime")
    assert_incorrect(ex.q1, float(book["defaulted"].mean()), "every application")
    assert_incorrect(ex.q1, float(view["bad_so_far"].sum() / len(book)), "all applications")
    assert_incorrect(ex.q1, 100 * float(right), "percent")


def test_q1_censoring_is_real_in_the_world(bound):
    # the lab's point: the lender's rate sits well below the lifetime rate of the same loans
    book, view = bound["book"], bound["view"]
    assert ex.q1.expected(bound) < 0.6 * book.loc[view.index, "defaulted"].mean()


def test_q2_visible_share(bound):
    book, view = bound["book"], bound["view"]
    right = view["bad_so_far"].sum() / book.loc[view.index, "defaulted"].sum()
    assert 0 < right < 1
    assert verdict(ex.q2, float(right))[0] == "correct"
    assert_incorrect(
        ex.q2, float(view["bad_so_far"].sum() / book["defaulted"].sum()), "declined ones included"
    )
    assert_incorrect(ex.q2, float(view["bad_so_far"].mean()), "observed bad rate")
    assert_incorrect(ex.q2, 1 - float(right), "complement")


# --------------------------------------------------------------------------- Part 2


def test_q3_q4_counts_match_a_hand_count(bound):
    y, p = y_pd(bound)
    approved = p < bound["cutoff"]
    assert ex.q3.expected(bound) == int((approved & (y == 1)).sum())
    assert ex.q4.expected(bound) == int((~approved & (y == 0)).sum())
    assert verdict(ex.q3, float(ex.q3.expected(bound)))[0] == "correct"  # 3354.0 is fine


def test_q3_rejects_old_cutoff_and_the_other_cells(bound):
    y, p = y_pd(bound)
    old = p < bound["old_cutoff"]
    now = p < bound["cutoff"]
    assert_incorrect(ex.q3, int((old & (y == 1)).sum()), "old cutoff")
    assert_incorrect(ex.q3, int((~now & (y == 1)).sum()), "declined")
    assert_incorrect(ex.q3, int((y == 1).sum()), "every bad")
    assert_incorrect(ex.q3, ex.q3.expected(bound) + 1, "too high")


def test_q4_rejects_declined_bads_and_all_declines(bound):
    y, p = y_pd(bound)
    declined = p >= bound["cutoff"]
    assert_incorrect(ex.q4, int((declined & (y == 1)).sum()), "did default")
    assert_incorrect(ex.q4, int(declined.sum()), "every declined application")
    assert_incorrect(ex.q4, int((~declined & (y == 0)).sum()), "approved loans that repaid")


def test_q5_matches_sklearn_and_names_swaps(bound):
    y, p = y_pd(bound)
    declined = (p >= bound["cutoff"]).astype(int)
    prec, rec = precision_score(y, declined), recall_score(y, declined)
    assert verdict(ex.q5, (prec, rec))[0] == "correct"
    assert verdict(ex.q5, [round(prec, 3), round(rec, 3)])[0] == "correct"
    assert_incorrect(ex.q5, (rec, prec), "swapped")
    # "precision" of approvals: the share of approved loans that repaid
    approved = declined == 0
    assert_incorrect(ex.q5, (float((y[approved] == 0).mean()), rec), "precision of approvals")
    assert_incorrect(ex.q5, (prec,), "got 1 value")
    assert_incorrect(ex.q5, "0.4, 0.4", "as a tuple")


def test_q6_rates_and_their_denominators(bound):
    y, p = y_pd(bound)
    approved = p < bound["cutoff"]
    approval, bad = approved.mean(), y[approved].mean()
    assert verdict(ex.q6, (approval, bad))[0] == "correct"
    assert verdict(ex.q6, (round(approval, 3), round(bad, 3)))[0] == "correct"
    assert_incorrect(ex.q6, (approval, y.mean()), "every back-test application")
    assert_incorrect(ex.q6, (approval, (approved & (y == 1)).sum() / len(y)), "divided")
    assert_incorrect(ex.q6, (1 - approval, bad), "complement")
    assert_incorrect(ex.q6, (100 * approval, 100 * bad), "percent")
    book = bound["book"]
    n_2025 = int((book["applied_at"] >= pd.Timestamp(bound["split"], tz="UTC")).sum())
    assert_incorrect(ex.q6, (approved.sum() / n_2025, bad), "knock-out")


def test_q1_q2_reject_the_knockout_pass_view(bound):
    # the first edition's population: every knock-out pass, scorecard declines included
    book = bound["book"]
    knockout = world.observed(book, bound["as_of"])
    assert len(knockout) > len(bound["view"])
    assert_incorrect(ex.q1, float(knockout["bad_so_far"].mean()), "knock-out", "approved=booked")
    share = knockout["bad_so_far"].sum() / book.loc[knockout.index, "defaulted"].sum()
    assert_incorrect(ex.q2, float(share), "knock-out pass")


def test_q3_rejects_goods_rates_and_seen_so_far(bound):
    y, p = y_pd(bound)
    approved = p < bound["cutoff"]
    assert_incorrect(ex.q3, int((approved & (y == 0)).sum()), "repaid")  # goods, not bads
    assert_incorrect(ex.q3, float(y[approved].mean()), "a rate")  # a rate, not a count
    view = bound["view"]
    seen = int(
        view.loc[view["applied_at"] >= pd.Timestamp(bound["split"], tz="UTC"), "bad_so_far"].sum()
    )
    assert_incorrect(ex.q3, seen, "seen so far")


def test_q5_rejects_the_false_decline_rate_as_recall(bound):
    y, p = y_pd(bound)
    declined = p >= bound["cutoff"]
    prec = (y[declined] == 1).mean()
    false_decline = declined[y == 0].mean()
    assert_incorrect(ex.q5, (prec, false_decline), "false-decline rate")


def test_q6_rejects_the_censored_bad_rate_of_2025_bookings(bound):
    y, p = y_pd(bound)
    approval = (p < bound["cutoff"]).mean()
    view = bound["view"]
    seen = view.loc[view["applied_at"] >= pd.Timestamp(bound["split"], tz="UTC"), "bad_so_far"]
    assert_incorrect(ex.q6, (approval, float(seen.mean())), "seen so far", "lifetime")


# --------------------------------------------------------------------------- Part 3


def _profit_by_hand(ctx, cutoff, *, by_amount=True):
    y, p = y_pd(ctx)
    amount = ctx["backtest"]["loan_amount"].to_numpy() if by_amount else np.ones_like(p)
    approved = p < cutoff
    good, bad = approved & (y == 0), approved & (y == 1)
    return ctx["margin"] * amount[good].sum() - ctx["lgd"] * amount[bad].sum()


def test_q7_best_cutoff_matches_a_naive_loop(bound):
    profits = [_profit_by_hand(bound, c) for c in bound["cutoffs"]]
    best = bound["cutoffs"][int(np.argmax(profits))]
    assert ex.q7.expected(bound) == pytest.approx(best)
    assert verdict(ex.q7, best)[0] == "correct"


def test_q7_rejects_most_approvals_lowest_bad_rate_and_production(bound):
    cutoffs = bound["cutoffs"]
    assert_incorrect(ex.q7, max(cutoffs), "approves the most loans")
    assert_incorrect(ex.q7, min(cutoffs), "lowest bad rate")
    if bound["cutoff"] != ex.q7.expected(bound):
        assert_incorrect(ex.q7, bound["cutoff"], "in production")
    counted = [_profit_by_hand(bound, c, by_amount=False) for c in cutoffs]
    by_count = cutoffs[int(np.argmax(counted))]
    if not np.isclose(by_count, ex.q7.expected(bound)):
        assert_incorrect(ex.q7, by_count, "loan_amount")


def test_q7_rejects_the_row_label_and_the_break_even_formula(bound):
    table = ex._table(bound)
    best_row = int(table["profit"].idxmax())
    assert_incorrect(ex.q7, float(best_row), "row label")
    if not np.isclose(ex.q7.expected(bound), 0.20):
        assert_incorrect(ex.q7, 0.20, "break-even")


def test_q8_moves_follow_the_data_and_feedback_never_counts_or_names_moves(bound):
    expected = ex.q8.expected(bound)
    old, new = bound["old_cutoff"], bound["cutoff"]
    assert expected[2] == (
        "up" if _profit_by_hand(bound, new) > _profit_by_hand(bound, old) else "down"
    )
    assert verdict(ex.q8, [m.upper() for m in expected])[0] == "correct"
    lines = set()
    for combo in ex.q8.wrong_answers(bound):
        line = assert_incorrect(ex.q8, combo, "not all three moves")
        reason = line.split("Incorrect: ", 1)[1].split(". Try ", 1)[0]
        assert not any(ch.isdigit() for ch in reason), line  # no "1 of 3"
        for name in ("approval rate is", "bad rate is", "profit is", "first", "second", "third"):
            assert name not in line, line
        lines.add(line)
    assert len(lines) == 1  # one message for every wrong combination: nothing to bisect on
    assert_incorrect(ex.q8, expected[:2], "three")
    assert_incorrect(ex.q8, ("higher", "up", "down"), "not one of the options")


# --------------------------------------------------------------------------- Part 4: Monday


def _since(ctx):
    bt = ctx["backtest"]
    return bt[bt["applied_at"] >= pd.Timestamp(ctx["change"], tz="UTC")]


def test_q9_psi_of_scored_applications_and_the_truncated_booked_slip(bound):
    since = _since(bound)
    right = drift.psi(bound["valid"]["pd"], since["pd"])
    assert right < drift.PSI_MODERATE  # a cutoff change leaves the scores alone
    assert verdict(ex.q9, round(right, 4))[0] == "correct"
    view = bound["view"]
    booked = view.loc[view["applied_at"] >= pd.Timestamp(bound["change"], tz="UTC"), "pd"]
    truncated = drift.psi(bound["valid"]["pd"], booked)
    assert truncated > drift.PSI_SIGNIFICANT
    assert_incorrect(ex.q9, truncated, "booked loans", "cut off")
    swapped = drift.psi(since["pd"], bound["valid"]["pd"])
    if abs(swapped - right) > ex.RATE_TOL:
        assert_incorrect(ex.q9, swapped, "swapped")
    assert_incorrect(ex.q9, 100 * right, "percent")


def test_q10_expected_loss_rise_in_dollars_and_its_slips(bound):
    y, p = y_pd(bound)
    amount = bound["backtest"]["loan_amount"].to_numpy()

    def el(cut):
        return float((p * bound["lgd"] * amount)[p < cut].sum())

    def realized(cut):
        return float((bound["lgd"] * amount)[(p < cut) & (y == 1)].sum())

    right = el(bound["cutoff"]) - el(bound["old_cutoff"])
    assert right > 0
    assert verdict(ex.q10, right)[0] == "correct"
    assert verdict(ex.q10, round(right, -3))[0] == "correct"  # to the nearest thousand
    assert_incorrect(ex.q10, realized(bound["cutoff"]) - realized(bound["old_cutoff"]), "realised")
    assert_incorrect(ex.q10, right / 1e6, "millions")
    assert_incorrect(ex.q10, -right, "sign")
    assert_incorrect(ex.q10, el(bound["cutoff"]), "whole expected loss")
    counted = float(p[(p < bound["cutoff"]) & (p >= bound["old_cutoff"])].sum() * bound["lgd"])
    assert_incorrect(ex.q10, counted, "loan_amount")


def _early_by_hand(ctx):
    view, book = ctx["view"], ctx["book"]
    aged = view[view["months_on_book"] >= 3]
    late = (book.loc[aged.index, "months_to_dpd30"] <= 3).to_numpy()
    before = (aged["applied_at"] < pd.Timestamp(ctx["change"], tz="UTC")).to_numpy()
    return aged, late, before


def test_q11_equal_months_on_book_and_the_censoring_slips(bound):
    aged, late, before = _early_by_hand(bound)
    right = (late[before].mean(), late[~before].mean())
    assert verdict(ex.q11, right)[0] == "correct"
    assert verdict(ex.q11, tuple(round(r, 3) for r in right))[0] == "correct"
    view = bound["view"]
    old = view["applied_at"] < pd.Timestamp(bound["change"], tz="UTC")
    # "ever 30+ so far" over every loan: censoring makes the new bookings look better
    so_far = (view.loc[old, "ever_dpd30_so_far"].mean(), view.loc[~old, "ever_dpd30_so_far"].mean())
    assert so_far[0] > so_far[1]
    assert_incorrect(ex.q11, so_far, "equal months on book")
    assert_incorrect(ex.q11, (right[0], so_far[1]), "younger than 3 months")
    aged_so_far = aged["ever_dpd30_so_far"].to_numpy()
    assert_incorrect(ex.q11, (right[0], aged_so_far[~before].mean()), "any age")
    charge = aged["bad_so_far"].to_numpy()
    assert_incorrect(ex.q11, (charge[before].mean(), right[1]), "charge-offs")
    assert_incorrect(ex.q11, right[::-1], "swapped")
    assert_incorrect(ex.q11, (100 * right[0], 100 * right[1]), "percent")


def test_q11_the_threshold_signature_like_for_like_flat_band_higher(bound):
    e = scenario.early_delinquency(
        bound["view"], bound["book"], change=bound["change"], old_cutoff=bound["old_cutoff"]
    )
    aged, late, before = _early_by_hand(bound)
    like = ~before & (aged["pd"] < bound["old_cutoff"]).to_numpy()
    assert e["like"] == pytest.approx(late[like].mean())
    assert e["band"] > e["like"]  # the band the change added runs worse


def test_q12_threshold_on_the_lab_data(bound):
    assert ex.q12.expected(bound) == "threshold"
    assert verdict(ex.q12, " Threshold")[0] == "correct"
    assert_incorrect(ex.q12, "model", "AUC_DROP_RULE")
    assert_incorrect(ex.q12, "data", "inputs")
    assert_incorrect(ex.q12, "world", "like-for-like")
    assert_incorrect(ex.q12, "calibration", "not one of the options")


def test_q12_uses_the_one_taxonomy_and_its_auc_rule(bound):
    assert set(ex.q12.wrong_answers(bound)) | {"threshold"} == set(response.TRIAGE_CLASSES)
    v, bt = bound["valid"], bound["backtest"]
    drop = roc_auc_score(v["defaulted"], v["pd"]) - roc_auc_score(bt["defaulted"], bt["pd"])
    assert drop <= response.AUC_DROP_RULE  # else the lab's story would be wrong on this seed
    # scramble the ranking of the back-test: now the model, not the threshold, broke
    rng = np.random.default_rng(0)
    broken = dict(bound, backtest=bt.assign(pd=rng.permutation(bt["pd"].to_numpy())))
    assert ex.q12.expected(broken) == "model"


def test_q12_world_when_like_for_like_delinquency_rises(bound):
    # make the new bookings the old cutoff would also approve go late: repayment changed
    book = bound["book"].copy()
    view = bound["view"]
    since = view.index[(view["applied_at"] >= pd.Timestamp(bound["change"], tz="UTC"))]
    book.loc[since, "months_to_dpd30"] = 1.0
    assert ex.q12.expected(dict(bound, book=book)) == "world"


def test_q12_data_when_the_scores_shift(bound):
    bt = bound["backtest"]
    shifted = bt.assign(pd=np.clip(bt["pd"] * 2.5, 0, 1))  # a broken feed moves every score
    assert ex.q12.expected(dict(bound, backtest=shifted)) == "data"


def _approved(apps, cut):
    return (apps["approved_policy"] & (apps["pd"] < cut)).to_numpy()


def _air_by_hand(approved, w):
    return ((approved * w).sum() / w.sum()) / ((approved * (1 - w)).sum() / (1 - w).sum())


def test_q13_proxy_weighted_air_of_the_whole_decision_and_its_slips(bound):
    apps, bt = bound["apps_2025"], bound["backtest"]
    w = apps["protected_proxy"].to_numpy()
    cuts = (bound["old_cutoff"], bound["cutoff"])
    right = tuple(_air_by_hand(_approved(apps, c), w) for c in cuts)
    assert verdict(ex.q13, right)[0] == "correct"
    assert verdict(ex.q13, tuple(round(r, 3) for r in right))[0] == "correct"
    wb = bt["protected_proxy"].to_numpy()
    stage = tuple(_air_by_hand((bt["pd"] < c).to_numpy(), wb) for c in cuts)
    assert_incorrect(ex.q13, stage, "whole decision")
    truth = apps["protected_group"].astype(str).to_numpy() == "protected"
    true_air = tuple(
        _approved(apps, c)[truth].mean() / _approved(apps, c)[~truth].mean() for c in cuts
    )
    assert_incorrect(ex.q13, true_air, "protected_group")
    hard = w >= 0.5
    hard_air = tuple(
        _approved(apps, c)[hard].mean() / _approved(apps, c)[~hard].mean() for c in cuts
    )
    assert_incorrect(ex.q13, hard_air, "cut the proxy")
    assert_incorrect(ex.q13, tuple(1 / r for r in right), "reference group's rate over")
    assert_incorrect(ex.q13, right[::-1], "swapped")


def test_ties_at_the_cutoff_catch_the_wrong_direction(ctx, bind_week):
    # PDs stored to the cent put applications exactly at 0.30: pd <= cutoff approves them
    bt = ctx["backtest"].assign(pd=ctx["backtest"]["pd"].round(2))
    tied = dict(ctx, backtest=bt)
    bind_week(ex, tied)
    y, p = bt["defaulted"].to_numpy(), bt["pd"].to_numpy()
    at = p == tied["cutoff"]
    assert at.any()
    inclusive = p <= tied["cutoff"]
    assert_incorrect(ex.q3, int((inclusive & (y == 1)).sum()), "pd < cutoff")
    assert_incorrect(ex.q4, int((~inclusive & (y == 0)).sum()), "pd < cutoff")
    strict = p < tied["cutoff"]
    assert_incorrect(ex.q6, (inclusive.mean(), y[strict].mean()), "pd < cutoff")


def test_hint_two_names_the_step_and_never_pastes_the_solution():
    for q in ex._week.questions:
        hint = q.hints[1].replace("'", '"')
        for line in q.solution_code.splitlines():
            rhs = line.split("=", 1)[-1].strip() if "=" in line else line.strip()
            if len(rhs) >= 25:
                assert rhs not in hint, f"{q.label} hint 2 pastes {rhs!r}"


def test_lender_view_holds_booked_loans_only(bound):
    book, view = bound["book"], bound["view"]
    booked = scenario.booked_mask(
        book, change=bound["change"], cutoff=bound["cutoff"], old_cutoff=bound["old_cutoff"]
    )
    assert set(view.index) == set(book.index[booked & (book["applied_at"] <= bound["as_of"])])
    assert (view["pd"] < bound["cutoff"]).all()
    early = view["applied_at"] < pd.Timestamp(bound["change"], tz="UTC")
    assert (view.loc[early, "pd"] < bound["old_cutoff"]).all()
    assert len(view) < len(world.observed(book, bound["as_of"]))  # fewer than knock-out passes


# --------------------------------------------------------------------------- the context


def test_build_context_is_deterministic_and_answers_depend_on_the_seed():
    a = scenario.build_context(seed=5, n=6_000)
    b = scenario.build_context(seed=5, n=6_000)
    c = scenario.build_context(seed=6, n=6_000)
    pd.testing.assert_frame_equal(a["backtest"], b["backtest"])
    answers = [ex.q1.expected(x) for x in (a, b, c)]
    assert answers[0] == answers[1] != answers[2]


def _setup_constants() -> dict:
    """The constants the solution notebook's setup cell assigns (read without running it)."""
    nb = json.loads(NOTEBOOK.read_text())
    wanted = {
        "START",
        "DAYS",
        "AS_OF",
        "SPLIT",
        "CHANGE",
        "PRODUCTION_CUTOFF",
        "OLD_CUTOFF",
        "LGD",
        "MARGIN",
        "CUTOFFS",
    }
    found: dict = {}
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        for node in ast.parse("".join(cell["source"])).body:
            if not isinstance(node, ast.Assign):
                continue
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            names += [
                e.id
                for t in node.targets
                if isinstance(t, ast.Tuple)
                for e in t.elts
                if isinstance(e, ast.Name)
            ]
            if set(names) & wanted:
                values = eval(compile(ast.Expression(node.value), "setup", "eval"), {"np": np})
                values = values if len(names) > 1 else (values,)
                found.update(zip(names, values, strict=True))
    return found


@pytest.mark.skipif(not NOTEBOOK.exists(), reason="solution notebook not written yet")
def test_notebook_settings_match_build_context():
    # build_context must rebuild the lab's data: same calendar, cutoffs and cost table
    nb = _setup_constants()
    s = scenario.SETTINGS
    assert (nb["START"], nb["DAYS"], nb["AS_OF"], nb["SPLIT"], nb["CHANGE"]) == (
        s["start"],
        s["days"],
        s["as_of"],
        s["split"],
        s["change"],
    )
    assert (nb["PRODUCTION_CUTOFF"], nb["OLD_CUTOFF"], nb["LGD"], nb["MARGIN"]) == (
        s["cutoff"],
        s["old_cutoff"],
        s["lgd"],
        s["margin"],
    )
    np.testing.assert_array_equal(nb["CUTOFFS"], s["cutoffs"])
