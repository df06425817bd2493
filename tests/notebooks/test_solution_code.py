"""What ``ex.qN.solution()`` shows is the worked solution, and it passes its own check.

Two guarantees per week: each question's ``solution_code`` equals the code between
``### BEGIN SOLUTION`` and ``### END SOLUTION`` in the solutions/ cell that checks it
(whitespace aside); and the notebook, run in-process with every solution block replaced by
``solution_code``, passes every check in strict mode on seeds the lab does not store.
"""

from __future__ import annotations

import contextlib
import io

import pytest
from sizes import SIZES
from solution_cells import normalise, run_with_solution_code, solution_blocks, week_module

#: Seeds the stored notebooks do not use (the lab's is 2026).
SEEDS = (1, 2, 5)


def test_solution_code_equals_the_solution_cell(solution_path):
    module = week_module(solution_path)
    blocks = solution_blocks(solution_path)
    questions = {q.name: q for q in module._week.questions}
    assert sorted(blocks) == sorted(questions), (
        f"{solution_path.name}: graded cells {sorted(blocks)} vs questions {sorted(questions)}"
    )
    differ = [
        name
        for name, q in questions.items()
        if normalise(q.solution_code) != normalise(blocks[name])
    ]
    assert not differ, (
        f"{solution_path.name}: solution_code differs from the notebook's solution cell for "
        f"{differ}; copy the cell's code between the markers into the question"
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_solution_code_runs_in_the_notebook_and_is_correct(
    solution_path, seed, monkeypatch, tmp_path
):
    monkeypatch.setenv("LENDLAB_STRICT", "1")  # a check that is not Correct raises
    monkeypatch.chdir(tmp_path)  # labs write reports/ next to themselves
    module = week_module(solution_path)
    parameters = {**SIZES[solution_path.name[:6]], "seed": seed}
    with contextlib.redirect_stdout(io.StringIO()):
        ran = run_with_solution_code(solution_path, parameters)
    assert ran == [q.name for q in module._week.questions]
