"""labs/ must be exactly what `lendlab labs build` makes from solutions/ today."""

from __future__ import annotations

from lendlab.course.authoring import lab_bytes


def test_lab_matches_a_fresh_build(solution_path, labs_dir):
    lab = labs_dir / solution_path.name
    assert lab.exists(), f"{lab} is missing: run `lendlab labs build` and commit labs/"
    assert lab.read_bytes() == lab_bytes(solution_path), (
        f"{lab} is stale (differs from a fresh build of {solution_path}): run "
        "`lendlab labs build` and commit labs/; never edit labs/ by hand"
    )


def test_every_lab_has_a_solution(labs_dir, solutions_dir):
    labs = sorted(labs_dir.glob("week*.ipynb")) if labs_dir.is_dir() else []
    orphans = [p.name for p in labs if not (solutions_dir / p.name).exists()]
    assert not orphans, f"labs without a solution in solutions/: {orphans}; delete them"
