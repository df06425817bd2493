"""The durable decision log: SQLite in WAL mode, one writer thread, group commit.

Every decision the service acknowledges is a committed row of the ``decisions`` table: the
decision record of :mod:`lendlab.monitoring.decision_record` (:data:`LOG_COLUMNS`, then the
input snapshot as served, in the world's column names), followed by the service's own columns
(:data:`SERVICE_COLUMNS`: request id, timings, fallback, model and payload hashes, the request
as received in JSON). :func:`read_decisions` returns it in the shape
:func:`lendlab.monitoring.decision_log` returns, so the week 3 and week 5 tools read it
unchanged; ``lendlab decisions export`` writes it to Parquet (:func:`export_decisions`).
Refused requests go to the ``rejected`` table with their reasons.

Rollouts (issue 9). ``arm`` (the last service column) names the arm that decided: ``primary``,
``canary``, ``blue`` or ``green`` (:mod:`lendlab.serving.rollout_modes`); ``active_model`` is
the version of that arm. A shadow model's answers go to their own table,
``shadow_decisions`` (:data:`SHADOW_COLUMNS`), keyed by the primary's ``request_id`` and read
by :func:`read_shadow`, so the decision-record schema the week 3/5 tools read is unchanged.
Shadow rows ride in the same group commits, but nobody waits for them: they are not
acknowledged decisions, and a ``kill -9`` may lose the last ones.

Durability. ``journal_mode=WAL`` lets readers (exports, idempotency look-ups) run while the
writer writes. ``synchronous=FULL``: every commit fsyncs the WAL, so an acknowledged decision
survives a power cut, not only a ``kill -9`` (NORMAL with WAL survives a process crash but may
lose the last commits on power loss, and "acknowledged means logged" is the promise here).
The cost of an fsync per commit is shared by **group commit**: one writer thread takes
everything queued while the previous commit was syncing (up to ``batch_max`` rows) and commits
it in one transaction; each request's future resolves only after that ``COMMIT`` returned.

Example
-------
>>> import tempfile, pathlib
>>> db = pathlib.Path(tempfile.mkdtemp()) / "decisions.db"
>>> store = DecisionStore(db)
>>> row = {"application_id": 7, "applied_at": "2025-03-01T12:00:00+00:00",
...        "model_version": "scorecard-2025.1", "pd": 0.05, "score": 640,
...        "decision": "approve", "request_id": "r1"}
>>> store.submit_decision(row).result(timeout=5)
True
>>> store.submit_decision(row).result(timeout=5)  # same application_id: not inserted
False
>>> store.find(7)["decision"]
'approve'
>>> store.close()
>>> read_decisions(db)[["application_id", "decision", "pd"]]
   application_id decision    pd
0               7  approve  0.05
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import queue
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from lendlab.monitoring.decision_record import DECISIONS, LOG_COLUMNS, REASON_COLUMNS
from lendlab.serving.schemas import APPLICATION_FIELDS
from lendlab.world.schema import CATEGORIES, COLUMNS

__all__ = [
    "DECISION_COLUMNS",
    "REJECTED_COLUMNS",
    "SERVICE_COLUMNS",
    "SNAPSHOT_COLUMNS",
    "SHADOW_COLUMNS",
    "DecisionStore",
    "export_decisions",
    "read_decisions",
    "reconcile",
    "read_rejected",
    "read_shadow",
]

#: The input snapshot: the application as served (bureau fields as the bureau returned them).
SNAPSHOT_COLUMNS: tuple[str, ...] = tuple(
    c for c in APPLICATION_FIELDS if c not in ("application_id", "applied_at")
)
#: The service's columns after the decision record.
SERVICE_COLUMNS: tuple[str, ...] = (
    "request_id",
    "received_at",
    "active_model",
    "model_sha256",
    "fallback",
    "failed_dependencies",
    "payload_sha256",
    "input_json",
    "timings_json",
    "duration_ms",
    "arm",
)
#: Every column of the ``decisions`` table, in order.
DECISION_COLUMNS: tuple[str, ...] = (*LOG_COLUMNS, *SNAPSHOT_COLUMNS, *SERVICE_COLUMNS)
#: Columns of the ``rejected`` table.
REJECTED_COLUMNS: tuple[str, ...] = (
    "id",
    "request_id",
    "received_at",
    "status",
    "detail",
    "reasons_json",
    "application_id",
    "payload_sha256",
    "body_bytes",
)

#: Columns of the ``shadow_decisions`` table (one row per shadow-scored request).
SHADOW_COLUMNS: tuple[str, ...] = (
    "request_id",
    "application_id",
    "primary_model",
    "model_version",
    "model_sha256",
    "status",
    "pd",
    "score",
    "decision",
    *REASON_COLUMNS,
    "error",
    "enqueued_at",
    "queue_ms",
    "score_ms",
    "latency_ms",
)

_SQL_TYPE = {"int64": "INTEGER", "float64": "REAL", "int8": "INTEGER", "bool": "INTEGER"}


def _sql_type(column: str) -> str:
    if column in ("pd", "duration_ms"):
        return "REAL"
    if column == "score":
        return "INTEGER"
    spec = COLUMNS.get(column)
    return _SQL_TYPE.get(spec.dtype, "TEXT") if spec is not None else "TEXT"


_DECISIONS_DDL = (
    "CREATE TABLE IF NOT EXISTS decisions (\n  application_id INTEGER PRIMARY KEY,\n  "
    + ",\n  ".join(f"{c} {_sql_type(c)}" for c in DECISION_COLUMNS[1:])
    + "\n) STRICT"
)
_REJECTED_DDL = """CREATE TABLE IF NOT EXISTS rejected (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id TEXT NOT NULL,
  received_at TEXT NOT NULL,
  status INTEGER NOT NULL,
  detail TEXT NOT NULL,
  reasons_json TEXT NOT NULL,
  application_id INTEGER,
  payload_sha256 TEXT,
  body_bytes INTEGER
) STRICT"""
_SHADOW_TYPES = {"application_id": "INTEGER", "pd": "REAL", "score": "INTEGER",
                 "queue_ms": "REAL", "score_ms": "REAL", "latency_ms": "REAL"}  # fmt: skip
_SHADOW_DDL = (
    "CREATE TABLE IF NOT EXISTS shadow_decisions (\n  request_id TEXT PRIMARY KEY,\n  "
    + ",\n  ".join(f"{c} {_SHADOW_TYPES.get(c, 'TEXT')}" for c in SHADOW_COLUMNS[1:])
    + "\n) STRICT"
)
_INSERT_SHADOW = (
    f"INSERT INTO shadow_decisions ({', '.join(SHADOW_COLUMNS)}) VALUES "
    f"({', '.join('?' * len(SHADOW_COLUMNS))}) ON CONFLICT(request_id) DO NOTHING"
)
_INSERT_DECISION = (
    f"INSERT INTO decisions ({', '.join(DECISION_COLUMNS)}) VALUES "
    f"({', '.join('?' * len(DECISION_COLUMNS))}) ON CONFLICT(application_id) DO NOTHING"
)
_INSERT_REJECTED = (
    f"INSERT INTO rejected ({', '.join(REJECTED_COLUMNS[1:])}) VALUES "
    f"({', '.join('?' * (len(REJECTED_COLUMNS) - 1))})"
)
_STOP = object()


def _connect(path: Path, synchronous: str = "FULL") -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    return conn


class DecisionStore:
    """The decision log (see the module docstring).

    Parameters
    ----------
    path : str or pathlib.Path
        The SQLite file; its folder is created if needed.
    batch_max : int, default 256
        Most rows one group commit takes.
    synchronous : {"FULL", "NORMAL"}, default "FULL"
        The writer's fsync policy (see the module docstring).

    Notes
    -----
    ``submit_*`` may be called from any thread and return a
    :class:`concurrent.futures.Future` (await it with :func:`asyncio.wrap_future`) that
    resolves after the row's transaction committed, or fails with the database error.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, batch_max: int = 256, synchronous: str = "FULL"
    ) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a file path, got {type(path).__name__}")
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"synchronous must be 'FULL' or 'NORMAL', got {synchronous!r}")
        self.synchronous = synchronous
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.batch_max = int(batch_max)
        setup = _connect(self.path)
        setup.execute(_DECISIONS_DDL)
        setup.execute(_REJECTED_DDL)
        setup.execute(_SHADOW_DDL)
        have = {r[1] for r in setup.execute("PRAGMA table_info(decisions)")}
        for column in DECISION_COLUMNS:  # a log written before a column existed (e.g. arm)
            if column not in have:
                setup.execute(f"ALTER TABLE decisions ADD COLUMN {column} {_sql_type(column)}")
        setup.close()
        self._read = _connect(self.path)
        self._read_lock = threading.Lock()
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.commits = 0
        self.rows = 0
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._run, name="decision-writer", daemon=True)
        self._thread.start()

    # -- the writer thread ------------------------------------------------------------------
    def _run(self) -> None:
        conn = _connect(self.path, self.synchronous)
        stopping = False
        while not stopping:
            item = self._queue.get()
            if item is _STOP:
                break
            batch = [item]
            while len(batch) < self.batch_max:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stopping = True
                    break
                batch.append(nxt)
            results: list[Any] = []
            try:
                conn.execute("BEGIN IMMEDIATE")
                for kind, values, _ in batch:
                    if kind == "decision":
                        results.append(conn.execute(_INSERT_DECISION, values).rowcount == 1)
                    elif kind == "decisions":  # a batch: its rows in this one transaction
                        results.append(
                            [conn.execute(_INSERT_DECISION, one).rowcount == 1 for one in values]
                        )
                    elif kind == "rejected":
                        results.append(conn.execute(_INSERT_REJECTED, values).lastrowid)
                    elif kind == "shadow":
                        conn.execute(_INSERT_SHADOW, values)
                        results.append(None)
                    else:  # duration update, nobody waits for it
                        conn.execute(
                            "UPDATE decisions SET duration_ms = ? WHERE application_id = ?",
                            values,
                        )
                        results.append(None)
                conn.execute("COMMIT")
            except Exception as exc:  # noqa: BLE001 - every waiter gets the error
                self.last_error = f"{type(exc).__name__}: {exc}"
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                for _, _, fut in batch:
                    if fut is not None:
                        fut.set_exception(exc)
                continue
            self.commits += 1
            self.rows += len(batch)
            self.last_error = None
            for (_, _, fut), result in zip(batch, results, strict=True):
                if fut is not None:
                    fut.set_result(result)
        conn.close()

    def _submit(self, kind: str, values: tuple[Any, ...], wait: bool):
        if not self._thread.is_alive():
            raise RuntimeError("the decision store is closed; create a new DecisionStore")
        fut: concurrent.futures.Future[Any] | None = concurrent.futures.Future() if wait else None
        self._queue.put((kind, values, fut))
        return fut

    # -- public API -------------------------------------------------------------------------
    def submit_decision(self, row: Mapping[str, Any]) -> concurrent.futures.Future[bool]:
        """Queue a decision row; the future gives True (inserted) or False (id already logged).

        Missing columns are written as NULL; unknown keys raise ``ValueError``.
        """
        extra = set(row) - set(DECISION_COLUMNS)
        if extra:
            raise ValueError(f"unknown decision column(s) {sorted(extra)}")
        return self._submit("decision", tuple(row.get(c) for c in DECISION_COLUMNS), True)

    def submit_decisions(
        self, rows: Sequence[Mapping[str, Any]]
    ) -> concurrent.futures.Future[list[bool]]:
        """Queue a batch of decision rows committed in one transaction (all or none).

        The future gives one bool per row (True inserted, False id already logged). Unknown
        keys raise ``ValueError`` and queue nothing.
        """
        extra = {k for row in rows for k in row} - set(DECISION_COLUMNS)
        if extra:
            raise ValueError(f"unknown decision column(s) {sorted(extra)}")
        values = [tuple(row.get(c) for c in DECISION_COLUMNS) for row in rows]
        return self._submit("decisions", values, True)

    def submit_rejection(self, row: Mapping[str, Any]) -> concurrent.futures.Future[int]:
        """Queue a rejected request; the future gives its row id once committed."""
        values = tuple(row.get(c) for c in REJECTED_COLUMNS[1:])
        return self._submit("rejected", values, True)

    def submit_shadow(self, row: Mapping[str, Any]) -> None:
        """Queue a shadow answer (:data:`SHADOW_COLUMNS`) for the next group commit; no waiter.

        Unknown keys raise ``ValueError``; a second row for one ``request_id`` is ignored.
        """
        extra = set(row) - set(SHADOW_COLUMNS)
        if extra:
            raise ValueError(f"unknown shadow column(s) {sorted(extra)}")
        self._submit("shadow", tuple(row.get(c) for c in SHADOW_COLUMNS), False)

    def record_duration(self, application_id: int, duration_ms: float) -> None:
        """Fill ``duration_ms`` (known only after the ack) with the next group commit."""
        self._submit("duration", (float(duration_ms), int(application_id)), False)

    def find(self, application_id: int) -> dict[str, Any] | None:
        """The logged decision of ``application_id`` as a dict, or None."""
        with self._read_lock:
            cur = self._read.execute(
                "SELECT * FROM decisions WHERE application_id = ?", (int(application_id),)
            )
            row = cur.fetchone()
            names = [d[0] for d in cur.description]
        return None if row is None else dict(zip(names, row, strict=True))

    def writable(self) -> bool:
        """The writer thread runs, the last commit succeeded and the file is writable."""
        return (
            self._thread.is_alive()
            and self.last_error is None
            and os.access(self.path, os.W_OK)
            and os.access(self.path.parent, os.W_OK)
        )

    def close(self, timeout: float = 10.0) -> None:
        """Commit what is queued, stop the writer thread and close the connections."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)
        with self._read_lock:
            self._read.close()


def _read_only(path: str | os.PathLike[str]) -> sqlite3.Connection:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no decision log at {path.as_posix()!r}; pass the --db the service wrote"
        )
    return sqlite3.connect(f"file:{path.resolve().as_posix()}?mode=ro", uri=True)


def read_decisions(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The ``decisions`` table in the shape of :func:`lendlab.monitoring.decision_log`.

    :data:`LOG_COLUMNS` first (``applied_at`` as UTC datetimes, ``decision`` categorical over
    :data:`~lendlab.monitoring.DECISIONS`), then the input snapshot (categories with the
    world's levels), then :data:`SERVICE_COLUMNS`; rows in application-id order.

    Examples
    --------
    >>> read_decisions("no/such.db")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no decision log at 'no/such.db'; pass the --db the service wrote
    """
    conn = _read_only(path)
    try:
        frame = pd.read_sql_query(
            f"SELECT {', '.join(DECISION_COLUMNS)} FROM decisions ORDER BY application_id", conn
        )
    finally:
        conn.close()
    frame["applied_at"] = pd.to_datetime(frame["applied_at"], utc=True, format="ISO8601")
    frame["received_at"] = pd.to_datetime(frame["received_at"], utc=True, format="ISO8601")
    frame["decision"] = pd.Categorical(frame["decision"], categories=list(DECISIONS))
    for col in ("model_version", *REASON_COLUMNS):
        frame[col] = pd.Series(frame[col].to_numpy(dtype=object), dtype="str")
    for col, levels in CATEGORIES.items():
        if col in frame.columns:
            frame[col] = pd.Categorical(frame[col], categories=list(levels))
    for col in ("pd", "duration_ms", "annual_income", "verified_income", "emp_length_years"):
        frame[col] = frame[col].astype("float64")
    return frame


def read_rejected(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The ``rejected`` table, with ``reasons`` parsed from JSON into lists of dicts.

    Examples
    --------
    >>> read_rejected("no/such.db")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no decision log at 'no/such.db'; pass the --db the service wrote
    """
    conn = _read_only(path)
    try:
        frame = pd.read_sql_query("SELECT * FROM rejected ORDER BY id", conn)
    finally:
        conn.close()
    frame["reasons"] = [json.loads(text) for text in frame["reasons_json"]]
    return frame


def read_shadow(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The ``shadow_decisions`` table (:data:`SHADOW_COLUMNS`), in request-id order.

    Join it to :func:`read_decisions` on ``request_id`` to compare the primary's decision with
    the shadow's. An empty frame when the log predates shadow mode.

    Examples
    --------
    >>> read_shadow("no/such.db")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no decision log at 'no/such.db'; pass the --db the service wrote
    """
    conn = _read_only(path)
    try:
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'shadow_decisions'"
        ).fetchone()
        if not exists:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in SHADOW_COLUMNS})
        frame = pd.read_sql_query(
            f"SELECT {', '.join(SHADOW_COLUMNS)} FROM shadow_decisions ORDER BY request_id", conn
        )
    finally:
        conn.close()
    frame["decision"] = pd.Categorical(frame["decision"], categories=list(DECISIONS))
    for col in ("pd", "queue_ms", "score_ms", "latency_ms"):
        frame[col] = frame[col].astype("float64")
    return frame


def export_decisions(db: str | os.PathLike[str], out: str | os.PathLike[str]) -> int:
    """Write :func:`read_decisions` to a Parquet file; return the number of rows.

    Examples
    --------
    >>> export_decisions("no/such.db", "out.parquet")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no decision log at 'no/such.db'; pass the --db the service wrote
    """
    frame = read_decisions(db)
    out = Path(out)
    if out.suffix != ".parquet":
        raise ValueError(f"--out {out.as_posix()!r} must end in .parquet")
    frame.to_parquet(out, index=False)
    return len(frame)


def reconcile(
    db: str | os.PathLike[str], replayed: pd.DataFrame | str | os.PathLike[str]
) -> dict[str, Any]:
    """Count what the service acknowledged against what its log holds (after a crash).

    ``replayed`` is the replayer's per-request results (``lendlab replay --out FILE``, or
    ``ReplayResult.requests``): every application answered with a 2xx was acknowledged, and must
    be in the ``decisions`` table. Also runs ``PRAGMA integrity_check`` on the log.

    Returns
    -------
    dict
        ``acknowledged``, ``logged`` (of those acknowledged), ``missing`` (ids, sorted),
        ``unacknowledged_logged`` (in the log although the client saw no 2xx: decided, but the
        answer was lost with the connection; a retry gets the logged decision back),
        ``integrity`` (``"ok"`` or SQLite's message) and ``ok``.

    Examples
    --------
    >>> reconcile("no/such.db", pd.DataFrame({"application_id": [1], "status": [200]}))
    Traceback (most recent call last):
    ...
    FileNotFoundError: no decision log at 'no/such.db'; pass the --db the service wrote
    """
    if not isinstance(replayed, pd.DataFrame):
        path = Path(replayed)
        if not path.is_file():
            raise FileNotFoundError(
                f"no replay results at {path.as_posix()!r}; write them with "
                "`lendlab replay ... --out FILE.parquet`"
            )
        if path.suffix == ".parquet":
            replayed = pd.read_parquet(path)
        elif path.suffix == ".csv":
            replayed = pd.read_csv(path)
        else:
            raise ValueError(f"replay results {path.as_posix()!r} must be .parquet or .csv")
    missing_cols = {"application_id", "status"} - set(replayed.columns)
    if missing_cols:
        raise ValueError(
            f"replay results lack column(s) {sorted(missing_cols)}; pass the file "
            "`lendlab replay --out` wrote"
        )
    conn = _read_only(db)
    try:
        logged_ids = {row[0] for row in conn.execute("SELECT application_id FROM decisions")}
        integrity = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()
    status = pd.to_numeric(replayed["status"], errors="coerce")
    acked = set(replayed.loc[status.between(200, 299), "application_id"].astype("int64"))
    sent = set(replayed["application_id"].astype("int64"))
    missing = sorted(acked - logged_ids)
    return {
        "acknowledged": len(acked),
        "logged": len(acked & logged_ids),
        "missing": missing,
        "unacknowledged_logged": len((sent - acked) & logged_ids),
        "integrity": integrity,
        "ok": not missing and integrity == "ok",
    }
