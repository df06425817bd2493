"""A real Prometheus and Alertmanager on loopback, for tests and the week 6/7 labs.

* :func:`running_prometheus` - start ``prometheus`` scraping ``targets`` with ``rule_files``,
  on a free loopback port with a temporary data directory; wait for ``/-/ready``; stop it.
* :func:`running_alertmanager` - the same for ``prometheus-alertmanager`` (clustering off),
  from a config file or dict, optionally pointing every webhook at one URL (the lendlab pager).
* :func:`query` / :func:`query_vector` - instant queries through the HTTP API, as floats.
* :func:`alerts` - Prometheus's active alerts; :func:`missing_binaries` - which binaries are
  not installed, and :data:`INSTALL_HINT` - how to get them.

The binaries are Debian's (bookworm: Prometheus 2.42, Alertmanager 0.25); ``ops/install-
prometheus.sh`` installs them. Everything binds 127.0.0.1 and is killed on exit.

Example
-------
>>> sorted(BINARIES)
['alertmanager', 'amtool', 'prometheus', 'promtool']
>>> from lendlab import serving  # doctest: +SKIP
>>> with serving.running(db="d.db") as svc, running_prometheus(  # doctest: +SKIP
...     [svc.url], ["ops/prometheus/rules/latency_slo.yml"]
... ) as prom:
...     query(prom.url, 'up{job="lendlab"}')
1.0
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lendlab.serving.process import free_port, stop_process

__all__ = [
    "BINARIES",
    "INSTALL_HINT",
    "Alertmanager",
    "Prometheus",
    "alerts",
    "find_binary",
    "missing_binaries",
    "query",
    "query_vector",
    "running_alertmanager",
    "running_prometheus",
]

#: Logical name -> executable names to look for on PATH, in order (Debian names first).
BINARIES: dict[str, tuple[str, ...]] = {
    "prometheus": ("prometheus",),
    "promtool": ("promtool",),
    "alertmanager": ("prometheus-alertmanager", "alertmanager"),
    "amtool": ("amtool",),
}

#: One line saying how to get the binaries (used as the tests' skip reason).
INSTALL_HINT = (
    "install them with `sudo apt-get install -y --no-install-recommends prometheus "
    "prometheus-alertmanager` (or run ops/install-prometheus.sh as root)"
)


def find_binary(name: str) -> str | None:
    """The path of binary ``name`` (a key of :data:`BINARIES`), or None when not installed.

    Examples
    --------
    >>> find_binary("kubectl")
    Traceback (most recent call last):
    ...
    ValueError: unknown binary 'kubectl'; use one of alertmanager, amtool, prometheus, promtool
    """
    if not isinstance(name, str):
        raise TypeError(f"binary name must be a str, got {type(name).__name__}")
    if name not in BINARIES:
        raise ValueError(f"unknown binary {name!r}; use one of {', '.join(sorted(BINARIES))}")
    for candidate in BINARIES[name]:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def missing_binaries(names: Sequence[str] = tuple(BINARIES)) -> list[str]:
    """The binaries of ``names`` that are not installed (``[]`` when all are).

    Examples
    --------
    >>> isinstance(missing_binaries(["promtool"]), list)
    True
    """
    return [name for name in names if find_binary(name) is None]


def _get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def _target(url_or_hostport: str) -> tuple[str, str]:
    """``(host:port, metrics path)`` of a scrape target given as URL or ``host:port``."""
    if not isinstance(url_or_hostport, str) or not url_or_hostport:
        raise TypeError(f"a target must be a non-empty str, got {url_or_hostport!r}")
    if "://" not in url_or_hostport:
        return url_or_hostport, "/metrics"
    parts = urllib.parse.urlsplit(url_or_hostport)
    if parts.scheme != "http" or not parts.netloc:
        raise ValueError(f"target {url_or_hostport!r}: use http://host:port or host:port")
    return parts.netloc, (parts.path if parts.path not in ("", "/") else "/metrics")


@dataclass
class _Daemon:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    config_path: Path

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self.process.pid

    def log(self) -> str:
        """What the daemon printed (stdout and stderr)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, wait up to ``timeout`` s, then SIGKILL; return the exit code."""
        return stop_process(self.process, timeout)


@dataclass
class Prometheus(_Daemon):
    """A Prometheus started by :func:`running_prometheus` (``.url``, ``.log()``, ``.stop()``)."""


@dataclass
class Alertmanager(_Daemon):
    """An Alertmanager started by :func:`running_alertmanager`."""


def _start(
    name: str, args: list[str], workdir: Path, url: str, timeout: float
) -> tuple[subprocess.Popen[bytes], Path]:
    binary = find_binary(name)
    if binary is None:
        raise FileNotFoundError(f"{name} is not installed; {INSTALL_HINT}")
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [binary, *args], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            text = log_path.read_text(encoding="utf-8", errors="replace")
            raise RuntimeError(
                f"{name} exited with code {process.returncode} before it was ready; "
                f"its log:\n{text[-3000:]}"
            )
        try:
            status, body = _get(f"{url}/-/ready", timeout=1.0)
            if status == 200:
                return process, log_path
            last = f"{status} {body[:200]!r}"
        except OSError as exc:
            last = type(exc).__name__
        time.sleep(0.05)
    process.kill()
    process.wait(10)
    raise TimeoutError(f"{name} at {url} not ready after {timeout:g} s (last: {last})")


@contextlib.contextmanager
def running_prometheus(
    targets: Sequence[str],
    rule_files: Sequence[str | os.PathLike[str]] = (),
    *,
    alertmanager_url: str | None = None,
    scrape_interval: str = "1s",
    evaluation_interval: str = "1s",
    job: str = "lendlab",
    port: int = 0,
    ready_timeout: float = 30.0,
) -> Iterator[Prometheus]:
    """Run a real Prometheus on 127.0.0.1 for the duration of the ``with`` block.

    Parameters
    ----------
    targets : sequence of str
        Scrape targets, ``"http://127.0.0.1:8000"`` (path ``/metrics``) or ``"host:port"``;
        all in one job ``job``.
    rule_files : sequence of path
        Rule files to load (``promtool check rules`` them first: a bad file stops Prometheus,
        and the error names the file).
    alertmanager_url : str, optional
        E.g. ``am.url`` of :func:`running_alertmanager`; without it alerts go nowhere.
    scrape_interval, evaluation_interval : str, default "1s"
        Prometheus durations.
    port : int, default 0
        0 picks a free port.
    ready_timeout : float, default 30
        Seconds to wait for ``/-/ready``.

    Yields
    ------
    Prometheus
        ``.url``, ``.port``, ``.pid``, ``.config_path``, ``.log()``, ``.stop()``. The data
        directory is temporary and removed on exit.

    Examples
    --------
    >>> with running_prometheus([]) as prom:  # doctest: +SKIP
    ...     query(prom.url, "vector(1) + 1")
    2.0
    """
    if isinstance(targets, str) or not isinstance(targets, Sequence):
        raise TypeError(f"targets must be a list of URLs, got {type(targets).__name__}")
    if isinstance(rule_files, str | os.PathLike) or not isinstance(rule_files, Sequence):
        raise TypeError(f"rule_files must be a list of paths, got {type(rule_files).__name__}")
    rules = [Path(p).resolve() for p in rule_files]
    for path in rules:
        if not path.is_file():
            raise ValueError(f"rule file {path} does not exist; pass paths to *.yml rule files")
    static = []
    by_path: dict[str, list[str]] = {}
    for target in targets:
        hostport, path = _target(target)
        by_path.setdefault(path, []).append(hostport)
    for path, hosts in by_path.items():
        static.append(
            {
                "job_name": job if len(by_path) == 1 else f"{job}{path.replace('/', '_')}",
                "metrics_path": path,
                "static_configs": [{"targets": hosts}],
            }
        )
    config: dict[str, Any] = {
        "global": {
            "scrape_interval": scrape_interval,
            "scrape_timeout": scrape_interval,
            "evaluation_interval": evaluation_interval,
        },
        "rule_files": [str(p) for p in rules],
        "scrape_configs": static,
    }
    if alertmanager_url is not None:
        hostport, _ = _target(alertmanager_url)
        config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [hostport]}]}]}
    port = int(port) or free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="lendlab-prometheus-") as tmp:
        workdir = Path(tmp)
        config_path = workdir / "prometheus.yml"
        config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        args = [
            f"--config.file={config_path}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=1d",
            "--log.level=warn",
        ]
        process, log_path = _start("prometheus", args, workdir, url, ready_timeout)
        prom = Prometheus(url, port, process, log_path, config_path)
        try:
            yield prom
        finally:
            prom.stop()


def _with_webhook(config: dict[str, Any], webhook_url: str) -> dict[str, Any]:
    """Point every webhook_configs URL at ``webhook_url``, keeping each URL's path."""
    base = urllib.parse.urlsplit(webhook_url)
    for receiver in config.get("receivers") or []:
        for hook in receiver.get("webhook_configs") or []:
            path = urllib.parse.urlsplit(hook["url"]).path
            hook["url"] = urllib.parse.urlunsplit((base.scheme, base.netloc, path, "", ""))
    return config


@contextlib.contextmanager
def running_alertmanager(
    config: str | os.PathLike[str] | Mapping[str, Any],
    *,
    webhook_url: str | None = None,
    port: int = 0,
    ready_timeout: float = 30.0,
) -> Iterator[Alertmanager]:
    """Run a real Alertmanager on 127.0.0.1 (clustering off) for the ``with`` block.

    Parameters
    ----------
    config : path or dict
        An Alertmanager configuration, e.g. ``"ops/alertmanager/alertmanager.yml"``.
    webhook_url : str, optional
        Point every webhook receiver at this server (keeping each URL's path), e.g. the
        ``pager.url`` of :func:`lendlab.serving.running_pager`.
    port : int, default 0
        0 picks a free port.

    Yields
    ------
    Alertmanager
        ``.url``, ``.port``, ``.pid``, ``.config_path``, ``.log()``, ``.stop()``.

    Examples
    --------
    >>> from lendlab.serving import running_pager  # doctest: +SKIP
    >>> with running_pager("pages.jsonl") as pager, running_alertmanager(  # doctest: +SKIP
    ...     "ops/alertmanager/alertmanager.yml", webhook_url=pager.url
    ... ) as am:
    ...     am.url.startswith("http://127.0.0.1:")
    True
    """
    if isinstance(config, Mapping):
        loaded = json.loads(json.dumps(dict(config)))  # a deep copy we may change
    elif isinstance(config, str | os.PathLike):
        path = Path(config)
        if not path.is_file():
            raise ValueError(f"Alertmanager config {path} does not exist")
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(loaded, dict):
            raise ValueError(f"Alertmanager config {path} is not a YAML mapping")
    else:
        raise TypeError(f"config must be a path or a dict, got {type(config).__name__}")
    if webhook_url is not None:
        loaded = _with_webhook(loaded, webhook_url)
    port = int(port) or free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="lendlab-alertmanager-") as tmp:
        workdir = Path(tmp)
        config_path = workdir / "alertmanager.yml"
        config_path.write_text(yaml.safe_dump(loaded, sort_keys=False), encoding="utf-8")
        args = [
            f"--config.file={config_path}",
            f"--storage.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ]
        process, log_path = _start("alertmanager", args, workdir, url, ready_timeout)
        am = Alertmanager(url, port, process, log_path, config_path)
        try:
            yield am
        finally:
            am.stop()


def _api(prom_url: str, path: str, params: Mapping[str, str] | None = None) -> Any:
    if not isinstance(prom_url, str) or not prom_url.startswith("http"):
        raise TypeError(f"prom_url must be an http URL str, got {prom_url!r}")
    url = f"{prom_url.rstrip('/')}{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    status, body = _get(url, timeout=10.0)
    payload = json.loads(body or b"{}")
    if status != 200 or payload.get("status") != "success":
        raise ValueError(f"Prometheus answered {status} to {path}: {payload.get('error', body)}")
    return payload["data"]


def query_vector(
    prom_url: str, promql: str, *, at: float | None = None
) -> list[tuple[dict[str, str], float]]:
    """Every sample of an instant query: ``[(labels, value), ...]`` (``[]`` when empty).

    A scalar result is one sample with no labels. NaN values are returned as they are.

    Examples
    --------
    >>> query_vector(prom.url, "sum by (segment) (lendlab:approval_rate:1h)")  # doctest: +SKIP
    [({'segment': 'prime'}, 0.62), ...]
    """
    if not isinstance(promql, str) or not promql.strip():
        raise TypeError(f"promql must be a non-empty str, got {promql!r}")
    params = {"query": promql}
    if at is not None:
        params["time"] = repr(float(at))
    data = _api(prom_url, "/api/v1/query", params)
    if data["resultType"] == "scalar":
        return [({}, float(data["result"][1]))]
    if data["resultType"] != "vector":
        raise ValueError(f"{promql!r} gives a {data['resultType']}; use an instant vector")
    return [(dict(s["metric"]), float(s["value"][1])) for s in data["result"]]


def query(prom_url: str, promql: str, *, at: float | None = None, allow_nan: bool = False) -> float:
    """The value of an instant query that returns exactly one sample, as a float.

    Raises ValueError when the query returns no sample (say, nothing scraped yet), several
    (aggregate with ``sum``/``max``), or NaN (``histogram_quantile`` over empty buckets)
    unless ``allow_nan``.

    Examples
    --------
    >>> query(prom.url, "histogram_quantile(0.99, sum by (le) "  # doctest: +SKIP
    ...       "(rate(lendlab_request_duration_seconds_bucket[1m])))")
    0.0143
    """
    samples = query_vector(prom_url, promql, at=at)
    if len(samples) != 1:
        raise ValueError(
            f"{promql!r} returned {len(samples)} samples, expected 1: "
            + ("nothing scraped or recorded yet?" if not samples else "aggregate it (sum/max by)")
        )
    value = samples[0][1]
    if math.isnan(value) and not allow_nan:
        raise ValueError(f"{promql!r} is NaN (empty buckets or 0/0); pass allow_nan=True to accept")
    return value


def alerts(prom_url: str, *, state: str | None = "firing") -> list[dict[str, Any]]:
    """Prometheus's alerts (``state`` "firing", "pending" or None for both).

    Examples
    --------
    >>> [a["labels"]["alertname"] for a in alerts(prom.url)]  # doctest: +SKIP
    ['LendlabFallbackRateHigh']
    """
    if state not in ("firing", "pending", None):
        raise ValueError(f"state must be 'firing', 'pending' or None, got {state!r}")
    found = _api(prom_url, "/api/v1/alerts")["alerts"]
    return [a for a in found if state is None or a["state"] == state]
