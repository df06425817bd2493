"""Week 3 checks: each question rejects the plausible mistakes a learner makes.

The common test (test_exercises_common.py) feeds every question its own ``wrong_answers``;
here each mistake is written out the way a learner would make it, on data the lab does not
use, and legitimate variants (rounding, a list instead of a tuple) must still pass.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from lendlab import monitoring, world
from lendlab.course.exercises import week03 as ex
from lendlab.course.scenarios import week03 as scenario

NOTEBOOK = Path(__file__).resolve().parents[2] / "solutions" / "week03_production_failures.ipynb"


@pytest.fixture(scope="module")
def ctx():
    context = scenario.build_context(seed=11, n=20_000)
    ex._week.unbind()
    ex.bind(**context)
    yield ex._week.context
    ex._week.unbind()


def status(question, answer) -> str:
    return question.evaluate(answer).status


def between(frame, start, end=None):
    keep = frame["applied_at"] >= pd.Timestamp(start, tz="UTC")
    if end is not None:
        keep &= frame["applied_at"] < pd.Timestamp(end, tz="UTC")
    return frame[keep]


def test_q1_lost_fields(ctx):
    lost = set(ctx["log"].columns) - set(ctx["proposed_schema"])
    assert status(ex.q1, lost) == "correct"
    assert status(ex.q1, sorted(lost)) == "correct"  # a list is fine
    assert {"model_version", "score", "reason_1", "revol_util"} <= lost
    assert status(ex.q1, lost & set(monitoring.LOG_COLUMNS)) == "incorrect"  # forgot the snapshot
    assert status(ex.q1, lost | {"latency_ms"}) == "incorrect"
    assert status(ex.q1, "model_version") == "incorrect"


def test_q2_month12_not_today(ctx):
    curve, perf = ctx["curve"], ctx["perf"]
    oldest = curve["vintage"].min()
    right = curve.query("vintage == @oldest and months_on_book == 12")["cum_bad_rate"].item()
    assert status(ex.q2, right) == "correct"
    assert status(ex.q2, round(right, 3)) == "correct"
    today = perf.loc[perf["vintage"] == oldest, "bad_so_far"].mean()  # the dashboard's number
    assert status(ex.q2, float(today)) == "incorrect"
    assert status(ex.q2, 100 * right) == "incorrect"
    line = ex.q2.evaluate(100 * right).line
    assert "percent" in line


def test_q3_like_for_like(ctx):
    at6 = ctx["curve"].query("months_on_book == 6").set_index("vintage")["cum_bad_rate"]
    assert status(ex.q3, at6.idxmax()) == "correct"
    assert status(ex.q3, f"  {at6.idxmax()} ") == "correct"
    for other in at6.index.drop(at6.idxmax()):  # e.g. the oldest, which the dashboard ranks worst
        assert status(ex.q3, other) == "incorrect"
    newest = ctx["perf"]["vintage"].max()  # too young for month 6
    assert "not a vintage with 6 months" in ex.q3.evaluate(newest).line
    assert status(ex.q3, 2025) == "incorrect"


def test_q4_latest_month_mix(ctx):
    latest = monitoring.decision_mix(ctx["log"]).iloc[-1]
    approve, review = float(latest["approval_rate"]), float(latest["review_rate"])
    assert status(ex.q4, (approve, review)) == "correct"
    assert status(ex.q4, [round(approve, 3), round(review, 3)]) == "correct"
    assert status(ex.q4, (approve + review, review)) == "incorrect"  # reviews are not approvals
    whole = ctx["log"]["decision"].astype("str")
    all_time = ((whole == "approve").mean(), (whole == "review").mean())
    assert status(ex.q4, all_time) == "incorrect"
    assert status(ex.q4, (review, approve)) == "incorrect"
    assert status(ex.q4, approve) == "incorrect"


def test_q5_early_payment_default(ctx):
    s = scenario.SETTINGS
    view = world.observed(ctx["book"], s["as_of"], approved=ctx["booked"], window_months=6)
    right = (
        between(view, s["pre_start"], s["shock_start"])["bad_in_window"].mean(),
        between(view, s["shock_start"], s["shock_end"])["bad_in_window"].mean(),
    )
    assert status(ex.q5, right) == "correct"
    assert right[1] > 1.5 * right[0]  # the shock shows up in EPD
    perf = ctx["perf"]
    so_far = (
        between(perf, s["pre_start"], s["shock_start"])["bad_so_far"].mean(),
        between(perf, s["shock_start"], s["shock_end"])["bad_so_far"].mean(),
    )
    assert status(ex.q5, so_far) == "incorrect"  # any default so far, not by month 6
    assert status(ex.q5, right[::-1]) == "incorrect"


def test_q6_estimate_uses_approved_only(ctx):
    p = ctx["card"].predict_pd(ctx["cohorts"]["covariate_shift"]).to_numpy()
    below = scenario.SETTINGS["cutoff"] - scenario.SETTINGS["review_margin"]
    assert status(ex.q6, p[p < below].mean()) == "correct"
    assert status(ex.q6, p.mean()) == "incorrect"  # declined applications included
    assert (
        status(ex.q6, p[p < scenario.SETTINGS["cutoff"]].mean()) == "incorrect"
    )  # reviews approved


def test_q7_concept_shift_is_the_blind_spot(ctx):
    assert ex.q7.expected(ctx) == "concept_shift"
    assert status(ex.q7, "Concept_Shift") == "correct"
    assert status(ex.q7, "covariate_shift") == "incorrect"
    assert "not one of the options" in ex.q7.evaluate("concept drift").line


def _served_offline(seed: int, n: int = 4_000):
    book = world.generate(n, seed=seed, start="2025-10-01", days=90)
    served = book[["application_id", *world.FEATURES]]
    return book, served, scenario.offline_feature_job(book, seed=seed)


def _defect_seeds() -> dict[str, int]:
    found: dict[str, int] = {}
    for seed in range(40):
        rng = np.random.default_rng([seed, 3])
        found.setdefault(scenario.SKEW_COLUMNS[int(rng.integers(len(scenario.SKEW_COLUMNS)))], seed)
    assert set(found) == set(scenario.SKEW_COLUMNS)
    return found


@pytest.mark.parametrize("column", scenario.SKEW_COLUMNS)
def test_offline_job_breaks_exactly_one_column(column):
    seed = _defect_seeds()[column]
    book, served, offline = _served_offline(seed)
    assert sorted(offline["application_id"]) == sorted(served["application_id"])
    assert not offline["application_id"].equals(served["application_id"].reset_index(drop=True))
    both = served.merge(offline, on="application_id", suffixes=("_s", "_o"))
    differs = {
        c: bool(
            (
                both[f"{c}_s"].ne(both[f"{c}_o"]) & ~(both[f"{c}_s"].isna() & both[f"{c}_o"].isna())
            ).any()
        )
        for c in world.FEATURES
    }
    assert [c for c, d in differs.items() if d] == [column]
    # the checks find the planted column from the data alone
    week_ctx = {"served": served, "offline": offline}
    assert ex.q8.expected(week_ctx) == column
    again = scenario.offline_feature_job(book, seed=seed)
    pd.testing.assert_frame_equal(again, offline)  # deterministic


def test_q8_q9_reject_positional_and_nan_unaware_comparisons():
    seed = _defect_seeds()["inquiries_6m"]
    _, served, offline = _served_offline(seed)
    ex._week.unbind()
    ex.bind(served=served, offline=offline)
    try:
        assert status(ex.q8, "inquiries_6m") == "correct"
        naive = {c: (served[c].to_numpy() != offline[c].to_numpy()).mean() for c in world.FEATURES}
        assert status(ex.q8, max(naive, key=naive.get)) == "incorrect"  # compared by position
        assert status(ex.q8, "emp_length_years") == "incorrect"  # NaN != NaN looks like a skew
        assert "not one of the options" in ex.q8.evaluate("inquiries").line
        both = served.merge(offline, on="application_id", suffixes=("_s", "_o"))
        right = float((both["inquiries_6m_s"] != both["inquiries_6m_o"]).mean())
        assert status(ex.q9, right) == "correct"
        assert status(ex.q9, round(right, 3)) == "correct"
        by_position = float(
            (served["inquiries_6m"].to_numpy() != offline["inquiries_6m"].to_numpy()).mean()
        )
        assert status(ex.q9, by_position) == "incorrect"
        assert status(ex.q9, right * len(both)) == "incorrect"  # a count, not a share
    finally:
        ex._week.unbind()


def test_q9_treats_two_missing_values_as_equal():
    seed = _defect_seeds()["dti"]
    _, served, offline = _served_offline(seed)
    # add a NaN that both sides share: it must not count as a mismatch
    served = served.assign(dti=served["dti"].where(served.index % 50 != 0))
    offline = offline.merge(
        served[["application_id", "dti"]], on="application_id", suffixes=("", "_x")
    )
    offline["dti"] = offline["dti"].where(offline["dti_x"].notna())
    offline = offline.drop(columns="dti_x")
    ex._week.unbind()
    ex.bind(served=served, offline=offline)
    try:
        both = served.merge(offline, on="application_id", suffixes=("_s", "_o"))
        a, b = both["dti_s"], both["dti_o"]
        right = float((a.ne(b) & ~(a.isna() & b.isna())).mean())
        assert status(ex.q9, right) == "correct"
        assert status(ex.q9, float(a.ne(b).mean())) == "incorrect"
    finally:
        ex._week.unbind()


def test_solution_code_matches_the_notebook():
    """`ex.qN.solution()` shows exactly the code the worked notebook runs."""
    if not NOTEBOOK.exists():
        pytest.skip("the week 3 solution notebook is not there yet")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    blocks = {}
    for cell in nb.cells:
        found = re.search(
            r"### BEGIN SOLUTION\n(.*?)### END SOLUTION\nex\.q(\d+)\.check", cell.source, re.S
        )
        if found:
            blocks[int(found.group(2))] = found.group(1).strip()
    assert sorted(blocks) == [q.number for q in ex._week.questions]
    for q in ex._week.questions:
        assert blocks[q.number] == q.solution_code.strip(), f"{q.label} differs from the notebook"
