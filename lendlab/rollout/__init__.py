"""Rollout: replay comparison and canary analysis against technical and business guardrails.

* :func:`compare` (``lendlab.rollout.compare``) - two model versions on the same historical
  applications: latency, score differences, decision flips by segment and by reason code,
  approval-rate and AIR deltas, expected bad rate among approved; a :class:`Comparison`.
* :func:`judge_metric` / :func:`score_run` (``lendlab.rollout.judge``) - a Mann-Whitney judge
  in the style of Kayenta: Pass / High / Low / Nodata per metric, a score out of 100.
* :class:`Guardrails` (``lendlab.rollout.guardrails``) - every tolerance and minimum, with
  documented defaults, loadable from JSON or TOML.
* :func:`analyze` (``lendlab.rollout.analyze``) - canary vs baseline decisions: a
  :class:`Verdict` of promote / hold / rollback with one line per guardrail.
* :func:`build_candidates` / :func:`simulate_canary` (``lendlab.rollout.candidates``) -
  sealed release candidates as real artifacts (:class:`ReleaseCandidate`), and what a canary
  of one would log.

Dependencies point one way: serving -> rollout -> response.

Example
-------
>>> from lendlab import rollout
>>> rollout.Guardrails().pass_score, rollout.Guardrails().marginal_score
(95.0, 75.0)
"""

from lendlab.rollout.analyze import Verdict, analyze, arm_decisions
from lendlab.rollout.candidates import (
    CANARY_POLICY,
    ReleaseCandidate,
    SealedReleases,
    build_candidates,
    request_latency_ms,
    simulate_canary,
)
from lendlab.rollout.compare import Comparison, compare, decide_vectorised, score_batch
from lendlab.rollout.guardrails import Guardrails, load_guardrails
from lendlab.rollout.judge import MetricJudgement, judge_metric, mann_whitney_shift, score_run

__all__ = [
    "CANARY_POLICY",
    "Comparison",
    "Guardrails",
    "MetricJudgement",
    "ReleaseCandidate",
    "SealedReleases",
    "Verdict",
    "analyze",
    "arm_decisions",
    "build_candidates",
    "compare",
    "decide_vectorised",
    "judge_metric",
    "load_guardrails",
    "mann_whitney_shift",
    "request_latency_ms",
    "score_batch",
    "score_run",
    "simulate_canary",
]
