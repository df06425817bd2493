"""Scorecard and Challenger as scikit-learn binary classifiers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from lendlab import models, world

FEATURES = ["fico", "dti", "inquiries_6m", "term_months"]


@pytest.fixture(scope="module")
def loans() -> pd.DataFrame:
    book = world.generate(30_000, seed=7)
    return book[book["approved_policy"]].iloc[:8_000]


def _make(kind: str, **kwargs):
    if kind == "Scorecard":
        return models.Scorecard(FEATURES, **kwargs)
    return models.Challenger(FEATURES, max_iter=20, **kwargs)


KINDS = ["Scorecard", "Challenger"]


@pytest.mark.parametrize("kind", KINDS)
def test_cross_val_score_roc_auc(kind, loans):
    scores = cross_val_score(_make(kind), loans, loans["defaulted"], cv=3, scoring="roc_auc")
    assert scores.shape == (3,)
    assert (scores > 0.6).all() and (scores < 0.8).all()


@pytest.mark.parametrize("kind", KINDS)
def test_classifier_api(kind, loans):
    model = _make(kind).fit(loans, loans["defaulted"])
    assert is_classifier(model)
    assert model.classes_.tolist() == [0, 1]
    assert model.n_features_in_ == len(FEATURES)
    assert model.feature_names_in_.tolist() == FEATURES
    proba = model.predict_proba(loans)
    assert isinstance(proba, np.ndarray) and proba.shape == (len(loans), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(proba[:, 1], model.predict_pd(loans).to_numpy())
    predicted = model.predict(loans)
    np.testing.assert_array_equal(predicted, (proba[:, 1] > 0.5).astype(int))
    # score(X, y) has scikit-learn's meaning: accuracy at the 0.5 threshold
    assert model.score(loans, loans["defaulted"]) == accuracy_score(loans["defaulted"], predicted)
    # points kept under their own name: higher = safer
    points = model.points(loans)
    assert points.name == "points" and points.index.equals(loans.index)
    assert np.corrcoef(points, proba[:, 1])[0, 1] < -0.9


@pytest.mark.parametrize("kind", KINDS)
def test_score_needs_labels(kind, loans):
    model = _make(kind).fit(loans, loans["defaulted"])
    with pytest.raises(TypeError, match="y"):
        model.score(loans)


@pytest.mark.parametrize("kind", KINDS)
def test_clone_and_params_round_trip(kind, loans):
    model = _make(kind, pdo=40.0, version="v-2")
    params = model.get_params()
    twin = clone(model)
    assert twin.get_params() == params
    rebuilt = type(model)(**params)
    assert rebuilt.get_params() == params
    twin.set_params(pdo=25.0, version="v-3")
    assert twin.pdo == 25.0 and twin.version == "v-3" and model.pdo == 40.0
    # no work in __init__: bad values are only refused at fit
    bad = type(model)(**{**params, "version": "has spaces"})
    with pytest.raises(ValueError, match="version"):
        bad.fit(loans, loans["defaulted"])


@pytest.mark.parametrize("kind", KINDS)
def test_unfitted_raises_not_fitted(kind, loans):
    model = _make(kind)
    for method in (model.predict, model.predict_proba, model.predict_pd, model.points):
        with pytest.raises(NotFittedError):
            method(loans)


def test_grid_search_over_a_scorecard(loans):
    search = GridSearchCV(
        models.Scorecard(FEATURES), {"n_bins": [4, 10]}, cv=2, scoring="roc_auc"
    ).fit(loans, loans["defaulted"])
    assert search.best_params_["n_bins"] in (4, 10)
    assert search.best_estimator_.predict_proba(loans).shape == (len(loans), 2)


# -- scikit-learn's own estimator checks ------------------------------------------------------
#: The models read a DataFrame of named application columns and refuse numpy arrays on
#: purpose (columns by position are how a reordered feed silently scores garbage). These
#: checks fit or predict on numpy arrays, so they cannot apply; every other check must pass.
_NEEDS_NUMPY_INPUT = (
    "check_fit_score_takes_y",
    "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters",
    "check_estimators_fit_returns_self",
    "check_readonly_memmap_input",
    "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit",
    "check_estimators_dtypes",
    "check_complex_data",
    "check_dtype_object",
    "check_estimators_empty_data_messages",
    "check_pipeline_consistency",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_classifier_data_not_an_array",
    "check_classifiers_one_label",
    "check_classifiers_classes",
    "check_classifiers_train",
    "check_classifiers_regression_target",
    "check_supervised_y_no_nan",
    "check_supervised_y_2d",
    "check_classifier_not_supporting_multiclass",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_fit2d_1sample",
    "check_fit2d_1feature",
    "check_dict_unchanged",
    "check_fit_idempotent",
    "check_fit_check_is_fitted",
    "check_n_features_in",
    "check_fit1d",
    "check_fit2d_predict1d",
    "check_requires_y_none",
)
_SPARSE = (
    "check_estimator_sparse_tag",
    "check_estimator_sparse_array",
    "check_estimator_sparse_matrix",
)


def _expected_failed_checks(estimator) -> dict[str, str]:
    failed = {
        name: "takes a DataFrame of named application columns; this check passes a numpy array"
        for name in _NEEDS_NUMPY_INPUT
    }
    failed.update(
        {
            name: "takes a DataFrame of named application columns; this check passes a sparse "
            "matrix (and expects sklearn's own sparse error message)"
            for name in _SPARSE
        }
    )
    if isinstance(estimator, models.Challenger):
        failed["check_non_transformer_estimators_n_iter"] = (
            "fits on a numpy array to read n_iter_; the challenger takes a DataFrame"
        )
    return failed


@parametrize_with_checks(
    [models.Scorecard(["x0"]), models.Challenger(["x0"], max_iter=5)],
    expected_failed_checks=_expected_failed_checks,
    xfail_strict=True,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_the_input_checks_fail_for_the_stated_reason():
    """The checks listed above fail because numpy is refused, not because of something else."""
    X, y = np.random.default_rng(0).normal(size=(40, 1)), np.tile([0, 1], 20)
    for model in (models.Scorecard(["x0"]), models.Challenger(["x0"], max_iter=5)):
        with pytest.raises(TypeError, match="must be a pandas DataFrame"):
            model.fit(X, y)
        frame = pd.DataFrame(X, columns=["x0"])
        assert model.fit(frame, y).predict_proba(frame).shape == (40, 2)
