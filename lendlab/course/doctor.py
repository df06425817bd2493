"""``lendlab doctor``: does the ``lendlab`` Jupyter kernel run this environment's Python?

A kernelspec left by an earlier course (say a user-level ``python3`` pointing at another
Python) makes notebooks run in the wrong interpreter, where ``import lendlab`` fails or finds
an old copy. The labs use a dedicated kernel name, ``lendlab``, registered inside the virtual
environment (``--sys-prefix``); this module checks that it resolves to the interpreter running
the CLI and that ``import lendlab`` works there.

Example
-------
>>> report = diagnose()
>>> report.python == sys.executable
True
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

__all__ = ["KERNEL_NAME", "FIX", "Report", "kernel_python", "diagnose", "run_doctor"]

KERNEL_NAME = "lendlab"
FIX = (
    "Fix: run ./bootstrap (it re-registers the kernel with: python -m ipykernel install "
    '--sys-prefix --name lendlab --display-name "Python (lendlab)")'
)


@dataclass
class Report:
    """What the doctor found: facts to print, warnings, and problems (exit 1)."""

    python: str
    facts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _resolve(argv0: str) -> Path | None:
    """Absolute path of a kernel's ``argv[0]`` (bare names are looked up on PATH)."""
    if argv0 in ("{python}", ""):
        return None
    found = argv0 if Path(argv0).is_absolute() else shutil.which(argv0)
    return Path(found) if found else None


def _probe(python: Path, timeout: float = 60) -> dict | str:
    """Ask ``python`` for its prefix and where it imports lendlab from (or the error)."""
    code = (
        "import json, sys\n"
        "sys.path[:] = [p for p in sys.path if p not in ('', '.')]  # not the cwd's lendlab/\n"
        "info = {'prefix': sys.prefix, 'executable': sys.executable}\n"
        "try:\n"
        "    import lendlab\n"
        "    info['lendlab'] = lendlab.__file__\n"
        "except Exception as exc:\n"
        "    info['lendlab_error'] = f'{type(exc).__name__}: {exc}'\n"
        "print(json.dumps(info))\n"
    )
    try:
        done = subprocess.run(
            [str(python), "-c", code], capture_output=True, text=True, timeout=timeout
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{type(exc).__name__}: {exc}"
    if done.returncode != 0:
        return (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        return f"unexpected output: {done.stdout[:200]!r}"


def kernel_python(name: str = KERNEL_NAME) -> tuple[Path, Path | None]:
    """The kernelspec's resource directory and the Python its ``argv[0]`` resolves to.

    Raises ``LookupError`` when no kernelspec of that name is registered.

    Examples
    --------
    >>> try:
    ...     kernel_python("no-such-kernel-xyz")
    ... except LookupError as exc:
    ...     print(exc)
    no Jupyter kernel named 'no-such-kernel-xyz' is registered
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise LookupError(f"no Jupyter kernel named {name!r} is registered") from None
    argv0 = spec.argv[0] if spec.argv else ""
    return Path(spec.resource_dir), _resolve(argv0)


def _same_python(a: Path, b: Path) -> bool:
    # a venv's python is a symlink to the base interpreter: compare the link itself first
    # (same venv), and only fall back to resolved paths for links that are not venvs.
    return a.absolute() == b.absolute() or a.resolve() == b.resolve()


def _user_kernels() -> list[tuple[str, Path]]:
    from jupyter_core.paths import jupyter_data_dir

    found = []
    for name in (KERNEL_NAME, "python3"):
        spec = Path(jupyter_data_dir()) / "kernels" / name / "kernel.json"
        if spec.is_file():
            found.append((name, spec))
    return found


def diagnose(name: str = KERNEL_NAME) -> Report:
    """Check the kernel ``name`` against the running interpreter; see :class:`Report`.

    Examples
    --------
    >>> diagnose("no-such-kernel-xyz").ok
    False
    """
    import lendlab

    here = Path(sys.executable)
    report = Report(python=sys.executable)
    report.facts.append(
        f"CLI Python: {sys.executable} ({sys.version.split()[0]}, prefix {sys.prefix})"
    )
    report.facts.append(f"lendlab package: {Path(lendlab.__file__).parent}")

    for user_name, spec_file in _user_kernels():
        try:
            argv0 = json.loads(spec_file.read_text())["argv"][0]
        except (OSError, ValueError, KeyError, IndexError):
            report.warnings.append(f"user-level kernelspec {spec_file} is unreadable")
            continue
        target = _resolve(argv0)
        if target is None or not _same_python(target, here):
            report.warnings.append(
                f"user-level kernelspec {user_name!r} ({spec_file.parent}) runs {argv0}, not "
                f"{sys.executable}; notebooks opened with it will not see this environment. "
                "Use the 'Python (lendlab)' kernel, or remove it: "
                f"jupyter kernelspec remove {user_name}"
            )

    try:
        resource_dir, python = kernel_python(name)
    except LookupError as exc:
        report.problems.append(f"{exc}. {FIX}")
        return report
    report.facts.append(f"kernel {name!r}: {resource_dir}")
    if python is None:
        report.problems.append(f"kernel {name!r}: argv[0] does not resolve to a Python. {FIX}")
        return report
    report.facts.append(f"kernel {name!r} runs: {python}")
    if not _same_python(python, here):
        report.problems.append(
            f"kernel {name!r} runs {python}, not the Python running lendlab "
            f"({sys.executable}). {FIX}"
        )
    probe = _probe(python)
    if isinstance(probe, str):
        report.problems.append(f"kernel {name!r}: its Python does not start: {probe}. {FIX}")
        return report
    if Path(probe["prefix"]).resolve() != Path(sys.prefix).resolve():
        report.problems.append(
            f"kernel {name!r}: its Python lives in {probe['prefix']}, this environment is "
            f"{sys.prefix}. {FIX}"
        )
    if "lendlab_error" in probe:
        report.problems.append(
            f"kernel {name!r}: `import lendlab` fails there ({probe['lendlab_error']}). "
            "Fix: run ./bootstrap (it installs lendlab into .venv and registers the kernel)"
        )
    elif Path(probe["lendlab"]).resolve() != Path(lendlab.__file__).resolve():
        report.warnings.append(
            f"kernel {name!r} imports lendlab from {Path(probe['lendlab']).parent}, the CLI "
            f"from {Path(lendlab.__file__).parent}"
        )
    else:
        report.facts.append(f"kernel {name!r}: import lendlab ok")
    return report


def run_doctor(*, name: str = KERNEL_NAME, stream: TextIO | None = None) -> int:
    """Print the diagnosis; return 0 when healthy, 1 on a problem.

    Examples
    --------
    >>> import io
    >>> run_doctor(name="no-such-kernel-xyz", stream=io.StringIO())
    1
    """
    out = stream or sys.stdout
    report = diagnose(name)
    for line in report.facts:
        print(f"  {line}", file=out)
    for line in report.warnings:
        print(f"WARNING: {line}", file=out)
    for line in report.problems:
        print(f"PROBLEM: {line}", file=out)
    print("doctor: ok" if report.ok else "doctor: problems found", file=out)
    return 0 if report.ok else 1
