"""Week 7 scenario: ninety-one days of loan decisions through the live scoring service.

The learner's world: thirteen weeks of applications, Monday 6 January to Sunday 6 April 2025
(:func:`lendlab.world.generate`), sent in time order through the real service
(:func:`lendlab.serving.running`, one ``POST /v1/decisions`` per application, the world's
``applied_at`` carried in the request and logged as the decision time) by a bounded client
loop (:func:`decide_through_service`). Two things happen on the way, both drawn from the seed
and sealed in a :class:`HiddenScenario` until the learner has answered:

* a **segment incident**: a data fault of :data:`lendlab.world.faults.FAULTS` that reaches the
  service in one segment's applications only (:data:`INCIDENT_KINDS`: the returning-customer
  pre-fill sends monthly income as annual income, or the thin-file bureau product's gateway
  fills defaults for most pulls), starting between 17 February and 10 March and lasting 10 to
  16 days; it hits that one segment's approval rate;
* a **bureau outage** of a few hours on another day, switched on and off in the live service
  through ``POST /admin/faults``: requests fall back to manual review, in every segment.

:func:`build_context` rebuilds exactly what the lab binds to ``lendlab.course.exercises.week07``.

In the lab::

    from lendlab.course.scenarios import week07 as scenario
    book, hidden = scenario.hidden_scenario(seed=seed, n=n)
    log = scenario.decide_through_service(book, hidden, workdir=workdir, seed=seed)
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lendlab import world
from lendlab.course.scenarios.common import between, utc
from lendlab.monitoring import dashboard
from lendlab.world import faults

__all__ = [
    "SETTINGS",
    "MONITORED",
    "INCIDENT_KINDS",
    "INCIDENT_SEGMENTS",
    "MIN_N",
    "HiddenScenario",
    "between",
    "hidden_scenario",
    "decide_through_service",
    "daily_volume",
    "hourly_volume",
    "context_from_log",
    "build_context",
]

#: The dates and settings the lab uses (its setup cell shows the same values).
SETTINGS: dict[str, Any] = {
    "start": "2025-01-06",  # Monday: thirteen whole weeks
    "days": 91,  # through Sunday 6 April 2025
    "n": 16_000,  # applications (about 176 a day)
    "reference": ("2025-01-06", "2025-02-03"),  # the first four weeks
    "cutoff": 0.20,  # the service's default PD cutoff (review band +-0.02)
    "windows": dict(dashboard.DEFAULT_WINDOWS),  # the rules' hour -> 7 days, day -> 28 days
    "scrape_interval": "4h",  # promtool evaluates 28-day windows 546 times in a few seconds
    "concurrency": 32,  # requests in flight from the client loop
}
#: Numeric inputs the dashboard monitors for feature drift.
MONITORED: tuple[str, ...] = (
    "fico",
    "annual_income",
    "dti",
    "loan_amount",
    "revol_util",
    "inquiries_6m",
    "emp_length_years",
    "open_accounts",
)
#: The data faults the segment incident is drawn from, with the options the lab uses.
INCIDENT_KINDS: dict[str, dict[str, Any]] = {
    "income_monthly_as_annual": {},
    "bureau_outage": {"share": 0.8, "hit_flag": False},
}
#: The segments it can hit (each has its own feed: the CRM pre-fill, the thin-file product).
INCIDENT_SEGMENTS: tuple[str, ...] = ("returning", "thin_file")
#: Fewest applications for which the rescaled segment alerts' volume guards can pass in the
#: smallest segment (100 decisions in 7 days, 500 in 28): smaller ``n`` is raised to this.
MIN_N = 16_000
_INCIDENT_FIRST = "2025-02-17"  # day 42: the 28-day baseline ending 7 days ago is complete
_START_CHOICES = 22  # starts 17 February .. 10 March
_DURATION_DAYS = (10, 17)  # 10..16 days
_OUTAGE_HOURS = (5, 9)  # the live bureau outage lasts 5..8 hours, from 10:00 UTC
_STORIES = {
    ("income_monthly_as_annual", "returning"): (
        "The CRM pre-fill of returning customers' applications started sending monthly income "
        "in the annual_income field after a CRM release."
    ),
    ("income_monthly_as_annual", "thin_file"): (
        "The cash-flow underwriting partner that sources thin-file applicants started sending "
        "monthly income in the annual_income field."
    ),
    ("bureau_outage", "returning"): (
        "The nightly bureau refresh of returning customers failed and its gateway filled "
        "defaults (fico 300, counts 0) for most of them."
    ),
    ("bureau_outage", "thin_file"): (
        "The bureau's thin-file (alternative data) product timed out for most pulls and its "
        "gateway filled defaults (fico 300, counts 0)."
    ),
}


@dataclass(frozen=True)
class HiddenScenario:
    """The sealed truth: the segment incident and the live bureau outage.

    Attributes
    ----------
    incident : InjectedFault
        The data fault (kind, window, rows) as :func:`lendlab.world.faults.inject` recorded it.
    segment : str
        The one segment whose applications it reached.
    story : str
        What happened, as the postmortem says it.
    outage_start, outage_end : Timestamp
        The live bureau outage (``POST /admin/faults``), in the world's time.
    """

    incident: faults.InjectedFault
    segment: str
    story: str
    outage_start: pd.Timestamp
    outage_end: pd.Timestamp

    @property
    def kind(self) -> str:
        """The incident's fault kind (a name of :data:`lendlab.world.faults.FAULTS`)."""
        return self.incident.kind

    def __repr__(self) -> str:  # sealed: printing it must not give the answers away
        return "HiddenScenario(<sealed: read .incident, .segment after answering>)"


def hidden_scenario(*, seed: int, n: int = SETTINGS["n"]) -> tuple[pd.DataFrame, HiddenScenario]:
    """The thirteen weeks of applications, broken by the seed's segment incident. Sealed.

    Returns the applications as the service will receive them (sorted by ``applied_at``) and
    the :class:`HiddenScenario`. ``n`` below :data:`MIN_N` is raised to it.

    Examples
    --------
    >>> book, hidden = hidden_scenario(seed=3, n=16_000)
    >>> hidden.kind in INCIDENT_KINDS, hidden.segment in INCIDENT_SEGMENTS, len(book)
    (True, True, 16000)
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed={seed!r} must be a non-negative whole number, e.g. 2026")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n={n!r} must be a whole number of applications, e.g. 16000")
    n = max(int(n), MIN_N)
    s = SETTINGS
    book = world.generate(n, seed=int(seed), start=s["start"], days=s["days"])
    rng = np.random.default_rng([int(seed), 7])
    kind = str(rng.choice(sorted(INCIDENT_KINDS)))
    segment = str(rng.choice(INCIDENT_SEGMENTS))
    start = utc(_INCIDENT_FIRST) + pd.Timedelta(days=int(rng.integers(0, _START_CHOICES)))
    end = start + pd.Timedelta(days=int(rng.integers(*_DURATION_DAYS)))
    hit = (book["segment"] == segment).to_numpy()
    part, record = faults.inject(
        book[hit], kind, start=start, end=end, seed=int(seed), **INCIDENT_KINDS[kind]
    )
    record = _with_segment(record, segment)
    broken = pd.concat([book[~hit], part[book.columns]]).sort_values("applied_at", kind="stable")
    # the outage: a day at least four days away from the incident's window
    days = pd.date_range(utc(s["start"]) + pd.Timedelta(days=14), periods=s["days"] - 21, freq="D")
    far = [d for d in days if d < start - pd.Timedelta(days=4) or d > end + pd.Timedelta(days=4)]
    day = far[int(rng.integers(0, len(far)))]
    outage_start = day + pd.Timedelta(hours=10)
    outage_end = outage_start + pd.Timedelta(hours=int(rng.integers(*_OUTAGE_HOURS)))
    hidden = HiddenScenario(record, segment, _STORIES[(kind, segment)], outage_start, outage_end)
    return broken.reset_index(drop=True), hidden


def _with_segment(record: faults.InjectedFault, segment: str) -> faults.InjectedFault:
    import dataclasses

    return dataclasses.replace(record, segments=(f"segment={segment}",))


def _run(coro: Any) -> Any:
    """Run ``coro`` to the end, also from inside a running loop (Jupyter): in a thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="week07-client", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


async def _send_all(
    url: str,
    bodies: list[bytes],
    events: list[tuple[int, dict[str, Any]]],
    token: str,
    concurrency: int,
    timeout: float,
    deadline: float,
) -> dict[str, int]:
    import httpx

    codes: dict[str, int] = {}
    limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
    clients = [
        httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits)
        for _ in range(max(1, concurrency // 8))
    ]
    headers = {"content-type": "application/json"}
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with sem:
            if time.monotonic() > deadline:
                codes["deadline"] = codes.get("deadline", 0) + 1
                return
            r = await clients[i % len(clients)].post(
                "/v1/decisions", content=bodies[i], headers=headers
            )
            codes[str(r.status_code)] = codes.get(str(r.status_code), 0) + 1

    try:
        cuts = [0, *[at for at, _ in events], len(bodies)]
        for k in range(len(cuts) - 1):
            if k > 0:  # switch the knob between the chunks, in the world's time order
                change = events[k - 1][1]
                r = await clients[0].post(
                    "/admin/faults", json=change, headers={"Authorization": f"Bearer {token}"}
                )
                r.raise_for_status()
            await asyncio.gather(*(one(i) for i in range(cuts[k], cuts[k + 1])))
    finally:
        for client in clients:
            await client.aclose()
    return codes


def decide_through_service(
    book: pd.DataFrame,
    hidden: HiddenScenario,
    *,
    workdir: str | Path,
    seed: int,
    concurrency: int = SETTINGS["concurrency"],
    timeout: float = 10.0,
    max_seconds: float = 600.0,
) -> pd.DataFrame:
    """Send every application of ``book`` to the live service, in time order; return the log.

    Starts ``lendlab serve`` (:func:`lendlab.serving.running`) on a free loopback port with
    its decision log in ``workdir``, sends one ``POST /v1/decisions`` per row (at most
    ``concurrency`` in flight, each with a ``timeout``, the whole run bounded by
    ``max_seconds``), switches the bureau outage on and off through ``POST /admin/faults`` at
    its place in the world's time, stops the service and reads its decision log
    (:func:`lendlab.serving.read_decisions`). The decision time is the world's ``applied_at``,
    carried in each request.

    Raises
    ------
    RuntimeError
        Any request was not answered 200 (the counts by status are in the message).

    Examples
    --------
    >>> import tempfile  # doctest: +SKIP
    >>> book, hidden = hidden_scenario(seed=1)  # doctest: +SKIP
    >>> folder = tempfile.mkdtemp()  # doctest: +SKIP
    >>> log = decide_through_service(book, hidden, workdir=folder, seed=1)  # doctest: +SKIP
    >>> len(log) == len(book)  # doctest: +SKIP
    True
    """
    from lendlab import serving
    from lendlab.serving.schemas import requests_from_frame

    if not isinstance(book, pd.DataFrame) or "applied_at" not in book.columns:
        raise TypeError("book must be the applications from hidden_scenario(...)")
    if not isinstance(hidden, HiddenScenario):
        raise TypeError("hidden must be the HiddenScenario from hidden_scenario(...)")
    folder = Path(workdir)
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "decisions.db"
    for stale in folder.glob("decisions.db*"):
        stale.unlink()
    ordered = book.sort_values("applied_at", kind="stable")
    bodies = [json.dumps(b, separators=(",", ":")).encode() for b in requests_from_frame(ordered)]
    at = ordered["applied_at"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ns]")
    on = int(np.searchsorted(at, hidden.outage_start.tz_localize(None).to_datetime64(), "left"))
    off = int(np.searchsorted(at, hidden.outage_end.tz_localize(None).to_datetime64(), "left"))
    events = [(on, {"bureau": {"outage": True}}), (off, {"reset": True})]
    token = secrets.token_hex(16)
    with serving.running(
        db=db,
        model_dir=folder / "models",
        admin_token=token,
        extra_args=["--seed", str(int(seed))],
    ) as svc:
        codes = _run(
            _send_all(
                svc.url,
                bodies,
                events,
                token,
                int(concurrency),
                float(timeout),
                time.monotonic() + float(max_seconds),
            )
        )
    if set(codes) != {"200"} or codes["200"] != len(bodies):
        raise RuntimeError(f"not every application was decided: answers by status {codes}")
    return serving.read_decisions(db)


def daily_volume(log: pd.DataFrame, *, by: str = "segment") -> pd.DataFrame:
    """Decisions per UTC day (rows, every day of the log) and ``by`` value (columns).

    Examples
    --------
    >>> book = world.generate(500, seed=1, start="2025-01-06", days=7)
    >>> daily_volume(book).shape
    (7, 4)
    """
    per_hour = hourly_volume(log, by=by)
    return per_hour.groupby(per_hour.index.floor("D")).sum().rename_axis("day")


def hourly_volume(log: pd.DataFrame, *, by: str = "segment") -> pd.DataFrame:
    """Decisions per UTC hour (rows, every hour of the log's days) and ``by`` value (columns).

    Examples
    --------
    >>> book = world.generate(500, seed=1, start="2025-01-06", days=2)
    >>> hourly_volume(book).shape
    (48, 4)
    """
    if not isinstance(log, pd.DataFrame) or "applied_at" not in log.columns or by not in log:
        raise ValueError(f"log must be a DataFrame with 'applied_at' and {by!r}")
    hour = log["applied_at"].dt.floor("h").rename("hour")
    counts = log.groupby([hour, log[by].astype(str)]).size().unstack(fill_value=0)
    first = log["applied_at"].min().floor("D")
    last = log["applied_at"].max().floor("D") + pd.Timedelta(days=1)
    index = pd.date_range(first, last, freq="h", inclusive="left")
    levels = [str(v) for v in world.CATEGORIES.get(by, counts.columns)]
    return counts.reindex(index=index, columns=levels, fill_value=0).rename_axis("hour")


def build_context(*, seed: int = 2026, n: int = SETTINGS["n"], workdir: Any = None) -> dict:
    """Rebuild the lab's data for ``seed`` and ``n`` (what the lab passes to ``ex.bind``).

    Runs the live service (about a minute at the default ``n``; ``n`` below :data:`MIN_N` is
    raised to it, so the alerts can fire).

    Examples
    --------
    >>> ctx = build_context(seed=3)  # doctest: +SKIP
    >>> sorted(ctx)[:3]  # doctest: +SKIP
    ['counts', 'hidden', 'log']
    """
    import tempfile

    book, hidden = hidden_scenario(seed=seed, n=n)
    folder = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="week07-"))
    log = decide_through_service(book, hidden, workdir=folder, seed=seed)
    return context_from_log(log, hidden)


def context_from_log(log: pd.DataFrame, hidden: HiddenScenario) -> dict:
    """What the lab binds, from its decision log and the sealed scenario."""
    s = SETTINGS
    counts = dashboard.counter_series(log, interval=s["scrape_interval"])
    return {
        "log": log,
        "reference": between(log, *s["reference"]),
        "counts": counts,
        "hidden": hidden,
        "windows": dict(s["windows"]),
    }
