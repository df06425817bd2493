"""drift_table and ReferenceProfile: one row per column, reused bins, clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lendlab.drift._parallel as parallel_module
from lendlab import drift


def applications(n: int, *, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "applied_at": pd.Timestamp("2025-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 86_400 * 30, n), unit="s"),
            "fico": np.clip(np.rint(rng.normal(640 - 40 * shift, 60, n)), 300, 850).astype(int),
            "dti": rng.beta(2.78, 4.10, n) * 45,
            "term_months": rng.choice([36, 60], n, p=[0.76, 0.24]),
            "channel": pd.Categorical(
                rng.choice(
                    ["web", "mobile", "broker"], n, p=[0.5 - 0.3 * shift, 0.3, 0.2 + 0.3 * shift]
                )
            ),
            "home_ownership": pd.Series(rng.choice(["rent", "own", "mortgage"], n), dtype="str"),
            "approved_policy": rng.random(n) < 0.6,
        }
    )


@pytest.fixture(scope="module")
def frames():
    return applications(6000, seed=0), applications(4000, seed=1, shift=1.0)


def test_default_table_is_psi_everywhere(frames):
    ref, cur = frames
    table = drift.drift_table(ref, cur)
    assert list(table.columns) == [
        "column",
        "kind",
        "method",
        "statistic",
        "threshold",
        "drifted",
        "severity",
    ]
    # datetimes are skipped by default; every other column gets a row, in frame order
    assert table["column"].tolist() == [
        "fico",
        "dti",
        "term_months",
        "channel",
        "home_ownership",
        "approved_policy",
    ]
    assert table["kind"].tolist() == [
        "numeric",
        "numeric",
        "numeric",
        "categorical",
        "categorical",
        "categorical",
    ]
    assert set(table["method"]) == {"psi"} and set(table["threshold"]) == {0.25}
    for row in table.itertuples():
        assert row.statistic == pytest.approx(drift.psi(ref[row.column], cur[row.column]))
        assert row.drifted == (row.statistic >= 0.25)
    by_column = table.set_index("column")
    assert by_column.loc["fico", "severity"] == "significant"
    assert by_column.loc["dti", "severity"] == "stable"


def test_severity_bands():
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"x": rng.normal(size=20_000)})
    moderate = drift.drift_table(ref, pd.DataFrame({"x": rng.normal(0.4, 1, 20_000)}))
    assert 0.1 <= moderate.loc[0, "statistic"] < 0.25
    assert moderate.loc[0, "severity"] == "moderate" and not moderate.loc[0, "drifted"]


def test_methods_thresholds_and_p_values(frames):
    ref, cur = frames
    table = drift.drift_table(
        ref,
        cur,
        columns=["fico", "dti", "channel"],
        method={"fico": "ks", "dti": "wasserstein", "channel": "chisquare"},
        thresholds={"dti": 0.5},
    )
    rows = table.set_index("column")
    assert "p_value" in table.columns
    ks = drift.ks(ref["fico"], cur["fico"])
    assert rows.loc["fico", "statistic"] == pytest.approx(ks.statistic)
    assert rows.loc["fico", "p_value"] == pytest.approx(ks.pvalue)
    assert rows.loc["fico", "drifted"] == (ks.pvalue < 0.05)
    assert rows.loc["dti", "statistic"] == pytest.approx(
        drift.wasserstein(ref["dti"], cur["dti"], normed=True)
    )
    assert rows.loc["dti", "threshold"] == 0.5
    chi = drift.chi_square(ref["channel"], cur["channel"])
    assert rows.loc["channel", "p_value"] == pytest.approx(chi.pvalue)
    assert rows.loc["channel", "method"] == "chi_square"
    js = drift.drift_table(ref, cur, columns=["dti", "channel"], method="jensen_shannon")
    assert js.loc[1, "statistic"] == pytest.approx(
        drift.jensen_shannon(ref["channel"], cur["channel"])
    )
    assert "p_value" not in js.columns


def test_profile_is_prepared_once_and_reused(frames):
    ref, cur = frames
    profile = drift.prepare_reference(ref, columns=["fico", "channel"])
    before = {c: profile.bins[c].reference_counts.copy() for c in profile.columns}
    first = profile.compare(cur)
    second = drift.drift_table(profile, cur.sample(frac=1, random_state=3))
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(first, drift.drift_table(ref, cur, columns=["fico", "channel"]))
    for c in profile.columns:  # comparing does not touch the reference counts
        np.testing.assert_array_equal(profile.bins[c].reference_counts, before[c])


def test_threaded_and_serial_paths_agree(frames, monkeypatch):
    ref, cur = frames
    serial = drift.drift_table(ref, cur)
    monkeypatch.setattr(parallel_module, "_PARALLEL_MIN_CELLS", 1)
    monkeypatch.setattr(parallel_module, "_workers", lambda: 2)
    pd.testing.assert_frame_equal(drift.drift_table(ref, cur), serial)


def test_bin_table_contributions_sum_to_psi(frames):
    ref, cur = frames
    profile = drift.prepare_reference(ref)
    for column in ("fico", "channel"):
        bins = profile.bin_table(column, cur)
        assert bins["psi_contribution"].sum() == pytest.approx(drift.psi(ref[column], cur[column]))
        assert bins["reference_count"].sum() == len(ref)
    assert list(profile.bin_table("dti").columns) == ["bin", "reference_count", "reference_share"]


def test_missing_column_is_named(frames):
    ref, cur = frames
    with pytest.raises(ValueError, match=r"\['fico'\] missing from current"):
        drift.drift_table(ref, cur.drop(columns="fico"))
    with pytest.raises(ValueError, match=r"\['score'\] missing from reference"):
        drift.drift_table(ref, cur, columns=["score"])
    profile = drift.prepare_reference(ref, columns=["dti"])
    with pytest.raises(ValueError, match="'fico' is not in this reference profile"):
        profile.compare(cur, columns=["fico"])


def test_bad_methods_and_kinds(frames):
    ref, cur = frames
    with pytest.raises(TypeError, match="'ks' does not apply to categorical column 'channel'"):
        drift.drift_table(ref, cur, columns=["fico", "channel"], method="ks")
    with pytest.raises(ValueError, match="unknown drift method 'kl' for column 'fico'"):
        drift.drift_table(ref, cur, method={"fico": "kl"})
    with pytest.raises(ValueError, match=r"method names column\(s\) \['income'\]"):
        drift.drift_table(ref, cur, method={"income": "psi"})
    with pytest.raises(TypeError, match="threshold for column 'fico' .* got 'high'"):
        drift.drift_table(ref, cur, thresholds={"fico": "high"})
    with pytest.raises(ValueError, match="threshold for column 'fico' .* got -0.1"):
        drift.drift_table(ref, cur, thresholds=-0.1)
    as_text = cur.assign(term_months=cur["term_months"].astype(str))
    with pytest.raises(TypeError, match="'term_months' in current holds numbers stored as text"):
        drift.drift_table(ref, as_text)
    swapped = cur.assign(term_months=cur["term_months"].map({36: "short", 60: "long"}))
    with pytest.raises(TypeError, match="'term_months' is numeric in reference"):
        drift.drift_table(ref, swapped)
    with pytest.raises(ValueError, match="current is empty"):
        drift.drift_table(ref, cur.iloc[:0])
    with pytest.raises(TypeError, match="reference must be a pandas DataFrame"):
        drift.drift_table(ref["fico"], cur)
    with pytest.raises(TypeError, match="has dtype 'datetime64"):
        drift.drift_table(ref, cur, columns=["applied_at"])


def test_nan_policy_in_the_table():
    values = [1.0, 2.0, 3.0, 4.0] * 50
    ref = pd.DataFrame({"emp_length_years": values + [np.nan] * 10})
    cur = pd.DataFrame({"emp_length_years": values + [np.nan] * 100})
    with pytest.raises(ValueError, match="'emp_length_years' in reference has 10 NaN"):
        drift.drift_table(ref, cur)
    binned = drift.drift_table(ref, cur, nan_policy="bin")
    assert binned.loc[0, "statistic"] == pytest.approx(
        drift.psi(ref["emp_length_years"], cur["emp_length_years"], nan_policy="bin")
    )
    # only the missing rate moved: invisible when NaNs are omitted, drift when binned
    assert drift.drift_table(ref, cur, nan_policy="omit").loc[0, "statistic"] == 0.0
    assert binned.loc[0, "statistic"] > 0.1
