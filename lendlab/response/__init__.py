"""Incident response: triage, segment impact, freeze-or-degrade decisions and audit evidence.

In lendlab an *incident* is what a responder handles: something went wrong with decisions and
someone must find out what, who was affected and what to do. (Breaking data on purpose is *fault
injection*: :mod:`lendlab.world.faults`.) This package starts with the one triage taxonomy every
lab uses, :mod:`lendlab.response.triage`, and adds for weeks 9-10:
:mod:`~lendlab.response.signatures` (triage from measured signals and the fault catalogue),
:mod:`~lendlab.response.impact` (who was affected, the re-decision list),
:mod:`~lendlab.response.decision_tree` (continue / rollback / fallback / freeze, the review
queue and the Reg B notice clock) and :mod:`~lendlab.response.evidence` (tamper-evident audit
bundles; ``lendlab incident bundle`` / ``verify`` in :mod:`~lendlab.response.commands`).

Example
-------
>>> from lendlab import response
>>> response.TRIAGE_CLASSES
('data', 'world', 'model', 'threshold')
>>> response.RETENTION_MONTHS
25
"""

from lendlab.response.decision_tree import (
    ACTIONS,
    NOTICE_DAYS,
    RETENTION_MONTHS,
    ResponsePlan,
    decide_response,
    notice_clock,
    retain_until,
)
from lendlab.response.evidence import BUNDLE_FILES, VerifyReport, verify_bundle, write_bundle
from lendlab.response.impact import (
    decision_window,
    impact_summary,
    redecide_with_model,
    redecision_list,
    segment_impact,
)
from lendlab.response.signatures import (
    SIGNATURES,
    TriageResult,
    measure_signals,
    rank_faults,
    triage_signals,
)
from lendlab.response.triage import AUC_DROP_RULE, TRIAGE_CLASSES, TRIAGE_QUESTIONS, triage

__all__ = [
    "ACTIONS",
    "AUC_DROP_RULE",
    "BUNDLE_FILES",
    "NOTICE_DAYS",
    "RETENTION_MONTHS",
    "SIGNATURES",
    "TRIAGE_CLASSES",
    "TRIAGE_QUESTIONS",
    "ResponsePlan",
    "TriageResult",
    "VerifyReport",
    "decide_response",
    "decision_window",
    "impact_summary",
    "measure_signals",
    "notice_clock",
    "rank_faults",
    "redecide_with_model",
    "redecision_list",
    "retain_until",
    "segment_impact",
    "triage",
    "triage_signals",
    "verify_bundle",
    "write_bundle",
]
