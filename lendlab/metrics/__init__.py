"""Decision metrics for credit models, in lending words, built on scikit-learn.

Conventions (every function):

* ``y_true``: 1 = bad (defaulted), 0 = good.
* ``pd`` / ``y_score``: probability of default or risk score, higher = riskier. An application
  is **approved when pd < cutoff**. For a points score (higher = safer) pass
  ``higher_is_riskier=False``: approved when score >= cutoff.
* Bad input (missing values, labels other than 0/1, mismatched lengths, a single class where
  two are needed, a PD cutoff outside [0, 1]) raises ``ValueError``/``TypeError`` naming the
  argument; no metric returns a silent NaN.

Example
-------
>>> from lendlab import metrics
>>> metrics.approval_rate([0.05, 0.1, 0.3, 0.5], cutoff=0.2)
0.5
"""

from lendlab.metrics.calibration import (
    brier_score,
    calibration_table,
    expected_calibration_error,
)
from lendlab.metrics.decisions import (
    approval_rate,
    approve,
    bad_rate_among_approved,
    decision_confusion,
    decline_precision,
    decline_recall,
    false_decline_rate,
    threshold_table,
)
from lendlab.metrics.fairness import adverse_impact_ratio, rates_by_segment
from lendlab.metrics.ranking import gini, ks_statistic, pr_auc, roc_auc

__all__ = [
    "adverse_impact_ratio",
    "approval_rate",
    "approve",
    "bad_rate_among_approved",
    "brier_score",
    "calibration_table",
    "decision_confusion",
    "decline_precision",
    "decline_recall",
    "expected_calibration_error",
    "false_decline_rate",
    "gini",
    "ks_statistic",
    "pr_auc",
    "rates_by_segment",
    "roc_auc",
    "threshold_table",
]
