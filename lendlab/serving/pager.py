"""A pager for tests and labs: an Alertmanager webhook receiver that writes each page to JSONL.

Alertmanager's ``webhook_configs`` POST one JSON notification per alert group (``status``,
``receiver``, ``groupLabels``, ``alerts`` [...]). :class:`Pager` accepts them on any path,
appends ``{"received_at", "path", "notification"}`` as one line to a JSONL file, and answers
200 (Alertmanager retries on anything else). ``GET /`` answers how many pages it holds.
It is a stdlib :class:`http.server.ThreadingHTTPServer` in a daemon thread, bound to
loopback.

Example
-------
>>> import json, tempfile, pathlib, urllib.request
>>> path = pathlib.Path(tempfile.mkdtemp()) / "pages.jsonl"
>>> with running_pager(path) as pager:
...     note = {"status": "firing", "alerts": [{"labels": {"alertname": "BureauDown"}}]}
...     req = urllib.request.Request(pager.url + "/alerts", data=json.dumps(note).encode(),
...                                  headers={"Content-Type": "application/json"})
...     urllib.request.urlopen(req).status
...     [n["alerts"][0]["labels"]["alertname"] for n in pager.notifications()]
200
['BureauDown']
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = ["Pager", "read_pages", "running_pager"]

_MAX_BODY = 1024 * 1024


def read_pages(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The records of a pager's JSONL file (``[]`` when it does not exist yet).

    Examples
    --------
    >>> read_pages("no/such/pages.jsonl")
    []
    """
    path = Path(path)
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


class Pager:
    """The receiver (see the module docstring); use :func:`running_pager` to start one."""

    def __init__(self, path: str | os.PathLike[str], host: str = "127.0.0.1", port: int = 0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        pager = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
                return None  # quiet: tests and notebooks read the file instead

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                self._answer(200, {"pages": len(read_pages(pager.path))})

            def do_POST(self) -> None:  # noqa: N802 - stdlib name
                length = int(self.headers.get("Content-Length") or 0)
                if length > _MAX_BODY:
                    self.rfile.read(length)
                    self._answer(413, {"error": f"body over {_MAX_BODY} bytes"})
                    return
                raw = self.rfile.read(length)
                try:
                    note = json.loads(raw)
                except ValueError:
                    self._answer(400, {"error": "body is not JSON"})
                    return
                pager.record(self.path, note)
                self._answer(200, {"ok": True})

        self.server = ThreadingHTTPServer((host, int(port)), Handler)
        self.server.daemon_threads = True
        self.host, self.port = self.server.server_address[:2]
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def record(self, where: str, notification: Any) -> None:
        """Append one notification to the JSONL file (thread-safe, flushed)."""
        record = {"received_at": datetime.now(UTC).isoformat(), "path": where}
        line = json.dumps({**record, "notification": notification})
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()

    def notifications(self) -> list[Any]:
        """The notifications received so far, oldest first."""
        return [r.get("notification") for r in read_pages(self.path)]

    def start(self) -> Pager:
        """Serve in a daemon thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def running_pager(
    path: str | os.PathLike[str], *, host: str = "127.0.0.1", port: int = 0
) -> Iterator[Pager]:
    """Run a :class:`Pager` writing to ``path`` for the duration of the ``with`` block.

    ``pager.url`` is the webhook URL for Alertmanager's ``webhook_configs``; port 0 picks a
    free port.
    """
    pager = Pager(path, host=host, port=port).start()
    try:
        yield pager
    finally:
        pager.stop()
