"""solutions -> labs: markers, tuple targets, solution-only cells, validation, stable bytes."""

from __future__ import annotations

import nbformat
import pytest

from lendlab.course.authoring import (
    assigned_names,
    blank_solutions,
    build_labs,
    lab_bytes,
    render_lab,
    stale_labs,
    validate_solution,
)

KERNELSPEC = {"name": "lendlab", "display_name": "Python (lendlab)", "language": "python"}
LANGUAGE = {"name": "python", "version": "3.11.7"}


def solution_nb(*cells, kernelspec=KERNELSPEC, language_info=LANGUAGE):
    nb = nbformat.v4.new_notebook()
    if kernelspec is not None:
        nb.metadata["kernelspec"] = dict(kernelspec)
    if language_info is not None:
        nb.metadata["language_info"] = dict(language_info)
    params = nbformat.v4.new_code_cell("seed = 0\nn = 1000", metadata={"tags": ["parameters"]})
    setup = nbformat.v4.new_code_cell("from lendlab.course.exercises import ____")
    nb.cells = [params, setup, *cells]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"id-{i}"
    return nb


def executed(source, *, tags=(), text="out\n"):
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)} if tags else {})
    cell.execution_count = 3
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    cell.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00Z"}
    return cell


# ---------------------------------------------------------------- names and blocks


def test_assigned_names_expands_tuples_and_skips_non_names():
    code = "a, (b, *c) = f()\nd: float = 0.5\ne += 1\nobj.attr = 1\ntable['x'] = 2\na = 3"
    assert assigned_names(code) == ["a", "b", "c", "d", "e"]


def test_block_with_assignments_becomes_one_blank_per_name():
    src = (
        "book = load()\n### BEGIN SOLUTION\ncutoff, cost = pick(book)\n"
        "ratio: float = cost / 2\n### END SOLUTION\nex.q1.check(cutoff)"
    )
    assert blank_solutions(src) == (
        "book = load()\ncutoff = ____  # YOUR CODE HERE\ncost = ____  # YOUR CODE HERE\n"
        "ratio = ____  # YOUR CODE HERE\nex.q1.check(cutoff)"
    )


def test_block_without_assignments_becomes_a_comment_and_multiple_blocks_work():
    src = (
        "### BEGIN SOLUTION\nplot(x)\n### END SOLUTION\nmid = 1\n"
        "### BEGIN SOLUTION\nfor i in range(3):\n    y = i\n### END SOLUTION"
    )
    assert blank_solutions(src) == "# YOUR CODE HERE\nmid = 1\n# YOUR CODE HERE"


@pytest.mark.parametrize(
    ("src", "message"),
    [
        ("### BEGIN SOLUTION\nx = 1", "has no matching '### END SOLUTION'"),
        ("x = 1\n### END SOLUTION", "without a '### BEGIN SOLUTION'"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside the block"),
        ("if x:\n    ### BEGIN SOLUTION\n    y = 1\n    ### END SOLUTION", "indented"),
        ("### BEGIN SOLUTION\n    y = 1\n### END SOLUTION", "not valid Python"),
    ],
)
def test_bad_markers_raise_naming_the_notebook_and_cell(src, message):
    nb = solution_nb(nbformat.v4.new_code_cell(src))
    with pytest.raises(ValueError, match=message) as info:
        render_lab(nb, name="week01_metrics.ipynb")
    assert str(info.value).startswith("week01_metrics.ipynb cell 2:")


# ---------------------------------------------------------------- whole notebooks


def test_render_lab_drops_solution_only_clears_outputs_and_keeps_metadata():
    nb = solution_nb(
        nbformat.v4.new_markdown_cell("## Q1"),
        executed("### BEGIN SOLUTION\nrate = 0.2\n### END SOLUTION\nprint(rate)", tags=["q1"]),
        executed("secret_check()", tags=["solution-only"]),
        executed("seed = 7", tags=["injected-parameters"]),
    )
    nb.metadata["papermill"] = {"duration": 1.0}
    before = nbformat.writes(nb)
    lab = render_lab(nb, name="w.ipynb")
    assert nbformat.writes(nb) == before  # pure
    assert [c.id for c in lab.cells] == ["id-0", "id-1", "id-2", "id-3"]
    code = [c for c in lab.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert code[-1].source == "rate = ____  # YOUR CODE HERE\nprint(rate)"
    assert code[-1].metadata == {"tags": ["q1"]}  # execution timings dropped, tags kept
    assert lab.metadata["kernelspec"]["name"] == "lendlab"
    assert lab.metadata["language_info"] == LANGUAGE
    assert "papermill" not in lab.metadata


def test_cells_without_ids_get_deterministic_ones():
    nb = solution_nb(nbformat.v4.new_markdown_cell("x"))
    del nb.cells[2]["id"]
    assert render_lab(nb).cells[2].id == "cell-2"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda nb: nb.metadata.pop("kernelspec"), "no kernelspec"),
        (lambda nb: nb.metadata["kernelspec"].update(name="python3"), "expected 'lendlab'"),
        (lambda nb: nb.metadata.pop("language_info"), "no language_info"),
        (lambda nb: nb.cells[0].metadata.update(tags=[]), "not tagged 'parameters'"),
        (lambda nb: setattr(nb.cells[0], "source", "n = 10"), "does not assign seed"),
        (lambda nb: setattr(nb.cells[1], "source", "import lendlab"), "no cell imports them"),
        (lambda nb: nb.cells.__setitem__(slice(None), []), "no code cell"),
    ],
)
def test_validate_solution_rejects_notebooks_papermill_or_labs_cannot_use(change, message):
    nb = solution_nb(nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION"))
    validate_solution(nb, name="week02_x.ipynb")
    change(nb)
    with pytest.raises(ValueError, match=message) as info:
        validate_solution(nb, name="week02_x.ipynb")
    assert str(info.value).startswith("week02_x.ipynb")


def test_build_is_byte_stable_and_check_finds_stale_and_orphan_labs(tmp_path):
    sol, labs = tmp_path / "solutions", tmp_path / "labs"
    sol.mkdir()
    nb = solution_nb(executed("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\nex.q1.check(x)"))
    nbformat.write(nb, sol / "week01_demo.ipynb")
    assert stale_labs(sol, labs) == [f"{labs / 'week01_demo.ipynb'}: missing"]
    (path,) = build_labs(sol, labs)
    first = path.read_bytes()
    assert first.endswith(b"}\n") and b"x = ____  # YOUR CODE HERE" in first
    assert lab_bytes(sol / "week01_demo.ipynb") == first
    build_labs(sol, labs)
    assert path.read_bytes() == first
    assert stale_labs(sol, labs) == []
    path.write_bytes(first.replace(b"YOUR CODE HERE", b"edited"))
    assert "differs from a fresh build" in stale_labs(sol, labs)[0]
    (labs / "week09_old.ipynb").write_text("{}")
    assert any("has no solution" in p for p in stale_labs(sol, labs))


def test_build_validates_every_solution_before_writing(tmp_path):
    sol, labs = tmp_path / "solutions", tmp_path / "labs"
    sol.mkdir()
    nbformat.write(solution_nb(), sol / "week01_ok.ipynb")
    nbformat.write(solution_nb(kernelspec=None), sol / "week02_bad.ipynb")
    with pytest.raises(ValueError, match="week02_bad.ipynb: metadata has no kernelspec"):
        build_labs(sol, labs)
    assert not labs.exists()
    with pytest.raises(FileNotFoundError, match="is not a directory"):
        build_labs(tmp_path / "nope", labs)
