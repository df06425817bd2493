"""Replay comparison: two model versions decide the same historical applications.

:func:`compare` scores every application with a baseline and a candidate model, decides each
the way the scoring service does (knock-out rules first, then the PD against the cutoff with a
review band: :func:`decide_vectorised`), and reports what would change if the candidate
served: latency per model, score differences, decision flips (overall, by segment, by the
principal reason code), approval-rate and AIR deltas and the expected bad rate among approved
loans. The result is a :class:`Comparison`: ``.summary()`` text, frames, ``.write(folder)``.

Speed: scoring is vectorised and split over ``n_jobs`` threads (the tree models release the
GIL); knock-out rules are evaluated once (they do not depend on the model); reason codes are
computed only for the flipped rows that one side declines. A million applications through the
champion and the challenger take a few seconds on two cores (``benchmarks/bench_rollout.py``).

Example
-------
>>> import numpy as np, pandas as pd
>>> class Fixed:  # any PDModel works; here PD is a function of fico
...     features = ("fico",)
...     pdo, base_score, base_odds = 20.0, 600.0, 50.0
...     def __init__(self, version, shift):
...         self.version, self.shift = version, shift
...     def predict_pd(self, X):
...         return pd.Series(np.clip((760 - X["fico"]) / 400 + self.shift, 0.01, 0.99))
>>> apps = pd.DataFrame({"application_id": [1, 2, 3, 4], "fico": [700, 690, 680, 650],
...                      "dti": [20.0] * 4, "inquiries_6m": [0] * 4,
...                      "segment": ["prime", "prime", "prime", "near_prime"]})
>>> result = compare(Fixed("v1", 0.0), Fixed("v2", 0.03), apps, cutoff=0.2, review_margin=0.0)
>>> int(result.transitions.loc["approve", "decline"])
1
>>> round(result.flip_rate, 2)
0.25
"""

from __future__ import annotations

import json
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lendlab import metrics
from lendlab.models import Scorecard, check_model, model_features, model_scaling, pd_to_score
from lendlab.models import reason_codes as _reason_codes
from lendlab.monitoring.decision_record import DECISIONS
from lendlab.validation import check_columns, check_frame, check_probability
from lendlab.world.features import DERIVED_FEATURES
from lendlab.world.schema import KNOCKOUT_RULES, passes_knockout

__all__ = [
    "DECISIONS",
    "Comparison",
    "compare",
    "decide_vectorised",
    "required_columns",
    "score_batch",
]

_APPROVE, _REVIEW, _DECLINE = 0, 1, 2
_PD_FLOOR = 1e-6  # the service's clip before PD -> points
_CHUNK = 250_000


def required_columns(*models: Any) -> tuple[str, ...]:
    """The raw columns the knock-out rules and ``models`` read (derived features' inputs too).

    Parameters
    ----------
    *models : PDModel
        Fitted models.

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> from lendlab.models import Scorecard
    >>> required_columns(Scorecard(features=["fico", "loan_to_income"]))
    ('fico', 'dti', 'inquiries_6m', 'loan_amount', 'annual_income')
    """
    wanted = [rule[0] for rule in KNOCKOUT_RULES]
    for model in models:
        for f in model_features(model):
            wanted.extend(DERIVED_FEATURES.get(f, (f,)))
    return tuple(dict.fromkeys(wanted))


def _check_review_band(cutoff: Any, review_margin: Any) -> tuple[float, float]:
    cut = check_probability(cutoff, "cutoff")
    margin = check_probability(review_margin, "review_margin", high=0.5)
    if not 0.0 < cut - margin <= cut + margin < 1.0:
        raise ValueError(
            f"the review band [cutoff - review_margin, cutoff + review_margin) = "
            f"[{cut - margin:g}, {cut + margin:g}) must lie inside (0, 1); narrow review_margin"
        )
    return cut, margin


def decide_vectorised(
    pd_: Any, passes: Any, *, cutoff: float, review_margin: float = 0.0
) -> np.ndarray:
    """The service's decision for many applications at once, as codes 0/1/2.

    ``decline`` (2) where a knock-out rule fails; otherwise ``approve`` (0) when
    ``pd < cutoff - review_margin``, ``review`` (1) when ``pd < cutoff + review_margin``,
    ``decline`` (2) above: the rule of :mod:`lendlab.serving.app` and
    :func:`lendlab.monitoring.decision_log`. ``DECISIONS[code]`` names a code.

    Parameters
    ----------
    pd_ : array-like of float
        Probabilities of default.
    passes : array-like of bool
        :func:`lendlab.world.passes_knockout` of the same applications.
    cutoff, review_margin : float
        The PD cutoff and the half-width of the review band.

    Returns
    -------
    numpy.ndarray of int8

    Examples
    --------
    >>> codes = decide_vectorised([0.05, 0.19, 0.3, 0.05], [True, True, True, False],
    ...                           cutoff=0.2, review_margin=0.02)
    >>> [DECISIONS[c] for c in codes]
    ['approve', 'review', 'decline', 'decline']
    """
    cut, margin = _check_review_band(cutoff, review_margin)
    p = np.asarray(pd_, dtype=float)
    ok = np.asarray(passes, dtype=bool)
    if p.shape != ok.shape:
        raise ValueError(f"pd_ has {p.shape[0]} values but passes has {ok.shape[0]}")
    if np.isnan(p).any():
        raise ValueError(
            f"pd_ has {int(np.isnan(p).sum())} missing value(s); a model must return a PD "
            "for every application (check its inputs)"
        )
    codes = np.full(p.shape, _DECLINE, dtype=np.int8)
    codes[p < cut + margin] = _REVIEW
    codes[p < cut - margin] = _APPROVE
    codes[~ok] = _DECLINE
    return codes


def score_batch(model: Any, applications: pd.DataFrame, *, n_jobs: int = 2) -> np.ndarray:
    """``model.predict_pd`` over ``applications`` in chunks on ``n_jobs`` threads.

    Parameters
    ----------
    model : PDModel
    applications : pandas.DataFrame
    n_jobs : int, default 2
        Threads; the tree models release the GIL while predicting.

    Returns
    -------
    numpy.ndarray of float
        One PD per row, in row order.

    Examples
    --------
    >>> import pandas as pd
    >>> class Half:
    ...     features = ("fico",)
    ...     def predict_pd(self, X):
    ...         return pd.Series(0.5, index=X.index)
    >>> score_batch(Half(), pd.DataFrame({"fico": [700, 600, 650]})).tolist()
    [0.5, 0.5, 0.5]
    """
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise TypeError(f"n_jobs must be a positive integer, got {n_jobs!r}")
    n = len(applications)
    size = max(1, min(_CHUNK, math.ceil(n / n_jobs)))
    starts = range(0, n, size)

    def one(start: int) -> np.ndarray:
        part = applications.iloc[start : start + size]
        return np.asarray(model.predict_pd(part), dtype=float).reshape(-1)

    if n_jobs == 1 or len(starts) == 1:
        parts = [one(s) for s in starts]
    else:
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            parts = list(pool.map(one, starts))
    out = np.concatenate(parts) if parts else np.empty(0)
    if out.shape[0] != n:
        raise ValueError(
            f"{type(model).__name__}.predict_pd returned {out.shape[0]} values for {n} rows; "
            "a PDModel returns one PD per row"
        )
    return out


def _points(p: np.ndarray, model: Any) -> np.ndarray:
    scale = model_scaling(model)
    return np.rint(pd_to_score(np.clip(p, _PD_FLOOR, 1 - _PD_FLOOR), **scale)).astype(np.int64)


def _air(approved: np.ndarray, proxy: np.ndarray | None) -> tuple[float, str]:
    if proxy is None:
        return math.nan, "no protected_proxy column: AIR not computed"
    try:
        return metrics.adverse_impact_ratio(approved, weights=proxy), ""
    except ValueError as exc:
        return math.nan, f"AIR undefined: {exc}"


def _percentiles(values: np.ndarray, qs=(50, 90, 99)) -> dict[str, float]:
    v = values[np.isfinite(values)]
    if v.size == 0:
        return {f"p{q}": math.nan for q in qs}
    return {f"p{q}": float(np.percentile(v, q)) for q in qs}


@dataclass
class Comparison:
    """What changes if the candidate replaces the baseline on the same applications.

    Attributes
    ----------
    baseline, candidate : str
        Model versions.
    n : int
        Applications compared.
    cutoff, review_margin : float
    metrics : pandas.DataFrame
        Indexed by metric (``approval_rate``, ``review_rate``, ``decline_rate``, ``air``,
        ``expected_bad_rate``, ``expected_bad_rate_baseline_pd``, ``realised_bad_rate``,
        ``mean_pd``, ``mean_score``); columns ``baseline``, ``candidate``, ``delta``.
    latency : pandas.DataFrame
        Per model: ``rows``, ``seconds``, ``ms_per_1k_rows``, ``threads`` (batch scoring) and,
        where the log has them, per-request ``request_p50_ms`` / ``request_p99_ms``.
    score_diff : pandas.DataFrame
        Distribution of candidate - baseline points and PDs (mean, mean abs, std, quantiles).
    transitions : pandas.DataFrame
        Counts, baseline decision (rows) x candidate decision (columns).
    by_segment : pandas.DataFrame
        Per segment: applications, approval rates and delta, flip rate, flips by kind.
    by_reason : pandas.DataFrame
        Flipped applications by transition and the principal reason (reason_1) of the side
        that declines (``(no decline)`` for approve <-> review).
    flips : pandas.DataFrame
        One row per flipped application: id, segment, both decisions, PDs, scores, reason.
    notes : list of str
        Anything not computed and why (e.g. AIR without ``protected_proxy``).
    """

    baseline: str
    candidate: str
    n: int
    cutoff: float
    review_margin: float
    metrics: pd.DataFrame
    latency: pd.DataFrame
    score_diff: pd.DataFrame
    transitions: pd.DataFrame
    by_segment: pd.DataFrame
    by_reason: pd.DataFrame
    flips: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def flip_rate(self) -> float:
        """Share of applications whose decision differs between the two models."""
        t = self.transitions.to_numpy()
        return float(1.0 - np.trace(t) / t.sum())

    def summary(self) -> str:
        """A plain-text report: headline numbers, then the tables."""
        m = self.metrics

        def row(name: str, fmt: str = "{:.4f}") -> str:
            b, c, d = (m.loc[name, k] for k in ("baseline", "candidate", "delta"))
            show = [("n/a" if not np.isfinite(v) else fmt.format(v)) for v in (b, c, d)]
            return f"  {name:32s} {show[0]:>10s} {show[1]:>10s} {show[2]:>10s}"

        lines = [
            f"replay comparison: {self.baseline} (baseline) vs {self.candidate} (candidate)",
            f"  {self.n:,} applications, cutoff {self.cutoff:g}, review margin "
            f"{self.review_margin:g}; decision flip rate {self.flip_rate:.2%}",
            f"  {'metric':32s} {'baseline':>10s} {'candidate':>10s} {'delta':>10s}",
            *(row(name) for name in m.index),
            "latency (batch scoring):",
        ]
        for version, r in self.latency.iterrows():
            extra = ""
            if "request_p99_ms" in r and np.isfinite(r["request_p99_ms"]):
                extra = f"; logged requests p50 {r['request_p50_ms']:.2f} ms, p99 "
                extra += f"{r['request_p99_ms']:.2f} ms"
            lines.append(
                f"  {version}: {r['ms_per_1k_rows']:.2f} ms per 1k rows "
                f"({int(r['rows']):,} rows in {r['seconds']:.3f} s on {int(r['threads'])} "
                f"thread(s)){extra}"
            )
        sd = self.score_diff.set_index("quantity")
        lines.append(
            f"score difference (candidate - baseline points): mean {sd.loc['points', 'mean']:+.2f},"
            f" mean abs {sd.loc['points', 'mean_abs']:.2f}, p1 {sd.loc['points', 'p1']:+.0f}, "
            f"p99 {sd.loc['points', 'p99']:+.0f}"
        )
        lines.append("decisions (rows: baseline, columns: candidate):")
        lines.extend("  " + line for line in self.transitions.to_string().splitlines())
        lines.append("by segment:")
        seg = self.by_segment[
            ["n", "approval_baseline", "approval_candidate", "approval_delta", "flip_rate"]
        ]
        lines.extend("  " + line for line in seg.round(4).to_string().splitlines())
        if len(self.by_reason):
            lines.append("flips by principal reason (top 10):")
            top = self.by_reason.head(10).to_string(index=False)
            lines.extend("  " + line for line in top.splitlines())
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready headline numbers and tables (flips excluded: see :meth:`write`)."""

        def clean(v: Any) -> Any:
            if isinstance(v, float | np.floating):
                return None if not np.isfinite(v) else float(v)
            if isinstance(v, np.integer):
                return int(v)
            return v

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [
                {str(k): clean(v) for k, v in r.items()}
                for r in frame.reset_index().to_dict(orient="records")
            ]

        return {
            "baseline": self.baseline,
            "candidate": self.candidate,
            "n": self.n,
            "cutoff": self.cutoff,
            "review_margin": self.review_margin,
            "flip_rate": self.flip_rate,
            "n_flips": len(self.flips),
            "metrics": records(self.metrics),
            "latency": records(self.latency),
            "score_diff": records(self.score_diff),
            "transitions": {
                str(b): {str(c): int(v) for c, v in r.items()}
                for b, r in self.transitions.iterrows()
            },
            "by_segment": records(self.by_segment),
            "by_reason": records(self.by_reason),
            "notes": list(self.notes),
        }

    def write(self, folder: str | os.PathLike[str]) -> list[Path]:
        """Write ``comparison.json`` and one CSV per table into ``folder``; return the paths."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / "comparison.json"]
        paths[0].write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        tables = {
            "metrics": self.metrics,
            "latency": self.latency,
            "score_diff": self.score_diff.set_index("quantity"),
            "transitions": self.transitions,
            "by_segment": self.by_segment,
            "by_reason": self.by_reason.set_index("transition"),
            "flips": self.flips.set_index("application_id"),
        }
        for name, frame in tables.items():
            path = out / f"{name}.csv"
            frame.to_csv(path)
            paths.append(path)
        return paths


def _explainer_for(model: Any, other: Any, explainer: Scorecard | None) -> Scorecard | None:
    if isinstance(model, Scorecard):
        return model
    if explainer is not None:
        return explainer
    return other if isinstance(other, Scorecard) else None


def compare(
    baseline_model: Any,
    candidate_model: Any,
    applications: pd.DataFrame,
    *,
    cutoff: float,
    review_margin: float = 0.0,
    explainer: Scorecard | None = None,
    request_log: pd.DataFrame | None = None,
    n_jobs: int = 2,
) -> Comparison:
    """Replay ``applications`` through two models and report what would change.

    Parameters
    ----------
    baseline_model, candidate_model : PDModel
        E.g. the champion and the challenger of a :class:`lendlab.serving.ModelRegistry`.
        Their versions must differ.
    applications : pandas.DataFrame
        Historical applications: the input snapshots of the decision log
        (:func:`lendlab.serving.store.read_decisions`) or :func:`lendlab.world.generate`.
        Needs the models' raw inputs, the knock-out columns and ``segment``; uses
        ``application_id`` (else the row position), ``protected_proxy`` (proxy-weighted
        AIR) and ``defaulted`` (realised bad rate) when present.
    cutoff : float
        PD cutoff: approve when ``pd < cutoff - review_margin``.
    review_margin : float, default 0.0
        Half-width of the manual-review band around the cutoff.
    explainer : Scorecard, optional
        Where a tree model's reasons come from (as the service does); default the other
        model when it is a Scorecard.
    request_log : pandas.DataFrame, optional
        A decision log with ``model_version`` and ``duration_ms``: per-request latency of
        each version where it served.
    n_jobs : int, default 2
        Scoring threads.

    Returns
    -------
    Comparison

    Raises
    ------
    TypeError
        A model breaks the :class:`lendlab.models.PDModel` contract, or ``applications``
        is not a DataFrame.
    ValueError
        Empty ``applications``, missing columns, identical versions, a bad cutoff.

    Examples
    --------
    >>> import pandas as pd
    >>> compare(object(), object(), pd.DataFrame(), cutoff=0.2)
    Traceback (most recent call last):
    ...
    TypeError: compare (baseline_model): object has no predict_pd(X) method; a PDModel (e.g. \
lendlab.models.Scorecard) returns the probability of default of each row of X.
    """
    check_model(baseline_model, "compare (baseline_model)")
    check_model(candidate_model, "compare (candidate_model)")
    b_ver, c_ver = str(baseline_model.version), str(candidate_model.version)
    if b_ver == c_ver:
        raise ValueError(
            f"baseline and candidate are both version {b_ver!r}; compare two different "
            "versions (e.g. --baseline champion --candidate challenger)"
        )
    apps = check_frame(applications, "applications", fix="pass world.generate(n) or a log")
    cut, margin = _check_review_band(cutoff, review_margin)
    needed = (*required_columns(baseline_model, candidate_model), "segment")
    check_columns(
        apps,
        needed,
        "applications",
        fix="pass applications from lendlab.world.generate or the decision log's snapshots "
        "(lendlab.serving.store.read_decisions)",
    )
    n = len(apps)
    passes = passes_knockout(apps)

    timings: dict[str, dict[str, float]] = {}
    pds: dict[str, np.ndarray] = {}
    for side, model in (("baseline", baseline_model), ("candidate", candidate_model)):
        start = time.perf_counter()
        pds[side] = score_batch(model, apps, n_jobs=n_jobs)
        seconds = time.perf_counter() - start
        timings[side] = {
            "rows": n,
            "seconds": seconds,
            "ms_per_1k_rows": seconds * 1000 * 1000 / n,
            "threads": n_jobs,
        }
    pd_b, pd_c = pds["baseline"], pds["candidate"]
    score_b, score_c = _points(pd_b, baseline_model), _points(pd_c, candidate_model)
    dec_b = decide_vectorised(pd_b, passes, cutoff=cut, review_margin=margin)
    dec_c = decide_vectorised(pd_c, passes, cutoff=cut, review_margin=margin)
    notes: list[str] = []

    # -- metrics ----------------------------------------------------------------------------
    proxy = apps["protected_proxy"].to_numpy(dtype=float) if "protected_proxy" in apps else None
    outcome = None
    if "defaulted" in apps:
        outcome = apps["defaulted"].to_numpy(dtype=float)
    rows: dict[str, tuple[float, float]] = {}
    appr_b, appr_c = dec_b == _APPROVE, dec_c == _APPROVE
    rows["approval_rate"] = (appr_b.mean(), appr_c.mean())
    rows["review_rate"] = ((dec_b == _REVIEW).mean(), (dec_c == _REVIEW).mean())
    rows["decline_rate"] = ((dec_b == _DECLINE).mean(), (dec_c == _DECLINE).mean())
    air_b, why_b = _air(appr_b, proxy)
    air_c, why_c = _air(appr_c, proxy)
    rows["air"] = (air_b, air_c)
    notes.extend(sorted({w for w in (why_b, why_c) if w}))

    def mean_over(values: np.ndarray, mask: np.ndarray) -> float:
        return float(values[mask].mean()) if mask.any() else math.nan

    if not appr_b.any() or not appr_c.any():
        notes.append("a model approves nobody: the bad rate among approved is undefined")
    rows["expected_bad_rate"] = (mean_over(pd_b, appr_b), mean_over(pd_c, appr_c))
    rows["expected_bad_rate_baseline_pd"] = (mean_over(pd_b, appr_b), mean_over(pd_b, appr_c))
    if outcome is not None:
        known_b, known_c = appr_b & np.isfinite(outcome), appr_c & np.isfinite(outcome)
        rows["realised_bad_rate"] = (mean_over(outcome, known_b), mean_over(outcome, known_c))
    else:
        notes.append("no defaulted column: realised bad rate not computed")
    rows["mean_pd"] = (float(pd_b.mean()), float(pd_c.mean()))
    rows["mean_score"] = (float(score_b.mean()), float(score_c.mean()))
    metric_frame = pd.DataFrame(rows, index=["baseline", "candidate"]).T.astype(float)
    metric_frame["delta"] = metric_frame["candidate"] - metric_frame["baseline"]
    metric_frame.index.name = "metric"

    # -- latency ----------------------------------------------------------------------------
    latency = pd.DataFrame(timings).T
    latency.index = pd.Index([b_ver, c_ver], name="model_version")
    latency["request_p50_ms"] = math.nan
    latency["request_p99_ms"] = math.nan
    latency["requests_logged"] = 0
    if request_log is not None and {"model_version", "duration_ms"} <= set(request_log.columns):
        for version in (b_ver, c_ver):
            d = request_log.loc[request_log["model_version"] == version, "duration_ms"]
            d = d.to_numpy(dtype=float)
            d = d[np.isfinite(d)]
            latency.loc[version, "requests_logged"] = d.size
            if d.size:
                q = _percentiles(d, (50, 99))
                latency.loc[version, "request_p50_ms"] = q["p50"]
                latency.loc[version, "request_p99_ms"] = q["p99"]
    latency["requests_logged"] = latency["requests_logged"].astype(np.int64)

    # -- score differences ------------------------------------------------------------------
    diffs = {"points": (score_c - score_b).astype(float), "pd": pd_c - pd_b}
    qs = (1, 5, 25, 50, 75, 95, 99)
    score_diff = pd.DataFrame(
        [
            {
                "quantity": name,
                "mean": float(d.mean()),
                "mean_abs": float(np.abs(d).mean()),
                "std": float(d.std()),
                **{f"p{q}": v for q, v in zip(qs, np.percentile(d, qs), strict=True)},
                "share_abs_over_20_points" if name == "points" else "share_abs_over_0.02": float(
                    (np.abs(d) > (20 if name == "points" else 0.02)).mean()
                ),
            }
            for name, d in diffs.items()
        ]
    )

    # -- flips ------------------------------------------------------------------------------
    pair = dec_b.astype(np.int64) * 3 + dec_c
    counts = np.bincount(pair, minlength=9).reshape(3, 3)
    transitions = pd.DataFrame(
        counts,
        index=pd.Index(DECISIONS, name="baseline"),
        columns=pd.Index(DECISIONS, name="candidate"),
    )
    flipped = np.flatnonzero(dec_b != dec_c)
    ids = (
        apps["application_id"].to_numpy()
        if "application_id" in apps
        else np.arange(n, dtype=np.int64)
    )
    segment = apps["segment"]
    reason = np.full(flipped.size, "(no decline)", dtype=object)
    for side, model, other, dec in (
        ("baseline", baseline_model, candidate_model, dec_b),
        ("candidate", candidate_model, baseline_model, dec_c),
    ):
        rows_declined = flipped[dec[flipped] == _DECLINE]
        if rows_declined.size == 0:
            continue
        where = np.isin(flipped, rows_declined)
        why = _explainer_for(model, other, explainer)
        if why is None:
            reason[where] = "(no scorecard to explain declines)"
            notes.append(f"{side} declines have no reasons: pass explainer=<a Scorecard>")
            continue
        codes = _reason_codes(why, apps.iloc[rows_declined], max_reasons=1)["reason_1"]
        reason[where] = codes.fillna("(no reason: cutoff declines the best applicant)").to_numpy()
    names = np.asarray(DECISIONS, dtype=object)
    flips = pd.DataFrame(
        {
            "application_id": ids[flipped],
            "segment": segment.to_numpy()[flipped],
            "baseline_decision": names[dec_b[flipped]],
            "candidate_decision": names[dec_c[flipped]],
            "baseline_pd": pd_b[flipped],
            "candidate_pd": pd_c[flipped],
            "baseline_score": score_b[flipped],
            "candidate_score": score_c[flipped],
            "reason": reason,
        }
    )
    flips.insert(2, "transition", flips["baseline_decision"] + "->" + flips["candidate_decision"])
    if len(flips):
        by_reason = (
            flips.groupby(["transition", "reason"], sort=False)
            .size()
            .rename("n")
            .reset_index()
            .sort_values(["n", "transition", "reason"], ascending=[False, True, True])
            .reset_index(drop=True)
        )
        by_reason["share_of_flips"] = by_reason["n"] / len(flips)
    else:
        by_reason = pd.DataFrame(
            {"transition": [], "reason": [], "n": [], "share_of_flips": []}
        ).astype({"n": np.int64, "share_of_flips": float})

    # -- by segment -------------------------------------------------------------------------
    seg_frame = pd.DataFrame(
        {
            "segment": segment.to_numpy(),
            "approve_b": appr_b,
            "approve_c": appr_c,
            "flip": dec_b != dec_c,
            "a2d": (dec_b == _APPROVE) & (dec_c == _DECLINE),
            "d2a": (dec_b == _DECLINE) & (dec_c == _APPROVE),
        }
    )
    if isinstance(segment.dtype, pd.CategoricalDtype):
        seg_frame["segment"] = pd.Categorical(seg_frame["segment"], dtype=segment.dtype)
    g = seg_frame.groupby("segment", observed=True, sort=True)
    by_segment = pd.DataFrame(
        {
            "n": g.size().astype(np.int64),
            "approval_baseline": g["approve_b"].mean(),
            "approval_candidate": g["approve_c"].mean(),
        }
    )
    by_segment["approval_delta"] = (
        by_segment["approval_candidate"] - by_segment["approval_baseline"]
    )
    by_segment["flip_rate"] = g["flip"].mean()
    by_segment["approve_to_decline"] = g["a2d"].sum().astype(np.int64)
    by_segment["decline_to_approve"] = g["d2a"].sum().astype(np.int64)
    by_segment.index.name = "segment"

    return Comparison(
        baseline=b_ver,
        candidate=c_ver,
        n=n,
        cutoff=cut,
        review_margin=margin,
        metrics=metric_frame,
        latency=latency,
        score_diff=score_diff,
        transitions=transitions,
        by_segment=by_segment,
        by_reason=by_reason,
        flips=flips,
        notes=notes,
    )
