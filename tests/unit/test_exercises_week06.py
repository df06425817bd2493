"""Week 6 checks: each question rejects the slips a learner is likely to make, with a reason.

The common test (``test_exercises_common.py``) already feeds every ``wrong_answers`` entry;
here each plausible mistake is built by hand from the record, the way a learner would make it,
and the message must name the slip without revealing the answer. The scenario's helpers are
checked against independent computations (brute-force windows, Prometheus's interpolation on
hand-made buckets) and against the rule files and the service's buckets they mirror.
"""

from __future__ import annotations

import math
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from lendlab.course.exercises import week06 as ex
from lendlab.course.scenarios import week06 as scenario

pytestmark = pytest.mark.usefixtures("not_strict")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ctx():
    return scenario.build_context(seed=11, n=4_000)


@pytest.fixture
def bound(ctx, bind_week):
    return bind_week(ex, ctx)


def verdict(question, answer):
    result = question.evaluate(answer)
    return result.status, result.line


def assert_correct(question, answer):
    status, line = verdict(question, answer)
    assert status == "correct", line


def assert_incorrect(question, answer, *fragments):
    status, line = verdict(question, answer)
    assert status == "incorrect", line
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    return line


def phase(ctx, name):
    r = ctx["requests"]
    return r[r["phase"] == name]


# --------------------------------------------------------------------------- scenario helpers


def test_buckets_are_the_services_and_prometheus_clients():
    from prometheus_client import Histogram

    from lendlab.serving.metrics import LATENCY_BUCKETS

    assert scenario.TUNED_BUCKETS == LATENCY_BUCKETS
    assert scenario.DEFAULT_BUCKETS == tuple(b for b in Histogram.DEFAULT_BUCKETS if b != math.inf)
    assert scenario.SETTINGS["slo_threshold_ms"] / 1000 in scenario.TUNED_BUCKETS


def test_alerts_match_the_rule_files():
    seen = {}
    for path in scenario.RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    seen[rule["alert"]] = (path.name, rule.get("for"), rule["labels"]["severity"])
    minutes = {"2m": 2.0, "15m": 15.0, "1h": 60.0}
    for name, spec in scenario.ALERTS.items():
        file, for_, severity = seen[name]
        assert (file, minutes[for_], severity) == (spec["file"], spec["for_min"], spec["severity"])
    # the thresholds the checks use are the rules' own
    text = (ROOT / "ops/prometheus/rules/latency_slo.yml").read_text()
    for long, short, factor in ex._BUDGET_RULES.values():
        assert f"ratio_rate{long} > ({factor:g} * 0.01)" in text
        assert f"ratio_rate{short} > ({factor:g} * 0.01)" in text
    assert "ratio_rate5m > 0.05" in (ROOT / "ops/prometheus/rules/degraded_mode.yml").read_text()


def test_histogram_quantile_interpolates_like_prometheus():
    # 10 values: 4 at or below 10, 4 more at or below 20, 2 past 40 (in +Inf)
    values = [1, 2, 3, 10, 11, 12, 13, 20, 50, 60]
    edges = [10, 20, 40]
    assert scenario.histogram_quantile(0.2, edges, values) == pytest.approx(5.0)  # 2/4 of 0-10
    assert scenario.histogram_quantile(0.6, edges, values) == pytest.approx(15.0)  # 2/4 of 10-20
    assert scenario.histogram_quantile(0.99, edges, values) == 40.0  # +Inf: highest edge
    assert math.isnan(scenario.histogram_quantile(0.5, edges, []))
    with pytest.raises(ValueError, match="increasing"):
        scenario.histogram_quantile(0.5, [20, 10], values)
    with pytest.raises(ValueError, match="quantile"):
        scenario.histogram_quantile(99, edges, values)


def test_rule_signals_count_each_window_by_brute_force(ctx):
    sig = scenario.rule_signals(ctx["requests"])
    r = ctx["requests"]
    for minute in (3.0, 7.5, 12.0, 19.5):
        for name, w in (("5m", 5.0), ("1h", 60.0)):
            inside = r[(r["minute"] > minute - w) & (r["minute"] <= minute)]
            assert sig.loc[minute, f"requests_{name}"] == len(inside)
            slow = (inside["server_ms"] > 100).mean()
            assert sig.loc[minute, f"slo_errors_{name}"] == pytest.approx(slow)
        inside = r[(r["minute"] > minute - 5) & (r["minute"] <= minute)]
        assert sig.loc[minute, "fallback_5m"] == pytest.approx(inside["fallback"].notna().mean())


def test_first_firing_needs_the_condition_to_hold():
    idx = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]
    flicker = pd.Series([True, False, True, True, False, True, True], index=idx)
    assert math.isnan(scenario.first_firing(flicker, for_min=1.0))
    assert scenario.first_firing(flicker, for_min=0.5) == 2.0
    assert scenario.first_firing(flicker, for_min=0.0) == 0.5
    with pytest.raises(TypeError):
        scenario.first_firing([True, True], for_min=1.0)


def test_spike_scenario_changes_the_bureau_knobs_at_its_minutes():
    s = scenario.spike_scenario(1 / 30)
    assert s.needs_admin and s.duration_s == 40.0
    assert s.steps[1].body() == {"bureau": {"latency_median_ms": 60.0, "latency_p99_ms": 400.0}}
    assert s.steps[2].body() == {"reset": True}


def test_service_config_is_valid_for_the_service(tmp_path):
    from lendlab.serving.config import load_config

    cfg = load_config(scenario.service_config(tmp_path, db=tmp_path / "d.db"))
    assert cfg.bureau.timeout_ms == 150.0 and cfg.request_budget_ms == 200.0
    assert cfg.fallback == "manual_review"


def test_record_joins_replay_log_and_truth():
    n = 6
    ids = np.arange(1, n + 1) + scenario.SETTINGS["id_offset"]
    requests = pd.DataFrame(
        {
            "application_id": ids,
            "scheduled_s": np.arange(n) * 8.0,
            "sent_s": np.arange(n) * 8.0 + 0.001,
            "latency_s": np.full(n, 0.02),
            "status": pd.array([200] * n, dtype="Int64"),
            "error": [None] * n,
        }
    )
    log = pd.DataFrame(
        {
            "application_id": ids[::-1],
            "duration_ms": np.arange(n, dtype=float)[::-1] + 10,
            "timings_json": ['{"bureau": 3.5}'] * n,
            "fallback": [None] * (n - 1) + ["manual_review"],
            "decision": ["approve"] * n,
            "segment": ["prime"] * n,
            "pd": np.full(n, 0.1),
        }
    )
    rec = scenario.record(types.SimpleNamespace(requests=requests), log, seed=3)
    assert list(rec.columns) == list(scenario.RECORD_COLUMNS)
    assert rec["server_ms"].tolist() == [10.0, 11.0, 12.0, 13.0, 14.0, 15.0]
    assert rec["client_ms"].tolist() == pytest.approx([20.0] * n)
    assert rec["phase"].tolist() == ["baseline"] * 2 + ["spike"] * 2 + ["recovery"] * 2
    assert rec["fallback"].iloc[0] == "manual_review" and rec["defaulted"].notna().all()
    with pytest.raises(ValueError, match="read_decisions"):
        scenario.record(types.SimpleNamespace(requests=requests), log.drop(columns="duration_ms"),
                        seed=3)  # fmt: skip


# --------------------------------------------------------------------------- Part 2


def test_q1_accepts_both_quantile_definitions_and_names_the_slips(bound):
    base = phase(bound, "baseline")["server_ms"]
    assert_correct(ex.q1, float(base.quantile(0.99)))
    assert_correct(ex.q1, float(np.quantile(base, 0.99, method="inverted_cdf")))
    assert_correct(ex.q1, round(float(base.quantile(0.99)), 1))
    assert_incorrect(ex.q1, float(bound["requests"]["server_ms"].quantile(0.99)), "whole record")
    assert_incorrect(ex.q1, float(phase(bound, "baseline")["client_ms"].quantile(0.99)),
                     "client-side")  # fmt: skip
    assert_incorrect(ex.q1, float(base.quantile(0.95)), "95th")
    assert_incorrect(ex.q1, float(base.quantile(0.99)) / 1000, "seconds")
    assert_incorrect(ex.q1, float(base.mean()), "mean")


def _hand_quantile(q, edges, values):
    """Prometheus's bucketQuantile, written independently (no searchsorted)."""
    values = np.asarray(values)
    counts = [(values <= e).sum() for e in edges]
    rank = q * len(values)
    prev_edge, prev_count = 0.0, 0
    for edge, count in zip(edges, counts, strict=True):
        if count >= rank:
            return prev_edge + (edge - prev_edge) * (rank - prev_count) / (count - prev_count)
        prev_edge, prev_count = edge, count
    return edges[-1]


def test_q2_expected_matches_an_independent_interpolation_and_names_slips(bound):
    x = phase(bound, "baseline")["server_ms"].dropna().to_numpy() / 1000
    tuned = 1000 * _hand_quantile(0.99, scenario.TUNED_BUCKETS, x)
    default = 1000 * _hand_quantile(0.99, scenario.DEFAULT_BUCKETS, x)
    assert ex.q2.expected(bound) == pytest.approx((tuned, default))
    assert_correct(ex.q2, (tuned, default))
    assert_incorrect(ex.q2, (default, tuned), "swapped")
    exact = float(np.quantile(x * 1000, 0.99, method="inverted_cdf"))
    assert_incorrect(ex.q2, (exact, default), "exact p99")
    upper = ex._upper_edge(x * 1000, scenario.TUNED_BUCKETS)
    assert_incorrect(ex.q2, (upper, default), "interpolates")
    ms_vs_s = 1000 * _hand_quantile(0.99, scenario.TUNED_BUCKETS, x * 1000)  # edges in s, x in ms
    assert_incorrect(ex.q2, (ms_vs_s, default), "seconds")


def test_q2_solution_function_is_prometheus_interpolation():
    namespace = {"np": np, "scenario": scenario}
    exec(ex.q2.solution_code.split("\n\n\nseconds")[0], namespace)  # noqa: S102 - the def only
    rng = np.random.default_rng(0)
    for _ in range(20):
        values = rng.lognormal(-4, 1, rng.integers(5, 400))
        for q in (0.5, 0.95, 0.99):
            got = namespace["bucket_quantile"](q, scenario.TUNED_BUCKETS, values)
            assert got == pytest.approx(_hand_quantile(q, scenario.TUNED_BUCKETS, values))


# --------------------------------------------------------------------------- Part 3


def test_q3_burn_rate_and_slips(bound):
    spike = phase(bound, "spike")
    share = (spike["server_ms"] > 100).mean()
    assert_correct(ex.q3, share / 0.01)
    assert 10 < share / 0.01 < 60  # the scenario burns far above the fast page's 14.4x
    assert_incorrect(ex.q3, (spike["client_ms"] > 100).mean() / 0.01, "client-side")
    assert_incorrect(ex.q3, share, "divide it by the error budget")
    assert_incorrect(ex.q3, share / 0.99, "SLO target")
    assert_incorrect(ex.q3, (bound["requests"]["server_ms"] > 100).mean() / 0.01, "whole record")


def test_q4_budget_and_slips(bound):
    r = bound["requests"]
    slow = (r["server_ms"] > 100).sum()
    minutes = bound["recording_min"]
    right = slow / (0.01 * len(r) * 30 * 24 * 60 / minutes)
    assert_correct(ex.q4, right)
    # the same, as the average burn rate times the share of the month covered
    assert_correct(ex.q4, (slow / len(r) / 0.01) * minutes / (30 * 24 * 60))
    assert right < 0.02  # a ten-minute spike dents the month's budget only
    assert_incorrect(ex.q4, right * bound["time_scale"], "real seconds")
    assert_incorrect(ex.q4, slow / len(r) / 0.01, "average burn rate")
    assert_incorrect(ex.q4, 100 * right, "percent")


# --------------------------------------------------------------------------- Part 4


def _solution_fired(ctx):
    namespace = {
        "signals": scenario.rule_signals(ctx["requests"]),
        "SLO_TARGET": ctx["slo_target"],
        "scenario": scenario,
    }
    exec(ex.q5.solution_code, namespace)  # noqa: S102
    return namespace["first_alert"], namespace["first_minute"], namespace["fired"]


def test_q5_solution_code_and_slips(bound):
    name, minute, fired = _solution_fired(bound)
    assert name == "LendlabFallbackRateHigh"  # 5% over 5m beats 14.4x over 5m and 1h
    assert_correct(ex.q5, (name, minute))
    assert_correct(ex.q5, (name.lower(), minute + 0.5))  # one evaluation step off
    pending = ex._firing(bound, hold=False)[name]
    assert_incorrect(ex.q5, (name, pending), "pending")
    assert_incorrect(ex.q5, ("LendlabLatencyBurnFast", fired["LendlabLatencyBurnFast"]),
                     "not first")  # fmt: skip
    assert_incorrect(ex.q5, ("LendlabLatencyBurnSlow", minute), "never held")
    assert_incorrect(ex.q5, ("none", None), "did fire")
    assert_incorrect(ex.q5, ("FallbackHigh", minute), "not one of the alerts")
    assert_incorrect(ex.q5, (name, minute + 5), "too late")


def test_q5_quiet_record_expects_none(bind_week, ctx):
    quiet = ctx["requests"].assign(server_ms=10.0, fallback=None)
    bind_week(ex, {**ctx, "requests": quiet})
    assert ex.q5.expected(ex._week.context)[0] == "none"
    assert_correct(ex.q5, ("none", None))
    assert_incorrect(ex.q5, ("LendlabFallbackRateHigh", 7.0), "never held")


# --------------------------------------------------------------------------- Part 5 and 6


def test_q6_is_data_and_other_headings_say_why(bound):
    assert ex.q6.expected(bound) == "data"
    assert_correct(ex.q6, "Data")
    assert_incorrect(ex.q6, "world", "rule out data first")
    assert_incorrect(ex.q6, "threshold", "rule out data first")


def test_q7_points_not_relative_and_slips(bound):
    r = bound["requests"]
    rates = r["decision"].eq("approve").groupby([r["segment"], r["phase"]]).mean().unstack()
    drop = rates["baseline"] - rates["spike"]
    assert_correct(ex.q7, drop.idxmax().upper())
    relative = (1 - rates["spike"] / rates["baseline"]).idxmax()
    if relative != drop.idxmax():
        assert_incorrect(ex.q7, relative, "share of its own approvals")
    other = next(s for s in drop.index if s not in (drop.idxmax(), relative))
    assert_incorrect(ex.q7, other, "fewer points")
    assert_incorrect(ex.q7, "subprime", "not one of the options")


def test_q8_per_minute_and_slips(bound):
    spike, base = phase(bound, "spike"), phase(bound, "baseline")
    n_spike = (spike["decision"] == "review").sum()
    n_base = (base["decision"] == "review").sum()
    right = (n_spike / 10) / (n_base / 5)
    assert_correct(ex.q8, right)
    assert right > 1.5  # the queue does jump
    assert_incorrect(ex.q8, n_spike / n_base, "per minute")
    fb = (spike["fallback"].notna() & (spike["decision"] == "review")).sum()
    assert_incorrect(ex.q8, (fb / 10) / (n_base / 5), "only the fallback")
    non = ((spike["decision"] != "approve").sum() / 10) / (
        (base["decision"] != "approve").sum() / 5
    )
    assert_incorrect(ex.q8, non, "not an approval")


def test_checks_hold_on_another_seed(bind_week):
    other = scenario.build_context(seed=5, n=3_000)
    bind_week(ex, other)
    for q in ex._week.questions:
        assert q.evaluate(q.expected(ex._week.context)).status == "correct", q.label
