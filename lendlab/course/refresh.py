"""Re-execute worked solution notebooks in place, so their stored outputs are fresh.

Authors run this after editing a solution (``python -m lendlab.course.refresh
solutions/week03_*.ipynb``). It executes every cell on the ``lendlab`` kernel from the
notebook's own folder with ``LENDLAB_STRICT=1`` (a broken solution stops the refresh instead of
storing an "Incorrect"), drops run-to-run metadata, and writes the notebook back in the same
format :mod:`lendlab.course.authoring` reads. nbval then compares these outputs in CI.

Example
-------
>>> main(["missing.ipynb"])
lendlab refresh: error: missing.ipynb: no such notebook
2
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from lendlab.course.authoring import (
    KERNEL_NAME,
    VOLATILE_CELL_METADATA,
    VOLATILE_NB_METADATA,
    _dumps,
)

__all__ = ["refresh_notebook", "main"]


def refresh_notebook(path: str | Path, *, timeout: int = 300) -> float:
    """Execute ``path`` in place on the ``lendlab`` kernel; return the seconds it took.

    Raises ``FileNotFoundError`` for a missing file and nbclient's ``CellExecutionError`` (with
    the failing cell) when a cell fails; the file is only rewritten after a clean run.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such notebook")
    nb = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    saved = os.environ.get("LENDLAB_STRICT")
    os.environ["LENDLAB_STRICT"] = "1"
    try:
        NotebookClient(
            nb,
            kernel_name=KERNEL_NAME,
            timeout=timeout,
            resources={"metadata": {"path": str(path.parent.resolve())}},
        ).execute()
    finally:
        if saved is None:
            os.environ.pop("LENDLAB_STRICT", None)
        else:
            os.environ["LENDLAB_STRICT"] = saved
    for key in VOLATILE_NB_METADATA:
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
    path.write_bytes(_dumps(nb))
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    """Refresh each notebook named on the command line; exit 2 on the first failure."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print("usage: python -m lendlab.course.refresh NOTEBOOK.ipynb ...", file=sys.stderr)
        return 2
    for name in args:
        try:
            seconds = refresh_notebook(name)
        except Exception as exc:  # report and stop: one line, the cause named
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            print(f"lendlab refresh: error: {first}", file=sys.stdout)
            return 2
        print(f"refreshed {name} in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
