"""The rules-based fallback policy: the incumbent knock-out rules, with a reason per failed rule.

When the scoring service is down or untrusted, a lender can fall back to simple published
rules: credit score >= 660, DTI <= 40 %, at most 6 inquiries in 6 months (LendingClub's
criteria, DTI relaxed from 35; thresholds in :data:`lendlab.world.POLICY`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lendlab import world
from lendlab.models._validation import check_frame, numeric_values

__all__ = ["POLICY_RULES", "rules_policy"]

#: (column, comparison, threshold key, reason when it fails, reason when the value is missing)
POLICY_RULES: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "fico",
        ">=",
        "fico_min",
        "Credit score below our minimum of {threshold:g}",
        "No credit score available from the credit bureau",
    ),
    (
        "dti",
        "<=",
        "dti_max",
        "Debt obligations too high relative to income (above {threshold:g}%)",
        "Debt-to-income ratio could not be calculated: income or obligations missing",
    ),
    (
        "inquiries_6m",
        "<=",
        "inquiries_max",
        "Too many recent credit inquiries (more than {threshold:g} in 6 months)",
        "Number of recent credit inquiries not available from the credit bureau",
    ),
)


def rules_policy(frame: pd.DataFrame) -> pd.DataFrame:
    """Approve or decline each application by the knock-out rules, with the reasons.

    An application is approved when it passes every rule. A missing value fails its rule
    (the policy cannot show it passes) with its own reason, so a bureau outage shows up as
    "no credit score available", not as "score too low".

    Parameters
    ----------
    frame : pandas.DataFrame
        Applications with ``fico``, ``dti`` and ``inquiries_6m``.

    Returns
    -------
    pandas.DataFrame
        Same index as ``frame``: ``approved`` (bool) and ``reason_1``..``reason_3`` (the
        failed rules in the order fico, dti, inquiries; None where there is no further
        reason, and all None for approved applications).

    Examples
    --------
    >>> import pandas as pd
    >>> apps = pd.DataFrame({"fico": [700, 640, None], "dti": [20.0, 45.0, 10.0],
    ...                      "inquiries_6m": [1, 2, 0]})
    >>> out = rules_policy(apps)
    >>> out["approved"].tolist()
    [True, False, False]
    >>> out.loc[1, "reason_2"]
    'Debt obligations too high relative to income (above 40%)'
    >>> out.loc[2, "reason_1"]
    'No credit score available from the credit bureau'
    """
    columns = [rule[0] for rule in POLICY_RULES]
    check_frame(frame, columns, "rules_policy")
    n = len(frame)
    approved = np.ones(n, dtype=bool)
    failed = np.zeros((n, len(POLICY_RULES)), dtype=bool)
    texts = np.empty((n, len(POLICY_RULES)), dtype=object)
    for j, (column, op, key, fail_text, missing_text) in enumerate(POLICY_RULES):
        threshold = world.POLICY[key]
        values = numeric_values(frame[column], "rules_policy")
        missing = np.isnan(values)
        with np.errstate(invalid="ignore"):
            passes = values >= threshold if op == ">=" else values <= threshold
        passes &= ~missing
        approved &= passes
        failed[:, j] = ~passes
        texts[:, j] = np.where(missing, missing_text, fail_text.format(threshold=threshold))

    # Pack each row's failed rules to the left: reason_k is the k-th failed rule of the row.
    out = pd.DataFrame({"approved": approved}, index=frame.index)
    rank = np.cumsum(failed, axis=1)
    rows = np.arange(n)
    for k in range(len(POLICY_RULES)):
        is_kth = failed & (rank == k + 1)
        pick = texts[rows, np.argmax(is_kth, axis=1)]
        out[f"reason_{k + 1}"] = pd.Series(
            np.where(is_kth.any(axis=1), pick, None), index=frame.index, dtype=object
        )
    return out
