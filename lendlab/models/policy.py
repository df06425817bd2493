"""The rules-based fallback policy: the incumbent knock-out rules, with a reason per failed rule.

When the scoring service is down or untrusted, a lender can fall back to simple published
rules: credit score >= 660, DTI <= 40 %, at most 6 inquiries in 6 months (LendingClub's
criteria, DTI relaxed from 35). The rules and thresholds are defined once, in
:data:`lendlab.world.schema.KNOCKOUT_RULES` and :data:`lendlab.world.schema.POLICY`; the
decision is :func:`lendlab.world.schema.passes_knockout`, so this fallback, the generator's
``approved_policy`` and the fault catalogue always agree. This module adds the reasons.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lendlab.models._validation import check_frame
from lendlab.world.schema import KNOCKOUT_RULES, POLICY, passes_knockout

__all__ = ["POLICY_RULES", "rules_policy"]

# Adverse-action wording per rule column: (when the rule fails, when the value is missing).
_REASONS: dict[str, tuple[str, str]] = {
    "fico": (
        "Credit score below our minimum of {threshold:g}",
        "No credit score available from the credit bureau",
    ),
    "dti": (
        "Debt obligations too high relative to income (above {threshold:g}%)",
        "Debt-to-income ratio could not be calculated: income or obligations missing",
    ),
    "inquiries_6m": (
        "Too many recent credit inquiries (more than {threshold:g} in 6 months)",
        "Number of recent credit inquiries not available from the credit bureau",
    ),
}

#: (column, comparison, threshold key, reason when it fails, reason when the value is missing),
#: one per rule of :data:`lendlab.world.schema.KNOCKOUT_RULES`, in its order.
POLICY_RULES: tuple[tuple[str, str, str, str, str], ...] = tuple(
    (column, op, key, *_REASONS[column]) for column, op, key in KNOCKOUT_RULES
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
    passes = passes_knockout(frame, by_rule=True)  # validates the columns are numeric
    approved = passes.all(axis=1)
    n = len(frame)
    failed = ~passes
    texts = np.empty((n, len(POLICY_RULES)), dtype=object)
    for j, (column, _, key, fail_text, missing_text) in enumerate(POLICY_RULES):
        missing = frame[column].isna().to_numpy()
        texts[:, j] = np.where(missing, missing_text, fail_text.format(threshold=POLICY[key]))

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
