"""End to end on a throwaway week: solution -> `lendlab labs build` -> `lendlab labs run`.

Runs even before any real lab exists, so the authoring + papermill + check-line plumbing is
always exercised: the lab must run with every check "Not attempted", the solution must pass
in strict mode on another seed, and a wrong solution must fail the run.
"""

from __future__ import annotations

import textwrap

import nbformat
import pytest

from lendlab.cli import main

DEMO_WEEK = '''
"""A two-question week used only by the pipeline smoke test."""
import numpy as np
import pandas as pd

from lendlab.course.exercises.checks import Question, Week, expect_choice, expect_number


def build_context(*, seed: int = 0, n: int = 400) -> dict:
    rng = np.random.default_rng(seed)
    book = pd.DataFrame({"defaulted": (rng.random(n) < 0.2).astype("int8")})
    return {"book": book}


class Q1(Question):
    title = "bad rate"
    hints = ("A mean of a 0/1 column.", "book['defaulted'].mean()")
    solution_code = "bad_rate = book['defaulted'].mean()"
    requires = ("book",)

    def expected(self, ctx):
        return float(ctx["book"]["defaulted"].mean())

    def compare(self, answer, expected, ctx):
        expect_number(answer, expected, what="the bad rate")

    def wrong_answers(self, ctx):
        return [100 * self.expected(ctx), 1 - self.expected(ctx)]


class Q2(Question):
    title = "risk label"
    hints = ("Compare with 20%.", "'high' above 0.2, else 'low'.")
    solution_code = "label = 'high' if bad_rate > 0.2 else 'low'"
    requires = ("book",)

    def expected(self, ctx):
        return "high" if ctx["book"]["defaulted"].mean() > 0.2 else "low"

    def compare(self, answer, expected, ctx):
        expect_choice(answer, expected, choices=["high", "low"])

    def wrong_answers(self, ctx):
        return ["low" if self.expected(ctx) == "high" else "high"]


_week = Week("week99", [Q1(), Q2()], build_context=build_context)
bind, q1, q2 = _week.bind, *_week.questions
'''


def demo_solution(*, q1_answer: str = 'book["defaulted"].mean()') -> nbformat.NotebookNode:
    cells = [
        nbformat.v4.new_code_cell("seed = 3\nn = 400", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "from lendlab.course.exercises import ____\nfrom demo_weeks import week99 as ex\n"
            'book = ex.build_context(seed=seed, n=n)["book"]\nex.bind(book=book)'
        ),
        nbformat.v4.new_markdown_cell("## Q1: the bad rate"),
        nbformat.v4.new_code_cell(
            f"### BEGIN SOLUTION\nbad_rate = {q1_answer}\n### END SOLUTION\nex.q1.check(bad_rate)"
        ),
        nbformat.v4.new_code_cell(
            "### BEGIN SOLUTION\nlabel = 'high' if bad_rate > 0.2 else 'low'\n### END SOLUTION\n"
            "ex.q2.check(label)"
        ),
        nbformat.v4.new_code_cell("assert bad_rate < 1", metadata={"tags": ["solution-only"]}),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "lendlab",
        "display_name": "Python (lendlab)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"demo-{i}"
    return nb


@pytest.fixture
def demo(tmp_path, monkeypatch):
    pkg = tmp_path / "pkg" / "demo_weeks"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "week99.py").write_text(textwrap.dedent(DEMO_WEEK))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "pkg"))  # the kernel inherits it
    (tmp_path / "solutions").mkdir()
    return tmp_path


def test_build_then_run_lab_and_solution(demo, lendlab_kernel, capsys):
    nbformat.write(demo_solution(), demo / "solutions" / "week99_demo.ipynb")
    sol, labs, runs = (str(demo / d) for d in ("solutions", "labs", "runs"))
    assert main(["labs", "build", "--solutions", sol, "--labs", labs]) == 0
    assert main(["labs", "build", "--solutions", sol, "--labs", labs, "--check"]) == 0
    lab = nbformat.read(demo / "labs" / "week99_demo.ipynb", as_version=4)
    assert "bad_rate = ____  # YOUR CODE HERE" in lab.cells[3].source
    assert len(lab.cells) == 5  # the solution-only cell is gone
    capsys.readouterr()

    assert main(["labs", "run", "99", "--dir", labs, "--out", runs]) == 0
    out = capsys.readouterr().out
    assert "PASS week99_demo (" in out and "2 checks: 2 not attempted)" in out

    code = main(
        ["labs", "run", "week99", "--solutions", "--dir", sol, "--out", runs]
        + ["--seed", "10", "--strict"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "2 checks: 2 correct)" in out
    executed = nbformat.read(demo / "runs" / "solutions" / "week99_demo.ipynb", as_version=4)
    assert any("seed = 10" in c.source for c in executed.cells)  # papermill injected it


def test_a_wrong_solution_fails_the_strict_run(demo, lendlab_kernel, capsys):
    wrong = demo_solution(q1_answer='100 * book["defaulted"].mean()')
    nbformat.write(wrong, demo / "solutions" / "week99_demo.ipynb")
    code = main(
        ["labs", "run", "--solutions", "--dir", str(demo / "solutions")]
        + ["--out", str(demo / "runs"), "--strict"]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL week99_demo" in out and "CheckFailed" in out
