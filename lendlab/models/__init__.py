"""Credit models: the model contract, the champion scorecard, a challenger, the rules fallback.

* :class:`PDModel` / :func:`check_model` - the contract the scoring service loads:
  ``predict_pd(X)``, ``features``, the points scaling (``pdo``, ``base_score``,
  ``base_odds``) and a ``version``.
* :func:`save_model` / :func:`load_model` - an artifact plus a JSON sidecar with its sha256;
  loading refuses an artifact whose bytes changed.
* :class:`Scorecard` - quantile bins, weight of evidence, logistic regression, PDO points.
* :class:`Challenger` - gradient-boosted trees with the same ``predict_pd`` / ``points`` API.
  Both are scikit-learn binary classifiers (``predict_proba``, ``predict``, ``classes_``,
  ``score(X, y)`` = accuracy), so ``clone`` and ``cross_val_score`` work.
* :func:`rules_policy` - the knock-out rules (fico >= 660, dti <= 40, inquiries <= 6) with a
  reason for each failed rule.
* :func:`reason_codes` / :func:`decide` - Reg B adverse-action reasons from scorecard points.
* :func:`points_scaling`, :func:`pd_to_score`, :func:`score_to_pd` - the PDO arithmetic.

Conventions: ``y`` 1 = bad, 0 = good; ``predict_pd`` higher = riskier; ``points`` higher =
safer; approve when pd < cutoff.

Example
-------
>>> from lendlab import models
>>> [round(v, 2) for v in models.points_scaling(pdo=20, base_score=600, base_odds=50)]
[28.85, 487.12]
"""

from lendlab.models.artifacts import load_model, read_sidecar, save_model, sidecar_path
from lendlab.models.challenger import Challenger
from lendlab.models.contract import PDModel, check_model, model_features, model_scaling
from lendlab.models.features import CHALLENGER_FEATURES
from lendlab.models.policy import POLICY_RULES, rules_policy
from lendlab.models.reason_codes import MISSING_REASON_TEXT, REASON_TEXT, decide, reason_codes
from lendlab.models.scaling import pd_to_score, points_scaling, score_to_pd
from lendlab.models.scorecard import Scorecard

__all__ = [
    "CHALLENGER_FEATURES",
    "MISSING_REASON_TEXT",
    "POLICY_RULES",
    "REASON_TEXT",
    "Challenger",
    "PDModel",
    "Scorecard",
    "check_model",
    "decide",
    "load_model",
    "model_features",
    "model_scaling",
    "pd_to_score",
    "points_scaling",
    "read_sidecar",
    "reason_codes",
    "rules_policy",
    "save_model",
    "score_to_pd",
    "sidecar_path",
]
