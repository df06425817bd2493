"""The champion: a points scorecard (quantile bins -> weight of evidence -> logistic regression).

How it is built, step by step, the way credit-risk teams build one:

1. **Bin** each feature on the training data. Numbers get quantile bins (edges are observed
   values rounded to four significant digits so a points table reads well), then adjacent
   bins are merged until the bad rate rises or falls monotonically with the value ("coarse
   classing"; ``monotone=False`` to skip). Text/category/bool columns get one bin per value.
   Missing values always get their own bin. Values outside the training range fall in the
   end bins.
2. **Weight of evidence** per bin: ``WoE = ln(share of all goods in the bin / share of all
   bads in the bin)``, with 0.5 added to each count so a bin without bads stays finite.
   Positive WoE = safer than average. A bin that had no training rows (e.g. missing values
   that never occurred in training, or a category never seen) gets WoE 0: the average
   applicant. That is why a feed that suddenly sends nulls squeezes scores to the middle.
3. **Information value** per feature: ``IV = sum((share of goods - share of bads) * WoE)``.
   Rule of thumb: < 0.02 useless, 0.02-0.1 weak, 0.1-0.3 medium, 0.3-0.5 strong, > 0.5
   suspicious (too good: check for leakage).
4. **Logistic regression** of bad (1) on the WoE columns.
5. **Points** with the PDO convention (:mod:`lendlab.models.scaling`):
   ``score = offset + factor * ln(good:bad odds)``, 600 points at 50:1 odds and 20 points to
   double the odds by default. The intercept and offset are spread evenly over the features,
   so an applicant's score is exactly the sum of their bins' points, and
   ``predict_pd`` is exactly ``1 / (1 + exp((score - offset) / factor))``.

Labels: ``fit`` uses whatever 0/1 outcome you give it (1 = bad). The lab convention is to fit
on approved loans only (the only ones with outcomes) with either the truth ``defaulted`` or a
matured observed label from :func:`lendlab.world.observed` (``bad_in_window``), and to
measure AUC on a holdout of approved loans against ``defaulted``.

scikit-learn: :class:`Scorecard` is a binary classifier (classes 0 = good, 1 = bad):
``predict_proba(X)[:, 1]`` is the PD, ``predict`` says "bad" when the PD is above 0.5 and
``score(X, y)`` is scikit-learn's accuracy; so ``clone``, ``cross_val_score(Scorecard(), X, y,
scoring="roc_auc")`` and grid searches work. A lender decides at its own cutoff, not at 0.5:
use :func:`lendlab.models.decide` or :func:`lendlab.metrics.approve` for decisions, and
:meth:`Scorecard.points` for the scorecard points (higher = safer).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.isotonic import isotonic_regression
from sklearn.linear_model import LogisticRegression
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
from lendlab.models.scaling import points_scaling
from lendlab.validation import check_name
from lendlab.world.schema import FEATURES

__all__ = ["Scorecard"]

_SMOOTHING = 0.5  # added to good and bad counts per bin, so WoE stays finite
MISSING = "missing"
OTHER = "other (unseen)"


def _round_sig(values: np.ndarray, digits: int = 4) -> np.ndarray:
    out = values.astype(float).copy()
    nonzero = out != 0
    magnitude = np.floor(np.log10(np.abs(out[nonzero])))
    scale = 10.0 ** (digits - 1 - magnitude)
    out[nonzero] = np.round(out[nonzero] * scale) / scale
    return out


def _fmt(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _monotone_cuts(cuts: np.ndarray, values: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Merge adjacent bins until the bad rate only rises (or only falls) with the value.

    "Coarse classing": pool-adjacent-violators (isotonic regression) on the bins' bad rates,
    weighted by bin size, in whichever direction fits better; a cut survives only where the
    pooled bad rate changes. Monotone points are easier to defend to model validation, and
    they keep adverse-action reasons pointing one way (e.g. "income too low", never "too
    high" because of a noisy bin).
    """
    present = ~np.isnan(values)
    bins = np.searchsorted(cuts, values[present], side="left")
    n = np.bincount(bins, minlength=cuts.size + 1).astype(float)
    rate = np.bincount(bins, weights=y[present], minlength=cuts.size + 1) / np.maximum(n, 1)
    fits = [isotonic_regression(rate, sample_weight=n, increasing=up) for up in (True, False)]
    errors = [float(np.sum(n * (rate - f) ** 2)) for f in fits]
    fitted = fits[int(np.argmin(errors))]
    keep = ~np.isclose(fitted[:-1], fitted[1:], rtol=0, atol=1e-12)
    return cuts[keep]


@dataclass
class _Bins:
    """How one feature is binned, plus its training counts and WoE per bin."""

    feature: str
    kind: str  # "numeric" or "categorical"
    cuts: np.ndarray = field(default_factory=lambda: np.empty(0))
    categories: tuple[Any, ...] = ()
    labels: list[str] = field(default_factory=list)
    n: np.ndarray = field(default_factory=lambda: np.empty(0))
    n_bad: np.ndarray = field(default_factory=lambda: np.empty(0))
    woe: np.ndarray = field(default_factory=lambda: np.empty(0))
    iv: float = 0.0

    @property
    def missing_bin(self) -> int:
        return self.labels.index(MISSING)

    def assign(self, series: pd.Series, where: str) -> np.ndarray:
        """Bin number of each value."""
        if self.kind == "numeric":
            values = numeric_values(series, where)
            bins = np.searchsorted(self.cuts, values, side="left")  # x <= cut -> lower bin
            return np.where(np.isnan(values), self.missing_bin, bins)
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
            series.dtype
        ):
            raise TypeError(
                f"{where}: column {self.feature!r} held categories when the model was fitted "
                f"but now has numeric dtype {series.dtype}; pass the original text/category "
                "values."
            )
        missing = pd.isna(series).to_numpy()
        codes = category_codes(series, self.categories)
        bins = np.where(codes >= 0, codes, self.labels.index(OTHER))
        return np.where(missing, self.missing_bin, bins)

    @classmethod
    def fit(
        cls, series: pd.Series, y: np.ndarray, n_bins: int, monotone: bool, where: str
    ) -> _Bins:
        feature = str(series.name)
        if series.isna().all():
            raise ValueError(
                f"{where}: feature {feature!r} is missing in every training row; "
                "drop it from features or fix the feed."
            )
        if is_categorical(series):
            reject_numbers_as_text(series, where)
            present = series.dropna()
            if isinstance(series.dtype, pd.CategoricalDtype):
                categories = tuple(c for c in series.cat.categories if (present == c).any())
            else:
                categories = tuple(sorted(present.astype(object).unique().tolist(), key=str))
            binning = cls(
                feature,
                "categorical",
                categories=categories,
                labels=[str(c) for c in categories] + [MISSING, OTHER],
            )
        else:
            values = numeric_values(series, where)
            present = values[~np.isnan(values)]
            # inverted_cdf: cut points are observed values (whole numbers stay whole)
            quantiles = np.quantile(
                present, np.linspace(0, 1, n_bins + 1)[1:-1], method="inverted_cdf"
            )
            cuts = np.unique(_round_sig(quantiles))
            cuts = cuts[cuts < present.max()]  # a cut at the maximum only makes an empty bin
            if monotone and cuts.size:
                cuts = _monotone_cuts(cuts, values, y)
            if cuts.size == 0:
                labels = ["all values"]
            else:
                labels = [f"<= {_fmt(cuts[0])}"]
                pairs = zip(cuts[:-1], cuts[1:], strict=True)
                labels += [f"({_fmt(lo)}, {_fmt(hi)}]" for lo, hi in pairs]
                labels += [f"> {_fmt(cuts[-1])}"]
            binning = cls(feature, "numeric", cuts=cuts, labels=labels + [MISSING])

        bins = binning.assign(series, where)
        size = len(binning.labels)
        n = np.bincount(bins, minlength=size)
        n_bad = np.bincount(bins, weights=y, minlength=size).astype(np.int64)
        n_good = n - n_bad
        share_good = (n_good + _SMOOTHING) / (n_good.sum() + _SMOOTHING * size)
        share_bad = (n_bad + _SMOOTHING) / (n_bad.sum() + _SMOOTHING * size)
        woe = np.where(n > 0, np.log(share_good / share_bad), 0.0)
        iv = float(np.sum((n_good / n_good.sum() - n_bad / n_bad.sum()) * woe))
        binning.n, binning.n_bad, binning.woe, binning.iv = n, n_bad, woe, iv
        return binning


class Scorecard(ClassifierMixin, BaseEstimator):
    """Points scorecard: quantile bins, weight of evidence, logistic regression, PDO points.

    See the module docstring for the method. ``y`` is 1 = bad, 0 = good; :meth:`points` are
    higher = safer; :meth:`predict_pd` is higher = riskier. Implements the model contract
    (:class:`lendlab.models.PDModel`) and scikit-learn's classifier API.

    Parameters
    ----------
    features : list of str, default :data:`lendlab.world.schema.FEATURES`
        Columns to use, read by name. Numeric columns get quantile bins; text/category/bool
        columns one bin per value. ``None`` means the default.
    n_bins : int, default 10
        Quantile bins per numeric feature before merging (fewer when values repeat, e.g.
        term 36/60).
    monotone : bool, default True
        Merge adjacent numeric bins until the bad rate moves one way only (coarse classing,
        see the module docstring). False keeps the raw quantile bins.
    pdo : float, default 20
        Points to double the good:bad odds.
    base_score : float, default 600
        Score at ``base_odds``.
    base_odds : float, default 50
        Good:bad odds at ``base_score``.
    C : float, default 1.0
        Inverse L2 regularisation strength of the logistic regression.
    version : str, default "scorecard-dev"
        The name the scoring service reports and the decision log records, e.g.
        ``"scorecard-2025.1"``; no spaces.

    Attributes
    ----------
    features_ : tuple of str
    classes_ : numpy.ndarray
        ``[0, 1]``: good, bad.
    n_features_in_ : int
        Number of features the model reads (X may hold more columns).
    feature_names_in_ : numpy.ndarray of str
        The features the model reads, in order.
    factor_, offset_ : float
        The PDO scaling (28.85 and 487.12 by default).
    model_ : sklearn.linear_model.LogisticRegression

    Examples
    --------
    >>> from lendlab import world
    >>> book = world.generate(20_000, seed=1)
    >>> loans = book[book["approved_policy"]]
    >>> card = Scorecard(features=["fico", "dti", "term_months"]).fit(loans, loans["defaulted"])
    >>> round(card.factor_, 2), round(card.offset_, 2)
    (28.85, 487.12)
    >>> card.information_value().index[0]
    'fico'
    >>> bool((card.points(loans) > 0).all()), bool(card.predict_pd(loans).max() < 1)
    (True, True)
    >>> card.predict_proba(loans).shape == (len(loans), 2)
    True
    """

    def __init__(
        self,
        features: Sequence[str] | None = FEATURES,
        *,
        n_bins: int = 10,
        monotone: bool = True,
        pdo: float = 20.0,
        base_score: float = 600.0,
        base_odds: float = 50.0,
        C: float = 1.0,
        version: str = "scorecard-dev",
    ) -> None:
        self.features = features
        self.n_bins = n_bins
        self.monotone = monotone
        self.pdo = pdo
        self.base_score = base_score
        self.base_odds = base_odds
        self.C = C
        self.version = version

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: Any) -> Scorecard:
        """Bin, WoE-encode and fit the logistic regression on training applications.

        Parameters
        ----------
        X : pandas.DataFrame
            Training applications holding every feature column (other columns are ignored).
        y : array-like of {0, 1}
            1 = bad, 0 = good; one per row of ``X``; both classes needed.

        Returns
        -------
        Scorecard
            The fitted scorecard (self).

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"fico": [620, 640, 700, 760, 610, 720]})
        >>> card = Scorecard(features=["fico"], n_bins=2).fit(X, [1, 0, 0, 0, 1, 0])
        >>> card.points_table()["bin"].tolist()
        ['<= 640', '> 640', 'missing']
        """
        features = self._resolve_features()
        if isinstance(self.n_bins, bool) or not isinstance(self.n_bins, (int, np.integer)):
            raise TypeError(f"n_bins must be an integer, got {self.n_bins!r}.")
        if self.n_bins < 2:
            raise ValueError(f"n_bins={self.n_bins!r} must be >= 2.")
        if not (isinstance(self.C, (int, float)) and self.C > 0):
            raise ValueError(f"C={self.C!r} must be a positive number.")
        check_name(self.version, "version")
        factor, offset = points_scaling(
            pdo=self.pdo, base_score=self.base_score, base_odds=self.base_odds
        )
        X = check_frame(X, features, "Scorecard.fit")
        labels = check_target(y, X)

        self.bins_ = [
            _Bins.fit(X[f], labels, int(self.n_bins), bool(self.monotone), "Scorecard.fit")
            for f in features
        ]
        woe = self._woe_matrix_from_bins(self._bin_matrix(X, "Scorecard.fit"))
        # One BLAS thread: the problem is tiny (n x features), and two threads competing with
        # other processes on a two-core machine made this fit 4x slower in our measurements.
        with threadpool_limits(limits=1):
            self.model_ = LogisticRegression(C=float(self.C), max_iter=1000).fit(woe, labels)
        self.features_ = features
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = len(features)
        self.feature_names_in_ = np.asarray(features, dtype=object)
        self.factor_, self.offset_ = factor, offset
        # Points per bin: -factor * (coef * woe) plus an equal share of (offset - factor * b0).
        share = (offset - factor * float(self.model_.intercept_[0])) / len(features)
        self.points_ = [
            share - factor * coef * b.woe
            for coef, b in zip(self.model_.coef_[0], self.bins_, strict=True)
        ]
        return self

    def _resolve_features(self) -> tuple[str, ...]:
        if self.features is None:
            return tuple(FEATURES)
        return check_features(self.features)

    def __sklearn_tags__(self):  # noqa: D105 - scikit-learn's estimator tags
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing values get their own bin
        tags.input_tags.string = True  # text columns are binned by value
        tags.input_tags.categorical = True
        tags.classifier_tags.multi_class = False  # 0 = good, 1 = bad
        return tags

    def _bin_matrix(self, X: pd.DataFrame, where: str) -> np.ndarray:
        return np.column_stack([b.assign(X[b.feature], where) for b in self.bins_])

    def _woe_matrix_from_bins(self, bins: np.ndarray) -> np.ndarray:
        return np.column_stack([b.woe[bins[:, j]] for j, b in enumerate(self.bins_)])

    def _checked(self, X: pd.DataFrame, where: str) -> np.ndarray:
        check_is_fitted(self, "points_")
        X = check_frame(X, self.features_, where)
        return self._bin_matrix(X, where)

    # -- scoring -----------------------------------------------------------------------------
    def feature_points(self, X: pd.DataFrame) -> pd.DataFrame:
        """Points each application earns on each feature (the rows sum to :meth:`points`).

        Parameters
        ----------
        X : pandas.DataFrame
            Applications holding every feature column.

        Returns
        -------
        pandas.DataFrame
            Same index as ``X``, one column per feature.

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"fico": [620, 640, 700, 760, 610, 720]})
        >>> card = Scorecard(features=["fico"], n_bins=2).fit(X, [1, 0, 0, 0, 1, 0])
        >>> bool(card.feature_points(X)["fico"].sum() == card.points(X).sum())
        True
        """
        bins = self._checked(X, "Scorecard.feature_points")
        return pd.DataFrame(
            {b.feature: self.points_[j][bins[:, j]] for j, b in enumerate(self.bins_)},
            index=X.index,
        )

    def points(self, X: pd.DataFrame) -> pd.Series:
        """Points per application: higher = safer (600 = 50:1 good:bad odds by default).

        (Formerly ``score(X)``; ``score(X, y)`` is now scikit-learn's
        accuracy.)

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
        >>> X = pd.DataFrame({"fico": [620, 640, 700, 760, 610, 720]})
        >>> card = Scorecard(features=["fico"], n_bins=2).fit(X, [1, 0, 0, 0, 1, 0])
        >>> s = card.points(X)
        >>> bool(s[2] > s[0])
        True
        """
        return self.feature_points(X).sum(axis=1).rename("points")

    def predict_pd(self, X: pd.DataFrame) -> pd.Series:
        """Probability of default per application (higher = riskier).

        Parameters
        ----------
        X : pandas.DataFrame
            Applications holding every feature column.

        Returns
        -------
        pandas.Series of float in (0, 1)
            Same index as ``X``; equals the logistic regression's probability of bad.

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"fico": [620, 640, 700, 760, 610, 720]})
        >>> card = Scorecard(features=["fico"], n_bins=2).fit(X, [1, 0, 0, 0, 1, 0])
        >>> p = card.predict_pd(X)
        >>> bool(p[0] > p[2])
        True
        """
        bins = self._checked(X, "Scorecard.feature_points")
        # points(X) in numpy, without the per-call DataFrame (the service scores one row at
        # a time): feature by feature in order, the additions DataFrame.sum(axis=1) makes,
        # so the PD is bit-for-bit the same
        total = np.vstack([self.points_[j][bins[:, j]] for j in range(len(self.bins_))]).sum(axis=0)
        log_odds_good = (total - self.offset_) / self.factor_
        return pd.Series(1.0 / (1.0 + np.exp(log_odds_good)), index=X.index, name="pd")

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """scikit-learn's class probabilities: column 0 good, column 1 bad (the PD).

        Parameters
        ----------
        X : pandas.DataFrame
            Applications holding every feature column.

        Returns
        -------
        numpy.ndarray of shape (n, 2)
            Rows sum to 1; ``[:, 1]`` equals :meth:`predict_pd`.

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"fico": [620, 640, 700, 760, 610, 720]})
        >>> card = Scorecard(features=["fico"], n_bins=2).fit(X, [1, 0, 0, 0, 1, 0])
        >>> proba = card.predict_proba(X)
        >>> proba.shape, bool((proba[:, 1] == card.predict_pd(X).to_numpy()).all())
        ((6, 2), True)
        """
        p = self.predict_pd(X).to_numpy()
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """scikit-learn's predicted class: 1 (bad) where the PD is above 0.5, else 0 (good).

        A lender decides at its own cutoff (e.g. decline when PD >= 0.2), not at 0.5: use
        :func:`lendlab.models.decide` for decisions.

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
        >>> X = pd.DataFrame({"fico": [620, 640, 700, 760, 610, 720]})
        >>> card = Scorecard(features=["fico"], n_bins=2).fit(X, [1, 0, 0, 0, 1, 0])
        >>> card.predict(X).tolist()
        [1, 1, 0, 0, 1, 0]
        """
        proba = self.predict_proba(X)  # raises NotFittedError before fit
        return self.classes_[np.argmax(proba, axis=1)]

    # -- reading the card --------------------------------------------------------------------
    def points_table(self) -> pd.DataFrame:
        """The scorecard itself: one row per feature and bin.

        Returns
        -------
        pandas.DataFrame
            Columns ``feature``, ``bin``, ``n`` (training rows), ``bad_rate`` (training; NaN
            for a bin with no training rows), ``woe`` and ``points``.

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"fico": [620, 640, 700, 760, 610, 720]})
        >>> card = Scorecard(features=["fico"], n_bins=2).fit(X, [1, 0, 0, 0, 1, 0])
        >>> card.points_table()[["bin", "n"]].to_dict("list")
        {'bin': ['<= 640', '> 640', 'missing'], 'n': [3, 3, 0]}
        """
        check_is_fitted(self, "points_")
        frames = []
        for b, points in zip(self.bins_, self.points_, strict=True):
            with np.errstate(invalid="ignore", divide="ignore"):
                bad_rate = np.where(b.n > 0, b.n_bad / np.maximum(b.n, 1), np.nan)
            frames.append(
                pd.DataFrame(
                    {
                        "feature": b.feature,
                        "bin": b.labels,
                        "n": b.n.astype(np.int64),
                        "bad_rate": bad_rate,
                        "woe": b.woe,
                        "points": points,
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def information_value(self) -> pd.Series:
        """Information value of each feature on the training data, strongest first.

        Returns
        -------
        pandas.Series
            Indexed by feature. < 0.02 useless, 0.02-0.1 weak, 0.1-0.3 medium, 0.3-0.5
            strong, > 0.5 suspicious.

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"fico": [620, 640, 700, 760, 610, 720]})
        >>> card = Scorecard(features=["fico"], n_bins=2).fit(X, [1, 0, 0, 0, 1, 0])
        >>> bool(card.information_value()["fico"] > 0)
        True
        """
        check_is_fitted(self, "points_")
        values = {b.feature: b.iv for b in self.bins_}
        return pd.Series(values, name="information_value").sort_values(
            ascending=False, kind="stable"
        )

    def _best_bins(self) -> list[int]:
        """Index of the highest-points bin of each feature among bins seen in training."""
        best = []
        for b, points in zip(self.bins_, self.points_, strict=True):
            seen = np.where(b.n > 0, points, -math.inf)
            best.append(int(np.argmax(seen)))
        return best
