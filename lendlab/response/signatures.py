"""Triage from measurements: what moved, which catalogued fault it looks like, which heading.

The fault catalogue (:data:`lendlab.world.faults.FAULTS`) describes each fault's signature in
words ("approvals down, manual review up"). A responder measures numbers. This module joins the
two:

1. :func:`measure_signals` compares a **baseline** window of the decision log with the
   **incident** window and turns each measurement into a state (``up``, ``down``, ``flat``,
   ``moderate`` or ``unknown``) by the documented rules of :data:`SIGNAL_RULES`;
2. :data:`SIGNATURES` is the catalogue's signature written as expected states (one entry per
   name of :data:`~lendlab.world.faults.FAULTS`, plus two causes the catalogue does not inject:
   a threshold misconfiguration and a model release);
3. :func:`rank_faults` scores every hypothesis by how well the measured states match;
4. :func:`triage_signals` files the incident under the one taxonomy of
   :mod:`lendlab.response.triage` (``data``, ``world``, ``model``, ``threshold``) plus an
   ``infrastructure`` flag (errors, latency or fallback up): *technical* when the
   infrastructure moved, *behavioural* when only decisions, data or the world did.

Scoring: for each signal of a hypothesis whose state is known, a match counts 1, ``moderate``
(half-way between flat and a move) counts 0.5 against any expectation, anything else 0;
``score`` is the mean over the known signals and ``coverage`` the share of the signature that
could be measured. Hypotheses that explain something (a signal they expect to move did
move) rank first; among them, the *consistent* ones (their signature does not say ``flat`` of
a :data:`DECISIVE_SIGNALS` signal that moved: a dependency outage's fallback share, missing
bureau fields or one segment's x12 income is not noise for many flat signals to outvote) rank
before those it
contradicts; then by score, then by
how many *moving* signals matched
(a fault confirmed by things that moved beats one confirmed only by things that stayed flat),
then by the number of signals matched, then by name.

Three kinds of evidence separate the causes a responder confuses most:

* **fallback / errors up**: a dependency failed (technical); a hypothesis that leaves the
  service untouched (a cutoff, a unit bug) cannot be the best match;
* **one segment's inputs moved** (``segment_income_level``, ``segment_dti_level``): measured
  within each segment, so a unit bug in one segment is not averaged away by the others
  (over the whole window its PSI can stay under the flat band);
* **decisions moved at the same PD** (``decision_at_pd``): a cutoff change keeps the inputs
  and the PDs and changes the decision a PD gets; a data fault moves the PDs instead.

Example
-------
>>> import pandas as pd
>>> states = {"approval_rate": "down", "income_shift": "up", "dti_level": "up",
...           "bureau_missing": "flat", "fallback": "flat", "errors": "flat"}
>>> rank_faults(states).index[0]
'income_monthly_as_annual'
>>> result = triage_signals(states)
>>> result.heading, result.infrastructure, result.kind
('data', False, 'behavioural')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lendlab.drift import psi
from lendlab.response.triage import TRIAGE_CLASSES
from lendlab.world.faults import FAULTS

__all__ = [
    "DECISIVE_SIGNALS",
    "EXPECTATIONS",
    "HEADINGS",
    "INFRASTRUCTURE_SIGNALS",
    "SIGNALS",
    "SIGNAL_RULES",
    "SIGNATURES",
    "SEGMENT_MIN_ROWS",
    "STATES",
    "TriageResult",
    "measure_signals",
    "rank_faults",
    "triage_signals",
]

#: The states a measured signal can be in.
STATES: tuple[str, ...] = ("up", "down", "flat", "moderate", "unknown")
#: What a signature may expect of a signal ("moved" = up or down).
EXPECTATIONS: tuple[str, ...] = ("up", "down", "flat", "moved")

#: The signals :func:`measure_signals` measures, with the documented rule that sets the state.
SIGNAL_RULES: dict[str, str] = {
    "errors": "error rate (passed in from the service's metrics): up if +0.01 or more, flat "
    "if the change is under 0.005",
    "latency": "p99 of duration_ms: up if x1.5 or more and the p90 also x1.2 or more (a few slow "
    "requests on a busy host move only the extreme tail: moderate), down if x0.67 or less, flat "
    "within x0.9-x1.1",
    "fallback": "share of decisions made by a fallback: up if +0.01 or more, flat under +0.005",
    "approval_rate": "share approved: up/down by 0.02 (2 points) or more, flat under 0.01",
    "review_rate": "share sent to manual review: up/down by 0.02 or more, flat under 0.01",
    "score_psi": "PSI of the score (baseline deciles): up if >= 0.25, flat if < 0.10",
    "score_spike": "share of the most common score value: up if +0.05 or more, flat under 0.02",
    "bureau_missing": "share of fico missing or at the 300 floor: up if +0.01 or more, flat "
    "under 0.005",
    "income_shift": "PSI of annual_income: up if >= 0.25, flat if < 0.10",
    "dti_level": "median dti ratio (incident / baseline): up if >= 1.5, down if <= 0.67, flat "
    "within 0.9-1.1",
    "inquiries_level": "mean inquiries_6m ratio: up if >= 1.25, down if <= 0.8, flat within "
    "0.9-1.1",
    "verification_mix": "PSI of income_verification (missing as its own level): up if >= 0.25, "
    "flat if < 0.10",
    "verified_income_missing": "share of verified_income missing: up if +0.05 or more, flat "
    "under 0.01",
    "verified_gap": "median verified_income / annual_income ratio (incident / baseline): up if "
    ">= 1.1, down if <= 0.9, flat within 0.97-1.03",
    "emp_length_missing": "share of emp_length_years missing: up if +0.05 or more, flat under 0.01",
    "model_changed": "up if the incident window has a model sha256 the baseline never used, "
    "else flat",
    "air": "adverse impact ratio weighted by protected_proxy: up/down by 0.05 or more, flat "
    "under 0.03",
    "segment_income_level": "median annual_income ratio (incident / baseline) within each "
    "segment with 15+ values in both windows, the segment furthest from 1: up if >= 3, down if "
    "<= 1/3, flat within 0.5-2 (a unit error is x12, x100 or x1000; the median of one "
    "segment's few dozen rows stays within x0.7-x1.5)",
    "segment_dti_level": "median dti ratio (incident / baseline) within each segment with 15+ "
    "values in both windows, the segment furthest from 1: up if >= 3, down if <= 1/3, flat "
    "within 0.5-2",
    "decision_at_pd": "share of incident decisions that differ from the baseline's decision at "
    "the nearest PD (rows with a PD, no fallback, passing the knock-out rules; score when there "
    "is no pd column): up if 0.10 or more, flat under 0.05 (a cutoff move changes decisions at "
    "the same PD; a data fault moves the PDs, not the decision at a PD)",
}
#: Signal names, in the order :func:`measure_signals` reports them.
SIGNALS: tuple[str, ...] = tuple(SIGNAL_RULES)
#: A move in any of these is a technical (infrastructure) symptom.
INFRASTRUCTURE_SIGNALS: tuple[str, ...] = ("errors", "latency", "fallback")
#: Signals whose move no noise explains: a hypothesis whose signature says one of them stays
#: flat while it moved (an infrastructure signal or bureau fields missing up; a segment's
#: income or DTI off by a unit factor, either way) is inconsistent and ranks behind every
#: consistent one that explains something, whatever its score (many flat signals must not
#: outvote the one that broke).
DECISIVE_SIGNALS: tuple[str, ...] = (
    *INFRASTRUCTURE_SIGNALS,
    "bureau_missing",
    "segment_income_level",
    "segment_dti_level",
)
_DECISIVE_UP_ONLY = (*INFRASTRUCTURE_SIGNALS, "bureau_missing")

_F = "flat"
_INFRA_FLAT = {"errors": _F, "latency": _F, "fallback": _F}
#: Every cause but a cutoff (and a new model) leaves the decision at a given PD as it was.
_AT_PD_FLAT = {"decision_at_pd": _F}
_SEGMENTS_FLAT = {"segment_income_level": _F, "segment_dti_level": _F}
_INPUTS_FLAT = {
    "income_shift": _F,
    "dti_level": _F,
    "bureau_missing": _F,
    "inquiries_level": _F,
    **_SEGMENTS_FLAT,
}

#: Expected states per hypothesis: every name of FAULTS, plus two non-catalogue causes.
SIGNATURES: dict[str, dict[str, str]] = {
    "bureau_outage": {
        **_AT_PD_FLAT,
        "bureau_missing": "up",
        "score_spike": "up",
        "score_psi": "up",
        "approval_rate": "down",
        "review_rate": "up",
        "errors": "up",
        "latency": "up",
        "fallback": "up",
        "income_shift": _F,
        "dti_level": _F,
        **_SEGMENTS_FLAT,
    },
    "bureau_attribute_bug": {
        **_AT_PD_FLAT,
        **_INFRA_FLAT,
        "score_psi": _F,
        "bureau_missing": _F,
        "income_shift": _F,
        "dti_level": _F,
        **_SEGMENTS_FLAT,
    },
    "income_monthly_as_annual": {
        **_AT_PD_FLAT,
        "income_shift": "up",
        "dti_level": "up",
        "segment_income_level": "down",
        "segment_dti_level": "up",
        "approval_rate": "down",
        "bureau_missing": _F,
        "inquiries_level": _F,
        **_INFRA_FLAT,
    },
    "income_annual_as_monthly": {
        **_AT_PD_FLAT,
        "income_shift": "up",
        "dti_level": "down",
        "segment_income_level": "up",
        "segment_dti_level": "down",
        "approval_rate": "up",
        "bureau_missing": _F,
        "inquiries_level": _F,
        **_INFRA_FLAT,
    },
    "income_verification_vendor_change": {
        **_AT_PD_FLAT,
        "verification_mix": "up",
        "verified_gap": "down",
        "verified_income_missing": "up",
        "income_shift": _F,
        "dti_level": _F,
        **_SEGMENTS_FLAT,
        "bureau_missing": _F,
        **_INFRA_FLAT,
    },
    "verification_feed_gap": {
        **_AT_PD_FLAT,
        "verified_income_missing": "up",
        "verification_mix": "up",
        "verified_gap": _F,
        "approval_rate": _F,
        "income_shift": _F,
        "dti_level": _F,
        **_SEGMENTS_FLAT,
        "bureau_missing": _F,
    },
    "partner_field_rename": {
        **_AT_PD_FLAT,
        "emp_length_missing": "up",
        "income_shift": _F,
        "bureau_missing": _F,
        "dti_level": _F,
        **_SEGMENTS_FLAT,
        **_INFRA_FLAT,
    },
    "broken_join": {"score_psi": _F, **_AT_PD_FLAT, **_INPUTS_FLAT, **_INFRA_FLAT},
    "stale_feature_store": {
        **_AT_PD_FLAT,
        "inquiries_level": "down",
        "approval_rate": "up",
        "bureau_missing": _F,
        "income_shift": _F,
        **_SEGMENTS_FLAT,
        **_INFRA_FLAT,
    },
    "seasonality": {
        **_AT_PD_FLAT,
        "approval_rate": _F,
        "score_psi": _F,
        "air": _F,
        **_INPUTS_FLAT,
        **_INFRA_FLAT,
    },
    "concept_shift": {
        "score_psi": _F,
        "approval_rate": _F,
        **_AT_PD_FLAT,
        **_INPUTS_FLAT,
        **_INFRA_FLAT,
    },
    "threshold_misconfiguration": {
        "approval_rate": "moved",
        "decision_at_pd": "up",
        "score_psi": _F,
        "model_changed": _F,
        **_INPUTS_FLAT,
        **_INFRA_FLAT,
    },
    "model_release": {"model_changed": "up", **_INPUTS_FLAT, **_INFRA_FLAT},
}

#: The triage heading of each hypothesis (:data:`lendlab.response.TRIAGE_CLASSES`).
HEADINGS: dict[str, str] = {
    **{name: "data" for name in FAULTS},
    "seasonality": "world",
    "concept_shift": "world",
    "threshold_misconfiguration": "threshold",
    "model_release": "model",
}

assert set(SIGNATURES) == set(HEADINGS) and set(FAULTS) <= set(SIGNATURES)
assert set(HEADINGS.values()) <= set(TRIAGE_CLASSES)
assert all(set(s) <= set(SIGNALS) for s in SIGNATURES.values())


# ------------------------------------------------------------------------------ measuring
def _delta_state(change: float, moved: float, still: float) -> str:
    if abs(change) >= moved:
        return "up" if change > 0 else "down"
    return "flat" if abs(change) < still else "moderate"


def _ratio_state(ratio: float, up: float, down: float, band: tuple[float, float]) -> str:
    if ratio >= up:
        return "up"
    if ratio <= down:
        return "down"
    return "flat" if band[0] <= ratio <= band[1] else "moderate"


def _psi_state(value: float) -> str:
    return "up" if value >= 0.25 else ("flat" if value < 0.10 else "moderate")


def _has(frame: pd.DataFrame, column: str) -> bool:
    return column in frame.columns


def _share(mask: Any) -> float:
    arr = np.asarray(mask, dtype=bool)
    return float(arr.mean()) if arr.size else math.nan


def _numeric(frame: pd.DataFrame, column: str, name: str) -> np.ndarray:
    series = frame[column]
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise TypeError(
            f"{name}[{column!r}] must be numeric, got dtype {series.dtype}; convert it with "
            "pd.to_numeric (read the log with lendlab.serving.store.read_decisions)"
        )
    return series.to_numpy(dtype=float, na_value=np.nan)


def _fallback_mask(frame: pd.DataFrame) -> np.ndarray:
    values = frame["fallback"]
    return (
        values.notna() & (values.astype("str") != "") & (values.astype("str") != "False")
    ).to_numpy()


def _air(frame: pd.DataFrame) -> float:
    from lendlab.metrics import adverse_impact_ratio

    approved = (frame["decision"].astype("str") == "approve").to_numpy()
    weights = frame["protected_proxy"].to_numpy(dtype=float, na_value=np.nan)
    keep = ~np.isnan(weights)
    try:
        return float(adverse_impact_ratio(approved[keep], weights=weights[keep]))
    except ValueError:  # no approvals in the reference group, or no weight at all
        return math.nan


#: A segment needs this many values in both windows to count in the segment_* signals.
SEGMENT_MIN_ROWS: int = 15
_DECISIONS = ("approve", "review", "decline")


def _segment_level(
    baseline: pd.DataFrame, incident: pd.DataFrame, column: str
) -> tuple[float, float] | None:
    """(baseline median, incident median) of the segment whose median ratio is furthest from 1."""
    best: tuple[float, float, float] | None = None
    b_seg = baseline["segment"].astype("str")
    c_seg = incident["segment"].astype("str")
    bv_all = _numeric(baseline, column, "baseline")
    cv_all = _numeric(incident, column, "incident")
    for segment in sorted(set(b_seg) & set(c_seg)):
        bv = bv_all[(b_seg == segment).to_numpy()]
        cv = cv_all[(c_seg == segment).to_numpy()]
        bv, cv = bv[~np.isnan(bv)], cv[~np.isnan(cv)]
        if bv.size < SEGMENT_MIN_ROWS or cv.size < SEGMENT_MIN_ROWS:
            continue
        b, c = float(np.median(bv)), float(np.median(cv))
        if b <= 0 or c <= 0:
            continue
        distance = abs(math.log(c / b))
        if best is None or distance > best[0]:
            best = (distance, b, c)
    return None if best is None else (best[1], best[2])


def _decided_on_value(frame: pd.DataFrame, column: str, name: str) -> pd.DataFrame:
    """Rows the cutoff decided: a PD (or score), no fallback, knock-out rules passed."""
    from lendlab.world.schema import passes_knockout

    values = _numeric(frame, column, name)
    keep = ~np.isnan(values) & frame["decision"].astype("str").isin(_DECISIONS).to_numpy()
    if _has(frame, "fallback"):
        keep &= ~_fallback_mask(frame)
    rules = ("fico", "dti", "inquiries_6m")
    if all(_has(frame, c) for c in rules):
        inputs = pd.DataFrame({c: _numeric(frame, c, name) for c in rules}, index=frame.index)
        known = inputs.notna().all(axis=1).to_numpy()
        passed = np.zeros(len(frame), dtype=bool)
        if known.any():
            passed[known] = passes_knockout(inputs[known])
        keep &= passed
    return pd.DataFrame(
        {"value": values[keep], "decision": frame["decision"].astype("str").to_numpy()[keep]}
    )


def _decision_at_value(
    baseline: pd.DataFrame, incident: pd.DataFrame, min_rows: int
) -> tuple[float, float] | None:
    """(baseline leave-one-out share, incident share) of decisions unlike the nearest baseline
    row's decision at the same PD (or score)."""
    column = next((c for c in ("pd", "score") if _has(baseline, c) and _has(incident, c)), None)
    if column is None:
        return None
    base = _decided_on_value(baseline, column, "baseline")
    now = _decided_on_value(incident, column, "incident")
    if len(base) < min_rows or len(now) < min_rows:
        return None
    order = np.argsort(base["value"].to_numpy(), kind="stable")
    values = base["value"].to_numpy()[order]
    decided = base["decision"].to_numpy()[order]
    x = now["value"].to_numpy()
    right = np.clip(np.searchsorted(values, x), 0, len(values) - 1)
    left = np.clip(right - 1, 0, len(values) - 1)
    nearest = np.where(np.abs(values[left] - x) <= np.abs(values[right] - x), left, right)
    changed = float(np.mean(decided[nearest] != now["decision"].to_numpy()))
    gaps = np.diff(values)  # the baseline against itself: each row's nearest other row
    before = np.r_[np.inf, gaps]
    after = np.r_[gaps, np.inf]
    idx = np.arange(len(values))
    other = np.where(before <= after, idx - 1, idx + 1)
    floor = float(np.mean(decided[other] != decided))
    return floor, changed


def _check_window(frame: Any, name: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"{name} must be a pandas DataFrame of decisions (read_decisions(db) sliced to a "
            f"window), got {type(frame).__name__}"
        )
    if "decision" not in frame.columns:
        raise ValueError(
            f"{name} has no 'decision' column; pass rows of the decision log "
            "(lendlab.serving.store.read_decisions or lendlab.monitoring.decision_log)"
        )
    return frame


def _error_pair(error_rate: Any) -> tuple[float, float] | None:
    if error_rate is None:
        return None
    if (
        not isinstance(error_rate, tuple | list)
        or len(error_rate) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in error_rate)
    ):
        raise TypeError(
            f"error_rate must be a pair (baseline, incident) of rates, e.g. (0.001, 0.08), got "
            f"{error_rate!r}"
        )
    if not all(0.0 <= v <= 1.0 for v in error_rate):
        raise ValueError(f"error_rate values must lie in [0, 1], got {error_rate!r}")
    return float(error_rate[0]), float(error_rate[1])


def measure_signals(
    baseline: pd.DataFrame,
    incident: pd.DataFrame,
    *,
    error_rate: tuple[float, float] | None = None,
    min_rows: int = 50,
) -> pd.DataFrame:
    """Measure every signal of :data:`SIGNAL_RULES` in two windows of the decision log.

    Parameters
    ----------
    baseline, incident : pandas.DataFrame
        Decision-log rows (:func:`lendlab.serving.store.read_decisions`, or
        :func:`lendlab.monitoring.decision_log` output) of a healthy window and of the window
        under investigation. A signal whose columns are absent is ``unknown``.
    error_rate : (float, float), optional
        Error rate of the service in each window (5xx / requests, from its metrics); without
        it ``errors`` is ``unknown`` (the log holds only the requests that got a decision).
    min_rows : int, default 50
        Fewer decisions than this in either window makes every signal ``unknown``.

    Returns
    -------
    pandas.DataFrame
        Indexed by signal: ``baseline``, ``incident`` (the measurement in each window),
        ``state`` (one of :data:`STATES`) and ``rule``.

    Examples
    --------
    >>> import pandas as pd
    >>> base = pd.DataFrame({"decision": ["approve"] * 60 + ["decline"] * 40})
    >>> now = pd.DataFrame({"decision": ["approve"] * 30 + ["decline"] * 70})
    >>> table = measure_signals(base, now)
    >>> row = table.loc["approval_rate"]
    >>> float(row["baseline"]), float(row["incident"]), row["state"]
    (0.6, 0.3, 'down')
    >>> table.loc["score_psi", "state"]
    'unknown'
    """
    baseline = _check_window(baseline, "baseline")
    incident = _check_window(incident, "incident")
    errors = _error_pair(error_rate)
    if isinstance(min_rows, bool) or not isinstance(min_rows, int) or min_rows < 1:
        raise ValueError(f"min_rows must be a positive integer, got {min_rows!r}")
    rows: dict[str, tuple[float, float, str]] = {}
    enough = len(baseline) >= min_rows and len(incident) >= min_rows

    def put(name: str, b: float, c: float, state: str) -> None:
        rows[name] = (b, c, state if enough else "unknown")

    if errors is not None:
        put("errors", *errors, _delta_state(errors[1] - errors[0], 0.01, 0.005))
    if _has(baseline, "duration_ms") and _has(incident, "duration_ms"):
        bd = _numeric(baseline, "duration_ms", "baseline")
        cd = _numeric(incident, "duration_ms", "incident")
        bd, cd = bd[~np.isnan(bd)], cd[~np.isnan(cd)]
        b = float(np.percentile(bd, 99)) if bd.size else math.nan
        c = float(np.percentile(cd, 99)) if cd.size else math.nan
        if b > 0 and not math.isnan(c):
            state = _ratio_state(c / b, 1.5, 0.67, (0.9, 1.1))
            b90, c90 = np.percentile(bd, 90), np.percentile(cd, 90)
            if state == "up" and not (b90 > 0 and c90 / b90 >= 1.2):
                state = "moderate"  # only the extreme tail moved: host noise, not a symptom
            put("latency", float(b), float(c), state)
    if _has(baseline, "fallback") and _has(incident, "fallback"):
        b, c = _share(_fallback_mask(baseline)), _share(_fallback_mask(incident))
        put("fallback", b, c, _delta_state(c - b, 0.01, 0.005))
    for name, value in (("approval_rate", "approve"), ("review_rate", "review")):
        b = _share(baseline["decision"].astype("str") == value)
        c = _share(incident["decision"].astype("str") == value)
        put(name, b, c, _delta_state(c - b, 0.02, 0.01))
    if _has(baseline, "score") and _has(incident, "score"):
        bs = _numeric(baseline, "score", "baseline")
        cs = _numeric(incident, "score", "incident")
        bs, cs = bs[~np.isnan(bs)], cs[~np.isnan(cs)]
        if len(bs) >= min_rows and len(cs) >= min_rows:
            value = psi(bs, cs)
            put("score_psi", 0.0, value, _psi_state(value))
            b = float(pd.Series(bs).value_counts(normalize=True).iloc[0])
            c = float(pd.Series(cs).value_counts(normalize=True).iloc[0])
            put("score_spike", b, c, _delta_state(c - b, 0.05, 0.02))
    if _has(baseline, "fico") and _has(incident, "fico"):
        bf, cf = _numeric(baseline, "fico", "baseline"), _numeric(incident, "fico", "incident")
        b, c = _share(np.isnan(bf) | (bf <= 300)), _share(np.isnan(cf) | (cf <= 300))
        put("bureau_missing", b, c, _delta_state(c - b, 0.01, 0.005))
    if _has(baseline, "annual_income") and _has(incident, "annual_income"):
        bi = _numeric(baseline, "annual_income", "baseline")
        ci = _numeric(incident, "annual_income", "incident")
        if (~np.isnan(bi)).any() and (~np.isnan(ci)).any():
            value = psi(bi, ci, nan_policy="omit")
            put("income_shift", 0.0, value, _psi_state(value))
    for name, column, stat, up, down in (
        ("dti_level", "dti", np.nanmedian, 1.5, 0.67),
        ("inquiries_level", "inquiries_6m", np.nanmean, 1.25, 0.8),
    ):
        if _has(baseline, column) and _has(incident, column):
            bv = _numeric(baseline, column, "baseline")
            cv = _numeric(incident, column, "incident")
            if (~np.isnan(bv)).any() and (~np.isnan(cv)).any():
                b, c = float(stat(bv)), float(stat(cv))
                if b > 0:
                    put(name, b, c, _ratio_state(c / b, up, down, (0.9, 1.1)))
    if _has(baseline, "income_verification") and _has(incident, "income_verification"):
        bv = baseline["income_verification"].astype("str").fillna("(missing)")
        cv = incident["income_verification"].astype("str").fillna("(missing)")
        value = psi(bv.to_numpy(dtype=object), cv.to_numpy(dtype=object))
        put("verification_mix", 0.0, value, _psi_state(value))
    for name, column in (
        ("verified_income_missing", "verified_income"),
        ("emp_length_missing", "emp_length_years"),
    ):
        if _has(baseline, column) and _has(incident, column):
            b, c = _share(baseline[column].isna()), _share(incident[column].isna())
            put(name, b, c, _delta_state(c - b, 0.05, 0.01))
    if all(_has(f, c) for f in (baseline, incident) for c in ("verified_income", "annual_income")):
        ratios = []
        for frame, name in ((baseline, "baseline"), (incident, "incident")):
            verified = _numeric(frame, "verified_income", name)
            stated = _numeric(frame, "annual_income", name)
            ok = ~np.isnan(verified) & (stated > 0)
            ratios.append(float(np.median(verified[ok] / stated[ok])) if ok.sum() else math.nan)
        b, c = ratios
        if b > 0 and not math.isnan(c):
            put("verified_gap", b, c, _ratio_state(c / b, 1.1, 0.9, (0.97, 1.03)))
    if _has(baseline, "model_sha256") and _has(incident, "model_sha256"):
        before = set(baseline["model_sha256"].dropna().astype("str"))
        new = set(incident["model_sha256"].dropna().astype("str")) - before
        put("model_changed", float(len(before)), float(len(new)), "up" if new else "flat")
    if _has(baseline, "protected_proxy") and _has(incident, "protected_proxy"):
        b, c = _air(baseline), _air(incident)
        if not (math.isnan(b) or math.isnan(c)):
            put("air", b, c, _delta_state(c - b, 0.05, 0.03))
    if _has(baseline, "segment") and _has(incident, "segment"):
        for name, column in (
            ("segment_income_level", "annual_income"),
            ("segment_dti_level", "dti"),
        ):
            if _has(baseline, column) and _has(incident, column):
                level = _segment_level(baseline, incident, column)
                if level is not None:
                    b, c = level
                    put(name, b, c, _ratio_state(c / b, 3.0, 1 / 3, (0.5, 2.0)))
    at_pd = _decision_at_value(baseline, incident, min_rows)
    if at_pd is not None:
        b, c = at_pd
        put("decision_at_pd", b, c, "up" if c >= 0.10 else ("flat" if c < 0.05 else "moderate"))
    table = pd.DataFrame(
        [
            (name, *rows.get(name, (math.nan, math.nan, "unknown")), SIGNAL_RULES[name])
            for name in SIGNALS
        ],
        columns=["signal", "baseline", "incident", "state", "rule"],
    ).set_index("signal")
    return table


# ------------------------------------------------------------------------------ matching
def _states(signals: Any) -> dict[str, str]:
    if isinstance(signals, pd.DataFrame):
        if "state" not in signals.columns:
            raise ValueError("signals frame has no 'state' column; pass measure_signals(...)")
        signals = signals["state"].to_dict()
    if not isinstance(signals, Mapping):
        raise TypeError(
            "signals must be measure_signals(...) or a dict signal -> state, e.g. "
            f"{{'approval_rate': 'down'}}, got {type(signals).__name__}"
        )
    out: dict[str, str] = {}
    for name, state in signals.items():
        if name not in SIGNAL_RULES:
            raise ValueError(f"unknown signal {name!r}; use one of {list(SIGNALS)}")
        if state not in STATES:
            raise ValueError(f"signal {name!r} has state {state!r}; use one of {list(STATES)}")
        out[str(name)] = str(state)
    return out


def _credit(expected: str, state: str) -> float:
    if expected == "moved":
        return 1.0 if state in ("up", "down") else (0.5 if state == "moderate" else 0.0)
    if expected == state:
        return 1.0
    return 0.5 if state == "moderate" else 0.0  # half-way between flat and a move


def _contradicts(signature: Mapping[str, str], states: Mapping[str, str], signal: str) -> bool:
    if signature.get(signal) != _F:
        return False
    moved = ("up",) if signal in _DECISIVE_UP_ONLY else ("up", "down")
    return states.get(signal) in moved


def rank_faults(signals: pd.DataFrame | Mapping[str, str]) -> pd.DataFrame:
    """Rank every hypothesis of :data:`SIGNATURES` by how well the measured states match.

    Parameters
    ----------
    signals : pandas.DataFrame or dict
        :func:`measure_signals` output, or a dict signal -> state (missing signals are
        ``unknown``).

    Returns
    -------
    pandas.DataFrame
        Indexed by hypothesis, best first: ``explains`` (a signal its signature expects to
        move did move; hypotheses that explain something rank first), ``consistent``
        (False when its signature says flat of a :data:`DECISIVE_SIGNALS` signal that moved:
        a fallback, error or latency symptom is not a cause that never touches the service,
        a segment's x12 income is not a cutoff; among those that explain something,
        consistent ones rank first), ``score`` (0..1),
        ``matched``, ``moving_matched``,
        ``measured``, ``coverage``, ``heading``, ``in_catalogue``, ``matches`` and
        ``mismatches`` (text: ``signal expected/measured``).

    Examples
    --------
    >>> ranked = rank_faults({"inquiries_level": "down", "approval_rate": "up",
    ...                       "bureau_missing": "flat", "fallback": "flat"})
    >>> ranked.index[0], ranked.iloc[0]["heading"]
    ('stale_feature_store', 'data')
    """
    states = _states(signals)
    rows = []
    for name, signature in SIGNATURES.items():
        matched = moving = measured = 0.0
        good, bad = [], []
        for signal, expected in signature.items():
            state = states.get(signal, "unknown")
            if state == "unknown":
                continue
            measured += 1
            credit = _credit(expected, state)
            matched += credit
            if expected != "flat":
                moving += credit
            (good if credit == 1.0 else bad).append(f"{signal} {expected}/{state}")
        explains = any(
            expected != "flat" and _credit(expected, states.get(signal, "unknown")) == 1.0
            for signal, expected in signature.items()
        )
        contradicted = [s for s in DECISIVE_SIGNALS if _contradicts(signature, states, s)]
        rows.append(
            {
                "hypothesis": name,
                "explains": explains,
                "consistent": not contradicted,
                "score": matched / measured if measured else 0.0,
                "matched": matched,
                "moving_matched": moving,
                "measured": int(measured),
                "coverage": measured / len(signature),
                "heading": HEADINGS[name],
                "in_catalogue": name in FAULTS,
                "matches": ", ".join(good),
                "mismatches": ", ".join(bad),
            }
        )
    frame = pd.DataFrame(rows).set_index("hypothesis")
    frame["_name"] = frame.index
    frame = frame.sort_values(
        ["explains", "consistent", "score", "moving_matched", "matched", "_name"],
        ascending=[False, False, False, False, False, True],
        kind="mergesort",
    )
    return frame.drop(columns="_name")


@dataclass(frozen=True)
class TriageResult:
    """What :func:`triage_signals` concluded.

    Attributes
    ----------
    heading : str or None
        One of :data:`~lendlab.response.TRIAGE_CLASSES`, or None when nothing moved.
    infrastructure : bool
        Errors, latency or fallback went up (a technical symptom).
    kind : str
        ``"technical"`` (infrastructure moved), ``"behavioural"`` (only decisions, data or the
        world moved) or ``"none"`` (nothing moved).
    hypothesis : str or None
        The best-ranked hypothesis (a name of :data:`SIGNATURES`).
    moved : tuple of str
        The signals that moved (``up`` or ``down``; ``moderate`` is not enough).
    reasons : tuple of str
        One sentence per step of the reasoning.
    ranking : pandas.DataFrame
        :func:`rank_faults` output.
    """

    heading: str | None
    infrastructure: bool
    kind: str
    hypothesis: str | None
    moved: tuple[str, ...]
    reasons: tuple[str, ...]
    ranking: pd.DataFrame = field(repr=False)


def triage_signals(signals: pd.DataFrame | Mapping[str, str]) -> TriageResult:
    """File an incident from measured signals: heading, infrastructure flag, best hypothesis.

    Nothing moved (no signal ``up`` or ``down``; a ``moderate`` change is within what noise
    and calendars do): heading None, kind ``"none"``.
    Otherwise the heading is that of the best-ranked hypothesis whose signature expects at
    least one of the signals that moved (so an all-flat hypothesis cannot explain a move).

    Parameters
    ----------
    signals : pandas.DataFrame or dict
        :func:`measure_signals` output or a dict signal -> state.

    Returns
    -------
    TriageResult

    Examples
    --------
    >>> r = triage_signals({"errors": "up", "fallback": "up", "bureau_missing": "up",
    ...                     "approval_rate": "down", "income_shift": "flat"})
    >>> r.heading, r.kind, r.hypothesis
    ('data', 'technical', 'bureau_outage')
    >>> triage_signals({"approval_rate": "flat", "score_psi": "flat"}).kind
    'none'
    """
    states = _states(signals)
    ranking = rank_faults(states)
    moved = tuple(s for s in SIGNALS if states.get(s) in ("up", "down"))
    infra = any(states.get(s) == "up" for s in INFRASTRUCTURE_SIGNALS)
    if not moved:
        return TriageResult(
            None,
            False,
            "none",
            None,
            (),
            ("no measured signal moved beyond its flat band: keep watching, no incident yet",),
            ranking,
        )
    explains = [
        name
        for name in ranking.index
        if any(SIGNATURES[name].get(s, "flat") != "flat" for s in moved)
    ]
    best = explains[0] if explains else ranking.index[0]
    row = ranking.loc[best]
    kind = "technical" if infra else "behavioural"
    reasons = [
        f"moved: {', '.join(f'{s} {states[s]}' for s in moved)}",
        "infrastructure moved (errors, latency or fallback up): technical"
        if infra
        else "infrastructure flat (or not measured): behavioural",
        f"best match {best!r} (score {row['score']:.2f} over {row['measured']} measured "
        f"signal(s); matched: {row['matches'] or '-'}; mismatched: {row['mismatches'] or '-'})",
        f"heading {row['heading']!r}: {_HEADING_WHY[row['heading']]}",
    ]
    return TriageResult(row["heading"], infra, kind, best, moved, tuple(reasons), ranking)


_HEADING_WHY = {
    "data": "the inputs are wrong; fix the feed, then re-decide the affected applications",
    "world": "inputs look right but borrowers changed; a risk decision, not a hotfix",
    "model": "a new model decided; roll back to the last good model",
    "threshold": "the model and inputs are unchanged but approvals moved; check the cutoff",
}
