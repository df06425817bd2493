"""The scoring service's configuration: one pydantic model, read from JSON or TOML or built in code.

:class:`ServiceConfig` holds everything a running service needs: where the decision log and the
models live, which model serves, the cutoff and review band, the fallback mode, the request
budget and the fault knobs of each simulated dependency (:class:`DependencyKnobs`). Unknown keys
are refused (a typo in a config file must not be silently ignored).

Example
-------
>>> cfg = ServiceConfig(db="decisions.db", cutoff=0.18)
>>> cfg.fallback, cfg.request_budget_ms, cfg.bureau.timeout_ms
('manual_review', 80.0, 40.0)
>>> ServiceConfig(db="x.db", cutoff=1.5)
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for ServiceConfig
cutoff
  Input should be less than 1 [type=less_than, input_value=1.5, input_type=float]
    For further information visit https://errors.pydantic.dev/2.14/v/less_than
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["DEPENDENCIES", "DependencyKnobs", "ServiceConfig", "load_config"]

#: The simulated dependencies, by the name metrics and the admin API use.
DEPENDENCIES: tuple[str, ...] = ("bureau", "income_verification")
_BATCH_BODY_CAP = 64 * 1024 * 1024  # the batch endpoint's largest body limit


class DependencyKnobs(BaseModel):
    """Fault knobs of one simulated dependency (changed at run time by ``POST /admin/faults``).

    Latency is lognormal with the given median and 99th percentile
    (``sigma = ln(p99 / median) / 2.326``). ``outage`` fails every call at once (connection
    refused); ``hang`` never answers, so every call ends at its timeout; ``error_rate`` is
    the share of calls answering an error after their latency. ``stale_days > 0`` (bureau)
    serves an old snapshot: each recent inquiry is missing with probability ``undercount``,
    as the ``stale_feature_store`` fault of :data:`lendlab.world.faults.FAULTS` does.

    Examples
    --------
    >>> DependencyKnobs(latency_median_ms=5, latency_p99_ms=20).sigma()
    0.596
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    latency_median_ms: float = Field(3.0, ge=0, le=60_000, description="median latency, ms")
    latency_p99_ms: float = Field(12.0, ge=0, le=60_000, description="99th percentile, ms")
    error_rate: float = Field(0.0, ge=0, le=1, description="share of calls that fail")
    outage: bool = Field(False, description="every call fails at once")
    hang: bool = Field(False, description="calls never answer (end at the timeout)")
    stale_days: int = Field(0, ge=0, le=3_650, description="age of the data served, days")
    undercount: float = Field(0.6, ge=0, le=1, description="stale: share of inquiries missed")
    timeout_ms: float = Field(40.0, gt=0, le=60_000, description="client timeout, ms")

    @model_validator(mode="after")
    def _p99_above_median(self) -> DependencyKnobs:
        if self.latency_p99_ms < self.latency_median_ms:
            raise ValueError(
                f"latency_p99_ms={self.latency_p99_ms} is below latency_median_ms="
                f"{self.latency_median_ms}; the 99th percentile cannot be below the median"
            )
        return self

    def sigma(self) -> float:
        """The lognormal shape parameter implied by the median and p99 (3 decimals)."""
        import math

        if self.latency_median_ms == 0 or self.latency_p99_ms == self.latency_median_ms:
            return 0.0
        return round(math.log(self.latency_p99_ms / self.latency_median_ms) / 2.326, 3)


class ServiceConfig(BaseModel):
    """Everything ``lendlab serve`` needs (see the module docstring).

    Parameters
    ----------
    db : path
        The SQLite decision log (created if absent).
    model_dir : path, optional
        Folder of model artifacts written by ``lendlab models train``; default
        ``<db folder>/models-seed<seed>``, trained on first start when empty.
    model : str, default "champion"
        Alias (``champion``, ``challenger``) or version to serve.
    seed : int, default 2025
        Seed of the training data when models are trained on first start.
    cutoff, review_margin : float
        Approve when ``pd < cutoff - review_margin``, review up to ``cutoff + review_margin``,
        decline above (as :func:`lendlab.monitoring.decision_log`).
    fallback : {"manual_review", "rules"}
        What a request gets when a dependency fails: manual review (the safe default: nobody
        is declined because our vendor is down) or the knock-out rules on the data available.
    request_budget_ms : float, default 80
        Deadline for everything before the commit (dependencies are cut at it, keeping 15 ms
        for the model), below the 100 ms SLO threshold: a hanging vendor cannot hold a
        request past it.
    commit_timeout_ms : float, default 2000
        Longest wait for the decision log's commit; past it the answer is 503 (retry with the
        same ``application_id``: it is idempotent). Separate from the budget so that a busy
        machine turns into slow answers, counted against the SLO, rather than refusals.
    max_body_bytes : int, default 65536
        Larger bodies get 413 (for a batch: larger items get a 413 result each).
    max_batch : int, default 500
        Most applications in one ``POST /v1/decisions/batch``; more is a 413 that says to
        split into batches of at most this many.
    max_batch_body_bytes : int, optional
        Body limit of ``POST /v1/decisions/batch``; default ``max_batch * max_body_bytes``
        capped at 64 MB (:meth:`batch_body_limit`).
    max_in_flight : int, default 64
        Most decision requests (a batch counts as one) being handled at once; past it the
        service sheds load: 503 with ``Retry-After`` and the reason, counted in
        ``lendlab_shed_total``, never a silent approval.
    synchronous : {"FULL", "NORMAL"}
        SQLite's fsync policy for the log (see :mod:`lendlab.serving.store`): FULL survives a
        power cut; NORMAL (with WAL) survives ``kill -9`` but may lose the last commits on
        power loss. Kept as a knob for the benchmark's comparison.
    shadow : str, optional
        A model (alias or version) scored in shadow, off the request path (issue 9; see
        :mod:`lendlab.serving.rollout_modes`); its answers go to ``shadow_decisions``.
    shadow_queue_max, shadow_timeout_ms, shadow_batch_max
        The shadow's bounded queue (full: dropped and counted), the timeout of one batch in
        the shadow worker (past it the worker is killed and restarted) and the batch size.
    canary : str, optional
        A model taking ``canary_share`` of the applications, assigned by sha256 of
        ``canary_salt`` and the ``application_id`` (a retried application keeps its arm).
    blue_green : bool, default False
        Two slots, blue and green: a switch (``POST /admin/model``) deploys to the idle slot
        and flips; a rollback flips back. Decisions record ``blue``/``green`` instead of
        ``primary``.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    db: Path
    model_dir: Path | None = None
    model: str = "champion"
    seed: int = Field(2025, ge=0)
    cutoff: float = Field(0.20, gt=0, lt=1)
    review_margin: float = Field(0.02, ge=0, lt=0.5)
    fallback: Literal["manual_review", "rules"] = "manual_review"
    request_budget_ms: float = Field(80.0, gt=0, le=60_000)
    commit_timeout_ms: float = Field(2_000.0, gt=0, le=60_000)
    max_body_bytes: int = Field(65_536, ge=1_024, le=16 * 1024 * 1024)
    max_batch: int = Field(500, ge=1, le=10_000)
    max_batch_body_bytes: int | None = Field(None, ge=1_024, le=_BATCH_BODY_CAP)
    max_in_flight: int = Field(64, ge=1, le=100_000)
    commit_batch_max: int = Field(256, ge=1, le=10_000)
    synchronous: Literal["FULL", "NORMAL"] = "FULL"
    dependency_seed: int = Field(0, ge=0)
    shadow: str | None = None
    shadow_queue_max: int = Field(1_000, ge=1, le=1_000_000)
    shadow_timeout_ms: float = Field(500.0, gt=0, le=60_000)
    shadow_batch_max: int = Field(64, ge=1, le=10_000)
    canary: str | None = None
    canary_share: float = Field(0.0, ge=0, le=1)
    canary_salt: str = Field("lendlab-canary-1", min_length=1, max_length=200)
    blue_green: bool = False
    bureau: DependencyKnobs = Field(default_factory=DependencyKnobs)
    income_verification: DependencyKnobs = Field(
        default_factory=lambda: DependencyKnobs(latency_median_ms=2.0, latency_p99_ms=8.0)
    )

    @model_validator(mode="after")
    def _band_inside(self) -> ServiceConfig:
        if not 0 < self.cutoff - self.review_margin <= self.cutoff + self.review_margin < 1:
            raise ValueError(
                f"the review band [{self.cutoff - self.review_margin:g}, "
                f"{self.cutoff + self.review_margin:g}) must lie inside (0, 1); narrow "
                "review_margin"
            )
        return self

    @model_validator(mode="after")
    def _canary_share_needs_canary(self) -> ServiceConfig:
        if self.canary_share > 0 and self.canary is None:
            raise ValueError(
                f"canary_share={self.canary_share:g} without a canary model; set canary "
                "(e.g. --canary challenger) or leave canary_share at 0"
            )
        return self

    def batch_body_limit(self) -> int:
        """Body limit of the batch endpoint, bytes (see ``max_batch_body_bytes``).

        Examples
        --------
        >>> ServiceConfig(db="d.db").batch_body_limit()
        32768000
        >>> ServiceConfig(db="d.db", max_batch_body_bytes=1_000_000).batch_body_limit()
        1000000
        """
        if self.max_batch_body_bytes is not None:
            return self.max_batch_body_bytes
        return min(self.max_batch * self.max_body_bytes, _BATCH_BODY_CAP)

    def resolved_model_dir(self) -> Path:
        """``model_dir``, or the default ``<db folder>/models-seed<seed>``.

        Examples
        --------
        >>> ServiceConfig(db="/tmp/x/d.db", seed=3).resolved_model_dir().as_posix()
        '/tmp/x/models-seed3'
        """
        if self.model_dir is not None:
            return Path(self.model_dir)
        return Path(self.db).parent / f"models-seed{self.seed}"


def load_config(path: str | os.PathLike[str] | None = None, **overrides: object) -> ServiceConfig:
    """Read a :class:`ServiceConfig` from a ``.json`` or ``.toml`` file, then apply overrides.

    Overrides that are ``None`` are ignored (so a CLI can pass every flag).

    Examples
    --------
    >>> load_config(None, db="d.db", cutoff=None).cutoff
    0.2
    >>> load_config("settings.yaml")
    Traceback (most recent call last):
    ...
    ValueError: config file 'settings.yaml' must end in .json or .toml
    """
    data: dict[str, object] = {}
    if path is not None:
        path = Path(path)
        if path.suffix not in (".json", ".toml"):
            raise ValueError(f"config file {path.as_posix()!r} must end in .json or .toml")
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"config file {path.as_posix()!r} must hold an object (a table)")
    data.update({k: v for k, v in overrides.items() if v is not None})
    return ServiceConfig.model_validate(data)
