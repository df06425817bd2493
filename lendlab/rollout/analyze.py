"""Canary analysis: a canary's decisions against the baseline's; promote, hold or roll back.

Canary tools (Kayenta, Argo Rollouts, Flagger) judge latency and errors. A credit model can
be fast and error-free and still approve the wrong people, so :func:`analyze` judges both:

* **technical** guardrails, per time interval (:attr:`Guardrails.interval`): the error rate
  and the p99 of ``duration_ms``, each through the Mann-Whitney judge
  (:func:`lendlab.rollout.judge_metric`). An *error* is a decision the arm's model did not
  make: ``fallback`` set (a dependency failed, the rules or manual review decided), or an
  ``error`` column that is true where the log has one.
* **business** guardrails on all decisions of each arm: the approval-rate delta, the same per
  segment, the proxy-weighted AIR (:func:`lendlab.metrics.adverse_impact_ratio`: canary
  below the floor, or a drop beyond tolerance), the expected bad rate among approved (mean PD
  of approved applications), the score PSI (:func:`lendlab.drift.psi`) and the reason-code
  mix (total-variation distance of the principal reasons of declines; chi-square p-value
  shown). A point estimate beyond its tolerance is a failure only when its 95 % interval
  excludes "no change"; otherwise it is inconclusive (Nodata, so HOLD).

Each guardrail gives a :class:`~lendlab.rollout.judge.MetricJudgement`; the run is scored as
Kayenta does (:func:`lendlab.rollout.score_run`). The :class:`Verdict`:

* **rollback** - a critical guardrail failed (with enough traffic), or the score is below
  ``marginal_score``;
* **hold** - too little traffic (fewer than ``min_decisions_per_arm`` decisions in an arm),
  any guardrail without data or inconclusive, or a marginal score: never promote on missing
  data (the no-traffic trap: Argo Rollouts #1905 rolled back, others promote);
* **promote** - every guardrail judged and the score at least ``pass_score``.

The expected bad rate uses each arm's own logged PDs unless ``reference_model`` is given: a
miscalibrated canary that understates PDs looks *safer* by its own PDs, so price both arms'
approvals with one trusted model (the champion) when you have it.

Example
-------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> def arm(n, approve_rate, slow=1.0):
...     t = pd.Timestamp("2025-03-01", tz="UTC") + pd.to_timedelta(np.arange(n) * 0.2, "s")
...     pd_ = rng.uniform(0.02, 0.5, n)
...     return pd.DataFrame({"received_at": t, "segment": rng.choice(["prime", "near_prime"], n),
...         "decision": np.where(rng.random(n) < approve_rate, "approve", "decline"),
...         "pd": pd_, "score": np.rint(600 - 30 * np.log(pd_)), "fallback": None,
...         "duration_ms": rng.lognormal(2.5, 0.3, n) * slow,
...         "protected_proxy": rng.random(n), "reason_1": "Credit score too low"})
>>> verdict = analyze(arm(6000, 0.3), arm(6000, 0.3, slow=2.0))
>>> verdict.decision
'rollback'
>>> [j.name for j in verdict.judgements if j.classification == "High"]
['p99_latency_ms']
>>> analyze(arm(6000, 0.3), arm(300, 0.3)).decision
'hold'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lendlab import drift, metrics
from lendlab.models import check_model
from lendlab.monitoring.decision_record import DECISIONS
from lendlab.rollout.compare import required_columns, score_batch
from lendlab.rollout.guardrails import GUARDRAIL_NAMES, Guardrails
from lendlab.rollout.judge import MetricJudgement, judge_metric, score_run
from lendlab.validation import check_columns, check_frame

__all__ = ["REQUIRED_COLUMNS", "Verdict", "analyze", "arm_decisions"]

#: Columns every arm's decisions need (``received_at`` or ``applied_at`` too, for intervals).
REQUIRED_COLUMNS: tuple[str, ...] = ("decision", "pd", "score", "segment")
_FALLBACK_VERSIONS = ("rules-policy", "manual-review")


@dataclass
class Verdict:
    """The outcome of :func:`analyze`.

    Attributes
    ----------
    decision : {"promote", "hold", "rollback"}
    score : float
        Kayenta-style score, 0-100 (NaN when nothing could be judged).
    score_class : {"pass", "marginal", "fail", "nodata"}
    judgements : list of MetricJudgement
        One per guardrail, in :data:`lendlab.rollout.guardrails.GUARDRAIL_NAMES` order.
    reasons : list of str
        Why this decision, most important first.
    traffic : dict
        Decisions per arm.
    segments : pandas.DataFrame
        Per segment and arm: decisions and approval rate.
    guardrails : Guardrails
    """

    decision: str
    score: float
    score_class: str
    judgements: list[MetricJudgement]
    reasons: list[str]
    traffic: dict[str, int]
    segments: pd.DataFrame
    guardrails: Guardrails = field(default_factory=Guardrails)

    def frame(self) -> pd.DataFrame:
        """One row per guardrail: status, value, tolerance, CI, per-arm values, detail."""
        rows = [
            {
                "guardrail": j.name,
                "status": j.classification,
                "critical": j.critical,
                "value": j.value,
                "tolerance": j.tolerance,
                "lower": j.lower,
                "upper": j.upper,
                "baseline": j.baseline,
                "canary": j.canary,
                "n_baseline": j.n_baseline,
                "n_canary": j.n_canary,
                "detail": j.detail,
            }
            for j in self.judgements
        ]
        return pd.DataFrame(rows).set_index("guardrail")

    def summary(self) -> str:
        """The verdict, its reasons, then one line per guardrail."""
        score = "n/a" if not math.isfinite(self.score) else f"{self.score:.0f}"
        lines = [
            f"verdict: {self.decision.upper()} (score {score}, {self.score_class}; decisions: "
            f"baseline {self.traffic['baseline']:,}, canary {self.traffic['canary']:,})",
            *(f"  because: {r}" for r in self.reasons),
            "guardrails:",
            *(f"  {j.line()}" for j in self.judgements),
        ]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "decision": self.decision,
            "score": None if not math.isfinite(self.score) else self.score,
            "score_class": self.score_class,
            "reasons": list(self.reasons),
            "traffic": dict(self.traffic),
            "guardrails": [j.to_dict() for j in self.judgements],
            "settings": self.guardrails.to_dict(),
        }


def arm_decisions(
    log: pd.DataFrame, version: str, *, since: Any = None, time_column: str | None = None
) -> pd.DataFrame:
    """The decisions of one arm: rows whose ``model_version`` is ``version``, plus the fallback
    rows (rules or manual review) served while ``active_model`` was ``version``.

    Parameters
    ----------
    log : pandas.DataFrame
        :func:`lendlab.serving.store.read_decisions`.
    version : str
        A model version as logged, e.g. ``"scorecard-2025.1"``.
    since : str or Timestamp, optional
        Keep decisions at or after it (UTC when naive).
    time_column : str, optional
        Default ``received_at`` when present, else ``applied_at``.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    ValueError
        Missing ``model_version``, or no decision of ``version`` (the message lists the
        versions the log holds).

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"model_version": ["v1", "v2", "rules-policy"],
    ...                     "active_model": ["v1", "v2", "v2"], "decision": ["approve"] * 3})
    >>> len(arm_decisions(log, "v2"))
    2
    >>> arm_decisions(log, "v9")
    Traceback (most recent call last):
    ...
    ValueError: no decision of version 'v9' in the log; it holds ['v1', 'v2'] (aliases such \
as 'champion' are resolved through the model folder's aliases.json)
    """
    check_frame(log, "log")
    check_columns(
        log, ["model_version"], "log", fix="pass lendlab.serving.store.read_decisions(db)"
    )
    versions = log["model_version"].astype(str)
    mine = versions == version
    if "active_model" in log.columns:
        mine |= versions.isin(_FALLBACK_VERSIONS) & (log["active_model"].astype(str) == version)
    out = log.loc[mine.to_numpy()]
    if since is not None:
        col = time_column or ("received_at" if "received_at" in log.columns else "applied_at")
        start = pd.Timestamp(since)
        start = start.tz_localize("UTC") if start.tzinfo is None else start
        out = out.loc[pd.to_datetime(out[col], utc=True) >= start]
    if not mine.any():
        known = sorted(set(versions) - set(_FALLBACK_VERSIONS))
        raise ValueError(
            f"no decision of version {version!r} in the log; it holds {known} (aliases such "
            "as 'champion' are resolved through the model folder's aliases.json)"
        )
    return out


def _check_arm(frame: Any, name: str) -> pd.DataFrame:
    frame = check_frame(
        frame, name, fix="pass the arm's decisions, e.g. arm_decisions(read_decisions(db), v)"
    )
    check_columns(
        frame,
        REQUIRED_COLUMNS,
        name,
        fix="pass rows of the decision log (lendlab.serving.store.read_decisions)",
    )
    if "received_at" not in frame.columns and "applied_at" not in frame.columns:
        raise ValueError(
            f"{name} has neither received_at nor applied_at; the technical guardrails are "
            "judged per time interval, so pass the log's timestamps"
        )
    bad = sorted(set(frame["decision"].dropna().astype(str)) - set(DECISIONS))
    if bad or frame["decision"].isna().any():
        raise ValueError(
            f"{name}.decision must be one of {list(DECISIONS)} on every row; found "
            f"{bad or ['missing']}"
        )
    return frame


def _times(frame: pd.DataFrame) -> pd.Series:
    col = "received_at"
    if col not in frame.columns or frame[col].isna().all():
        col = "applied_at"
    return pd.to_datetime(frame[col], utc=True)


def _errors(frame: pd.DataFrame) -> np.ndarray:
    err = np.zeros(len(frame), dtype=bool)
    if "fallback" in frame.columns:
        fb = frame["fallback"]
        err |= (fb.notna() & (fb.astype(str) != "") & (fb.astype(str) != "False")).to_numpy()
    if "error" in frame.columns:
        err |= frame["error"].fillna(False).astype(bool).to_numpy()
    return err


def _interval_samples(frame: pd.DataFrame, g: Guardrails) -> pd.DataFrame:
    data = pd.DataFrame(
        {
            "t": _times(frame).dt.floor(g.interval).to_numpy(),
            "err": _errors(frame),
            "ms": frame["duration_ms"].to_numpy(dtype=float)
            if "duration_ms" in frame.columns
            else np.full(len(frame), np.nan),
        }
    )
    grouped = data.groupby("t", sort=True)
    out = pd.DataFrame(
        {
            "n": grouped.size(),
            "error_rate": grouped["err"].mean(),
            "p99_ms": grouped["ms"].quantile(0.99),
        }
    )
    return out[out["n"] >= g.min_requests_per_interval]


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _delta_judgement(
    name: str,
    base: float,
    can: float,
    se: float,
    *,
    tolerance: float,
    direction: str,
    confidence: float,
    critical: bool,
    n: tuple[int, int],
    what: str,
) -> MetricJudgement:
    """Point delta vs tolerance; a breach fails only when the CI excludes 0."""
    d = can - base
    h = _z(confidence) * se
    j = MetricJudgement(
        name,
        "Pass",
        critical,
        base,
        can,
        d,
        d - h,
        d + h,
        tolerance,
        n_baseline=n[0],
        n_canary=n[1],
    )
    harmful_up = direction in ("increase", "either") and d > tolerance
    harmful_down = direction in ("decrease", "either") and d < -tolerance
    ci = f"{confidence:.0%} CI [{d - h:+.4f}, {d + h:+.4f}]"
    head = f"{what}: baseline {base:.4f}, canary {can:.4f}, delta {d:+.4f} ({ci})"
    if harmful_up or harmful_down:
        confident = (d - h > 0) if harmful_up else (d + h < 0)
        if confident:
            j.classification = "High" if harmful_up else "Low"
            j.detail = f"{head} beyond +/-{tolerance:g}"
        else:
            j.classification = "Nodata"
            j.detail = (
                f"{head}: beyond {tolerance:g} but not significant; inconclusive, more "
                "traffic needed"
            )
    else:
        j.detail = f"{head} within {tolerance:g}"
    return j


def _nodata(name: str, critical: bool, detail: str, n: tuple[int, int] = (0, 0)) -> MetricJudgement:
    return MetricJudgement(name, "Nodata", critical, detail=detail, n_baseline=n[0], n_canary=n[1])


def _weighted_air(approved: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """AIR and the standard error of log(AIR) (delta method on the weighted rates)."""
    air = metrics.adverse_impact_ratio(approved, weights=w)
    a = approved.astype(float)
    var_log = 0.0
    for weight in (w, 1.0 - w):
        r = float((weight * a).sum() / weight.sum())
        var_r = float((weight**2 * (a - r) ** 2).sum() / weight.sum() ** 2)
        var_log += var_r / max(r, 1e-12) ** 2
    return air, math.sqrt(var_log)


def analyze(
    baseline_decisions: pd.DataFrame,
    canary_decisions: pd.DataFrame,
    *,
    guardrails: Guardrails | None = None,
    reference_model: Any = None,
) -> Verdict:
    """Judge the canary arm against the baseline arm: promote, hold or rollback, with reasons.

    Parameters
    ----------
    baseline_decisions, canary_decisions : pandas.DataFrame
        Each arm's rows of the decision log (:func:`arm_decisions`): ``decision``, ``pd``,
        ``score``, ``segment`` and ``received_at`` or ``applied_at``; used when present:
        ``duration_ms`` (p99), ``fallback`` / ``error`` (errors), ``protected_proxy`` (AIR),
        ``reason_1`` (reason mix).
    guardrails : Guardrails, optional
        Tolerances and minimums; default :class:`Guardrails` () (documented defaults).
    reference_model : PDModel, optional
        Prices both arms' approvals for the expected bad rate (the rows need its inputs);
        default each arm's own ``pd``.

    Returns
    -------
    Verdict

    Raises
    ------
    TypeError
        An arm is not a DataFrame, ``guardrails`` is not a :class:`Guardrails`.
    ValueError
        An arm is empty, lacks a required column, or has an unknown decision.

    Examples
    --------
    >>> import pandas as pd
    >>> analyze(pd.DataFrame({"decision": ["approve"]}), pd.DataFrame())
    Traceback (most recent call last):
    ...
    ValueError: baseline_decisions is missing column(s) ['pd', 'score', 'segment']; it has \
['decision']. Pass rows of the decision log (lendlab.serving.store.read_decisions).
    """
    g = Guardrails() if guardrails is None else guardrails
    if not isinstance(g, Guardrails):
        raise TypeError(
            f"guardrails must be a lendlab.rollout.Guardrails, got {type(g).__name__}; build "
            "one with Guardrails(...) or load_guardrails(path)"
        )
    base = _check_arm(baseline_decisions, "baseline_decisions")
    can = _check_arm(canary_decisions, "canary_decisions")
    if reference_model is not None:
        check_model(reference_model, "analyze (reference_model)")
        for frame, name in ((base, "baseline_decisions"), (can, "canary_decisions")):
            check_columns(
                frame,
                required_columns(reference_model),
                name,
                fix="pass the log's input snapshots, or reference_model=None",
            )
    crit = set(g.critical)
    n = (len(base), len(can))
    js: list[MetricJudgement] = []

    # -- technical: per interval, Mann-Whitney ----------------------------------------------
    sb, sc = _interval_samples(base, g), _interval_samples(can, g)
    js.append(
        judge_metric(
            sb["error_rate"],
            sc["error_rate"],
            name="error_rate",
            tolerance=g.tolerance,
            confidence=g.confidence,
            direction="increase",
            floor=g.error_rate_floor,
            min_samples=g.min_intervals,
            critical="error_rate" in crit,
        )
    )
    if "duration_ms" not in base.columns or "duration_ms" not in can.columns:
        js.append(
            _nodata(
                "p99_latency_ms",
                "p99_latency_ms" in crit,
                "no duration_ms column: latency cannot be judged",
            )
        )
    else:
        js.append(
            judge_metric(
                sb["p99_ms"],
                sc["p99_ms"],
                name="p99_latency_ms",
                tolerance=g.tolerance,
                confidence=g.confidence,
                direction="increase",
                floor=g.latency_floor_ms,
                min_samples=g.min_intervals,
                critical="p99_latency_ms" in crit,
            )
        )
    for j, samples in zip(js, ((sb, sc), (sb, sc)), strict=True):
        if j.nodata:
            j.detail += (
                f" (intervals of {g.interval} with >= {g.min_requests_per_interval} decisions: "
                f"baseline {len(samples[0])}, canary {len(samples[1])})"
            )

    # -- business ---------------------------------------------------------------------------
    approved_b = (base["decision"].astype(str) == "approve").to_numpy()
    approved_c = (can["decision"].astype(str) == "approve").to_numpy()
    enough = min(n) >= g.min_decisions_per_arm
    short = (
        f"too few decisions (baseline {n[0]}, canary {n[1]}; need {g.min_decisions_per_arm} "
        "per arm)"
    )
    conf = g.business_confidence

    def rate_se(p: float, k: int) -> float:
        return math.sqrt(max(p * (1 - p), 0.0) / max(k, 1))

    # approval rate
    if not enough:
        js.append(_nodata("approval_rate", "approval_rate" in crit, short, n))
    else:
        pb, pc = approved_b.mean(), approved_c.mean()
        js.append(
            _delta_judgement(
                "approval_rate",
                pb,
                pc,
                math.hypot(rate_se(pb, n[0]), rate_se(pc, n[1])),
                tolerance=g.approval_tolerance,
                direction="either",
                confidence=conf,
                critical="approval_rate" in crit,
                n=n,
                what="approval rate",
            )
        )

    # segment approval
    seg_b = base["segment"].astype(str).to_numpy()
    seg_c = can["segment"].astype(str).to_numpy()
    seg_rows = []
    for s in sorted(set(seg_b) | set(seg_c)):
        mb, mc = seg_b == s, seg_c == s
        seg_rows.append(
            {
                "segment": s,
                "n_baseline": int(mb.sum()),
                "n_canary": int(mc.sum()),
                "approval_baseline": approved_b[mb].mean() if mb.any() else math.nan,
                "approval_canary": approved_c[mc].mean() if mc.any() else math.nan,
            }
        )
    segments = pd.DataFrame(seg_rows).set_index("segment")
    segments["approval_delta"] = segments["approval_canary"] - segments["approval_baseline"]
    per_seg: list[MetricJudgement] = []
    for s, r in segments.iterrows():
        k = (int(r["n_baseline"]), int(r["n_canary"]))
        if min(k) < g.min_decisions_per_segment:
            per_seg.append(
                _nodata(
                    f"segment {s}",
                    True,
                    f"segment {s}: {k[0]}/{k[1]} decisions (baseline/canary); need "
                    f"{g.min_decisions_per_segment} per arm",
                    k,
                )
            )
            continue
        pb, pc = r["approval_baseline"], r["approval_canary"]
        per_seg.append(
            _delta_judgement(
                f"segment {s}",
                pb,
                pc,
                math.hypot(rate_se(pb, k[0]), rate_se(pc, k[1])),
                tolerance=g.segment_approval_tolerance,
                direction="either",
                confidence=conf,
                critical=True,
                n=k,
                what=f"segment {s} approval",
            )
        )
    segments["status"] = [j.classification for j in per_seg]
    failed = [j for j in per_seg if j.classification in ("High", "Low")]
    missing = [j for j in per_seg if j.nodata]
    worst = max(
        (j for j in per_seg if math.isfinite(j.value)), key=lambda j: abs(j.value), default=None
    )
    seg_j = MetricJudgement(
        "segment_approval",
        "Pass",
        "segment_approval" in crit,
        tolerance=g.segment_approval_tolerance,
        n_baseline=n[0],
        n_canary=n[1],
    )
    if worst is not None:
        seg_j.value, seg_j.lower, seg_j.upper = worst.value, worst.lower, worst.upper
        seg_j.baseline, seg_j.canary = worst.baseline, worst.canary
    if failed:
        seg_j.classification = failed[0].classification
        seg_j.detail = "; ".join(j.detail for j in failed)
    elif missing:
        seg_j.classification = "Nodata"
        seg_j.detail = "; ".join(j.detail for j in missing)
    else:
        seg_j.detail = (
            f"{len(per_seg)} segments within {g.segment_approval_tolerance:g}; largest: "
            f"{worst.detail if worst else 'n/a'}"
        )
    js.append(seg_j)

    # AIR
    if "protected_proxy" not in base.columns or "protected_proxy" not in can.columns:
        js.append(_nodata("air", "air" in crit, "no protected_proxy column: AIR not computed", n))
    elif not enough:
        js.append(_nodata("air", "air" in crit, short, n))
    else:
        try:
            air_b, se_b = _weighted_air(approved_b, base["protected_proxy"].to_numpy(dtype=float))
            air_c, se_c = _weighted_air(approved_c, can["protected_proxy"].to_numpy(dtype=float))
        except ValueError as exc:
            js.append(_nodata("air", "air" in crit, f"AIR undefined: {exc}", n))
        else:
            z = _z(conf)
            j = _delta_judgement(
                "air",
                air_b,
                air_c,
                math.hypot(air_b * se_b, air_c * se_c),
                tolerance=g.air_tolerance,
                direction="decrease",
                confidence=conf,
                critical="air" in crit,
                n=n,
                what="AIR (proxy-weighted)",
            )
            upper_c = air_c * math.exp(z * se_c)
            if air_c < g.air_floor and j.classification == "Pass":
                if upper_c < g.air_floor:
                    j.classification = "Low"
                    j.detail = (
                        f"canary AIR {air_c:.3f} below the {g.air_floor:g} floor "
                        f"({conf:.0%} upper bound {upper_c:.3f}); baseline {air_b:.3f}"
                    )
                else:
                    j.classification = "Nodata"
                    j.detail = (
                        f"canary AIR {air_c:.3f} below the {g.air_floor:g} floor but its "
                        f"{conf:.0%} upper bound {upper_c:.3f} is not; inconclusive"
                    )
            js.append(j)

    # expected bad rate among approved
    if reference_model is not None:
        pd_b = score_batch(reference_model, base)
        pd_c = score_batch(reference_model, can)
        priced = f"priced with {getattr(reference_model, 'version', 'the reference model')}"
    else:
        pd_b = base["pd"].to_numpy(dtype=float)
        pd_c = can["pd"].to_numpy(dtype=float)
        priced = "each arm's own PDs"
    mb, mc = approved_b & np.isfinite(pd_b), approved_c & np.isfinite(pd_c)
    k = (int(mb.sum()), int(mc.sum()))
    if not enough:
        js.append(_nodata("expected_bad_rate", "expected_bad_rate" in crit, short, k))
    elif min(k) < 2:
        js.append(
            _nodata(
                "expected_bad_rate",
                "expected_bad_rate" in crit,
                f"approved with a PD: baseline {k[0]}, canary {k[1]}; the bad rate among "
                "approved is undefined",
                k,
            )
        )
    else:
        eb, ec = float(pd_b[mb].mean()), float(pd_c[mc].mean())
        se = math.hypot(pd_b[mb].std() / math.sqrt(k[0]), pd_c[mc].std() / math.sqrt(k[1]))
        js.append(
            _delta_judgement(
                "expected_bad_rate",
                eb,
                ec,
                se,
                tolerance=g.bad_rate_tolerance,
                direction="increase",
                confidence=conf,
                critical="expected_bad_rate" in crit,
                n=k,
                what=f"expected bad rate among approved ({priced})",
            )
        )

    # score PSI
    scores_b = base["score"].to_numpy(dtype=float)
    scores_c = can["score"].to_numpy(dtype=float)
    scores_b, scores_c = scores_b[np.isfinite(scores_b)], scores_c[np.isfinite(scores_c)]
    k = (scores_b.size, scores_c.size)
    if min(k) < g.min_decisions_per_arm:
        js.append(
            _nodata(
                "score_psi",
                "score_psi" in crit,
                f"scored decisions: baseline {k[0]}, canary {k[1]}; need "
                f"{g.min_decisions_per_arm} per arm",
                k,
            )
        )
    else:
        value = drift.psi(scores_b, scores_c)
        j = MetricJudgement(
            "score_psi",
            "Pass" if value <= g.psi_tolerance else "High",
            "score_psi" in crit,
            float(np.mean(scores_b)),
            float(np.mean(scores_c)),
            value,
            tolerance=g.psi_tolerance,
            n_baseline=k[0],
            n_canary=k[1],
            detail=f"PSI of canary scores vs baseline scores (baseline deciles) {value:.4f}",
        )
        js.append(j)

    # reason-code mix
    js.append(_reason_mix(base, can, g, "reason_mix" in crit))

    # -- verdict ----------------------------------------------------------------------------
    assert [j.name for j in js] == list(GUARDRAIL_NAMES)
    score, score_class = score_run(js, pass_score=g.pass_score, marginal_score=g.marginal_score)
    critical_failed = [j for j in js if j.critical and j.classification in ("High", "Low")]
    nodata = [j for j in js if j.nodata]
    failed_any = [j for j in js if j.classification in ("High", "Low")]
    reasons: list[str] = []
    if not enough:
        decision = "hold"
        reasons.append(
            f"too little traffic: {short}; inconclusive, keep the canary running (never "
            "promote on missing data)"
        )
        reasons.extend(f"would fail: {j.line()}" for j in failed_any)
    elif critical_failed:
        decision = "rollback"
        reasons.extend(f"critical guardrail failed: {j.line()}" for j in critical_failed)
    elif nodata:
        decision = "hold"
        reasons.extend(f"inconclusive: {j.line()}" for j in nodata)
        reasons.extend(f"failed: {j.line()}" for j in failed_any)
    elif score_class == "pass":
        decision = "promote"
        reasons.append(f"every guardrail judged; score {score:.0f} >= {g.pass_score:g}")
    elif score_class == "marginal":
        decision = "hold"
        reasons.append(f"marginal score {score:.0f} (< {g.pass_score:g}, >= {g.marginal_score:g})")
        reasons.extend(f"failed: {j.line()}" for j in failed_any)
    else:
        decision = "rollback"
        reasons.append(f"score {score:.0f} < {g.marginal_score:g}")
        reasons.extend(f"failed: {j.line()}" for j in failed_any)
    return Verdict(
        decision=decision,
        score=score,
        score_class=score_class,
        judgements=js,
        reasons=reasons,
        traffic={"baseline": n[0], "canary": n[1]},
        segments=segments,
        guardrails=g,
    )


def _reason_mix(base: pd.DataFrame, can: pd.DataFrame, g: Guardrails, critical: bool):
    name = "reason_mix"
    if "reason_1" not in base.columns or "reason_1" not in can.columns:
        return _nodata(name, critical, "no reason_1 column: reason mix not judged")
    counts = []
    for frame in (base, can):
        declined = frame["decision"].astype(str) == "decline"
        reason = frame.loc[declined, "reason_1"]
        reason = reason[reason.notna() & (reason.astype(str) != "") & (reason.astype(str) != "nan")]
        counts.append(reason.astype(str).value_counts())
    k = (int(counts[0].sum()), int(counts[1].sum()))
    if min(k) < g.min_declines:
        return _nodata(
            name,
            critical,
            f"declines with a reason: baseline {k[0]}, canary {k[1]}; need {g.min_declines} "
            "per arm",
            k,
        )
    table = pd.concat(counts, axis=1, keys=["baseline", "canary"]).fillna(0)
    shares = table / table.sum()
    tvd = float(0.5 * (shares["canary"] - shares["baseline"]).abs().sum())
    if len(table) > 1:
        p = float(stats.chi2_contingency(table.to_numpy()).pvalue)
    else:
        p = 1.0
    moved = (shares["canary"] - shares["baseline"]).abs().sort_values(ascending=False)
    top = moved.index[0]
    return MetricJudgement(
        name,
        "Pass" if tvd <= g.reason_tvd_tolerance else "High",
        critical,
        value=tvd,
        tolerance=g.reason_tvd_tolerance,
        p_value=p,
        n_baseline=k[0],
        n_canary=k[1],
        detail=(
            f"total-variation distance of principal reasons {tvd:.3f} (chi-square p={p:.3g}); "
            f"largest move: {top!r} {shares.loc[top, 'baseline']:.1%} -> "
            f"{shares.loc[top, 'canary']:.1%}"
        ),
    )
