"""Week 5 checks: each question rejects the mistakes a learner is likely to make.

The common test (test_exercises_common.py) already feeds every ``wrong_answers`` entry; these
tests name the plausible mistakes one by one, check that the messages point the right way
without revealing the answer, and test the lab's helpers (the tax seasons, the sealed vendor
incident, the big platform, the KS dashboard, the decision rule).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lendlab import drift, world
from lendlab.course.exercises import week05 as ex
from lendlab.course.exercises.checks import ____
from lendlab.course.scenarios import week05 as scenario

SEED, N = 11, 3_000
pytestmark = pytest.mark.usefixtures("not_strict")


@pytest.fixture(scope="module")
def ctx():
    return scenario.build_context(seed=SEED, n=N)


@pytest.fixture
def bound(ctx, bind_week):
    return bind_week(ex, ctx)


def status(question, answer):
    return question.evaluate(answer).status


def line(question, answer):
    return question.evaluate(answer).line


# --------------------------------------------------------------------------- Q1 PSI by hand


def _shares(ctx):
    cuts = [-np.inf, *drift.quantile_edges(ctx["reference"]["loan_amount"]), np.inf]
    e = pd.cut(ctx["reference"]["loan_amount"], cuts).value_counts(normalize=True, sort=False)
    a = pd.cut(ctx["recent"]["loan_amount"], cuts).value_counts(normalize=True, sort=False)
    # a tiny window can leave a bin empty: floor it as drift.psi does
    return e.clip(lower=drift.EPSILON).to_numpy(), a.clip(lower=drift.EPSILON).to_numpy()


def test_q1_the_notebook_formula_on_pd_cut_shares_is_correct(bound):
    e, a = _shares(bound)
    assert status(ex.q1, float(((a - e) * np.log(a / e)).sum())) == "correct"
    assert (
        status(ex.q1, drift.psi(bound["reference"]["loan_amount"], bound["recent"]["loan_amount"]))
        == "correct"
    )


def test_q1_log10_and_one_sided_kl_are_named(bound):
    e, a = _shares(bound)
    assert "natural log" in line(ex.q1, float(((a - e) * np.log10(a / e)).sum()))
    assert "one direction" in line(ex.q1, float((a * np.log(a / e)).sum()))


def _counts(ctx, edges_from="reference"):
    source = ctx["reference"] if edges_from == "reference" else ctx["recent"]
    cuts = [-np.inf, *drift.quantile_edges(source["loan_amount"]), np.inf]
    e = pd.cut(ctx["reference"]["loan_amount"], cuts).value_counts(sort=False).to_numpy()
    a = pd.cut(ctx["recent"]["loan_amount"], cuts).value_counts(sort=False).to_numpy()
    return e.astype(float), a.astype(float)


def test_q1_flipped_log_counts_other_direction_and_current_bins_are_named(bound):
    e, a = _shares(bound)
    assert "changes sign" in line(ex.q1, float(((a - e) * np.log(e / a)).sum()))
    assert "one direction" in line(ex.q1, float((e * np.log(e / a)).sum()))
    ce, ca = _counts(bound)
    assert "counts where shares belong" in line(ex.q1, float(((ca - ce) * np.log(ca / ce)).sum()))
    ce, ca = _counts(bound, edges_from="recent")
    psi_current_bins = drift.psi(
        np.repeat(np.arange(ce.size), ce.astype(int)), np.repeat(np.arange(ca.size), ca.astype(int))
    )
    right = drift.psi(bound["reference"]["loan_amount"], bound["recent"]["loan_amount"])
    e, a = ce / ce.sum(), ca / ca.sum()
    by_hand = float(((a - e) * np.log(np.clip(a, 1e-4, None) / np.clip(e, 1e-4, None))).sum())
    if abs(by_hand - right) > max(5e-5, 1e-3 * right):
        assert "from the reference" in line(ex.q1, by_hand)
    assert psi_current_bins >= 0


def test_q1_rounded_to_four_decimals_is_correct(bound):
    right = drift.psi(bound["reference"]["loan_amount"], bound["recent"]["loan_amount"])
    assert status(ex.q1, round(right, 4)) == "correct"


def test_q1_percent_shares_and_other_binnings_are_rejected(bound):
    e, a = _shares(bound)
    psi = float(((a - e) * np.log(a / e)).sum())
    assert "percent" in line(ex.q1, 100 * psi)
    equal_width = drift.psi(
        bound["reference"]["loan_amount"], bound["recent"]["loan_amount"], binning="equal_width"
    )
    assert status(ex.q1, equal_width) == "incorrect"
    assert (
        status(ex.q1, drift.psi(bound["reference"]["revol_util"], bound["recent"]["revol_util"]))
        == "incorrect"
    )


# --------------------------------------------------------------------------- Q2 noise floor


def _sizes(ctx):
    recent, reference = ctx["recent"], ctx["reference"]
    counts = recent["segment"].value_counts()
    seg = counts[counts > 0].idxmin()
    per_day = scenario.daily_volume(recent)
    n_day = per_day.loc[per_day[seg] > 0, seg].median()
    return int((reference["segment"] == seg).sum()), n_day, per_day.sum(axis=1).median()


def test_q2_formula_is_correct_and_slips_are_named(bound):
    n_ref, n_day, n_all = _sizes(bound)
    right = stats.chi2.ppf(0.99, 9) * (1 / n_ref + 1 / n_day)
    assert status(ex.q2, right) == "correct"
    assert "95th percentile" in line(ex.q2, stats.chi2.ppf(0.95, 9) * (1 / n_ref + 1 / n_day))
    assert "nine degrees of freedom" in line(
        ex.q2, stats.chi2.ppf(0.99, 10) * (1 / n_ref + 1 / n_day)
    )
    assert "whole platform" in line(ex.q2, stats.chi2.ppf(0.99, 9) * (1 / n_ref + 1 / n_all))


def test_q2_smallest_segment_day_is_the_labs_computation(bound):
    n_ref, n_day, _ = _sizes(bound)
    segment, got_ref, got_day = scenario.smallest_segment_day(bound["reference"], bound["recent"])
    assert segment == bound["recent"]["segment"].value_counts().idxmin()
    assert (got_ref, got_day) == (n_ref, n_day)
    assert isinstance(got_day, float)  # a median of an even number of days is a half: kept
    with pytest.raises(TypeError, match="DataFrame"):
        scenario.smallest_segment_day([1, 2], bound["recent"])
    with pytest.raises(ValueError, match="segment"):
        scenario.smallest_segment_day(bound["reference"], bound["recent"].drop(columns="segment"))
    with pytest.raises(ValueError, match="no rows"):
        scenario.smallest_segment_day(bound["reference"], bound["recent"].iloc[:0])


def test_q2_sensible_rounding_is_correct(bound):
    n_ref, n_day, _ = _sizes(bound)
    q99 = stats.chi2.ppf(0.99, 9)
    right = q99 * (1 / n_ref + 1 / n_day)
    for answer in (round(right, 3), round(right, 2), round(right, 4)):
        assert status(ex.q2, answer) == "correct", answer
    # the median day rounded to whole applications (the first edition's int(median))
    for day in (np.floor(n_day), np.ceil(n_day)):
        assert status(ex.q2, q99 * (1 / n_ref + 1 / day)) == "correct"
        assert status(ex.q2, round(q99 * (1 / n_ref + 1 / day), 3)) == "correct"
    assert status(ex.q2, round(right, 1)) == "incorrect" or round(right, 1) == round(right, 2)


def test_q2_more_slips_are_named(bound):
    n_ref, n_day, _ = _sizes(bound)
    reference, recent = bound["reference"], bound["recent"]
    q99 = stats.chi2.ppf(0.99, 9)
    seg = recent["segment"].value_counts().idxmin()
    per_day = scenario.daily_volume(recent)
    assert "1st percentile" in line(ex.q2, stats.chi2.ppf(0.01, 9) * (1 / n_ref + 1 / n_day))
    assert "28 days" in line(ex.q2, q99 * (1 / n_ref + 1 / per_day[seg].sum()))
    assert "average PSI of pure noise" in line(ex.q2, 9 * (1 / n_ref + 1 / n_day))
    assert "folklore" in line(ex.q2, 0.25)
    largest = recent["segment"].value_counts().idxmax()
    n_big = per_day.loc[per_day[largest] > 0, largest].median()
    assert "largest segment" in line(
        ex.q2, q99 * (1 / (reference["segment"] == largest).sum() + 1 / n_big)
    )
    # slips whose effect can be smaller than the rounding the check accepts: named when apart
    for answer, words in (
        (q99 / n_day, "both sample sizes"),
        (q99 * (1 / len(reference) + 1 / n_day), "not the whole reference"),
        (q99 * (1 / n_ref + 1 / per_day.loc[per_day[seg] > 0, seg].mean()), "mean day"),
    ):
        if status(ex.q2, answer) != "correct":
            assert words in line(ex.q2, answer)


def test_q2_folklore_threshold_and_missing_chi_square_are_wrong(bound):
    n_ref, n_day, _ = _sizes(bound)
    assert status(ex.q2, 0.1) == "incorrect"
    assert status(ex.q2, 1 / n_ref + 1 / n_day) == "incorrect"  # forgot the chi-square quantile


# --------------------------------------------------------------------------- Q3 sample size


def _pvalues(ctx):
    a, b = ctx["big_ref"]["revol_util"].to_numpy(), ctx["big_tax"]["revol_util"].to_numpy()
    return {k: drift.ks(a[:k], b[:k]).pvalue for k in scenario.SIZES if k <= len(a)}


def test_q3_smallest_flagged_size_is_correct_as_int_or_float(bound):
    pvalues = _pvalues(bound)
    right = next(k for k, p in pvalues.items() if p < 0.05)
    assert status(ex.q3, right) == "correct"
    assert status(ex.q3, float(right)) == "correct"
    assert status(ex.q3, np.int64(right)) == "correct"


def test_q3_named_slips(bound):
    pvalues = _pvalues(bound)
    right = next(k for k, p in pvalues.items() if p < 0.05)
    largest = max(pvalues)
    if largest != right:
        assert "largest sample" in line(ex.q3, largest)
    assert "not one of the sizes" in line(ex.q3, 3_333)
    below_01 = next((k for k, p in pvalues.items() if p < 0.01), None)
    if below_01 not in (None, right, largest):
        assert "below 0.01" in line(ex.q3, below_01)
    flipped = next((k for k, p in pvalues.items() if p >= 0.05), None)
    if flipped not in (None, right, largest, below_01):
        assert "flipped" in line(ex.q3, flipped)
    assert "p-value" in line(ex.q3, pvalues[right])


def test_q3_feedback_never_says_which_way_to_go(bound):
    """Every wrong size that is no named slip gets the same words: nothing to bisect on."""
    pvalues = _pvalues(bound)
    right = next(k for k, p in pvalues.items() if p < 0.05)
    lines = {k: line(ex.q3, k).lower() for k in pvalues if k != right}
    for text in lines.values():
        for word in ("too big", "too small", "smaller", "bigger", "larger", "too high", "too low"):
            assert word not in text, text
    generic = [t for t in lines.values() if "not the first size" in t]
    assert len(set(generic)) <= 1


def test_q3_the_p_value_is_not_the_answer(bound):
    pvalues = _pvalues(bound)
    assert status(ex.q3, pvalues[max(pvalues)]) == "incorrect"


# --------------------------------------------------------------------------- Q4 seasonal reference


def _red(table):
    return set(table.loc[table["red"], "column"])


def test_q4_set_difference_is_correct_in_any_collection(bound):
    red_q4 = _red(scenario.ks_dashboard(bound["reference"], bound["recent"]))
    red_ly = _red(scenario.ks_dashboard(bound["last_year"], bound["recent"]))
    clears = red_q4 - red_ly
    assert status(ex.q4, clears) == "correct"
    assert status(ex.q4, sorted(clears)) == "correct"
    assert status(ex.q4, {c.upper() for c in clears}) == "correct"


def test_q4_the_whole_red_list_or_what_stays_red_is_wrong(bound):
    red_q4 = _red(scenario.ks_dashboard(bound["reference"], bound["recent"]))
    red_ly = _red(scenario.ks_dashboard(bound["last_year"], bound["recent"]))
    clears = red_q4 - red_ly
    for wrong in (red_q4, red_q4 & red_ly, clears | {"term_months_x"}):
        if wrong != clears:
            assert status(ex.q4, wrong) == "incorrect"


def test_q4_named_slips(bound):
    red_q4 = _red(scenario.ks_dashboard(bound["reference"], bound["recent"]))
    red_ly = _red(scenario.ks_dashboard(bound["last_year"], bound["recent"]))
    clears = red_q4 - red_ly
    if red_q4 != clears:
        assert "every input red" in line(ex.q4, red_q4)
    if red_ly != clears and red_ly != red_q4:
        assert "stays red" in line(ex.q4, red_ly)
    if set(scenario.SEASONAL) not in (clears, red_q4, red_ly, red_q4 & red_ly):
        assert "what you know the season moves" in line(ex.q4, set(scenario.SEASONAL))
    reverse = red_ly - red_q4
    if reverse not in (clears, red_q4, red_ly, red_q4 & red_ly):
        assert "wrong way round" in line(ex.q4, reverse)


# --------------------------------------------------------------------------- Q5-Q7 the incident


def test_q5_any_corrupted_monitored_column_counts(bound):
    touched = [c for c in bound["record"].columns if c in scenario.MONITORED]
    assert touched
    for column in touched:
        assert status(ex.q5, column) == "correct"
        assert status(ex.q5, f" {column} ") == "correct"


def test_q5_seasonal_and_unmonitored_columns_are_explained(bound):
    touched = set(bound["record"].columns)
    if "loan_amount" not in touched:
        assert "tax season" in line(ex.q5, "loan_amount")
    assert "not a monitored column" in line(ex.q5, "channel")
    assert "not a monitored column" in line(ex.q5, "bureau_hit")


def test_q6_window_accepts_strings_dates_and_timestamps(bound):
    record = bound["record"]
    first, last = record.start.date(), (record.end - pd.Timedelta(days=1)).date()
    assert status(ex.q6, (str(first), str(last))) == "correct"
    assert status(ex.q6, [first, last]) == "correct"
    assert status(ex.q6, (pd.Timestamp(first, tz="UTC"), pd.Timestamp(last))) == "correct"


def test_q6_exclusive_end_swapped_days_and_one_date_are_named(bound):
    record = bound["record"]
    first, last = record.start.date(), (record.end - pd.Timedelta(days=1)).date()
    assert "first clean day" in line(ex.q6, (str(first), str(record.end.date())))
    assert "swap" in line(ex.q6, (str(last), str(first))) or first == last
    assert "two dates" in line(ex.q6, str(first))
    assert "tax season" in line(ex.q6, ("2025-02-01", str(last)))
    if str(first) != "2025-03-03":
        assert "dashboard's 28-day window" in line(ex.q6, ("2025-03-03", str(last)))
    assert "last day of the log" in line(ex.q6, (str(first), "2025-03-30"))
    assert "not a date" in line(ex.q6, ("yesterday", str(last)))
    assert status(ex.q6, (str(first - dt.timedelta(days=1)), str(last))) == "incorrect"


def test_q6_feedback_never_says_earlier_or_later(bound):
    """A day too early and a day too late get the same words: no bisecting to the answer."""
    record = bound["record"]
    first, last = record.start.date(), (record.end - pd.Timedelta(days=1)).date()
    day = dt.timedelta(days=1)
    early = line(ex.q6, (str(first - 2 * day), str(last)))
    late = line(ex.q6, (str(first + 2 * day), str(last)))
    assert early == late and "first day is not" in early
    early = line(ex.q6, (str(first), str(last - 2 * day)))
    late = line(ex.q6, (str(first), str(last + 3 * day)))
    assert early == late and "last day is not" in early
    both = line(ex.q6, (str(first - 2 * day), str(last + 3 * day)))
    assert both == line(ex.q6, (str(first + day), str(last - day))) and "neither" in both
    for text in (early, late, both):
        for word in ("too early", "too late", "earlier", "later", "before it", "after it"):
            assert word not in text.lower(), text


def test_q7_kind_is_graded_against_the_record(bound):
    kind = bound["record"].kind
    assert status(ex.q7, kind) == "correct"
    assert status(ex.q7, kind.upper()) == "correct"
    assert status(ex.q7, "seasonality") == "incorrect"
    others = [k for k in scenario.REAL_KINDS if k != kind]
    assert all(status(ex.q7, k) == "incorrect" for k in others)
    assert "not one of the options" in line(ex.q7, "vendor change")


def test_q7_wrong_kind_names_its_own_evidence_not_the_truth(bound):
    kind = bound["record"].kind
    for other in scenario.REAL_KINDS:
        if other == kind:
            continue
        text = line(ex.q7, other)
        assert ex.KIND_EVIDENCE[other] in text  # the words depend on the answer only
        assert kind not in text
    assert "last spring" in line(ex.q7, "seasonality")


def test_q5_the_largest_28_day_csi_is_rejected_unless_touched(bound):
    touched = set(bound["record"].columns)
    csi = {
        c: drift.csi(bound["reference"][c], bound["recent"][c], nan_policy="bin")
        for c in scenario.MONITORED
    }
    top = max(csi, key=csi.get)
    assert status(ex.q5, top) == ("correct" if top in touched else "incorrect")


# --------------------------------------------------------------------------- Q8 the bureau bug


def _bug_decisions(ctx):
    card, bug, cutoff = ctx["card"], ctx["bug"], ctx["cutoff"]
    as_sent = scenario.approve(card, bug, cutoff=cutoff)
    correct = scenario.approve(card, bug.assign(fico=bug["fico_repull"]), cutoff=cutoff)
    return as_sent, correct


def test_q8_wrongly_declined_count_is_correct(bound):
    as_sent, correct = _bug_decisions(bound)
    right = int((~as_sent & correct).sum())
    assert status(ex.q8, right) == "correct"
    assert status(ex.q8, float(right)) == "correct"


def test_q8_counting_every_shifted_score_or_every_flip_is_named(bound):
    as_sent, correct = _bug_decisions(bound)
    right = int((~as_sent & correct).sum())
    shifted = bound["bug_record"].rows_affected
    assert shifted != right
    assert "every shifted score" in line(ex.q8, shifted)
    flips = int((as_sent != correct).sum())
    if flips != right:
        assert "every changed decision" in line(ex.q8, flips)
    assert status(ex.q8, right + 0.5) == "incorrect"


def test_q8_other_direction_every_decline_and_skipped_rules_are_named(bound):
    as_sent, correct = _bug_decisions(bound)
    right = int((~as_sent & correct).sum())
    card, bug, cutoff = bound["card"], bound["bug"], bound["cutoff"]
    other_way = int((as_sent & ~correct).sum())
    if other_way != right:
        assert "other direction" in line(ex.q8, other_way)
    every_decline = int((~as_sent).sum())
    assert "every January decline" in line(ex.q8, every_decline)
    pd_sent = card.predict_pd(bug).to_numpy() < cutoff
    pd_right = card.predict_pd(bug.assign(fico=bug["fico_repull"])).to_numpy() < cutoff
    no_rules = int((~pd_sent & pd_right).sum())
    if no_rules not in (right, other_way, int((as_sent != correct).sum())):
        assert "knock-out rules" in line(ex.q8, no_rules)


def test_hint_2_names_the_step_and_does_not_paste_the_solution():
    for q in ex._week.questions:
        solution_lines = [ln.strip() for ln in q.solution_code.splitlines() if "=" in ln]
        for code in solution_lines:
            assert code not in q.hints[1], f"{q.label}: hint 2 pastes {code!r}"


# --------------------------------------------------------------------------- the lab's helpers


def test_every_question_starts_not_attempted(bound):
    assert all(q.evaluate(____).status == "not_attempted" for q in ex._week.questions)


def test_vendor_incident_is_sealed_by_seed_and_stays_in_march():
    book = world.generate(
        4_000, seed=5, start=scenario.SETTINGS["start"], days=scenario.SETTINGS["days"]
    )
    kinds = set()
    for seed in range(12):
        _, record = scenario.vendor_incident(book, seed=seed)
        kinds.add(record.kind)
        assert pd.Timestamp("2025-03-03", tz="UTC") <= record.start
        assert record.end <= pd.Timestamp("2025-03-31", tz="UTC")
        assert 5 <= (record.end - record.start).days <= 10
    assert len(kinds) >= 3  # the seed really draws the kind
    a, ra = scenario.vendor_incident(book, seed=3)
    b, rb = scenario.vendor_incident(book, seed=3)
    assert (ra.kind, ra.start, ra.end) == (rb.kind, rb.start, rb.end)
    pd.testing.assert_frame_equal(a, b)


def test_tax_seasons_touch_only_the_springs_and_the_seasonal_columns():
    book = world.generate(
        6_000, seed=2, start=scenario.SETTINGS["start"], days=scenario.SETTINGS["days"]
    )
    shifted, records = scenario.add_tax_seasons(book, seed=2)
    assert [r.kind for r in records] == ["seasonality", "seasonality"]
    changed = (shifted != book) & ~(shifted.isna() & book.isna())
    assert set(changed.columns[changed.any()]) <= set(scenario.SEASONAL)
    month = book["applied_at"].dt.month
    outside = ~month.isin([2, 3, 4])
    assert not changed[outside].any().any()
    spring = month.isin([2, 3])
    assert shifted.loc[spring, "revol_util"].mean() < book.loc[spring, "revol_util"].mean()


def test_big_platform_halves_share_a_distribution_and_tax_moves_only_two_columns():
    halves = scenario.big_platform(seed=4, n_big=20_000)
    ref, same, tax = halves["reference"], halves["same"], halves["tax"]
    assert len(ref) == len(same) == len(tax) == 10_000
    assert not ref["applied_at"].is_monotonic_increasing  # random order: first k rows are a sample
    assert drift.psi(ref["fico"], same["fico"]) < 0.01
    moved = [c for c in world.FEATURES if not tax[c].equals(same[c])]
    assert set(moved) == set(scenario.SEASONAL)
    assert (halves["outage"]["fico"] == 300).mean() == pytest.approx(0.05, abs=0.01)
    with pytest.raises(ValueError, match="n_big"):
        scenario.big_platform(seed=1, n_big=10)


def test_ks_dashboard_matches_scipy_and_marks_red_below_alpha():
    book = world.generate(6_000, seed=3)
    ref, cur = book.iloc[:3_000], book.iloc[3_000:].assign(fico=lambda f: f["fico"] + 15)
    table = scenario.ks_dashboard(ref, cur, columns=["fico", "dti", "income_verification"])
    assert table["column"].tolist() == ["fico", "dti", "income_verification"]
    assert table["test"].tolist() == ["ks", "ks", "chi_square"]
    fico = table.set_index("column").loc["fico"]
    assert fico["p_value"] == pytest.approx(
        stats.ks_2samp(ref["fico"], cur["fico"]).pvalue, abs=1e-12
    )
    assert bool(fico["red"])
    assert (table["red"] == (table["p_value"] < 0.05)).all()


def test_approve_is_rules_and_pd_below_cutoff(ctx):
    card, frame = ctx["card"], ctx["reference"]
    approved = scenario.approve(card, frame, cutoff=0.25)
    assert approved.dtype == bool and approved.shape == (len(frame),)
    assert not approved[~frame["approved_policy"].to_numpy()].any()
    assert scenario.approve(card, frame, cutoff=0.5).sum() >= approved.sum()


def test_daily_volume_counts_every_row_once(ctx):
    volume = scenario.daily_volume(ctx["recent"])
    assert int(volume.to_numpy().sum()) == len(ctx["recent"])
    assert volume.index.is_monotonic_increasing


def test_the_worked_solutions_run_correct_on_seed_12(tmp_path, monkeypatch):
    """Issue 7: ex.q7.solution() raised KeyError on seeds 1, 2, 5 and 12. The notebook tests
    run seeds 1, 2 and 5; this runs seed 12 (an income_monthly_as_annual incident), with every
    solution block replaced by its question's solution_code, strict."""
    notebooks = Path(__file__).resolve().parents[1] / "notebooks"
    monkeypatch.syspath_prepend(str(notebooks))
    from solution_cells import run_with_solution_code

    monkeypatch.setenv("LENDLAB_STRICT", "1")
    monkeypatch.chdir(tmp_path)
    path = notebooks.parents[1] / "solutions" / "week05_drift_detection.ipynb"
    with contextlib.redirect_stdout(io.StringIO()):
        ran = run_with_solution_code(path, {"seed": 12, "n": 250_000, "n_big": 200_000})
    assert ran == [q.name for q in ex._week.questions]


def test_between_rejects_frames_without_applied_at():
    with pytest.raises(ValueError, match="applied_at"):
        scenario.between(pd.DataFrame({"x": [1]}), "2025-01-01")
