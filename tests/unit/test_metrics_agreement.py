"""lendlab.metrics agrees with scikit-learn / scipy on data this repo did not generate."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.calibration import calibration_curve
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from lendlab import metrics


def _breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    X, target = load_breast_cancer(return_X_y=True)
    y = 1 - target  # malignant plays "bad"
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, random_state=0, stratify=y
    )
    # weak regularisation is not the point; a deliberately imperfect model keeps AUC < 1
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.01)).fit(X_train[:, :3], y_train)
    return y_test, model.predict_proba(X_test[:, :3])[:, 1]


def _random_sample(seed: int = 7, n: int = 3_000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.beta(2, 6, n)
    y = (rng.random(n) < p).astype(int)
    return y, p


DATASETS = {"breast_cancer": _breast_cancer, "random": _random_sample}


@pytest.fixture(params=sorted(DATASETS), scope="module")
def sample(request: pytest.FixtureRequest) -> tuple[np.ndarray, np.ndarray]:
    y, p = DATASETS[request.param]()
    assert 0 < y.mean() < 1 and 0.5 < roc_auc_score(y, p) < 1
    return y, p


def test_ranking_metrics_match_sklearn(sample):
    y, p = sample
    assert metrics.roc_auc(y, p) == pytest.approx(roc_auc_score(y, p))
    assert metrics.gini(y, p) == pytest.approx(2 * roc_auc_score(y, p) - 1)
    assert metrics.pr_auc(y, p) == pytest.approx(average_precision_score(y, p))


def test_ks_matches_scipy_and_roc_curve(sample):
    y, p = sample
    ks = metrics.ks_statistic(y, p)
    assert ks == pytest.approx(stats.ks_2samp(p[y == 1], p[y == 0]).statistic)
    fpr, tpr, _ = roc_curve(y, p)
    assert ks == pytest.approx(np.max(tpr - fpr))


def test_points_score_direction_is_flipped(sample):
    y, p = sample
    points = 600 - 50 * np.log(p / (1 - p))  # higher = safer
    assert metrics.roc_auc(y, points, higher_is_riskier=False) == pytest.approx(
        metrics.roc_auc(y, p)
    )
    assert metrics.roc_auc(y, points) == pytest.approx(1 - metrics.roc_auc(y, p))
    assert metrics.ks_statistic(y, points, higher_is_riskier=False) == pytest.approx(
        metrics.ks_statistic(y, p)
    )


@pytest.mark.parametrize("cutoff", [0.1, 0.25, 0.5, 0.8])
def test_decision_metrics_match_sklearn(sample, cutoff):
    y, p = sample
    declined = (p >= cutoff).astype(int)
    (tn, fp), (fn, tp) = confusion_matrix(y, declined)
    got = metrics.decision_confusion(y, p, cutoff=cutoff)
    assert got.to_dict() == {
        "approved_good": tn,
        "approved_bad": fn,
        "declined_good": fp,
        "declined_bad": tp,
    }
    assert got.sum() == len(y)
    assert metrics.approval_rate(p, cutoff=cutoff) == pytest.approx(1 - declined.mean())
    if declined.any():
        assert metrics.decline_precision(y, p, cutoff=cutoff) == pytest.approx(
            precision_score(y, declined)
        )
    assert metrics.decline_recall(y, p, cutoff=cutoff) == pytest.approx(recall_score(y, declined))
    assert metrics.false_decline_rate(y, p, cutoff=cutoff) == pytest.approx(fp / (fp + tn))
    if (1 - declined).any():
        assert metrics.bad_rate_among_approved(y, p, cutoff=cutoff) == pytest.approx(fn / (fn + tn))


def test_calibration_matches_calibration_curve(sample):
    y, p = sample
    for strategy in ("quantile", "uniform"):
        for n_bins in (1, 5, 10, 20):
            prob_true, prob_pred = calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
            table = metrics.calibration_table(y, p, n_bins=n_bins, strategy=strategy)
            np.testing.assert_allclose(table["bad_rate"], prob_true)
            np.testing.assert_allclose(table["mean_pd"], prob_pred)
            assert table["n"].sum() == len(y)
    assert metrics.brier_score(y, p) == pytest.approx(brier_score_loss(y, p))


def _naive_ece(y, p, n_bins):
    edges = np.linspace(0, 1, n_bins + 1)
    total = 0.0
    for b in range(n_bins):
        lo, hi = edges[b], edges[b + 1]
        in_bin = (p <= hi) & (p > lo) if b > 0 else (p <= hi)
        if b == n_bins - 1:
            in_bin = p > lo
        if in_bin.any():
            total += in_bin.mean() * abs(y[in_bin].mean() - p[in_bin].mean())
    return total


@pytest.mark.parametrize("n_bins", [1, 4, 10, 15])
def test_expected_calibration_error_matches_naive_loop(sample, n_bins):
    y, p = sample
    assert metrics.expected_calibration_error(y, p, n_bins=n_bins) == pytest.approx(
        _naive_ece(y, p, n_bins)
    )


def test_ece_near_zero_for_calibrated_and_large_for_shifted():
    y, p = _random_sample(seed=11, n=50_000)
    assert metrics.expected_calibration_error(y, p) < 0.01
    shifted = np.clip(p + 0.1, 0, 1)
    assert metrics.expected_calibration_error(y, shifted) == pytest.approx(0.1, abs=0.01)
