"""``lendlab``: the command line for the lab environment.

::

    lendlab data --out datasets          write the reference datasets (+ sha256)
    lendlab data --check datasets        regenerate in memory and compare; exit 1 if different
    lendlab labs build [--check]         solutions/ -> labs/ (--check: list stale labs, exit 1)
    lendlab labs run [WEEK ...]          run labs (or --solutions) headless, a verdict per notebook
    lendlab doctor                       is the 'lendlab' kernel this environment's Python?

Exit codes: 0 success; 1 a check failed, or an error, told in one line ``lendlab: error: ...``
that names the path and the fix (no traceback); 2 bad usage (argparse).

Example
-------
>>> main(["labs", "run", "--timeout", "0"])
Traceback (most recent call last):
...
SystemExit: 2
>>> import contextlib, io
>>> err = io.StringIO()
>>> with contextlib.redirect_stderr(err):
...     code = main(["data", "--out", "/dev/null/x"])
>>> code
1
>>> for part in err.getvalue().split("; "):  # one line on stderr, split here to fit
...     print(part.strip())
lendlab: error: cannot write to --out /dev/null/x: /dev/null is a file, not a folder
pass --out a folder you can create or write to
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main", "build_parser"]


class CliError(Exception):
    """A problem the user can fix; ``main`` prints it as one ``lendlab: error:`` line."""


def _error(message: str) -> int:
    one_line = " ".join(message.split())
    print(f"lendlab: error: {one_line}", file=sys.stderr)
    return 1


def _reason(exc: OSError) -> str:
    return exc.strerror or errno.errorcode.get(exc.errno or 0, "") or str(exc)


def _output_dir(path: str | Path, flag: str) -> Path:
    """Create ``path`` (and parents) and prove a file can be written there, before any work.

    Raises :class:`CliError` naming the flag, the path, what is wrong and the fix.
    """
    folder = Path(path)
    fix = f"pass {flag} a folder you can create or write to"
    for ancestor in (folder, *folder.parents):
        if ancestor.exists():
            if not ancestor.is_dir():
                raise CliError(
                    f"cannot write to {flag} {folder}: {ancestor} is a file, not a folder; {fix}"
                )
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise CliError(f"cannot write to {flag} {folder}: {_reason(exc)}; {fix}") from None
    return folder


def _input_dir(path: str | Path, flag: str) -> Path:
    folder = Path(path)
    if not folder.exists():
        raise CliError(f"{flag} {folder} does not exist; pass {flag} an existing folder")
    if not folder.is_dir():
        raise CliError(f"{flag} {folder} is a file, not a folder; pass {flag} a folder")
    if not os.access(folder, os.R_OK | os.X_OK):
        raise CliError(f"{flag} {folder} is not readable; fix its permissions or pass another")
    return folder


def _os_error(exc: OSError) -> str:
    """One line for an OSError that escaped a command: the file, why, and what to do."""
    where = exc.filename if exc.filename is not None else "a file"
    return (
        f"{where}: {_reason(exc)}; check that the path exists and that you can read "
        "(inputs) or write (outputs) it"
    )


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive seconds, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser for ``lendlab`` (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(
        prog="lendlab", description="ML operations labs for lending SREs."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = sub.add_parser("data", help="build or verify the reference datasets")
    mode = data.add_mutually_exclusive_group(required=True)
    mode.add_argument("--out", metavar="DIR", help="write the datasets to DIR")
    mode.add_argument("--check", metavar="DIR", help="verify DIR against a fresh build")

    labs = sub.add_parser("labs", help="build labs from solutions, or run notebooks headless")
    labs_sub = labs.add_subparsers(dest="labs_command", required=True, metavar="ACTION")
    build = labs_sub.add_parser("build", help="generate labs/ from solutions/")
    build.add_argument("--solutions", default="solutions", metavar="DIR")
    build.add_argument("--labs", default="labs", metavar="DIR")
    build.add_argument(
        "--check", action="store_true", help="write nothing; list stale labs and exit 1 if any"
    )

    run = labs_sub.add_parser("run", help="execute notebooks headless through papermill")
    run.add_argument("weeks", nargs="*", metavar="WEEK", help="1, 01 or week01 (default: all)")
    run.add_argument("--solutions", action="store_true", help="run solutions/ instead of labs/")
    run.add_argument("--dir", default=None, metavar="DIR", help="folder of notebooks to run")
    run.add_argument("--seed", type=int, default=None, help="inject seed=N as a parameter")
    run.add_argument("--strict", action="store_true", help="LENDLAB_STRICT=1: checks raise")
    run.add_argument("--out", default="runs", metavar="DIR", help="executed copies (default runs/)")
    run.add_argument(
        "--timeout", type=_positive, default=120, metavar="S", help="seconds per cell (120)"
    )
    run.add_argument("--kernel", default="lendlab", help=argparse.SUPPRESS)

    sub.add_parser("doctor", help="check that the 'lendlab' kernel runs this environment")
    from lendlab.serving.commands import register as register_serving  # serve, models, decisions

    register_serving(sub)
    from lendlab.response.commands import register as register_incident  # incident bundle/verify

    register_incident(sub)
    from lendlab.rollout.commands import register as register_rollout  # rollout compare/analyze

    register_rollout(sub)
    return parser


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _data(args: argparse.Namespace) -> int:
    from lendlab.world import reference_data  # lazy: building data imports the whole world model

    if args.out:
        paths = reference_data.build(_output_dir(args.out, "--out"))
        for path in sorted(Path(p) for p in paths):
            print(f"{_sha256(path)}  {path}")
        return 0
    folder = Path(args.check)
    if folder.exists():  # a missing folder is reported below as missing files, with the fix
        _input_dir(folder, "--check")
    problems = reference_data.verify(folder)
    for problem in problems:
        print(f"DIFFERS: {problem}")
    if problems:
        print(f"{len(problems)} dataset problem(s) in {args.check}", file=sys.stderr)
        return 1
    print(f"datasets in {args.check}: ok (match a fresh build)")
    return 0


def _labs_build(args: argparse.Namespace) -> int:
    from lendlab.course import authoring

    try:
        if args.check:
            _input_dir(args.solutions, "--solutions")
            stale = authoring.stale_labs(args.solutions, args.labs)
            for line in stale:
                print(f"STALE: {line}")
            if stale:
                print(
                    f"{len(stale)} lab(s) out of date: run `lendlab labs build` and commit",
                    file=sys.stderr,
                )
                return 1
            print(f"labs in {args.labs}: up to date")
            return 0
        _input_dir(args.solutions, "--solutions")
        _output_dir(args.labs, "--labs")
        paths = authoring.build_labs(args.solutions, args.labs)
        for path in paths:
            print(f"wrote {path}")
    except (ValueError, FileNotFoundError) as exc:
        return _error(str(exc))
    return 0


def _labs_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from lendlab.course import runner

    kind = "solutions" if args.solutions else "labs"
    folder = Path(args.dir or kind)
    _input_dir(folder, "--dir" if args.dir else f"the {kind} folder")
    try:
        paths = runner.resolve_weeks(args.weeks, folder)
    except (ValueError, FileNotFoundError) as exc:
        return _error(str(exc))
    if not paths:
        return _error(f"no week*.ipynb notebooks in {folder}; pass --dir a folder of notebooks")
    out_dir = _output_dir(args.out, "--out") / kind
    params = {} if args.seed is None else {"seed": args.seed}
    failures = 0
    bar = tqdm(paths, desc=f"running {kind}", unit="notebook", file=sys.stderr)
    for path in bar:
        bar.set_postfix_str(path.stem)
        run = runner.run_notebook(
            path,
            out_path=out_dir / path.name,
            parameters=params,
            strict=args.strict,
            kernel_name=args.kernel,
            timeout=args.timeout,
        )
        reason = run.error
        if reason is None and not run.checks:
            reason = "no checks printed; every lab has graded exercises"
        elif reason is None and args.solutions and run.counts["correct"] != len(run.checks):
            reason = "every check in a solution must be Correct"
        elif reason is None and (run.counts["not_ready"] or run.counts["error"]):
            reason = "a check could not run (Not ready / Could not check)"
        if reason:
            failures += 1
            tqdm.write(f"FAIL {path.stem} ({run.seconds:.1f} s, {run.summary()}): {reason}")
            tqdm.write(f"     executed copy: {run.out_path}")
        else:
            tqdm.write(f"PASS {path.stem} ({run.seconds:.1f} s, {run.summary()})")
    bar.close()
    print(f"{len(paths) - failures} passed, {failures} failed")
    return 1 if failures else 0


def _doctor(args: argparse.Namespace) -> int:
    from lendlab.course.doctor import run_doctor

    return run_doctor()


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``lendlab`` with ``argv`` (default: the command line); return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        if hasattr(args, "serving_handler"):
            return args.serving_handler(args)
        if args.command == "data":
            return _data(args)
        if args.command == "labs":
            return _labs_build(args) if args.labs_command == "build" else _labs_run(args)
        return _doctor(args)
    except CliError as exc:
        return _error(str(exc))
    except OSError as exc:  # a file that vanished or cannot be read or written mid-command
        return _error(_os_error(exc))


if __name__ == "__main__":
    raise SystemExit(main())
