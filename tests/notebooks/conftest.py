"""Shared pieces of the notebook tests: where the notebooks are, and the kernel guard.

Tests that take ``solution_path`` or ``lab_path`` run once per notebook (ids are the file
stems, so a failure names the week). With no notebooks yet they collect nothing and report
one skip ("got empty parameter set").
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
LABS = ROOT / "labs"
#: Seconds one cell may run (papermill) before the test fails instead of hanging CI.
CELL_TIMEOUT = 120
#: Seconds one whole notebook test may take (pytest-timeout).
NOTEBOOK_TIMEOUT = 600


def notebooks(folder: Path) -> list[Path]:
    return sorted(folder.glob("week*.ipynb")) if folder.is_dir() else []


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for name, folder in (("solution_path", SOLUTIONS), ("lab_path", LABS)):
        if name in metafunc.fixturenames:
            paths = notebooks(folder)
            metafunc.parametrize(name, paths, ids=[p.stem for p in paths])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # every notebook execution gets a wall-clock limit, so a hung kernel fails, not hangs, CI
    for item in items:
        if "lendlab_kernel" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(NOTEBOOK_TIMEOUT))


@pytest.fixture(scope="session")
def solutions_dir() -> Path:
    return SOLUTIONS


@pytest.fixture(scope="session")
def labs_dir() -> Path:
    return LABS


@pytest.fixture(scope="session")
def cell_timeout() -> int:
    return CELL_TIMEOUT


@pytest.fixture(scope="session")
def lendlab_kernel() -> str:
    """Fail fast, with the fix, when the 'lendlab' kernel is not this interpreter."""
    from lendlab.course.doctor import diagnose

    report = diagnose()
    if not report.ok:
        pytest.fail(
            "the 'lendlab' Jupyter kernel does not run the Python running these tests, so the "
            "notebooks would test some other environment:\n  " + "\n  ".join(report.problems),
            pytrace=False,
        )
    return "lendlab"
