"""Delinquency before charge-off: when each loan first goes 30, 60 and 90 days past due.

The generator draws the month on book of charge-off (``months_to_default``) from the
LendingClub seasoning curve. A lender sees a bad loan coming months earlier, as missed
payments: first-payment default, 30+ days past due (DPD) in months 1-3, roll rates. This module
turns the charge-off month into a delinquency path, and adds delinquencies that cure, with pure
vectorised functions:

* :func:`delinquency_paths` - the truth: per loan, the first month on book at 30+, 60+ and 90+
  DPD (NaN when never) and the month a self-healing delinquency cured.
* :func:`dpd_as_of` - the delinquency state (``current``, ``dpd30``, ``dpd60``, ``dpd90plus``,
  ``charged_off``) at a month on book.
* :func:`delinquency_as_of` - that state with the "ever 30+/60+/90+ so far" flags, the lender's
  early-warning labels.

How a path is made (tags as in ``shared/research/lending-world.md``: [S] published, [D] derived,
[A] assumption):

* A loan is charged off at about 120 DPD plus ~30 days [S/D], so a loan charged off in month
  ``C`` missed the payment due in month ``C - 4`` and never caught up: 30 DPD in ``C - 4``, 60 in
  ``C - 3``, 90 in ``C - 2``, 120 in ``C - 1``, charged off in ``C`` [D]. The earliest charge-off
  (month 5) is therefore a first-payment default: 30 DPD at month 1 [D].
* A share of charged-off loans (``prior_episode_share``, 25%) had an earlier delinquency that
  cured, at least one month before the final roll began [A].
* A loan that never charges off has one cured delinquency with probability
  ``min(cure_per_pd * pd_true, cure_cap)`` [A]: riskier borrowers slip more often. The constant
  makes ever-30+ DPD over the life of the loan about 1.9x the lifetime charge-off rate [A].
* A cured delinquency goes one bucket deeper each month it is not paid, then the borrower
  catches up all at once: it reaches 30 / 60 / 90 DPD before curing with probability
  ``cure_depth_mix`` (75 / 20 / 5%) [A]. Partial cures (60 back to 30) are not modelled.
* Cured delinquencies start at month ``s`` with the seasoning curve moved four months earlier,
  except that the month-5 spike of the curve (never-pay, fraud) is spread evenly over months
  1-8: never-payers do not cure [A].

One figure to set against these: credit-card glossaries quote a 30-to-60 roll rate of ~20%
[S, weak]. An instalment book whose lifetime charge-off rate is ~20% cannot roll that slowly
(ever-30+ would exceed 100% of loans); this world rolls ~60% of 30 DPD episodes to 60.

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> paths = delinquency_paths(
...     rng, np.array([5.0, 12.0, np.nan]), np.array([36, 36, 60]), np.array([0.5, 0.3, 0.0])
... )
>>> paths["months_to_dpd30"][:2], paths["months_to_dpd90"][:2]
(array([1., 8.]), array([ 3., 10.]))
>>> list(dpd_as_of(paths, 2))
['dpd60', 'current', 'current']
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = [
    "DELINQUENCY_MODEL",
    "DPD_STATES",
    "PATH_COLUMNS",
    "delinquency_paths",
    "dpd_as_of",
    "delinquency_as_of",
]

#: The assumptions behind a path (see the module docstring for their sources and tags).
DELINQUENCY_MODEL = {
    "months_30_to_charge_off": 4,  # 30 DPD at C-4, 60 at C-3, 90 at C-2, 120 at C-1 [D]
    "prior_episode_share": 0.25,  # charged-off loans with an earlier, cured delinquency [A]
    "cure_per_pd": 1.4,  # P(cured delinquency | never charged off) = 1.4 * pd_true ... [A]
    "cure_cap": 0.9,  # ... capped at 0.9 [A]
    "cure_depth_mix": (0.75, 0.20, 0.05),  # a cured delinquency reached 30 / 60 / 90 DPD [A]
}

#: Delinquency states in order of severity (``dpd90plus`` covers 90-149 days past due).
DPD_STATES: tuple[str, ...] = ("current", "dpd30", "dpd60", "dpd90plus", "charged_off")

#: Truth columns :func:`delinquency_paths` returns (``months_to_default`` is its input).
PATH_COLUMNS: tuple[str, ...] = (
    "months_to_dpd30",
    "months_to_dpd60",
    "months_to_dpd90",
    "months_to_cure",
)

# The LendingClub seasoning curve (research file section 2): cumulative share of eventual bads
# charged off by month on book. The generator passes its own copy (one source of truth there).
_SEASONING_MONTHS = np.array([4.0, 5, 12, 24, 36, 60])
_SEASONING_CUM = np.array([0.0, 2.5, 7.3, 13.4, 16.5, 17.3]) / 17.3


def _cure_curve(months: np.ndarray, cum: np.ndarray, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Start month of a cured delinquency: the seasoning curve ``lag`` months earlier, its
    first-charge-off spike spread evenly from month 0 to the next knot."""
    shifted = months - lag
    keep = shifted > shifted[1]  # drop the knots of the spike (the curve's first two points)
    return np.concatenate([[0.0], shifted[keep]]), np.concatenate([[0.0], cum[keep]])


def _as_float(values: object, name: str) -> np.ndarray:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise TypeError(f"{name} must be an array of numbers, got {type(values).__name__}")
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64, copy=False)


def delinquency_paths(
    rng: np.random.Generator,
    months_to_default: np.ndarray,
    term: np.ndarray,
    pd_true: np.ndarray,
    *,
    seasoning: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Draw each loan's delinquency path: first months at 30+, 60+, 90+ DPD and any cure.

    Parameters
    ----------
    rng : numpy.random.Generator
        The random stream (the generator passes its own, after all its other draws).
    months_to_default : array of float
        Month on book of charge-off, 5..term; NaN for loans that never charge off.
    term : array of int
        Loan term in months (36 or 60 in the world; any term of at least 5 months works).
    pd_true : array of float
        True lifetime probability of default, in [0, 1]: riskier good loans slip more often.
    seasoning : (months, cumulative share), optional
        The seasoning curve the charge-off months came from (knots; first two knots are the
        month before the first charge-off and the first charge-off month). Defaults to the
        LendingClub curve of the research file.

    Returns
    -------
    dict of str to numpy.ndarray
        Float arrays aligned with the input (NaN = never): ``months_to_default`` (a copy of
        the input), then :data:`PATH_COLUMNS`: ``months_to_dpd30``, ``months_to_dpd60``,
        ``months_to_dpd90`` (first month on book at 30+ / 60+ / 90+ DPD) and
        ``months_to_cure`` (month a delinquency that cured was current again). Pass it, or a
        frame holding these columns, to :func:`dpd_as_of`.

    Raises
    ------
    TypeError
        ``rng`` is not a numpy Generator, or an input is not an array of numbers.
    ValueError
        Inputs differ in length, a charge-off month is outside 5..term, a term is shorter
        than 5 months, or ``pd_true`` is outside [0, 1] or NaN.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.array([5.0, 20.0, np.nan, np.nan])
    >>> paths = delinquency_paths(
    ...     np.random.default_rng(1), c, np.array([36, 60, 36, 36]), np.array([0.6, 0.4, 0.0, 0.2])
    ... )
    >>> paths["months_to_dpd60"][:2]  # charged off in month C: 60 DPD in month C - 3
    array([ 2., 17.])
    >>> bool(np.isnan(paths["months_to_dpd30"][2]))  # pd_true 0: never late
    True
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    c = _as_float(months_to_default, "months_to_default")
    t = _as_float(term, "term")
    p = _as_float(pd_true, "pd_true")
    if not len(c) == len(t) == len(p):
        raise ValueError(
            f"months_to_default, term and pd_true must have the same length, got "
            f"{len(c)}, {len(t)} and {len(p)}"
        )
    if np.isnan(t).any() or (t < 5).any() or (t != np.rint(t)).any():
        raise ValueError("term must be whole months of at least 5 (e.g. 36 or 60), without NaN")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("pd_true must be probabilities in [0, 1] without NaN")
    bad = ~np.isnan(c)
    lag = int(DELINQUENCY_MODEL["months_30_to_charge_off"])
    # NaN compares False: loans that never charge off pass these checks.
    if (c < lag + 1).any() or (c > t).any() or (np.abs(c - np.rint(c)) > 0).any():
        raise ValueError(
            f"months_to_default must be whole months from {lag + 1} to the term (NaN = never "
            "charged off); pass the column made by lendlab.world.generate"
        )
    months, cum = (
        (_SEASONING_MONTHS, _SEASONING_CUM)
        if seasoning is None
        else (np.asarray(seasoning[0], float), np.asarray(seasoning[1], float))
    )
    if months.shape != cum.shape or months.size < 3:
        raise ValueError("seasoning must be two arrays of knots of the same length (at least 3)")
    m = DELINQUENCY_MODEL
    # Charged-off loans roll straight from 30 DPD in month C - lag to charge-off in month C.
    dpd30 = c - lag  # NaN stays NaN: never charged off
    dpd60 = dpd30 + 1.0
    dpd90 = dpd30 + 2.0
    cure = np.full(c.size, np.nan)

    # Stream layout: one uniform per loan says whether it has a cured delinquency (charged-off
    # loans: an earlier one; others: by pd_true), then two per such loan: its depth and start.
    chance = np.where(
        bad, m["prior_episode_share"], np.minimum(m["cure_per_pd"] * p, m["cure_cap"])
    )
    idx = np.flatnonzero(rng.random(c.size) < chance)
    v = rng.random((2, idx.size))
    mix = m["cure_depth_mix"]
    depth = 1.0 + (v[0] >= mix[0]) + (v[0] >= mix[0] + mix[1])
    ci, ti = c[idx], t[idx]
    was_bad = bad[idx]
    # Charged-off loans: the episode cures at least a month before the final roll begins, so it
    # starts in 1 .. C - lag - 1 - depth (loans charged off too early to have one keep none).
    last_start = np.where(was_bad, ci - lag - 1.0 - depth, 1.0)
    start_bad = 1.0 + np.floor(v[1] * last_start)
    # Others: the seasoning curve moved earlier, cut so the episode cures within the term.
    cure_months, cure_cum = _cure_curve(months, cum, lag)
    top = ti - depth
    u = v[1] * np.interp(top, cure_months, cure_cum)
    start_good = np.clip(np.ceil(np.interp(u, cure_cum, cure_months)), 1.0, top)
    start = np.where(was_bad, start_bad, start_good)
    keep = ~was_bad | (last_start >= 1.0)
    idx, start, depth = idx[keep], start[keep], depth[keep]
    dpd30[idx] = start
    dpd60[idx] = np.where(depth >= 2, start + 1.0, dpd60[idx])
    dpd90[idx] = np.where(depth >= 3, start + 2.0, dpd90[idx])
    cure[idx] = start + depth
    return {
        "months_to_default": c.copy(),
        "months_to_dpd30": dpd30,
        "months_to_dpd60": dpd60,
        "months_to_dpd90": dpd90,
        "months_to_cure": cure,
    }


def _column(paths: Mapping[str, object] | pd.DataFrame, name: str) -> np.ndarray:
    try:
        values = paths[name]
    except (KeyError, IndexError, TypeError):
        raise ValueError(
            f"paths has no {name!r}: pass the dict from delinquency_paths plus "
            "'months_to_default', or a book from lendlab.world.generate"
        ) from None
    return _as_float(values.to_numpy() if isinstance(values, pd.Series) else values, name)


def _months_on_book(months_on_book: object, n: int, index: pd.Index | None = None) -> np.ndarray:
    if isinstance(months_on_book, pd.Series):
        if index is not None and not months_on_book.index.equals(index):
            raise ValueError(
                "months_on_book is a Series whose index differs from the frame's; align it "
                "(months.reindex(frame.index)) or pass a numpy array (read by position)"
            )
        months_on_book = months_on_book.to_numpy()
    mob = np.asarray(months_on_book)
    if not (np.issubdtype(mob.dtype, np.number)) or mob.dtype == bool:
        raise TypeError(f"months_on_book must be whole numbers, got dtype {mob.dtype}")
    mob = mob.astype(np.float64)
    if np.isnan(mob).any() or (mob < 0).any():
        raise ValueError("months_on_book must be whole months >= 0 without NaN")
    if mob.ndim > 1 or (mob.ndim == 1 and mob.size != n):
        raise ValueError(f"months_on_book must be one number or {n} of them, got shape {mob.shape}")
    return np.broadcast_to(np.floor(mob), (n,))


def _state_codes(paths: Mapping[str, object] | pd.DataFrame, months_on_book: object) -> np.ndarray:
    c = _column(paths, "months_to_default")
    start = _column(paths, "months_to_dpd30")
    cure = _column(paths, "months_to_cure")
    index = paths.index if isinstance(paths, pd.DataFrame) else None
    mob = _months_on_book(months_on_book, c.size, index)
    lag = int(DELINQUENCY_MODEL["months_30_to_charge_off"])
    # NaN compares False, so loans without a charge-off or a cure fall through to "current".
    roll = np.minimum(mob - (c - lag), 2.0) + 1.0  # final roll: 30, 60, 90+ from C - lag
    episode = mob - start + 1.0  # a cured delinquency deepens each month until it cures
    codes = np.zeros(c.size, dtype=np.int8)
    in_episode = (start <= mob) & (mob < cure)
    codes[in_episode] = np.minimum(episode[in_episode], 3.0)
    rolling = mob >= c - lag
    codes[rolling] = roll[rolling]
    codes[c <= mob] = 4
    return codes


def dpd_as_of(
    paths: Mapping[str, object] | pd.DataFrame, months_on_book: int | np.ndarray | pd.Series
) -> pd.Categorical:
    """The delinquency state of each loan at a month on book.

    Parameters
    ----------
    paths : dict or DataFrame
        ``months_to_default``, ``months_to_dpd30`` and ``months_to_cure`` per loan: the output
        of :func:`delinquency_paths`, or a generated book.
    months_on_book : int or array of int
        Whole months since booking: one for all loans, or one per loan (a numpy array is read
        by position; a Series must carry the index of ``paths`` when that is a DataFrame).

    Returns
    -------
    pandas.Categorical
        Ordered states :data:`DPD_STATES`: ``current``, ``dpd30`` (30-59 days past due),
        ``dpd60``, ``dpd90plus`` (90-149) and ``charged_off``.

    Examples
    --------
    >>> import numpy as np
    >>> paths = {
    ...     "months_to_default": np.array([9.0, np.nan]),
    ...     "months_to_dpd30": np.array([5.0, 2.0]),
    ...     "months_to_cure": np.array([np.nan, 4.0]),
    ... }
    >>> [list(dpd_as_of(paths, m)) for m in (3, 6, 9)]
    [['current', 'dpd60'], ['dpd60', 'current'], ['charged_off', 'current']]
    """
    codes = _state_codes(paths, months_on_book)
    return pd.Categorical.from_codes(codes, categories=list(DPD_STATES), ordered=True)


def delinquency_as_of(
    paths: Mapping[str, object] | pd.DataFrame, months_on_book: int | np.ndarray | pd.Series
) -> pd.DataFrame:
    """What a lender knows of delinquency at a month on book: state and "ever so far" flags.

    Parameters
    ----------
    paths : dict or DataFrame
        As for :func:`dpd_as_of`, plus ``months_to_dpd60`` and ``months_to_dpd90``.
    months_on_book : int or array of int
        Whole months since booking, one for all loans or one per loan (as for
        :func:`dpd_as_of`).

    Returns
    -------
    DataFrame
        ``dpd_status`` (see :func:`dpd_as_of`) and ``ever_dpd30_so_far``,
        ``ever_dpd60_so_far``, ``ever_dpd90_so_far`` (int8: 1 if the loan has been at least
        that late by this month). A charged-off loan has been 90+ DPD. The index is that of
        ``paths`` when it is a DataFrame.

    Examples
    --------
    >>> import numpy as np
    >>> paths = {
    ...     "months_to_default": np.array([9.0, np.nan]),
    ...     "months_to_dpd30": np.array([5.0, 2.0]),
    ...     "months_to_dpd60": np.array([6.0, 3.0]),
    ...     "months_to_dpd90": np.array([7.0, np.nan]),
    ...     "months_to_cure": np.array([np.nan, 4.0]),
    ... }
    >>> delinquency_as_of(paths, 6)
      dpd_status  ever_dpd30_so_far  ever_dpd60_so_far  ever_dpd90_so_far
    0      dpd60                  1                  1                  0
    1    current                  1                  1                  0
    """
    status = dpd_as_of(paths, months_on_book)
    index = paths.index if isinstance(paths, pd.DataFrame) else None
    mob = _months_on_book(months_on_book, len(status), index)
    out = {"dpd_status": status}
    for days in (30, 60, 90):
        first = _column(paths, f"months_to_dpd{days}")
        out[f"ever_dpd{days}_so_far"] = (first <= mob).astype(np.int8)
    return pd.DataFrame(out, index=index)
