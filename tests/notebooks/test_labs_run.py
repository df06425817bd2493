"""An untouched lab runs top to bottom, and every check in it says "Not attempted"."""

from __future__ import annotations

from sizes import SIZES

from lendlab.course.runner import run_notebook


def test_untouched_lab_runs_and_nothing_is_attempted(
    lab_path, lendlab_kernel, cell_timeout, tmp_path
):
    run = run_notebook(
        lab_path,
        out_path=tmp_path / lab_path.name,
        parameters=SIZES.get(lab_path.name[:6], {}),  # nothing checked here depends on size
        kernel_name=lendlab_kernel,
        timeout=cell_timeout,
    )
    assert run.error is None, f"{lab_path.name} failed: {run.error}"
    assert run.checks, f"{lab_path.name}: no check lines printed"
    attempted = [f"{q}: {s}" for q, s in run.checks if s != "not_attempted"]
    assert not attempted, (
        f"{lab_path.name}: checks that are not 'Not attempted' in an untouched lab "
        f"(a leaked solution, or a check that runs before ex.bind): {attempted}"
    )
