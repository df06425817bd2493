"""Open-loop traffic replay against the scoring service (``lendlab replay``).

:func:`replay` sends world applications (:func:`lendlab.world.generate`, turned into request
bodies by the service's own :func:`lendlab.serving.schemas.requests_from_frame`) to ``POST
/v1/decisions`` **open-loop** at a fixed rate: request ``i`` is scheduled at ``t0 + i / rate``
whatever happened to the requests before it.

Latency is measured from each request's **scheduled** send time (``latency_s``), not from the
moment the client got round to sending it (``latency_sent_s`` is reported beside it). A server
that stalls for 1 s therefore shows up as 1 s of latency on every request scheduled in that
second, instead of hiding behind the few requests a closed-loop client would have sent
(coordinated omission). The gap between the two is the client's own lag.

Bounded in every direction:

* at most ``concurrency`` requests in flight (default 256); a request due while the cap is
  reached is not sent and counts as an error of kind ``client_overload`` (never skipped
  silently); a stalled server therefore cannot block the schedule;
* every request has a timeout (default 2 s), the run has a duration (at most 1 h) and a
  request count (``rate * duration``, at most ``max_requests``), and it stops by itself;
* only loopback URLs (the host must resolve to 127.0.0.0/8 or ::1) unless ``allow_remote``.

Errors by kind: ``timeout``, ``connect``, ``disconnect`` (the connection broke mid-request),
``http_<code>`` for every 4xx/5xx answer, ``client_overload``, ``other``.

Quantiles are exact (nearest rank over every answered or timed-out request: the smallest
latency with at least a share ``q`` of the requests at or below it), never bucketed.

A :class:`~lendlab.serving.scenarios.Scenario` switches faults on and off during the run: its
service steps go to ``POST /admin/faults`` at their times (token from
``LENDLAB_ADMIN_TOKEN``), its data faults break the requests scheduled in their windows
(:func:`lendlab.world.faults.inject`).

Example
-------
>>> check_loopback("http://127.0.0.1:8000")
'127.0.0.1'
>>> check_loopback("http://10.1.2.3:8000")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: refusing to replay at 'http://10.1.2.3:8000': ... not loopback (127.0.0.0/8, ::1); ...
>>> exact_quantiles([0.010, 0.020, 0.030, 0.040])
{'p50': 0.02, 'p95': 0.04, 'p99': 0.04, 'max': 0.04}
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import ipaddress
import json
import math
import os
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lendlab.serving.scenarios import SCENARIOS, Scenario, get_scenario

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ADMIN_TOKEN_ENV",
    "BATCH_COLUMNS",
    "MAX_DURATION_S",
    "MAX_RATE",
    "RESULT_COLUMNS",
    "ReplayResult",
    "areplay",
    "bucket_quantile",
    "build_plan",
    "check_loopback",
    "decide_in_batches",
    "exact_quantiles",
    "run_coroutine",
    "histogram_buckets",
    "register",
    "replay",
    "replay_command",
]

ADMIN_TOKEN_ENV = "LENDLAB_ADMIN_TOKEN"
#: Highest rate the replayer accepts (requests per second).
MAX_RATE = 5_000.0
#: Longest run the replayer accepts (seconds).
MAX_DURATION_S = 3_600.0
_MAX_CONCURRENCY = 4_096
_DEFAULT_MAX_REQUESTS = 200_000
_LEAD_S = 0.05  # the first request is scheduled this long after set-up
_SHARD = 8  # connections per httpx client (see areplay)
#: Columns of :attr:`ReplayResult.requests` (one row per scheduled request).
RESULT_COLUMNS: tuple[str, ...] = (
    "application_id",
    "channel",
    "data_fault",
    "scheduled_s",
    "sent_s",
    "scheduled_at",
    "sent_at",
    "latency_s",
    "latency_sent_s",
    "status",
    "error",
    "decision",
    "fallback",
    "replayed",
    "server_ms",
    "request_id",
)
_QUANTILES = (("p50", 0.50), ("p95", 0.95), ("p99", 0.99))


# -- checks ------------------------------------------------------------------------------------
def check_loopback(url: str, *, allow_remote: bool = False) -> str:
    """Return ``url``'s host if it resolves to loopback only, else raise ``ValueError``.

    Every address the host resolves to must be in 127.0.0.0/8 or ``::1`` (``localhost`` is
    resolved too). With ``allow_remote=True`` only the URL's shape is checked.

    Examples
    --------
    >>> check_loopback("http://localhost:8000/")
    'localhost'
    >>> check_loopback("ftp://127.0.0.1/")
    Traceback (most recent call last):
    ...
    ValueError: url 'ftp://127.0.0.1/' must start with http:// or https://, e.g. http://127.0.0.1:8000
    """
    if not isinstance(url, str):
        raise TypeError(
            f"url must be a str such as 'http://127.0.0.1:8000', got {type(url).__name__}"
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(
            f"url {url!r} must start with http:// or https://, e.g. http://127.0.0.1:8000"
        )
    host = parts.hostname
    if not host:
        raise ValueError(f"url {url!r} has no host; pass e.g. http://127.0.0.1:8000")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"url {url!r} has a bad port: {exc}") from None
    if allow_remote:
        return host
    try:
        infos = socket.getaddrinfo(host, port or 80, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ValueError(f"cannot resolve the host of {url!r} ({exc}); check the URL") from None
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        addresses.append(address)
    remote = sorted({str(a) for a in addresses if not a.is_loopback})
    if remote or not addresses:
        raise ValueError(
            f"refusing to replay at {url!r}: host {host!r} resolves to {', '.join(remote)}, "
            "which is not loopback (127.0.0.0/8, ::1); pass --allow-remote (allow_remote=True) "
            "to load another machine on purpose"
        )
    return host


def _positive_number(value: Any, name: str, upper: float, example: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name}={value!r} must be a number, e.g. {example}")
    value = float(value)
    if not 0 < value <= upper:
        raise ValueError(f"{name}={value!r} must be > 0 and at most {upper:g}, e.g. {example}")
    return value


def _positive_int(value: Any, name: str, upper: int, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}={value!r} must be a whole number, e.g. {example}")
    if not 0 < value <= upper:
        raise ValueError(f"{name}={value!r} must be between 1 and {upper}, e.g. {example}")
    return int(value)


def exact_quantiles(values: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99 and max by nearest rank (an observed value, never interpolated).

    NaN values are left out; no values give NaN for every key.

    Examples
    --------
    >>> exact_quantiles([])["p99"]
    nan
    >>> exact_quantiles(range(1, 101))
    {'p50': 50.0, 'p95': 95.0, 'p99': 99.0, 'max': 100.0}
    """
    import numpy as np

    arr = np.asarray(values, dtype=float)
    arr = np.sort(arr[~np.isnan(arr)])
    if arr.size == 0:
        return {**{k: float("nan") for k, _ in _QUANTILES}, "max": float("nan")}
    out = {k: float(arr[max(math.ceil(q * arr.size) - 1, 0)]) for k, q in _QUANTILES}
    out["max"] = float(arr[-1])
    return out


def histogram_buckets(
    text: str,
    metric: str = "lendlab_request_duration_seconds",
    **labels: str | None,
) -> dict[float, float]:
    """Cumulative bucket counts ``{le: count}`` of a histogram in Prometheus text format.

    Series whose labels match ``labels`` are summed (e.g. ``outcome="ok"``; other labels are
    summed over). ``le`` is a float, ``+Inf`` as ``math.inf``. For the request histogram
    ``route`` defaults to ``"/v1/decisions"`` (the latency SLO's route: batches are observed
    under ``/v1/decisions/batch``); pass ``route=None`` to sum every route.

    Examples
    --------
    >>> text = "\\n".join([
    ...     "# TYPE d histogram",
    ...     'd_bucket{outcome="ok",le="0.1"} 3.0',
    ...     'd_bucket{outcome="ok",le="+Inf"} 4.0',
    ...     'd_bucket{outcome="error",le="0.1"} 0.0',
    ...     'd_bucket{outcome="error",le="+Inf"} 1.0',
    ... ])
    >>> histogram_buckets(text, "d"), histogram_buckets(text, "d", outcome="ok")
    ({0.1: 3.0, inf: 5.0}, {0.1: 3.0, inf: 4.0})
    """
    from prometheus_client.parser import text_string_to_metric_families

    if metric == "lendlab_request_duration_seconds":
        labels.setdefault("route", "/v1/decisions")
    labels = {k: v for k, v in labels.items() if v is not None}
    out: dict[float, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name != metric:
            continue
        for sample in family.samples:
            if sample.name != f"{metric}_bucket":
                continue
            if any(sample.labels.get(k) != v for k, v in labels.items()):
                continue
            le = float(sample.labels["le"])
            out[le] = out.get(le, 0.0) + float(sample.value)
    return dict(sorted(out.items()))


def bucket_quantile(
    q: float, after: dict[float, float], before: dict[float, float] | None = None
) -> float:
    """``histogram_quantile(q, ...)`` as Prometheus computes it, over ``after - before``.

    Linear interpolation inside the bucket holding rank ``q * count`` (the first bucket's lower
    edge is 0); a rank in the +Inf bucket gives the highest finite edge; no observations give
    NaN. Pass two scrapes (:func:`histogram_buckets`) to get the quantile of what happened
    between them.

    Examples
    --------
    >>> before = {0.01: 0.0, 0.025: 0.0, 0.1: 0.0, math.inf: 0.0}
    >>> after = {0.01: 50.0, 0.025: 90.0, 0.1: 100.0, math.inf: 100.0}
    >>> round(bucket_quantile(0.5, after, before), 4), round(bucket_quantile(0.99, after), 4)
    (0.01, 0.0925)
    """
    if isinstance(q, bool) or not isinstance(q, int | float):
        raise TypeError(f"q={q!r} must be a number, e.g. 0.99")
    if not 0 < q < 1:
        raise ValueError(f"q={q!r} must be strictly between 0 and 1, e.g. 0.99")
    before = before or {}
    edges = sorted(after)
    if not edges or edges[-1] != math.inf:
        raise ValueError("the buckets must include +Inf (pass histogram_buckets(...) output)")
    counts = [after[e] - before.get(e, 0.0) for e in edges]
    total = counts[-1]
    if total <= 0:
        return float("nan")
    rank = q * total
    prev_edge, prev_count = 0.0, 0.0
    for edge, count in zip(edges, counts, strict=True):
        if count >= rank:
            if edge == math.inf:
                return prev_edge
            if count == prev_count:
                return edge
            return prev_edge + (edge - prev_edge) * (rank - prev_count) / (count - prev_count)
        prev_edge, prev_count = edge, count
    return prev_edge


# -- the plan: what to send when -----------------------------------------------------------------
@dataclass
class _Plan:
    bodies: list[bytes]
    application_ids: list[int]
    channels: list[str]
    data_fault: list[str | None]
    fault_records: list[Any]


def build_plan(
    n: int,
    rate: float,
    *,
    scenario: Scenario | None = None,
    seed: int = 0,
    id_offset: int = 0,
) -> _Plan:
    """The ``n`` request bodies of a run: world applications, data faults applied by time.

    Request ``i`` is due at ``i / rate`` s; a scenario's data fault breaks the requests due in
    its window with :func:`lendlab.world.faults.inject` (on those rows only).

    Examples
    --------
    >>> plan = build_plan(20, 10.0, scenario=get_scenario("income_units_partner",
    ...                   time_scale=1 / 120), seed=1, id_offset=100)
    >>> len(plan.bodies), plan.application_ids[0], sorted(set(filter(None, plan.data_fault)))
    (20, 101, ['income_monthly_as_annual'])
    """
    import pandas as pd

    from lendlab import world
    from lendlab.serving.schemas import requests_from_frame
    from lendlab.world.faults import inject

    book = world.generate(n, seed=seed)
    book["application_id"] = book["application_id"] + int(id_offset)
    marks: list[str | None] = [None] * n
    records = []
    for k, fault in enumerate(scenario.data_faults if scenario is not None else ()):
        lo = min(n, math.ceil(fault.start_s * rate))
        hi = min(n, math.ceil(fault.end_s * rate))
        if hi <= lo:
            continue
        part = book.iloc[lo:hi]
        start = part["applied_at"].min()
        end = part["applied_at"].max() + pd.Timedelta(seconds=1)
        broken, record = inject(
            part, fault.kind, start=start, end=end, seed=seed + k, **fault.options
        )
        book = pd.concat([book.iloc[:lo], broken[book.columns], book.iloc[hi:]])
        records.append(record)
        changed = set(int(a) for a in record.application_ids)
        ids = book["application_id"].to_numpy()
        for i in range(lo, hi):
            if int(ids[i]) in changed:
                marks[i] = fault.kind
    bodies = [json.dumps(b, separators=(",", ":")).encode() for b in requests_from_frame(book)]
    return _Plan(
        bodies=bodies,
        application_ids=[int(a) for a in book["application_id"]],
        channels=[str(c) for c in book["channel"]],
        data_fault=marks,
        fault_records=records,
    )


# -- the result --------------------------------------------------------------------------------
@dataclass
class ReplayResult:
    """What a replay did: one row per scheduled request, the scenario steps and a summary.

    Attributes
    ----------
    requests : pandas.DataFrame
        :data:`RESULT_COLUMNS`: ``scheduled_s``/``sent_s`` are seconds after the first
        scheduled request, ``scheduled_at``/``sent_at`` the same instants in UTC;
        ``latency_s`` is from the scheduled time, ``latency_sent_s`` from the actual send;
        ``status`` the HTTP status (NA without an answer), ``error`` the error kind (None when
        2xx), ``fallback`` the degraded mode or None, ``replayed`` True when the service
        answered from its log (idempotent replay), ``server_ms`` the service's own total.
    steps : pandas.DataFrame
        One row per scenario step: ``at_s``, ``applied_s``, ``note``, ``status``, ``body``.
    summary : dict
        See :meth:`report`.
    """

    url: str
    rate: float
    duration_s: float
    scenario: str
    seed: int
    requests: pd.DataFrame
    steps: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    fault_records: list[Any] = field(default_factory=list)

    @property
    def latency(self) -> dict[str, float]:
        """Exact p50/p95/p99/max in seconds, from scheduled send times."""
        return dict(self.summary["latency_s"])

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write :attr:`requests` to ``.parquet`` or ``.csv``; return the path."""
        path = Path(path)
        if path.suffix not in (".parquet", ".csv"):
            raise ValueError(f"out {path.as_posix()!r} must end in .parquet or .csv")
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".parquet":
            self.requests.to_parquet(path, index=False)
        else:
            self.requests.to_csv(path, index=False)
        return path

    def report(self) -> str:
        """A short text report: counts, throughput, latency both ways, errors, fallbacks."""
        s = self.summary

        def ms(q: dict[str, float]) -> str:
            return "  ".join(f"{k} {v * 1000:8.1f}" for k, v in q.items())

        errors = ", ".join(f"{k}={v}" for k, v in sorted(s["errors"].items())) or "none"
        lines = [
            f"replay {self.url}  scenario={self.scenario}  rate={self.rate:g}/s  "
            f"duration={self.duration_s:g}s  seed={self.seed}",
            f"  scheduled {s['scheduled']}  sent {s['sent']}  answered {s['answered']}  "
            f"2xx {s['ok']}  throughput {s['throughput_per_s']:.1f}/s",
            f"  latency ms from scheduled: {ms(s['latency_s'])}",
            f"  latency ms from sent:      {ms(s['latency_sent_s'])}",
            f"  client lag ms (sent - scheduled): max {s['max_send_lag_s'] * 1000:.1f}",
            f"  server ms (service's own total): {ms(s['server_s'])}",
            f"  errors: {errors}",
            f"  fallback {s['fallback']}  replayed {s['replayed']}  decisions "
            + ", ".join(f"{k}={v}" for k, v in sorted(s["decisions"].items())),
        ]
        if s.get("timeouts_lower_bound"):
            lines.append("  note: timed-out requests count at their timeout (a lower bound)")
        if s["replayed"]:
            lines.append(
                "  note: some answers were idempotent replays of logged decisions; pass another "
                "id_offset (--id-offset) for fresh ones"
            )
        for row in self.steps.itertuples():
            lines.append(f"  step at {row.at_s:7.2f}s -> {row.status}  {row.note}")
        return "\n".join(lines)


def _summary(frame: pd.DataFrame, elapsed: float) -> dict[str, Any]:
    answered = frame["status"].notna()
    ok = answered & (frame["status"] // 100 == 2)
    timed = answered | (frame["error"] == "timeout")
    errors = Counter(e for e in frame["error"] if isinstance(e, str))
    lag = (frame["sent_s"] - frame["scheduled_s"]).max()
    return {
        "scheduled": len(frame),
        "sent": int(frame["sent_s"].notna().sum()),
        "answered": int(answered.sum()),
        "ok": int(ok.sum()),
        "errors": dict(errors),
        "error_count": int(sum(errors.values())),
        "throughput_per_s": float(ok.sum() / elapsed) if elapsed > 0 else 0.0,
        "latency_s": exact_quantiles(frame.loc[timed, "latency_s"]),
        "latency_sent_s": exact_quantiles(frame.loc[timed, "latency_sent_s"]),
        "server_s": exact_quantiles(frame.loc[ok, "server_ms"] / 1000.0),
        "max_send_lag_s": float(lag) if lag == lag else float("nan"),
        "timeouts_lower_bound": bool(errors.get("timeout")),
        "fallback": int(frame["fallback"].notna().sum()),
        "replayed": int(frame["replayed"].fillna(False).astype(bool).sum()),
        "decisions": dict(Counter(d for d in frame["decision"] if isinstance(d, str))),
    }


# -- the run -----------------------------------------------------------------------------------
def _error_kind(exc: BaseException) -> str:
    import httpx

    if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError):
        return "connect"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return "disconnect"
    return "other"


async def _apply_steps(
    client: Any, steps: Sequence[Any], t0: float, duration: float, token: str | None, log: list
) -> None:
    for step in steps:
        if step.at_s >= duration:
            log.append((step.at_s, float("nan"), step.note, "skipped (after the run)", step.body()))
            continue
        delay = t0 + step.at_s - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        applied = time.perf_counter() - t0
        try:
            r = await client.post(
                "/admin/faults", json=step.body(), headers={"Authorization": f"Bearer {token}"}
            )
            status = str(r.status_code)
        except Exception as exc:  # noqa: BLE001 - a failed admin call is reported, not fatal
            status = _error_kind(exc)
        log.append((step.at_s, applied, step.note, status, step.body()))


async def areplay(
    url: str,
    *,
    rate: float,
    duration: float | None = None,
    scenario: str | Scenario | None = None,
    seed: int = 0,
    concurrency: int = 256,
    timeout: float = 2.0,
    max_requests: int = _DEFAULT_MAX_REQUESTS,
    allow_remote: bool = False,
    id_offset: int | None = None,
    admin_token: str | None = None,
    restore: bool = True,
) -> ReplayResult:
    """The coroutine behind :func:`replay` (same parameters), for code already in a loop."""
    import httpx
    import numpy as np
    import pandas as pd

    check_loopback(url, allow_remote=allow_remote)
    scen = get_scenario(scenario)
    rate = _positive_number(rate, "rate", MAX_RATE, "200")
    duration = _positive_number(
        scen.duration_s if duration is None else duration, "duration", MAX_DURATION_S, "30"
    )
    concurrency = _positive_int(concurrency, "concurrency", _MAX_CONCURRENCY, "256")
    timeout = _positive_number(timeout, "timeout", 60.0, "2.0")
    max_requests = _positive_int(max_requests, "max_requests", 1_000_000, "200000")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed={seed!r} must be a non-negative whole number, e.g. 0")
    n = math.ceil(rate * duration - 1e-9)
    if n > max_requests:
        raise ValueError(
            f"rate={rate:g} x duration={duration:g} is {n} requests, over max_requests="
            f"{max_requests}; lower the rate or the duration, or raise max_requests"
        )
    token = admin_token if admin_token is not None else os.environ.get(ADMIN_TOKEN_ENV)
    if scen.needs_admin and not token:
        raise ValueError(
            f"scenario {scen.name!r} changes service knobs through POST /admin/faults and needs "
            f"the admin token: set {ADMIN_TOKEN_ENV} (or pass admin_token=)"
        )
    if id_offset is None:  # fresh ids: a rerun gets new decisions, not idempotent replays
        id_offset = int(time.time() * 1000) * 1_000_000
    plan = await asyncio.to_thread(
        build_plan, n, rate, scenario=scen, seed=seed, id_offset=id_offset
    )

    base = url.rstrip("/")
    scheduled = np.arange(n, dtype=float) / rate
    sent = np.full(n, np.nan)
    done = np.full(n, np.nan)
    status: list[int | None] = [None] * n
    error: list[str | None] = [None] * n
    decision: list[str | None] = [None] * n
    fallback: list[str | None] = [None] * n
    replayed: list[bool | None] = [None] * n
    server_ms = np.full(n, np.nan)
    request_id: list[str | None] = [None] * n
    headers = {"content-type": "application/json"}
    # httpx's pool (httpcore 1.0) scans every connection for every request: with a hundred
    # open connections that costs milliseconds per request and the client falls behind its
    # schedule. So the in-flight cap is split over shards of _SHARD connections, one
    # AsyncClient each; a request takes a free slot (LIFO: hot connections are reused) and
    # gives it back when done. No slot free = client_overload.
    n_shards = math.ceil(concurrency / _SHARD)
    ssl_context = httpx.create_ssl_context()  # one for all shards (each costs ~40 ms to build)
    slots = [k % n_shards for k in range(concurrency)][::-1]
    step_log: list[tuple] = []

    limits = httpx.Limits(max_connections=_SHARD, max_keepalive_connections=_SHARD)
    shards = [
        httpx.AsyncClient(
            base_url=base, limits=limits, timeout=httpx.Timeout(timeout), verify=ssl_context
        )
        for _ in range(n_shards)
    ]
    admin = httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(5.0), verify=ssl_context)

    async def one(i: int, t0: float, slot: int) -> None:
        client = shards[slot]
        start = time.perf_counter()
        sent[i] = start - t0
        try:
            r = await client.post("/v1/decisions", content=plan.bodies[i], headers=headers)
            done[i] = time.perf_counter() - t0
            status[i] = r.status_code
            try:
                body = r.json()
            except ValueError:
                body = {}
            if not isinstance(body, dict):
                body = {}
            request_id[i] = body.get("request_id")
            if r.status_code // 100 == 2:
                decision[i] = body.get("decision")
                fallback[i] = body.get("fallback") or None
                replayed[i] = bool(body.get("replay", False))
                total = (body.get("timings") or {}).get("total")
                if isinstance(total, int | float):
                    server_ms[i] = float(total)
            else:
                error[i] = f"http_{r.status_code}"
        except asyncio.CancelledError:
            done[i] = time.perf_counter() - t0
            error[i] = "timeout"
        except Exception as exc:  # noqa: BLE001 - every failure is counted by kind
            done[i] = time.perf_counter() - t0
            error[i] = _error_kind(exc)
        finally:
            slots.append(slot)

    tasks: set[asyncio.Task] = set()
    frozen = False
    try:
        # warm up: the first request on a client imports and sets up its transport (~0.3 s on
        # a loaded box), which would otherwise stall the schedule; its answer does not count
        with contextlib.suppress(Exception):
            await shards[0].get("/healthz")
        # a full garbage collection of a process holding pandas and a world frame takes
        # 0.1-0.3 s: do it now and freeze what exists, so the client's own pauses during the
        # run stay short (they would count as latency); gc.unfreeze() after the run
        gc.collect()
        gc.freeze()
        frozen = True
        cpu0 = time.process_time()
        t0 = time.perf_counter() + _LEAD_S
        wall0 = time.time() + _LEAD_S
        steps_task = asyncio.create_task(
            _apply_steps(admin, scen.steps, t0, duration, token, step_log)
        )
        for i in range(n):
            delay = t0 + scheduled[i] - time.perf_counter()
            await asyncio.sleep(delay if delay > 0 else 0)
            if not slots:
                error[i] = "client_overload"
                continue
            task = asyncio.create_task(one(i, t0, slots.pop()))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            _, pending = await asyncio.wait(set(tasks), timeout=timeout + 1.0)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1.0)
        remaining = t0 + duration - time.perf_counter()
        if remaining > 0 and not steps_task.done():
            await asyncio.wait({steps_task}, timeout=remaining)
        steps_task.cancel()
        elapsed = max(float(np.nanmax(done)) if np.isfinite(done).any() else 0.0, duration)
        client_cpu = time.process_time() - cpu0
    finally:
        if frozen:
            gc.unfreeze()
        for task in list(tasks):
            task.cancel()
        if restore and scen.needs_admin and token:
            try:
                await admin.post(
                    "/admin/faults",
                    json={"reset": True},
                    headers={"Authorization": f"Bearer {token}"},
                )
            except Exception:  # noqa: BLE001, S110 - best effort: the run's result still stands
                pass
        for shard in shards:
            await shard.aclose()
        await admin.aclose()

    origin = pd.Timestamp(wall0, unit="s", tz="UTC")
    frame = pd.DataFrame(
        {
            "application_id": np.asarray(plan.application_ids, dtype=np.int64),
            "channel": plan.channels,
            "data_fault": plan.data_fault,
            "scheduled_s": scheduled,
            "sent_s": sent,
            "scheduled_at": origin + pd.to_timedelta(scheduled, unit="s"),
            "sent_at": origin + pd.to_timedelta(sent, unit="s"),
            "latency_s": done - scheduled,
            "latency_sent_s": done - sent,
            "status": pd.array(status, dtype="Int64"),
            "error": pd.array(error, dtype="object"),
            "decision": decision,
            "fallback": fallback,
            "replayed": pd.array(replayed, dtype="boolean"),
            "server_ms": server_ms,
            "request_id": request_id,
        },
        columns=list(RESULT_COLUMNS),
    )
    steps = pd.DataFrame(step_log, columns=["at_s", "applied_s", "note", "status", "body"])
    return ReplayResult(
        url=url,
        rate=rate,
        duration_s=duration,
        scenario=scen.name,
        seed=seed,
        requests=frame,
        steps=steps,
        summary={**_summary(frame, elapsed), "client_cpu_s": client_cpu},
        fault_records=plan.fault_records,
    )


def run_coroutine(coro: Any) -> Any:
    """Run ``coro`` to the end and return its value, also from inside a running loop.

    In a notebook an event loop is already running (ipykernel), so ``asyncio.run`` would fail:
    the coroutine then runs in a thread of its own; its exception is re-raised here.

    Example
    -------
    >>> async def two():
    ...     return 2
    >>> run_coroutine(two())
    2
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}  # a loop runs here (Jupyter): run in a thread of our own

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="lendlab-replay", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def replay(
    url: str,
    *,
    rate: float,
    duration: float | None = None,
    scenario: str | Scenario | None = None,
    seed: int = 0,
    concurrency: int = 256,
    timeout: float = 2.0,
    max_requests: int = _DEFAULT_MAX_REQUESTS,
    allow_remote: bool = False,
    id_offset: int | None = None,
    admin_token: str | None = None,
    restore: bool = True,
) -> ReplayResult:
    """Replay world traffic at ``url`` open-loop at ``rate`` requests/s (see the module docstring).

    Parameters
    ----------
    url : str
        The service, e.g. ``svc.url`` of :func:`lendlab.serving.running`. Loopback only unless
        ``allow_remote``.
    rate : float
        Requests per second (at most :data:`MAX_RATE`).
    duration : float, optional
        Seconds (at most :data:`MAX_DURATION_S`); default the scenario's own duration.
    scenario : str or Scenario, optional
        A name of :data:`lendlab.serving.scenarios.SCENARIOS` (default ``"healthy"``) or a
        :class:`~lendlab.serving.scenarios.Scenario` (e.g. ``get_scenario(name, compress=True)``).
    seed : int, default 0
        Seed of the world traffic (and of the data faults).
    concurrency : int, default 256
        Hard cap of requests in flight; past it a due request is an error ``client_overload``.
    timeout : float, default 2.0
        Seconds per request.
    max_requests : int, default 200000
        Refuse runs of more than this many requests (``rate * duration``).
    allow_remote : bool, default False
        Allow a URL that does not resolve to loopback.
    id_offset : int, optional
        Added to the world's ``application_id``. Default: a fresh offset from the clock, so a
        rerun makes new decisions; pass 0 to send the world's own ids (a rerun is then answered
        from the log, as idempotent replays).
    admin_token : str, optional
        Default ``$LENDLAB_ADMIN_TOKEN``; needed by scenarios with service steps.
    restore : bool, default True
        After a scenario with service steps, ``POST /admin/faults {"reset": true}``.

    Returns
    -------
    ReplayResult
        ``.requests`` (one row per request), ``.steps``, ``.summary``, ``.report()``,
        ``.save(path)``. The summary's ``client_cpu_s`` is this process's CPU time during
        the run (the replayer's own cost, beside the server's).

    Examples
    --------
    >>> import tempfile, pathlib  # doctest: +SKIP
    >>> from lendlab import serving  # doctest: +SKIP
    >>> with serving.running(db=pathlib.Path(tempfile.mkdtemp()) / "d.db") as svc:  # doctest: +SKIP
    ...     result = replay(svc.url, rate=50, duration=2, seed=1)
    >>> result.summary["ok"], result.summary["errors"]  # doctest: +SKIP
    (100, {})
    """
    return run_coroutine(
        areplay(
            url,
            rate=rate,
            duration=duration,
            scenario=scenario,
            seed=seed,
            concurrency=concurrency,
            timeout=timeout,
            max_requests=max_requests,
            allow_remote=allow_remote,
            id_offset=id_offset,
            admin_token=admin_token,
            restore=restore,
        )
    )


# -- batches -----------------------------------------------------------------------------------
#: Columns of :func:`decide_in_batches` (one row per application, in input order).
BATCH_COLUMNS: tuple[str, ...] = (
    "application_id",
    "status",
    "decision",
    "pd",
    "score",
    "fallback",
    "model_version",
    "arm",
    "reasons",
    "replayed",
    "request_id",
    "detail",
)
_BATCH_ROUTE = "/v1/decisions/batch"


def _batch_detail(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        errors = "; ".join(f"{e.get('field')}: {e.get('reason')}" for e in body.get("errors", []))
        return f"{body.get('detail')}" + (f" ({errors})" if errors else "")
    return str(body)[:200]


def decide_in_batches(
    url: str,
    applications: pd.DataFrame,
    *,
    batch_size: int = 500,
    timeout: float = 30.0,
    allow_remote: bool = False,
    retries: int = 3,
    client: Any = None,
) -> pd.DataFrame:
    """Decide many applications through the live service, ``batch_size`` per request.

    For backfills and lab-scale replays (16,000 applications in a few seconds, where one
    request per application takes over a minute). Each batch is a ``POST
    /v1/decisions/batch``; the service decides every item exactly as ``POST /v1/decisions``
    would (validation, idempotency, dependencies, routing, logging) and commits each batch in
    one transaction before answering. Batches go one after the other; a batch answered 503
    (the log did not commit in time) is retried up to ``retries`` times after its
    ``Retry-After``, which is safe because decisions are idempotent per ``application_id``.

    Parameters
    ----------
    url : str
        The service, e.g. ``svc.url`` of :func:`lendlab.serving.running`. Loopback only unless
        ``allow_remote`` (as :func:`replay`).
    applications : pandas.DataFrame
        World applications (e.g. :func:`lendlab.world.generate`); turned into request bodies
        by :func:`lendlab.serving.schemas.requests_from_frame` (NaN becomes null, truth
        columns are dropped), so the columns have one definition.
    batch_size : int, default 500
        Applications per request (at most the service's ``max_batch``, default 500).
    timeout : float, default 30
        Seconds per batch request.
    allow_remote : bool, default False
        Allow a URL that does not resolve to loopback.
    retries : int, default 3
        Retries of a batch answered 503.
    client : httpx.Client, optional
        An open client to send with (e.g. FastAPI's ``TestClient``); then ``url`` is not
        checked (the caller chose the transport) and the client is not closed.

    Returns
    -------
    pandas.DataFrame
        :data:`BATCH_COLUMNS`, one row per application in input order: ``status`` (200, or
        the item's 409/413/422), ``decision``, ``pd``, ``score`` (null without the model),
        ``fallback`` (None or the degraded mode), ``model_version`` (who decided), ``arm``,
        ``reasons`` (list), ``replayed`` (already logged), ``request_id`` and ``detail`` (why
        an item was refused).

    Raises
    ------
    RuntimeError
        A batch was refused as a whole (e.g. 413 over the service's ``max_batch``) or its
        commit failed; the message has the service's reason and how many applications before
        it were decided (rerunning is safe: they replay from the log).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from fastapi.testclient import TestClient
    >>> from lendlab import world
    >>> from lendlab.serving import create_app
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> app = create_app(db=folder / "d.db", model_dir=folder / "models", seed=1)
    >>> book = world.generate(1_200, seed=2)
    >>> with TestClient(app) as client:  # in-process; with a running service pass svc.url
    ...     out = decide_in_batches("http://testserver", book, client=client)
    ...     again = decide_in_batches("http://testserver", book.head(3), client=client)
    >>> len(out), out["status"].unique().tolist(), sorted(out["decision"].unique())
    (1200, [200], ['approve', 'decline', 'review'])
    >>> out["application_id"].tolist() == book["application_id"].tolist()
    True
    >>> again["replayed"].tolist(), again["pd"].tolist() == out["pd"].head(3).tolist()
    ([True, True, True], True)
    >>> decide_in_batches("http://10.1.2.3:8000", book)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: refusing to replay at 'http://10.1.2.3:8000': ... not loopback ...
    """
    import httpx
    import pandas as pd

    from lendlab.serving.schemas import requests_from_frame

    if not isinstance(applications, pd.DataFrame):
        raise TypeError(
            f"applications must be a pandas DataFrame (e.g. world.generate(...)), got "
            f"{type(applications).__name__}"
        )
    batch_size = _positive_int(batch_size, "batch_size", 10_000, "batch_size=500")
    timeout = _positive_number(timeout, "timeout", 3_600.0, "timeout=30")
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 100:
        raise ValueError(f"retries={retries!r} must be a whole number from 0 to 100, e.g. 3")
    own = client is None
    if own:
        check_loopback(url, allow_remote=allow_remote)
    bodies = requests_from_frame(applications)
    target = url.rstrip("/") + _BATCH_ROUTE
    rows: list[tuple[Any, ...]] = []
    session = httpx.Client(timeout=timeout) if own else client
    try:
        for start in range(0, len(bodies), batch_size):
            chunk = bodies[start : start + batch_size]
            for attempt in range(retries + 1):
                r = session.post(target, json={"applications": chunk})
                if r.status_code != 503 or attempt == retries:
                    break
                try:
                    wait = float(r.headers.get("retry-after", "1"))
                except ValueError:
                    wait = 1.0
                time.sleep(min(max(wait, 0.1), 5.0))
            if r.status_code != 200:
                raise RuntimeError(
                    f"POST {target} answered {r.status_code} for applications {start} to "
                    f"{start + len(chunk) - 1}: {_batch_detail(r)}; the {start} before them "
                    "were decided (rerunning is safe: they replay from the log)"
                )
            for item in r.json()["results"]:
                d = item.get("decision") or {}
                rows.append((
                    item.get("application_id"), item["status"], d.get("decision"), d.get("pd"),
                    d.get("score"), d.get("fallback") or None, d.get("model_version"),
                    d.get("arm"), d.get("reasons"), d.get("replay"), d.get("request_id"),
                    item.get("detail"),
                ))  # fmt: skip
    finally:
        if own:
            session.close()
    frame = pd.DataFrame.from_records(rows, columns=list(BATCH_COLUMNS))
    frame["application_id"] = pd.array(frame["application_id"], dtype="Int64")
    frame["status"] = frame["status"].astype("int64")
    frame["pd"] = frame["pd"].astype("float64")
    frame["score"] = pd.array(frame["score"], dtype="Int64")
    frame["replayed"] = pd.array(frame["replayed"], dtype="boolean")
    return frame


# -- the command -------------------------------------------------------------------------------
def replay_command(args: argparse.Namespace) -> int:
    """``lendlab replay``: run, print the report (or JSON), save per-request results."""
    if args.out is not None and Path(args.out).suffix not in (".parquet", ".csv"):
        print(f"lendlab: error: --out {args.out!r} must end in .parquet or .csv", file=sys.stderr)
        return 1
    try:
        scenario = get_scenario(args.scenario, compress=args.compress, time_scale=args.time_scale)
        result = replay(
            args.url,
            rate=args.rate,
            duration=args.duration,
            scenario=scenario,
            seed=args.seed,
            concurrency=args.concurrency,
            timeout=args.timeout,
            max_requests=args.max_requests,
            allow_remote=args.allow_remote,
            id_offset=args.id_offset,
        )
    except (TypeError, ValueError) as exc:
        print(f"lendlab: error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result.summary, indent=2, default=str))
    else:
        print(result.report())
    if args.out is not None:
        path = result.save(args.out)
        print(f"wrote {len(result.requests)} requests to {path.as_posix()}", file=sys.stderr)
    return 0


def register(subparsers: Any) -> None:
    """Add ``replay`` to a ``lendlab`` subparsers object (sets ``serving_handler``).

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="lendlab")
    >>> register(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["replay", "--url", "http://127.0.0.1:8000", "--rate", "200",
    ...                           "--duration", "20"])
    >>> args.rate, args.duration, args.scenario, args.serving_handler.__name__
    (200.0, 20.0, 'healthy', 'replay_command')
    """
    p = subparsers.add_parser(
        "replay", help="send world traffic to the service open-loop at a fixed rate"
    )
    p.add_argument("--url", required=True, help="the service, e.g. http://127.0.0.1:8000")
    p.add_argument("--rate", type=float, required=True, metavar="R", help="requests per second")
    p.add_argument(
        "--duration", type=float, default=None, metavar="S",
        help="seconds (default: the scenario's duration)",
    )  # fmt: skip
    p.add_argument("--scenario", default="healthy", choices=list(SCENARIOS), help="fault timeline")
    p.add_argument("--compress", action="store_true", help="scenario minutes become seconds")
    p.add_argument("--time-scale", type=float, default=None, metavar="F", help="scale times by F")
    p.add_argument("--out", default=None, metavar="FILE", help="per-request results .parquet/.csv")
    p.add_argument("--seed", type=int, default=0, help="world traffic seed (default 0)")
    p.add_argument("--concurrency", type=int, default=256, metavar="C", help="in-flight cap")
    p.add_argument("--timeout", type=float, default=2.0, metavar="S", help="per request (2 s)")
    p.add_argument("--max-requests", type=int, default=_DEFAULT_MAX_REQUESTS, metavar="N")
    p.add_argument("--id-offset", type=int, default=None, metavar="N", help="added to ids")
    p.add_argument("--allow-remote", action="store_true", help="allow a non-loopback URL")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(serving_handler=replay_command)
