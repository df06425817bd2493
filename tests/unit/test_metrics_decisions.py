"""Decision metrics: cutoff conventions, threshold table vs a naive loop, edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lendlab import metrics


def test_cutoff_convention_pd_below_cutoff_is_approved():
    # a PD exactly at the cutoff is declined
    assert metrics.approve([0.1, 0.2, 0.3], cutoff=0.2).tolist() == [True, False, False]
    # points: a score exactly at the cutoff is approved
    assert metrics.approve([590, 600, 610], cutoff=600, higher_is_riskier=False).tolist() == [
        False,
        True,
        True,
    ]


def test_points_cutoff_may_exceed_one_but_pd_cutoff_may_not():
    assert metrics.approval_rate([580, 640], cutoff=600, higher_is_riskier=False) == 0.5
    with pytest.raises(ValueError, match="higher_is_riskier=False"):
        metrics.approval_rate([580, 640], cutoff=600)
    with pytest.raises(ValueError, match="higher_is_riskier=False"):
        metrics.approval_rate([580, 640], cutoff=0.2)  # points given as PDs


def test_confusion_names_follow_lending_words():
    y = [0, 1, 0, 1, 1]
    p = [0.05, 0.10, 0.50, 0.70, 0.90]
    got = metrics.decision_confusion(y, p, cutoff=0.2)
    assert got["approved_bad"] == 1  # the 0.10 that went bad
    assert got["declined_good"] == 1  # the 0.50 that would have repaid
    assert got["approved_good"] == 1 and got["declined_bad"] == 2
    assert list(got.index) == ["approved_good", "approved_bad", "declined_good", "declined_bad"]


def test_undefined_rates_raise_instead_of_nan():
    with pytest.raises(ValueError, match="No application is approved at cutoff=0.0"):
        metrics.bad_rate_among_approved([0, 1], [0.1, 0.4], cutoff=0.0)
    with pytest.raises(ValueError, match="Nothing is declined"):
        metrics.decline_precision([0, 1], [0.1, 0.4], cutoff=1.0)
    with pytest.raises(ValueError, match="no bad"):
        metrics.decline_recall([0, 0], [0.1, 0.4], cutoff=0.2)
    with pytest.raises(ValueError, match="no good"):
        metrics.false_decline_rate([1, 1], [0.1, 0.4], cutoff=0.2)


def _naive_threshold_table(y, p, cutoffs, amount, lgd, margin):
    rows = []
    for c in cutoffs:
        ok = p < c
        bads = ok & (y == 1)
        goods = ok & (y == 0)
        rows.append(
            {
                "cutoff": c,
                "n_approved": int(ok.sum()),
                "approval_rate": ok.mean(),
                "bad_rate_approved": y[ok].mean() if ok.any() else np.nan,
                "approved_bad": int(bads.sum()),
                "declined_good": int(((~ok) & (y == 0)).sum()),
                "expected_loss": float((p[ok] * lgd * amount[ok]).sum()),
                "realized_loss": float((lgd * amount[bads]).sum()),
                "profit": float(margin * amount[goods].sum() - lgd * amount[bads].sum()),
            }
        )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("with_amount", [False, True])
def test_threshold_table_matches_naive_loop(seed, with_amount):
    rng = np.random.default_rng(seed)
    n = 2_000
    p = np.round(rng.beta(2, 6, n), 2)  # many ties, some exactly on a cutoff
    y = (rng.random(n) < p).astype(int)
    amount = rng.lognormal(np.log(12_000), 0.6, n) if with_amount else np.ones(n)
    cutoffs = [0.0, 0.1, 0.2, 0.05, 0.33, 0.5, 1.0]  # unsorted on purpose
    got = metrics.threshold_table(
        y, p, cutoffs=cutoffs, loan_amount=amount if with_amount else None, lgd=0.55, margin=0.12
    )
    want = _naive_threshold_table(y, p, cutoffs, amount, 0.55, 0.12)
    pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-9)


def test_threshold_table_defaults_and_breakeven():
    rng = np.random.default_rng(5)
    p = rng.beta(2, 6, 50_000)
    y = (rng.random(p.size) < p).astype(int)
    table = metrics.threshold_table(y, p)
    assert table["cutoff"].tolist() == pytest.approx([0.05 * k for k in range(1, 11)])
    assert table["approval_rate"].is_monotonic_increasing
    # with calibrated PDs profit peaks near margin / (margin + lgd) = 0.2
    best = table.loc[table["profit"].idxmax(), "cutoff"]
    assert best == pytest.approx(0.2)
    # calibrated PDs: expected loss tracks realized loss (where there are enough bads to count)
    big = table["approved_bad"] > 300
    np.testing.assert_allclose(
        table.loc[big, "expected_loss"], table.loc[big, "realized_loss"], rtol=0.05
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"cutoffs": [0.2, 620]}, ValueError, "PD cutoffs in"),
        ({"cutoffs": []}, ValueError, "cutoffs is empty"),
        ({"lgd": 1.2}, ValueError, r"lgd=1.2 must be in \[0, 1\]"),
        ({"margin": -0.1}, ValueError, "margin=-0.1"),
        ({"loan_amount": [1_000, -5, 10]}, ValueError, r"loan_amount must be >= 0.*\[1\]=-5"),
        ({"loan_amount": [1_000, 5]}, ValueError, "loan_amount has 2"),
    ],
)
def test_threshold_table_bad_options(kwargs, error, message):
    with pytest.raises(error, match=message):
        metrics.threshold_table([0, 1, 0], [0.1, 0.3, 0.2], **kwargs)
