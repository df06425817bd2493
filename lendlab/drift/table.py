"""One drift row per column: the table an on-call engineer reads first.

Default method: **PSI for every column**: numeric columns on reference deciles, categorical
columns on their categories, threshold 0.25 ("significant"), 0.10 marks "moderate". PSI was
chosen for categoricals too (rather than chi-square) because it is one scale for the whole
table and does not flag trivial differences on large samples, where a chi-square p-value
drops below 0.05 for shifts no lender would act on. Other methods per column:

=================  ==================  =================  ==========================
method             kinds               default threshold  drifted when
=================  ==================  =================  ==========================
``psi``            numeric, category   0.25               statistic >= threshold
``jensen_shannon`` numeric, category   0.1                statistic >= threshold
``wasserstein``    numeric             0.1 (normed)       statistic >= threshold
``ks``             numeric             0.05               p_value < threshold
``chi_square``     category            0.05               p_value < threshold
=================  ==================  =================  ==========================

``wasserstein`` in the table is the normed distance (in reference standard deviations), as
in Evidently. Evidently's spellings ``jensenshannon`` and ``chisquare`` are accepted.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from lendlab.drift._checks import check_columns_arg, check_frame, drift_columns, require_columns
from lendlab.drift._compare import (  # noqa: F401  (Method, resolve_method: re-exported)
    METHODS,
    PSI_MODERATE,
    PSI_SIGNIFICANT,
    Method,
    resolve_method,
    table_from_profile,
)
from lendlab.drift.profile import ReferenceProfile, prepare_reference

__all__ = ["drift_table", "METHODS", "PSI_MODERATE", "PSI_SIGNIFICANT"]


def drift_table(
    reference: pd.DataFrame | ReferenceProfile,
    current: pd.DataFrame,
    *,
    columns: list[str] | None = None,
    method: str | Mapping[str, str] | None = None,
    thresholds: float | Mapping[str, float] | None = None,
    bins: int = 10,
    nan_policy: str = "raise",
) -> pd.DataFrame:
    """Drift of every column between a reference frame and a current frame, one row each.

    Parameters
    ----------
    reference : pandas.DataFrame or ReferenceProfile
        The reference frame, or a profile from :func:`prepare_reference` (reused bins: the
        fast path when the same reference is compared many times).
    current : pandas.DataFrame
        The frame to check, e.g. yesterday's applications.
    columns : list of str, optional
        Columns to compare. Default: all profile columns, or every non-datetime column of
        ``reference``. Each must exist in both frames.
    method : str or dict of column -> str, optional
        ``"psi"`` (default), ``"jensen_shannon"``, ``"wasserstein"``, ``"ks"``,
        ``"chi_square"``; a string applies to every column, a dict to the columns it names
        (others use PSI). See the module notes for which kinds each method accepts.
    thresholds : float or dict of column -> float, optional
        Override the method's default threshold (PSI 0.25; p-value methods 0.05).
    bins : int, default 10
        Reference quantile bins for numeric columns (ignored when given a profile).
    nan_policy : {"raise", "omit", "bin"}, default "raise"
        Missing values (ignored when given a profile; the profile's policy applies).

    Returns
    -------
    pandas.DataFrame
        ``column, kind, method, statistic, [p_value,] threshold, drifted, severity``.
        ``p_value`` is present when a method has one (NaN on the rows whose method has
        none). ``severity`` is "significant" when drifted, "moderate" for a PSI in
        [0.10, threshold), else "stable".

    Raises
    ------
    ValueError
        A column missing from either frame, an empty frame, NaNs under "raise", bad options.
    TypeError
        A method that does not fit the column kind, or a column whose kind differs between
        the frames.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from lendlab.drift import drift_table
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame({"fico": rng.normal(640, 60, 5000),
    ...                     "channel": pd.Categorical(rng.choice(["web", "broker"], 5000))})
    >>> cur = pd.DataFrame({"fico": rng.normal(700, 60, 5000),
    ...                     "channel": pd.Categorical(rng.choice(["web", "broker"], 5000))})
    >>> drift_table(ref, cur)[["column", "kind", "drifted", "severity"]]
        column         kind  drifted     severity
    0     fico      numeric     True  significant
    1  channel  categorical    False       stable
    """
    if isinstance(reference, ReferenceProfile):
        profile = reference
    else:
        reference = check_frame(reference, side="reference")
        check_frame(current, side="current")
        names = check_columns_arg(columns)
        if names is None:
            names = drift_columns(reference)
        require_columns(reference, names, side="reference")
        require_columns(current, names, side="current")
        profile = prepare_reference(reference, columns=names, bins=bins, nan_policy=nan_policy)
    return table_from_profile(
        profile, current, columns=columns, method=method, thresholds=thresholds
    )
