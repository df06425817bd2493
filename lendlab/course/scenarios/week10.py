"""Week 10 scenario: the game day, a sealed incident on the live scoring service.

The learner's world: the real scoring service (:func:`lendlab.serving.running`) deciding world
applications sent open-loop at ``SETTINGS["rate"]`` per second for twelve seconds (a
time-compressed shift: four healthy seconds, the incident, the recovery), a real Prometheus
scraping it with the repository's rules and a real Alertmanager paging the lendlab pager
(:func:`game_day_stack`: every window, ``for:`` and volume guard of ``ops/prometheus/rules``
rescaled to the game day's clock by :func:`game_day_rules`, so an alert fires within seconds).

One incident, drawn from the seed out of :data:`INCIDENTS` and sealed in a
:class:`SealedIncident` until the learner has answered (its ``repr`` says nothing):

* **technical** (infrastructure moved): a full bureau outage, a bureau timeout spike, an
  income-verification outage, switched on and off through ``POST /admin/faults``;
* **behavioural** (only decisions or data moved): the income of one segment's applications
  sent in monthly units (a data fault in the requests), or the PD cutoff changed through
  ``POST /admin/cutoff``.

Every game day also has **noise**: a two-second error blip of an unrelated vendor
(:attr:`SealedIncident.noise`) a second and a half after the incident, which pages the
fallback alert. It is not the incident (a red herring for triage and for the timeline).

The operations numbers the decision tree needs (:func:`ops`: arrivals, review capacity, the
fix's ETA) are public. :func:`repull` gives the inputs as the applicants and the upstream
systems really hold them (a re-pull after the fix), the basis of the re-decision list.

:func:`simulate_log` draws the same game day without a service (the decisions as the service
makes them, the pages from :func:`alert_timeline`, the rules evaluated on the decision log);
:func:`build_context` rebuilds what the lab binds to ``lendlab.course.exercises.week10`` from
it. In the lab::

    from lendlab.course.scenarios import week10 as scenario
    sealed = scenario.draw_incident(seed)
    with scenario.game_day_stack(workdir, token=TOKEN) as stack:
        run, sealed = scenario.play(stack, sealed, seed=seed)
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lendlab import world
from lendlab.serving.replay import run_coroutine

__all__ = [
    "ALERT_RULE_FILES",
    "CHECK_SETTINGS",
    "INCIDENTS",
    "KINDS",
    "SETTINGS",
    "GameDayRun",
    "GameDayStack",
    "IncidentSpec",
    "SealedIncident",
    "alert_timeline",
    "alertmanager_config",
    "build_context",
    "draw_incident",
    "game_day_rules",
    "game_day_stack",
    "load_champion",
    "model_cache",
    "ops",
    "page_timeline",
    "phase_times",
    "play",
    "repull",
    "settle",
    "simulate_log",
    "source_records",
    "truth_plan",
    "truth_redecisions",
    "truth_windows",
    "write_log",
]

#: The lab's settings (its setup cell shows the same values). Times in real seconds at
#: ``time_scale=1``; every time, window and ``for:`` is multiplied by ``time_scale``.
SETTINGS: dict[str, Any] = {
    "rate": 100.0,  # requests per second sent open-loop
    "baseline_s": 3.5,  # healthy seconds before the incident
    "incident_s": 4.5,  # the incident
    "recovery_s": 4.0,  # healthy seconds after it (the noise falls here)
    "blip_after_s": 1.5,  # the noise, an unrelated vendor blip, starts this long after ...
    "blip_s": 2.0,  # ... the incident ends and lasts this long: a 60 % error rate
    "blip_error_rate": 0.6,
    "cutoff": 0.20,  # the signed-off PD cutoff and review band (the service's defaults)
    "review_margin": 0.02,
    "bureau_timeout_ms": 100.0,  # the game day's service: generous timeouts, so a busy box
    "request_budget_ms": 300.0,  # does not fall back by itself
    "id_offset": 7 * 10**9,  # added to the world's application ids
    "model_seed": 2025,  # the service's models (lendlab.serving.registry.train_models)
    "window_tolerance_s": 0.75,  # how close a start or end must be (x time_scale, as all)
}

#: What the checks read besides the data (``ex.bind(..., **CHECK_SETTINGS)``); like every
#: time of :data:`SETTINGS`, ``window_tolerance_s`` is multiplied by the sealed incident's
#: ``time_scale`` when a check reads it.
CHECK_SETTINGS: dict[str, Any] = {
    k: SETTINGS[k] for k in ("cutoff", "review_margin", "window_tolerance_s")
}

#: The rule files the game day loads (``ops/prometheus/rules``), rescaled by
#: :func:`game_day_rules`.
ALERT_RULE_FILES: tuple[str, ...] = ("degraded_mode.yml", "decisions.yml")
#: Production window -> game-day window (seconds at ``time_scale=1``): monotone, and short
#: enough that a five-second incident fills the windows its alerts read.
WINDOWS_S: dict[str, float] = {"5m": 2, "30m": 2.5, "1h": 3, "6h": 8, "1d": 30, "3d": 60}
#: Production ``for:`` -> game-day ``for:`` (seconds at ``time_scale=1``).
FOR_S: dict[str, float] = {"2m": 1, "10m": 1, "15m": 2, "30m": 2, "1h": 3}
#: Prometheus scrapes and evaluates every EVAL_S seconds of the game day's clock; Alertmanager
#: waits GROUP_WAIT_S before the first notification of a group.
EVAL_S: float = 0.5
GROUP_WAIT_S: float = 0.5
#: Volume guards: production text -> game-day text (window seconds instead of minutes; the
#: minimum counts lowered to what twelve seconds of traffic hold). Each must occur.
GUARDS: dict[str, str] = {
    "lendlab:decisions:rate5m * 300 >= 50": "lendlab:decisions:rate5m * {5m} >= 50",
    "lendlab:decisions:increase1h >= 100": "lendlab:decisions:increase1h >= 40",
    "lendlab:decisions:increase1d_offset1h >= 500": "lendlab:decisions:increase1d_offset1h >= 40",
}
#: Alerts left out of the game day. The missing-feature ticket compares each feature's last 30
#: minutes with its own trailing day, and a Prometheus started seconds ago has no trailing day
#: (it would compare with 0 and ticket on the ~9% of applications that never give an employment
#: length). The AIR ticket is a daily fair-lending statistic: twelve seconds hold too few
#: decisions per proxy group for it to mean anything. (Score drift, score_drift.yml, is a
#: ticket on an hour of scores, left out for the same reason.)
DROPPED_ALERTS: tuple[str, ...] = ("LendlabMissingFeatureRateHigh", "LendlabAdverseImpactRatioLow")

_ROOT = Path(__file__).resolve().parents[3]
_SEGMENTS = ("near_prime", "prime", "returning", "thin_file")


# --------------------------------------------------------------------------- the incidents


@dataclass(frozen=True)
class IncidentSpec:
    """One incident of the game day's pool.

    Attributes
    ----------
    name : str
        The incident's name (the sealed answer's ``name``).
    kind : {"technical", "behavioural"}
        Technical: errors, latency or fallback moved. Behavioural: only decisions or data.
    heading : str
        Its triage heading (:data:`lendlab.response.TRIAGE_CLASSES`).
    hypothesis : str
        The closest entry of :data:`lendlab.response.signatures.SIGNATURES`.
    faults_on : dict or None
        The body of ``POST /admin/faults`` that starts it (None: not a knob).
    segments : tuple of str
        The segments a data fault can be drawn for (empty: every application).
    cutoffs : tuple of float
        The cutoffs a threshold misconfiguration can be drawn from (empty: not one).
    broken_inputs : tuple of str
        The input columns it breaks (for the decision tree's cautions).
    story : str
        What happened, as the postmortem says it (``{segment}`` / ``{cutoff}`` filled in).
    """

    name: str
    kind: str
    heading: str
    hypothesis: str
    faults_on: Mapping[str, Any] | None = None
    segments: tuple[str, ...] = ()
    cutoffs: tuple[float, ...] = ()
    broken_inputs: tuple[str, ...] = ()
    story: str = ""


#: The pool the seed draws from.
INCIDENTS: dict[str, IncidentSpec] = {
    s.name: s
    for s in (
        IncidentSpec(
            "bureau_outage",
            "technical",
            "data",
            "bureau_outage",
            faults_on={"bureau": {"outage": True}},
            broken_inputs=("fico", "inquiries_6m", "revol_util", "delinq_2y", "open_accounts"),
            story="The credit bureau's gateway refused every connection (a failed certificate "
            "rotation on the vendor's side); every application fell back to manual review.",
        ),
        IncidentSpec(
            "bureau_timeouts",
            "technical",
            "data",
            "bureau_outage",
            faults_on={"bureau": {"latency_median_ms": 100.0, "latency_p99_ms": 400.0}},
            broken_inputs=("fico", "inquiries_6m", "revol_util", "delinq_2y", "open_accounts"),
            story="The bureau's answers slowed to a median at the service's 100 ms timeout (a "
            "vendor database failover): about half of the calls timed out and fell back.",
        ),
        IncidentSpec(
            "verification_outage",
            "technical",
            "data",
            "verification_feed_gap",
            faults_on={"income_verification": {"outage": True}},
            broken_inputs=("income_verification", "verified_income"),
            story="The income-verification vendor's API went down (an expired API key after a "
            "contract renewal); every application fell back to manual review.",
        ),
        IncidentSpec(
            "income_units",
            "behavioural",
            "data",
            "income_monthly_as_annual",
            segments=("returning", "thin_file"),
            broken_inputs=("annual_income", "dti"),
            story="A release of the {segment} applications' intake sent monthly income in the "
            "annual_income field: income 12x too small, DTI 12x too big, and the {segment} "
            "approvals collapsed. Nothing failed: the fallback page was the unrelated blip.",
        ),
        IncidentSpec(
            "cutoff_misconfiguration",
            "behavioural",
            "threshold",
            "threshold_misconfiguration",
            cutoffs=(0.08, 0.12, 0.30, 0.35),
            story="A risk-strategy change meant for the staging service set the production PD "
            "cutoff to {cutoff} through POST /admin/cutoff (the signed-off cutoff is 0.20). "
            "Nothing failed: the fallback page was the unrelated blip.",
        ),
    )
}
#: The incident names, in the order the seed draws from.
KINDS: tuple[str, ...] = tuple(INCIDENTS)


@dataclass(frozen=True)
class SealedIncident:
    """The sealed truth of one game day (read it after answering; the checks do).

    Attributes
    ----------
    name, kind, heading, hypothesis : str
        As in :class:`IncidentSpec`.
    segment : str or None
        The segment a data fault hit (None: every application).
    cutoff : float or None
        The misconfigured cutoff (None: not a threshold incident).
    story : str
        The postmortem's sentence.
    time_scale : float
        The game day's clock.
    start, end : Timestamp or None
        When the incident started and ended (UTC wall clock; set by :func:`play` or
        :func:`simulate_log`).
    events : tuple of dict
        Every timed change of the run (admin calls and data-fault edges), with when it applied.
    """

    name: str
    kind: str
    heading: str
    hypothesis: str
    segment: str | None
    cutoff: float | None
    story: str
    time_scale: float = 1.0
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    events: tuple[Mapping[str, Any], ...] = ()

    @property
    def spec(self) -> IncidentSpec:
        """The pool entry it was drawn from."""
        return INCIDENTS[self.name]

    @property
    def noise(self) -> str:
        """The dependency of the game day's noise: a short, unrelated error blip after the
        incident (the bureau, or income verification when the incident is the bureau's)."""
        return "income_verification" if self.name.startswith("bureau") else "bureau"

    def __repr__(self) -> str:  # sealed: printing it must not give the answers away
        return "SealedIncident(<sealed: read .name, .kind, .start ... after answering>)"


def _seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed={seed!r} must be a non-negative whole number, e.g. 2026")
    return int(seed)


def _scale(time_scale: Any) -> float:
    if isinstance(time_scale, bool) or not isinstance(time_scale, int | float):
        raise TypeError(f"time_scale={time_scale!r} must be a number, e.g. 1.0")
    if not 0.3 <= float(time_scale) <= 3.0:
        raise ValueError(f"time_scale={time_scale!r} must lie in [0.3, 3] (1.0: twelve seconds)")
    return float(time_scale)


def draw_incident(seed: int, *, time_scale: float = 1.0) -> SealedIncident:
    """The seed's incident, sealed (no times yet: :func:`play` sets them).

    Examples
    --------
    >>> sealed = draw_incident(3)
    >>> sealed
    SealedIncident(<sealed: read .name, .kind, .start ... after answering>)
    >>> sealed.name in INCIDENTS, sealed.kind in ("technical", "behavioural")
    (True, True)
    """
    rng = np.random.default_rng([_seed(seed), 10])
    spec = INCIDENTS[KINDS[int(rng.integers(0, len(KINDS)))]]
    segment = str(rng.choice(spec.segments)) if spec.segments else None
    cutoff = float(rng.choice(spec.cutoffs)) if spec.cutoffs else None
    story = spec.story.format(segment=segment, cutoff=cutoff)
    return SealedIncident(
        spec.name,
        spec.kind,
        spec.heading,
        spec.hypothesis,
        segment,
        cutoff,
        story,
        _scale(time_scale),
    )


#: The fix ETAs the briefing can announce (hours), drawn independently of the incident.
_ETAS = (3, 6, 36, 48)


def ops(seed: int) -> dict[str, Any]:
    """The operations numbers of the shift (public: the on-call knows them).

    Production volume, the manual-review team's capacity on shift and the owning team's
    estimate of the fix, drawn from the seed independently of the incident.

    Examples
    --------
    >>> sorted(ops(1))
    ['arrivals_per_hour', 'fix_eta_hours', 'last_good_model', 'review_capacity_per_hour']
    """
    rng = np.random.default_rng([_seed(seed), 1010])
    return {
        "arrivals_per_hour": 420,
        "review_capacity_per_hour": 120,
        "fix_eta_hours": int(rng.choice(_ETAS)),
        "last_good_model": True,
    }


def phase_times(time_scale: float = 1.0) -> dict[str, float]:
    """Seconds after the first scheduled request: incident start/end, blip, total.

    Examples
    --------
    >>> phase_times()
    {'start_s': 3.5, 'end_s': 8.0, 'blip_on_s': 9.5, 'blip_off_s': 11.5, 'total_s': 12.0}
    """
    k = _scale(time_scale)
    s = SETTINGS
    start = s["baseline_s"] * k
    end = start + s["incident_s"] * k
    blip = end + s["blip_after_s"] * k
    return {
        "start_s": round(start, 6),
        "end_s": round(end, 6),
        "blip_on_s": round(blip, 6),
        "blip_off_s": round(blip + s["blip_s"] * k, 6),
        "total_s": round(end + s["recovery_s"] * k, 6),
    }


def _n_default(time_scale: float) -> int:
    return int(round(SETTINGS["rate"] * phase_times(time_scale)["total_s"]))


# --------------------------------------------------------------------------- the requests


def source_records(*, seed: int, n: int) -> pd.DataFrame:
    """The applications of the game day as the applicants and the upstream systems hold them.

    ``world.generate(n, seed=seed)`` in a seeded random order (so every phase draws from the
    whole year), with :data:`SETTINGS` ``id_offset`` added to the ids. Row ``i`` is the
    request sent at ``i / rate`` seconds.

    Examples
    --------
    >>> book = source_records(seed=1, n=300)
    >>> len(book), bool(book["application_id"].min() > SETTINGS["id_offset"])
    (300, True)
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 200:
        raise ValueError(f"n={n!r} must be a whole number of requests >= 200, e.g. 1800")
    book = world.generate(int(n), seed=_seed(seed))
    order = np.random.default_rng([_seed(seed), 1011]).permutation(len(book))
    book = book.iloc[order].reset_index(drop=True)
    book["application_id"] = book["application_id"].to_numpy(dtype=np.int64) + int(
        SETTINGS["id_offset"]
    )
    return book


@dataclass(frozen=True)
class _Plan:
    bodies: list[bytes]
    scheduled_s: np.ndarray
    broken: np.ndarray  # request i carries the data fault
    book: pd.DataFrame  # the requests as sent (data fault applied)
    events: tuple[dict[str, Any], ...]  # at_s, path, body, role, note
    rate: float


def _events(sealed: SealedIncident, times: Mapping[str, float]) -> list[dict[str, Any]]:
    spec = sealed.spec
    ev: list[dict[str, Any]] = [
        {"at_s": 0.0, "path": "/admin/faults", "body": {"reset": True}, "role": "reset",
         "note": "healthy knobs"},
    ]  # fmt: skip
    start, end = times["start_s"], times["end_s"]
    if spec.faults_on is not None:
        ev.append({"at_s": start, "path": "/admin/faults", "body": json.loads(
            json.dumps(spec.faults_on)), "role": "on", "note": "incident on"})  # fmt: skip
        ev.append({"at_s": end, "path": "/admin/faults", "body": {"reset": True}, "role": "off",
                   "note": "incident off"})  # fmt: skip
    elif sealed.cutoff is not None:
        ev.append({"at_s": start, "path": "/admin/cutoff", "body": {"cutoff": sealed.cutoff},
                   "role": "on", "note": "incident on"})  # fmt: skip
        ev.append({"at_s": end, "path": "/admin/cutoff", "body": {"cutoff": SETTINGS["cutoff"]},
                   "role": "off", "note": "incident off"})  # fmt: skip
    else:  # a data fault: no call, the requests themselves are broken
        ev.append({"at_s": start, "path": None, "body": None, "role": "on",
                   "note": "incident on"})  # fmt: skip
        ev.append({"at_s": end, "path": None, "body": None, "role": "off",
                   "note": "incident off"})  # fmt: skip
    blip = {sealed.noise: {"error_rate": SETTINGS["blip_error_rate"]}}
    ev.append({"at_s": times["blip_on_s"], "path": "/admin/faults", "body": blip,
               "role": "blip_on", "note": f"{sealed.noise} blip on"})  # fmt: skip
    ev.append({"at_s": times["blip_off_s"], "path": "/admin/faults", "body": {"reset": True},
               "role": "blip_off", "note": f"{sealed.noise} blip off"})  # fmt: skip
    return sorted(ev, key=lambda e: e["at_s"])


def _plan(sealed: SealedIncident, *, seed: int, n: int) -> _Plan:
    from lendlab.serving.schemas import requests_from_frame
    from lendlab.world import faults

    times = phase_times(sealed.time_scale)
    rate = n / times["total_s"]
    book = source_records(seed=seed, n=n)
    scheduled = np.arange(n, dtype=float) / rate
    broken = np.zeros(n, dtype=bool)
    if sealed.segment is not None:
        inside = (scheduled >= times["start_s"]) & (scheduled < times["end_s"])
        hit = inside & (book["segment"].astype(str) == sealed.segment).to_numpy()
        if hit.any():
            part = book[hit]
            bad, record = faults.inject(
                part,
                sealed.spec.hypothesis,
                start=part["applied_at"].min(),
                end=part["applied_at"].max() + pd.Timedelta(seconds=1),
                seed=_seed(seed),
            )
            book = pd.concat([book[~hit], bad[book.columns]]).loc[book.index]
            changed = set(int(a) for a in record.application_ids)
            broken = hit & book["application_id"].isin(changed).to_numpy()
    bodies = [json.dumps(b, separators=(",", ":")).encode() for b in requests_from_frame(book)]
    return _Plan(bodies, scheduled, broken, book, tuple(_events(sealed, times)), rate)


def repull(rows: pd.DataFrame, *, seed: int, n: int) -> pd.DataFrame:
    """``rows`` of the decision log with every input re-pulled from its source (after the fix).

    The inputs the model and the rules read come back as the applicants and the bureau
    really said (:func:`source_records`); the log's other columns stay. Rows are matched
    on ``application_id``; an id the game day never sent is an error.

    Examples
    --------
    >>> book = source_records(seed=1, n=300)
    >>> rows = book.head(3).assign(annual_income=1.0)
    >>> repull(rows, seed=1, n=300)["annual_income"].tolist() == book.head(3)[
    ...     "annual_income"].tolist()
    True
    """
    from lendlab.serving.store import SNAPSHOT_COLUMNS

    if not isinstance(rows, pd.DataFrame) or "application_id" not in rows.columns:
        raise TypeError("rows must be decision-log rows (a DataFrame with application_id)")
    truth = source_records(seed=seed, n=n).set_index("application_id")
    ids = rows["application_id"].to_numpy(dtype=np.int64)
    unknown = np.setdiff1d(ids, truth.index.to_numpy())
    if unknown.size:
        raise ValueError(
            f"{unknown.size} application id(s) were not sent by this game day (e.g. "
            f"{int(unknown[0])}); pass rows of its decision log with its seed and n"
        )
    out = rows.copy()
    for column in SNAPSHOT_COLUMNS:
        if column in truth.columns:
            values = truth.loc[ids, column].to_numpy()
            if column in out.columns and isinstance(out[column].dtype, pd.CategoricalDtype):
                out[column] = pd.Categorical(values, categories=out[column].cat.categories)
            else:
                out[column] = values
    return out


# --------------------------------------------------------------------------- Prometheus


def _duration(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def _rescale(text: str, time_scale: float) -> str:
    k = _scale(time_scale)
    win = {w: _duration(s * k) for w, s in WINDOWS_S.items()}
    secs = {w: f"{s * k:g}" for w, s in WINDOWS_S.items()}
    for old, new in GUARDS.items():
        if old in text:
            text = text.replace(old, new.format(**secs))
    out = []
    for line in text.splitlines():
        if line.strip().startswith("#"):
            out.append(line)
            continue
        line = re.sub(r"\[(5m|30m|1h|6h|1d|3d)\]", lambda m: f"[{win[m.group(1)]}]", line)
        line = re.sub(r"offset (30m|1h)\b", lambda m: f"offset {win[m.group(1)]}", line)
        line = re.sub(
            r"^(\s*)for: (2m|10m|15m|30m|1h)\s*$",
            lambda m: f"{m.group(1)}for: {_duration(FOR_S[m.group(2)] * k)}",
            line,
        )
        out.append(line)
    return "\n".join(out) + "\n"


def _drop_alerts(text: str, names: Sequence[str]) -> str:
    import yaml

    doc = yaml.safe_load(text)
    for group in doc["groups"]:
        group["rules"] = [r for r in group["rules"] if r.get("alert") not in names]
    return yaml.safe_dump(doc, sort_keys=False, width=1000)


def game_day_rules(folder: str | os.PathLike[str], *, time_scale: float = 1.0) -> list[Path]:
    """Write the rule files of :data:`ALERT_RULE_FILES` rescaled to the game day's clock.

    The expressions are the production ones: only range windows and offsets
    (:data:`WINDOWS_S`), ``for:`` (:data:`FOR_S`) and the volume guards (:data:`GUARDS`)
    change, and :data:`DROPPED_ALERTS` are left out. Returns the paths written.

    Examples
    --------
    >>> import tempfile
    >>> paths = game_day_rules(tempfile.mkdtemp())
    >>> [p.name for p in paths][:2]
    ['degraded_mode.yml', 'decisions.yml']
    >>> "[2s]" in paths[0].read_text() and "[5m]" not in paths[0].read_text()
    True
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in ALERT_RULE_FILES:
        source = _ROOT / "ops" / "prometheus" / "rules" / name
        if not source.is_file():
            raise FileNotFoundError(
                f"no rule file {source}; the game day reads ops/prometheus/rules of a lendlab "
                "checkout"
            )
        text = _drop_alerts(_rescale(source.read_text(encoding="utf-8"), time_scale),
                            DROPPED_ALERTS)  # fmt: skip
        path = out / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def alertmanager_config(*, time_scale: float = 1.0) -> dict[str, Any]:
    """``ops/alertmanager/alertmanager.yml`` with its group timers on the game day's clock.

    Examples
    --------
    >>> cfg = alertmanager_config()
    >>> cfg["route"]["group_wait"], [r["group_wait"] for r in cfg["route"]["routes"]]
    ('500ms', ['500ms', '500ms'])
    """
    import yaml

    k = _scale(time_scale)
    path = _ROOT / "ops" / "alertmanager" / "alertmanager.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    for route in [config["route"], *config["route"].get("routes", [])]:
        route["group_wait"] = _duration(GROUP_WAIT_S * k)
        route["group_interval"] = _duration(2 * GROUP_WAIT_S * k)
        route["repeat_interval"] = "1h"
    return config


def service_config(folder: str | os.PathLike[str], *, db: str | os.PathLike[str]) -> Path:
    """The game day's service configuration (generous timeouts); returns its path.

    Examples
    --------
    >>> import tempfile
    >>> json.loads(service_config(tempfile.mkdtemp(), db="d.db").read_text())["bureau"]
    {'timeout_ms': 100.0}
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "db": os.fspath(db),
        "cutoff": SETTINGS["cutoff"],
        "review_margin": SETTINGS["review_margin"],
        "request_budget_ms": SETTINGS["request_budget_ms"],
        "bureau": {"timeout_ms": SETTINGS["bureau_timeout_ms"]},
        "income_verification": {"timeout_ms": SETTINGS["bureau_timeout_ms"]},
    }
    path = folder / "service.json"
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return path


@dataclass
class GameDayStack:
    """What :func:`game_day_stack` started.

    Attributes
    ----------
    svc : RunningService
        The scoring service (``.url``, ``.headers()``).
    db, pages_path, model_dir : Path
        The decision log, the pager's JSONL file, the models the service serves.
    prometheus, alertmanager : object or None
        The real daemons, or None when not installed (then ``skip_reason`` says so).
    skip_reason : str or None
    time_scale : float
    token : str
    """

    svc: Any
    db: Path
    pages_path: Path
    model_dir: Path
    prometheus: Any
    alertmanager: Any
    skip_reason: str | None
    time_scale: float
    token: str


@contextlib.contextmanager
def game_day_stack(
    workdir: str | os.PathLike[str],
    *,
    token: str,
    time_scale: float = 1.0,
    prometheus: bool = True,
) -> Iterator[GameDayStack]:
    """The pager, Alertmanager, Prometheus (when installed) and the service, all on loopback.

    Prometheus scrapes the service every :data:`EVAL_S` seconds of the game clock and evaluates
    :func:`game_day_rules`; Alertmanager (:func:`alertmanager_config`) sends every page and
    ticket to :func:`lendlab.serving.running_pager`. Without the binaries (or with
    ``prometheus=False``) only the service runs and ``skip_reason`` says why. Everything is
    stopped when the block ends.
    """
    from lendlab import serving
    from lendlab.serving import prometheus_stack as ps
    from lendlab.serving.process import free_port

    k = _scale(time_scale)
    folder = Path(workdir)
    folder.mkdir(parents=True, exist_ok=True)
    db, pages, models = folder / "decisions.db", folder / "pages.jsonl", model_cache()
    config = service_config(folder, db=db)
    skip = None
    if not prometheus:
        skip = "Prometheus switched off for this run (prometheus=False)"
    elif ps.missing_binaries(["prometheus", "alertmanager"]):
        missing = ", ".join(ps.missing_binaries(["prometheus", "alertmanager"]))
        skip = f"{missing} not installed: {ps.INSTALL_HINT}"
    with contextlib.ExitStack() as stack:
        prom = am = None
        port = free_port()
        if skip is None:
            rules = game_day_rules(folder / "rules", time_scale=k)
            pager = stack.enter_context(serving.running_pager(pages))
            am = stack.enter_context(
                ps.running_alertmanager(alertmanager_config(time_scale=k), webhook_url=pager.url)
            )
            prom = stack.enter_context(
                ps.running_prometheus(
                    [f"http://127.0.0.1:{port}"],
                    rules,
                    alertmanager_url=am.url,
                    scrape_interval=_duration(EVAL_S * k),
                    evaluation_interval=_duration(EVAL_S * k),
                )
            )
        svc = stack.enter_context(
            serving.running(
                db=db,
                port=port,
                config=config,
                model_dir=models,
                admin_token=token,
                extra_args=["--seed", str(SETTINGS["model_seed"])],
            )
        )
        yield GameDayStack(svc, db, pages, models, prom, am, skip, k, token)


def model_cache() -> Path:
    """The service's models, trained once per machine (seed ``SETTINGS["model_seed"]``).

    ``<tmp>/lendlab-week10-models-<seed>``: trained into a private folder and renamed into
    place, so two runs at once never read a half-written registry. About two seconds the
    first time, nothing afterwards.

    Examples
    --------
    >>> model_cache().name  # doctest: +SKIP
    'lendlab-week10-models-2025'
    """
    from lendlab.serving.registry import ALIASES_FILE, ModelRegistry, train_models

    folder = Path(tempfile.gettempdir()) / f"lendlab-week10-models-{SETTINGS['model_seed']}"
    if (folder / ALIASES_FILE).is_file():
        try:
            ModelRegistry.load(folder)
            return folder
        except (OSError, ValueError, KeyError):  # damaged: train again
            shutil.rmtree(folder, ignore_errors=True)
    private = Path(tempfile.mkdtemp(prefix=folder.name + "-", dir=folder.parent))
    train_models(private, seed=SETTINGS["model_seed"])
    try:
        os.rename(private, folder)
    except OSError:  # another run got there first: use its folder
        shutil.rmtree(private, ignore_errors=True)
    return folder


def load_champion(model_dir: str | os.PathLike[str]) -> Any:
    """The champion the service serves (trains it into ``model_dir`` first when empty).

    Examples
    --------
    >>> import tempfile  # doctest: +SKIP
    >>> load_champion(tempfile.mkdtemp()).version  # doctest: +SKIP
    'scorecard-2025.1'
    """
    from lendlab.serving.registry import ModelRegistry

    registry = ModelRegistry.load_or_train(model_dir, seed=SETTINGS["model_seed"])
    return registry.resolve("champion").model


# --------------------------------------------------------------------------- playing it


@dataclass
class GameDayRun:
    """What :func:`play` sent (the client's view; the truth is in the sealed incident).

    Attributes
    ----------
    requests : pandas.DataFrame
        One row per request: ``application_id``, ``scheduled_s``, ``sent_at`` (UTC),
        ``status`` (NA without an answer), ``error``, ``latency_ms``.
    t0 : Timestamp
        When the first request was due (UTC).
    seed, n : int
        The traffic: :func:`source_records` ``(seed=seed, n=n)``.
    rate, time_scale : float
    """

    requests: pd.DataFrame
    t0: pd.Timestamp
    seed: int
    n: int
    rate: float
    time_scale: float

    def summary(self) -> str:
        """One line: requests sent, answered, errors, client p99."""
        r = self.requests
        ok = int((r["status"] == 200).sum())
        p99 = float(np.nanpercentile(r["latency_ms"], 99)) if ok else math.nan
        return (
            f"{len(r)} requests at {self.rate:g}/s from {self.t0:%H:%M:%S} UTC: {ok} answered "
            f"200, {int(r['error'].notna().sum())} errors, client p99 {p99:.0f} ms"
        )


async def _send(url: str, plan: _Plan, token: str, timeout: float) -> dict[str, Any]:
    import httpx

    n = len(plan.bodies)
    sent = np.full(n, np.nan)
    done = np.full(n, np.nan)
    status: list[int | None] = [None] * n
    error: list[str | None] = [None] * n
    applied: list[dict[str, Any]] = []
    limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
    shards = [httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) for _ in range(8)]
    admin = httpx.AsyncClient(base_url=url, timeout=5.0)
    headers = {"content-type": "application/json"}
    auth = {"Authorization": f"Bearer {token}"}

    async def one(i: int, t0: float) -> None:
        sent[i] = time.perf_counter() - t0
        try:
            r = await shards[i % len(shards)].post(
                "/v1/decisions", content=plan.bodies[i], headers=headers
            )
            status[i] = r.status_code
            if r.status_code != 200:
                error[i] = f"http_{r.status_code}"
        except Exception as exc:  # noqa: BLE001 - every failure is counted
            error[i] = type(exc).__name__
        done[i] = time.perf_counter() - t0

    async def steps(t0: float, wall0: float) -> None:
        for ev in plan.events:
            delay = t0 + ev["at_s"] - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            code = None
            if ev["path"] is not None:
                r = await admin.post(ev["path"], json=ev["body"], headers=auth)
                code = r.status_code
            at = wall0 + (time.perf_counter() - t0)
            applied.append({**ev, "applied_at": pd.Timestamp(at, unit="s", tz="UTC"),
                            "status": code})  # fmt: skip

    try:
        with contextlib.suppress(Exception):
            await shards[0].get("/healthz")
        t0 = time.perf_counter() + 0.2
        wall0 = time.time() + 0.2
        step_task = asyncio.create_task(steps(t0, wall0))
        tasks = set()
        for i in range(n):
            delay = t0 + plan.scheduled_s[i] - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(i, t0))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(set(tasks), timeout=timeout + 1.0)
        await asyncio.wait_for(step_task, timeout=10.0)
    finally:
        for client in [*shards, admin]:
            await client.aclose()
    return {"sent": sent, "done": done, "status": status, "error": error, "t0": wall0,
            "events": applied}  # fmt: skip


def _truth_times(
    sealed: SealedIncident, events: Sequence[Mapping[str, Any]], t0: pd.Timestamp
) -> SealedIncident:
    on = next(e for e in events if e["role"] == "on")
    off = next(e for e in events if e["role"] == "off")
    if sealed.segment is not None:  # a data fault: its edges are the schedule's
        start = t0 + pd.Timedelta(seconds=on["at_s"])
        end = t0 + pd.Timedelta(seconds=off["at_s"])
    else:
        start, end = on["applied_at"], off["applied_at"]
    return dataclasses.replace(sealed, start=start, end=end, events=tuple(events))


def play(
    stack: GameDayStack,
    sealed: SealedIncident,
    *,
    seed: int,
    rate: float = SETTINGS["rate"],
    timeout: float = 2.0,
) -> tuple[GameDayRun, SealedIncident]:
    """Send the game day's traffic to the live service and play the sealed incident.

    Requests go open-loop (request ``i`` at ``i / rate`` s, whatever the others did); the
    incident's admin calls (and the red herring's) are made at their times on the game
    day's clock. Returns the client's record and the sealed incident with its times set.
    """
    if not isinstance(sealed, SealedIncident):
        raise TypeError("sealed must be draw_incident(seed)")
    if sealed.time_scale != stack.time_scale:
        raise ValueError("the stack and the incident must share one time_scale")
    n = int(round(float(rate) * phase_times(sealed.time_scale)["total_s"]))
    plan = _plan(sealed, seed=seed, n=n)
    out = run_coroutine(_send(stack.svc.url, plan, stack.token, timeout))
    bad = [e for e in out["events"] if e["status"] not in (None, 200)]
    if bad:
        raise RuntimeError(f"an admin call of the game day failed: {bad[0]['path']} "
                           f"answered {bad[0]['status']}")  # fmt: skip
    t0 = pd.Timestamp(out["t0"], unit="s", tz="UTC")
    requests = pd.DataFrame(
        {
            "application_id": plan.book["application_id"].to_numpy(dtype=np.int64),
            "scheduled_s": plan.scheduled_s,
            "sent_at": t0 + pd.to_timedelta(out["sent"], unit="s"),
            "status": pd.array(out["status"], dtype="Int64"),
            "error": pd.array(out["error"], dtype="object"),
            "latency_ms": (out["done"] - plan.scheduled_s) * 1000.0,
        }
    )
    run = GameDayRun(requests, t0, _seed(seed), n, float(plan.rate), sealed.time_scale)
    return run, _truth_times(sealed, out["events"], t0)


def settle(stack: GameDayStack, sealed: SealedIncident, *, timeout_s: float = 2.0) -> float:
    """Wait for the game day's last page (the noise's), at most ``timeout_s``; the seconds waited.

    Returns at once without Prometheus. Otherwise polls the pager's file until the fallback
    page of the noise's dependency has arrived (then a short grace for its group), so the
    lab does not sleep longer than the pages need.
    """
    from lendlab.serving.pager import read_pages

    started = time.monotonic()
    if stack.prometheus is None:
        return 0.0
    deadline = started + float(timeout_s) * stack.time_scale
    while time.monotonic() < deadline:
        for record in read_pages(stack.pages_path):
            for alert in (record.get("notification") or {}).get("alerts") or []:
                labels = alert.get("labels") or {}
                if (
                    labels.get("alertname") == "LendlabFallbackRateHigh"
                    and labels.get("dependency") == sealed.noise
                ):
                    time.sleep(0.2 * stack.time_scale)
                    return time.monotonic() - started
        time.sleep(0.1)
    return time.monotonic() - started


# --------------------------------------------------------------------------- the pages


PAGE_COLUMNS: tuple[str, ...] = (
    "received_at",
    "status",
    "alertname",
    "severity",
    "dependency",
    "segment",
    "starts_at",
    "ends_at",
    "summary",
    "source",
)


def _ts(value: Any) -> pd.Timestamp:
    if not value or str(value).startswith("0001-"):
        return pd.NaT
    return pd.Timestamp(value).tz_convert("UTC")


def page_timeline(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The pager's records (:func:`lendlab.serving.read_pages`) as one row per alert.

    Columns :data:`PAGE_COLUMNS`, oldest first; ``source`` is ``"alertmanager"``.

    Examples
    --------
    >>> page_timeline([{"received_at": "2026-01-01T00:00:05+00:00", "path": "/pages",
    ...     "notification": {"status": "firing", "alerts": [{"status": "firing",
    ...     "labels": {"alertname": "LendlabFallbackRateHigh", "severity": "page",
    ...     "dependency": "bureau"}, "startsAt": "2026-01-01T00:00:04Z"}]}}])[
    ...     ["status", "alertname", "dependency"]]
       status                alertname dependency
    0  firing  LendlabFallbackRateHigh     bureau
    """
    rows = []
    for record in records:
        note = record.get("notification") or {}
        for alert in note.get("alerts") or []:
            labels = alert.get("labels") or {}
            rows.append(
                {
                    "received_at": _ts(record.get("received_at")),
                    "status": alert.get("status", note.get("status")),
                    "alertname": labels.get("alertname"),
                    "severity": labels.get("severity"),
                    "dependency": labels.get("dependency"),
                    "segment": labels.get("segment"),
                    "starts_at": _ts(alert.get("startsAt")),
                    "ends_at": _ts(alert.get("endsAt")),
                    "summary": (alert.get("annotations") or {}).get("summary"),
                    "source": "alertmanager",
                }
            )
    frame = pd.DataFrame(rows, columns=list(PAGE_COLUMNS))
    for c in ("received_at", "starts_at", "ends_at"):
        frame[c] = pd.to_datetime(frame[c], utc=True)
    return frame.sort_values(["received_at", "alertname"], kind="stable").reset_index(drop=True)


def _failed(log: pd.DataFrame, dependency: str) -> np.ndarray:
    col = log["failed_dependencies"].astype("string").fillna("")
    return col.str.contains(dependency, regex=False).to_numpy(dtype=bool)


def alert_timeline(log: pd.DataFrame, *, time_scale: float = 1.0) -> pd.DataFrame:
    """The game day's pages, from the rules evaluated on the decision log (no Prometheus).

    The game-day versions of ``LendlabFallbackRateHigh`` (per dependency) and
    ``LendlabApprovalRateDrop`` (per segment), evaluated every :data:`EVAL_S` seconds of the
    game day's clock from the log's ``received_at`` on the windows of
    :data:`WINDOWS_S`, with their ``for:`` (:data:`FOR_S`); a page is received one group wait
    after its alert fires (resolved: after it stops). While the fallback page fires, the
    approval-rate drop is held back (the Alertmanager inhibit rule). Columns
    :data:`PAGE_COLUMNS`; ``source`` is ``"rules on the decision log"``.
    """
    k = _scale(time_scale)
    need = {"received_at", "decision", "segment", "failed_dependencies"}
    if not isinstance(log, pd.DataFrame) or need - set(log.columns):
        raise ValueError(f"log must be the game day's decision log with columns {sorted(need)}")
    t = (log["received_at"] - log["received_at"].min()).dt.total_seconds().to_numpy()
    origin = log["received_at"].min()
    step = EVAL_S * k
    times = np.arange(step, t.max() + 8 * step, step)
    order = np.argsort(t, kind="stable")
    ts = t[order]

    def counts(mask: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        c = np.concatenate([[0], np.cumsum(mask[order])])
        return c[np.searchsorted(ts, hi, "right")] - c[np.searchsorted(ts, lo, "right")]

    everyone = np.ones(len(log), dtype=bool)
    w5, w1h, w1d = (WINDOWS_S[w] * k for w in ("5m", "1h", "1d"))
    conditions: dict[tuple[str, str, str], np.ndarray] = {}
    n5 = counts(everyone, times - w5, times)
    for dep in ("bureau", "income_verification"):
        f5 = counts(_failed(log, dep), times - w5, times)
        with np.errstate(invalid="ignore", divide="ignore"):
            cond = (f5 / np.maximum(n5, 1) > 0.05) & (n5 >= 50)
        conditions[("LendlabFallbackRateHigh", "dependency", dep)] = cond
    approved = (log["decision"].astype(str) == "approve").to_numpy()
    for seg in sorted(set(log["segment"].astype(str))):
        in_seg = (log["segment"].astype(str) == seg).to_numpy()
        n_now = counts(in_seg, times - w1h, times)
        a_now = counts(in_seg & approved, times - w1h, times)
        n_base = counts(in_seg, times - w1h - w1d, times - w1h)
        a_base = counts(in_seg & approved, times - w1h - w1d, times - w1h)
        with np.errstate(invalid="ignore", divide="ignore"):
            p_now = a_now / n_now
            p_base = a_base / n_base
            z = (p_base - p_now) / np.sqrt(p_base * (1 - p_base) / n_now)
        cond = (p_base - p_now >= 0.10) & (z > 4) & (n_now >= 40) & (n_base >= 40)
        conditions[("LendlabApprovalRateDrop", "segment", seg)] = np.nan_to_num(cond) > 0
    hold = {"LendlabFallbackRateHigh": FOR_S["2m"], "LendlabApprovalRateDrop": FOR_S["10m"]}
    wait = GROUP_WAIT_S * k
    fallback_firing = np.zeros(len(times), dtype=bool)
    firing_of: dict[tuple[str, str, str], np.ndarray] = {}
    for key, cond in conditions.items():
        since = None
        firing = np.zeros(len(times), dtype=bool)
        for i, (now, true) in enumerate(zip(times, cond, strict=True)):
            if not true:
                since = None
                continue
            since = now if since is None else since
            firing[i] = now - since >= hold[key[0]] * k - 1e-9
        firing_of[key] = firing
        if key[0] == "LendlabFallbackRateHigh":
            fallback_firing |= firing
    rows = []
    for (name, label, value), firing in firing_of.items():
        sendable = firing & ~fallback_firing if name == "LendlabApprovalRateDrop" else firing
        i = 0
        while i < len(times):
            if not firing[i]:
                i += 1
                continue
            j = i
            while j < len(times) and firing[j]:
                j += 1
            sent = np.flatnonzero(sendable[i:j])
            if sent.size:
                fired = origin + pd.Timedelta(seconds=float(times[i]))
                first = origin + pd.Timedelta(seconds=float(times[i + sent[0]]) + wait)
                row = {"alertname": name, "severity": "page", "dependency": None,
                       "segment": None, "starts_at": fired, "summary": None,
                       "source": "rules on the decision log"}  # fmt: skip
                if label:
                    row[label] = value
                rows.append({**row, "received_at": first, "status": "firing", "ends_at": pd.NaT})
                if j < len(times):
                    stop = origin + pd.Timedelta(seconds=float(times[j]))
                    rows.append({**row, "received_at": stop + pd.Timedelta(seconds=2 * wait),
                                 "status": "resolved", "ends_at": stop})  # fmt: skip
            i = j
    frame = pd.DataFrame(rows, columns=list(PAGE_COLUMNS))
    for c in ("received_at", "starts_at", "ends_at"):
        frame[c] = pd.to_datetime(frame[c], utc=True)
    return frame.sort_values(["received_at", "alertname"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- no service


def simulate_log(
    sealed: SealedIncident, *, seed: int, n: int, champion: Any, t0: Any = "2026-03-05T02:10Z"
) -> tuple[pd.DataFrame, SealedIncident]:
    """The game day drawn without a service: a decision log with the service's columns.

    The same requests as :func:`play` (data faults included), each decided as the service
    does (knock-out rules, the champion's PD against the cutoff in force and the review
    band); a failed dependency (the outage, about half of the calls in the timeout spike,
    60 % in the red herring's blip) sends the application to manual review with that
    dependency's fields missing. ``received_at`` is ``t0`` plus the scheduled time plus a
    millisecond or two (the arrival: the service stamps it before calling the dependencies).
    Returns the log (as :func:`lendlab.serving.read_decisions` would) and the sealed incident
    with its times.
    """
    from lendlab.models import model_scaling, pd_to_score
    from lendlab.response import redecide_with_model
    from lendlab.serving.dependencies import RETURNS

    if not isinstance(sealed, SealedIncident):
        raise TypeError("sealed must be draw_incident(seed)")
    plan = _plan(sealed, seed=seed, n=int(n))
    rng = np.random.default_rng([_seed(seed), 1012])
    origin = pd.Timestamp(t0)
    origin = origin.tz_localize("UTC") if origin.tzinfo is None else origin.tz_convert("UTC")
    times = phase_times(sealed.time_scale)
    s = plan.scheduled_s
    during = (s >= times["start_s"]) & (s < times["end_s"])
    blip = (s >= times["blip_on_s"]) & (s < times["blip_off_s"])
    spec = sealed.spec
    failed = {dep: np.zeros(len(s), dtype=bool) for dep in RETURNS}
    if spec.name == "bureau_outage":
        failed["bureau"] |= during
    elif spec.name == "verification_outage":
        failed["income_verification"] |= during
    elif spec.name == "bureau_timeouts":
        failed["bureau"] |= during & (rng.random(len(s)) < 0.5)
    failed[sealed.noise] |= blip & (rng.random(len(s)) < SETTINGS["blip_error_rate"])
    book = plan.book.copy()
    cutoff = np.full(len(s), SETTINGS["cutoff"])
    if sealed.cutoff is not None:
        cutoff[during] = sealed.cutoff
    decision = pd.Series("review", index=book.index, dtype=object)
    for c in np.unique(cutoff):
        rows = cutoff == c
        decision[rows] = redecide_with_model(
            book[rows], champion, cutoff=float(c), review_margin=SETTINGS["review_margin"]
        ).to_numpy()
    p = np.asarray(champion.predict_pd(book), dtype=float)
    score = np.rint(pd_to_score(np.clip(p, 1e-6, 1 - 1e-6), **model_scaling(champion)))
    any_failed = failed["bureau"] | failed["income_verification"]
    for dep, mask in failed.items():
        for col in RETURNS[dep]:
            if col in book.columns:
                book[col] = book[col].astype(object).where(~mask, None)
                if col != "income_verification":
                    book[col] = pd.to_numeric(book[col])
    decision[any_failed] = "review"
    names = np.array(["bureau", "income_verification"])
    which = [",".join(names[[failed["bureau"][i], failed["income_verification"][i]]]) or None
             for i in range(len(s))]  # fmt: skip
    latency = rng.lognormal(np.log(6.0), 0.5, len(s))
    if spec.name == "bureau_timeouts":
        latency[during] += np.where(failed["bureau"][during], 100.0, 60.0)
    arrival_ms = rng.uniform(0.5, 2.0, len(s))  # the network; received_at is the arrival
    received = origin + pd.to_timedelta(s + arrival_ms / 1000.0, unit="s")
    log = book.assign(
        model_version=np.where(any_failed, "manual-review", getattr(champion, "version", "")),
        pd=np.where(any_failed, np.nan, np.round(p, 6)),
        score=pd.array(np.where(any_failed, np.nan, score), dtype="Int64"),
        decision=decision.to_numpy(),
        received_at=received,
        active_model=getattr(champion, "version", ""),
        model_sha256="sim-" + str(getattr(champion, "version", "")),
        fallback=np.where(any_failed, "manual_review", None),
        failed_dependencies=which,
        duration_ms=np.round(latency, 3),
        arm="primary",
    )
    log = log.sort_values("received_at", kind="stable").reset_index(drop=True)
    events = [
        {**e, "applied_at": origin + pd.Timedelta(seconds=e["at_s"]), "status": 200}
        for e in plan.events
    ]
    return log, _truth_times(sealed, events, origin)


def write_log(log: pd.DataFrame, db: str | os.PathLike[str]) -> Path:
    """Write a (simulated) decision log to a SQLite decision store, as the service would.

    Examples
    --------
    >>> import tempfile  # doctest: +SKIP
    >>> write_log(log, Path(tempfile.mkdtemp()) / "d.db")  # doctest: +SKIP
    """
    from lendlab.serving.store import DECISION_COLUMNS, DecisionStore

    store = DecisionStore(db)
    try:
        futures = []
        for i, row in enumerate(log.to_dict(orient="records")):
            clean = {}
            for key, value in row.items():
                if key not in DECISION_COLUMNS:
                    continue
                if isinstance(value, pd.Timestamp):
                    value = value.isoformat()
                elif value is pd.NA or (isinstance(value, float) and math.isnan(value)):
                    value = None
                elif isinstance(value, np.generic):
                    value = value.item()
                clean[key] = value
            clean.setdefault("request_id", f"sim-{i}")
            futures.append(store.submit_decision(clean))
        for fut in futures:
            fut.result(timeout=30)
    finally:
        store.close()
    return Path(db)


# --------------------------------------------------------------------------- the truth


def truth_windows(log: pd.DataFrame, sealed: SealedIncident) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(baseline, incident): the log's rows in the incident's window and in as long a window
    just before it, on the decision time (for the checks: reads the sealed record)."""
    from lendlab.response import decision_window

    if sealed.start is None or sealed.end is None:
        raise ValueError("the sealed incident has no times yet: play(...) or simulate_log(...)")
    length = sealed.end - sealed.start
    incident = decision_window(log, sealed.start, sealed.end)
    baseline = decision_window(log, sealed.start - length, sealed.start)
    return baseline, incident


def truth_redecisions(
    log: pd.DataFrame, sealed: SealedIncident, *, seed: int, n: int, champion: Any
) -> pd.DataFrame:
    """The re-decision list of the incident's window: its decisions re-made on re-pulled
    inputs with the signed-off cutoff, kept where they change (for the checks)."""
    from lendlab.response import redecide_with_model, redecision_list

    _, incident = truth_windows(log, sealed)
    fixed = repull(incident, seed=seed, n=n)
    new = redecide_with_model(
        fixed, champion, cutoff=SETTINGS["cutoff"], review_margin=SETTINGS["review_margin"]
    )
    return redecision_list(incident, new.to_numpy(), basis="re-pulled inputs, cutoff 0.20")


def truth_plan(
    log: pd.DataFrame,
    sealed: SealedIncident,
    ops: Mapping[str, Any],
    *,
    seed: int,
    n: int,
    champion: Any,
) -> Any:
    """The decision tree's plan for the true incident (for the checks and the reveal).

    :func:`lendlab.response.decide_response` with the sealed heading, the harm measured on
    the affected segments (the true baseline and incident windows), the shift's operations
    numbers (:func:`ops`) and the notice clock of the decisions to re-decide.
    """
    from lendlab.response import decide_response, impact_summary

    baseline, incident = truth_windows(log, sealed)
    redo = truth_redecisions(log, sealed, seed=seed, n=n, champion=champion)
    segments = set(redo["segment"].astype(str))
    impact = impact_summary(
        baseline[baseline["segment"].astype(str).isin(segments)],
        incident[incident["segment"].astype(str).isin(segments)],
    )
    return decide_response(
        sealed.heading,
        impact,
        last_good_model=bool(ops["last_good_model"]),
        review_capacity_per_hour=ops["review_capacity_per_hour"],
        arrivals_per_hour=ops["arrivals_per_hour"],
        hours=int(ops["fix_eta_hours"]),
        infrastructure=sealed.kind == "technical",
        completed_at=list(redo["received_at"]),
        broken_inputs=sealed.spec.broken_inputs,
    )


_CHAMPIONS: dict[str, Any] = {}


def _cached_champion() -> Any:
    if "champion" not in _CHAMPIONS:
        _CHAMPIONS["champion"] = load_champion(model_cache())
    return _CHAMPIONS["champion"]


def build_context(
    *, seed: int = 2026, n: int = 1_800, workdir: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """What the lab binds, from :func:`simulate_log` (the tests' stand-in for the live run).

    Writes the simulated log to a decision store in ``workdir`` (default a new temporary
    folder), builds the evidence bundle over the true window with the true re-decision list
    (re-pulled inputs, the signed-off cutoff: :func:`truth_redecisions`), and a tampered copy
    with one byte of ``decisions.jsonl`` flipped, as the lab's last part does.

    Examples
    --------
    >>> ctx = build_context(seed=3, n=600)  # doctest: +SKIP
    >>> sorted(ctx)[:4]  # doctest: +SKIP
    ['bundle', 'champion', 'checkpoint', 'cutoff']
    """
    from lendlab.response import redecide_with_model, write_bundle

    seed = _seed(seed)
    champion = _cached_champion()
    sealed = draw_incident(seed)
    log, sealed = simulate_log(sealed, seed=seed, n=int(n), champion=champion)
    folder = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="w10-"))
    db = write_log(log, folder / "decisions.db")
    bundle, checkpoint = folder / "bundle", folder / "bundle.checkpoint.json"

    def fixed(rows: pd.DataFrame) -> pd.Series:
        return redecide_with_model(
            repull(rows, seed=seed, n=int(n)),
            champion,
            cutoff=SETTINGS["cutoff"],
            review_margin=SETTINGS["review_margin"],
        )

    write_bundle(
        db,
        sealed.start,
        sealed.end,
        bundle,
        checkpoint=checkpoint,
        redecide=fixed,
        redecide_basis="re-pulled inputs, cutoff 0.20",
    )
    tampered = folder / "bundle-tampered"
    shutil.copytree(bundle, tampered)
    target = tampered / "decisions.jsonl"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    from lendlab.serving import read_decisions

    return {
        "log": read_decisions(db),
        "pages": alert_timeline(log),
        "sealed": sealed,
        "ops": ops(seed),
        "champion": champion,
        "seed": seed,
        "n": int(n),
        "bundle": bundle,
        "checkpoint": checkpoint,
        "tampered": tampered,
        **CHECK_SETTINGS,
    }
