"""drift_over_time equals a naive loop over windows x segments calling psi."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lendlab import drift

SEGMENTS = ["prime", "near_prime", "thin_file", "returning"]


def decision_log(n: int, *, seed: int, days: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    seconds = np.sort(rng.integers(0, days * 86_400, n))
    applied_at = pd.Timestamp("2025-03-03", tz="UTC") + pd.to_timedelta(seconds, unit="s")
    late = seconds > days * 86_400 * 0.6
    channel = rng.choice(["web", "mobile", "broker"], n).astype(object)
    channel[late & (rng.random(n) < 0.1)] = "kiosk"  # a channel the reference never saw
    emp = rng.integers(0, 11, n).astype(float)
    emp[rng.random(n) < np.where(late, 0.3, 0.05)] = np.nan
    return pd.DataFrame(
        {
            "applied_at": applied_at,
            "segment": pd.Categorical(rng.choice(SEGMENTS, n), categories=SEGMENTS),
            "fico": np.where(late, 20, 0) + rng.normal(640, 60, n).round(),
            "emp_length_years": emp,
            "channel": pd.Series(channel, dtype="str"),
            "score": rng.beta(2, 8, n),
        }
    )


@pytest.fixture(scope="module")
def data():
    reference = decision_log(3000, seed=0).drop(columns="applied_at")
    # the reference period has no kiosk channel and the early missing rate
    reference["channel"] = reference["channel"].replace("kiosk", "web")
    reference = reference.iloc[: int(len(reference) * 0.6)].reset_index(drop=True)
    log = decision_log(4000, seed=1)
    # make one (day, segment) window empty, and one whole day empty
    day = log["applied_at"].dt.floor("D")
    days = day.unique()
    hole = (day == days[2]) & (log["segment"] == "thin_file")
    log = log[~hole & (day != days[5])].reset_index(drop=True)
    return reference, log


COLUMNS = ["fico", "emp_length_years", "channel", "score"]


def naive(reference, log, *, by, freq, nan_policy):
    """The slow, obvious version: filter each window and segment, call psi."""
    day = (
        log["applied_at"].dt.floor("D")
        if freq == "D"
        else (
            log["applied_at"].dt.floor("D")
            - pd.to_timedelta(log["applied_at"].dt.dayofweek, unit="D")
        )
    )
    step = pd.Timedelta(days=1 if freq == "D" else 7)
    starts = pd.date_range(day.min(), day.max(), freq=step)
    segments = SEGMENTS if by else [None]
    rows = []
    for start in starts:
        for segment in segments:
            mask = day == start
            if segment is not None:
                mask &= log[by] == segment
            for column in COLUMNS:
                window = log.loc[mask, column]
                if nan_policy == "omit":
                    window = window.dropna()
                n = len(window)
                value = drift.psi(reference[column], window, nan_policy=nan_policy) if n else np.nan
                rows.append((start, segment, column, n, value))
    return pd.DataFrame(rows, columns=["window_start", "segment", "column", "n", "psi"])


@pytest.mark.parametrize("nan_policy", ["bin", "omit"])
@pytest.mark.parametrize("freq", ["D", "W"])
def test_equals_naive_loop_over_windows_and_segments(data, nan_policy, freq):
    reference, log = data
    fast = drift.drift_over_time(
        reference, log, by="segment", freq=freq, columns=COLUMNS, nan_policy=nan_policy
    )
    slow = naive(reference, log, by="segment", freq=freq, nan_policy=nan_policy)
    assert len(fast) == len(slow)
    assert (fast["window_start"].to_numpy() == slow["window_start"].to_numpy()).all()
    assert fast["segment"].astype(str).tolist() == slow["segment"].tolist()
    assert fast["column"].tolist() == slow["column"].tolist()
    np.testing.assert_array_equal(fast["n_current"], slow["n"])
    np.testing.assert_allclose(fast["statistic"], slow["psi"], rtol=1e-12, atol=1e-15)


def test_without_segments_and_with_a_prepared_profile(data):
    reference, log = data
    profile = drift.prepare_reference(reference, columns=COLUMNS, nan_policy="bin")
    fast = drift.drift_over_time(profile, log)
    assert list(fast.columns) == [
        "window_start",
        "column",
        "n_current",
        "statistic",
        "drifted",
        "status",
    ]
    slow = naive(reference, log, by=None, freq="D", nan_policy="bin")
    np.testing.assert_allclose(fast["statistic"], slow["psi"], rtol=1e-12, atol=1e-15)
    assert str(fast["window_start"].dt.tz) == "UTC"


def test_empty_windows_are_flagged_and_are_the_only_nans(data):
    reference, log = data
    out = drift.drift_over_time(
        reference, log, by="segment", columns=COLUMNS, nan_policy="bin", min_rows=0
    )
    empty = out["status"] == "empty"
    assert empty.any()
    assert (out.loc[empty, "n_current"] == 0).all()
    assert out.loc[empty, "statistic"].isna().all()
    assert not out.loc[empty, "drifted"].any()
    assert out.loc[~empty, "statistic"].notna().all()
    assert set(out["status"]) <= {"ok", "drifted", "empty"}
    assert ((out["status"] == "drifted") == out["drifted"]).all()
    # the fico shift and the new 'kiosk' channel in the late period show as drift
    late = out[out["window_start"] >= pd.Timestamp("2025-03-10", tz="UTC")]
    assert late.loc[late["column"] == "channel", "drifted"].any()


def test_weekly_windows_start_on_monday(data):
    reference, log = data
    out = drift.drift_over_time(reference, log, freq="W", columns=["fico"])
    assert (out["window_start"].dt.dayofweek == 0).all()
    assert out["n_current"].sum() == len(log)


def test_text_segments_come_out_sorted(data):
    reference, log = data
    out = drift.drift_over_time(
        reference, log.assign(segment=log["segment"].astype("str")), by="segment", columns=["score"]
    )
    first_day = out[out["window_start"] == out["window_start"].min()]
    assert first_day["segment"].tolist() == sorted(SEGMENTS)


def test_fixed_frequency_windows(data):
    reference, log = data
    out = drift.drift_over_time(reference, log, freq="12h", columns=["score"])
    assert (out["window_start"].diff().dropna() == pd.Timedelta(hours=12)).all()
    assert out["n_current"].sum() == len(log)


def test_errors_name_the_problem(data):
    reference, log = data
    with pytest.raises(ValueError, match=r"\['decided_at'\] missing from log"):
        drift.drift_over_time(reference, log, time_col="decided_at", columns=COLUMNS)
    with pytest.raises(TypeError, match="time_col 'fico' has dtype 'float64'"):
        drift.drift_over_time(reference, log, time_col="fico", columns=["score"])
    broken = log.copy()
    broken.loc[3, "applied_at"] = pd.NaT
    with pytest.raises(ValueError, match="1 missing timestamps"):
        drift.drift_over_time(reference, broken, columns=["score"])
    broken = log.assign(segment=log["segment"].astype(object))
    broken.loc[4, "segment"] = None
    with pytest.raises(ValueError, match="segment column 'segment' has 1 missing"):
        drift.drift_over_time(reference, broken, by="segment", columns=["score"])
    with pytest.raises(ValueError, match="freq must be .* got 'M'"):
        drift.drift_over_time(reference, log, freq="M", columns=["score"])
    with pytest.raises(ValueError, match="'emp_length_years' in reference has"):
        drift.drift_over_time(reference, log, columns=["emp_length_years"])
    with pytest.raises(ValueError, match=r"\['pd_true'\] missing from reference"):
        drift.drift_over_time(reference, log, columns=["pd_true"])
    with pytest.raises(ValueError, match="log is empty"):
        drift.drift_over_time(reference, log.iloc[:0], columns=["score"])
    with pytest.raises(TypeError, match="'channel' is categorical in reference"):
        drift.drift_over_time(
            reference, log.assign(channel=1.0), columns=["channel"], nan_policy="bin"
        )
