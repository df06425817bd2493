"""Week 7 scenario: ninety-one days of loan decisions through the live scoring service.

The learner's world: thirteen weeks of applications, Monday 6 January to Sunday 6 April 2025
(:func:`lendlab.world.generate`), sent in time order through the real service
(:func:`lendlab.serving.running`, a child process) in batches of 500 (``POST
/v1/decisions/batch`` through :func:`lendlab.serving.decide_in_batches`; the world's
``applied_at`` is carried in each application and logged as the decision time) by
:func:`decide_through_service`: about 8 s, where one request per application took one to
three minutes. Two things happen on the way, both drawn from the seed and sealed in a
:class:`HiddenScenario` until the learner has answered:

* a **segment incident**: a data fault of :data:`lendlab.world.faults.FAULTS` that reaches the
  service in one segment's applications only (:data:`INCIDENT_KINDS`: the returning-customer
  pre-fill sends monthly income as annual income, or the thin-file bureau product's gateway
  fills defaults for most pulls), starting between 17 February and 10 March and lasting 12 to
  17 days; it hits that one segment's approval rate;
* a **bureau outage** of two or three hours on another day after the reference weeks, switched
  on and off in the live service through ``POST /admin/faults`` between batches (the batches
  are split at its start and end): requests fall back to manual review, in every segment.

Both are sized so that "which alert fires first" has one answer on every seed: the incident
takes the segment's approvals from ~17% to ~2% for at least 12 days (the rescaled 7-day drop
alert clears 10 points and z > 4), the outage moves a 7-day approval rate by 2 or 3 points,
and the AIR alert's guards (volume and minimum approvals) keep it silent at this lender's
volume. :func:`decide_in_process` is the fast path with the same decisions (no HTTP), for
tests over many seeds.

:func:`build_context` rebuilds exactly what the lab binds to ``lendlab.course.exercises.week07``.

In the lab::

    from lendlab.course.scenarios import week07 as scenario
    book, hidden = scenario.hidden_scenario(seed=seed, n=n)
    log = scenario.decide_through_service(book, hidden, workdir=workdir, seed=seed)
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
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
    "decide_in_process",
    "outage_cuts",
    "daily_volume",
    "hourly_volume",
    "context_from_log",
    "first_alert_table",
    "alert_signals",
    "incident_behind",
    "first_drift_day",
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
    "concurrency": 32,  # requests in flight from the client loop (one request each)
    "batch_size": 500,  # applications per POST /v1/decisions/batch (the service's max_batch)
}
#: Numeric inputs the dashboard monitors for feature drift: the bureau's (fico, inquiries,
#: utilisation, open accounts) and the applicant's income and debt-to-income, which between
#: them carry the signature of every data fault the incident can be.
MONITORED: tuple[str, ...] = (
    "fico",
    "annual_income",
    "dti",
    "inquiries_6m",
    "revol_util",
    "open_accounts",
)
#: The data faults the segment incident is drawn from, with the options the lab uses.
INCIDENT_KINDS: dict[str, dict[str, Any]] = {
    "income_monthly_as_annual": {},
    "bureau_outage": {"share": 0.95, "hit_flag": False},
}
#: The segments it can hit (each has its own feed: the CRM pre-fill, the thin-file product).
INCIDENT_SEGMENTS: tuple[str, ...] = ("returning", "thin_file")
#: Fewest applications for which the rescaled segment alerts' volume guards can pass in the
#: smallest segment (100 decisions in 7 days, 500 in 28): smaller ``n`` is raised to this.
MIN_N = 16_000
_INCIDENT_FIRST = "2025-02-17"  # day 42: the 28-day baseline ending 7 days ago is complete
_START_CHOICES = 22  # starts 17 February .. 10 March
_DURATION_DAYS = (12, 18)  # 12..17 days: the 7-day window sits inside it for 5 days or more
_OUTAGE_HOURS = (2, 4)  # the live bureau outage lasts 2 or 3 hours, from 10:00 UTC: a review
# spike on its day, but too short to move a segment's 7-day approval rate by 10 points
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
    # the outage: after the reference weeks (a clean baseline), in the last week at the latest,
    # and at least four days away from the incident's window
    first_day = utc(s["reference"][1])
    days = pd.date_range(first_day, utc(s["start"]) + pd.Timedelta(days=s["days"] - 7), freq="D")
    far = [d for d in days if d < start - pd.Timedelta(days=4) or d > end + pd.Timedelta(days=4)]
    day = far[int(rng.integers(0, len(far)))]
    outage_start = day + pd.Timedelta(hours=10)
    outage_end = outage_start + pd.Timedelta(hours=int(rng.integers(*_OUTAGE_HOURS)))
    hidden = HiddenScenario(record, segment, _STORIES[(kind, segment)], outage_start, outage_end)
    return broken.reset_index(drop=True), hidden


def _with_segment(record: faults.InjectedFault, segment: str) -> faults.InjectedFault:
    import dataclasses

    return dataclasses.replace(record, segments=(f"segment={segment}",))


#: The service's settings for the backfill: generous dependency timeouts, so that a stall of a
#: busy two-core box never times out a healthy bureau call (only the outage falls back).
SERVICE_CONFIG: dict[str, Any] = {
    "request_budget_ms": 5000,
    "bureau": {"timeout_ms": 4000},
    "income_verification": {"latency_median_ms": 2, "latency_p99_ms": 8, "timeout_ms": 4000},
}


def decide_through_service(
    book: pd.DataFrame,
    hidden: HiddenScenario,
    *,
    workdir: str | Path,
    seed: int,
    batch_size: int = SETTINGS["batch_size"],
    timeout: float = 60.0,
) -> pd.DataFrame:
    """Send every application of ``book`` to the live service, in time order; return the log.

    Starts ``lendlab serve`` (:func:`lendlab.serving.running`, a real child process) on a free
    loopback port with its decision log in ``workdir`` and :data:`SERVICE_CONFIG`, sends the
    applications in time-ordered batches (``POST /v1/decisions/batch`` through
    :func:`lendlab.serving.decide_in_batches`, at most ``batch_size`` each, ``timeout``
    seconds per batch), switches the bureau outage on and off through ``POST /admin/faults``
    between batches at its place in the world's time (the batches are split there, see
    :func:`outage_cuts`), stops the service and reads its decision log
    (:func:`lendlab.serving.read_decisions`). The decision time is the world's ``applied_at``,
    carried in each application.

    Raises
    ------
    RuntimeError
        An application was not decided (status other than 200), or a healthy application
        fell back (the box stalled past the dependency timeouts; rerun).

    Examples
    --------
    >>> import tempfile  # doctest: +SKIP
    >>> book, hidden = hidden_scenario(seed=1)  # doctest: +SKIP
    >>> folder = tempfile.mkdtemp()  # doctest: +SKIP
    >>> log = decide_through_service(book, hidden, workdir=folder, seed=1)  # doctest: +SKIP
    >>> len(log) == len(book)  # doctest: +SKIP
    True
    """
    import httpx

    from lendlab import serving

    on, off = outage_cuts(book, hidden)  # checks book and hidden
    folder = Path(workdir)
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "decisions.db"
    for stale in folder.glob("decisions.db*"):
        stale.unlink()
    config = folder / "service.json"
    config.write_text(json.dumps(SERVICE_CONFIG, indent=2) + "\n", encoding="utf-8")
    ordered = book.sort_values("applied_at", kind="stable").reset_index(drop=True)
    chunks = [
        (0, on, None),
        (on, off, {"bureau": {"outage": True}}),
        (off, len(ordered), {"reset": True}),
    ]
    token = secrets.token_hex(16)
    answers = []
    with (
        serving.running(
            db=db,
            config=config,
            model_dir=folder / "models",
            admin_token=token,
            extra_args=["--seed", str(int(seed))],
        ) as svc,
        httpx.Client(base_url=svc.url, timeout=10.0) as admin,
    ):
        for begin, stop, change in chunks:
            if change is not None:  # between batches, in the world's time order
                admin.post(
                    "/admin/faults", json=change, headers={"Authorization": f"Bearer {token}"}
                ).raise_for_status()
            if stop > begin:
                answers.append(
                    serving.decide_in_batches(
                        svc.url, ordered.iloc[begin:stop], batch_size=batch_size, timeout=timeout
                    )
                )
    out = pd.concat(answers, ignore_index=True)
    bad = out[out["status"] != 200]
    if len(bad):
        raise RuntimeError(
            f"{len(bad)} applications were not decided (first: {bad.iloc[0]['status']} "
            f"{bad.iloc[0]['detail']})"
        )
    healthy = np.ones(len(out), dtype=bool)
    healthy[on:off] = False
    stalled = int(out.loc[healthy, "fallback"].notna().sum())
    if stalled:
        raise RuntimeError(
            f"{stalled} applications outside the outage fell back: the box stalled past the "
            "dependency timeouts; rerun the cell"
        )
    return serving.read_decisions(db)


def outage_cuts(book: pd.DataFrame, hidden: HiddenScenario) -> tuple[int, int]:
    """Where the bureau outage switches on and off in the time-ordered applications.

    Returns ``(on, off)``: positions in ``book`` sorted by ``applied_at`` (stable) of the first
    application at or after :attr:`HiddenScenario.outage_start` and of the first at or after
    :attr:`HiddenScenario.outage_end`; the applications ``[on, off)`` meet the outage.

    Examples
    --------
    >>> book, hidden = hidden_scenario(seed=3)
    >>> on, off = outage_cuts(book, hidden)
    >>> 0 < on < off < len(book)
    True
    """
    if not isinstance(book, pd.DataFrame) or "applied_at" not in book.columns:
        raise TypeError("book must be the applications from hidden_scenario(...)")
    if not isinstance(hidden, HiddenScenario):
        raise TypeError("hidden must be the HiddenScenario from hidden_scenario(...)")
    ordered = book["applied_at"].sort_values(kind="stable")
    at = ordered.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ns]")
    on = int(np.searchsorted(at, hidden.outage_start.tz_localize(None).to_datetime64(), "left"))
    off = int(np.searchsorted(at, hidden.outage_end.tz_localize(None).to_datetime64(), "left"))
    return on, off


def decide_in_process(
    book: pd.DataFrame,
    hidden: HiddenScenario,
    *,
    seed: int,
    model_dir: str | Path | None = None,
) -> pd.DataFrame:
    """The fast path: the service's decisions for ``book``, computed in this process.

    The same models (:meth:`lendlab.serving.registry.ModelRegistry.load_or_train` from
    ``seed``), the same decision rule (:func:`lendlab.serving.app.score_applications` at the
    service's default cutoff and review band) and the same fallback (``manual_review`` with
    ``model_version="manual-review"``, no PD and no score) for the applications that meet the
    bureau outage; no HTTP, no decision log, no reasons. For tests and instructors: it
    answers "which alert fires first" for many seeds in seconds. A test holds it equal to
    :func:`decide_through_service` on the columns the lab uses.

    Returns
    -------
    DataFrame
        One row per application in time order: the application's columns (truth columns
        dropped), ``model_version``, ``pd``, ``score``, ``decision``, ``fallback`` and
        ``failed_dependencies``.

    Examples
    --------
    >>> book, hidden = hidden_scenario(seed=3)
    >>> log = decide_in_process(book, hidden, seed=3)
    >>> len(log) == len(book), sorted(log["decision"].unique())
    (True, ['approve', 'decline', 'review'])
    """
    import tempfile

    from lendlab.serving.app import model_columns, score_applications
    from lendlab.serving.config import ServiceConfig
    from lendlab.serving.registry import ModelRegistry
    from lendlab.serving.schemas import APPLICATION_FIELDS, requests_from_frame

    on, off = outage_cuts(book, hidden)
    ordered = book.sort_values("applied_at", kind="stable").reset_index(drop=True)
    folder = Path(model_dir) if model_dir is not None else Path(tempfile.mkdtemp(prefix="w7-m-"))
    registry = ModelRegistry.load_or_train(folder, seed=int(seed))
    entry = registry.models[registry.aliases["champion"]]
    cfg = ServiceConfig(db=folder / "unused.db")
    served = requests_from_frame(ordered)
    out = score_applications(
        entry.model, None, served, model_columns(entry.model),
        cutoff=cfg.cutoff, review_margin=cfg.review_margin,
    )  # fmt: skip
    log = ordered[[c for c in APPLICATION_FIELDS if c in ordered.columns]].copy()
    log["model_version"] = entry.version
    log["pd"] = [o["pd"] for o in out]
    log["score"] = pd.array([o["score"] for o in out], dtype="Int64")
    log["decision"] = [o["decision"] for o in out]
    log["fallback"] = None
    log["failed_dependencies"] = None
    hit = np.zeros(len(log), dtype=bool)
    hit[on:off] = True
    log.loc[hit, ["model_version", "decision"]] = ["manual-review", "review"]
    log.loc[hit, "pd"] = np.nan
    log.loc[hit, "score"] = pd.NA
    log.loc[hit, ["fallback", "failed_dependencies"]] = [cfg.fallback, "bureau"]
    log["decision"] = pd.Categorical(log["decision"], categories=["approve", "review", "decline"])
    return log


def first_alert_table(counts: pd.DataFrame, *, windows: Mapping[str, str] | None) -> pd.DataFrame:
    """Each (alert, segment)'s first firing over ``counts``, earliest first (ties by name).

    :func:`lendlab.monitoring.dashboard.evaluate_segment_alerts` (the rule file in pandas, held
    equal to promtool by a test) with ``windows``, then
    :func:`~lendlab.monitoring.dashboard.first_alerts`.

    Examples
    --------
    >>> book, hidden = hidden_scenario(seed=3)
    >>> counts = dashboard.counter_series(decide_in_process(book, hidden, seed=3), interval="4h")
    >>> first_alert_table(counts, windows=SETTINGS["windows"]).iloc[0]["segment"] == hidden.segment
    True
    """
    fired = dashboard.evaluate_segment_alerts(counts, windows=windows)
    return dashboard.first_alerts(fired)


def alert_signals(
    log: pd.DataFrame, reference: pd.DataFrame, segment: str, time: pd.Timestamp
) -> pd.DataFrame:
    """:func:`lendlab.response.measure_signals` of ``segment``: the reference rows against the
    7 days before ``time`` (what the alert's window held), without ``duration_ms`` (in a
    batch backfill it is the whole batch's time, so ``latency`` is left unknown).

    Examples
    --------
    >>> book, hidden = hidden_scenario(seed=3)
    >>> log = decide_in_process(book, hidden, seed=3)
    >>> ref = between(log, *SETTINGS["reference"])
    >>> alert_signals(log, ref, "thin_file", utc("2025-03-15")).loc["fallback", "state"]
    'flat'
    """
    from lendlab.response import measure_signals

    # a backfill's duration_ms is its whole batch's time, not the decision's: no latency signal
    seg = log[log["segment"].astype(str) == str(segment)].drop(
        columns="duration_ms", errors="ignore"
    )
    base = reference[reference["segment"].astype(str) == str(segment)]
    base = base.drop(columns="duration_ms", errors="ignore")
    t = pd.Timestamp(time)
    window = seg[(seg["applied_at"] >= t - pd.Timedelta(days=7)) & (seg["applied_at"] < t)]
    return measure_signals(base, window)


def incident_behind(hidden: HiddenScenario, segment: str, time: pd.Timestamp) -> str:
    """The sealed incident's kind if an alert on ``segment`` at ``time`` is its alert, else
    ``"none"`` (an alert the incident cannot explain: another segment, or before the incident
    or more than a window after it ended).

    Examples
    --------
    >>> book, hidden = hidden_scenario(seed=3)
    >>> incident_behind(hidden, hidden.segment, hidden.incident.start + pd.Timedelta(days=5))
    'income_monthly_as_annual'
    >>> incident_behind(hidden, "prime", hidden.incident.start + pd.Timedelta(days=5))
    'none'
    """
    t = pd.Timestamp(time)
    start, end = hidden.incident.start, hidden.incident.end + pd.Timedelta(days=7)
    return hidden.kind if str(segment) == hidden.segment and start <= t <= end else "none"


def first_drift_day(log: pd.DataFrame, reference: pd.DataFrame) -> pd.Timestamp | None:
    """The first day after the reference weeks on which the dashboard's feature-drift panel
    (:func:`lendlab.monitoring.dashboard.daily_panels` over :data:`MONITORED`) flags a column.

    Examples
    --------
    >>> book, hidden = hidden_scenario(seed=3)
    >>> log = decide_in_process(book, hidden, seed=3)
    >>> first_drift_day(log, between(log, *SETTINGS["reference"])) is not None
    True
    """
    panels = dashboard.daily_panels(log, reference, columns=MONITORED)
    drifted = panels["drifted_columns"]
    after = drifted[(drifted.index >= utc(SETTINGS["reference"][1])) & (drifted > 0)]
    return None if after.empty else after.index[0]


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


def build_context(
    *, seed: int = 2026, n: int = SETTINGS["n"], workdir: Any = None, live: bool = True
) -> dict:
    """Rebuild the lab's data for ``seed`` and ``n`` (what the lab passes to ``ex.bind``).

    ``live=True`` runs the live service (:func:`decide_through_service`, about 8 s at the
    default ``n``); ``live=False`` takes the fast path (:func:`decide_in_process`, the same
    decisions in about a second). ``n`` below :data:`MIN_N` is raised to it, so the alerts can
    fire.

    Examples
    --------
    >>> ctx = build_context(seed=3, live=False)
    >>> sorted(ctx)
    ['counts', 'hidden', 'log', 'reference', 'windows']
    """
    import tempfile

    book, hidden = hidden_scenario(seed=seed, n=n)
    if live:
        folder = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="week07-"))
        log = decide_through_service(book, hidden, workdir=folder, seed=seed)
    else:
        log = decide_in_process(book, hidden, seed=seed)
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
