"""The scoring service: ``create_app(config)`` builds the FastAPI app.

Routers, one per concern: **decisions** (``POST /v1/decisions``), **admin** (``POST
/admin/model``, ``/admin/cutoff``, ``/admin/faults``, bearer token) and **ops** (``GET
/metrics``, ``/healthz``, ``/readyz``). ``Depends`` hands the handlers the service state, the
model registry, the decision store and the admin check; the ``lifespan`` loads (or trains) the
models and opens the decision store at start-up, and commits what is queued at shut-down.

A decision, step by step (each timed; the ms per stage are in the response and the log):

1. read the body, draining it when it passes ``max_body_bytes`` so the client gets its 413
   (answering before reading makes uvicorn reset the connection);
2. parse and validate it strictly (:class:`~lendlab.serving.schemas.Application`): 400 for
   malformed JSON, 422 with a reason per field, never echoing the input;
3. idempotency: an ``application_id`` already logged returns the logged decision (header
   ``Idempotent-Replay: true``) when the payload is the same, else 409;
4. call the bureau and income verification concurrently, each bounded by its timeout and the
   request's remaining budget; a failure degrades the request to the configured fallback
   (``manual_review`` or the knock-out ``rules``), flagged in the response, log and metrics;
5. knock-out rules first (:func:`lendlab.world.passes_knockout`), then PD against the cutoff
   with a review band, reasons for declines (:func:`lendlab.models.reason_codes`);
6. queue the row to the decision store and answer only after its group commit.

Load shedding: past ``max_in_flight`` decision requests in flight (a batch counts as one) the
answer is 503 with ``Retry-After`` and the reason, counted in ``lendlab_shed_total``; nothing
is decided, so nothing is approved. ``lendlab_event_loop_lag_seconds`` (sampled by a
background task) tells a busy service from a slow dependency when timeouts rise.

Every refusal (400, 409, 413, 422) is a row of the ``rejected`` table, and is never approved.

**Batches** (``POST /v1/decisions/batch``, body ``{"applications": [...]}`` with 1 to
``max_batch`` items, for backfills and lab-scale replays): each item goes through the same
steps as a single request (validated on its own, idempotent per ``application_id``, its own
dependency calls, all items concurrently, each cut at the budget a single request's calls
get, routed to its arm),
the healthy items of one arm are scored together, and every decision row is committed in one
transaction before the answer: ``{"request_id", "results": [{"application_id", "status",
"decision", "detail", "errors"}, ...]}`` in input order, ``status`` being what the single
endpoint would have answered. Item ``i``'s decision has ``request_id`` ``<batch id>-<i>`` and
logs the batch's duration. Counters count items; the latency histogram observes the batch
under ``route="/v1/decisions/batch"``, outside the latency SLO of the single route.

Example
-------
>>> import tempfile, pathlib
>>> from fastapi.testclient import TestClient
>>> from lendlab.serving.schemas import example_application
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> app = create_app(ServiceConfig(db=folder / "d.db", model_dir=folder / "models", seed=1))
>>> with TestClient(app) as client:
...     r = client.post("/v1/decisions", json=example_application(1))
...     again = client.post("/v1/decisions", json=example_application(1))
>>> r.status_code, r.json()["decision"], r.json()["model_version"]
(200, 'approve', 'scorecard-2025.1')
>>> again.headers["idempotent-replay"], again.json()["request_id"] == r.json()["request_id"]
('true', True)
"""

from __future__ import annotations

import asyncio
import copy
import functools
import gc
import hashlib
import hmac
import json
import logging
import os
import time
import uuid
from collections.abc import Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lendlab.models import (
    POLICY_RULES,
    Scorecard,
    model_features,
    model_scaling,
    pd_to_score,
    reason_codes,
)
from lendlab.monitoring.decision_record import REASON_COLUMNS
from lendlab.serving.config import DEPENDENCIES, DependencyKnobs, ServiceConfig
from lendlab.serving.dependencies import (
    FAILURE_KINDS,
    RETURNS,
    DependencyError,
    SimulatedDependency,
)
from lendlab.serving.metrics import ServiceMetrics
from lendlab.serving.registry import ModelEntry, ModelRegistry
from lendlab.serving.rollout_modes import ShadowRunner, artifact_path, assign_arm
from lendlab.serving.schemas import (
    Application,
    BatchResponse,
    DecisionResponse,
    ErrorResponse,
    field_errors,
)
from lendlab.serving.store import SNAPSHOT_COLUMNS, DecisionStore
from lendlab.world.features import DERIVED_FEATURES
from lendlab.world.schema import CATEGORIES, COLUMNS, POLICY, passes_knockout

__all__ = ["ADMIN_TOKEN_ENV", "BATCH_ROUTE", "DECISIONS_ROUTE", "ServiceState", "create_app"]

log = logging.getLogger("lendlab.serving")

ADMIN_TOKEN_ENV = "LENDLAB_ADMIN_TOKEN"
DECISIONS_ROUTE = "/v1/decisions"
BATCH_ROUTE = "/v1/decisions/batch"
_ROUTES = frozenset(
    {DECISIONS_ROUTE, BATCH_ROUTE, "/metrics", "/healthz", "/readyz", "/admin/model",
     "/admin/cutoff", "/admin/faults", "/admin/rollout", "/openapi.json", "/docs"}
)  # fmt: skip
_DRAIN_LIMIT = 16 * 1024 * 1024  # past this a too-large body is not drained any further
_RESERVE_S = 0.015  # budget kept for the model and the commit after the dependencies
_NUMERIC = {c for c, spec in COLUMNS.items() if spec.dtype in ("int64", "float64")}
_INTS = {c for c, spec in COLUMNS.items() if spec.dtype == "int64"}


# -- state and dependencies (Depends) --------------------------------------------------------
def _explainer_for(registry: ModelRegistry, entry: ModelEntry) -> Scorecard | None:
    """Reasons come from a scorecard: the model itself, else the champion scorecard."""
    if isinstance(entry.model, Scorecard):
        return entry.model
    champion = registry.models.get(registry.aliases.get("champion", ""))
    return (
        champion.model if champion is not None and isinstance(champion.model, Scorecard) else None
    )


class RolloutError(ValueError):
    """A rollout change that cannot be made now (answered 409 with the reason)."""


@dataclass
class ServiceState:
    """What the handlers share: config, models, store, metrics, dependencies, admin token.

    Rollout (issue 9): ``active`` is the live primary model; in blue-green mode it sits in
    the ``live`` slot of ``slots`` and ``arm`` is that slot's colour, else ``arm`` is
    ``"primary"``. ``history`` holds the versions served before (``rollback`` returns to the
    last). ``canary`` takes ``canary_share`` of the applications (by
    :func:`~lendlab.serving.rollout_modes.assign_arm`); ``shadow`` scores a second model off
    the request path.
    """

    config: ServiceConfig
    registry: ModelRegistry
    active: ModelEntry
    alias: str
    explainer: Scorecard | None
    store: DecisionStore
    metrics: ServiceMetrics
    dependencies: dict[str, SimulatedDependency]
    admin_token: str | None
    history: list[str] = field(default_factory=list)
    slots: dict[str, str | None] = field(default_factory=lambda: {"blue": None, "green": None})
    live: str = "blue"
    canary: ModelEntry | None = None
    canary_explainer: Scorecard | None = None
    canary_share: float = 0.0
    shadow: ShadowRunner | None = None
    in_flight: int = 0

    @property
    def arm(self) -> str:
        """The primary's arm: ``"primary"``, or the live colour in blue-green mode."""
        return self.live if self.config.blue_green else "primary"

    def _serve(self, entry: ModelEntry, name: str) -> ModelEntry:
        entry.columns = _model_columns(entry.model)
        self.active = entry
        self.alias = name if name in self.registry.aliases else self.registry.alias_of(name)
        self.explainer = _explainer_for(self.registry, entry)
        self.metrics.set_model(entry.version, entry.sha256, self.alias, entry.score_shares)
        self._publish()
        return entry

    def _publish(self) -> None:
        arms = {self.arm: self.active.version}
        if self.canary is not None:
            arms["canary"] = self.canary.version
        if self.shadow is not None:
            arms["shadow"] = self.shadow.version
        self.metrics.set_arms(arms)

    def activate(self, name: str) -> ModelEntry:
        """Serve the model named by alias or version; reasons come from a scorecard.

        The version served before goes on ``history``. In blue-green mode the new version is
        deployed to the idle slot, which then goes live (the old slot stays for rollback).
        """
        entry = self.registry.resolve(name)
        previous = getattr(self, "active", None)
        if previous is not None and previous.version != entry.version:
            self.history.append(previous.version)
            if self.config.blue_green:
                idle = "green" if self.live == "blue" else "blue"
                self.slots[idle] = entry.version
                self.live = idle
        elif self.config.blue_green:
            self.slots[self.live] = entry.version
        return self._serve(entry, name)

    def rollback(self) -> ModelEntry:
        """Return to the version served before the last switch (blue-green: flip back)."""
        if not self.history:
            raise RolloutError(
                f"nothing to roll back to: {self.active.version} is the first version served"
            )
        version = self.history.pop()
        entry = self.registry.resolve(version)
        if self.config.blue_green:
            idle = "green" if self.live == "blue" else "blue"
            self.slots[idle] = version
            self.live = idle
        return self._serve(entry, version)

    def set_canary(self, name: str | None, share: float | None = None) -> None:
        """Route ``share`` of the applications to model ``name`` (None stops the canary)."""
        if name is None:
            self.canary, self.canary_explainer, self.canary_share = None, None, 0.0
        else:
            entry = self.registry.resolve(name)
            entry.columns = _model_columns(entry.model)
            self.canary = entry
            self.canary_explainer = _explainer_for(self.registry, entry)
            self.metrics.set_reference(entry.version, entry.score_shares)
            if share is None:
                share = self.canary_share or self.config.canary_share
        if share is not None:
            if not 0.0 <= float(share) <= 1.0:
                raise ValueError(f"canary_share must be in [0, 1], got {share}")
            self.canary_share = float(share)
        self._publish()

    def set_shadow(self, name: str | None) -> None:
        """Score model ``name`` in shadow (None stops it); the old shadow worker is stopped."""
        entry = self.registry.resolve(name) if name is not None else None
        old, self.shadow = self.shadow, None
        if old is not None:
            old.close()
        if entry is not None:
            cfg = self.config
            explainer = _explainer_for(self.registry, entry)
            explainer_path = None
            if explainer is not None and explainer is not entry.model:
                champion = self.registry.resolve("champion")
                explainer_path = artifact_path(self.registry.folder, champion.sidecar)
            dropped = self.metrics.shadow_dropped.labels(model_version=entry.version)
            results = self.metrics.shadow_decisions
            self.shadow = ShadowRunner(
                version=entry.version,
                sha256=entry.sha256,
                model_path=artifact_path(self.registry.folder, entry.sidecar),
                explainer_path=explainer_path,
                sink=self.store.submit_shadow,
                params=lambda: {
                    "cutoff": self.config.cutoff,
                    "review_margin": self.config.review_margin,
                },
                on_drop=dropped.inc,
                on_result=lambda status: results.labels(
                    model_version=entry.version, status=status
                ).inc(),
                queue_max=cfg.shadow_queue_max,
                timeout_s=cfg.shadow_timeout_ms / 1000.0,
                batch_max=cfg.shadow_batch_max,
            )
        self._publish()

    def route(self, application_id: int) -> tuple[str, ModelEntry, Scorecard | None]:
        """The arm, model and explainer that decide ``application_id``."""
        if self.canary is not None and self.canary_share > 0:
            if (
                assign_arm(application_id, share=self.canary_share, salt=self.config.canary_salt)
                == "canary"
            ):
                return "canary", self.canary, self.canary_explainer
        return self.arm, self.active, self.explainer

    def rollout(self) -> dict[str, Any]:
        """The rollout now in force (``GET /admin/rollout``)."""
        return {
            "arm": self.arm,
            "model_version": self.active.version,
            "alias": self.alias,
            "blue_green": self.config.blue_green,
            "slots": dict(self.slots) if self.config.blue_green else None,
            "live": self.live if self.config.blue_green else None,
            "history": list(self.history),
            "canary": None if self.canary is None else self.canary.version,
            "canary_share": self.canary_share,
            "canary_salt": self.config.canary_salt,
            "shadow": None if self.shadow is None else self.shadow.stats(),
        }


def get_state(request: Request) -> ServiceState:
    """The service state built by the lifespan."""
    return request.app.state.service


def get_registry(state: Annotated[ServiceState, Depends(get_state)]) -> ModelRegistry:
    """The model registry."""
    return state.registry


def get_store(state: Annotated[ServiceState, Depends(get_state)]) -> DecisionStore:
    """The decision store."""
    return state.store


def _error(status: int, detail: str, request_id: str, headers: dict[str, str] | None = None):
    body = ErrorResponse(detail=detail, request_id=request_id).model_dump()
    return JSONResponse(body, status_code=status, headers=headers)


class AdminRefused(Exception):
    """Raised by :func:`require_admin`; answered as 401 or 403 with the reason."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def require_admin(request: Request, state: Annotated[ServiceState, Depends(get_state)]) -> None:
    """Bearer token from ``LENDLAB_ADMIN_TOKEN``, compared in constant time.

    403 when the service was started without the variable (admin disabled), 401 when the
    header is missing or the token is wrong.
    """
    if not state.admin_token:
        raise AdminRefused(403, f"admin API disabled: start the service with {ADMIN_TOKEN_ENV} set")
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), state.admin_token.encode()
    ):
        raise AdminRefused(401, "missing or wrong bearer token (Authorization: Bearer <token>)")


# -- decisions -------------------------------------------------------------------------------
decisions = APIRouter(tags=["decisions"])


def _now() -> str:
    return datetime.now(UTC).isoformat()


async def _read_body(request: Request, limit: int) -> tuple[bytes | None, int]:
    """The body, or None when it is over ``limit`` (then drained, up to 16 MB, and dropped)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        elif size > _DRAIN_LIMIT:
            break
    return (None if size > limit else b"".join(chunks)), size


_CATEGORY_DTYPES = {c: pd.CategoricalDtype(list(levels)) for c, levels in CATEGORIES.items()}
_KNOCKOUT_COLUMNS = tuple(rule[0] for rule in POLICY_RULES)


@functools.lru_cache(maxsize=64)
def _column_index(columns: tuple[str, ...]) -> pd.Index:
    """One Index object per column list: its hash table is built once, not once per request."""
    return pd.Index(list(columns), dtype=object)


def _frame_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    """Rows of ``columns`` in the world's dtypes (numbers float/int with NaN for missing,
    categories as categorical with the world's levels), as the models were trained on."""
    data: dict[int, Any] = {}
    for k, col in enumerate(columns):
        values = [row.get(col) for row in rows]
        if col in _CATEGORY_DTYPES:
            dtype = _CATEGORY_DTYPES[col]
            codes = [dtype.categories.get_loc(v) if v is not None else -1 for v in values]
            data[k] = pd.Categorical.from_codes(codes, dtype=dtype)
        elif col in _INTS and all(v is not None for v in values):
            data[k] = np.array(values, dtype=np.int64)
        elif col in _NUMERIC:
            data[k] = np.array([np.nan if v is None else v for v in values], dtype=float)
        else:
            data[k] = values
    frame = pd.DataFrame(data, copy=False)  # the arrays are fresh: no copy needed
    frame.columns = _column_index(tuple(columns))
    return frame


def _frame(served: dict[str, Any], columns: Sequence[str]) -> pd.DataFrame:
    """One row of ``columns`` (see :func:`_frame_rows`)."""
    return _frame_rows([served], columns)


def model_columns(model: Any) -> tuple[str, ...]:
    """The raw columns a model and the knock-out rules read (derived features' inputs too).

    Examples
    --------
    >>> from lendlab.models import Scorecard
    >>> model_columns(Scorecard(features=["fico", "dti"]))
    ('fico', 'dti', 'inquiries_6m')
    """
    wanted = list(_KNOCKOUT_COLUMNS)
    for f in model_features(model):
        wanted.extend(DERIVED_FEATURES.get(f, (f,)))
    return tuple(dict.fromkeys(c for c in wanted if c in SNAPSHOT_COLUMNS))


_model_columns = model_columns


def _knockout_reasons(passes: np.ndarray, X: pd.DataFrame, i: int = 0) -> list[str]:
    """The adverse-action text of each failed knock-out rule (:data:`POLICY_RULES`' wording)."""
    out = []
    for j, (column, _, key, fail_text, missing_text) in enumerate(POLICY_RULES):
        if not passes[j]:
            missing = bool(pd.isna(X[column].iloc[i]))
            out.append(missing_text if missing else fail_text.format(threshold=POLICY[key]))
    return out


def score_applications(
    model: Any,
    explainer: Any,
    served: Sequence[dict[str, Any]],
    columns: Sequence[str],
    *,
    cutoff: float,
    review_margin: float,
) -> list[dict[str, Any]]:
    """Decide applications with a model: knock-out rules, PD against the band, reasons.

    The model path of ``POST /v1/decisions`` (healthy dependencies), for one row or a batch
    (the shadow worker scores batches with it).

    Parameters
    ----------
    model : PDModel
    explainer : Scorecard or None
        Gives the reasons for a model decline (None: declines without model reasons).
    served : sequence of dict
        The applications as served (world column names, dependency fields filled in).
    columns : sequence of str
        :func:`model_columns` of ``model``.
    cutoff, review_margin : float
        Approve below ``cutoff - review_margin``, review up to ``cutoff + review_margin``.

    Returns
    -------
    list of dict
        Per application: ``pd``, ``score``, ``decision`` and ``reason_1`` .. ``reason_4``.

    Examples
    --------
    >>> from lendlab.serving.schemas import example_application
    >>> class Flat:  # a PD model that says 5 % for everyone
    ...     features, version, pdo, base_score, base_odds = ["fico"], "flat-1", 20, 600, 50
    ...     def predict_pd(self, X):
    ...         return np.full(len(X), 0.05)
    >>> rows = [example_application(1), {**example_application(2), "fico": 600}]
    >>> out = score_applications(Flat(), None, rows, model_columns(Flat()),
    ...                          cutoff=0.2, review_margin=0.02)
    >>> [(r["decision"], r["score"], r["reason_1"]) for r in out]
    [('approve', 572, None), ('decline', 572, 'Credit score below our minimum of 660')]
    """
    X = _frame_rows(served, columns)
    p = np.round(np.asarray(model.predict_pd(X), dtype=float), 6)
    if p.shape != (len(served),) or not np.all(np.isfinite(p)):
        raise ValueError(
            f"model {getattr(model, 'version', '?')} returned PDs of shape {p.shape} with "
            "non-finite values or the wrong length; it must return one finite PD per row"
        )
    scale = model_scaling(model)
    scores = np.rint(pd_to_score(np.clip(p, 1e-6, 1 - 1e-6), **scale)).astype(np.int64)
    passes = passes_knockout(X, by_rule=True)
    out: list[dict[str, Any]] = []
    explain: list[int] = []
    for i in range(len(served)):
        reasons: list[str] = []
        if not bool(passes[i].all()):
            decision = "decline"
            reasons = _knockout_reasons(passes[i], X, i)
        elif p[i] < cutoff - review_margin:
            decision = "approve"
        elif p[i] < cutoff + review_margin:
            decision = "review"
        else:
            decision = "decline"
            explain.append(i)
        row = {"pd": float(p[i]), "score": int(scores[i]), "decision": decision}
        row.update({c: (reasons[k] if k < len(reasons) else None)
                    for k, c in enumerate(REASON_COLUMNS)})  # fmt: skip
        out.append(row)
    if explain and explainer is not None:
        if explainer is model:
            why = X if len(explain) == len(X) else X.iloc[explain].reset_index(drop=True)
        else:
            why = _frame_rows([served[i] for i in explain], SNAPSHOT_COLUMNS)
        codes = reason_codes(explainer, why)
        for k, i in enumerate(explain):
            one = codes.iloc[k]
            got = [
                str(one[c]) for c in codes.columns if c.startswith("reason_") and pd.notna(one[c])
            ]
            for n, c in enumerate(REASON_COLUMNS):
                out[i][c] = got[n] if n < len(got) else None
    return out


async def _call(
    state: ServiceState, name: str, payload: dict[str, Any], budget_s: float
) -> tuple[str, dict[str, Any] | None, str | None, float]:
    dep = state.dependencies[name]
    start = time.perf_counter()
    try:
        fields = await dep.call(payload, budget_s=budget_s)
        kind = None
    except DependencyError as exc:
        fields, kind = None, exc.kind
    seconds = time.perf_counter() - start
    state.metrics.dependency_duration.labels(dependency=name).observe(seconds)
    if kind is not None:
        state.metrics.dependency_errors.labels(dependency=name, kind=kind).inc()
    return name, fields, kind, seconds


async def _await_commit(fut, timeout: float):
    return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(fut)), timeout)


class _Timer:
    def __init__(self, start: float) -> None:
        self.start = start
        self.last = start
        self.ms: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.ms[name] = round((now - self.last) * 1000, 3)
        self.last = now

    def total_s(self) -> float:
        return time.perf_counter() - self.start


def _replay(row: dict[str, Any]) -> dict[str, Any]:
    reasons = [row[c] for c in REASON_COLUMNS if row.get(c)]
    failed = row.get("failed_dependencies")
    return DecisionResponse(
        request_id=row["request_id"],
        application_id=row["application_id"],
        decision=row["decision"],
        pd=row["pd"],
        score=row["score"],
        model_version=row["model_version"],
        model_sha256=row["model_sha256"],
        reasons=reasons,
        fallback=row["fallback"] or False,
        failed_dependencies=failed.split(",") if failed else [],
        timings=json.loads(row["timings_json"] or "{}"),
        arm=row.get("arm") or "primary",
        replay=True,
    ).model_dump()


class _Refusal(Exception):
    def __init__(self, status: int, detail: str, errors=(), application_id=None, headers=None):
        super().__init__(detail)
        self.status, self.detail, self.errors = status, detail, list(errors)
        self.application_id, self.headers = application_id, headers


@decisions.post(
    DECISIONS_ROUTE,
    summary="Decide one credit application",
    response_model=DecisionResponse,
    responses={
        400: {"model": ErrorResponse, "description": "malformed JSON"},
        409: {"model": ErrorResponse, "description": "application_id logged with another payload"},
        413: {"model": ErrorResponse, "description": "body over max_body_bytes (64 KB)"},
        422: {"model": ErrorResponse, "description": "invalid fields, a reason per field"},
        503: {
            "model": ErrorResponse,
            "description": "the decision log did not commit in "
            "time, or overloaded (max_in_flight): nothing decided, retry (Retry-After)",
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "One application in the world's column names (strict: no coercion, "
            "no unknown fields, no NaN/Infinity).",
            "content": {"application/json": {"schema": Application.model_json_schema()}},
        }
    },
)
async def post_decision(request: Request) -> Response:
    """Decide an application (see the module docstring for the steps)."""
    # the state straight from the app, not through Depends: FastAPI's dependency solving
    # costs more per request than the model (the service decides one row at a time)
    return await _admitted(request, get_state(request), DECISIONS_ROUTE, _decision_request)


async def _admitted(request: Request, state: ServiceState, route: str, handler: Any) -> Response:
    """Load shedding: past ``max_in_flight`` requests in flight, 503 and nothing decided."""
    cfg = state.config
    if state.in_flight >= cfg.max_in_flight:
        await _read_body(request, cfg.max_body_bytes)  # drained, so the client gets the 503
        state.metrics.shed.labels(route=route).inc()
        return _error(
            503,
            f"overloaded: {state.in_flight} decision requests in flight (max_in_flight="
            f"{cfg.max_in_flight}); nothing was decided, retry after 1 s with the same "
            "application_id",
            uuid.uuid4().hex,
            headers={"Retry-After": "1"},
        )
    state.in_flight += 1
    state.metrics.in_flight.set(state.in_flight)
    try:
        return await handler(request, state)
    finally:
        state.in_flight -= 1
        state.metrics.in_flight.set(state.in_flight)


async def _decision_request(request: Request, state: ServiceState) -> Response:
    timer = _Timer(time.perf_counter())
    cfg = state.config
    deadline = timer.start + cfg.request_budget_ms / 1000.0
    request_id = uuid.uuid4().hex
    received_at = _now()
    body: bytes | None = None
    payload_sha: str | None = None
    size = 0
    try:
        body, size = await _read_body(request, cfg.max_body_bytes)
        if body is None:
            raise _Refusal(
                413,
                f"body of {size} bytes is over the limit of {cfg.max_body_bytes} bytes",
                headers={"Connection": "close"} if size > _DRAIN_LIMIT else None,
            )
        payload_sha = hashlib.sha256(body).hexdigest()
        try:
            app_ = Application.model_validate_json(body)
        except ValidationError as exc:
            errors = field_errors(exc)
            if any(e["type"] == "json_invalid" for e in errors):
                raise _Refusal(
                    400, "malformed JSON: the body is not one JSON object", errors
                ) from None
            raise _Refusal(422, "invalid application: see errors (one per field)", errors) from None
        timer.lap("parse")
        return await _decide(state, app_, timer, deadline, request_id, received_at)
    except _Refusal as refusal:
        return await _refuse(state, refusal, timer, request_id, received_at, payload_sha, size)
    except Exception:  # noqa: BLE001 - an answer (500) and a log line, never a hang
        log.exception("decision request %s failed", request_id)
        _observe(state, timer, "error")
        return _error(500, "internal error; the decision was not made", request_id)


def _observe(
    state: ServiceState, timer: _Timer, outcome: str, route: str = DECISIONS_ROUTE
) -> float:
    seconds = timer.total_s()
    state.metrics.request_duration.labels(route=route, outcome=outcome).observe(seconds)
    return seconds


def _rejection_row(
    refusal: _Refusal, request_id: str, received_at: str, payload_sha: str | None, size: int
) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "received_at": received_at,
        "status": refusal.status,
        "detail": refusal.detail,
        "reasons_json": json.dumps(refusal.errors),
        "application_id": refusal.application_id,
        "payload_sha256": payload_sha,
        "body_bytes": size,
    }


async def _log_rejections(state: ServiceState, rows: Sequence[dict[str, Any]]) -> None:
    """Commit rejected-table rows; a failure is logged, the refusals are answered anyway."""
    try:
        futures = [state.store.submit_rejection(row) for row in rows]
        for fut in futures:
            await _await_commit(fut, 5.0)
    except Exception:  # noqa: BLE001 - the refusal is answered even if logging it failed
        log.exception("could not log %d rejected request(s)", len(rows))


async def _refuse(
    state: ServiceState,
    refusal: _Refusal,
    timer: _Timer,
    request_id: str,
    received_at: str,
    payload_sha: str | None,
    size: int,
    route: str = DECISIONS_ROUTE,
) -> Response:
    await _log_rejections(
        state, [_rejection_row(refusal, request_id, received_at, payload_sha, size)]
    )
    _observe(state, timer, "rejected", route)
    body = ErrorResponse(
        detail=refusal.detail, errors=refusal.errors, request_id=request_id
    ).model_dump()
    return JSONResponse(body, status_code=refusal.status, headers=refusal.headers)


def _lookup(state: ServiceState, application_id: int, payload_sha: str) -> dict[str, Any] | None:
    """The logged decision as a replay body, None when not logged, or a 409 ``_Refusal``."""
    row = state.store.find(application_id)
    if row is None:
        return None
    if row["payload_sha256"] != payload_sha:
        raise _Refusal(
            409,
            f"application_id {application_id} was already decided with a different payload; "
            "send a new application_id, or the original payload to get the logged decision",
            [{"field": "application_id", "reason": "already decided", "type": "conflict"}],
            application_id=application_id,
        )
    return _replay(row)


def _existing(state: ServiceState, application_id: int, payload_sha: str) -> Response | None:
    body = _lookup(state, application_id, payload_sha)
    return None if body is None else JSONResponse(body, headers={"Idempotent-Replay": "true"})


async def _dependencies(
    state: ServiceState, payload: dict[str, Any], budget_s: float
) -> tuple[dict[str, Any], list[str], dict[str, float]]:
    """Every dependency for one application, concurrently: (served, failed, ms per call)."""
    calls = await asyncio.gather(*(_call(state, n, payload, budget_s) for n in DEPENDENCIES))
    served = dict(payload)
    failed: list[str] = []
    ms: dict[str, float] = {}
    for name, fields, _kind, seconds in calls:
        ms[name] = round(seconds * 1000, 3)
        if fields is None:
            failed.append(name)
            served.update(dict.fromkeys(RETURNS[name]))
        else:
            served.update({k: v for k, v in fields.items() if k in RETURNS[name]})
    return served, failed, ms


@dataclass
class _Case:
    """One application on its way through a decision (the single and the batch endpoint)."""

    app: Application
    payload: dict[str, Any]
    canonical: str
    payload_sha: str
    request_id: str
    served: dict[str, Any] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    dep_ms: dict[str, float] = field(default_factory=dict)
    arm: str = "primary"
    entry: ModelEntry | None = None
    decision: str = "review"
    decided_by: str = "manual-review"
    pd: float | None = None
    score: int | None = None
    reasons: list[str] = field(default_factory=list)
    fallback: str | None = None
    missing: list[str] = field(default_factory=list)


def _case(app_: Application, request_id: str) -> _Case:
    payload = app_.model_dump(mode="json")
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    sha = hashlib.sha256(canonical.encode()).hexdigest()
    return _Case(app_, payload, canonical, sha, request_id)


def _decide_cases(state: ServiceState, cases: Sequence[_Case]) -> None:
    """Route and decide ``cases`` in place (dependencies already called).

    Each case goes to its arm (:meth:`ServiceState.route`); the healthy ones of one arm are
    scored together by :func:`score_applications`; a case with a failed dependency gets the
    configured fallback: manual review, or the knock-out rules on what we have (a missing
    field fails its rule).
    """
    cfg = state.config
    scored: dict[int, tuple[ModelEntry, Any, list[_Case]]] = {}
    ruled: dict[int, tuple[ModelEntry, list[_Case]]] = {}
    for c in cases:
        c.arm, c.entry, explainer = state.route(c.app.application_id)
        c.missing = [
            f for f in model_features(c.entry.model) if f in c.served and c.served[f] is None
        ]
        if not c.failed:
            scored.setdefault(id(c.entry), (c.entry, explainer, []))[2].append(c)
            continue
        c.fallback = cfg.fallback
        if cfg.fallback == "rules":
            ruled.setdefault(id(c.entry), (c.entry, []))[1].append(c)
        else:
            c.decision, c.decided_by = "review", "manual-review"
    for entry, explainer, group in scored.values():
        outs = score_applications(
            entry.model, explainer, [c.served for c in group], entry.columns,
            cutoff=cfg.cutoff, review_margin=cfg.review_margin,
        )  # fmt: skip
        for c, out in zip(group, outs, strict=True):
            c.pd, c.score, c.decision = out["pd"], out["score"], out["decision"]
            c.reasons = [out[k] for k in REASON_COLUMNS if out[k] is not None]
            c.decided_by = entry.version
    for entry, group in ruled.values():
        X = _frame_rows([c.served for c in group], entry.columns)
        passes = passes_knockout(X, by_rule=True)
        for i, c in enumerate(group):
            c.decision = "approve" if bool(passes[i].all()) else "decline"
            c.reasons = _knockout_reasons(passes[i], X, i)
            c.decided_by = "rules-policy"


def _log_row(c: _Case, received_at: str, timings: dict[str, float]) -> dict[str, Any]:
    """The decision-log row of a decided case."""
    reasons = c.reasons
    return {
        "application_id": c.app.application_id,
        "applied_at": c.app.applied_at.isoformat(),
        "model_version": c.decided_by,
        "pd": c.pd,
        "score": c.score,
        "decision": c.decision,
        **{k: (reasons[n] if n < len(reasons) else None) for n, k in enumerate(REASON_COLUMNS)},
        **{k: c.served.get(k) for k in SNAPSHOT_COLUMNS},
        "request_id": c.request_id,
        "received_at": received_at,
        "active_model": c.entry.version,
        "model_sha256": c.entry.sha256,
        "fallback": c.fallback,
        "failed_dependencies": ",".join(c.failed) or None,
        "payload_sha256": c.payload_sha,
        "input_json": c.canonical,
        "timings_json": json.dumps(timings),
        "arm": c.arm,
    }


def _acknowledge(state: ServiceState, c: _Case) -> None:
    """After the commit: the shadow submission (off the request path) and the counters."""
    shadow = state.shadow
    if shadow is not None and not c.failed:  # put_nowait, or drop
        shadow.submit(c.request_id, c.app.application_id, c.entry.version, c.served)
    m = state.metrics
    proxy = "protected" if c.app.protected_proxy >= 0.5 else "reference"
    m.decisions.labels(
        decision=c.decision, segment=c.app.segment, model_version=c.decided_by, proxy_group=proxy
    ).inc()
    for name in c.failed:
        m.fallback.labels(mode=c.fallback, dependency=name).inc()
    for feature in c.missing:
        m.missing_features.labels(feature=feature).inc()
    if c.score is not None:
        m.score_bin.labels(model_version=c.entry.version, bin=str(c.entry.score_bin(c.score))).inc()


def _answer(c: _Case, timings: dict[str, float]) -> dict[str, Any]:
    """The :class:`DecisionResponse` body of a committed decision."""
    return {
        "request_id": c.request_id,
        "application_id": c.app.application_id,
        "decision": c.decision,
        "pd": c.pd,
        "score": c.score,
        "model_version": c.decided_by,
        "model_sha256": c.entry.sha256,
        "arm": c.arm,
        "reasons": c.reasons,
        "fallback": c.fallback or False,
        "failed_dependencies": c.failed,
        "timings": timings,
        "replay": False,
    }


async def _decide(
    state: ServiceState,
    app_: Application,
    timer: _Timer,
    deadline: float,
    request_id: str,
    received_at: str,
) -> Response:
    cfg = state.config
    c = _case(app_, request_id)
    replay = _existing(state, app_.application_id, c.payload_sha)
    if replay is not None:
        _observe(state, timer, "ok")
        return replay
    timer.lap("idempotency")

    budget = max(0.0, deadline - _RESERVE_S - time.perf_counter())
    c.served, c.failed, c.dep_ms = await _dependencies(state, c.payload, budget)
    timer.ms.update(c.dep_ms)
    timer.lap("dependencies")
    _decide_cases(state, [c])
    timer.lap("model")
    row = _log_row(c, received_at, timer.ms)
    try:
        inserted = await _await_commit(
            state.store.submit_decision(row), cfg.commit_timeout_ms / 1000.0
        )
    except TimeoutError:
        _observe(state, timer, "error")
        return _error(
            503,
            f"the decision log did not commit within {cfg.commit_timeout_ms:g} ms; retry with "
            "the same application_id (it is idempotent)",
            request_id,
            headers={"Retry-After": "1"},
        )
    if not inserted:  # another request with this id committed first
        replay = _existing(state, app_.application_id, c.payload_sha)
        if replay is not None:
            _observe(state, timer, "ok")
            return replay
    timer.lap("commit")
    _acknowledge(state, c)
    seconds = _observe(state, timer, "ok")
    timer.ms["total"] = round(seconds * 1000, 3)
    state.store.record_duration(app_.application_id, seconds * 1000)
    return JSONResponse(_answer(c, timer.ms))


# -- batch -----------------------------------------------------------------------------------
_BATCH_SHAPE = 'the body must be {"applications": [<Application>, ...]}'


def _shape_error(loc: tuple[Any, ...], msg: str, type_: str) -> dict[str, str]:
    return field_errors([{"loc": loc, "msg": msg, "type": type_}])[0]


def _batch_items(body: bytes, max_batch: int) -> list[Any]:
    """The ``applications`` list of a batch body, or a whole-body ``_Refusal`` (400/413/422)."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        raise _Refusal(
            400,
            "malformed JSON: the body is not one JSON object",
            [_shape_error((), "Invalid JSON", "json_invalid")],
        ) from None
    if not isinstance(doc, dict):
        raise _Refusal(
            422,
            f"{_BATCH_SHAPE}; got a JSON {type(doc).__name__}",
            [_shape_error((), "Input should be an object", "model_type")],
        )
    errors = [
        _shape_error((key,), "Extra inputs are not permitted", "extra_forbidden")
        for key in doc
        if key != "applications"
    ]
    items = doc.get("applications")
    if "applications" not in doc:
        errors.append(_shape_error(("applications",), "Field required", "missing"))
    elif not isinstance(items, list):
        errors.append(_shape_error(("applications",), "Input should be a valid list", "list_type"))
    elif not items:
        errors.append(_shape_error(("applications",), "List should have at least 1 item",
                                   "too_short"))  # fmt: skip
    if errors:
        raise _Refusal(422, f"invalid batch: {_BATCH_SHAPE}", errors)
    if len(items) > max_batch:
        raise _Refusal(
            413,
            f"{len(items)} applications is over the limit of max_batch={max_batch}; split into "
            f"batches of at most {max_batch}",
            [_shape_error(("applications",), f"List should have at most {max_batch} items",
                          "too_long")],
        )  # fmt: skip
    return items


def _item_id(item: Any) -> int | None:
    """The item's ``application_id`` when it is a valid one (for the answer and the log)."""
    value = item.get("application_id") if isinstance(item, dict) else None
    ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value < 2**63
    return value if ok else None


@decisions.post(
    BATCH_ROUTE,
    summary="Decide up to max_batch credit applications in one request",
    response_model=BatchResponse,
    responses={
        400: {"model": ErrorResponse, "description": "malformed JSON"},
        413: {"model": ErrorResponse, "description": "more than max_batch applications, or "
              "the body over the batch limit: split into smaller batches"},
        422: {"model": ErrorResponse, "description": _BATCH_SHAPE},
        500: {"model": ErrorResponse, "description": "no decision of the batch acknowledged"},
        503: {"model": ErrorResponse, "description": "the decision log did not commit in "
              "time: no decision acknowledged; retry the batch (idempotent)"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "1 to max_batch (default 500) applications, each exactly the body "
            "of POST /v1/decisions. Each is validated, made idempotent, sent to the "
            "dependencies and routed on its own; a bad item gets its own status and reasons "
            "(and a row in the rejected table) while the others are decided.",
            "content": {
                "application/json": {
                    "schema": {
                        "title": "BatchRequest",
                        "type": "object",
                        "properties": {
                            "applications": {
                                "type": "array",
                                "minItems": 1,
                                "items": Application.model_json_schema(),
                                "description": "the applications (max_batch at most)",
                            }
                        },
                        "required": ["applications"],
                        "additionalProperties": False,
                    }
                }
            },
        }
    },
)  # fmt: skip
async def post_decision_batch(request: Request) -> Response:
    """Decide a batch: each item exactly as ``POST /v1/decisions`` would, one group commit.

    The answer (200) lists, in input order, each item's status (200, 409, 413, 422) with its
    decision or its reasons; every decision in it is committed (one transaction) before the
    answer. If that commit fails, nothing is acknowledged (500 or 503; retry: idempotent).
    A batch takes one of the ``max_in_flight`` slots.
    """
    return await _admitted(request, get_state(request), BATCH_ROUTE, _batch_request)


async def _batch_request(request: Request, state: ServiceState) -> Response:
    timer = _Timer(time.perf_counter())
    cfg = state.config
    request_id = uuid.uuid4().hex
    received_at = _now()
    payload_sha: str | None = None
    size = 0
    try:
        limit = cfg.batch_body_limit()
        body, size = await _read_body(request, limit)
        if body is None:
            raise _Refusal(
                413,
                f"body of {size} bytes is over the batch limit of {limit} bytes; split into "
                "smaller batches",
                headers={"Connection": "close"} if size > _DRAIN_LIMIT else None,
            )
        payload_sha = hashlib.sha256(body).hexdigest()
        items = _batch_items(body, cfg.max_batch)
        return await _decide_batch(state, items, timer, request_id, received_at)
    except _Refusal as refusal:
        return await _refuse(
            state, refusal, timer, request_id, received_at, payload_sha, size, BATCH_ROUTE
        )
    except Exception:  # noqa: BLE001 - an answer (500) and a log line, never a hang
        log.exception("batch request %s failed", request_id)
        _observe(state, timer, "error", BATCH_ROUTE)
        return _error(500, "internal error; no decision of this batch was acknowledged", request_id)


async def _decide_batch(
    state: ServiceState,
    items: list[Any],
    timer: _Timer,
    request_id: str,
    received_at: str,
) -> Response:
    cfg = state.config
    results: list[dict[str, Any] | None] = [None] * len(items)
    rejections: list[dict[str, Any]] = []

    def refuse(i: int, refusal: _Refusal, sha: str | None, size: int) -> None:
        results[i] = {"application_id": refusal.application_id, "status": refusal.status,
                      "decision": None, "detail": refusal.detail,
                      "errors": refusal.errors}  # fmt: skip
        rejections.append(_rejection_row(refusal, f"{request_id}-{i}", received_at, sha, size))

    # 1. validate each item as POST /v1/decisions validates its body
    valid: list[tuple[int, _Case, int]] = []
    for i, item in enumerate(items):
        raw = json.dumps(item).encode()  # NaN/Infinity stay literals: refused below
        sha = hashlib.sha256(raw).hexdigest()
        if len(raw) > cfg.max_body_bytes:
            detail = f"item of {len(raw)} bytes is over the limit of {cfg.max_body_bytes} bytes"
            refuse(i, _Refusal(413, detail, application_id=_item_id(item)), sha, len(raw))
            continue
        try:
            app_ = Application.model_validate_json(raw)
        except ValidationError as exc:
            refusal = _Refusal(422, "invalid application: see errors (one per field)",
                               field_errors(exc), application_id=_item_id(item))  # fmt: skip
            refuse(i, refusal, sha, len(raw))
            continue
        valid.append((i, _case(app_, f"{request_id}-{i}"), len(raw)))
    timer.lap("parse")

    # 2. idempotency: logged before, or twice in this batch
    fresh: list[tuple[int, _Case]] = []
    first: dict[int, tuple[int, _Case]] = {}
    repeats: list[tuple[int, int, str, int]] = []  # (index, index of the first, sha, size)
    for i, c, size in valid:
        aid = c.app.application_id
        if aid in first:
            j, other = first[aid]
            if other.payload_sha == c.payload_sha:
                repeats.append((i, j, c.payload_sha, size))
            else:
                refusal = _Refusal(
                    409,
                    f"application_id {aid} appears twice in this batch with different "
                    "payloads; send each application once",
                    [{"field": "application_id", "reason": "repeated in the batch with "
                      "another payload", "type": "conflict"}],
                    application_id=aid,
                )  # fmt: skip
                refuse(i, refusal, c.payload_sha, size)
            continue
        first[aid] = (i, c)
        try:
            logged = _lookup(state, aid, c.payload_sha)
        except _Refusal as refusal:
            refuse(i, refusal, c.payload_sha, size)
            continue
        if logged is not None:
            results[i] = {"application_id": aid, "status": 200, "decision": logged,
                          "detail": None, "errors": []}  # fmt: skip
        else:
            fresh.append((i, c))
    timer.lap("idempotency")

    # 3. dependencies, every item concurrently, each cut where a single request's would be:
    # at the request budget less the model's reserve, counted from here (a long parse of a
    # big batch must not turn into false dependency timeouts)
    budget = max(0.0, cfg.request_budget_ms / 1000.0 - _RESERVE_S)
    calls = await asyncio.gather(*(_dependencies(state, c.payload, budget) for _, c in fresh))
    for (_, c), (served, failed, ms) in zip(fresh, calls, strict=True):
        c.served, c.failed, c.dep_ms = served, failed, ms
    timer.lap("dependencies")

    # 4. decide (scored together per arm), 5. one group commit
    _decide_cases(state, [c for _, c in fresh])
    timer.lap("model")
    rows = [_log_row(c, received_at, {**timer.ms, **c.dep_ms}) for _, c in fresh]
    inserted: list[bool] = []
    if rows:
        try:
            inserted = await _await_commit(
                state.store.submit_decisions(rows), cfg.commit_timeout_ms / 1000.0
            )
        except TimeoutError:
            _observe(state, timer, "error", BATCH_ROUTE)
            return _error(
                503,
                f"the decision log did not commit within {cfg.commit_timeout_ms:g} ms; no "
                "decision of this batch was acknowledged; retry the batch (it is idempotent)",
                request_id,
                headers={"Retry-After": "1"},
            )
    timer.lap("commit")
    acknowledged: list[tuple[int, _Case]] = []
    for (i, c), ok in zip(fresh, inserted, strict=True):
        if not ok:  # another request with this id committed first
            try:
                logged = _lookup(state, c.app.application_id, c.payload_sha)
            except _Refusal as refusal:
                refuse(i, refusal, c.payload_sha, None)
                continue
            if logged is not None:
                results[i] = {"application_id": c.app.application_id, "status": 200,
                              "decision": logged, "detail": None, "errors": []}  # fmt: skip
                continue
        acknowledged.append((i, c))
    for _, c in acknowledged:
        _acknowledge(state, c)
    seconds = _observe(state, timer, "ok", BATCH_ROUTE)
    timer.ms["total"] = round(seconds * 1000, 3)
    for i, c in acknowledged:
        state.store.record_duration(c.app.application_id, seconds * 1000)
        results[i] = {"application_id": c.app.application_id, "status": 200,
                      "decision": _answer(c, {**timer.ms, **c.dep_ms}), "detail": None,
                      "errors": []}  # fmt: skip
    for i, j, sha, size in repeats:  # the same application twice: the second replays the first
        done = results[j]
        if done["status"] == 200:
            results[i] = {**done, "decision": {**done["decision"], "replay": True}}
        else:
            again = _Refusal(done["status"], done["detail"], done["errors"],
                             application_id=done["application_id"])  # fmt: skip
            refuse(i, again, sha, size)
    if rejections:
        await _log_rejections(state, rejections)
    return JSONResponse({"request_id": request_id, "results": results})


# -- admin -----------------------------------------------------------------------------------
admin = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ModelSwitch(_Strict):
    """Body of ``POST /admin/model``: a model to switch to, or ``{"rollback": true}``."""

    model: str | None = Field(None, description="alias (champion, challenger) or version")
    rollback: bool = Field(False, description="return to the version served before")

    @model_validator(mode="after")
    def _one_of(self) -> ModelSwitch:
        if (self.model is None) == (not self.rollback):
            raise ValueError('give either "model" (alias or version) or "rollback": true')
        return self


class RolloutChange(_Strict):
    """Body of ``POST /admin/rollout``: only the keys given change; null stops a mode."""

    canary: str | None = Field(None, description="canary model (alias or version); null stops")
    canary_share: float | None = Field(None, ge=0, le=1, description="share of applications")
    shadow: str | None = Field(None, description="shadow model (alias or version); null stops")


class CutoffChange(_Strict):
    """Body of ``POST /admin/cutoff``."""

    cutoff: float = Field(gt=0, lt=1)
    review_margin: float | None = Field(None, ge=0, lt=0.5)


class KnobChange(_Strict):
    """Some knobs of one dependency (the others keep their values)."""

    latency_median_ms: float | None = None
    latency_p99_ms: float | None = None
    error_rate: float | None = None
    outage: bool | None = None
    hang: bool | None = None
    stale_days: int | None = None
    undercount: float | None = None
    timeout_ms: float | None = None


class FaultChange(_Strict):
    """Body of ``POST /admin/faults``: knob changes per dependency; ``reset`` restores first."""

    reset: bool = False
    bureau: KnobChange | None = None
    income_verification: KnobChange | None = None


@admin.post("/model", summary="Switch the active model")
def switch_model(
    body: ModelSwitch, state: Annotated[ServiceState, Depends(get_state)]
) -> dict[str, Any]:
    """Serve another model (alias or version), or roll back to the one served before.

    In blue-green mode the new version goes to the idle slot, which goes live; a rollback
    flips back. The answer names the arm now live and the previous version.
    """
    previous = state.active.version
    try:
        entry = state.rollback() if body.rollback else state.activate(body.model)
    except KeyError as exc:
        return JSONResponse({"detail": str(exc.args[0]), "errors": []}, status_code=404)
    except RolloutError as exc:
        return JSONResponse({"detail": str(exc), "errors": []}, status_code=409)
    return {
        "model_version": entry.version,
        "alias": state.alias,
        "sha256": entry.sha256,
        "arm": state.arm,
        "previous": previous,
    }


@admin.get("/rollout", summary="The rollout in force: arms, canary, shadow")
def get_rollout(state: Annotated[ServiceState, Depends(get_state)]) -> dict[str, Any]:
    """Primary arm and version, blue-green slots, history, canary and shadow (with counts)."""
    return state.rollout()


@admin.post("/rollout", summary="Start, change or stop the canary and the shadow")
def change_rollout(
    body: RolloutChange, state: Annotated[ServiceState, Depends(get_state)]
) -> dict[str, Any]:
    """Change only the keys given: ``{"canary": "challenger", "canary_share": 0.1}``,
    ``{"shadow": "challenger"}``, ``{"canary": null}`` / ``{"shadow": null}`` to stop."""
    given = body.model_fields_set
    try:
        for name in {"canary", "shadow"} & given:  # resolve first: all or nothing
            value = getattr(body, name)
            if value is not None:
                state.registry.resolve(value)
        if "canary_share" in given and "canary" not in given and state.canary is None:
            raise RolloutError('canary_share without a canary: give "canary" too')
        if "canary" in given or "canary_share" in given:
            name = body.canary if "canary" in given else state.canary.version
            state.set_canary(name, body.canary_share)
        if "shadow" in given:
            state.set_shadow(body.shadow)
    except KeyError as exc:
        return JSONResponse({"detail": str(exc.args[0]), "errors": []}, status_code=404)
    except RolloutError as exc:
        return JSONResponse({"detail": str(exc), "errors": []}, status_code=409)
    return state.rollout()


@admin.post("/cutoff", summary="Change the PD cutoff and review band")
def change_cutoff(
    body: CutoffChange, state: Annotated[ServiceState, Depends(get_state)]
) -> dict[str, Any]:
    """New cutoff (and review margin); the band must stay inside (0, 1)."""
    margin = state.config.review_margin if body.review_margin is None else body.review_margin
    try:
        new = ServiceConfig.model_validate(
            {**state.config.model_dump(), "cutoff": body.cutoff, "review_margin": margin}
        )
    except ValidationError as exc:
        return JSONResponse(
            {"detail": "invalid cutoff", "errors": field_errors(exc)}, status_code=422
        )
    state.config = new
    return {"cutoff": new.cutoff, "review_margin": new.review_margin}


@admin.post("/faults", summary="Set dependency fault knobs")
def set_faults(
    body: FaultChange, state: Annotated[ServiceState, Depends(get_state)]
) -> dict[str, Any]:
    """Change knobs at run time; returns the knobs now in force for each dependency."""
    proposed: dict[str, DependencyKnobs] = {}
    try:
        for name, dep in state.dependencies.items():
            change = getattr(body, name)
            base = dep._defaults if body.reset else dep.knobs
            updates = change.model_dump(exclude_none=True) if change is not None else {}
            proposed[name] = DependencyKnobs.model_validate({**base.model_dump(), **updates})
    except ValidationError as exc:
        return JSONResponse(
            {"detail": "invalid fault knobs", "errors": field_errors(exc)}, status_code=422
        )
    for name, knobs in proposed.items():  # all or nothing
        state.dependencies[name].knobs = knobs
    return {name: dep.knobs.model_dump() for name, dep in state.dependencies.items()}


# -- ops -------------------------------------------------------------------------------------
ops = APIRouter(tags=["ops"])


@ops.get("/metrics", summary="Prometheus metrics (text format)")
def metrics(state: Annotated[ServiceState, Depends(get_state)]) -> Response:
    """The metrics of ``notes/metrics-contract.md``."""
    return Response(state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


@ops.get("/healthz", summary="Alive")
def healthz() -> dict[str, str]:
    """200 while the process serves HTTP."""
    return {"status": "ok"}


@ops.get("/readyz", summary="Ready: model loaded and decision log writable")
def readyz(
    state: Annotated[ServiceState, Depends(get_state)],
    store: Annotated[DecisionStore, Depends(get_store)],
) -> Response:
    """200 when a model is loaded and the decision log is writable, else 503 with why."""
    problems = []
    if state.active is None:
        problems.append("no model loaded")
    if not store.writable():
        problems.append(f"decision log not writable ({store.last_error or store.path})")
    body = {
        "status": "ok" if not problems else "not ready",
        "model_version": state.active.version,
        "alias": state.alias,
        "problems": problems,
    }
    return JSONResponse(body, status_code=503 if problems else 200)


# -- the app ---------------------------------------------------------------------------------
class _CountRequests:
    """Pure ASGI middleware: ``lendlab_requests_total{route, code}`` for every answer."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        route = path if path in _ROUTES else "other"
        status: list[int] = []

        async def counting_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            service = getattr(scope["app"].state, "service", None) if "app" in scope else None
            if service is not None:
                code = str(status[0]) if status else "500"
                service.metrics.requests.labels(route=route, code=code).inc()


def create_app(config: ServiceConfig | None = None, **overrides: Any) -> FastAPI:
    """Build the scoring service (models and store open in the lifespan, not here).

    Parameters
    ----------
    config : ServiceConfig, optional
        Default ``ServiceConfig(**overrides)``.
    **overrides
        Fields of :class:`ServiceConfig` (e.g. ``db=``), applied on top of ``config``.

    Returns
    -------
    fastapi.FastAPI
        With ``app.state.service`` (:class:`ServiceState`) once the lifespan started. The
        admin token is read from ``LENDLAB_ADMIN_TOKEN`` at start-up.

    Examples
    --------
    >>> app = create_app(db="/tmp/lendlab-doc.db")
    >>> sorted(p for p in app.openapi()["paths"] if p.startswith(("/v1", "/admin")))
    ... # doctest: +NORMALIZE_WHITESPACE
    ['/admin/cutoff', '/admin/faults', '/admin/model', '/admin/rollout', '/v1/decisions',
     '/v1/decisions/batch']
    """
    if config is None:
        config = ServiceConfig(**overrides)
    elif overrides:
        config = ServiceConfig.model_validate({**config.model_dump(), **overrides})
    if not isinstance(config, ServiceConfig):
        raise TypeError(f"config must be a ServiceConfig, got {type(config).__name__}")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        registry = ModelRegistry.load_or_train(config.resolved_model_dir(), seed=config.seed)
        store = DecisionStore(
            config.db, batch_max=config.commit_batch_max, synchronous=config.synchronous
        )
        metrics_ = ServiceMetrics()
        metrics_.zero_series(DEPENDENCIES, config.fallback, FAILURE_KINDS)
        deps = {
            name: SimulatedDependency(name, getattr(config, name), seed=config.dependency_seed)
            for name in DEPENDENCIES
        }
        first = registry.resolve(config.model)
        state = ServiceState(
            config=config,
            registry=registry,
            active=first,
            alias=config.model,
            explainer=None,
            store=store,
            metrics=metrics_,
            dependencies=deps,
            admin_token=os.environ.get(ADMIN_TOKEN_ENV) or None,
        )
        state.activate(config.model)
        if config.canary is not None:
            state.set_canary(config.canary, config.canary_share)
        if config.shadow is not None:
            state.set_shadow(config.shadow)
        app.state.service = state
        watcher = asyncio.create_task(metrics_.watch_loop())
        # what start-up built (models, the world's tables) never becomes garbage: keep it out
        # of the collector's generations, so a full collection under load stays short
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            watcher.cancel()
            if state.shadow is not None:
                state.shadow.close()
            store.close()

    app = FastAPI(
        title="lendlab scoring service",
        version="1",
        description="Credit decisions for the lendlab world (weeks 6-7). "
        "Metrics and SLO: notes/metrics-contract.md.",
        lifespan=lifespan,
    )
    app.include_router(decisions)
    app.include_router(admin)
    app.include_router(ops)

    @app.exception_handler(AdminRefused)
    async def _admin_refused(request: Request, exc: AdminRefused) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"detail": exc.detail, "errors": []}, exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes the input: a NaN there turns the 422 into a 500
        errors = field_errors(exc.errors())
        status = 400 if any(e["type"] == "json_invalid" for e in errors) else 422
        return JSONResponse({"detail": "invalid request body", "errors": errors}, status)

    app.add_middleware(_CountRequests)
    generate = app.openapi

    def openapi() -> dict[str, Any]:  # the batch limit is the config's, not the default's
        if app.openapi_schema is None:
            schema = copy.deepcopy(generate())
            body = schema["paths"][BATCH_ROUTE]["post"]["requestBody"]["content"]
            body["application/json"]["schema"]["properties"]["applications"]["maxItems"] = (
                config.max_batch
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
    return app
