"""The challenger: gradient-boosted trees with the same predict_pd / points API as the champion.

Trees find non-linear effects and interactions a WoE scorecard cannot, but they give no
per-feature points, so they cannot produce adverse-action reasons on their own (pair them with
a scorecard in :func:`lendlab.models.decide`), and they are harder to validate (SR 11-7).

Like the scorecard it implements the model contract (:class:`lendlab.models.PDModel`) and
scikit-learn's binary-classifier API (``predict_proba``, ``predict``, ``classes_``,
``score(X, y)`` = accuracy); :meth:`Challenger.points` gives points on the champion's scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from lendlab.models._validation import (
    category_codes,
    check_features,
    check_frame,
    check_target,
    is_categorical,
    numeric_values,
    reject_numbers_as_text,
)
from lendlab.models.features import CHALLENGER_FEATURES
from lendlab.models.scaling import pd_to_score
from lendlab.validation import check_name
from lendlab.world.features import add_derived_features as add_engineered_features

__all__ = ["Challenger"]


class Challenger(ClassifierMixin, BaseEstimator):
    """Gradient-boosted challenger (:class:`~sklearn.ensemble.HistGradientBoostingClassifier`).

    Deterministic: fixed ``random_state``, no early stopping (no random validation split) and
    one OpenMP thread. One thread is also *faster* on a busy two-core machine: with two
    threads competing against other processes (xdist workers, notebooks), fitting was 5-15x
    slower in our measurements. Missing values are handled natively by the trees;
    text/category/bool columns are treated as categories.

    Parameters
    ----------
    features : list of str, optional
        Columns to use. Default: :data:`lendlab.models.features.CHALLENGER_FEATURES`, the
        champion's features plus the acquisition channel and engineered affordability and
        income-verification features (computed from the raw columns when absent).
    max_iter : int, default 200
        Boosting rounds.
    learning_rate : float, default 0.05
    max_leaf_nodes : int, default 15
    min_samples_leaf : int, default 100
        Fairly large leaves: credit outcomes are noisy and small leaves overfit. (7 leaves
        of >= 300 loans scored 0.002 higher AUC on 50k loans but leaves a tree with almost
        no splits on a few hundred loans, as in small lab runs.)
    random_state : int, default 0
    pdo, base_score, base_odds : float
        Points scaling used by :meth:`points` (see :mod:`lendlab.models.scaling`).
    version : str, default "challenger-dev"
        The name the scoring service reports and the decision log records, e.g.
        ``"challenger-2025.1"``; no spaces.

    Attributes
    ----------
    features_ : tuple of str
    classes_ : numpy.ndarray
        ``[0, 1]``: good, bad.
    n_features_in_ : int
        Number of features the model reads (X may hold more columns).
    feature_names_in_ : numpy.ndarray of str
    model_ : sklearn.ensemble.HistGradientBoostingClassifier

    Examples
    --------
    >>> from lendlab import world
    >>> book = world.generate(20_000, seed=1)
    >>> loans = book[book["approved_policy"]]
    >>> model = Challenger(max_iter=50).fit(loans, loans["defaulted"])
    >>> p = model.predict_pd(loans)
    >>> bool(p.between(0, 1).all()), len(p) == len(loans)
    (True, True)
    """

    def __init__(
        self,
        features: Sequence[str] | None = None,
        *,
        max_iter: int = 200,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 100,
        random_state: int = 0,
        pdo: float = 20.0,
        base_score: float = 600.0,
        base_odds: float = 50.0,
        version: str = "challenger-dev",
    ) -> None:
        self.features = features
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.random_state = random_state
        self.pdo = pdo
        self.base_score = base_score
        self.base_odds = base_odds
        self.version = version

    def __sklearn_tags__(self):  # noqa: D105 - scikit-learn's estimator tags
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # the trees route missing values
        tags.input_tags.string = True  # text columns are categories
        tags.input_tags.categorical = True
        tags.classifier_tags.multi_class = False  # 0 = good, 1 = bad
        return tags

    def _inputs(self, X: pd.DataFrame, where: str) -> pd.DataFrame:
        """Model-ready columns: floats for numbers, fixed categories for the rest."""
        columns = {}
        for feature in self.features_:
            series = X[feature]
            if feature in self.categories_:
                if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
                    series.dtype
                ):
                    raise TypeError(
                        f"{where}: column {feature!r} held categories when the model was fitted "
                        f"but now has numeric dtype {series.dtype}; pass the original values."
                    )
                # unseen values become missing, which the trees route like training NaNs
                cats = self.categories_[feature]
                columns[feature] = pd.Categorical.from_codes(
                    category_codes(series, cats), categories=pd.Index(cats, dtype=object)
                )
            else:
                columns[feature] = numeric_values(series, where)
        return pd.DataFrame(columns, index=X.index)

    def fit(self, X: pd.DataFrame, y: Any) -> Challenger:
        """Fit the boosted trees on training applications.

        Parameters
        ----------
        X : pandas.DataFrame
            Training applications holding every feature column.
        y : array-like of {0, 1}
            1 = bad, 0 = good; both classes needed.

        Returns
        -------
        Challenger
            The fitted model (self).

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"fico": [600, 620, 700, 720] * 50})
        >>> Challenger(features=["fico"], max_iter=5, min_samples_leaf=5).fit(
        ...     X, [1, 0, 0, 0] * 50).features_
        ('fico',)
        """
        if self.features is None:
            features = CHALLENGER_FEATURES
        else:
            features = check_features(self.features)
        check_frame(X, (), "Challenger.fit")  # a DataFrame before deriving columns
        X = add_engineered_features(X, features)
        X = check_frame(X, features, "Challenger.fit")
        labels = check_target(y, X)
        check_name(self.version, "version")
        self.features_ = features
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = len(features)
        self.feature_names_in_ = np.asarray(features, dtype=object)
        self.categories_ = {}
        for feature in features:
            if is_categorical(X[feature]):
                reject_numbers_as_text(X[feature], "Challenger.fit")
                present = X[feature].dropna()
                if isinstance(present.dtype, pd.CategoricalDtype):
                    cats = [c for c in present.cat.categories if (present == c).any()]
                else:
                    cats = sorted(present.astype(object).unique().tolist(), key=str)
                self.categories_[feature] = cats
        inputs = self._inputs(X, "Challenger.fit")
        self.model_ = HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            early_stopping=False,
            categorical_features="from_dtype",
            random_state=self.random_state,
        )
        with threadpool_limits(limits=1):
            self.model_.fit(inputs, labels)
        return self

    def predict_pd(self, X: pd.DataFrame) -> pd.Series:
        """Probability of default per application (higher = riskier).

        Parameters
        ----------
        X : pandas.DataFrame
            Applications holding every feature column.

        Returns
        -------
        pandas.Series of float
            Same index as ``X``.

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"fico": [600, 620, 700, 720] * 50})
        >>> m = Challenger(features=["fico"], max_iter=5, min_samples_leaf=5)
        >>> p = m.fit(X, [1, 0, 0, 0] * 50).predict_pd(X)
        >>> bool(p.iloc[0] > p.iloc[3])
        True
        """
        check_is_fitted(self, "model_")
        check_frame(X, (), "Challenger.predict_pd")  # a DataFrame before deriving columns
        X = add_engineered_features(X, self.features_)
        X = check_frame(X, self.features_, "Challenger.predict_pd")
        inputs = self._inputs(X, "Challenger.predict_pd")
        with threadpool_limits(limits=1):
            proba = self.model_.predict_proba(inputs)[:, 1]
        return pd.Series(proba, index=X.index, name="pd")

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """scikit-learn's class probabilities: column 0 good, column 1 bad (the PD).

        Parameters
        ----------
        X : pandas.DataFrame
            Applications holding every feature column.

        Returns
        -------
        numpy.ndarray of shape (n, 2)

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"fico": [600, 620, 700, 720] * 50})
        >>> m = Challenger(features=["fico"], max_iter=5, min_samples_leaf=5)
        >>> m.fit(X, [1, 0, 0, 0] * 50).predict_proba(X).shape
        (200, 2)
        """
        p = self.predict_pd(X).to_numpy()
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """scikit-learn's predicted class: 1 (bad) where the PD is above 0.5, else 0 (good).

        A lender decides at its own cutoff, not at 0.5: use :func:`lendlab.models.decide`.

        Parameters
        ----------
        X : pandas.DataFrame
            Applications holding every feature column.

        Returns
        -------
        numpy.ndarray of int, shape (n,)

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"fico": [600, 620, 700, 720] * 50})
        >>> m = Challenger(features=["fico"], max_iter=5, min_samples_leaf=5)
        >>> m = m.fit(X, [1, 0, 0, 0] * 50)
        >>> m.predict(X)[:4].tolist()  # even fico 600 has a PD below 0.5
        [0, 0, 0, 0]
        >>> bool(m.predict_pd(X).iloc[0] > m.predict_pd(X).iloc[3])
        True
        """
        proba = self.predict_proba(X)  # raises NotFittedError before fit
        return self.classes_[np.argmax(proba, axis=1)]

    def points(self, X: pd.DataFrame) -> pd.Series:
        """Points per application on the champion's scale (higher = safer).

        (Formerly ``score(X)``; ``score(X, y)`` is now scikit-learn's accuracy.)

        Parameters
        ----------
        X : pandas.DataFrame
            Applications holding every feature column.

        Returns
        -------
        pandas.Series of float

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"fico": [600, 620, 700, 720] * 50})
        >>> m = Challenger(features=["fico"], max_iter=5, min_samples_leaf=5)
        >>> s = m.fit(X, [1, 0, 0, 0] * 50).points(X)
        >>> bool(s.iloc[3] > s.iloc[0])
        True
        """
        # Trees can put a leaf at PD 0 or 1 exactly; clip so every applicant gets finite points.
        p = np.clip(self.predict_pd(X).to_numpy(), 1e-12, 1 - 1e-12)
        points = pd_to_score(p, pdo=self.pdo, base_score=self.base_score, base_odds=self.base_odds)
        return pd.Series(points, index=X.index, name="points")
