"""Calibration table options, edge cases and the docstring examples of lendlab.metrics."""

from __future__ import annotations

import numpy as np
import pytest

from lendlab import metrics


def test_calibration_table_columns_and_gap_sign():
    y = [0, 0, 1, 1, 1, 1]
    p = [0.1, 0.1, 0.1, 0.9, 0.9, 0.9]
    table = metrics.calibration_table(y, p, n_bins=2, strategy="uniform")
    assert list(table.columns) == [
        "band",
        "pd_low",
        "pd_high",
        "n",
        "n_bad",
        "mean_pd",
        "bad_rate",
        "gap",
    ]
    assert table["gap"].iloc[0] == pytest.approx(1 / 3 - 0.1)  # too optimistic: positive
    assert table["gap"].iloc[1] == pytest.approx(1 - 0.9)


def test_calibration_table_drops_empty_bands_and_allows_one_class():
    table = metrics.calibration_table([0, 0, 0], [0.01, 0.02, 0.03], strategy="uniform")
    assert len(table) == 1 and table["bad_rate"].iloc[0] == 0.0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n_bins": 0}, ValueError, "n_bins=0"),
        ({"n_bins": 2.5}, TypeError, "n_bins must be an integer"),
        ({"strategy": "deciles"}, ValueError, "strategy='deciles' is not one of"),
    ],
)
def test_calibration_options_validated(kwargs, error, message):
    with pytest.raises(error, match=message):
        metrics.calibration_table([0, 1], [0.2, 0.4], **kwargs)
    with pytest.raises(error, match=message):
        metrics.expected_calibration_error([0, 1], [0.2, 0.4], **kwargs)


def test_brier_of_constant_forecast_is_p_times_one_minus_p():
    rng = np.random.default_rng(0)
    y = (rng.random(10_000) < 0.2).astype(int)
    base = y.mean()
    assert metrics.brier_score(y, np.full(y.size, base)) == pytest.approx(base * (1 - base))


def test_every_public_function_has_an_example():
    for name in metrics.__all__:
        doc = getattr(metrics, name).__doc__
        assert doc and "Examples" in doc and ">>>" in doc, name
