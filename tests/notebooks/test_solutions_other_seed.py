"""Every solution still passes every check on data from another seed (strict mode).

A check that compares with a constant tied to the stored seed fails here.
"""

from __future__ import annotations

import nbformat

from lendlab.course.runner import run_notebook, stored_seed

SEED_SHIFT = 7


def test_solution_passes_with_another_seed(solution_path, lendlab_kernel, cell_timeout, tmp_path):
    seed = stored_seed(nbformat.read(solution_path, as_version=4)) + SEED_SHIFT
    run = run_notebook(
        solution_path,
        out_path=tmp_path / solution_path.name,
        parameters={"seed": seed},
        strict=True,
        kernel_name=lendlab_kernel,
        timeout=cell_timeout,
    )
    assert run.error is None, f"{solution_path.name} with seed={seed} failed: {run.error}"
    assert run.checks, f"{solution_path.name}: no check lines printed"
    assert run.counts["correct"] == len(run.checks), run.summary()
