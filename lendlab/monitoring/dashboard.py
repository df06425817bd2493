"""The loan-decision drift dashboard (week 7): one decision log, three views of it.

From a decision log (the service's ``decisions`` table, :func:`lendlab.serving.read_decisions`,
or :func:`lendlab.monitoring.decision_log`; one row per decision with ``applied_at``,
``decision``, ``segment``, ``score``, ``protected_proxy`` and the inputs):

1. :func:`daily_panels` and :func:`dashboard_figure` - a multi-panel matplotlib figure: feature
   drift (:func:`lendlab.drift.drift_over_time`), prediction (score) drift, approval rate by
   segment, adverse impact ratio by segment (:func:`lendlab.metrics.adverse_impact_ratio` with
   the protected-group proxy as weights) and manual-review volume, one point per day;
2. :func:`build_evidently_workspace` - an Evidently monitoring workspace with one snapshot per
   day and dashboard panels, and :func:`evidently_ui`, which serves it with ``evidently ui``;
3. the segment alerts of ``ops/prometheus/rules/decisions.yml`` evaluated over the whole log:
   :func:`counter_series` turns the log into the cumulative ``lendlab_decisions_total``
   counters a scrape would have read every hour, :func:`rescale_rules` sizes the rules'
   windows for the lender's volume, :func:`run_promtool` evaluates them with ``promtool test
   rules`` and :func:`evaluate_segment_alerts` computes the same alerts in pandas (the lab's
   checks use it, so they work without promtool; a test holds the two equal).

Why promtool and not a Prometheus fed by backfill: ``promtool test rules`` evaluates the rule
file exactly as Prometheus would (recording rules, ``for`` durations, the ``ALERTS`` series) over
input series we write, offline and in seconds, with nothing to start or clean up. A backfilled
Prometheus (``promtool tsdb create-blocks-from openmetrics``) would hold the same samples, but its
rule manager only evaluates from "now" on, so the alerts of past days would have to be
re-derived by range queries of the alert expressions, without ``for`` semantics.

Why rescaled windows: the production rules compare the last hour with the day before and need
100 decisions of a segment in that hour (a minimum-volume guard). At the lab lender's volume
(under 200 applications a day) no hour ever holds 100 decisions of one segment, so the
production rules cannot fire at all (the lab shows this). :func:`rescale_rules` keeps every
threshold and guard and only stretches the windows (by default the hour becomes 7 days and the
day 28 days), which is what a low-volume lender has to do: trade detection delay for volume.

Counter alignment: every series starts at 0 at the first scrape and is sampled at exact
multiples of the interval, so Prometheus' ``increase()`` needs no extrapolation and equals the
difference of two cumulative counts; that is what makes the pandas evaluation exact.

Example
-------
>>> log = pd.DataFrame({
...     "applied_at": pd.to_datetime(["2025-01-01 10:00", "2025-01-01 11:30"], utc=True),
...     "decision": ["approve", "decline"], "segment": ["prime", "prime"],
...     "model_version": ["scorecard-2025.1"] * 2, "protected_proxy": [0.2, 0.7]})
>>> counts = counter_series(log, start="2025-01-01", end="2025-01-02")
>>> counts.shape[0], int(counts.iloc[-1].sum())
(25, 2)
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lendlab import drift
from lendlab.metrics import adverse_impact_ratio
from lendlab.world.schema import CATEGORIES

__all__ = [
    "ALERT_NAMES",
    "DEFAULT_WINDOWS",
    "PANEL_TITLES",
    "PROXY_CUT",
    "PSI_DRIFT",
    "EvidentlyWorkspace",
    "PromtoolRun",
    "build_evidently_workspace",
    "counter_series",
    "daily_panels",
    "dashboard_figure",
    "decisions_frame",
    "evaluate_segment_alerts",
    "evidently_ui",
    "first_alerts",
    "preload_evidently",
    "promtool_path",
    "rescale_rules",
    "rules_path",
    "run_promtool",
    "start_promtool",
]

#: Applicants with ``protected_proxy`` at or above this count as the protected group in the
#: service's metrics (``proxy_group="protected"``), as in notes/metrics-contract.md.
PROXY_CUT = 0.5
#: The segment alerts of ``ops/prometheus/rules/decisions.yml``.
ALERT_NAMES: tuple[str, ...] = ("LendlabApprovalRateDrop", "LendlabAdverseImpactRatioLow")
#: How :func:`rescale_rules` stretches the production windows for a low-volume lender.
DEFAULT_WINDOWS: dict[str, str] = {"1h": "7d", "1d": "28d"}
#: PSI at or above which a column (or the score) counts as drifted, in both dashboards.
PSI_DRIFT = 0.25
#: Titles of the dashboard panels (the figure's axes and the Evidently panels).
PANEL_TITLES: tuple[str, ...] = (
    "Feature drift: columns with daily PSI >= 0.25",
    "Prediction drift: daily score PSI",
    "Approval rate by segment",
    "Adverse impact ratio by segment (proxy-weighted)",
    "Manual-review volume per day",
)
_DECISIONS = ("approve", "review", "decline")
_SEGMENTS: tuple[str, ...] = tuple(CATEGORIES["segment"])
_PROXY_GROUPS = ("protected", "reference")
_NEEDED = ("applied_at", "decision", "segment", "model_version", "protected_proxy")
_REPO = Path(__file__).resolve().parents[2]


# -- the log -------------------------------------------------------------------------------------
def decisions_frame(log: pd.DataFrame) -> pd.DataFrame:
    """``log`` checked, with ``day``, ``approved``, ``review`` and ``proxy_group`` added.

    Parameters
    ----------
    log : DataFrame
        Decisions with at least ``applied_at`` (UTC datetimes), ``decision`` (approve, review,
        decline), ``segment``, ``model_version`` and ``protected_proxy``.

    Returns
    -------
    DataFrame
        A copy sorted by ``applied_at``; ``day`` is the UTC day, ``proxy_group`` is
        ``"protected"`` when ``protected_proxy >= PROXY_CUT``, else ``"reference"``.

    Raises
    ------
    TypeError
        ``log`` is not a DataFrame, or ``applied_at`` is not a timezone-aware datetime column.
    ValueError
        A column is missing, the log is empty, or a decision or segment is unknown.

    Examples
    --------
    >>> log = pd.DataFrame({"applied_at": pd.to_datetime(["2025-01-01 09:00"], utc=True),
    ...     "decision": ["review"], "segment": ["thin_file"], "model_version": ["v1"],
    ...     "protected_proxy": [0.6]})
    >>> decisions_frame(log)[["day", "approved", "review", "proxy_group"]]
                            day  approved  review proxy_group
    0 2025-01-01 00:00:00+00:00     False    True   protected
    """
    if not isinstance(log, pd.DataFrame):
        raise TypeError(
            f"log must be a DataFrame of decisions (lendlab.serving.read_decisions), got "
            f"{type(log).__name__}"
        )
    missing = [c for c in _NEEDED if c not in log.columns]
    if missing:
        raise ValueError(
            f"log has no column {missing[0]!r}; pass the service's decision log "
            "(lendlab.serving.read_decisions) or lendlab.monitoring.decision_log output"
        )
    if log.empty:
        raise ValueError("log has no decisions; send traffic to the service first")
    at = log["applied_at"]
    if not isinstance(at.dtype, pd.DatetimeTZDtype):
        raise TypeError(
            "applied_at must be timezone-aware datetimes (UTC); convert with "
            "pd.to_datetime(..., utc=True)"
        )
    if at.isna().any():
        raise ValueError(f"applied_at is missing on {int(at.isna().sum())} rows; drop or fix them")
    decision = log["decision"].astype(str)
    bad = sorted(set(decision) - set(_DECISIONS))
    if bad:
        raise ValueError(f"decision holds {bad[0]!r}; decisions are {', '.join(_DECISIONS)}")
    segment = log["segment"].astype(str)
    bad = sorted(set(segment) - set(_SEGMENTS))
    if bad:
        raise ValueError(f"segment holds {bad[0]!r}; segments are {', '.join(_SEGMENTS)}")
    out = log.copy()
    out["applied_at"] = at.dt.tz_convert("UTC")
    out = out.sort_values("applied_at", kind="stable").reset_index(drop=True)
    out["day"] = out["applied_at"].dt.floor("D")
    out["approved"] = out["decision"].astype(str).eq("approve")
    out["review"] = out["decision"].astype(str).eq("review")
    proxy = out["protected_proxy"].astype(float)
    out["proxy_group"] = np.where(proxy >= PROXY_CUT, "protected", "reference")
    return out


# -- the matplotlib dashboard --------------------------------------------------------------------
def _segment_air(group: pd.DataFrame) -> float:
    try:
        return float(adverse_impact_ratio(group["approved"], weights=group["protected_proxy"]))
    except ValueError:  # no approvals in the reference group (or an empty group): undefined
        return float("nan")


def daily_panels(
    log: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    columns: Sequence[str],
    score_column: str = "score",
    min_rows: int = 100,
) -> dict[str, pd.DataFrame]:
    """The numbers behind each dashboard panel, one row per UTC day.

    Parameters
    ----------
    log : DataFrame
        Decisions (see :func:`decisions_frame`) with the monitored ``columns`` and
        ``score_column``.
    reference : DataFrame
        The reference decisions (e.g. the first weeks) with the same columns.
    columns : sequence of str
        Input columns monitored for feature drift.
    score_column : str, default "score"
        The model score (prediction drift). Rows without a score (fallback decisions) are left
        out of its PSI.
    min_rows : int, default 100
        Fewest rows of a day for its PSI to be judged (:func:`lendlab.drift.drift_over_time`).

    Returns
    -------
    dict of str to DataFrame
        ``"feature_drift"`` (days x columns, PSI), ``"drifted_columns"`` (days, count of
        columns with PSI >= 0.25), ``"score_psi"``, ``"approval"`` (days x segments),
        ``"air"`` (days x segments, proxy-weighted), ``"review"`` (days: count) and
        ``"volume"`` (days: decisions).

    Examples
    --------
    >>> from lendlab import world
    >>> book = world.generate(3_000, seed=1, start="2025-01-01", days=20)
    >>> log = book.assign(decision=np.where(book["approved_policy"], "approve", "decline"),
    ...                   model_version="v1", score=book["fico"])
    >>> panels = daily_panels(log, log.iloc[:1_000], columns=["fico", "dti"])
    >>> panels["approval"].shape, sorted(panels)[:3]
    ((20, 4), ['air', 'approval', 'drifted_columns'])
    """
    frame = decisions_frame(log)
    columns = list(columns)
    if not columns:
        raise ValueError("columns is empty; name the inputs to monitor, e.g. ['fico', 'dti']")
    for name, data in (("log", frame), ("reference", reference)):
        absent = [c for c in (*columns, score_column) if c not in data.columns]
        if absent:
            raise ValueError(f"{name} has no column {absent[0]!r}; pass decisions with it")
    profile = drift.prepare_reference(reference, columns=columns, nan_policy="bin")
    features = drift.drift_over_time(profile, frame, freq="D", min_rows=min_rows)
    feature_psi = features.pivot(index="window_start", columns="column", values="statistic")
    drifted = features.groupby("window_start")["drifted"].sum().astype(int)
    scored = frame[frame[score_column].notna()]
    ref_scored = reference[reference[score_column].notna()]
    score_profile = drift.prepare_reference(ref_scored, columns=[score_column])
    score = drift.drift_over_time(score_profile, scored, freq="D", min_rows=min_rows)
    score_psi = score.set_index("window_start")["statistic"]
    approval = (
        frame.pivot_table(index="day", columns="segment", values="approved", observed=False)
        .reindex(columns=list(_SEGMENTS))
        .astype(float)
    )
    air = (
        frame.groupby(["day", "segment"], observed=True)[["approved", "protected_proxy"]]
        .apply(_segment_air)
        .unstack("segment")
        .reindex(columns=list(_SEGMENTS))
    )
    days = approval.index
    out = {
        "feature_drift": feature_psi.reindex(days),
        "drifted_columns": drifted.reindex(days).fillna(0).astype(int),
        "score_psi": score_psi.reindex(days),
        "approval": approval,
        "air": air.reindex(days),
        "review": frame.groupby("day")["review"].sum().reindex(days).fillna(0).astype(int),
        "volume": frame.groupby("day").size().reindex(days).fillna(0).astype(int),
    }
    for value in out.values():
        value.index.name = "day"
    return out


def dashboard_figure(
    panels: Mapping[str, pd.DataFrame],
    *,
    marks: Mapping[str, Any] | None = None,
    title: str = "Loan-decision drift dashboard",
) -> Any:
    """The five-panel matplotlib dashboard of :func:`daily_panels` output.

    Parameters
    ----------
    panels : mapping
        From :func:`daily_panels`.
    marks : mapping of label to date, optional
        Vertical lines to draw on every panel (e.g. ``{"alert": day}``).
    title : str
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from lendlab import world
    >>> book = world.generate(3_000, seed=1, start="2025-01-01", days=20)
    >>> log = book.assign(decision=np.where(book["approved_policy"], "approve", "decline"),
    ...                   model_version="v1", score=book["fico"])
    >>> fig = dashboard_figure(daily_panels(log, log.iloc[:1_000], columns=["fico"]))
    >>> [ax.get_title() for ax in fig.axes][2]
    'Approval rate by segment'
    """
    import matplotlib.pyplot as plt

    needed = ("drifted_columns", "score_psi", "approval", "air", "review")
    absent = [k for k in needed if k not in panels]
    if absent:
        raise ValueError(f"panels has no {absent[0]!r}; pass the output of daily_panels(...)")
    fig, axes = plt.subplots(5, 1, figsize=(11, 13), sharex=True)
    days = panels["approval"].index
    axes[0].bar(days, panels["drifted_columns"].to_numpy(), color="tab:purple", width=0.8)
    axes[0].set_ylabel("columns")
    axes[1].plot(days, panels["score_psi"].to_numpy(), color="tab:red")
    axes[1].axhline(0.25, color="grey", lw=0.8, ls="--")
    axes[1].set_ylabel("PSI")
    for segment in panels["approval"].columns:
        axes[2].plot(days, panels["approval"][segment].to_numpy(), label=segment)
        axes[3].plot(days, panels["air"][segment].to_numpy(), label=segment)
    axes[2].set_ylabel("approved share")
    axes[2].legend(loc="lower left", ncol=4, fontsize=8)
    axes[3].axhline(0.8, color="grey", lw=0.8, ls="--")
    axes[3].set_ylabel("AIR")
    axes[3].legend(loc="lower left", ncol=4, fontsize=8)
    axes[4].bar(days, panels["review"].to_numpy(), color="tab:orange", width=0.8)
    axes[4].set_ylabel("reviews")
    for ax, panel_title in zip(axes, PANEL_TITLES, strict=True):
        ax.set_title(panel_title, fontsize=10)
        ax.grid(alpha=0.3)
        for label, when in (marks or {}).items():
            ax.axvline(pd.Timestamp(when), color="black", lw=0.8, ls=":")
            ax.annotate(label, (pd.Timestamp(when), 1.0), xycoords=("data", "axes fraction"),
                        fontsize=7, va="top")  # fmt: skip
    fig.suptitle(title)
    fig.tight_layout()
    return fig


# -- counters, rules and promtool ----------------------------------------------------------------
def _seconds(duration: str) -> int:
    """Seconds of a Prometheus duration such as ``"7d"``, ``"1h30m"`` or ``"1w2d"``."""
    units = {"y": 365 * 86_400, "w": 7 * 86_400, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
    text = str(duration).strip()
    if text in ("0", "0s"):
        return 0
    parts = re.findall(r"(\d+)(ms|[ywdhms])", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"{duration!r} is not a Prometheus duration such as '7d' or '1h'")
    return int(sum(int(n) * units[u] / (1000 if u == "ms" else 1) for n, u in parts if u != "ms"))


def counter_series(
    log: pd.DataFrame,
    *,
    interval: str = "1h",
    start: Any = None,
    end: Any = None,
) -> pd.DataFrame:
    """The cumulative ``lendlab_decisions_total`` counters a scrape every ``interval`` reads.

    Each column is one series, labelled ``(decision, segment, model_version, proxy_group)``
    as the service exports it; each row is a scrape at ``start + k * interval`` holding the
    decisions with ``applied_at`` strictly before it. Every combination of the labels (with
    the log's model versions) is present from the first scrape, at 0.

    Parameters
    ----------
    log : DataFrame
        Decisions (see :func:`decisions_frame`).
    interval : str, default "1h"
        Scrape interval (a Prometheus duration).
    start, end : date-like, optional
        First and last scrape; default the UTC midnight before the first decision and the one
        after the last.

    Returns
    -------
    DataFrame
        Index: scrape times (UTC); columns: a MultiIndex of the four labels; values: int64.

    Examples
    --------
    >>> log = pd.DataFrame({"applied_at": pd.to_datetime(["2025-01-01 00:30"], utc=True),
    ...     "decision": ["approve"], "segment": ["prime"], "model_version": ["v1"],
    ...     "protected_proxy": [0.1]})
    >>> c = counter_series(log, start="2025-01-01", end="2025-01-01 02:00")
    >>> c[("approve", "prime", "v1", "reference")].tolist()
    [0, 1, 1]
    """
    frame = decisions_frame(log)
    step = pd.Timedelta(seconds=_seconds(interval))
    if step <= pd.Timedelta(0):
        raise ValueError(f"interval={interval!r} must be a positive duration such as '1h'")
    first = _utc(start) if start is not None else frame["applied_at"].min().floor("D")
    last = (
        _utc(end)
        if end is not None
        else frame["applied_at"].max().floor("D") + pd.Timedelta(days=1)
    )
    if last <= first:
        raise ValueError(f"end ({last}) must be after start ({first})")
    if frame["applied_at"].min() < first:
        raise ValueError("start is after the first decision; every decision must be counted")
    times = pd.date_range(first, last, freq=step)
    versions = sorted(frame["model_version"].astype(str).unique())
    columns = pd.MultiIndex.from_product(
        [_DECISIONS, _SEGMENTS, versions, _PROXY_GROUPS],
        names=["decision", "segment", "model_version", "proxy_group"],
    )
    keys = pd.MultiIndex.from_arrays(
        [
            frame["decision"].astype(str),
            frame["segment"].astype(str),
            frame["model_version"].astype(str),
            frame["proxy_group"],
        ]
    )
    at = frame["applied_at"].to_numpy(dtype="datetime64[ns]")
    edges = times.tz_convert(None).to_numpy(dtype="datetime64[ns]")
    out = np.zeros((len(times), len(columns)), dtype=np.int64)
    codes = columns.get_indexer(keys)
    for j in np.unique(codes):
        stamps = at[codes == j]
        out[:, j] = np.searchsorted(stamps, edges, side="left")
    return pd.DataFrame(out, index=times, columns=columns)


def _utc(value: Any) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        raise ValueError(f"{value!r} is not a date; pass one like '2025-01-01'")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def rules_path(name: str = "decisions.yml") -> Path:
    """The production rule file ``ops/prometheus/rules/<name>`` of this checkout.

    Examples
    --------
    >>> rules_path().name
    'decisions.yml'
    """
    path = _REPO / "ops" / "prometheus" / "rules" / name
    if not path.is_file():
        raise FileNotFoundError(
            f"no rule file {path}; the ops/ folder ships with the lendlab repository "
            "(run from a checkout, not an installed wheel)"
        )
    return path


_TOKEN = re.compile(r"(?<![0-9.])(1h|1d)(?![0-9A-Za-z])")


def rescale_rules(text: str, windows: Mapping[str, str] | None = None) -> str:
    """The rule file ``text`` with its windows stretched (by default ``[1h]`` -> ``[7d]``, ``[1d]``
    -> ``[28d]``).

    Range selectors, ``offset`` durations and the window suffixes of recorded names
    (``lendlab:approval_rate:1h`` -> ``lendlab:approval_rate:7d``, also where a folded
    annotation names one, so it still points at a series that exists) change together;
    thresholds, guards, ``for`` durations, labels, comments and one-line annotations stay.

    Parameters
    ----------
    text : str
        A Prometheus rule file (YAML text).
    windows : mapping, default :data:`DEFAULT_WINDOWS`
        ``{"1h": ..., "1d": ...}``: what the hour and the day become.

    Examples
    --------
    >>> rescale_rules("expr: sum(increase(x[1d] offset 1h))\\nfor: 1h\\nrecord: a:rate1d_offset1h")
    'expr: sum(increase(x[28d] offset 7d))\\nfor: 1h\\nrecord: a:rate28d_offset7d'
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be the rule file as a str, got {type(text).__name__}")
    mapping = dict(DEFAULT_WINDOWS if windows is None else windows)
    unknown = sorted(set(mapping) - {"1h", "1d"})
    if unknown or set(mapping) != {"1h", "1d"}:
        raise ValueError(f"windows must map exactly '1h' and '1d', got {sorted(mapping)}")
    for value in mapping.values():
        _seconds(value)
    lines = []
    for line in text.splitlines():
        if line.strip().startswith(("for:", "#", "summary:", "description:", "runbook:")):
            lines.append(line)
        else:
            lines.append(_TOKEN.sub(lambda m: mapping[m.group(1)], line))
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")


def promtool_path() -> str | None:
    """Where ``promtool`` is (``$PROMTOOL`` or PATH), or None when it is not installed.

    Examples
    --------
    >>> promtool_path() is None or promtool_path().endswith("promtool")
    True
    """
    found = os.environ.get("PROMTOOL") or shutil.which("promtool")
    return found if found and os.access(found, os.X_OK) else None


def _series_name(labels: Sequence[str]) -> str:
    decision, segment, version, proxy = labels
    return (
        f'lendlab_decisions_total{{decision="{decision}",segment="{segment}",'
        f'model_version="{version}",proxy_group="{proxy}"}}'
    )


#: The two queries asked at the last evaluation: when each alert first fired, and how often.
_FIRST_QUERY = 'min_over_time(timestamp(ALERTS{{alertstate="firing"}})[{span}s:{step}s])'
_COUNT_QUERY = 'count_over_time(ALERTS{{alertstate="firing"}}[{span}s])'


def _promtool_test(counts: pd.DataFrame, rule_file: Path, interval: str) -> dict[str, Any]:
    step = _seconds(interval)
    span = (len(counts.index) - 1) * step
    series = [
        {"series": _series_name(col), "values": " ".join(str(int(v)) for v in counts[col])}
        for col in counts.columns
    ]
    evals = [
        {"expr": query.format(span=span, step=step), "eval_time": f"{span}s"}
        for query in (_FIRST_QUERY, _COUNT_QUERY)
    ]
    return {
        "rule_files": [str(rule_file)],
        "evaluation_interval": interval,
        "group_eval_order": ["lendlab-decisions-recording", "lendlab-decisions-alerts"],
        "tests": [
            {
                "name": "the decision log, scraped every interval",
                "interval": interval,
                "input_series": series,
                "promql_expr_test": evals,
            }
        ],
    }


@dataclass
class PromtoolRun:
    """What :func:`run_promtool` found: each alert's first firing and its firing evaluations."""

    first: pd.DataFrame
    test_file: Path
    rule_file: Path
    returncode: int
    output: str = field(repr=False)


_GOT = re.compile(r"expr: \"(?P<expr>\w+)\(.*?got: (?P<got>.*?)(?=\n\s*expr: |\Z)", re.S)
_SAMPLE = re.compile(r"\{(?P<labels>[^}]*)\}\s+(?P<value>[-+0-9.eE]+)")


def run_promtool(
    counts: pd.DataFrame,
    *,
    rules: str | Path | None = None,
    windows: Mapping[str, str] | None = DEFAULT_WINDOWS,
    interval: str = "1h",
    workdir: str | Path | None = None,
    timeout: float = 120.0,
    max_threads: int | None = None,
) -> PromtoolRun:
    """Evaluate the segment alert rules over ``counts`` with ``promtool test rules``.

    Writes a promtool test file whose input series are ``counts`` (from :func:`counter_series`)
    and which asks, at the last evaluation, for each firing alert's first firing time
    (``min_over_time(timestamp(ALERTS{alertstate="firing"})[span:step])``) and for how many
    evaluations it fired (``count_over_time``), with no samples expected: promtool reports
    what it got, and that is parsed into :attr:`PromtoolRun.first`. (Asking at every
    evaluation instead costs a query per hour: about 50 s for 91 days, against a few here.)

    Parameters
    ----------
    counts : DataFrame
        From :func:`counter_series` (same ``interval``).
    rules : path or str, optional
        The rule file; default :func:`rules_path` (``ops/prometheus/rules/decisions.yml``).
    windows : mapping or None, default :data:`DEFAULT_WINDOWS`
        Passed to :func:`rescale_rules`; None evaluates the production windows unchanged.
    interval : str, default "1h"
        Scrape and evaluation interval.
    workdir : path, optional
        Where the rule and test files go (default a new temporary folder).
    timeout : float, default 120
        Seconds promtool may run.
    max_threads : int, optional
        ``GOMAXPROCS`` for promtool (e.g. 1 to leave the other core to the notebook while it
        runs in the background, see :func:`start_promtool`); default: Go's own choice.

    Returns
    -------
    PromtoolRun
        ``first``: one row per firing (alertname, segment): ``time`` of its first firing,
        ``evaluations`` it fired at; the same table :func:`first_alerts` makes of
        :func:`evaluate_segment_alerts`.

    Raises
    ------
    FileNotFoundError
        promtool is not installed (see :func:`promtool_path`).
    RuntimeError
        promtool failed for another reason than firing alerts (its output is in the message).

    Examples
    --------
    >>> log = pd.DataFrame({"applied_at": pd.to_datetime(["2025-01-01 10:00"], utc=True),
    ...     "decision": ["approve"], "segment": ["prime"], "model_version": ["v1"],
    ...     "protected_proxy": [0.2]})
    >>> counts = counter_series(log)
    >>> run = run_promtool(counts) if promtool_path() else None
    >>> run is None or run.first.empty
    True
    """
    import yaml

    exe = promtool_path()
    if exe is None:
        raise FileNotFoundError(
            "promtool is not installed: apt-get install prometheus (Debian), or see "
            "ops/install-prometheus.sh; the lab skips the promtool evaluation without it"
        )
    if not isinstance(counts, pd.DataFrame) or counts.columns.nlevels != 4:
        raise TypeError("counts must come from counter_series(log)")
    folder = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="w7-prom-"))
    folder.mkdir(parents=True, exist_ok=True)
    source = Path(rules) if rules is not None else rules_path()
    text = source.read_text(encoding="utf-8")
    rule_file = folder / ("rules_rescaled.yml" if windows is not None else "rules_production.yml")
    rule_file.write_text(rescale_rules(text, windows) if windows is not None else text, "utf-8")
    test = _promtool_test(counts, rule_file, interval)
    test_file = folder / f"{rule_file.stem}_test.yml"
    test_file.write_text(yaml.safe_dump(test, sort_keys=False, width=1 << 20), encoding="utf-8")
    env = None
    if max_threads is not None:
        if isinstance(max_threads, bool) or not isinstance(max_threads, int) or max_threads < 1:
            raise ValueError(f"max_threads={max_threads!r} must be a whole number >= 1, e.g. 1")
        env = {**os.environ, "GOMAXPROCS": str(max_threads)}
    proc = subprocess.run(
        [exe, "test", "rules", str(test_file)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )
    output = proc.stdout + proc.stderr
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for m in _GOT.finditer(output):
        for sample in _SAMPLE.finditer(m["got"]):
            pairs = dict(re.findall(r'(\w+)="(.*?)"', sample["labels"]))
            key = (pairs.get("alertname", ""), pairs.get("segment", ""))
            row = found.setdefault(key, {"alertname": key[0], "segment": key[1]})
            value = float(sample["value"])
            if m["expr"] == "min_over_time":
                row["time"] = pd.Timestamp(value, unit="s", tz="UTC") + (
                    counts.index[0] - pd.Timestamp(0, unit="s", tz="UTC")
                )
            else:
                row["evaluations"] = int(round(value))
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not found):
        raise RuntimeError(
            f"promtool test rules failed (exit {proc.returncode}):\n{output[-3000:]}"
        )
    first = pd.DataFrame(
        list(found.values()), columns=["time", "alertname", "segment", "evaluations"]
    )
    first = first.sort_values(["time", "alertname", "segment"], kind="stable")
    return PromtoolRun(first.reset_index(drop=True), test_file, rule_file, proc.returncode, output)


def start_promtool(counts: pd.DataFrame, **kwargs: Any) -> Future[PromtoolRun]:
    """:func:`run_promtool` in a background thread; ``.result()`` waits for its PromtoolRun.

    promtool is a separate process, so the notebook can build the Evidently workspace while
    it evaluates (the two cores both work; promtool gets one, ``max_threads=1``, unless told
    otherwise). Arguments are those of :func:`run_promtool`; its errors (e.g.
    FileNotFoundError without promtool) are raised by ``.result()``.

    Examples
    --------
    >>> log = pd.DataFrame({"applied_at": pd.to_datetime(["2025-01-01 10:00"], utc=True),
    ...     "decision": ["approve"], "segment": ["prime"], "model_version": ["v1"],
    ...     "protected_proxy": [0.2]})
    >>> job = start_promtool(counter_series(log)) if promtool_path() else None
    >>> job is None or job.result(timeout=120).first.empty
    True
    """
    if not isinstance(counts, pd.DataFrame) or counts.columns.nlevels != 4:
        raise TypeError("counts must come from counter_series(log)")
    kwargs.setdefault("max_threads", 1)
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="promtool")
    try:
        return executor.submit(run_promtool, counts, **kwargs)
    finally:
        executor.shutdown(wait=False)


def _window(counts: pd.DataFrame, duration: str, offset: str | None = None) -> pd.DataFrame:
    """``increase(series[duration] offset offset)`` at every scrape (NaN where absent)."""
    step = counts.index[1] - counts.index[0]
    k = int(pd.Timedelta(seconds=_seconds(duration)) / step)
    o = int(pd.Timedelta(seconds=_seconds(offset)) / step) if offset else 0
    values = counts.to_numpy(dtype=float)
    n = len(values)
    out = np.full(values.shape, np.nan)
    for i in range(n):
        end = i - o
        if end < 1:  # fewer than two samples in the window: increase() has no result
            continue
        begin = max(end - k, 0)
        out[i] = values[end] - values[begin]
    return pd.DataFrame(out, index=counts.index, columns=counts.columns)


def _for_fired(condition: pd.DataFrame, hold: pd.Timedelta) -> pd.DataFrame:
    """Firing state of an alert with ``for: hold`` evaluated at each row of ``condition``."""
    fired = pd.DataFrame(False, index=condition.index, columns=condition.columns)
    for col in condition.columns:
        active_at = None
        for t, ok in condition[col].items():
            if not ok:
                active_at = None
                continue
            if active_at is None:
                active_at = t
            if t - active_at >= hold:
                fired.at[t, col] = True
    return fired


def evaluate_segment_alerts(
    counts: pd.DataFrame,
    *,
    windows: Mapping[str, str] | None = DEFAULT_WINDOWS,
) -> pd.DataFrame:
    """The segment alerts of ``decisions.yml`` computed in pandas over ``counts``.

    The same arithmetic as the rule file (see :func:`run_promtool`, which a test holds equal):
    the approval-rate drop (last window vs the baseline ending one window ago: at least 10
    points, z > 4, >= 100 decisions in the window and >= 500 in the baseline, ``for: 10m``) and
    the adverse impact ratio (< 0.8 over the baseline window, >= 200 decisions in each proxy
    group and >= 200 approvals in the segment, ``for: 1h``), evaluated at every scrape.

    Parameters
    ----------
    counts : DataFrame
        From :func:`counter_series`.
    windows : mapping or None
        As in :func:`rescale_rules`; None for the production windows (1h and 1d).

    Returns
    -------
    DataFrame
        One row per evaluation and firing alert: ``time``, ``alertname``, ``segment``.

    Examples
    --------
    >>> log = pd.DataFrame({"applied_at": pd.to_datetime(["2025-01-01 10:00"], utc=True),
    ...     "decision": ["approve"], "segment": ["prime"], "model_version": ["v1"],
    ...     "protected_proxy": [0.2]})
    >>> evaluate_segment_alerts(counter_series(log)).empty
    True
    """
    if not isinstance(counts, pd.DataFrame) or counts.columns.nlevels != 4 or len(counts) < 2:
        raise TypeError("counts must come from counter_series(log) (two scrapes or more)")
    mapping = dict(DEFAULT_WINDOWS if windows is None else windows)
    short, long = ("1h", "1d") if windows is None else (mapping["1h"], mapping["1d"])
    rows: list[dict[str, Any]] = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for_drop = pd.Timedelta(minutes=10)
        now = _window(counts, short)
        base = _window(counts, long, offset=short)
        n_now = now.T.groupby(level="segment").sum(min_count=1).T
        n_base = base.T.groupby(level="segment").sum(min_count=1).T
        approve = counts.columns.get_level_values("decision") == "approve"
        a_now = now.loc[:, approve].T.groupby(level="segment").sum(min_count=1).T
        a_base = base.loc[:, approve].T.groupby(level="segment").sum(min_count=1).T
        p_now = a_now / n_now.where(n_now > 0)
        p_base = a_base / n_base.where(n_base > 0)
        z = (p_base - p_now) / np.sqrt(p_base * (1 - p_base) / n_now)
        cond = (p_base - p_now >= 0.10) & (z > 4) & (n_now >= 100) & (n_base >= 500)
        drop = _for_fired(cond.fillna(False).astype(bool), for_drop)
        day = _window(counts, long)
        by = ["segment", "proxy_group"]
        n_g = day.T.groupby(level=by).sum(min_count=1).T
        a_g = day.loc[:, approve].T.groupby(level=by).sum(min_count=1).T
        rate = a_g / n_g.where(n_g > 0)
        protected = rate.xs("protected", axis=1, level="proxy_group")
        reference = rate.xs("reference", axis=1, level="proxy_group")
        air = protected / reference.where(reference > 0)
        guard = n_g.T.groupby(level="segment").min().T >= 200
        approvals = a_g.T.groupby(level="segment").sum(min_count=1).T >= 200
        air_cond = (air < 0.8) & guard & approvals
        low = _for_fired(air_cond.fillna(False).astype(bool), pd.Timedelta(hours=1))
    for name, fired in (("LendlabApprovalRateDrop", drop), ("LendlabAdverseImpactRatioLow", low)):
        for segment in fired.columns:
            for t in fired.index[fired[segment].to_numpy()]:
                rows.append({"time": t, "alertname": name, "segment": str(segment)})
    out = pd.DataFrame(rows, columns=["time", "alertname", "segment"])
    return out.sort_values(["time", "alertname", "segment"], kind="stable").reset_index(drop=True)


def first_alerts(fired: pd.DataFrame) -> pd.DataFrame:
    """The first firing of each (alertname, segment), earliest first.

    Examples
    --------
    >>> fired = pd.DataFrame({"time": pd.to_datetime(["2025-02-02", "2025-02-01"], utc=True),
    ...     "alertname": ["A", "A"], "segment": ["prime", "prime"]})
    >>> first_alerts(fired)[["alertname", "evaluations"]].values.tolist()
    [['A', 2]]
    """
    if not isinstance(fired, pd.DataFrame) or not {"time", "alertname", "segment"} <= set(fired):
        raise TypeError("fired must have columns time, alertname, segment (evaluate_*/run_*)")
    ordered = fired.sort_values("time", kind="stable")
    first = ordered.groupby(["alertname", "segment"]).head(1).copy()
    sizes = ordered.groupby(["alertname", "segment"]).size()
    first["evaluations"] = [
        int(sizes[(a, s)]) for a, s in zip(first["alertname"], first["segment"], strict=True)
    ]
    return first.sort_values(["time", "alertname", "segment"], kind="stable").reset_index(drop=True)


# -- Evidently -----------------------------------------------------------------------------------
@dataclass
class EvidentlyWorkspace:
    """An Evidently workspace on disk: where it is, its project, and its panels' titles."""

    path: Path
    project_id: str
    panel_titles: tuple[str, ...]
    snapshots: int


def build_evidently_workspace(
    log: pd.DataFrame,
    reference: pd.DataFrame,
    path: str | Path,
    *,
    columns: Sequence[str],
    score_column: str = "score",
    project: str = "lendlab week 7: loan decisions",
    lean: bool = True,
) -> EvidentlyWorkspace:
    """An Evidently workspace with one snapshot per day of ``log`` and dashboard panels.

    Each day's snapshot (``Report.run(day, reference, timestamp=day)``) holds the count of
    drifted input columns (``DriftedColumnsCount``, PSI >= :data:`PSI_DRIFT` per column, as in
    :func:`daily_panels`), the score's PSI (``ValueDrift``), the
    approval rate per segment and the review rate (``MeanValue`` of 0/1 columns),
    and the decisions (``RowCount``). The project's dashboard plots them as lines.

    Parameters
    ----------
    log, reference : DataFrame
        Decisions (see :func:`decisions_frame`) and the reference decisions.
    path : path
        The workspace folder (created; must not hold another workspace's files).
    columns : sequence of str
        Numeric input columns to monitor.
    score_column : str, default "score"
    project : str
        The project's name.
    lean : bool, default True
        Skip the per-metric plotly figures of each snapshot (Evidently's default counter
        widget shows the value instead). The dashboard panels read only the metric values;
        the figures are about 80% of the build time (91 daily snapshots: ~4 s instead of
        ~18 s on two cores). False keeps Evidently's full snapshot pages.

    Returns
    -------
    EvidentlyWorkspace

    Examples
    --------
    >>> import tempfile
    >>> from lendlab import world
    >>> book = world.generate(2_000, seed=1, start="2025-01-01", days=4)
    >>> log = book.assign(decision=np.where(book["approved_policy"], "approve", "decline"),
    ...                   model_version="v1", score=book["fico"].astype(float))
    >>> ws = build_evidently_workspace(log, log, tempfile.mkdtemp(), columns=["fico", "dti"])
    >>> ws.snapshots, ws.panel_titles[0]
    (4, 'Drifted input columns, PSI >= 0.25 (of 2)')
    """
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import DriftedColumnsCount, MeanValue, RowCount, ValueDrift
    from evidently.sdk.models import DashboardPanelPlot, PanelMetric
    from evidently.ui.workspace import Workspace

    frame = decisions_frame(log)
    ref = decisions_frame(reference)
    columns = list(columns)
    for name, data in (("log", frame), ("reference", ref)):
        absent = [c for c in (*columns, score_column) if c not in data.columns]
        if absent:
            raise ValueError(f"{name} has no column {absent[0]!r}")

    def numeric(data: pd.DataFrame) -> pd.DataFrame:
        out = data[columns].astype(float)
        out[score_column] = data[score_column].astype(float)
        out["review"] = data["review"].astype(float)
        approved = data["approved"].astype(float)
        for segment in _SEGMENTS:
            out[f"approved_{segment}"] = np.where(
                data["segment"].astype(str) == segment, approved, np.nan
            )
        return out

    ref_num = numeric(ref)
    definition = DataDefinition(numerical_columns=list(ref_num.columns))
    ref_data = Dataset.from_pandas(ref_num, data_definition=definition)
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    ws = Workspace.create(str(folder))
    proj = ws.create_project(project)
    count = 0
    with _lean_widgets() if lean else contextlib.nullcontext():
        for day, part in frame.groupby("day", sort=True):
            cur = numeric(part)
            metrics: list[Any] = [
                DriftedColumnsCount(columns=columns, method="psi", threshold=PSI_DRIFT),
                ValueDrift(column=score_column, method="psi", threshold=PSI_DRIFT),
                MeanValue(column="review"),
                RowCount(),
            ]
            metrics += [
                MeanValue(column=f"approved_{s}")
                for s in _SEGMENTS
                if cur[f"approved_{s}"].notna().any()
            ]
            snapshot = Report(metrics).run(
                Dataset.from_pandas(cur, data_definition=definition),
                ref_data,
                timestamp=day.tz_convert(None).to_pydatetime(),
            )
            ws.add_run(proj.id, snapshot)
            count += 1
    titles = (
        f"Drifted input columns, PSI >= {PSI_DRIFT:g} (of {len(columns)})",
        f"Prediction drift: {score_column} PSI",
        "Approval rate by segment",
        "Manual-review share of decisions",
        "Decisions per day",
    )
    panels = [
        DashboardPanelPlot(
            title=titles[0],
            values=[
                PanelMetric(
                    metric="DriftedColumnsCount", metric_labels={"value_type": "count"},
                    legend="drifted columns",
                )
            ],
            plot_params={"plot_type": "bar"},
        ),
        DashboardPanelPlot(
            title=titles[1],
            values=[PanelMetric(metric="ValueDrift", metric_labels={"column": score_column},
                                legend=score_column)],
            plot_params={"plot_type": "line"},
        ),
        DashboardPanelPlot(
            title=titles[2],
            values=[
                PanelMetric(metric="MeanValue", metric_labels={"column": f"approved_{s}"}, legend=s)
                for s in _SEGMENTS
            ],
            plot_params={"plot_type": "line"},
        ),
        DashboardPanelPlot(
            title=titles[3],
            values=[PanelMetric(metric="MeanValue", metric_labels={"column": "review"},
                                legend="review share")],
            plot_params={"plot_type": "line"},
        ),
        DashboardPanelPlot(
            title=titles[4],
            values=[PanelMetric(metric="RowCount", legend="decisions")],
            plot_params={"plot_type": "bar"},
        ),
    ]  # fmt: skip
    for panel in panels:
        proj.dashboard.add_panel(panel)
    return EvidentlyWorkspace(folder, str(proj.id), titles, count)


_EVIDENTLY_MODULES = ("evidently", "evidently.metrics", "evidently.sdk.models",
                      "evidently.ui.workspace")  # fmt: skip


def preload_evidently() -> threading.Thread:
    """Import Evidently in a background thread (it takes seconds); returns the thread.

    Call it before slow I/O-bound work (e.g. sending the quarter to the service): the import
    runs on the other core meanwhile, and :func:`build_evidently_workspace` later finds the
    modules loaded (Python's import lock makes it wait if the import is still running).

    Examples
    --------
    >>> preload_evidently().join(120)
    >>> import sys; "evidently.ui.workspace" in sys.modules
    True
    """

    def load() -> None:
        for name in _EVIDENTLY_MODULES:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the real import later reports the error
                return

    thread = threading.Thread(target=load, name="preload-evidently", daemon=True)
    thread.start()
    return thread


@contextlib.contextmanager
def _lean_widgets() -> Iterator[None]:
    """Evidently without its per-metric plotly figures (the values and counters stay).

    ``MeanValue`` and ``ValueDrift`` draw a distribution figure for every snapshot; a None
    widget makes Evidently fall back to its default counter widget. The column drift
    calculation also bins every column over time for a scatter plot that no widget shows
    here; it gets an empty one. Drift scores, drift flags and counts are computed as always.
    Written for evidently 0.7 (the version the lock pins); with another layout nothing is
    patched.
    """
    try:
        from evidently.legacy.calculations import data_drift
        from evidently.metrics import column_statistics as stats
    except ImportError:  # pragma: no cover - another evidently layout
        yield
        return

    def no_scatter(df: pd.DataFrame, column_name: str, *args: Any, **kwargs: Any) -> tuple:
        return pd.DataFrame({"x": [], "mean": [], "std": []}), None  # the plot's data only

    saved: list[tuple[Any, str, Any]] = []
    targets = [
        (stats, "distribution", lambda *args, **kwargs: None),
        (data_drift, "prepare_df_for_time_index_plot", no_scatter),
    ]
    value_drift = getattr(stats, "ValueDriftCalculation", None)
    if value_drift is not None and hasattr(value_drift, "_render"):
        targets.append((value_drift, "_render", lambda self, *args, **kwargs: None))
    try:
        for owner, name, replacement in targets:
            if hasattr(owner, name):
                saved.append((owner, name, getattr(owner, name)))
                setattr(owner, name, replacement)
        yield
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _evidently_exe() -> list[str]:
    script = Path(sys.executable).with_name("evidently")
    return [str(script)] if script.exists() else [sys.executable, "-m", "evidently"]


@contextlib.contextmanager
def evidently_ui(
    workspace: str | Path,
    *,
    port: int = 0,
    ready_timeout: float = 60.0,
) -> Iterator[str]:
    """Serve ``workspace`` with ``evidently ui`` on 127.0.0.1; yield its base URL; stop it.

    The project dashboard is at ``<url>/projects/<project_id>``.

    Examples
    --------
    >>> with evidently_ui(tempfile.mkdtemp()) as url:  # doctest: +SKIP
    ...     url.startswith("http://127.0.0.1:")
    True
    """
    import httpx

    port = int(port) or _free_port()
    log = tempfile.TemporaryFile()
    args = [*_evidently_exe(), "ui", "--workspace", str(workspace), "--host", "127.0.0.1"]
    args += ["--port", str(port)]
    env = {**os.environ, "DO_NOT_TRACK": "1"}
    proc = subprocess.Popen(
        args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(
                    f"evidently ui exited with code {proc.returncode}:\n"
                    + log.read().decode(errors="replace")[-3000:]
                )
            try:
                if httpx.get(f"{url}/api/version", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"evidently ui not answering at {url} after {ready_timeout} s")
            time.sleep(0.2)
        yield url
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        log.close()
