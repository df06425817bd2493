"""Turn worked notebooks (``solutions/``) into learner notebooks (``labs/``).

``solutions/weekNN_<topic>.ipynb`` is the only source. In a lab:

- the lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (markers at column 0 of
  a code cell) become one ``name = ____  # YOUR CODE HERE`` per name the block assigns at
  top level, or ``# YOUR CODE HERE`` when it assigns nothing;
- cells tagged ``solution-only`` (and papermill's ``injected-parameters``) are dropped;
- outputs are cleared and execution counts reset; notebook metadata (kernelspec,
  language_info) and cell ids are kept, so the same solution always gives the same bytes.

Example
-------
>>> import nbformat
>>> nb = nbformat.v4.new_notebook()
>>> nb.cells = [nbformat.v4.new_code_cell(
...     "x = 1\\n### BEGIN SOLUTION\\ncutoff, cost = 0.2, 5\\n### END SOLUTION\\nprint(x)")]
>>> print(render_lab(nb).cells[0].source)
x = 1
cutoff = ____  # YOUR CODE HERE
cost = ____  # YOUR CODE HERE
print(x)
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import nbformat

__all__ = [
    "BEGIN",
    "END",
    "KERNEL_NAME",
    "assigned_names",
    "blank_solutions",
    "render_lab",
    "lab_bytes",
    "validate_solution",
    "build_labs",
    "stale_labs",
]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
KERNEL_NAME = "lendlab"
#: Cells with these tags never reach a lab.
DROP_TAGS = frozenset({"solution-only", "injected-parameters"})
#: Cell metadata that changes on every execution; kept out of labs so they stay byte-stable.
VOLATILE_CELL_METADATA = ("execution", "papermill", "collapsed", "scrolled")
VOLATILE_NB_METADATA = ("papermill", "widgets")
_IMPORTS_BLANK = re.compile(r"^from lendlab\.course\.exercises import .*____", re.MULTILINE)


def assigned_names(code: str) -> list[str]:
    """Names assigned at the top level of ``code`` (Assign, AnnAssign, AugAssign), in order.

    Tuple and list targets are expanded; attribute and subscript targets are not names.

    Examples
    --------
    >>> assigned_names("a, (b, *c) = f()\\nd: int = 1\\na += 1\\nx.y = 2\\nz[0] = 3")
    ['a', 'b', 'c', 'd']
    """
    tree = ast.parse(code)
    names: list[str] = []

    def add(target: ast.expr) -> None:
        if isinstance(target, ast.Name):
            if target.id not in names:
                names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                add(elt)
        elif isinstance(target, ast.Starred):
            add(target.value)

    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                add(target)
        elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
            add(stmt.target)
    return names


def blank_solutions(source: str, *, where: str = "cell") -> str:
    """Replace each BEGIN/END SOLUTION block of one code cell's ``source`` with blanks.

    Raises
    ------
    ValueError
        On an unmatched, nested or indented marker, or a block that is not valid Python on
        its own; the message starts with ``where`` (e.g. ``"week01_metrics.ipynb cell 4"``).

    Examples
    --------
    >>> print(blank_solutions("### BEGIN SOLUTION\\nplot(x)\\n### END SOLUTION"))
    # YOUR CODE HERE
    """
    out: list[str] = []
    block: list[str] | None = None
    begin_line = 0
    for lineno, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker in (BEGIN, END) and line != line.lstrip():
            raise ValueError(
                f"{where}: line {lineno}: {marker!r} is indented; markers must start at "
                "column 0 and wrap top-level code"
            )
        if marker == BEGIN:
            if block is not None:
                raise ValueError(
                    f"{where}: line {lineno}: {BEGIN!r} inside the block opened on line "
                    f"{begin_line}; close it with {END!r} first"
                )
            block, begin_line = [], lineno
        elif marker == END:
            if block is None:
                raise ValueError(f"{where}: line {lineno}: {END!r} without a {BEGIN!r} before it")
            code = "\n".join(block)
            try:
                names = assigned_names(code)
            except SyntaxError as exc:
                raise ValueError(
                    f"{where}: the solution block on lines {begin_line}-{lineno} is not valid "
                    f"Python on its own ({exc.msg}); put whole statements between the markers"
                ) from None
            if names:
                out.extend(f"{name} = ____  # YOUR CODE HERE" for name in names)
            else:
                out.append("# YOUR CODE HERE")
            block = None
        elif block is not None:
            block.append(line)
        else:
            out.append(line)
    if block is not None:
        raise ValueError(f"{where}: {BEGIN!r} on line {begin_line} has no matching {END!r}")
    return "\n".join(out)


def render_lab(nb: nbformat.NotebookNode, *, name: str = "notebook") -> nbformat.NotebookNode:
    """Return the lab made from solution notebook ``nb`` (``nb`` itself is not changed).

    ``name`` is used in error messages only.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells = [nbformat.v4.new_markdown_cell("# Week 1"),
    ...             nbformat.v4.new_code_cell("secret = 42", metadata={"tags": ["solution-only"]})]
    >>> [c.cell_type for c in render_lab(nb).cells]
    ['markdown']
    """
    lab = copy.deepcopy(nb)
    for key in VOLATILE_NB_METADATA:
        lab.metadata.pop(key, None)
    cells = []
    for index, cell in enumerate(lab.cells):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & DROP_TAGS:
            continue
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        if lab.get("nbformat_minor", 0) >= 5 and not cell.get("id"):
            cell["id"] = f"cell-{index}"  # deterministic, unlike nbformat's random ids
        if cell.cell_type == "code":
            cell.source = blank_solutions(cell.source, where=f"{name} cell {index}")
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    lab.cells = cells
    return lab


def _first_code_cell(nb: nbformat.NotebookNode) -> tuple[int, nbformat.NotebookNode] | None:
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            return index, cell
    return None


def validate_solution(nb: nbformat.NotebookNode, *, name: str = "notebook") -> None:
    """Raise ValueError unless ``nb`` can be a lab's source.

    It needs a ``lendlab`` kernelspec and ``language_info`` (papermill needs both), a first
    code cell tagged ``parameters`` that assigns ``seed``, and matched solution markers.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook()
    >>> try:
    ...     validate_solution(nb, name="week01_x.ipynb")
    ... except ValueError as exc:
    ...     print(str(exc)[:58])
    week01_x.ipynb: metadata has no kernelspec; open it in Jup
    """
    meta = nb.get("metadata", {})
    spec = meta.get("kernelspec")
    if not spec:
        raise ValueError(
            f"{name}: metadata has no kernelspec; open it in JupyterLab with the "
            f"'Python (lendlab)' kernel and save, or set metadata.kernelspec.name = {KERNEL_NAME!r}"
        )
    if spec.get("name") != KERNEL_NAME:
        raise ValueError(
            f"{name}: kernelspec name is {spec.get('name')!r}, expected {KERNEL_NAME!r} "
            "(the kernel ./bootstrap registers for this environment)"
        )
    if not meta.get("language_info"):
        raise ValueError(
            f"{name}: metadata has no language_info (papermill needs it); execute the "
            "notebook once and save it"
        )
    first = _first_code_cell(nb)
    if first is None:
        raise ValueError(f"{name}: no code cell; the first one must be tagged 'parameters'")
    index, cell = first
    if "parameters" not in cell.get("metadata", {}).get("tags", []):
        raise ValueError(
            f"{name}: cell {index} (the first code cell) is not tagged 'parameters'; "
            "papermill injects seed and sizes after that cell"
        )
    try:
        params = assigned_names(cell.source)
    except SyntaxError as exc:
        raise ValueError(
            f"{name}: cell {index} (parameters) is not valid Python: {exc.msg}"
        ) from None
    if "seed" not in params:
        raise ValueError(f"{name}: cell {index} (parameters) does not assign seed, e.g. seed = 0")
    lab = render_lab(nb, name=name)  # raises on unmatched markers
    code = [c.source for c in lab.cells if c.cell_type == "code"]
    if any("= ____  # YOUR CODE HERE" in src for src in code) and not any(
        _IMPORTS_BLANK.search(src) for src in code
    ):
        raise ValueError(
            f"{name}: the lab gets blanks (____) but no cell imports them; add "
            "`from lendlab.course.exercises import ____` to the setup cell"
        )


def _read(path: Path) -> nbformat.NotebookNode:
    try:
        return nbformat.read(path, as_version=4)
    except nbformat.reader.NotJSONError as exc:  # its message quotes the bytes, not the path
        raise ValueError(
            f"{path}: not a notebook (not JSON); restore it with git or re-save it in JupyterLab"
        ) from exc


def _dumps(nb: nbformat.NotebookNode) -> bytes:
    text = nbformat.writes(nb, version=4)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def lab_bytes(solution_path: str | Path) -> bytes:
    """Validate one solution notebook and return its lab's file contents.

    Examples
    --------
    >>> lab_bytes("missing.ipynb")
    Traceback (most recent call last):
    ...
    FileNotFoundError: missing.ipynb: no such solution notebook
    """
    path = Path(solution_path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such solution notebook")
    nb = _read(path)
    validate_solution(nb, name=path.name)
    return _dumps(render_lab(nb, name=path.name))


def _solutions(solutions_dir: Path) -> list[Path]:
    if not solutions_dir.is_dir():
        raise FileNotFoundError(f"solutions_dir {str(solutions_dir)!r} is not a directory")
    return sorted(solutions_dir.glob("week*.ipynb"))


def build_labs(solutions_dir: str | Path, labs_dir: str | Path) -> list[Path]:
    """Write ``labs_dir/<name>.ipynb`` for every ``solutions_dir/week*.ipynb``.

    Only files whose bytes change are rewritten. Returns the lab paths, sorted.

    Examples
    --------
    >>> import tempfile
    >>> build_labs(tempfile.mkdtemp(), tempfile.mkdtemp())
    []
    """
    src, dst = Path(solutions_dir), Path(labs_dir)
    sources = _solutions(src)
    rendered = {dst / s.name: lab_bytes(s) for s in sources}  # validate all before writing any
    dst.mkdir(parents=True, exist_ok=True)
    for path, data in rendered.items():
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
    return sorted(rendered)


def stale_labs(solutions_dir: str | Path, labs_dir: str | Path) -> list[str]:
    """List labs that differ from a fresh build (missing, changed, or without a solution).

    Examples
    --------
    >>> import tempfile
    >>> stale_labs(tempfile.mkdtemp(), tempfile.mkdtemp())
    []
    """
    src, dst = Path(solutions_dir), Path(labs_dir)
    problems = []
    expected = {s.name: lab_bytes(s) for s in _solutions(src)}
    for name, data in expected.items():
        path = dst / name
        if not path.exists():
            problems.append(f"{path}: missing")
        elif path.read_bytes() != data:
            problems.append(f"{path}: differs from a fresh build of {src / name}")
    if dst.is_dir():
        for path in sorted(dst.glob("week*.ipynb")):
            if path.name not in expected:
                problems.append(f"{path}: has no solution in {src}; delete it")
    return problems
