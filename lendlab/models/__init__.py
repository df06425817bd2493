"""Credit models: the champion scorecard, a challenger, the rules fallback and reason codes.

* :class:`Scorecard` - quantile bins, weight of evidence, logistic regression, PDO points.
* :class:`Challenger` - gradient-boosted trees with the same ``predict_pd`` / ``score`` API.
* :func:`rules_policy` - the knock-out rules (fico >= 660, dti <= 40, inquiries <= 6) with a
  reason for each failed rule.
* :func:`reason_codes` / :func:`decide` - Reg B adverse-action reasons from scorecard points.
* :func:`points_scaling`, :func:`pd_to_score`, :func:`score_to_pd` - the PDO arithmetic.

Conventions: ``y`` 1 = bad, 0 = good; ``predict_pd`` higher = riskier; ``score`` (points)
higher = safer; approve when pd < cutoff.

Example
-------
>>> from lendlab import models
>>> [round(v, 2) for v in models.points_scaling(pdo=20, base_score=600, base_odds=50)]
[28.85, 487.12]
"""

from lendlab.models.challenger import Challenger
from lendlab.models.features import CHALLENGER_FEATURES, add_engineered_features
from lendlab.models.policy import POLICY_RULES, rules_policy
from lendlab.models.reason_codes import MISSING_REASON_TEXT, REASON_TEXT, decide, reason_codes
from lendlab.models.scaling import pd_to_score, points_scaling, score_to_pd
from lendlab.models.scorecard import Scorecard

__all__ = [
    "CHALLENGER_FEATURES",
    "add_engineered_features",
    "MISSING_REASON_TEXT",
    "POLICY_RULES",
    "REASON_TEXT",
    "Challenger",
    "Scorecard",
    "decide",
    "pd_to_score",
    "points_scaling",
    "reason_codes",
    "rules_policy",
    "score_to_pd",
]
