"""Prometheus metrics of the scoring service, exactly as ``notes/metrics-contract.md`` names them.

One :class:`ServiceMetrics` per app, on its own :class:`prometheus_client.CollectorRegistry`
(so tests can build several apps in one process). Labels come from small fixed sets (route,
code, decision, segment, model version, dependency, feature, bin): never an application or
request id, which would make one time series per applicant.

The latency histogram has an edge at the SLO threshold (0.1 s) and is dense around the
expected p95/p99 (5-25 ms): :data:`LATENCY_BUCKETS`.

Example
-------
>>> m = ServiceMetrics()
>>> m.requests.labels(route="/v1/decisions", code="200").inc()
>>> b"lendlab_requests_total" in m.exposition()
True
>>> 0.1 in LATENCY_BUCKETS
True
"""

from __future__ import annotations

import collections
import time  # noqa: F401 - the watch_loop doctest uses it
from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["DEPENDENCY_BUCKETS", "LATENCY_BUCKETS", "LOOP_LAG_INTERVAL_S", "ServiceMetrics"]

#: How often :meth:`ServiceMetrics.watch_loop` samples the event-loop lag, seconds.
LOOP_LAG_INTERVAL_S = 0.1

#: Request-latency bucket edges, seconds (the contract's list; +Inf is added by the client).
LATENCY_BUCKETS: tuple[float, ...] = (
    0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15,
    0.25, 0.5, 1.0, 2.5,
)  # fmt: skip
#: Dependency-latency bucket edges, seconds (timeouts of 40 ms land in the 0.05 bucket).
DEPENDENCY_BUCKETS: tuple[float, ...] = (
    0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1,
    0.25, 0.5, 1.0,
)  # fmt: skip


class ServiceMetrics:
    """The service's metrics (see the module docstring and the contract)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.request_duration = Histogram(
            "lendlab_request_duration_seconds",
            "Server-side time from request received to response ready (decision row committed)",
            ["route", "outcome"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.requests = Counter(
            "lendlab_requests", "HTTP requests answered", ["route", "code"], registry=r
        )
        self.decisions = Counter(
            "lendlab_decisions",
            "Acknowledged decisions (row committed)",
            ["decision", "segment", "model_version", "proxy_group"],
            registry=r,
        )
        self.fallback = Counter(
            "lendlab_fallback",
            "Decisions made in a degraded mode because a dependency timed out or failed",
            ["mode", "dependency"],
            registry=r,
        )
        self.missing_features = Counter(
            "lendlab_missing_features",
            "Decisions where a model feature was missing or imputed",
            ["feature"],
            registry=r,
        )
        self.dependency_duration = Histogram(
            "lendlab_dependency_duration_seconds",
            "Time spent calling a simulated dependency (timeouts included)",
            ["dependency"],
            buckets=DEPENDENCY_BUCKETS,
            registry=r,
        )
        self.dependency_errors = Counter(
            "lendlab_dependency_errors",
            "Failed dependency calls",
            ["dependency", "kind"],
            registry=r,
        )
        self.score_bin = Counter(
            "lendlab_score_bin",
            "Decisions whose score fell in reference decile bin k (non-cumulative)",
            ["model_version", "bin"],
            registry=r,
        )
        self.score_reference_share = Gauge(
            "lendlab_score_reference_share",
            "Reference (training) share of each score bin",
            ["model_version", "bin"],
            registry=r,
        )
        self.model_info = Gauge(
            "lendlab_model_info",
            "The active model (value 1)",
            ["model_version", "artifact_sha256", "alias"],
            registry=r,
        )
        self.shadow_dropped = Counter(
            "lendlab_shadow_dropped",
            "Shadow requests dropped because the queue was full (issue 9)",
            ["model_version"],
            registry=r,
        )

        self.shadow_decisions = Counter(
            "lendlab_shadow_decisions",
            "Shadow answers logged, by outcome (ok, error, timeout)",
            ["model_version", "status"],
            registry=r,
        )
        self.shed = Counter(
            "lendlab_shed",
            "Decision requests refused with 503 because max_in_flight were already in flight "
            "(load shedding; never decided, never approved)",
            ["route"],
            registry=r,
        )
        self.in_flight = Gauge(
            "lendlab_in_flight", "Decision requests being handled now", registry=r
        )
        self.loop_lag = Gauge(
            "lendlab_event_loop_lag_seconds",
            "Largest event-loop lag over the last second (how late a 0.1 s sleep woke up): "
            "high lag with dependency timeouts means a busy service, not a slow dependency",
            registry=r,
        )
        self.rollout_arm = Gauge(
            "lendlab_rollout_arm_info",
            "The model version of each rollout arm in force (value 1)",
            ["arm", "model_version"],
            registry=r,
        )

    def zero_series(
        self,
        dependencies: Sequence[str],
        fallback_mode: str,
        failure_kinds: Sequence[str],
    ) -> None:
        """Create the fallback and dependency-error series at 0 before the first failure.

        A counter series that appears only at its first increment has no earlier sample, so
        ``rate()``/``increase()`` miss that first failure (Prometheus docs, "Avoid missing
        metrics"): the first seconds of an outage would be invisible to the alerts.
        """
        for dependency in dependencies:
            self.fallback.labels(mode=fallback_mode, dependency=dependency)
            for kind in failure_kinds:
                self.dependency_errors.labels(dependency=dependency, kind=kind)

    async def watch_loop(self, interval: float = LOOP_LAG_INTERVAL_S, window: int = 10) -> None:
        """Sample the event-loop lag every ``interval`` s; publish the max of the last ``window``.

        Runs until cancelled (the service starts it in its lifespan).

        Examples
        --------
        >>> import asyncio
        >>> async def sample():
        ...     m = ServiceMetrics()
        ...     task = asyncio.create_task(m.watch_loop(interval=0.01))
        ...     await asyncio.sleep(0.02)
        ...     time.sleep(0.05)  # block the loop: the next sample sees ~0.05 s of lag
        ...     await asyncio.sleep(0.03)
        ...     task.cancel()
        ...     return m.loop_lag._value.get()
        >>> asyncio.run(sample()) >= 0.04
        True
        """
        import asyncio

        loop = asyncio.get_running_loop()
        recent: collections.deque[float] = collections.deque(maxlen=window)
        while True:
            start = loop.time()
            await asyncio.sleep(interval)
            recent.append(max(0.0, loop.time() - start - interval))
            self.loop_lag.set(max(recent))

    def set_arms(self, arms: dict[str, str]) -> None:
        """Publish the arms in force (``primary``/``blue``/``green``, ``canary``, ``shadow``)."""
        self.rollout_arm.clear()
        for arm, version in arms.items():
            self.rollout_arm.labels(arm=arm, model_version=version).set(1)

    def set_reference(self, version: str, shares: list[float]) -> None:
        """Publish the reference score shares of a model that is not the primary (a canary)."""
        for k, share in enumerate(shares):
            self.score_reference_share.labels(model_version=version, bin=str(k)).set(share)
            self.score_bin.labels(model_version=version, bin=str(k))

    def set_model(self, version: str, sha256: str, alias: str, shares: list[float]) -> None:
        """Publish the active model: ``lendlab_model_info`` and its reference shares."""
        self.model_info.clear()
        self.model_info.labels(model_version=version, artifact_sha256=sha256[:12], alias=alias).set(
            1
        )
        for k, share in enumerate(shares):
            self.score_reference_share.labels(model_version=version, bin=str(k)).set(share)
            self.score_bin.labels(model_version=version, bin=str(k))  # zero until scored

    def exposition(self) -> bytes:
        """The text format for ``GET /metrics``."""
        return generate_latest(self.registry)
