"""Run lab and solution notebooks headless (papermill) and read their check results.

Used by ``lendlab labs run`` and by the notebook tests. Every check in a notebook leaves one
display output carrying its :class:`~lendlab.course.exercises.checks.CheckResult` as JSON under
:data:`~lendlab.course.exercises.checks.CHECK_MIMETYPE` (next to the ``text/plain`` line the
learner reads); :func:`checks_in` reads that data back, never the text.

Example
-------
>>> nb = nbformat.v4.new_notebook()
>>> cell = nbformat.v4.new_code_cell("ex.q1.check(x)")
>>> cell.outputs = [nbformat.v4.new_output("display_data", data={
...     "text/plain": "Q1 (bad rate): Correct",
...     CHECK_MIMETYPE: {"question": "Q1", "status": "correct", "message": "Correct"}})]
>>> nb.cells = [cell]
>>> checks_in(nb)
[('Q1', 'correct')]
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from lendlab.course.exercises.checks import CHECK_MIMETYPE, STATUSES

__all__ = [
    "KERNEL_NAME",
    "NotebookRun",
    "check_results",
    "checks_in",
    "resolve_weeks",
    "run_notebook",
    "stored_seed",
]

KERNEL_NAME = "lendlab"


def check_results(nb: nbformat.NotebookNode) -> list[dict[str, Any]]:
    """The check results stored in an executed notebook's outputs, in order, as dicts.

    Each dict has at least ``question`` and ``status`` (one of ``correct, incorrect,
    not_attempted, not_ready, error``) and ``message``. Outputs without the check MIME type
    (printed text, tables, plots) are ignored: a printed line that merely looks like a check
    does not count.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook()
    >>> cell = nbformat.v4.new_code_cell("print('Q1 (t): Correct')")
    >>> cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="Q1 (t): Correct\\n")]
    >>> nb.cells = [cell]
    >>> check_results(nb)
    []
    """
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") not in ("display_data", "execute_result"):
                continue
            data = out.get("data", {}).get(CHECK_MIMETYPE)
            if data is None:
                continue
            if not isinstance(data, Mapping) or data.get("status") not in STATUSES:
                raise ValueError(
                    f"cell {index}: a {CHECK_MIMETYPE} output without a valid status "
                    f"({data!r}); re-run the notebook with this version of lendlab"
                )
            found.append(dict(data))
    return found


def checks_in(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """``(question, status)`` for every check result in an executed notebook, in order.

    Examples
    --------
    >>> checks_in(nbformat.v4.new_notebook())
    []
    """
    return [(r["question"], r["status"]) for r in check_results(nb)]


def stored_seed(nb: nbformat.NotebookNode) -> int:
    """The ``seed`` assigned in the notebook's ``parameters`` cell.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells = [nbformat.v4.new_code_cell("seed = 7\\nn = 100",
    ...                                       metadata={"tags": ["parameters"]})]
    >>> stored_seed(nb)
    7
    """
    import ast

    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            for stmt in ast.parse(cell.source).body:
                if (
                    isinstance(stmt, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "seed" for t in stmt.targets)
                    and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, int)
                ):
                    return stmt.value.value
            break
    raise ValueError(
        "notebook has no `seed = <int>` in its cell tagged 'parameters'; add one to the first "
        "code cell"
    )


def resolve_weeks(weeks: Iterable[str], directory: str | Path) -> list[Path]:
    """Map ``1``, ``01`` or ``week01`` (or a file name) to ``directory/week01_*.ipynb``.

    No weeks means every ``week*.ipynb`` in ``directory``.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); _ = (d / "week01_metrics.ipynb").write_text("{}")
    >>> [p.name for p in resolve_weeks(["1"], d)]
    ['week01_metrics.ipynb']
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a directory")
    available = sorted(folder.glob("week*.ipynb"))
    weeks = list(weeks)
    if not weeks:
        return available
    chosen: list[Path] = []
    for week in weeks:
        text = str(week).strip()
        match = re.fullmatch(r"(?:week)?0*(\d{1,2})", text, flags=re.IGNORECASE)
        if match:
            prefix = f"week{int(match.group(1)):02d}"
            hits = [
                p
                for p in available
                if p.name == f"{prefix}.ipynb" or p.name.startswith(prefix + "_")
            ]
        else:
            hits = [p for p in available if p.name in (text, text + ".ipynb") or p.stem == text]
        if not hits:
            names = ", ".join(p.stem for p in available) or "none"
            raise ValueError(
                f"week {text!r}: no matching notebook in {folder} (available: {names})"
            )
        chosen.extend(h for h in hits if h not in chosen)
    return chosen


@contextmanager
def _env(changes: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or with None, unset) environment variables; the kernel inherits them."""
    saved = {k: os.environ.get(k) for k in changes}
    try:
        for k, v in changes.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@dataclass
class NotebookRun:
    """What happened when one notebook ran: time, check lines, and the error if any."""

    path: Path
    out_path: Path
    seconds: float
    checks: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None

    @property
    def counts(self) -> Counter:
        """Check statuses counted, e.g. ``Counter({'correct': 8})``."""
        return Counter(status for _, status in self.checks)

    def summary(self) -> str:
        """``8 checks: 8 correct``."""
        if not self.checks:
            return "0 checks"
        order = ["correct", "incorrect", "not_attempted", "not_ready", "error"]
        parts = [f"{self.counts[s]} {s.replace('_', ' ')}" for s in order if self.counts[s]]
        return f"{len(self.checks)} checks: {', '.join(parts)}"


def _describe_error(exc: BaseException) -> str:
    ename = getattr(exc, "ename", None)
    if ename:  # papermill's PapermillExecutionError
        cell = getattr(exc, "exec_count", "?")
        evalue = " ".join(str(getattr(exc, "evalue", "")).split())
        return f"{ename} in cell [{cell}]: {evalue[:200]}"
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}"


def run_notebook(
    path: str | Path,
    *,
    out_path: str | Path,
    parameters: Mapping[str, Any] | None = None,
    strict: bool = False,
    kernel_name: str = KERNEL_NAME,
    timeout: float = 120,
    progress_bar: bool = False,
) -> NotebookRun:
    """Execute one notebook with papermill and return what happened (never raises on a
    notebook error: the error is in the result and the executed copy is still written).

    Parameters
    ----------
    path : str or Path
        The notebook to run; it runs with its own folder as working directory.
    out_path : str or Path
        Where the executed copy goes.
    parameters : mapping, optional
        Injected after the cell tagged ``parameters`` (e.g. ``{"seed": 7}``).
    strict : bool
        Run with ``LENDLAB_STRICT=1`` so any check that is not Correct raises.
    kernel_name : str
        The kernelspec to run (``lendlab``, registered by ``./bootstrap``).
    timeout : float
        Seconds allowed per cell.

    Examples
    --------
    >>> run_notebook("missing.ipynb", out_path="out.ipynb")
    Traceback (most recent call last):
    ...
    FileNotFoundError: missing.ipynb: no such notebook
    """
    import papermill

    src, out = Path(path), Path(out_path)
    if not src.is_file():
        raise FileNotFoundError(f"{src}: no such notebook")
    if timeout <= 0:
        raise ValueError(f"timeout must be positive seconds per cell, got {timeout!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    error = None
    start = time.perf_counter()
    with _env({"LENDLAB_STRICT": "1" if strict else None}):
        try:
            papermill.execute_notebook(
                str(src),
                str(out),
                parameters=dict(parameters or {}),
                kernel_name=kernel_name,
                cwd=str(src.parent.resolve()),
                execution_timeout=timeout,
                progress_bar=progress_bar,
                log_output=False,
            )
        except Exception as exc:  # noqa: BLE001 - report any failure as the notebook's verdict
            error = _describe_error(exc)
    seconds = time.perf_counter() - start
    checks: list[tuple[str, str]] = []
    if out.exists():
        checks = checks_in(nbformat.read(out, as_version=4))
    return NotebookRun(src, out, seconds, checks, error)
