"""Evidence bundles: contents, every single-byte change detected, delete/add/reorder/truncate,
and the exit codes of the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lendlab.response import BUNDLE_FILES, verify_bundle, write_bundle
from lendlab.response.evidence import MANIFEST, canonical_json
from lendlab.serving.schemas import example_application
from lendlab.serving.store import DecisionStore

LENDLAB = Path(sys.executable).parent / "lendlab"
START, END = "2026-01-05T10:00:00Z", "2026-01-05T11:00:00Z"


def _row(i: int, minute: int, hour: int, decision: str) -> dict:
    body = example_application(i)
    body["applied_at"] = f"2026-01-0{5 if hour >= 10 else 4}T08:00:00+00:00"
    body["protected_proxy"] = 0.9 if i % 2 else 0.1
    snapshot = {k: v for k, v in body.items() if k not in ("application_id", "applied_at")}
    return {
        **snapshot,
        "application_id": i,
        "applied_at": body["applied_at"],
        "received_at": f"2026-01-05T{hour:02d}:{minute:02d}:00+00:00",
        "model_version": "scorecard-2025.1",
        "active_model": "scorecard-2025.1",
        "model_sha256": "ab" * 32,
        "pd": 0.31 if decision == "decline" else 0.08,
        "score": 555 if decision == "decline" else 640,
        "decision": decision,
        "reason_1": "Debt-to-income ratio too high" if decision == "decline" else None,
        "request_id": f"req-{i}",
        "input_json": json.dumps(body, sort_keys=True, separators=(",", ":")),
    }


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("evidence")
    db = root / "decisions.db"
    store = DecisionStore(db)
    futures = [store.submit_decision(_row(i, i, 9, "approve")) for i in range(1, 5)]
    futures += [
        store.submit_decision(_row(i, i, 10, "decline" if i % 2 else "approve"))
        for i in range(5, 9)
    ]
    futures.append(store.submit_decision(_row(9, 0, 11, "approve")))  # at END: excluded
    for f in futures:
        assert f.result(timeout=10)
    store.close()
    pages = root / "pages.jsonl"
    note = {
        "status": "firing",
        "receiver": "pager",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "ApprovalRateDrop", "severity": "page"},
                "annotations": {"summary": "approval rate fell"},
                "startsAt": "2026-01-05T10:04:00Z",
            }
        ],
    }
    record = {"received_at": "2026-01-05T10:05:00+00:00", "path": "/alerts", "notification": note}
    pages.write_text(json.dumps(record) + "\n")
    out, check = root / "bundle", root / "bundle.checkpoint.json"
    info = write_bundle(
        db, START, END, out, checkpoint=check, alerts=pages, created_at="2026-01-06T00:00Z"
    )
    return {"root": root, "db": db, "pages": pages, "out": out, "check": check, "info": info}


@pytest.fixture
def bundle(source, tmp_path) -> tuple[Path, Path]:
    out = tmp_path / "bundle"
    shutil.copytree(source["out"], out)
    check = tmp_path / "checkpoint.json"
    shutil.copy(source["check"], check)
    return out, check


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_bundle_contents(source):
    out, info = source["out"], source["info"]
    assert sorted(p.name for p in out.iterdir()) == sorted([*BUNDLE_FILES, MANIFEST])
    assert info["decisions"] == 4 and info["alerts"] == 1 and info["count"] == len(BUNDLE_FILES)
    decisions = _lines(out / "decisions.jsonl")
    assert [d["application_id"] for d in decisions] == [5, 6, 7, 8]  # window on received_at
    first = decisions[0]
    assert first["model_sha256"] == "ab" * 32 and first["model_version"] == "scorecard-2025.1"
    assert first["reasons"] == ["Debt-to-income ratio too high"]
    assert first["inputs"]["fico"] == 700 and first["request"]["application_id"] == 5
    assert first["notice_deadline"] == "2026-02-04"
    monitoring = json.loads((out / "monitoring.json").read_text())
    assert monitoring["summary"]["baseline_approval"] == 1.0
    assert monitoring["summary"]["incident_approval"] == 0.5
    assert monitoring["air"]["before"] == 1.0 and monitoring["air"]["after"] < 0.5
    assert any(r["dimension"] == "proxy_group" for r in monitoring["approval_by_segment"])
    alerts = _lines(out / "alerts.jsonl")
    assert alerts[0]["alertname"] == "ApprovalRateDrop" and alerts[0]["in_window"]
    assert len(_lines(out / "redecisions.jsonl")) == 4  # no fix given: all pending
    notices = json.loads((out / "notices.json").read_text())
    assert notices["schedule"] == [
        {"cumulative": 4, "days_left": 30, "deadline": "2026-02-04", "notices_due": 4}
    ]
    assert notices["retain_until"] == "2028-03-04" == info["retain_until"]
    meta = json.loads((out / "bundle.json").read_text())
    assert meta["retain_until"] == "2028-03-04" and meta["files"] == list(BUNDLE_FILES)
    manifest = (out / MANIFEST).read_bytes()
    assert canonical_json(json.loads(manifest)) == manifest  # canonical: no whitespace
    checkpoint = json.loads(source["check"].read_text())
    assert set(checkpoint) == {"seq", "head_hash", "count"}
    assert checkpoint["count"] == len(BUNDLE_FILES)
    assert checkpoint["head_hash"] == json.loads(manifest)["entries"][-1]["entry_hash"]


def test_intact_bundle_verifies(bundle):
    out, check = bundle
    assert verify_bundle(out, checkpoint=check).ok
    assert verify_bundle(out).ok


@pytest.fixture
def ram_bundle(source) -> Iterator[tuple[Path, Path]]:
    """A copy on tmpfs when there is one: ~25,000 write-and-verify rounds take seconds there,
    a minute on a disk-backed tmp."""
    shm = Path("/dev/shm")
    base = Path(tempfile.mkdtemp(dir=shm if shm.is_dir() and os.access(shm, os.W_OK) else None))
    try:
        shutil.copytree(source["out"], base / "bundle")
        shutil.copy(source["check"], base / "checkpoint.json")
        yield base / "bundle", base / "checkpoint.json"
    finally:
        shutil.rmtree(base)


@pytest.mark.parametrize("name", [*BUNDLE_FILES, MANIFEST, "(checkpoint)"])
def test_every_single_byte_change_is_detected(ram_bundle, name):
    """Flip every byte of the file two ways (its lowest bit, all its bits); each is caught."""
    out, check = ram_bundle
    path = check if name == "(checkpoint)" else out / name
    original = path.read_bytes()
    assert original, f"{name} is empty: nothing to flip"
    for pos in range(len(original)):
        for mask in (0x01, 0xFF):
            data = bytearray(original)
            data[pos] ^= mask
            path.write_bytes(bytes(data))
            report = verify_bundle(out, checkpoint=check)
            assert not report.ok, f"{name} byte {pos} ^ {mask:#x} not detected"
            if name == MANIFEST:  # an edited manifest is caught without the checkpoint too
                assert not verify_bundle(out).ok, f"{name} byte {pos} ^ {mask:#x}: chain alone"
    path.write_bytes(original)
    assert verify_bundle(out, checkpoint=check).ok


def test_appended_byte_and_empty_file_are_detected(bundle):
    out, check = bundle
    (out / "alerts.jsonl").write_bytes((out / "alerts.jsonl").read_bytes() + b"\n")
    assert "alerts.jsonl: contents changed" in verify_bundle(out, checkpoint=check).problems[0]


def test_deleted_file(bundle):
    out, check = bundle
    (out / "notices.json").unlink()
    problems = verify_bundle(out, checkpoint=check).problems
    assert problems == ("notices.json: missing (deleted) but listed in the manifest",)


def test_added_file(bundle):
    out, check = bundle
    (out / "extra.csv").write_text("application_id\n1\n")
    assert verify_bundle(out, checkpoint=check).problems == (
        "extra.csv: not in the manifest (file added)",
    )


def test_reordered_entries(bundle):
    out, check = bundle
    manifest = json.loads((out / MANIFEST).read_bytes())
    manifest["entries"][1], manifest["entries"][2] = manifest["entries"][2], manifest["entries"][1]
    (out / MANIFEST).write_bytes(canonical_json(manifest))
    problems = " | ".join(verify_bundle(out, checkpoint=check).problems)
    assert "reordered" in problems and "chain broken" in problems


def test_swapped_file_contents(bundle):
    out, check = bundle
    a, b = (out / "redecisions.jsonl").read_bytes(), (out / "decisions.jsonl").read_bytes()
    (out / "decisions.jsonl").write_bytes(a)
    (out / "redecisions.jsonl").write_bytes(b)
    problems = verify_bundle(out, checkpoint=check).problems
    assert {p.split(":")[0] for p in problems} == {"decisions.jsonl", "redecisions.jsonl"}


def _truncate(out: Path) -> None:
    """Cut the newest entry and its file: what a bare chain cannot notice."""
    manifest = json.loads((out / MANIFEST).read_bytes())
    last = manifest["entries"].pop()
    (out / last["path"]).unlink()
    (out / MANIFEST).write_bytes(canonical_json(manifest))


def test_truncated_chain_is_caught_by_the_checkpoint(bundle):
    out, check = bundle
    _truncate(out)
    problems = verify_bundle(out, checkpoint=check).problems
    assert any(p.startswith("checkpoint: count 6 but the manifest has 5") for p in problems)
    assert any("head_hash differs" in p for p in problems)


def test_rebuilt_chain_is_caught_by_the_checkpoint(bundle):
    """An attacker who edits a file and recomputes the whole chain: only the checkpoint knows."""
    from lendlab.response.evidence import _chain

    out, check = bundle
    (out / "decisions.jsonl").write_bytes(b"")
    files = [(name, (out / name).read_bytes()) for name in BUNDLE_FILES]
    manifest = json.loads((out / MANIFEST).read_bytes())
    manifest["entries"] = _chain(files)
    (out / MANIFEST).write_bytes(canonical_json(manifest))
    assert verify_bundle(out).ok  # the chain alone is consistent again
    problems = verify_bundle(out, checkpoint=check).problems
    assert problems == (
        "checkpoint: head_hash differs from the manifest's last entry_hash (chain truncated, "
        "replaced or re-signed)",
    )


def test_bad_arguments(source, tmp_path):
    with pytest.raises(ValueError, match="never overwritten"):
        write_bundle(source["db"], START, END, source["out"], checkpoint=tmp_path / "c.json")
    with pytest.raises(ValueError, match="inside the bundle"):
        write_bundle(source["db"], START, END, tmp_path / "b", checkpoint=tmp_path / "b" / "c")
    with pytest.raises(ValueError, match="before end"):
        write_bundle(source["db"], END, START, tmp_path / "b", checkpoint=tmp_path / "c.json")
    with pytest.raises(FileNotFoundError, match="no decision log"):
        write_bundle(tmp_path / "no.db", START, END, tmp_path / "b", checkpoint=tmp_path / "c")
    with pytest.raises(FileNotFoundError, match="pager"):
        write_bundle(
            source["db"],
            START,
            END,
            tmp_path / "b",
            checkpoint=tmp_path / "c",
            alerts=tmp_path / "none.jsonl",
        )
    with pytest.raises(TypeError, match="path"):
        write_bundle(source["db"], START, END, 42, checkpoint=tmp_path / "c")
    with pytest.raises(FileNotFoundError, match="checkpoint"):
        verify_bundle(source["out"], checkpoint=tmp_path / "missing.json")


def test_redecide_builds_the_list(source, tmp_path):
    info = write_bundle(
        source["db"],
        START,
        END,
        tmp_path / "b",
        checkpoint=tmp_path / "c.json",
        redecide=lambda frame: ["approve"] * len(frame),
        redecide_basis="test fix",
    )
    rows = _lines(tmp_path / "b" / "redecisions.jsonl")
    assert info["redecisions"] == 2 == len(rows)
    assert {r["change"] for r in rows} == {"decline->approve"}
    assert {r["basis"] for r in rows} == {"test fix"}


# ------------------------------------------------------------------ the real command line
def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LENDLAB), "incident", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_bundle_verify_and_exit_codes(source, tmp_path):
    out, check = tmp_path / "cli-bundle", tmp_path / "cli.checkpoint.json"
    made = _run(
        "bundle",
        "--db",
        str(source["db"]),
        "--start",
        START,
        "--end",
        END,
        "--out",
        str(out),
        "--checkpoint",
        str(check),
        "--alerts",
        str(source["pages"]),
    )
    assert made.returncode == 0, made.stderr
    assert "4 decision(s)" in made.stdout and "retain until 2028-03-04" in made.stdout
    ok = _run("verify", str(out), "--checkpoint", str(check))
    assert ok.returncode == 0, ok.stderr
    assert "chain and checkpoint match" in ok.stdout

    data = bytearray((out / "monitoring.json").read_bytes())
    data[10] ^= 0x01
    (out / "monitoring.json").write_bytes(bytes(data))
    bad = _run("verify", str(out), "--checkpoint", str(check))
    assert bad.returncode == 1
    assert "TAMPERED: monitoring.json: contents changed" in bad.stderr
    data[10] ^= 0x01
    (out / "monitoring.json").write_bytes(bytes(data))

    _truncate(out)
    no_check = _run("verify", str(out))
    assert no_check.returncode == 1  # the fixed file list still shows the missing entry
    assert "chain truncated or entries removed" in no_check.stderr
    cut = _run("verify", str(out), "--checkpoint", str(check))
    assert cut.returncode == 1 and "checkpoint: count 6" in cut.stderr


def test_cli_errors(source, tmp_path):
    missing = _run("verify", str(tmp_path / "nothing"))
    assert missing.returncode == 1 and missing.stderr.startswith("lendlab: error: no bundle")
    again = _run(
        "bundle",
        "--db",
        str(source["db"]),
        "--start",
        START,
        "--end",
        END,
        "--out",
        str(source["out"]),
        "--checkpoint",
        str(tmp_path / "c.json"),
    )
    assert again.returncode == 1 and "never overwritten" in again.stderr
    usage = _run("bundle", "--db", str(source["db"]))
    assert usage.returncode == 2
    model = _run(
        "bundle",
        "--db",
        str(source["db"]),
        "--start",
        START,
        "--end",
        END,
        "--out",
        str(tmp_path / "m"),
        "--checkpoint",
        str(tmp_path / "m.json"),
        "--redecide-with",
        "champion",
    )
    assert model.returncode == 1 and "--model-dir" in model.stderr
