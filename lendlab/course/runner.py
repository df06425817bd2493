"""Run lab and solution notebooks headless (papermill) and read their check lines.

Used by ``lendlab labs run`` and by the notebook tests. Every check prints one line
``Q3 (title): Correct | Incorrect: ... | Not attempted. ... | Not ready: ... | Could not
check ...``; :func:`parse_checks` reads them back from an executed notebook.

Example
-------
>>> parse_checks("Q1 (bad rate): Correct\\nnoise\\nQ2 (cutoff): Not attempted. Replace ____")
[('Q1', 'correct'), ('Q2', 'not_attempted')]
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

__all__ = [
    "KERNEL_NAME",
    "CHECK_LINE",
    "NotebookRun",
    "parse_checks",
    "checks_in",
    "resolve_weeks",
    "run_notebook",
    "stored_seed",
]

KERNEL_NAME = "lendlab"

#: One check line as printed by lendlab.course.exercises (the status is the text after the colon).
CHECK_LINE = re.compile(
    r"^(?P<q>Q\d+) \((?P<title>.*)\): "
    r"(?P<status>Correct|Incorrect|Not attempted|Not ready|Could not check)\b",
    re.MULTILINE,
)
_STATUS = {
    "Correct": "correct",
    "Incorrect": "incorrect",
    "Not attempted": "not_attempted",
    "Not ready": "not_ready",
    "Could not check": "error",
}


def parse_checks(text: str) -> list[tuple[str, str]]:
    """``(question, status)`` for every check line in ``text``, in order.

    Status is one of ``correct, incorrect, not_attempted, not_ready, error``.

    Examples
    --------
    >>> parse_checks("Q3 (a cutoff): Incorrect: too high. Try ex.q3.hint()")
    [('Q3', 'incorrect')]
    """
    return [(m["q"], _STATUS[m["status"]]) for m in CHECK_LINE.finditer(text)]


def checks_in(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """Check lines printed (to stdout) in an executed notebook's outputs.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook()
    >>> cell = nbformat.v4.new_code_cell("ex.q1.check(x)")
    >>> cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
    ...                                        text="Q1 (t): Correct\\n")]
    >>> nb.cells = [cell]
    >>> checks_in(nb)
    [('Q1', 'correct')]
    """
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stdout":
                found.extend(parse_checks(out.get("text", "")))
    return found


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
