"""Read the graded solution cells of a solutions/ notebook, and run the notebook in-process.

Shared by the solution-code tests: :func:`solution_blocks` maps ``q3`` to the code between
``### BEGIN SOLUTION`` and ``### END SOLUTION`` in the cell that calls ``ex.q3.check``;
:func:`run_with_solution_code` executes the notebook's code cells in one namespace with every
such block replaced by the question's ``solution_code``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import nbformat

BLOCK = re.compile(r"### BEGIN SOLUTION\n(?P<code>.*?)### END SOLUTION\n?", re.DOTALL)
CHECK = re.compile(r"\bex\.(?P<q>q\d+)\.check\(")


def week_module(path: Path) -> ModuleType:
    """``lendlab.course.exercises.weekNN`` for ``solutions/weekNN_topic.ipynb``."""
    return importlib.import_module(f"lendlab.course.exercises.{path.name[:6]}")


def solution_blocks(path: Path) -> dict[str, str]:
    """``{"q1": code, ...}``: each graded cell's solution block, keyed by the question it checks."""
    nb = nbformat.read(path, as_version=4)
    found: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        block, check = BLOCK.search(cell.source), CHECK.search(cell.source)
        if block and check:
            assert check["q"] not in found, f"{path.name}: two solution cells check {check['q']}"
            found[check["q"]] = block["code"]
    return found


def normalise(code: str) -> str:
    """Whitespace only: trailing spaces and blank lines go, indentation and order stay."""
    return "\n".join(line.rstrip() for line in code.strip().splitlines() if line.strip())


def run_with_solution_code(path: Path, parameters: Mapping[str, Any]) -> list[str]:
    """Execute ``path``'s code cells in-process, solution blocks replaced by ``solution_code``.

    ``parameters`` override the values of the cell tagged ``parameters`` (as papermill does).
    Returns the questions whose solution ran, in order. Run it with ``LENDLAB_STRICT=1`` so a
    check that is not Correct raises.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    module = week_module(path)
    nb = nbformat.read(path, as_version=4)
    namespace: dict[str, Any] = {"__name__": "__lab__"}
    ran: list[str] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        source = cell.source
        block, check = BLOCK.search(source), CHECK.search(source)
        if block and check:
            question = getattr(module, check["q"])
            source = source.replace(block.group(0), question.solution_code.strip() + "\n")
            ran.append(check["q"])
        exec(compile(source, f"{path.name}[cell {index}]", "exec"), namespace)  # noqa: S102
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            namespace.update(parameters)
        plt.close("all")
    return ran
