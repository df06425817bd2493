"""Segment impact, the decision window and the re-decision list."""

import numpy as np
import pandas as pd
import pytest

from lendlab.response import (
    decision_window,
    impact_summary,
    redecide_with_model,
    redecision_list,
    segment_impact,
)


def _log(decisions, channel, proxy, start="2026-01-05T10:00Z"):
    n = len(decisions)
    return pd.DataFrame(
        {
            "application_id": np.arange(1, n + 1),
            "decision": decisions,
            "channel": channel,
            "segment": "prime",
            "protected_proxy": proxy,
            "received_at": pd.date_range(start, periods=n, freq="min", tz="UTC"),
        }
    )


def test_partner_channel_fall_is_first():
    base = _log(["approve"] * 100, ["web", "partner_api"] * 50, [0.1, 0.9] * 50)
    now = base.assign(decision=["approve", "decline"] * 50)  # every partner row declined
    table = segment_impact(base, now)
    first = table.iloc[0]
    assert (first["dimension"], first["group"], first["approval_delta"]) == (
        "channel",
        "partner_api",
        -1.0,
    )
    web = table[(table["dimension"] == "channel") & (table["group"] == "web")].iloc[0]
    assert (web["baseline_approval"], web["approval_delta"]) == (1.0, 0.0)
    assert set(table["dimension"]) == {"segment", "channel", "proxy_group"}
    summary = impact_summary(base, now)
    assert summary["incident_decisions"] == 100
    assert summary["approval_delta"] == pytest.approx(-0.5)
    assert summary["decision_counts"] == {"approve": 50, "review": 0, "decline": 50}


def test_air_change_is_measured():
    base = _log(["approve"] * 100, "web", [0.1, 0.9] * 50)
    now = base.assign(decision=["approve", "decline"] * 50)  # protected-heavy rows declined
    summary = impact_summary(base, now)
    assert summary["baseline_air"] == pytest.approx(1.0)
    assert summary["incident_air"] < 0.3
    table = segment_impact(base, now, by=["proxy_group"])
    assert table.iloc[0]["group"] == "protected"
    assert table.iloc[0]["approval_delta"] == pytest.approx(-1.0)


def test_window_is_half_open_on_decision_time():
    log = _log(["approve"] * 10, "web", 0.2)
    got = decision_window(log, "2026-01-05T10:02Z", "2026-01-05T10:05Z")
    assert got["application_id"].tolist() == [3, 4, 5]
    with pytest.raises(ValueError, match="before end"):
        decision_window(log, "2026-01-05T11:00Z", "2026-01-05T10:00Z")
    with pytest.raises(TypeError, match="timestamp"):
        decision_window(log, 5, "2026-01-05T10:00Z")
    with pytest.raises(ValueError, match="time column"):
        decision_window(log.drop(columns="received_at"), "2026-01-05", "2026-01-06")


def test_redecision_list_keeps_only_changes_with_remediation():
    log = _log(["decline", "approve", "decline", "review"], "web", 0.2)
    got = redecision_list(
        log, pd.Series(["approve", "approve", "decline", "approve"], index=log.index)
    )
    assert got["application_id"].tolist() == [1, 4]
    assert got["change"].tolist() == ["decline->approve", "review->approve"]
    assert got["remediation"].str.startswith("re-offer").all()
    with pytest.raises(ValueError, match="one per row"):
        redecision_list(log, ["approve"])
    with pytest.raises(ValueError, match="use"):
        redecision_list(log, ["yes"] * 4)
    with pytest.raises(ValueError, match="index"):
        redecision_list(log, pd.Series(["approve"] * 4, index=[9, 8, 7, 6]))


def test_redecide_with_model_uses_knockouts_and_band():
    class Const:
        def __init__(self, p):
            self.p = p

        def predict_pd(self, X):
            return np.asarray(self.p, dtype=float)

    apps = pd.DataFrame({"fico": [700, 700, 700, 640], "dti": [20.0] * 4, "inquiries_6m": [0] * 4})
    got = redecide_with_model(apps, Const([0.05, 0.19, 0.5, 0.01]))
    assert got.tolist() == ["approve", "review", "decline", "decline"]
    with pytest.raises(TypeError, match="predict_pd"):
        redecide_with_model(apps, object())
    with pytest.raises(ValueError, match="review band"):
        redecide_with_model(apps, Const([0.1] * 4), cutoff=0.01, review_margin=0.05)


def test_bad_frames():
    with pytest.raises(TypeError, match="DataFrame"):
        impact_summary({"decision": []}, pd.DataFrame({"decision": []}))
    with pytest.raises(ValueError, match="'decision'"):
        segment_impact(pd.DataFrame({"x": [1]}), pd.DataFrame({"x": [1]}))
    with pytest.raises(ValueError, match="value"):
        impact_summary(pd.DataFrame({"decision": ["ok"]}), pd.DataFrame({"decision": ["ok"]}))
