"""Before-labels monitoring: the decision record, decision mix, loan performance and estimation.

* :mod:`~lendlab.monitoring.decision_record` - :func:`decision_log`, the record a decision
  writes (:data:`LOG_COLUMNS`, :data:`REASON_COLUMNS`, :data:`DECISIONS`,
  :data:`RETENTION_MONTHS`);
* :mod:`~lendlab.monitoring.decision_mix` - :func:`decision_mix`, approval / review / decline
  rates per period;
* :mod:`~lendlab.monitoring.performance` - :func:`loan_performance`, :func:`vintage_curve`,
  :func:`bad_rate_by_vintage`;
* :mod:`~lendlab.monitoring.estimation` - :func:`expected_outcomes`, label-free estimation
  from calibrated PDs.

Example
-------
>>> from lendlab import monitoring
>>> "model_version" in monitoring.LOG_COLUMNS
True
"""

from lendlab.models.contract import PDModel
from lendlab.monitoring.decision_mix import decision_mix
from lendlab.monitoring.decision_record import (
    DECISIONS,
    LOG_COLUMNS,
    REASON_COLUMNS,
    RETENTION_MONTHS,
    decision_log,
)
from lendlab.monitoring.estimation import expected_outcomes
from lendlab.monitoring.performance import bad_rate_by_vintage, loan_performance, vintage_curve

__all__ = [
    "DECISIONS",
    "LOG_COLUMNS",
    "REASON_COLUMNS",
    "RETENTION_MONTHS",
    "PDModel",
    "bad_rate_by_vintage",
    "decision_log",
    "decision_mix",
    "expected_outcomes",
    "loan_performance",
    "vintage_curve",
]
