"""lendlab and Evidently 0.7 agree on the same statistic for the same data; the adapter works.

Small frames only (Evidently is slow): one report computes every comparison.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from lendlab import drift

pytest.importorskip("evidently")

N_REF, N_CUR = 3000, 2000


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(42)

    def make(n, shift):
        return pd.DataFrame(
            {
                "fico": np.rint(rng.normal(640 + 15 * shift, 60, n)),
                "dti": rng.beta(2.78 + shift, 4.10, n) * 45,
                "term_months": rng.choice([36, 60], n, p=[0.76 - 0.1 * shift, 0.24 + 0.1 * shift]),
                "channel": pd.Series(
                    rng.choice(
                        ["web", "mobile", "broker"],
                        n,
                        p=[0.5 - 0.2 * shift, 0.3, 0.2 + 0.2 * shift],
                    ),
                    dtype="str",
                ),
                "home_ownership": pd.Categorical(
                    rng.choice(["rent", "own", "mortgage", "other"][: 3 + int(shift)], n)
                ),
            }
        )

    return make(N_REF, 0), make(N_CUR, 1)


@pytest.fixture(scope="module")
def evidently_values(frames):
    """Run one Evidently report with every method we compare against."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    ref, cur = frames
    numeric, categorical = ["fico", "dti", "term_months"], ["channel", "home_ownership"]
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    metrics = []
    for column in numeric:
        metrics += [
            ValueDrift(column=column, method=m)
            for m in ("psi", "wasserstein", "jensenshannon", "ks")
        ]
    for column in categorical:
        metrics += [
            ValueDrift(column=column, method=m) for m in ("psi", "jensenshannon", "chisquare")
        ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snapshot = Report(metrics).run(
            Dataset.from_pandas(cur, data_definition=definition),
            Dataset.from_pandas(ref, data_definition=definition),
        )
    out = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        out[(config["column"], config["method"])] = metric["value"]
    return out


@pytest.mark.parametrize("column", ["fico", "dti", "term_months", "channel", "home_ownership"])
def test_psi_equal_width_matches_evidently_psi(frames, evidently_values, column):
    ref, cur = frames
    ours = drift.psi(ref[column], cur[column], binning="equal_width")
    assert ours == pytest.approx(evidently_values[(column, "psi")], rel=1e-9)


@pytest.mark.parametrize("column", ["fico", "dti", "term_months"])
def test_normed_wasserstein_matches_evidently(frames, evidently_values, column):
    ref, cur = frames
    ours = drift.wasserstein(ref[column], cur[column], normed=True)
    assert ours == pytest.approx(evidently_values[(column, "wasserstein")], rel=1e-9)


@pytest.mark.parametrize("column", ["fico", "dti", "term_months", "channel", "home_ownership"])
def test_jensen_shannon_equal_width_matches_evidently(frames, evidently_values, column):
    ref, cur = frames
    ours = drift.jensen_shannon(ref[column], cur[column], binning="equal_width")
    assert ours == pytest.approx(evidently_values[(column, "jensenshannon")], rel=1e-9)


@pytest.mark.parametrize("column", ["fico", "dti"])
def test_ks_pvalue_matches_evidently(frames, evidently_values, column):
    ref, cur = frames
    assert drift.ks(ref[column], cur[column]).pvalue == pytest.approx(
        evidently_values[(column, "ks")], rel=1e-9, abs=1e-300
    )


def test_chi_square_pvalue_matches_evidently_without_unseen_categories(frames, evidently_values):
    ref, cur = frames
    ours = drift.chi_square(ref["channel"], cur["channel"]).pvalue
    assert ours == pytest.approx(evidently_values[("channel", "chisquare")], rel=1e-9, abs=1e-300)


def test_quantile_psi_differs_from_evidently_psi_as_documented(frames, evidently_values):
    ref, cur = frames
    assert drift.psi(ref["dti"], cur["dti"]) != pytest.approx(evidently_values[("dti", "psi")])


# ----------------------------------------------------------------------------- adapter


@pytest.fixture(scope="module")
def report(frames):
    ref, cur = frames
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return drift.evidently_drift_report(
            ref,
            cur,
            numeric_method="psi",
            categorical_method="jensen_shannon",
            method={"term_months": "wasserstein", "channel": "chi_square"},
            thresholds={"dti": 0.05},
        )


def test_adapter_runs_explicit_methods_and_types(frames, report):
    ref, cur = frames
    values = drift.evidently_drift_values(report).set_index("column")
    assert values.loc[["fico", "dti", "home_ownership"], "method"].tolist() == [
        "psi",
        "psi",
        "jensenshannon",
    ]
    # wasserstein only runs on numerical columns: term_months was not inferred as a category
    assert values.loc["term_months", "method"] == "wasserstein"
    assert values.loc["term_months", "statistic"] == pytest.approx(
        drift.wasserstein(ref["term_months"], cur["term_months"], normed=True)
    )
    assert values.loc["fico", "threshold"] == 0.25  # lendlab's PSI threshold, not Evidently's 0.1
    assert values.loc["dti", "threshold"] == 0.05
    assert values.loc["channel", "threshold"] == 0.05
    assert values.loc["fico", "statistic"] == pytest.approx(
        drift.psi(ref["fico"], cur["fico"], binning="equal_width")
    )
    assert values.loc["fico", "drifted"] == (values.loc["fico", "statistic"] >= 0.25)
    assert values.loc["channel", "drifted"] == (values.loc["channel", "statistic"] < 0.05)
    assert values["drifted"].dtype == "boolean"


def test_save_report_writes_html(report, tmp_path):
    path = drift.save_evidently_report(report, tmp_path / "reports" / "drift")
    assert path.name == "drift.html" and path.exists()
    head = path.read_text(encoding="utf-8")[:2000].lower()
    assert "<html" in head or "<!doctype html" in head
    with pytest.raises(TypeError, match="Snapshot"):
        drift.save_evidently_report({"not": "a snapshot"}, tmp_path / "x.html")
    with pytest.raises(TypeError, match="Snapshot"):
        drift.evidently_drift_values("report")


def test_adapter_errors(frames):
    ref, cur = frames
    with pytest.raises(ValueError, match=r"\['fico'\] missing from current"):
        drift.evidently_drift_report(ref, cur.drop(columns="fico"))
    with pytest.raises(ValueError, match=r"method names column\(s\) \['income'\]"):
        drift.evidently_drift_report(ref, cur, method={"income": "psi"})
    with pytest.raises(TypeError, match="'term_months' in current holds numbers stored as text"):
        drift.evidently_drift_report(ref, cur.assign(term_months=cur["term_months"].astype(str)))
    labels = cur["term_months"].map({36: "short", 60: "long"})
    with pytest.raises(TypeError, match="'term_months' is numeric in reference"):
        drift.evidently_drift_report(ref, cur.assign(term_months=labels))
