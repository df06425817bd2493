"""Static checks on the notebooks: what papermill, nbval and the lab build rely on."""

from __future__ import annotations

import nbformat
import pytest

from lendlab.course.authoring import validate_solution
from lendlab.course.runner import checks_in


def test_solution_metadata_and_parameters(solution_path):
    """kernelspec 'lendlab', language_info, first code cell tagged 'parameters' with seed."""
    validate_solution(nbformat.read(solution_path, as_version=4), name=solution_path.name)


def test_solution_outputs_are_from_a_real_run(solution_path):
    """nbval fails a cell with stored outputs but no execution count, and learners read the
    stored outputs: they must come from a run where every check passed."""
    nb = nbformat.read(solution_path, as_version=4)
    bad = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and cell.outputs and cell.execution_count is None
    ]
    assert not bad, f"{solution_path.name}: cells {bad} have outputs but no execution count"
    checks = checks_in(nb)
    if not checks:
        pytest.fail(
            f"{solution_path.name}: no check lines in the stored outputs; execute the solution "
            "and save it (nbval compares against these outputs)",
            pytrace=False,
        )
    wrong = [f"{q}: {status}" for q, status in checks if status != "correct"]
    assert not wrong, f"{solution_path.name}: stored outputs show checks that fail: {wrong}"


def test_labs_carry_no_outputs(lab_path):
    nb = nbformat.read(lab_path, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == "lendlab"
    assert nb.metadata.get("language_info"), f"{lab_path.name}: no language_info"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, (
                f"{lab_path.name} cell {i} has outputs: labs are generated, run "
                "`lendlab labs build`"
            )
