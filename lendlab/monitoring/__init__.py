"""Before-labels monitoring: the decision record, decision mix, loan performance and vintages.

Example
-------
>>> from lendlab import monitoring
>>> "model_version" in monitoring.LOG_COLUMNS
True
"""

from lendlab.monitoring.decision_record import *  # noqa: F403
from lendlab.monitoring.decision_record import __all__  # noqa: F401
