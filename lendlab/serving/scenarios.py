"""Replay scenarios: fault-catalogue faults switched on and off at set times of a replay.

A :class:`Scenario` is a timeline over one replay run (:func:`lendlab.serving.replay.replay`):

* **service steps** (:class:`FaultStep`): at ``at_s`` seconds after the first scheduled request,
  the replayer sends ``faults`` as the body of ``POST /admin/faults`` (bearer token from
  ``LENDLAB_ADMIN_TOKEN``), e.g. ``{"bureau": {"outage": true}}``; ``{"reset": true}`` restores
  the service's configured knobs;
* **data faults** (:class:`DataFault`): the requests scheduled in ``[start_s, end_s)`` are broken
  with :func:`lendlab.world.faults.inject` before the run (e.g. ``income_monthly_as_annual`` on
  one channel), so the service sees what a broken upstream feed would send.

:data:`SCENARIOS` holds the named ones. Their times are in real seconds, written as minutes
(``2 * MINUTE``); :meth:`Scenario.scaled` multiplies every time by a factor and
:meth:`Scenario.compressed` turns minutes into seconds (factor 1/60) for tests and quick labs.
After a run that changed knobs the replayer sends ``{"reset": true}`` so the service is left
healthy.

Example
-------
>>> spike = SCENARIOS["bureau_latency_spike"]
>>> [(s.at_s, s.note) for s in spike.steps]
[(0.0, 'healthy knobs'), (120.0, 'bureau latency spike'), (240.0, 'bureau recovers')]
>>> fast = spike.compressed()
>>> fast.duration_s, [s.at_s for s in fast.steps]
(6.0, [0.0, 2.0, 4.0])
>>> get_scenario("income_units_partner").data_faults[0].kind
'income_monthly_as_annual'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

__all__ = ["MINUTE", "SCENARIOS", "DataFault", "FaultStep", "Scenario", "get_scenario"]

#: Seconds in a scenario minute (before any time scaling).
MINUTE = 60.0
_DEPENDENCY_KEYS = frozenset({"reset", "bureau", "income_verification"})


def _check_time(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name}={value!r} must be a number of seconds, e.g. 120")
    if not 0 <= float(value) < float("inf"):
        raise ValueError(f"{name}={value!r} must be a finite number of seconds >= 0")
    return float(value)


@dataclass(frozen=True)
class FaultStep:
    """At ``at_s`` seconds into the run, ``POST /admin/faults`` with body ``faults``.

    Examples
    --------
    >>> FaultStep(60, {"bureau": {"outage": True}}, "outage").at_s
    60.0
    >>> FaultStep(60, {"bureau_outage": True})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: FaultStep faults has unknown key(s) ['bureau_outage']; use reset, bureau, ...
    """

    at_s: float
    faults: Mapping[str, Any]
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "at_s", _check_time(self.at_s, "at_s"))
        if not isinstance(self.faults, Mapping):
            raise TypeError(
                "faults must be a dict (the body of POST /admin/faults), got "
                f"{type(self.faults).__name__}"
            )
        unknown = sorted(set(self.faults) - _DEPENDENCY_KEYS)
        if unknown:
            raise ValueError(
                f"FaultStep faults has unknown key(s) {unknown}; use reset, bureau, "
                "income_verification"
            )
        object.__setattr__(self, "faults", MappingProxyType(dict(self.faults)))

    def body(self) -> dict[str, Any]:
        """The JSON body for ``POST /admin/faults`` (a plain dict)."""
        return {k: dict(v) if isinstance(v, Mapping) else v for k, v in self.faults.items()}


@dataclass(frozen=True)
class DataFault:
    """Break the requests scheduled in ``[start_s, end_s)`` with ``faults.inject(kind, **options)``.

    Examples
    --------
    >>> DataFault(60, 180, "income_monthly_as_annual", {"channel": "partner_api"}).end_s
    180.0
    >>> DataFault(60, 30, "bureau_outage")
    Traceback (most recent call last):
    ...
    ValueError: DataFault window [60, 30) is empty; end_s must be after start_s
    """

    start_s: float
    end_s: float
    kind: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_s", _check_time(self.start_s, "start_s"))
        object.__setattr__(self, "end_s", _check_time(self.end_s, "end_s"))
        if self.end_s <= self.start_s:
            raise ValueError(
                f"DataFault window [{self.start_s:g}, {self.end_s:g}) is empty; end_s must be "
                "after start_s"
            )
        if not isinstance(self.kind, str) or not self.kind:
            # checked against lendlab.world.faults.KINDS when the run is planned (inject), so
            # that defining scenarios does not import pandas (``lendlab --help`` stays fast)
            raise TypeError(f"DataFault kind={self.kind!r} must be a fault name (str)")
        if not isinstance(self.options, Mapping):
            raise TypeError(f"DataFault options must be a dict, got {type(self.options).__name__}")
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))


@dataclass(frozen=True)
class Scenario:
    """A named timeline of service steps and data faults (see the module docstring).

    Attributes
    ----------
    name, description : str
    duration_s : float
        The scenario's natural length; a replay without ``duration`` runs this long.
    steps : tuple of FaultStep
    data_faults : tuple of DataFault
    catalogue : tuple of str
        The :data:`lendlab.world.faults.FAULTS` entries the scenario replays (their research
        signature says what a responder should see).
    """

    name: str
    description: str
    duration_s: float
    steps: tuple[FaultStep, ...] = ()
    data_faults: tuple[DataFault, ...] = ()
    catalogue: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "duration_s", _check_time(self.duration_s, "duration_s"))
        if self.duration_s == 0:
            raise ValueError("duration_s must be > 0")
        object.__setattr__(self, "steps", tuple(sorted(self.steps, key=lambda s: s.at_s)))
        object.__setattr__(self, "data_faults", tuple(self.data_faults))

    @property
    def needs_admin(self) -> bool:
        """True when the scenario changes service knobs (it then needs the admin token)."""
        return bool(self.steps)

    def scaled(self, factor: float) -> Scenario:
        """The same scenario with every time (steps, data faults, duration) times ``factor``.

        Examples
        --------
        >>> SCENARIOS["bureau_outage"].scaled(0.5).duration_s
        120.0
        """
        if isinstance(factor, bool) or not isinstance(factor, int | float):
            raise TypeError(f"factor={factor!r} must be a number, e.g. 1/60")
        if not 0 < factor < float("inf"):
            raise ValueError(f"factor={factor!r} must be a positive finite number, e.g. 1/60")
        return replace(
            self,
            duration_s=self.duration_s * factor,
            steps=tuple(replace(s, at_s=s.at_s * factor) for s in self.steps),
            data_faults=tuple(
                replace(d, start_s=d.start_s * factor, end_s=d.end_s * factor)
                for d in self.data_faults
            ),
        )

    def compressed(self) -> Scenario:
        """Minutes become seconds (:meth:`scaled` by 1/60): a 6-minute scenario runs in 6 s."""
        return self.scaled(1 / MINUTE)


_RESET = FaultStep(0.0, {"reset": True}, "healthy knobs")

#: The named scenarios (times in seconds; see :meth:`Scenario.compressed`).
SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "healthy",
            "Healthy dependencies, clean traffic: the baseline (no admin token needed).",
            5 * MINUTE,
        ),
        Scenario(
            "bureau_latency_spike",
            "Bureau latency spike between minute 2 and minute 4: median 35 ms, p99 150 ms "
            "against a 40 ms timeout, so about half the calls time out and fall back.",
            6 * MINUTE,
            steps=(
                _RESET,
                FaultStep(
                    2 * MINUTE,
                    {"bureau": {"latency_median_ms": 35.0, "latency_p99_ms": 150.0}},
                    "bureau latency spike",
                ),
                FaultStep(4 * MINUTE, {"reset": True}, "bureau recovers"),
            ),
            catalogue=("bureau_outage",),
        ),
        Scenario(
            "bureau_outage",
            "Full bureau outage between minute 1 and minute 3: every call fails at once, "
            "every decision falls back.",
            4 * MINUTE,
            steps=(
                _RESET,
                FaultStep(1 * MINUTE, {"bureau": {"outage": True}}, "bureau outage"),
                FaultStep(3 * MINUTE, {"reset": True}, "bureau back"),
            ),
            catalogue=("bureau_outage",),
        ),
        Scenario(
            "bureau_hang",
            "The bureau stops answering between minute 1 and minute 3 (calls hang until their "
            "timeout): decisions fall back within the request budget, none hangs.",
            4 * MINUTE,
            steps=(
                _RESET,
                FaultStep(1 * MINUTE, {"bureau": {"hang": True}}, "bureau hangs"),
                FaultStep(3 * MINUTE, {"reset": True}, "bureau back"),
            ),
            catalogue=("bureau_outage",),
        ),
        Scenario(
            "stale_bureau",
            "The bureau serves a 90-day-old snapshot between minute 1 and minute 3: recent "
            "inquiries are undercounted, approvals drift up, nothing fails.",
            4 * MINUTE,
            steps=(
                _RESET,
                FaultStep(1 * MINUTE, {"bureau": {"stale_days": 90}}, "bureau data stale"),
                FaultStep(3 * MINUTE, {"reset": True}, "bureau fresh"),
            ),
            catalogue=("stale_feature_store",),
        ),
        Scenario(
            "income_units_partner",
            "The partner_api channel sends monthly income in the annual field between minute 1 "
            "and minute 3 (income /12, DTI x12): its approvals collapse, other channels stay.",
            4 * MINUTE,
            data_faults=(
                DataFault(
                    1 * MINUTE,
                    3 * MINUTE,
                    "income_monthly_as_annual",
                    {"channel": "partner_api"},
                ),
            ),
            catalogue=("income_monthly_as_annual",),
        ),
    )
}


def get_scenario(
    scenario: str | Scenario | None = None,
    *,
    time_scale: float | None = None,
    compress: bool = False,
) -> Scenario:
    """A scenario by name (or as given), optionally time-scaled.

    Parameters
    ----------
    scenario : str or Scenario, optional
        A name of :data:`SCENARIOS` (default ``"healthy"``) or a :class:`Scenario`.
    time_scale : float, optional
        Multiply every time by this factor.
    compress : bool, default False
        Minutes become seconds (``time_scale=1/60``); not with ``time_scale``.

    Examples
    --------
    >>> get_scenario("bureau_outage", compress=True).steps[1].at_s
    1.0
    >>> get_scenario("outage")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown scenario 'outage'; use one of ['healthy', 'bureau_latency_spike', ...]
    """
    if scenario is None:
        scenario = "healthy"
    if isinstance(scenario, str):
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; use one of {list(SCENARIOS)}")
        scenario = SCENARIOS[scenario]
    elif not isinstance(scenario, Scenario):
        raise TypeError(f"scenario must be a name or a Scenario, got {type(scenario).__name__}")
    if compress and time_scale is not None:
        raise ValueError("pass compress=True or time_scale=, not both")
    if compress:
        return scenario.compressed()
    if time_scale is not None:
        return scenario.scaled(time_scale)
    return scenario
