"""lendlab.monitoring.dashboard: the decision log's counters, the rescaled segment alerts
(pandas against promtool), the matplotlib panels and the Evidently workspace.

The logs here are synthetic (the incumbent policy decides, one segment's approvals are cut on
purpose), so the tests run in seconds without the service.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from lendlab import world
from lendlab.monitoring import dashboard

START, DAYS = "2025-01-06", 91
DROP_START = pd.Timestamp("2025-03-03", tz="UTC")


def _log(n: int = 16_000, *, seed: int = 4, drop_segment: str | None = "returning") -> pd.DataFrame:
    book = world.generate(n, seed=seed, start=START, days=DAYS)
    approved = book["approved_policy"].to_numpy().copy()
    if drop_segment is not None:
        hit = (book["segment"] == drop_segment).to_numpy() & (book["applied_at"] >= DROP_START)
        approved[hit] = False
    return book.assign(
        decision=np.where(approved, "approve", "decline"),
        model_version="scorecard-2025.1",
        score=book["fico"].astype(float),
    )


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return _log()


@pytest.fixture(scope="module")
def counts(log) -> pd.DataFrame:
    return dashboard.counter_series(log, interval="4h")


def test_decisions_frame_refuses_bad_input(log):
    with pytest.raises(TypeError, match="DataFrame"):
        dashboard.decisions_frame(log.to_dict())
    with pytest.raises(ValueError, match="'segment'"):
        dashboard.decisions_frame(log.drop(columns="segment"))
    with pytest.raises(ValueError, match="no decisions"):
        dashboard.decisions_frame(log.iloc[:0])
    with pytest.raises(ValueError, match="'maybe'"):
        dashboard.decisions_frame(log.assign(decision="maybe"))
    naive = log.assign(applied_at=log["applied_at"].dt.tz_localize(None))
    with pytest.raises(TypeError, match="timezone-aware"):
        dashboard.decisions_frame(naive)


def test_counters_are_cumulative_from_zero_and_count_every_decision(log, counts):
    values = counts.to_numpy()
    assert (values[0] == 0).all()
    assert (np.diff(values, axis=0) >= 0).all()
    assert values[-1].sum() == len(log)
    assert counts.index[0] == pd.Timestamp(START, tz="UTC")
    assert (counts.index[1] - counts.index[0]) == pd.Timedelta(hours=4)
    approve_returning = counts.xs(("approve", "returning"), axis=1, level=[0, 1]).iloc[-1].sum()
    frame = dashboard.decisions_frame(log)
    assert approve_returning == int((frame["approved"] & (frame["segment"] == "returning")).sum())


def test_rescale_rules_stretches_windows_and_names_but_not_for_or_text():
    text = dashboard.rules_path().read_text()
    out = dashboard.rescale_rules(text)
    code = "\n".join(line for line in out.splitlines() if not line.lstrip().startswith("#"))
    assert "[1h]" not in code and "[1d]" not in code and "offset 1h" not in code
    assert "[7d]" in out and "[28d] offset 7d" in out and "lendlab:approval_rate:7d" in out
    fors = [line for line in text.splitlines() if line.strip().startswith("for:")]
    assert fors == [line for line in out.splitlines() if line.strip().startswith("for:")]
    assert ">= 100" in out and ">= 500" in out and "< 0.8" in out  # guards kept
    with pytest.raises(ValueError, match="exactly"):
        dashboard.rescale_rules(text, {"1h": "7d"})
    with pytest.raises(ValueError, match="duration"):
        dashboard.rescale_rules(text, {"1h": "a week", "1d": "28d"})


def test_the_cut_segment_alerts_after_the_cut_and_the_production_rules_cannot(counts):
    fired = dashboard.evaluate_segment_alerts(counts)
    drops = fired[fired["alertname"] == "LendlabApprovalRateDrop"]
    assert set(drops["segment"]) == {"returning"}
    first = drops["time"].min()
    assert DROP_START < first < DROP_START + pd.Timedelta(days=7)
    # hourly windows: no hour holds 100 decisions of one segment at ~176 a day
    assert dashboard.evaluate_segment_alerts(counts, windows=None).empty


def test_no_cut_no_drop_alert():
    fired = dashboard.evaluate_segment_alerts(
        dashboard.counter_series(_log(drop_segment=None), interval="4h")
    )
    assert "LendlabApprovalRateDrop" not in set(fired["alertname"])


def _need_promtool() -> None:
    if dashboard.promtool_path() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("promtool is missing under CI=true (apt-get install prometheus)")
        pytest.skip("promtool not installed (apt-get install prometheus)")


def test_promtool_agrees_with_the_pandas_evaluation(counts, tmp_path):
    _need_promtool()
    run = dashboard.run_promtool(counts, interval="4h", workdir=tmp_path)
    expected = dashboard.first_alerts(dashboard.evaluate_segment_alerts(counts))
    assert not expected.empty
    pd.testing.assert_frame_equal(run.first, expected)
    check = subprocess.run(
        [dashboard.promtool_path(), "check", "rules", str(run.rule_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_promtool_production_windows_fire_nothing(counts, tmp_path):
    _need_promtool()
    run = dashboard.run_promtool(counts, windows=None, interval="4h", workdir=tmp_path)
    assert run.first.empty and run.returncode == 0


def test_run_promtool_without_promtool_says_how_to_get_it(counts, monkeypatch):
    monkeypatch.setattr(dashboard, "promtool_path", lambda: None)
    with pytest.raises(FileNotFoundError, match="apt-get install prometheus"):
        dashboard.run_promtool(counts)


def test_daily_panels_and_figure(log):
    import matplotlib

    matplotlib.use("Agg")
    reference = log[log["applied_at"] < pd.Timestamp("2025-02-03", tz="UTC")]
    panels = dashboard.daily_panels(log, reference, columns=["fico", "dti", "annual_income"])
    assert panels["approval"].shape == (DAYS, 4)
    cut = panels["approval"].loc[panels["approval"].index >= DROP_START, "returning"]
    assert (cut == 0).all()
    assert int(panels["volume"].sum()) == len(log)
    fig = dashboard.dashboard_figure(panels, marks={"cut": DROP_START})
    assert [ax.get_title() for ax in fig.axes] == list(dashboard.PANEL_TITLES)
    with pytest.raises(ValueError, match="columns is empty"):
        dashboard.daily_panels(log, reference, columns=[])


def test_evidently_workspace_has_one_snapshot_per_day(tmp_path):
    small = _log(2_000, drop_segment=None)
    small = small[small["applied_at"] < pd.Timestamp("2025-01-11", tz="UTC")]
    ws = dashboard.build_evidently_workspace(small, small, tmp_path / "ws", columns=["fico"])
    assert ws.snapshots == 5
    assert len(ws.panel_titles) == 5
    assert (tmp_path / "ws").is_dir() and shutil.disk_usage(tmp_path).free > 0


def _proxy_log(days: int = 60) -> pd.DataFrame:
    """Per day and segment 50 protected-proxy and 50 reference decisions; near_prime approves
    2% of its reference group and 1% of its protected group (AIR 0.5 on ~40 approvals in 28
    days), prime 60% and 30% (AIR 0.5 on ~1,260 approvals)."""
    rows = []
    rates = {"near_prime": (0.01, 0.02), "prime": (0.30, 0.60)}
    for d in range(days):
        day = pd.Timestamp("2025-01-06", tz="UTC") + pd.Timedelta(days=d)
        for segment, (protected, reference) in rates.items():
            for group, rate, proxy in (("p", protected, 0.9), ("r", reference, 0.1)):
                for i in range(50):
                    # the k-th decision of the group is approved when floor((k+1) r) > floor(k r)
                    k = d * 50 + i
                    approved = int((k + 1) * rate) > int(k * rate)
                    minute = 10 * i + (5 if group == "r" else 0)
                    rows.append({
                        "applied_at": day + pd.Timedelta(minutes=minute),
                        "decision": "approve" if approved else "decline",
                        "segment": segment, "model_version": "v1", "protected_proxy": proxy,
                    })  # fmt: skip
    return pd.DataFrame(rows)


def test_air_minimum_approvals_guard_holds_a_mostly_declined_segment_silent(tmp_path):
    counts = dashboard.counter_series(_proxy_log(), interval="4h")
    fired = dashboard.first_alerts(dashboard.evaluate_segment_alerts(counts))
    air = fired[fired["alertname"] == "LendlabAdverseImpactRatioLow"]
    assert set(air["segment"]) == {"prime"}  # near_prime: same AIR, too few approvals
    if dashboard.promtool_path() is not None:
        run = dashboard.run_promtool(counts, interval="4h", workdir=tmp_path)
        pd.testing.assert_frame_equal(run.first, fired)


def test_evidently_lean_widgets_are_restored_after_the_build(tmp_path):
    from evidently.metrics import column_statistics as stats

    before = stats.distribution
    small = _log(2_000, drop_segment=None)
    small = small[small["applied_at"] < pd.Timestamp("2025-01-09", tz="UTC")]
    dashboard.build_evidently_workspace(small, small, tmp_path / "ws", columns=["fico"])
    assert stats.distribution is before


def _snapshot_values(path) -> list:
    import glob
    import json

    out = []
    for name in sorted(glob.glob(f"{path}/**/snapshots/*.json", recursive=True)):
        results = json.load(open(name, encoding="utf-8"))["metric_results"]
        out.append(sorted((k, v.get("value"), v.get("count")) for k, v in results.items()))
    return out


def test_lean_evidently_snapshots_hold_the_same_values_as_full_ones(tmp_path):
    small = _log(3_000, drop_segment="returning")
    small = small[small["applied_at"] < pd.Timestamp("2025-01-14", tz="UTC")]
    reference = small[small["applied_at"] < pd.Timestamp("2025-01-10", tz="UTC")]
    columns = ["fico", "dti", "annual_income"]
    lean = dashboard.build_evidently_workspace(small, reference, tmp_path / "lean", columns=columns)
    full = dashboard.build_evidently_workspace(
        small, reference, tmp_path / "full", columns=columns, lean=False
    )
    values = _snapshot_values(lean.path)
    assert len(values) == lean.snapshots == 8
    assert values == _snapshot_values(full.path)
