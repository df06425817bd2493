"""Run the service: ``serve()`` in this process (uvicorn), ``running()`` in a child process.

Why one uvicorn worker is enough, and the right choice here:

* the decision log is SQLite with **one writer thread** and group commit; several worker
  processes would be several writers contending for one lock (``SQLITE_BUSY``) and would
  lose the batching that makes ``synchronous=FULL`` cheap;
* the issue's target, 200 requests/s, is far below one worker's capacity (a decision costs
  about 3 ms of CPU; the simulated dependencies only wait, on the event loop);
* prometheus-client counts per process: several workers would need
  ``PROMETHEUS_MULTIPROC_DIR``, a ``MultiProcessCollector`` and cleaning its ``.db`` files,
  and a scrape would otherwise show one worker's share.

Scale out with more service instances behind a load balancer and a server database, not with
workers sharing one SQLite file.

Example
-------
>>> free_port() > 1024
True
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lendlab.serving.config import ServiceConfig

__all__ = ["RunningService", "free_port", "running", "serve"]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def stop_process(process: subprocess.Popen, timeout: float = 10.0) -> int:
    """SIGTERM ``process``, wait up to ``timeout`` s, then SIGKILL; return its exit code.

    Examples
    --------
    >>> import subprocess, sys
    >>> stop_process(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]))
    -15
    """
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    return int(process.returncode)


def serve(config: ServiceConfig, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``config`` with uvicorn in this process until SIGINT/SIGTERM (one worker).

    Binds ``127.0.0.1`` unless told otherwise. Uses uvloop and httptools when installed.
    """
    import uvicorn

    from lendlab.serving.app import create_app

    uvicorn.run(
        create_app(config),
        host=host,
        port=int(port),
        workers=1,
        log_level=os.environ.get("LENDLAB_LOG_LEVEL", "warning"),
        access_log=False,
        timeout_graceful_shutdown=5,
        lifespan="on",
    )


@dataclass
class RunningService:
    """A service running in a child process (see :func:`running`)."""

    url: str
    port: int
    db: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    admin_token: str | None = None
    args: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self.process.pid

    def headers(self) -> dict[str, str]:
        """The admin ``Authorization`` header (empty without a token)."""
        return {"Authorization": f"Bearer {self.admin_token}"} if self.admin_token else {}

    def log(self) -> str:
        """What the service printed (stdout and stderr)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """``kill -9``: no shutdown, no flush (for crash tests)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, wait up to ``timeout`` s, then SIGKILL; return the exit code."""
        return stop_process(self.process, timeout)


def _wait_ready(svc: RunningService, timeout: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if svc.process.poll() is not None:
            raise RuntimeError(
                f"the service exited with code {svc.process.returncode} before it was ready; "
                f"its log:\n{svc.log()[-4000:]}"
            )
        try:
            r = httpx.get(f"{svc.url}/readyz", timeout=1.0)
            if r.status_code == 200:
                return
            last = f"{r.status_code} {r.text[:200]}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.05)
    raise TimeoutError(f"service at {svc.url} not ready after {timeout:g} s (last: {last})")


@contextlib.contextmanager
def running(
    *,
    db: str | os.PathLike[str],
    port: int = 0,
    host: str = "127.0.0.1",
    model: str = "champion",
    model_dir: str | os.PathLike[str] | None = None,
    config: str | os.PathLike[str] | None = None,
    admin_token: str | None = None,
    shadow: str | None = None,
    canary: str | None = None,
    canary_share: float | None = None,
    extra_args: list[str] | None = None,
    ready_timeout: float = 60.0,
    env: dict[str, str] | None = None,
) -> Iterator[RunningService]:
    """Start ``lendlab serve`` in a child process, wait for ``/readyz``, stop it on exit.

    Parameters
    ----------
    db : path
        The decision log.
    port : int, default 0
        0 picks a free port.
    host : str, default "127.0.0.1"
    model, model_dir, config
        As ``lendlab serve --model/--model-dir/--config``.
    admin_token : str, optional
        Put in the child's ``LENDLAB_ADMIN_TOKEN`` (``svc.headers()`` gives the header).
    shadow, canary, canary_share : optional
        As ``lendlab serve --shadow VERSION --canary VERSION --canary-share S``.
    extra_args : list of str, optional
        More ``lendlab serve`` flags, e.g. ``["--seed", "3"]``.
    ready_timeout : float, default 60
        Seconds to wait for ``/readyz`` (the first start trains the models: about 2 s).
    env : dict, optional
        Extra environment variables for the child.

    Yields
    ------
    RunningService
        ``.url``, ``.port``, ``.pid``, ``.stop()``, ``.kill()``, ``.log()``.

    Examples
    --------
    >>> import tempfile, pathlib, httpx  # doctest: +SKIP
    >>> with running(db=pathlib.Path(tempfile.mkdtemp()) / "d.db") as svc:  # doctest: +SKIP
    ...     httpx.get(svc.url + "/healthz").json()
    {'status': 'ok'}
    """
    port = int(port) or free_port(host)
    args = [sys.executable, "-m", "lendlab.serving", "serve", "--host", host, "--port", str(port)]
    args += ["--db", os.fspath(db), "--model", model]
    if model_dir is not None:
        args += ["--model-dir", os.fspath(model_dir)]
    if config is not None:
        args += ["--config", os.fspath(config)]
    if shadow is not None:
        args += ["--shadow", shadow]
    if canary is not None:
        args += ["--canary", canary]
    if canary_share is not None:
        args += ["--canary-share", repr(float(canary_share))]
    args += list(extra_args or [])
    child_env = {**os.environ, **(env or {})}
    if admin_token is not None:
        child_env["LENDLAB_ADMIN_TOKEN"] = admin_token
    log_fd, log_name = tempfile.mkstemp(prefix="lendlab-serve-", suffix=".log")
    process = subprocess.Popen(
        args, stdout=log_fd, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=child_env
    )
    os.close(log_fd)
    svc = RunningService(
        url=f"http://{host}:{port}",
        port=port,
        db=Path(db),
        process=process,
        log_path=Path(log_name),
        admin_token=admin_token,
        args=args,
    )
    try:
        _wait_ready(svc, ready_timeout)
        yield svc
    except BaseException:
        svc.stop()  # keep the log: the error (or the test's report) may point at it
        raise
    svc.stop()
    svc.log_path.unlink(missing_ok=True)  # a clean run leaves nothing in /tmp
