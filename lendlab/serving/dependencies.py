"""Simulated dependencies of the scoring service: the credit bureau and income verification.

Each :class:`SimulatedDependency` answers from the application itself (the world already holds
what the bureau would return) after a seeded lognormal latency, and can be broken at run time
through its :class:`~lendlab.serving.config.DependencyKnobs`: an error rate, a full outage, a
hang, stale data. Every call is bounded by the dependency's own timeout and by the caller's
remaining budget (:func:`asyncio.wait_for`), so a hanging vendor costs at most its timeout.

A failed call raises :class:`DependencyError` with ``kind`` one of ``"timeout"``, ``"error"``,
``"outage"`` (the label of ``lendlab_dependency_errors_total``).

Example
-------
>>> import asyncio
>>> from lendlab.serving.config import DependencyKnobs
>>> bureau = SimulatedDependency("bureau", DependencyKnobs(latency_median_ms=1,
...                              latency_p99_ms=2), seed=1)
>>> app = {"fico": 700, "inquiries_6m": 3, "revol_util": 20.0, "delinq_2y": 0,
...        "open_accounts": 8, "applied_at": "2025-01-01T00:00:00Z"}
>>> asyncio.run(bureau.call(app))["fico"]
700
>>> bureau.set_knobs(outage=True).outage
True
>>> asyncio.run(bureau.call(app))
Traceback (most recent call last):
...
lendlab.serving.dependencies.DependencyError: bureau: outage
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from lendlab.serving.config import DEPENDENCIES, DependencyKnobs
from lendlab.world.schema import BUREAU_FIELDS

__all__ = ["DependencyError", "RETURNS", "SimulatedDependency"]

#: What each dependency returns (fields of the application it overrides).
RETURNS: dict[str, tuple[str, ...]] = {
    "bureau": BUREAU_FIELDS,
    "income_verification": ("income_verification", "verified_income"),
}


#: How a dependency call can fail (the ``kind`` label of ``lendlab_dependency_errors_total``).
FAILURE_KINDS: tuple[str, ...] = ("timeout", "error", "outage")


class DependencyError(Exception):
    """A dependency call failed; ``kind`` is ``"timeout"``, ``"error"`` or ``"outage"``."""

    def __init__(self, dependency: str, kind: str) -> None:
        super().__init__(f"{dependency}: {kind}")
        self.dependency = dependency
        self.kind = kind


class SimulatedDependency:
    """A dependency with fault knobs (see the module docstring).

    Parameters
    ----------
    name : {"bureau", "income_verification"}
    knobs : DependencyKnobs
    seed : int
        Seeds the latency, error and stale-data draws (one generator per dependency).
    """

    def __init__(self, name: str, knobs: DependencyKnobs, *, seed: int = 0) -> None:
        if name not in DEPENDENCIES:
            raise ValueError(f"unknown dependency {name!r}; use one of {list(DEPENDENCIES)}")
        if not isinstance(knobs, DependencyKnobs):
            raise TypeError(f"knobs must be a DependencyKnobs, got {type(knobs).__name__}")
        self.name = name
        self.knobs = knobs
        self._defaults = knobs.model_copy()
        self._rng = np.random.default_rng([seed, DEPENDENCIES.index(name)])

    def set_knobs(self, reset: bool = False, **changes: Any) -> DependencyKnobs:
        """Change some knobs (validated as a whole); ``reset=True`` first restores the defaults.

        Returns the knobs now in force. Invalid changes raise and change nothing.

        Examples
        --------
        >>> dep = SimulatedDependency("bureau", DependencyKnobs())
        >>> dep.set_knobs(error_rate=0.5).error_rate
        0.5
        >>> dep.set_knobs(reset=True).error_rate
        0.0
        """
        base = self._defaults if reset else self.knobs
        merged = {**base.model_dump(), **changes}
        self.knobs = DependencyKnobs.model_validate(merged)
        return self.knobs

    def _latency_s(self) -> float:
        k = self.knobs
        if k.latency_median_ms == 0:
            return 0.0
        z = self._rng.standard_normal()
        return k.latency_median_ms * math.exp(k.sigma() * z) / 1000.0

    def _answer(self, application: Mapping[str, Any]) -> dict[str, Any]:
        fields = {f: application.get(f) for f in RETURNS[self.name]}
        k = self.knobs
        if self.name == "bureau" and k.stale_days > 0:
            inq = fields.get("inquiries_6m")
            if isinstance(inq, int) and inq > 0:
                fields["inquiries_6m"] = int(self._rng.binomial(inq, 1.0 - k.undercount))
        fields["stale_days"] = k.stale_days if self.name == "bureau" else 0
        return fields

    async def _respond(self, latency: float, fails: bool, application: Mapping[str, Any]):
        if self.knobs.hang:
            await asyncio.Event().wait()  # never set: only the timeout ends this
        if latency > 0:
            await asyncio.sleep(latency)
        if fails:
            raise DependencyError(self.name, "error")
        return self._answer(application)

    async def call(
        self, application: Mapping[str, Any], *, budget_s: float | None = None
    ) -> dict[str, Any]:
        """Return the dependency's fields for ``application`` or raise :class:`DependencyError`.

        Parameters
        ----------
        application : mapping
            The application (world column names).
        budget_s : float, optional
            The caller's remaining budget; the call is cut at ``min(timeout, budget_s)``.
        """
        k = self.knobs
        if k.outage:
            raise DependencyError(self.name, "outage")
        latency = self._latency_s()
        fails = bool(self._rng.random() < k.error_rate)
        timeout = k.timeout_ms / 1000.0
        if budget_s is not None:
            timeout = max(0.0, min(timeout, budget_s))
        try:
            return await asyncio.wait_for(self._respond(latency, fails, application), timeout)
        except TimeoutError:
            raise DependencyError(self.name, "timeout") from None
