"""Canary guardrails: every tolerance and minimum of :func:`lendlab.rollout.analyze`, documented.

Technical guardrails (judged per time interval by :func:`lendlab.rollout.judge_metric`):

==========================  ==========  ==================================================
setting                     default     meaning
==========================  ==========  ==================================================
tolerance                   0.25        allowed shift, fraction of the baseline mean
confidence                  0.98        of the Mann-Whitney shift interval (Kayenta's)
interval                    "1min"      samples are per-interval error rates and p99s
min_requests_per_interval   20          an interval with fewer decisions in an arm is dropped
min_intervals               5           fewer intervals per arm -> Nodata
error_rate_floor            0.005       smallest allowed error-rate shift (zero-error base)
latency_floor_ms            2.0         smallest allowed p99 shift, ms
==========================  ==========  ==================================================

Business guardrails (on all decisions of each arm; ``business_confidence`` 0.95 for the
intervals of deltas: Pass when the whole interval is within tolerance, fail when it is wholly
beyond, Nodata (inconclusive) in between):

==========================  ==========  ==================================================
approval_tolerance          0.03        |canary - baseline| approval rate
segment_approval_tolerance  0.05        the same, per segment
psi_tolerance               0.10        score PSI (lendlab.drift.psi), canary vs baseline
air_floor                   0.80        canary AIR below it fails (four-fifths screen)
air_tolerance               0.05        canary AIR more than this below the baseline's fails
bad_rate_tolerance          0.005       expected bad rate among approved may rise this much
reason_tvd_tolerance        0.10        total-variation distance of the principal reasons
==========================  ==========  ==================================================

Minimums (below them the verdict is HOLD, never promote: the no-traffic trap, Argo #1905):
``min_decisions_per_arm`` 1000, ``min_decisions_per_segment`` 200 (per arm, for every segment
with decisions), ``min_declines`` 200 (per arm, for the reason mix).

Score: ``pass_score`` 95, ``marginal_score`` 75 (Kayenta's). ``critical``: the guardrails
whose failure means rollback whatever the score (default: error rate, p99 latency, approval
rate, segment approval, AIR, expected bad rate); the others (score PSI, reason mix) lower the
score.

Example
-------
>>> g = Guardrails(approval_tolerance=0.02)
>>> g.approval_tolerance, g.min_decisions_per_arm
(0.02, 1000)
>>> Guardrails(pass_score=50, marginal_score=80)
Traceback (most recent call last):
...
ValueError: marginal_score (80) must not exceed pass_score (50); e.g. pass 95, marginal 75
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

__all__ = ["GUARDRAIL_NAMES", "Guardrails", "load_guardrails"]

#: Every guardrail :func:`lendlab.rollout.analyze` judges, in report order.
GUARDRAIL_NAMES: tuple[str, ...] = (
    "error_rate",
    "p99_latency_ms",
    "approval_rate",
    "segment_approval",
    "air",
    "expected_bad_rate",
    "score_psi",
    "reason_mix",
)
_CRITICAL = (
    "error_rate",
    "p99_latency_ms",
    "approval_rate",
    "segment_approval",
    "air",
    "expected_bad_rate",
)


@dataclass(frozen=True)
class Guardrails:
    """Tolerances and minimums for canary analysis (defaults in the module docstring)."""

    tolerance: float = 0.25
    confidence: float = 0.98
    interval: str = "1min"
    min_requests_per_interval: int = 20
    min_intervals: int = 5
    error_rate_floor: float = 0.005
    latency_floor_ms: float = 2.0
    business_confidence: float = 0.95
    approval_tolerance: float = 0.03
    segment_approval_tolerance: float = 0.05
    psi_tolerance: float = 0.10
    air_floor: float = 0.80
    air_tolerance: float = 0.05
    bad_rate_tolerance: float = 0.005
    reason_tvd_tolerance: float = 0.10
    min_decisions_per_arm: int = 1000
    min_decisions_per_segment: int = 200
    min_declines: int = 200
    pass_score: float = 95.0
    marginal_score: float = 75.0
    critical: tuple[str, ...] = _CRITICAL

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "interval":
                if not isinstance(value, str) or not value:
                    raise TypeError(
                        f"interval must be a pandas frequency such as '1min', got {value!r}"
                    )
                import pandas as pd

                try:
                    step = pd.Timedelta(value)
                except ValueError:
                    raise ValueError(
                        f"interval={value!r} is not a duration; pass e.g. '30s' or '1min'"
                    ) from None
                if step <= pd.Timedelta(0):
                    raise ValueError(f"interval={value!r} must be positive, e.g. '1min'")
            elif f.name == "critical":
                if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                    raise TypeError(f"critical must be a list of guardrail names, got {value!r}")
                unknown = sorted(set(value) - set(GUARDRAIL_NAMES))
                if unknown:
                    raise ValueError(
                        f"critical names unknown guardrail(s) {unknown}; known: "
                        f"{list(GUARDRAIL_NAMES)}"
                    )
                object.__setattr__(self, "critical", tuple(value))
            elif f.type == "int" or isinstance(f.default, int):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ValueError(f"{f.name}={value!r} must be a positive integer")
            else:
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise TypeError(f"{f.name} must be a number, got {value!r}")
                if not math.isfinite(value) or value < 0:
                    raise ValueError(f"{f.name}={value!r} must be a finite number >= 0")
                object.__setattr__(self, f.name, float(value))
        for name in ("confidence", "business_confidence"):
            if not 0.5 < getattr(self, name) < 1:
                raise ValueError(f"{name}={getattr(self, name)!r} must be in (0.5, 1), e.g. 0.95")
        if self.marginal_score > self.pass_score or self.pass_score > 100:
            raise ValueError(
                f"marginal_score ({self.marginal_score:g}) must not exceed pass_score "
                f"({self.pass_score:g}); e.g. pass 95, marginal 75"
            )

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict."""
        out = asdict(self)
        out["critical"] = list(self.critical)
        return out


def load_guardrails(path: str | os.PathLike[str] | None = None, **overrides: Any) -> Guardrails:
    """Guardrails from a ``.json`` or ``.toml`` file (any subset of the fields), then overrides.

    A TOML file may put the settings at the top level or under ``[guardrails]``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "canary.toml"
    >>> _ = path.write_text('[guardrails]\\napproval_tolerance = 0.02\\n')
    >>> load_guardrails(path).approval_tolerance
    0.02
    >>> _ = path.write_text('approval_tolerence = 0.02\\n')
    >>> load_guardrails(path)
    Traceback (most recent call last):
    ...
    ValueError: unknown guardrail setting(s) ['approval_tolerence'] in canary.toml; known: \
see lendlab.rollout.guardrails (e.g. approval_tolerance, psi_tolerance, min_decisions_per_arm)
    """
    settings: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(
                f"no guardrail config at {p.as_posix()!r}; pass a .json or .toml file"
            )
        text = p.read_text(encoding="utf-8")
        if p.suffix == ".json":
            settings = json.loads(text)
        elif p.suffix == ".toml":
            settings = tomllib.loads(text)
        else:
            raise ValueError(f"--config {p.name!r} must end in .json or .toml")
        if isinstance(settings.get("guardrails"), dict):
            settings = settings["guardrails"]
        if not isinstance(settings, dict):
            raise ValueError(f"{p.name} must hold a table of settings")
        known = {f.name for f in fields(Guardrails)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ValueError(
                f"unknown guardrail setting(s) {unknown} in {p.name}; known: see "
                "lendlab.rollout.guardrails (e.g. approval_tolerance, psi_tolerance, "
                "min_decisions_per_arm)"
            )
    settings.update(overrides)
    return Guardrails(**settings)
