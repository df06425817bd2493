"""Service rollout modes (issue 9): shadow, canary and blue-green arms.

**Arms.** Every decision records the arm that decided it (``arm`` column of the decision log)
and that arm's model version (``active_model``): ``primary`` (one live model), ``canary``
(the canary share of applications), or ``blue`` / ``green`` (blue-green mode: two slots, one
live; a switch deploys to the idle slot and flips, a rollback flips back).

**Canary assignment** is deterministic: :func:`canary_bucket` maps an ``application_id`` and a
salt through sha256 to a number uniform in [0, 1), and the application is in the canary arm
when that number is below the share (:func:`assign_arm`). A retried application (same id)
always lands in the same arm; raising the share from 5 % to 20 % only moves applications
*into* the canary, never out.

**Shadow** (:class:`ShadowRunner`): a second model is scored *off the request path*. The
request handler only does a non-blocking ``put_nowait`` on a bounded queue after its decision
is committed; when the queue is full the shadow work is dropped and counted
(``lendlab_shadow_dropped_total``), never waited for. A dispatcher thread takes batches from
the queue and sends them to a **worker process** that holds the shadow model; each batch has
its own timeout. A shadow that raises gives ``error`` rows; one that hangs or is too slow is
killed at the timeout (its batch gives ``timeout`` rows) and a fresh worker is started, with a
back-off when it keeps failing. A process rather than a thread, because a thread cannot be
stopped when it hangs, and a CPU-bound shadow thread would hold the GIL that the primary's
event loop needs: the process isolates the primary's latency from the shadow entirely (it
only competes for CPU cores). Results go to the ``shadow_decisions`` table
(:func:`lendlab.serving.store.read_shadow`) with the same ``request_id`` as the primary.

Example
-------
>>> round(canary_bucket(12345, "salt"), 6)
0.326698
>>> [assign_arm(i, share=0.5, salt="salt") for i in (1, 2, 3, 12345)]
['canary', 'primary', 'primary', 'canary']
>>> assign_arm(12345, share=0.5, salt="salt") == assign_arm(12345, share=0.5, salt="salt")
True
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "ARMS",
    "FaultyModel",
    "ShadowRunner",
    "assign_arm",
    "canary_bucket",
]

log = logging.getLogger("lendlab.serving.shadow")

#: The arms a decision can record.
ARMS: tuple[str, ...] = ("primary", "canary", "blue", "green")


def canary_bucket(application_id: int, salt: str) -> float:
    """A number uniform in [0, 1) from sha256 of ``"<salt>:<application_id>"``.

    Parameters
    ----------
    application_id : int
    salt : str
        Changing the salt reshuffles which applications are in the canary.

    Returns
    -------
    float
        The first 8 bytes of the digest as an unsigned integer, over 2**64.

    Examples
    --------
    >>> a = canary_bucket(7, "a")
    >>> a == canary_bucket(7, "a"), a == canary_bucket(7, "b"), 0 <= a < 1
    (True, False, True)
    >>> canary_bucket("7", "a")
    Traceback (most recent call last):
    ...
    TypeError: application_id must be an integer, got str
    """
    if isinstance(application_id, bool) or not isinstance(application_id, (int, np.integer)):
        raise TypeError(f"application_id must be an integer, got {type(application_id).__name__}")
    if not isinstance(salt, str):
        raise TypeError(f"salt must be a str, got {type(salt).__name__}")
    digest = hashlib.sha256(f"{salt}:{int(application_id)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign_arm(application_id: int, *, share: float, salt: str) -> str:
    """``"canary"`` when :func:`canary_bucket` is below ``share``, else ``"primary"``.

    Examples
    --------
    >>> ids = range(20_000)
    >>> round(sum(assign_arm(i, share=0.1, salt="s") == "canary" for i in ids) / 20_000, 2)
    0.1
    >>> assign_arm(1, share=1.5, salt="s")
    Traceback (most recent call last):
    ...
    ValueError: share must be in [0, 1], got 1.5
    """
    if isinstance(share, bool) or not isinstance(share, (int, float, np.floating)):
        raise TypeError(f"share must be a number in [0, 1], got {type(share).__name__}")
    if not 0.0 <= float(share) <= 1.0:
        raise ValueError(f"share must be in [0, 1], got {share}")
    return "canary" if canary_bucket(application_id, salt) < float(share) else "primary"


# -- a model that misbehaves (tests, labs: "a slow one") ----------------------------------------
class FaultyModel:
    """Wrap a fitted model so that ``predict_pd`` raises, hangs or is slow.

    Parameters
    ----------
    base : PDModel
        The model whose PDs are returned (when it answers).
    kind : {"raise", "hang", "slow", "busy"}
        ``raise``: every call raises ``RuntimeError``; ``hang``: sleeps forever; ``slow``:
        sleeps ``delay_s`` per call, then answers; ``busy``: burns CPU for ``delay_s`` per call.
    delay_s : float, default 0.05
    version : str, optional
        Default ``"<base version>-<kind>"``.

    Examples
    --------
    >>> from lendlab.models import Scorecard
    >>> FaultyModel(Scorecard(version="s-1"), "raise").version
    's-1-raise'
    >>> FaultyModel(Scorecard(), "melt")
    Traceback (most recent call last):
    ...
    ValueError: kind must be one of ['busy', 'hang', 'raise', 'slow'], got 'melt'
    """

    KINDS = ("busy", "hang", "raise", "slow")

    def __init__(
        self, base: Any, kind: str, delay_s: float = 0.05, version: str | None = None
    ) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"kind must be one of {list(self.KINDS)}, got {kind!r}")
        if not isinstance(delay_s, (int, float)) or delay_s < 0:
            raise ValueError(f"delay_s must be a non-negative number, got {delay_s!r}")
        self.base = base
        self.kind = kind
        self.delay_s = float(delay_s)
        self.version = version or f"{base.version}-{kind}"
        self.features = list(getattr(base, "features_", None) or base.features)
        self.features_ = self.features
        self.pdo, self.base_score, self.base_odds = base.pdo, base.base_score, base.base_odds

    def predict_pd(self, X: Any) -> Any:
        """The base model's PDs, after the fault."""
        if self.kind == "raise":
            raise RuntimeError(f"{self.version}: injected failure")
        if self.kind == "hang":
            while True:
                time.sleep(3600)
        if self.kind == "slow":
            time.sleep(self.delay_s)
        elif self.kind == "busy":
            end = time.perf_counter() + self.delay_s
            while time.perf_counter() < end:
                pass
        return self.base.predict_pd(X)


# -- the shadow worker process --------------------------------------------------------------
def _die_with_parent(parent: int) -> None:
    """In the worker: exit when the service dies (``kill -9`` leaves no orphan)."""
    try:  # Linux: the kernel sends SIGKILL when the parent dies
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(0)
            time.sleep(0.2)

    threading.Thread(target=watch, name="shadow-parent-watch", daemon=True).start()


def _worker_main(conn: Any, model_path: str, explainer_path: str | None, parent: int) -> None:
    """Load the shadow model, then score each batch sent over ``conn`` until EOF."""
    _die_with_parent(parent)
    try:  # best effort: the primary's process gets the CPU first
        os.nice(10)
    except OSError:
        pass
    import warnings

    warnings.simplefilter("ignore")
    from lendlab.models import load_model
    from lendlab.serving.app import model_columns, score_applications

    try:
        model = load_model(model_path)
        explainer = model if explainer_path is None else load_model(explainer_path)
        columns = model_columns(model)
    except Exception as exc:  # noqa: BLE001 - reported to the service, which logs it
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", model.version))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        _, params, served = message
        start = time.perf_counter()
        try:
            out = score_applications(model, explainer, served, columns, **params)
            errors = [None] * len(served)
        except Exception:  # noqa: BLE001 - one by one, so one bad row does not fail all
            out, errors = [], []
            for row in served:
                try:
                    out.extend(score_applications(model, explainer, [row], columns, **params))
                    errors.append(None)
                except Exception as exc:  # noqa: BLE001
                    out.append(None)
                    errors.append(f"{type(exc).__name__}: {exc}"[:300])
        conn.send(("scored", out, errors, (time.perf_counter() - start) * 1000))


class _Duplex:
    """Two one-way :class:`~multiprocessing.connection.Connection` ends used as one."""

    def __init__(self, reader: Connection, writer: Connection) -> None:
        self.reader, self.writer = reader, writer

    def send(self, obj: Any) -> None:
        self.writer.send(obj)

    def recv(self) -> Any:
        return self.reader.recv()

    def poll(self, timeout: float) -> bool:
        return self.reader.poll(timeout)

    def close(self) -> None:
        self.reader.close()
        self.writer.close()


def _child(argv: list[str]) -> None:
    """Entry of ``python -m lendlab.serving.rollout_modes READ_FD WRITE_FD MODEL EXPL PID``."""
    read_fd, write_fd, model_path, explainer_path, parent = argv
    conn = _Duplex(
        Connection(int(read_fd), writable=False), Connection(int(write_fd), readable=False)
    )
    _worker_main(conn, model_path, explainer_path or None, int(parent))


#: One thread in the worker: OpenMP/BLAS pools (HistGradientBoosting's predict) would
#: otherwise spin on every core, the primary's included.
_SINGLE_THREADED = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass
class _Job:
    request_id: str
    application_id: int
    primary_model: str
    served: dict[str, Any]
    enqueued: float = field(default_factory=time.perf_counter)
    enqueued_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


class ShadowRunner:
    """Score a shadow model off the request path (see the module docstring).

    Parameters
    ----------
    version, sha256 : str
        The shadow model's version and artifact hash (written on every row).
    model_path : path
        Its artifact (loaded by the worker process with :func:`lendlab.models.load_model`).
    explainer_path : path, optional
        A scorecard artifact giving the reasons for declines when the shadow model has no
        per-feature points; None: the shadow model explains itself.
    sink : callable
        Called with each result row (:data:`lendlab.serving.store.SHADOW_COLUMNS`), e.g.
        ``store.submit_shadow``.
    params : callable
        Returns ``{"cutoff": .., "review_margin": ..}`` in force (read per batch).
    on_drop : callable
        Called (no argument) for each job dropped because the queue was full.
    on_result : callable, optional
        Called with each row's ``status`` (``ok``, ``error``, ``timeout``).
    queue_max : int, default 1000
    timeout_s : float, default 0.5
        Longest a batch may take in the worker; past it the worker is killed.
    batch_max : int, default 64
    start_timeout_s : float, default 120
        Longest the worker may take to load its model.
    linger_s : float, default 0.02
        How long the dispatcher waits to fill a batch after its first job.

    The worker runs single-threaded (``OMP_NUM_THREADS=1``) at ``nice 10``: the shadow is
    best effort, and must not take the primary's cores.

    Notes
    -----
    :meth:`submit` is the only call on the request path: a ``put_nowait`` on a
    :class:`queue.Queue` (microseconds) that returns False and calls ``on_drop`` when full.
    """

    def __init__(
        self,
        *,
        version: str,
        sha256: str,
        model_path: str | os.PathLike[str],
        explainer_path: str | os.PathLike[str] | None,
        sink: Any,
        params: Any,
        on_drop: Any,
        on_result: Any = None,
        queue_max: int = 1000,
        timeout_s: float = 0.5,
        batch_max: int = 64,
        start_timeout_s: float = 120.0,
        linger_s: float = 0.02,
    ) -> None:
        if not isinstance(queue_max, int) or queue_max < 1:
            raise ValueError(f"queue_max must be a positive integer, got {queue_max!r}")
        if not timeout_s > 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s!r}")
        self.version, self.sha256 = version, sha256
        self.model_path = os.fspath(model_path)
        self.explainer_path = None if explainer_path is None else os.fspath(explainer_path)
        self.sink, self.params, self.on_drop, self.on_result = sink, params, on_drop, on_result
        self.timeout_s, self.batch_max = float(timeout_s), int(batch_max)
        self.start_timeout_s = float(start_timeout_s)
        self.linger_s = float(linger_s)
        self.queue: queue.Queue[_Job] = queue.Queue(maxsize=queue_max)
        self.counts = {"submitted": 0, "dropped": 0, "ok": 0, "error": 0, "timeout": 0}
        self.starts = 0
        self.last_error: str | None = None
        self._proc: Any = None
        self._conn: Any = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="shadow-dispatch", daemon=True)
        self._thread.start()

    # -- request path ---------------------------------------------------------------------------
    def submit(
        self, request_id: str, application_id: int, primary_model: str, served: dict[str, Any]
    ) -> bool:
        """Queue shadow work without waiting; False (and ``on_drop()``) when the queue is full."""
        try:
            self.queue.put_nowait(_Job(request_id, application_id, primary_model, served))
        except queue.Full:
            self.counts["dropped"] += 1
            self.on_drop()
            return False
        self.counts["submitted"] += 1
        return True

    # -- the dispatcher thread ------------------------------------------------------------------
    def _start_worker(self) -> bool:
        # a child ``python -m lendlab.serving.rollout_modes`` (not multiprocessing's spawn,
        # which re-imports the caller's main script), talking over two inherited pipes
        to_child_r, to_child_w = os.pipe()
        to_parent_r, to_parent_w = os.pipe()
        cmd = [sys.executable, "-m", "lendlab.serving.rollout_modes", str(to_child_r),
               str(to_parent_w), self.model_path, self.explainer_path or "",
               str(os.getpid())]  # fmt: skip
        try:
            proc = subprocess.Popen(
                cmd,
                pass_fds=(to_child_r, to_parent_w),
                stdin=subprocess.DEVNULL,
                close_fds=True,
                env={**os.environ, **_SINGLE_THREADED},
            )
        finally:
            os.close(to_child_r)
            os.close(to_parent_w)
        self._proc = proc
        self._conn = _Duplex(Connection(to_parent_r, writable=False),
                             Connection(to_child_w, readable=False))  # fmt: skip
        deadline = time.monotonic() + self.start_timeout_s
        while not self._stop.is_set() and time.monotonic() < deadline:
            if self._conn.poll(0.1):
                try:
                    status, detail = self._conn.recv()
                except (EOFError, OSError):
                    status, detail = "failed", f"worker exited with code {proc.poll()}"
                if status == "ready":
                    return True
                self.last_error = f"shadow worker failed to load {self.model_path}: {detail}"
                break
            if proc.poll() is not None:
                self.last_error = f"shadow worker exited with code {proc.returncode} at start"
                break
        else:
            if not self._stop.is_set():
                self.last_error = f"shadow worker not ready after {self.start_timeout_s:g} s"
        self._kill_worker()
        return False

    def _kill_worker(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                log.warning("shadow worker %s did not exit after SIGKILL", self._proc.pid)
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None

    def _emit(self, job: _Job, status: str, result: Any, error: str | None, score_ms: float):
        now = time.perf_counter()
        row = {
            "request_id": job.request_id,
            "application_id": job.application_id,
            "primary_model": job.primary_model,
            "model_version": self.version,
            "model_sha256": self.sha256,
            "status": status,
            "error": error,
            "enqueued_at": job.enqueued_at,
            "score_ms": round(score_ms, 3),
            "latency_ms": round((now - job.enqueued) * 1000, 3),
        }
        row["queue_ms"] = round(row["latency_ms"] - score_ms, 3)
        if result is not None:
            row.update(result)
        self.counts[status] += 1
        if self.on_result is not None:
            self.on_result(status)
        try:
            self.sink(row)
        except Exception:  # noqa: BLE001 - the log may be closing; shadow rows are best effort
            log.exception("could not log shadow row %s", job.request_id)

    def _run(self) -> None:
        backoff = 0.0
        if self._start_worker():  # eagerly: the first requests do not wait for a cold start
            self.starts += 1
        while not self._stop.is_set():
            try:
                first = self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            batch = [first]
            until = time.perf_counter() + self.linger_s  # gather a batch: fewer round trips
            while len(batch) < self.batch_max:
                wait = until - time.perf_counter()
                try:
                    batch.append(
                        self.queue.get(timeout=wait) if wait > 0 else self.queue.get_nowait()
                    )
                except queue.Empty:
                    break
            if self._proc is None or self._proc.poll() is not None:
                if backoff:
                    self._stop.wait(backoff)
                started = not self._stop.is_set() and self._start_worker()
                if self._stop.is_set():  # closing: the batch was never scored
                    self._drop(len(batch))
                    break
                if not started:
                    for job in batch:
                        self._emit(job, "error", None, self.last_error, 0.0)
                    backoff = min(30.0, max(1.0, 2 * backoff))
                    continue
                self.starts += 1
            try:
                self._conn.send(("score", self.params(), [job.served for job in batch]))
                ready = self._conn.poll(self.timeout_s)
                reply = self._conn.recv() if ready else None
            except (EOFError, OSError, BrokenPipeError) as exc:
                reply, ready = None, True
                self.last_error = f"shadow worker died: {type(exc).__name__}"
            if reply is None:
                status = "timeout" if not ready else "error"
                if not ready:
                    self.last_error = (
                        f"shadow batch of {len(batch)} not scored within "
                        f"{self.timeout_s * 1000:g} ms: worker killed"
                    )
                for job in batch:
                    self._emit(job, status, None, self.last_error, self.timeout_s * 1000)
                self._kill_worker()
                backoff = min(30.0, max(1.0, 2 * backoff))
                continue
            backoff = 0.0
            _, results, errors, score_ms = reply
            for job, result, error in zip(batch, results, errors, strict=True):
                self._emit(job, "ok" if error is None else "error", result, error, score_ms)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the dispatcher and the worker; queued work is dropped (and counted)."""
        self._stop.set()
        self._thread.join(timeout)
        self._kill_worker()
        left = 0
        while True:
            try:
                self.queue.get_nowait()
            except queue.Empty:
                break
            left += 1
        self._drop(left)

    def _drop(self, n: int) -> None:
        for _ in range(n):
            self.counts["dropped"] += 1
            self.on_drop()

    def stats(self) -> dict[str, Any]:
        """Counts so far, queue depth, worker starts and the last error."""
        return {
            "model_version": self.version,
            **self.counts,
            "queued": self.queue.qsize(),
            "worker_starts": self.starts,
            "worker_alive": bool(self._proc is not None and self._proc.poll() is None),
            "last_error": self.last_error,
        }


def artifact_path(folder: str | os.PathLike[str], sidecar: dict[str, Any]) -> Path:
    """The artifact file of a registry entry (its sidecar names it)."""
    return Path(folder) / str(sidecar.get("artifact") or f"{sidecar['version']}.joblib")


if __name__ == "__main__":  # the shadow worker process (see ShadowRunner)
    _child(sys.argv[1:])
