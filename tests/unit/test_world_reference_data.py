"""The committed reference datasets regenerate byte for byte."""

from pathlib import Path

from lendlab.world import reference_data

ROOT = Path(__file__).resolve().parents[2]


def test_committed_datasets_reproduce_exactly():
    problems = reference_data.verify(ROOT / "datasets")
    assert problems == [], "\n".join(problems)


def test_reference_files_stay_small():
    total = sum(p.stat().st_size for p in (ROOT / "datasets").iterdir())
    assert total <= 10 * 1024 * 1024


def test_verify_detects_a_changed_byte(tmp_path):
    reference_data.build(tmp_path, n=500, card_rows=5_000)
    assert reference_data.verify(tmp_path, n=500, card_rows=5_000) == []
    csv = tmp_path / "applications.csv"
    data = bytearray(csv.read_bytes())
    data[-2] = ord("7") if data[-2] != ord("7") else ord("8")
    csv.write_bytes(bytes(data))
    problems = reference_data.verify(tmp_path, n=500, card_rows=5_000)
    assert len(problems) == 1 and "applications.csv" in problems[0]
