"""Audit evidence bundles: what an examiner asks for after an incident, tamper-evident.

:func:`write_bundle` reads the service's decision log and writes one folder per incident. The
files, always all of them and always in this order (:data:`BUNDLE_FILES`):

``decisions.jsonl``
    every decision made in the window (decision time ``received_at`` in ``[start, end)``),
    one per line: application id, times, decision, PD, score, reason codes, who decided
    (``model_version``), the active model and its sha256, fallback, the input snapshot as
    served and the request as received, and the Reg B notice deadline;
``monitoring.json``
    snapshots: decision mix, approval by segment / channel / proxy group and AIR, before (a
    baseline window, by default as long as the incident window and just before it) and after;
    the measured signals and the triage they lead to;
``alerts.jsonl``
    the alert timeline from a pager JSONL file (:mod:`lendlab.serving.pager`), one alert per
    line, oldest first (empty without ``alerts=``);
``redecisions.jsonl``
    the applications to re-decide (:func:`lendlab.response.redecision_list`), or, without a
    fix to decide with, every affected application marked ``pending``;
``notices.json``
    the 30-day notice clock (12 CFR 1002.9(a)(1)) and ``retain_until``: 25 months after the
    notice (12 CFR 1002.12(b)(1)), counted from the latest notice deadline unless a notice
    date is given;
``bundle.json``
    what the bundle is: window, source, counts, ``retain_until``, the file list.

**Tamper evidence.** ``manifest.json`` is a hash chain in canonical JSON (sorted keys, no
whitespace, UTF-8): one entry per file in the fixed order,
``{seq, path, sha256, bytes, prev_hash, entry_hash}``, where ``prev_hash`` is the previous
entry's ``entry_hash`` (64 zeros for the first) and ``entry_hash = sha256(0x00 || canonical
entry without entry_hash)`` (the 0x00 leaf prefix of RFC 6962, so an entry hash can never be
confused with another kind of hash). A bare chain cannot show that its newest entries were cut
off, so the **checkpoint**, ``{seq, head_hash, count}``, is written to a separate file that
belongs somewhere the bundle's writer cannot rewrite (a write-once store, a ticket).

:func:`verify_bundle` re-reads everything and names each problem: an edited byte in any file
(the manifest too: it must be canonical, so even an edit that still parses is caught), a
deleted, added, renamed or reordered file, a broken chain, and, with the checkpoint, a
truncated or replaced chain.

Example
-------
>>> import tempfile, pathlib
>>> from lendlab.serving.store import DecisionStore
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> store = DecisionStore(tmp / "d.db")
>>> for i in range(3):
...     _ = store.submit_decision({"application_id": i + 1, "decision": "decline",
...         "applied_at": "2026-01-05T10:00:00+00:00",
...         "received_at": f"2026-01-05T10:0{i}:00+00:00",
...         "model_version": "scorecard-2025.1", "pd": 0.3, "score": 560,
...         "reason_1": "Debt-to-income ratio too high", "request_id": f"r{i}"}).result()
>>> store.close()
>>> info = write_bundle(tmp / "d.db", "2026-01-05T10:00Z", "2026-01-05T11:00Z",
...                     tmp / "bundle", checkpoint=tmp / "bundle.checkpoint.json")
>>> info["decisions"], info["retain_until"]
(3, '2028-03-04')
>>> verify_bundle(tmp / "bundle", checkpoint=tmp / "bundle.checkpoint.json").ok
True
>>> (tmp / "bundle" / "alerts.jsonl").write_text("x")
1
>>> verify_bundle(tmp / "bundle").problems
('alerts.jsonl: contents changed (sha256 differs from the manifest; 1 bytes, manifest says 0)',)
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lendlab.monitoring.decision_record import DECISIONS, REASON_COLUMNS
from lendlab.response.decision_tree import NOTICE_DAYS, RETENTION_MONTHS, notice_clock, retain_until
from lendlab.response.impact import (
    _timestamp,
    decision_window,
    impact_summary,
    redecision_list,
    segment_impact,
)

__all__ = [
    "BUNDLE_FILES",
    "CHECKPOINT_KEYS",
    "ENTRY_KEYS",
    "MANIFEST",
    "VerifyReport",
    "canonical_json",
    "verify_bundle",
    "write_bundle",
]

#: The bundle's files, in manifest order.
BUNDLE_FILES: tuple[str, ...] = (
    "decisions.jsonl",
    "monitoring.json",
    "alerts.jsonl",
    "redecisions.jsonl",
    "notices.json",
    "bundle.json",
)
#: The hash-chained manifest's file name (inside the bundle).
MANIFEST = "manifest.json"
#: The manifest's format tag.
FORMAT = "lendlab-evidence-manifest/1"
#: Keys of one manifest entry.
ENTRY_KEYS: tuple[str, ...] = ("seq", "path", "sha256", "bytes", "prev_hash", "entry_hash")
#: Keys of the checkpoint.
CHECKPOINT_KEYS: tuple[str, ...] = ("seq", "head_hash", "count")
GENESIS = "0" * 64
_LEAF = b"\x00"


def _plain(value: Any) -> Any:
    """JSON-ready: numpy scalars as Python, NaN/NaT as None, timestamps as ISO 8601 (UTC)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):  # datetime.date
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def canonical_json(value: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace, UTF-8, NaN as null.

    Examples
    --------
    >>> canonical_json({"b": 1, "a": [1.5, float("nan")], "é": "ü"})
    b'{"a":[1.5,null],"b":1,"\\xc3\\xa9":"\\xc3\\xbc"}'
    """
    return json.dumps(
        _plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _jsonl(rows: list[Any]) -> bytes:
    return b"".join(canonical_json(r) + b"\n" for r in rows)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _entry_hash(entry: Mapping[str, Any]) -> str:
    body = {k: entry[k] for k in ENTRY_KEYS if k != "entry_hash"}
    return _sha(_LEAF + canonical_json(body))


def _chain(files: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
    entries, prev = [], GENESIS
    for seq, (path, data) in enumerate(files):
        entry = {"seq": seq, "path": path, "sha256": _sha(data), "bytes": len(data)}
        entry["prev_hash"] = prev
        entry["entry_hash"] = prev = _entry_hash(entry)
        entries.append(entry)
    return entries


# ------------------------------------------------------------------------------ contents
def _decision_rows(frame: pd.DataFrame, snapshot: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = []
    for record in frame.to_dict(orient="records"):
        request = record.get("input_json")
        deadline = (
            (pd.Timestamp(record["received_at"]) + pd.Timedelta(days=NOTICE_DAYS)).date()
            if record.get("received_at") is not None and record["received_at"] is not pd.NaT
            else None
        )
        rows.append(
            {
                "application_id": record["application_id"],
                "applied_at": record.get("applied_at"),
                "received_at": record.get("received_at"),
                "request_id": record.get("request_id"),
                "decision": record["decision"],
                "pd": record.get("pd"),
                "score": record.get("score"),
                "reasons": [
                    record[c]
                    for c in REASON_COLUMNS
                    if isinstance(record.get(c), str) and record[c] not in ("", "nan", "None")
                ],
                "model_version": record.get("model_version"),
                "active_model": record.get("active_model"),
                "model_sha256": record.get("model_sha256"),
                "fallback": record.get("fallback"),
                "failed_dependencies": record.get("failed_dependencies"),
                "inputs": {c: record.get(c) for c in snapshot},
                "request": json.loads(request) if isinstance(request, str) and request else None,
                "payload_sha256": record.get("payload_sha256"),
                "notice_deadline": deadline,
            }
        )
    return rows


def _mix(frame: pd.DataFrame) -> dict[str, Any]:
    counts = frame["decision"].astype("str").value_counts()
    n = len(frame)
    return {
        "decisions": n,
        **{f"{d}_count": int(counts.get(d, 0)) for d in DECISIONS},
        **{f"{d}_rate": (round(int(counts.get(d, 0)) / n, 6) if n else None) for d in DECISIONS},
    }


def _alert_rows(path: Path, begin: pd.Timestamp, end: pd.Timestamp) -> list[dict[str, Any]]:
    from lendlab.serving.pager import read_pages

    if not path.is_file():
        raise FileNotFoundError(f"no pager file at {path.as_posix()!r}; pass --alerts the JSONL")
    try:
        pages = read_pages(path)
    except ValueError as exc:
        raise ValueError(f"{path.as_posix()} is not a pager JSONL file: {exc}") from None
    rows = []
    for page in pages:
        note = page.get("notification") if isinstance(page, Mapping) else None
        if not isinstance(note, Mapping):
            raise ValueError(f"{path.as_posix()}: a record without a notification: {page!r:.80}")
        received = page.get("received_at")
        when = pd.Timestamp(received) if received else pd.NaT
        for alert in note.get("alerts") or [{}]:
            labels = alert.get("labels") or {}
            rows.append(
                {
                    "received_at": received,
                    "in_window": bool(when is not pd.NaT and begin <= when < end),
                    "notification_status": note.get("status"),
                    "receiver": note.get("receiver"),
                    "status": alert.get("status", note.get("status")),
                    "alertname": labels.get("alertname"),
                    "severity": labels.get("severity"),
                    "starts_at": alert.get("startsAt"),
                    "ends_at": alert.get("endsAt"),
                    "labels": labels,
                    "summary": (alert.get("annotations") or {}).get("summary"),
                }
            )
    rows.sort(key=lambda r: (str(r["received_at"]), str(r["alertname"])))
    return rows


def write_bundle(
    db: str | os.PathLike[str],
    start: Any,
    end: Any,
    out: str | os.PathLike[str],
    *,
    checkpoint: str | os.PathLike[str],
    alerts: str | os.PathLike[str] | None = None,
    baseline_start: Any = None,
    baseline_end: Any = None,
    redecide: Callable[[pd.DataFrame], Any] | None = None,
    redecide_basis: str = "last good model",
    notice_date: Any = None,
    created_at: Any = None,
) -> dict[str, Any]:
    """Write an evidence bundle for the decisions made in ``[start, end)`` (see the module).

    Parameters
    ----------
    db : path
        The service's SQLite decision log.
    start, end : timestamp
        The incident window, on the decision time (``received_at``).
    out : path
        The bundle folder: created; must not exist or be empty.
    checkpoint : path
        Where to write ``{seq, head_hash, count}``; outside ``out``.
    alerts : path, optional
        A pager JSONL file (:mod:`lendlab.serving.pager`).
    baseline_start, baseline_end : timestamp, optional
        The healthy window to compare with; default the same length just before ``start``.
    redecide : callable, optional
        ``redecide(affected) -> decisions`` under the fix, e.g. ``lambda f:
        redecide_with_model(f, last_good)``; without it every affected application is
        listed as ``pending``.
    redecide_basis : str, default "last good model"
        What ``redecide`` decides with, written in every re-decision row.
    notice_date : timestamp, optional
        When the notices went out; default the latest notice deadline of the window (the
        conservative end of the retention clock).
    created_at : timestamp, optional
        Recorded in ``bundle.json``; default now.

    Returns
    -------
    dict
        ``out``, ``checkpoint``, ``decisions``, ``redecisions``, ``alerts``, ``head_hash``,
        ``count``, ``retain_until`` (ISO date).
    """
    from lendlab.response.signatures import measure_signals, triage_signals
    from lendlab.serving.store import SNAPSHOT_COLUMNS, read_decisions

    for name, value in (("db", db), ("out", out), ("checkpoint", checkpoint)):
        if not isinstance(value, str | os.PathLike):
            raise TypeError(f"{name} must be a path, got {type(value).__name__}")
    out_dir, check_path = Path(out), Path(checkpoint)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ValueError(
            f"--out {out_dir.as_posix()} exists and is not an empty folder; an evidence bundle is "
            "never overwritten: pass a new folder"
        )
    if check_path.resolve().is_relative_to(out_dir.resolve()):
        raise ValueError(
            f"--checkpoint {check_path.as_posix()} is inside the bundle; keep it outside (a "
            "separate, write-once place), or it cannot vouch for the bundle"
        )
    begin, finish = _timestamp(start, "start"), _timestamp(end, "end")
    if not begin < finish:
        raise ValueError(f"start {begin} must be before end {finish}; swap them")
    if (baseline_start is None) != (baseline_end is None):
        raise ValueError("pass both baseline_start and baseline_end, or neither")
    if baseline_start is None:
        b_begin, b_end = begin - (finish - begin), begin
    else:
        b_begin, b_end = (
            _timestamp(baseline_start, "baseline_start"),
            _timestamp(baseline_end, "baseline_end"),
        )
    created = (
        datetime.now(UTC).isoformat(timespec="seconds")
        if created_at is None
        else _timestamp(created_at, "created_at").isoformat()
    )

    log = read_decisions(db)
    incident = decision_window(log, begin, finish, on="received_at")
    baseline = decision_window(log, b_begin, b_end, on="received_at")

    decisions = _decision_rows(incident, SNAPSHOT_COLUMNS)
    monitoring: dict[str, Any] = {
        "window": {"start": begin, "end": finish, "on": "received_at"},
        "baseline_window": {"start": b_begin, "end": b_end, "on": "received_at"},
        "decision_mix": {"baseline": _mix(baseline), "incident": _mix(incident)},
        "summary": impact_summary(baseline, incident),
        "approval_by_segment": segment_impact(baseline, incident).to_dict(orient="records"),
    }
    summary = monitoring["summary"]
    monitoring["air"] = {"before": summary["baseline_air"], "after": summary["incident_air"]}
    if len(baseline) and len(incident):
        signals = measure_signals(baseline, incident)
        result = triage_signals(signals)
        monitoring["signals"] = signals.reset_index()[
            ["signal", "baseline", "incident", "state"]
        ].to_dict(orient="records")
        monitoring["triage"] = {
            "heading": result.heading,
            "kind": result.kind,
            "infrastructure": result.infrastructure,
            "hypothesis": result.hypothesis,
            "reasons": list(result.reasons),
        }
    else:
        monitoring["signals"] = []
        monitoring["triage"] = {
            "heading": None,
            "kind": "not measured",
            "reasons": ["the baseline or the incident window holds no decisions"],
        }

    alert_rows = [] if alerts is None else _alert_rows(Path(alerts), b_begin, finish)

    if redecide is not None:
        listed = redecision_list(incident, redecide, basis=redecide_basis)
    else:
        listed = incident[
            [
                c
                for c in (
                    "application_id",
                    "applied_at",
                    "received_at",
                    "segment",
                    "channel",
                    "model_version",
                    "decision",
                )
                if c in incident.columns
            ]
        ].assign(
            new_decision=None,
            change="pending",
            remediation="re-decide once the fix is known",
            basis="no fix given",
        )
    redecisions = listed.to_dict(orient="records")

    clock = notice_clock(list(incident["received_at"]), now=finish) if len(incident) else None
    latest = (
        max(clock["deadline"])
        if clock is not None
        else (finish + pd.Timedelta(days=NOTICE_DAYS)).date()
    )
    notice_on = _timestamp(notice_date, "notice_date").date() if notice_date is not None else latest
    keep_until = retain_until(notice_on.isoformat())
    notices = {
        "rule": "12 CFR 1002.9(a)(1): notice within 30 days after a completed application",
        "retention_rule": "12 CFR 1002.12(b)(1): keep 25 months after the notice",
        "notice_days": NOTICE_DAYS,
        "retention_months": RETENTION_MONTHS,
        "clock_starts": "received_at",
        "schedule": [] if clock is None else clock.to_dict(orient="records"),
        "oldest_deadline": None if clock is None else clock["deadline"].iloc[0],
        "notice_date": notice_on,
        "notice_date_basis": "given" if notice_date is not None else "latest notice deadline",
        "retain_until": keep_until,
    }
    meta = {
        "kind": "lendlab incident evidence bundle",
        "created_at": created,
        "source_db": Path(db).as_posix(),
        "source_db_sha256": _sha(Path(db).read_bytes()),
        "window": {"start": begin, "end": finish, "on": "received_at"},
        "baseline_window": {"start": b_begin, "end": b_end},
        "decisions": len(decisions),
        "redecisions": len(redecisions),
        "alerts": len(alert_rows),
        "alerts_source": None if alerts is None else Path(alerts).as_posix(),
        "retain_until": keep_until,
        "files": list(BUNDLE_FILES),
        "manifest": MANIFEST,
    }
    contents = {
        "decisions.jsonl": _jsonl(decisions),
        "monitoring.json": canonical_json(monitoring),
        "alerts.jsonl": _jsonl(alert_rows),
        "redecisions.jsonl": _jsonl(redecisions),
        "notices.json": canonical_json(notices),
        "bundle.json": canonical_json(meta),
    }
    files = [(name, contents[name]) for name in BUNDLE_FILES]
    entries = _chain(files)
    manifest = canonical_json({"algorithm": "sha256", "entries": entries, "format": FORMAT})
    head = entries[-1]
    point = canonical_json(
        {"seq": head["seq"], "head_hash": head["entry_hash"], "count": len(entries)}
    )

    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in files:
        (out_dir / name).write_bytes(data)
    (out_dir / MANIFEST).write_bytes(manifest)
    check_path.parent.mkdir(parents=True, exist_ok=True)
    check_path.write_bytes(point)
    return {
        "out": out_dir.as_posix(),
        "checkpoint": check_path.as_posix(),
        "decisions": len(decisions),
        "redecisions": len(redecisions),
        "alerts": len(alert_rows),
        "head_hash": head["entry_hash"],
        "count": len(entries),
        "retain_until": keep_until.isoformat(),
    }


# ------------------------------------------------------------------------------ verifying
@dataclass(frozen=True)
class VerifyReport:
    """What :func:`verify_bundle` found.

    Attributes
    ----------
    ok : bool
        No problem found.
    problems : tuple of str
        One line per problem, naming the file or entry and what changed.
    files : int
        Entries checked.
    checkpoint : bool
        Whether a checkpoint was checked (without one, truncation of the newest entries
        cannot be ruled out by the chain alone).
    """

    ok: bool
    problems: tuple[str, ...]
    files: int
    checkpoint: bool


def _load_canonical(data: bytes, what: str, problems: list[str]) -> Any:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        problems.append(f"{what}: not valid UTF-8 JSON ({type(exc).__name__}): edited or corrupted")
        return None
    if canonical_json(value) != data:
        problems.append(f"{what}: not canonical JSON (bytes edited; sorted keys, no whitespace)")
    return value


def _is_hash(value: Any) -> bool:
    return (
        isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    )


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def verify_bundle(
    folder: str | os.PathLike[str], *, checkpoint: str | os.PathLike[str] | None = None
) -> VerifyReport:
    """Check a bundle against its manifest and (if given) its checkpoint.

    Parameters
    ----------
    folder : path
        The bundle (written by :func:`write_bundle`).
    checkpoint : path, optional
        The checkpoint file written with it. Without it, the chain and the files are checked,
        but a chain whose newest entries were cut off would still look whole.

    Returns
    -------
    VerifyReport
        ``ok`` and the list of problems.

    Raises
    ------
    FileNotFoundError
        ``folder`` is not a folder, or ``checkpoint`` does not exist.

    Examples
    --------
    >>> verify_bundle("no/such/bundle")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no bundle folder at 'no/such/bundle'; pass the bundle's folder
    """
    if not isinstance(folder, str | os.PathLike):
        raise TypeError(f"folder must be a path, got {type(folder).__name__}")
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(
            f"no bundle folder at {root.as_posix()!r}; pass the bundle's folder"
        )
    point = None
    if checkpoint is not None:
        if not isinstance(checkpoint, str | os.PathLike):
            raise TypeError(f"checkpoint must be a path, got {type(checkpoint).__name__}")
        if not Path(checkpoint).is_file():
            raise FileNotFoundError(
                f"no checkpoint at {Path(checkpoint).as_posix()!r}; pass the --checkpoint file "
                "written with the bundle"
            )
        point = Path(checkpoint).read_bytes()
    problems: list[str] = []
    manifest_path = root / MANIFEST
    entries: list[Any] = []
    if not manifest_path.is_file():
        problems.append(f"{MANIFEST}: missing (deleted): nothing can be verified")
    else:
        manifest = _load_canonical(manifest_path.read_bytes(), MANIFEST, problems)
        if manifest is not None:
            if not isinstance(manifest, dict) or set(manifest) != {
                "algorithm",
                "entries",
                "format",
            }:
                problems.append(f"{MANIFEST}: keys changed; expected algorithm, entries, format")
                manifest = manifest if isinstance(manifest, dict) else {}
            if manifest.get("format") != FORMAT or manifest.get("algorithm") != "sha256":
                problems.append(
                    f"{MANIFEST}: format/algorithm changed (expected {FORMAT!r}, 'sha256')"
                )
            got = manifest.get("entries")
            if not isinstance(got, list):
                problems.append(f"{MANIFEST}: 'entries' is not a list")
            else:
                entries = got
    prev = GENESIS
    listed: list[str] = []
    for i, entry in enumerate(entries):
        where = f"{MANIFEST} entry {i}"
        if not isinstance(entry, dict) or set(entry) != set(ENTRY_KEYS):
            problems.append(f"{where}: fields changed; expected {list(ENTRY_KEYS)}")
            prev = entry.get("entry_hash", prev) if isinstance(entry, dict) else prev
            continue
        path = entry["path"]
        where = f"{MANIFEST} entry {i} ({path})"
        listed.append(str(path))
        if entry["seq"] != i:
            problems.append(f"{where}: seq {entry['seq']!r} at position {i}: entries reordered")
        expected_path = BUNDLE_FILES[i] if i < len(BUNDLE_FILES) else None
        if path != expected_path:
            problems.append(
                f"{where}: path {path!r} where the fixed order has {expected_path!r}: file "
                "renamed, reordered or added"
            )
        if not (
            _is_hash(entry["sha256"]) and _is_hash(entry["prev_hash"]) and _is_count(entry["bytes"])
        ):
            problems.append(f"{where}: sha256, prev_hash or bytes is malformed")
        if entry["prev_hash"] != prev:
            problems.append(
                f"{where}: prev_hash does not match the previous entry's hash: chain broken "
                "(an entry was edited, removed, inserted or reordered)"
            )
        if entry["entry_hash"] != _entry_hash(entry):
            problems.append(f"{where}: entry_hash does not match its fields: entry edited")
        prev = entry["entry_hash"]
        if not isinstance(path, str) or "/" in path or path in ("", ".", "..", MANIFEST):
            problems.append(f"{where}: path {path!r} is not a bundle file name")
            continue
        file = root / path
        if not file.is_file():
            problems.append(f"{path}: missing (deleted) but listed in the manifest")
            continue
        data = file.read_bytes()
        if _sha(data) != entry["sha256"]:
            problems.append(
                f"{path}: contents changed (sha256 differs from the manifest; {len(data)} bytes, "
                f"manifest says {entry['bytes']})"
            )
        elif len(data) != entry["bytes"]:
            problems.append(
                f"{path}: size {len(data)} differs from the manifest's {entry['bytes']}"
            )
    if entries and len(entries) < len(BUNDLE_FILES):
        missing = [p for p in BUNDLE_FILES if p not in listed]
        problems.append(
            f"{MANIFEST}: {len(entries)} entries, the bundle format has {len(BUNDLE_FILES)}; "
            f"not listed: {missing} (chain truncated or entries removed)"
        )
    present = sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink()
    )
    for extra in present:
        if extra != MANIFEST and extra not in listed:
            problems.append(f"{extra}: not in the manifest (file added)")
    if point is not None:
        check = _load_canonical(point, "checkpoint", problems)
        if check is not None:
            if not isinstance(check, dict) or set(check) != set(CHECKPOINT_KEYS):
                problems.append(f"checkpoint: fields changed; expected {list(CHECKPOINT_KEYS)}")
            else:
                if check["count"] != len(entries):
                    problems.append(
                        f"checkpoint: count {check['count']!r} but the manifest has "
                        f"{len(entries)} entries (chain truncated or extended)"
                    )
                if check["seq"] != len(entries) - 1:
                    problems.append(
                        f"checkpoint: head seq {check['seq']!r} but the manifest's last entry is "
                        f"{len(entries) - 1}"
                    )
                head = (
                    entries[-1].get("entry_hash")
                    if entries and isinstance(entries[-1], dict)
                    else None
                )
                if check["head_hash"] != head:
                    problems.append(
                        "checkpoint: head_hash differs from the manifest's last entry_hash "
                        "(chain truncated, replaced or re-signed)"
                    )
    return VerifyReport(not problems, tuple(problems), len(entries), point is not None)
