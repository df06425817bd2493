"""Candidate releases to judge: real model artifacts in a registry folder, their kinds sealed.

A release train brings several model releases at once. :func:`build_candidates` trains the
champion and challenger (:func:`lendlab.serving.registry.train_models`) and writes four
release candidates beside them, each a :class:`ReleaseCandidate` saved with
:func:`lendlab.models.save_model` (sha256 sidecar, reference score bins), so that
``lendlab serve --model-dir DIR --canary rc-2025.2-b`` or ``--shadow rc-2025.2-b`` serves it:

==================  =========================================================================
kind                what it is
==================  =========================================================================
``good``            the champion scorecard refreshed: the same recipe refitted on its own
                    training year plus a fresh year of matured loans. Its decisions flip
                    near the cutoff (a refit moves every bin a little); nothing else moves.
``miscalibrated``   a gradient-boosted model with more inputs (channel, affordability,
                    verified income, returning customers): it *ranks* better than the
                    champion (higher AUC), but its log-odds are shifted down, so every PD
                    understates the risk and it approves many more applicants.
``segment_harm``    the refresh with a bug in one segment: thin-file applicants' log-odds are
                    raised, so their approvals collapse while the overall approval rate and
                    AUC barely move.
``slow``            the refresh, shipped with a feature lookup that waits ``delay_s`` on
                    every call: the same decisions as ``good``, a much worse p99.
==================  =========================================================================

Which version is which kind is drawn from the seed and held in a :class:`SealedReleases`,
whose repr does not say: the person judging the releases must do it from the evidence. Every
candidate has the same class, the same declared inputs and neutral metadata.

:func:`simulate_canary` writes what a canary arm and its baseline arm would log, for the
rollout analysis (:func:`lendlab.rollout.analyze`): the service's decision rule and reasons,
and per-request latencies built from the service's overhead plus each artifact's *measured*
per-request model time (:func:`request_latency_ms`).

Example
-------
>>> import numpy as np, pandas as pd
>>> from lendlab.models import Scorecard
>>> from lendlab import world
>>> book = world.generate(6_000, seed=1)
>>> loans = book[book["approved_policy"]]
>>> card = Scorecard(version="scorecard-x").fit(loans, loans["defaulted"])
>>> rc = ReleaseCandidate(card, version="rc-x", segment="thin_file", segment_logit_shift=1.0)
>>> rc
ReleaseCandidate(version='rc-x')
>>> p_card, p_rc = card.predict_pd(book), rc.predict_pd(book)
>>> thin = (book["segment"] == "thin_file").to_numpy()
>>> bool((p_rc[thin] > p_card[thin]).all()), bool(np.allclose(p_rc[~thin], p_card[~thin]))
(True, True)
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from lendlab.models import check_model, model_features, model_scaling
from lendlab.models.features import CHALLENGER_FEATURES
from lendlab.rollout.compare import DECISIONS, decide_vectorised
from lendlab.rollout.guardrails import Guardrails
from lendlab.validation import check_columns, check_frame, check_name, check_probability
from lendlab.world.schema import CATEGORIES, TRUTH_COLUMNS, passes_knockout

__all__ = [
    "CANARY_POLICY",
    "INTENDED",
    "KINDS",
    "RELEASE_FEATURES",
    "ReleaseCandidate",
    "SealedReleases",
    "build_candidates",
    "decision_rows",
    "request_latency_ms",
    "simulate_canary",
]

#: The kinds of release :func:`build_candidates` writes, one version each.
KINDS: tuple[str, ...] = ("good", "miscalibrated", "segment_harm", "slow")
#: What a canary analysis with enough traffic should conclude about each kind, and the
#: guardrails whose failure says why (none for the good one).
INTENDED: dict[str, tuple[str, tuple[str, ...]]] = {
    "good": ("promote", ()),
    "miscalibrated": ("rollback", ("approval_rate", "expected_bad_rate")),
    "segment_harm": ("rollback", ("segment_approval",)),
    "slow": ("rollback", ("p99_latency_ms",)),
}
#: The release train's canary policy: :class:`~lendlab.rollout.Guardrails` defaults except two
#: tolerances a lender sets in business terms. ``latency_floor_ms`` 20: a release may add up to
#: 20 ms to the p99 (the service's request budget is 80 ms under a 100 ms SLO), so a model
#: that is several ms slower per request (trees, more so on a busy machine) is not refused for
#: that alone; one that waits 40 ms per call is.
#: ``bad_rate_tolerance`` 0.01: the expected bad rate among approved, priced with the champion,
#: may rise by one point. Pricing with the champion counts every disagreement with it against
#: the candidate (an honest refit that swaps approvals near the cutoff shows about +0.005), so
#: half a point would refuse most refits; a miscalibrated release shows several points.
CANARY_POLICY = Guardrails(latency_floor_ms=20.0, bad_rate_tolerance=0.01)
#: Every candidate declares the same inputs (the challenger's, plus the segment), so the
#: declared features say nothing about which one is which.
RELEASE_FEATURES: tuple[str, ...] = (*CHALLENGER_FEATURES, "segment")
#: The build's settings (documented defaults; :func:`build_candidates` takes overrides).
BUILD_SETTINGS: dict[str, Any] = {
    "tag": "2025.2",
    "fresh_rows": 60_000,  # a fresh year of applications for the refresh (~1/3 are loans)
    "big_rows": 240_000,  # what the boosted model trains on (~80k loans)
    "miscal_logit_shift": -0.55,  # log-odds down: PDs x ~0.6
    "harm_segment": "thin_file",
    "harm_logit_shift": 1.1,  # thin-file log-odds up: PDs x ~2.5
    "delay_s": 0.04,  # the slow release waits 40 ms per call
}
_MAX_DELAY_S = 5.0


def _number(value: Any, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(float(value)):
        raise ValueError(f"{name}={value!r} must be finite")
    return float(value)


class ReleaseCandidate:
    """A release: a fitted base model plus an adjustment of its log-odds and its latency.

    ``predict_pd`` returns the base model's PDs with ``logit_shift`` added to every log-odds,
    ``segment_logit_shift`` added for the applications of ``segment``, after waiting
    ``delay_s`` seconds (once per call: per request in the service, per batch in a replay).

    Implements the model contract (:class:`lendlab.models.PDModel`) and scikit-learn's
    binary-classifier API (``classes_``, ``predict_proba``, ``predict``, ``score``); saved and
    loaded with :func:`lendlab.models.save_model` / :func:`~lendlab.models.load_model`. Its
    repr names only the version, so a sealed release does not say what it is.

    Parameters
    ----------
    base : PDModel
        A fitted model (e.g. a :class:`~lendlab.models.Scorecard`).
    version : str
        The release's name, e.g. ``"rc-2025.2-a"``.
    logit_shift : float, default 0
        Added to every log-odds (negative: PDs understate the risk).
    segment : str, optional
        One of ``CATEGORIES["segment"]``; with ``segment_logit_shift``.
    segment_logit_shift : float, default 0
        Added to the log-odds of that segment's applications only.
    delay_s : float, default 0
        Seconds waited on every call (0 to 5).
    features : sequence of str, optional
        The inputs it declares; default :data:`RELEASE_FEATURES`.

    Examples
    --------
    >>> import pandas as pd
    >>> class Flat:
    ...     features, version, pdo, base_score, base_odds = ("fico",), "flat", 20, 600, 50
    ...     def predict_pd(self, X):
    ...         return pd.Series(0.1, index=X.index)
    >>> rc = ReleaseCandidate(Flat(), version="rc-1", logit_shift=-1.0, features=["fico"])
    >>> round(float(rc.predict_pd(pd.DataFrame({"fico": [700]})).iloc[0]), 4)
    0.0393
    >>> ReleaseCandidate(Flat(), version="rc-1", segment="subprime")
    Traceback (most recent call last):
    ...
    ValueError: segment='subprime' is not a segment; use one of ['prime', 'near_prime', \
'thin_file', 'returning'] or None
    """

    _estimator_type = "classifier"

    def __init__(
        self,
        base: Any,
        *,
        version: str,
        logit_shift: float = 0.0,
        segment: str | None = None,
        segment_logit_shift: float = 0.0,
        delay_s: float = 0.0,
        features: Sequence[str] | None = None,
    ) -> None:
        check_model(base, "ReleaseCandidate (base)")
        self.base = base
        self.version = check_name(version, "version", example="rc-2025.2-a")
        self.logit_shift = _number(logit_shift, "logit_shift")
        self.segment_logit_shift = _number(segment_logit_shift, "segment_logit_shift")
        if segment is not None and segment not in CATEGORIES["segment"]:
            raise ValueError(
                f"segment={segment!r} is not a segment; use one of "
                f"{list(CATEGORIES['segment'])} or None"
            )
        self.segment = segment
        delay = _number(delay_s, "delay_s")
        if not 0.0 <= delay <= _MAX_DELAY_S:
            raise ValueError(f"delay_s={delay_s!r} must be between 0 and {_MAX_DELAY_S:g} s")
        self.delay_s = delay
        declared = tuple(features) if features is not None else RELEASE_FEATURES
        missing = [f for f in model_features(base) if f not in declared]
        if missing:
            raise ValueError(
                f"features must include every input of the base model; missing {missing}"
            )
        if segment is not None and "segment" not in declared:
            raise ValueError("a segment adjustment reads 'segment': add it to features")
        self.features = declared
        scale = model_scaling(base)
        self.pdo, self.base_score, self.base_odds = (
            scale["pdo"],
            scale["base_score"],
            scale["base_odds"],
        )
        self.classes_ = np.array([0, 1])

    def __repr__(self) -> str:
        return f"ReleaseCandidate(version={self.version!r})"

    def predict_pd(self, X: pd.DataFrame) -> pd.Series:
        """Probability of default per row of ``X`` (the adjusted base model's).

        Parameters
        ----------
        X : pandas.DataFrame
            Applications holding the base model's inputs (and ``segment`` when adjusted).

        Returns
        -------
        pandas.Series of float
            Same index as ``X``, named ``pd``.
        """
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
        if self.delay_s:
            time.sleep(self.delay_s)
        p = np.asarray(self.base.predict_pd(X), dtype=float).reshape(-1)
        if self.logit_shift == 0.0 and (self.segment is None or self.segment_logit_shift == 0.0):
            return pd.Series(p, index=X.index, name="pd")
        z = special.logit(np.clip(p, 1e-9, 1 - 1e-9)) + self.logit_shift
        if self.segment is not None and self.segment_logit_shift != 0.0:
            if "segment" not in X.columns:
                raise ValueError(f"{self.version}: X has no 'segment' column; pass it")
            hit = (X["segment"].astype(str) == self.segment).to_numpy()
            z = z + np.where(hit, self.segment_logit_shift, 0.0)
        return pd.Series(special.expit(z), index=X.index, name="pd")

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """scikit-learn's class probabilities: column 0 good, column 1 bad (the PD)."""
        p = self.predict_pd(X).to_numpy()
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 (bad) where the PD is above 0.5, else 0; a lender decides at its own cutoff."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def score(self, X: pd.DataFrame, y: Any) -> float:
        """scikit-learn's accuracy of :meth:`predict` against ``y`` (1 = bad)."""
        from sklearn.metrics import accuracy_score

        return float(accuracy_score(np.asarray(y), self.predict(X)))


@dataclass(frozen=True)
class SealedReleases:
    """The answer key of a release train: which version is which kind (repr sealed).

    Attributes
    ----------
    versions : tuple of str
        The candidate versions, in letter order.
    kinds : dict
        ``{version: kind}``; not shown by the repr.
    seed : int

    Examples
    --------
    >>> sealed = SealedReleases(("rc-a", "rc-b"), {"rc-a": "slow", "rc-b": "good"}, seed=1)
    >>> sealed
    SealedReleases(2 releases: rc-a, rc-b; kinds sealed)
    >>> sealed.version_of("good")
    'rc-b'
    """

    versions: tuple[str, ...]
    kinds: Mapping[str, str] = field(repr=False)
    seed: int = 0

    def __repr__(self) -> str:
        return (
            f"SealedReleases({len(self.versions)} releases: {', '.join(self.versions)}; "
            "kinds sealed)"
        )

    def kind_of(self, version: str) -> str:
        """The kind of ``version`` (the answer: open it after judging)."""
        if version not in self.kinds:
            raise KeyError(f"no release {version!r}; releases: {list(self.versions)}")
        return self.kinds[version]

    def version_of(self, kind: str) -> str:
        """The version of ``kind`` (one of :data:`KINDS`)."""
        for version, k in self.kinds.items():
            if k == kind:
                return version
        raise KeyError(f"no release of kind {kind!r}; kinds: {list(KINDS)}")

    def intended(self) -> dict[str, str]:
        """``{version: verdict}`` a canary analysis with enough traffic should reach."""
        return {v: INTENDED[self.kinds[v]][0] for v in self.versions}


def _sub_seed(seed: int, *keys: int) -> int:
    return int(np.random.default_rng([seed, *keys]).integers(2**31 - 1))


def _reference_bins(model: Any, frame: pd.DataFrame) -> dict[str, list[float]]:
    from lendlab.drift import quantile_edges
    from lendlab.models import pd_to_score
    from lendlab.serving.registry import score_bins

    p = np.clip(np.asarray(model.predict_pd(frame), dtype=float), 1e-6, 1 - 1e-6)
    scores = np.rint(pd_to_score(p, **model_scaling(model))).astype(np.int64)
    edges = quantile_edges(scores, bins=10)
    shares = np.bincount(score_bins(scores, edges), minlength=edges.size + 1) / scores.size
    return {"score_edges": [float(e) for e in edges], "score_shares": [float(s) for s in shares]}


def build_candidates(
    out: str | os.PathLike[str],
    *,
    seed: int,
    rows: int = 40_000,
    **settings: Any,
) -> tuple[dict[str, Any], SealedReleases]:
    """Train the champion and challenger and write four sealed release candidates beside them.

    Parameters
    ----------
    out : path
        The registry folder (created if needed); ``lendlab serve --model-dir out`` serves it.
    seed : int
        Draws the training data and which version is which kind.
    rows : int, default 40000
        Applications for the champion and challenger (:func:`~lendlab.serving.train_models`).
    **settings
        Overrides of :data:`BUILD_SETTINGS` (e.g. ``delay_s=0.05``).

    Returns
    -------
    info : dict
        ``champion`` and ``challenger`` (versions), ``candidates`` (versions in letter
        order), ``folder``, ``aliases``.
    sealed : SealedReleases
        Which version is which kind.

    Raises
    ------
    TypeError
        ``seed`` is not a non-negative integer.
    ValueError
        An unknown setting.

    Examples
    --------
    >>> import tempfile
    >>> from lendlab.serving import ModelRegistry
    >>> info, sealed = build_candidates(tempfile.mkdtemp(), seed=1, rows=8_000,
    ...                                 fresh_rows=8_000, big_rows=10_000)
    >>> info["candidates"]
    ['rc-2025.2-a', 'rc-2025.2-b', 'rc-2025.2-c', 'rc-2025.2-d']
    >>> registry = ModelRegistry.load(info["folder"])
    >>> registry.resolve("rc-2025.2-a").model
    ReleaseCandidate(version='rc-2025.2-a')
    >>> sorted(sealed.kinds.values()) == sorted(KINDS)
    True
    """
    from lendlab import world
    from lendlab.models import Challenger, Scorecard, save_model
    from lendlab.serving.registry import train_models

    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"seed must be a non-negative integer, got {seed!r}")
    unknown = sorted(set(settings) - set(BUILD_SETTINGS))
    if unknown:
        raise ValueError(f"unknown setting(s) {unknown}; known: {sorted(BUILD_SETTINGS)}")
    s = {**BUILD_SETTINGS, **settings}
    seed = int(seed)
    folder = Path(out)
    info = train_models(folder, seed=seed, rows=rows)
    aliases = dict(info["aliases"])

    # the champion's own training year (as train_models drew it) plus a fresh year
    own = world.generate(int(rows), seed=seed)
    own = own[own["applied_at"] <= own["applied_at"].quantile(0.8)]
    fresh = world.generate(int(s["fresh_rows"]), seed=_sub_seed(seed, 9, 1), start="2025-01-01")
    loans = pd.concat([own[own["approved_policy"]], fresh[fresh["approved_policy"]]])
    refresh = Scorecard(version=f"scorecard-{s['tag']}-refresh").fit(loans, loans["defaulted"])
    big = world.generate(int(s["big_rows"]), seed=_sub_seed(seed, 9, 2), start="2025-01-01")
    big_loans = big[big["approved_policy"]]
    boosted = Challenger(features=[*CHALLENGER_FEATURES, "segment"], version="gbm-2025.2")
    boosted.fit(big_loans, big_loans["defaulted"])

    rng = np.random.default_rng([seed, 9, 3])
    order = [str(k) for k in rng.permutation(list(KINDS))]
    versions = [f"rc-{s['tag']}-{letter}" for letter in "abcd"[: len(order)]]
    kinds = dict(zip(versions, order, strict=True))
    specs = {
        "good": dict(base=refresh),
        "miscalibrated": dict(base=boosted, logit_shift=float(s["miscal_logit_shift"])),
        "segment_harm": dict(
            base=refresh,
            segment=s["harm_segment"],
            segment_logit_shift=float(s["harm_logit_shift"]),
        ),
        "slow": dict(base=refresh, delay_s=float(s["delay_s"])),
    }
    reference = fresh[fresh["applied_at"] <= fresh["applied_at"].quantile(0.8)]
    for version in versions:
        spec = dict(specs[kinds[version]])
        delay = spec.pop("delay_s", 0.0)
        candidate = ReleaseCandidate(version=version, **spec)
        bins = _reference_bins(candidate, reference)  # without the delay: one batch call
        candidate.delay_s = delay
        meta = {
            "seed": seed,
            "release_train": s["tag"],
            "label": "defaulted (lifetime)",
            "note": "release candidate; judge it by shadow, replay and canary evidence",
            **bins,
        }
        save_model(candidate, folder / f"{version}.joblib", metadata=meta)
    out_info = {
        "folder": folder,
        "champion": aliases["champion"],
        "challenger": aliases["challenger"],
        "candidates": versions,
        "aliases": aliases,
    }
    return out_info, SealedReleases(tuple(versions), kinds, seed=seed)


def request_latency_ms(
    models: Mapping[str, Any], applications: pd.DataFrame, *, calls: int = 15
) -> pd.DataFrame:
    """Measure each model's time for one request: ``predict_pd`` on one application.

    The models are timed in turn on the same applications (call 1 of every model, then call
    2, ...), so a busy machine slows all of them alike.

    Parameters
    ----------
    models : dict
        ``{name: PDModel}``.
    applications : pandas.DataFrame
        At least one application holding every model's inputs; rows are cycled.
    calls : int, default 15
        Timed calls per model (after one untimed warm-up call).

    Returns
    -------
    pandas.DataFrame
        One column per model, one row per call: milliseconds.

    Examples
    --------
    >>> import pandas as pd
    >>> class Flat:
    ...     features, version, pdo, base_score, base_odds = ("fico",), "flat", 20, 600, 50
    ...     def predict_pd(self, X):
    ...         return pd.Series(0.1, index=X.index)
    >>> slow = ReleaseCandidate(Flat(), version="slow", delay_s=0.01, features=["fico"])
    >>> ms = request_latency_ms({"flat": Flat(), "slow": slow}, pd.DataFrame({"fico": [700]}),
    ...                         calls=3)
    >>> ms.shape, bool((ms["slow"] >= 10).all())
    ((3, 2), True)
    """
    if not isinstance(models, Mapping) or not models:
        raise TypeError("models must be a non-empty dict {name: model}")
    for name, model in models.items():
        check_model(model, f"request_latency_ms ({name})")
    apps = check_frame(applications, "applications")
    if isinstance(calls, bool) or not isinstance(calls, int) or calls < 1:
        raise ValueError(f"calls must be a positive integer, got {calls!r}")
    rows = [apps.iloc[[i % len(apps)]] for i in range(calls + 1)]
    out: dict[str, list[float]] = {name: [] for name in models}
    for i, row in enumerate(rows):
        for name, model in models.items():
            start = time.perf_counter()
            model.predict_pd(row)
            if i:  # the first call warms caches
                out[name].append((time.perf_counter() - start) * 1000)
    return pd.DataFrame(out)


def _overhead_sampler(overhead_ms: Any, rng: np.random.Generator):
    if overhead_ms is None:  # a stand-in for the service on this kind of box
        return lambda n: rng.lognormal(math.log(7.0), 0.35, n)
    values = np.asarray(overhead_ms, dtype=float).reshape(-1)
    values = values[np.isfinite(values)]
    if values.size < 20:
        raise ValueError(
            f"overhead_ms has {values.size} finite values; pass at least 20 request durations "
            "(e.g. the decision log's duration_ms of the baseline)"
        )
    return lambda n: rng.choice(values, size=n, replace=True)


def decision_rows(
    model: Any,
    applications: pd.DataFrame,
    *,
    explainer: Any,
    arm: str = "primary",
    cutoff: float = 0.20,
    review_margin: float = 0.02,
    duration_ms: Any = None,
) -> pd.DataFrame:
    """What the service logs for ``applications`` decided by ``model`` (one row each).

    The service's rule (:func:`lendlab.rollout.decide_vectorised`: knock-out rules, then the
    PD against the review band), its points, and the principal reason of each decline: the
    first failed knock-out rule (:func:`lendlab.models.rules_policy`), else the scorecard
    ``explainer``'s first reason code. Truth columns are dropped.

    Parameters
    ----------
    model : PDModel
    applications : pandas.DataFrame
    explainer : Scorecard or None
    arm : str, default "primary"
    cutoff, review_margin : float
    duration_ms : array-like, optional
        One per row (default NaN).

    Returns
    -------
    pandas.DataFrame
        The inputs plus ``model_version``, ``active_model``, ``arm``, ``pd``, ``score``,
        ``decision``, ``reason_1``, ``fallback`` (None), ``duration_ms``.

    Examples
    --------
    >>> import pandas as pd
    >>> class Flat:
    ...     features, version, pdo, base_score, base_odds = ("fico",), "flat", 20, 600, 50
    ...     def predict_pd(self, X):
    ...         return pd.Series(0.05, index=X.index)
    >>> apps = pd.DataFrame({"application_id": [1, 2], "fico": [700, 600], "dti": [20.0, 20.0],
    ...                      "inquiries_6m": [0, 0], "segment": ["prime", "near_prime"]})
    >>> rows = decision_rows(Flat(), apps, explainer=None)
    >>> rows[["decision", "reason_1"]].values.tolist()
    [['approve', None], ['decline', 'Credit score below our minimum of 660']]
    """
    from lendlab.models import pd_to_score, reason_codes, rules_policy

    check_model(model, "decision_rows (model)")
    apps = check_frame(applications, "applications", fix="pass lendlab.world.generate(n)")
    check_probability(cutoff, "cutoff")
    check_probability(review_margin, "review_margin", high=0.5)
    durations = (
        np.full(len(apps), np.nan)
        if duration_ms is None
        else np.asarray(duration_ms, dtype=float).reshape(-1)
    )
    if durations.shape[0] != len(apps):
        raise ValueError(f"duration_ms has {durations.shape[0]} values for {len(apps)} rows")

    p = np.round(np.asarray(model.predict_pd(apps), dtype=float).reshape(-1), 6)
    passes = passes_knockout(apps)
    codes = decide_vectorised(p, passes, cutoff=cutoff, review_margin=review_margin)
    out = apps.drop(columns=[c for c in TRUTH_COLUMNS if c in apps.columns]).copy()
    out["model_version"] = str(model.version)
    out["active_model"] = str(model.version)
    out["arm"] = arm
    out["pd"] = p
    scale = model_scaling(model)
    out["score"] = np.rint(pd_to_score(np.clip(p, 1e-6, 1 - 1e-6), **scale)).astype(np.int64)
    out["decision"] = pd.Categorical(
        np.asarray(DECISIONS, dtype=object)[codes], categories=list(DECISIONS)
    )
    reason = np.full(len(apps), None, dtype=object)
    ko = ~passes
    if ko.any():
        reason[ko] = rules_policy(apps.loc[ko])["reason_1"].to_numpy()
    model_decline = (codes == 2) & passes
    if model_decline.any() and explainer is not None:
        why = reason_codes(explainer, apps.loc[model_decline], max_reasons=1)["reason_1"]
        reason[model_decline] = why.to_numpy()
    out["reason_1"] = pd.Series(reason, index=out.index, dtype=object)
    out["fallback"] = None
    out["duration_ms"] = np.round(durations, 3)
    return out


def simulate_canary(
    baseline_model: Any,
    candidate_model: Any,
    applications: pd.DataFrame,
    *,
    explainer: Any,
    share: float = 0.5,
    salt: str = "lendlab-canary-1",
    cutoff: float = 0.20,
    review_margin: float = 0.02,
    overhead_ms: Any = None,
    model_ms: Mapping[str, float] | None = None,
    start: str | pd.Timestamp = "2026-03-05 10:00",
    minutes: float = 60.0,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the service would log for a canary of ``candidate_model`` against the baseline.

    Each application is in the canary arm when
    :func:`lendlab.serving.rollout_modes.assign_arm` (sha256 of the salt and the
    ``application_id``, as the service) puts it there. Each arm's model decides its
    applications with the service's rule (knock-out rules, then the PD against the review
    band: :func:`lendlab.rollout.decide_vectorised`); declines get their principal reason
    (the failed knock-out rule, else the scorecard ``explainer``'s first reason code).
    ``received_at`` spreads the applications evenly over ``minutes``. ``duration_ms`` is the
    service's overhead (sampled from ``overhead_ms``) plus the arm's median per-request model
    time (``model_ms``, default measured with :func:`request_latency_ms`).

    Parameters
    ----------
    baseline_model, candidate_model : PDModel
    applications : pandas.DataFrame
        World applications (:func:`lendlab.world.generate`); truth columns are dropped.
    explainer : Scorecard
        Gives the reasons for model declines (the service uses the champion scorecard).
    share : float, default 0.5
        The canary share.
    salt : str, default "lendlab-canary-1"
    cutoff, review_margin : float
        The service's decision band.
    overhead_ms : array-like, optional
        Request durations without the model (e.g. a live log's ``duration_ms`` minus the
        baseline model's time); default a lognormal stand-in (median 7 ms).
    model_ms : dict, optional
        ``{"baseline": ms, "candidate": ms}`` per request; default measured (median of 15).
    start, minutes
        The window the decisions are spread over.
    seed : int, default 0
        Draws the overheads.

    Returns
    -------
    baseline_arm, canary_arm : pandas.DataFrame
        Rows as :func:`lendlab.serving.store.read_decisions` has them (``decision``, ``pd``,
        ``score``, ``segment``, ``reason_1``, ``received_at``, ``duration_ms``,
        ``fallback``, ``arm``, ``model_version``, inputs), for :func:`lendlab.rollout.analyze`.

    Examples
    --------
    >>> from lendlab import world
    >>> from lendlab.models import Scorecard
    >>> book = world.generate(6_000, seed=2)
    >>> loans = book[book["approved_policy"]]
    >>> card = Scorecard(version="s-1").fit(loans, loans["defaulted"])
    >>> slow = ReleaseCandidate(card, version="s-1-slow", delay_s=0.02)
    >>> base, can = simulate_canary(card, slow, book.head(2_000), explainer=card,
    ...                             model_ms={"baseline": 1.0, "candidate": 21.0})
    >>> len(base) + len(can), sorted(set(can["arm"]))
    (2000, ['canary'])
    >>> bool(can["duration_ms"].median() > base["duration_ms"].median() + 15)
    True
    """
    from lendlab.serving.rollout_modes import assign_arm

    check_model(baseline_model, "simulate_canary (baseline_model)")
    check_model(candidate_model, "simulate_canary (candidate_model)")
    apps = check_frame(applications, "applications", fix="pass lendlab.world.generate(n)")
    check_columns(
        apps, ["application_id", "segment"], "applications", fix="pass lendlab.world.generate(n)"
    )
    share = check_probability(share, "share")
    if not 0.0 < share < 1.0:
        raise ValueError(f"share={share!r} must be strictly between 0 and 1")
    minutes = _number(minutes, "minutes")
    if minutes <= 0:
        raise ValueError(f"minutes={minutes!r} must be positive")
    rng = np.random.default_rng(seed)
    if model_ms is None:
        sample = apps.sample(min(len(apps), 15), random_state=seed)
        ms = request_latency_ms(
            {"baseline": baseline_model, "candidate": candidate_model}, sample
        ).median()
        model_ms = {"baseline": float(ms["baseline"]), "candidate": float(ms["candidate"])}
    draw = _overhead_sampler(overhead_ms, rng)
    apps = apps.reset_index(drop=True)
    t0 = pd.Timestamp(start)
    t0 = t0.tz_localize("UTC") if t0.tzinfo is None else t0.tz_convert("UTC")
    received = t0 + pd.to_timedelta(np.arange(len(apps)) * (minutes * 60.0 / len(apps)), "s")
    ids = apps["application_id"].to_numpy()
    canary = np.array([assign_arm(int(i), share=share, salt=salt) == "canary" for i in ids])
    arms = []
    for arm, mask, model, key in (
        ("primary", ~canary, baseline_model, "baseline"),
        ("canary", canary, candidate_model, "candidate"),
    ):
        part = apps.loc[mask].copy()
        part.insert(2, "received_at", received[mask])
        durations = draw(int(mask.sum())) + float(model_ms[key])
        arms.append(
            decision_rows(
                model,
                part,
                explainer=explainer,
                arm=arm,
                cutoff=cutoff,
                review_margin=review_margin,
                duration_ms=durations,
            ).reset_index(drop=True)
        )
    return arms[0], arms[1]
