"""Label-free performance estimation: what calibrated PDs say about a book before labels arrive.

:func:`expected_outcomes` is the idea behind NannyML's CBPE (confidence-based performance
estimation): with calibrated PDs, the expected confusion counts at a cutoff and the expected
bad rate among approved loans follow from the PDs alone. It follows covariate shift (the
applicant mix changes) and is blind to concept shift (the same inputs start to mean more risk).

Example
-------
>>> float(expected_outcomes([0.02, 0.04, 0.5], cutoff=0.2)["expected_bad_rate_approved"])
0.03
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from lendlab.validation import check_pd, check_probability

__all__ = ["expected_outcomes"]


def expected_outcomes(pd_values: Any, *, cutoff: float) -> pd.Series:
    """Expected decision outcomes from calibrated PDs, before any label arrives (the CBPE idea).

    If the PDs are calibrated, an approved application with PD ``p`` is an expected ``p`` of a
    bad loan and ``1 - p`` of a good one. Summing gives the expected confusion counts at the
    cutoff and the expected bad rate among approved loans (the mean PD of the approved).

    This holds under covariate shift (the applicant mix changes, ``P(bad | inputs)`` does
    not). It is blind to concept shift: when the same inputs start to mean more risk (a macro
    shock, a reporting change), the PDs do not move and neither does the estimate.

    Parameters
    ----------
    pd_values : array-like of float
        Calibrated probabilities of default in [0, 1].
    cutoff : float
        Approve when ``pd < cutoff``.

    Returns
    -------
    Series
        ``applications``, ``approved``, ``approval_rate``, ``expected_approved_bad``,
        ``expected_approved_good``, ``expected_declined_bad``, ``expected_declined_good``,
        ``expected_bad_rate_approved`` (floats; the counts are expectations, not integers).

    Examples
    --------
    >>> expected_outcomes([0.02, 0.10, 0.30, 0.60], cutoff=0.2).round(3)
    applications                  4.00
    approved                      2.00
    approval_rate                 0.50
    expected_approved_bad         0.12
    expected_approved_good        1.88
    expected_declined_bad         0.90
    expected_declined_good        1.10
    expected_bad_rate_approved    0.06
    Name: expected, dtype: float64
    """
    # one check for every PD input: text refused, NaN/inf refused, [0, 1] enforced
    p = check_pd(pd_values, "pd_values")
    cut = check_probability(cutoff, "cutoff")
    ok = p < cut
    if not ok.any():
        raise ValueError(
            f"no application is approved at cutoff={cutoff!r} (every pd >= cutoff): the expected "
            "bad rate among approved is undefined; check the cutoff"
        )
    return pd.Series(
        {
            "applications": float(p.size),
            "approved": float(ok.sum()),
            "approval_rate": float(ok.mean()),
            "expected_approved_bad": float(p[ok].sum()),
            "expected_approved_good": float((1 - p[ok]).sum()),
            "expected_declined_bad": float(p[~ok].sum()),
            "expected_declined_good": float((1 - p[~ok]).sum()),
            "expected_bad_rate_approved": float(p[ok].mean()),
        },
        name="expected",
    )
