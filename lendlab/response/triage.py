"""One triage taxonomy for a credit-decision incident: data, world, model or threshold.

Every lab files a problem under one of four headings, asked in this order because each answer
changes what the next measurement means:

1. **data** - the inputs are wrong: a vendor feed, a join, a unit, a stale snapshot. The model
   is scoring applicants who do not exist. Fix the feed, then re-decide the affected applications.
2. **world** - the inputs are right but the borrowers changed: a new population, a macro shock,
   a change in how people repay. Retraining or a policy change is a risk decision, not a hotfix.
3. **model** - inputs and population are as expected, yet the model ranks worse than at sign-off
   by more than :data:`AUC_DROP_RULE`. Roll back or retrain.
4. **threshold** - the model still ranks as well as it did; what moved is the cutoff, the
   calibration or the policy around it. Re-pick the cutoff or recalibrate; no retraining.

The AUC rule: on a back-test of a few thousand matured loans the standard error of a difference
of two ROC-AUCs is about 0.007-0.01 (Hanley & McNeil 1982), so a drop of more than 0.02 is about
two standard errors: unlikely to be noise, and small enough to matter for approvals.

Example
-------
>>> triage(inputs_broken=False, borrowers_changed=False, auc_signoff=0.71, auc_now=0.70)
'threshold'
>>> triage(inputs_broken=False, borrowers_changed=False, auc_signoff=0.71, auc_now=0.68)
'model'
>>> triage(inputs_broken=True, borrowers_changed=False, auc_signoff=0.71, auc_now=0.60)
'data'
"""

from __future__ import annotations

import math

__all__ = ["AUC_DROP_RULE", "TRIAGE_CLASSES", "TRIAGE_QUESTIONS", "triage"]

#: The four headings, in the order a responder rules them out.
TRIAGE_CLASSES: tuple[str, ...] = ("data", "world", "model", "threshold")

#: A model problem is a ROC-AUC drop of more than this from the sign-off back-test.
AUC_DROP_RULE: float = 0.02

#: The question that rules each heading in or out, for runbooks and lab feedback.
TRIAGE_QUESTIONS: dict[str, str] = {
    "data": "Are the inputs what the applicant and the bureau really said? (contracts, nulls, "
    "spikes, units, joins, freshness)",
    "world": "With correct inputs, did the applicants or their repayment change? (segment mix, "
    "feature drift on clean data, early delinquency by vintage)",
    "model": f"On correct inputs, does the model rank worse than at sign-off by more than "
    f"{AUC_DROP_RULE} ROC-AUC?",
    "threshold": "The model ranks as before: did the cutoff, the calibration or the policy move?",
}


def _auc(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a ROC-AUC (a number between 0 and 1), got {value!r}")
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a ROC-AUC between 0 and 1, got {value!r}")
    return float(value)


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


def triage(
    *,
    inputs_broken: bool,
    borrowers_changed: bool,
    auc_signoff: float,
    auc_now: float,
    auc_drop_rule: float = AUC_DROP_RULE,
) -> str:
    """File an incident under one of :data:`TRIAGE_CLASSES`.

    Parameters
    ----------
    inputs_broken : bool
        A data contract, a reconciliation or a re-pull shows the inputs are wrong.
    borrowers_changed : bool
        With correct inputs, the population or its repayment behaviour moved.
    auc_signoff, auc_now : float
        ROC-AUC on the sign-off back-test and on the same kind of back-test now.
    auc_drop_rule : float, default :data:`AUC_DROP_RULE`
        A drop larger than this is a model problem.

    Returns
    -------
    str
        ``"data"``, ``"world"``, ``"model"`` or ``"threshold"``: the first heading that applies,
        in that order (broken inputs also lower the AUC, so they are ruled out first).

    Examples
    --------
    >>> triage(inputs_broken=False, borrowers_changed=True, auc_signoff=0.71, auc_now=0.66)
    'world'
    """
    inputs_broken = _flag(inputs_broken, "inputs_broken")
    borrowers_changed = _flag(borrowers_changed, "borrowers_changed")
    before, now = _auc(auc_signoff, "auc_signoff"), _auc(auc_now, "auc_now")
    rule = _auc(auc_drop_rule, "auc_drop_rule")
    if inputs_broken:
        return "data"
    if borrowers_changed:
        return "world"
    if before - now > rule:
        return "model"
    return "threshold"
