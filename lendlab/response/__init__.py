"""Incident response: triage, segment impact, freeze-or-degrade decisions and audit evidence.

In lendlab an *incident* is what a responder handles: something went wrong with decisions and
someone must find out what, who was affected and what to do. (Breaking data on purpose is *fault
injection*: :mod:`lendlab.world.faults`.) This package starts with the one triage taxonomy every
lab uses, :mod:`lendlab.response.triage`; weeks 9-10 add segment impact, the decision tree and
evidence bundles.

Example
-------
>>> from lendlab import response
>>> response.TRIAGE_CLASSES
('data', 'world', 'model', 'threshold')
"""

from lendlab.response.triage import AUC_DROP_RULE, TRIAGE_CLASSES, TRIAGE_QUESTIONS, triage

__all__ = ["AUC_DROP_RULE", "TRIAGE_CLASSES", "TRIAGE_QUESTIONS", "triage"]
