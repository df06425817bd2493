"""The drift benchmark script runs end to end at smoke sizes (timings are not asserted)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_drift.py"


def test_bench_drift_quick_smoke(capsys):
    spec = importlib.util.spec_from_file_location("bench_drift", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main(["--quick", "--skip-evidently", "--repeats", "1"])
    out = capsys.readouterr().out
    assert "drift_table" in out and "drift_over_time" in out
    assert results["psi_max_gap"] < 1e-12  # lendlab PSI equals the plain numpy PSI
    assert results["over_time_rows"] == 90 * 4 * 13
