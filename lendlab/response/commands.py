"""``lendlab incident bundle`` and ``lendlab incident verify``.

::

    lendlab incident bundle --db PATH --start T --end T --out DIR --checkpoint FILE
                            [--alerts PAGES.jsonl] [--baseline-start T --baseline-end T]
                            [--redecide-with VERSION --model-dir DIR [--cutoff C]
                             [--review-margin M]] [--notice-date D]
    lendlab incident verify DIR [--checkpoint FILE]

``bundle`` writes the evidence bundle of :func:`lendlab.response.write_bundle` for the
decisions made in ``[start, end)`` (decision time); ``--redecide-with`` re-decides them with
a model of the service's registry (an alias such as ``champion`` or a version) to build the
re-decision list. ``verify`` checks a bundle; with ``--checkpoint`` it also catches a chain cut
short. Exit codes: 0 ok; 1 a problem found (each named on stderr as ``TAMPERED: ...``) or an
error (one ``lendlab: error:`` line); 2 bad usage.

:func:`register` adds ``incident`` to ``lendlab``'s parser. The handlers are stored as
``serving_handler``, the attribute :func:`lendlab.cli.main` dispatches on.

Example
-------
>>> import argparse
>>> parser = argparse.ArgumentParser(prog="lendlab")
>>> register(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["incident", "verify", "bundle-dir"])
>>> args.folder, args.checkpoint
('bundle-dir', None)
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["bundle_command", "register", "verify_command"]


def _fail(message: str) -> int:
    print(f"lendlab: error: {' '.join(message.split())}", file=sys.stderr)
    return 1


def bundle_command(args: argparse.Namespace) -> int:
    """Write an evidence bundle; print where and its head hash."""
    from lendlab.response.evidence import write_bundle
    from lendlab.response.impact import redecide_with_model

    redecide = None
    basis = "last good model"
    if args.redecide_with is not None:
        if args.model_dir is None:
            return _fail("--redecide-with needs --model-dir, the folder of the model artifacts")
        from lendlab.serving.registry import ModelRegistry

        try:
            entry = ModelRegistry.load(args.model_dir).resolve(args.redecide_with)
        except (OSError, ValueError, KeyError) as exc:
            return _fail(f"cannot load model {args.redecide_with!r} from {args.model_dir}: {exc}")
        model = entry.model
        basis = f"{entry.version} (sha256 {entry.sha256[:12]})"

        def redecide(frame: Any) -> Any:
            return redecide_with_model(
                frame, model, cutoff=args.cutoff, review_margin=args.review_margin
            )

    try:
        info = write_bundle(
            args.db,
            args.start,
            args.end,
            args.out,
            checkpoint=args.checkpoint,
            alerts=args.alerts,
            baseline_start=args.baseline_start,
            baseline_end=args.baseline_end,
            redecide=redecide,
            redecide_basis=basis,
            notice_date=args.notice_date,
        )
    except (FileNotFoundError, ValueError, TypeError) as exc:
        return _fail(str(exc))
    print(
        f"wrote {info['out']}: {info['decisions']} decision(s), {info['redecisions']} to "
        f"re-decide, {info['alerts']} alert(s); retain until {info['retain_until']}"
    )
    print(f"checkpoint {info['checkpoint']}: count={info['count']} head={info['head_hash']}")
    return 0


def verify_command(args: argparse.Namespace) -> int:
    """Verify a bundle; exit 1 naming every problem."""
    from lendlab.response.evidence import verify_bundle

    try:
        report = verify_bundle(args.folder, checkpoint=args.checkpoint)
    except (FileNotFoundError, TypeError) as exc:
        return _fail(str(exc))
    for problem in report.problems:
        print(f"TAMPERED: {problem}", file=sys.stderr)
    if not report.ok:
        print(f"{args.folder}: {len(report.problems)} problem(s)", file=sys.stderr)
        return 1
    if report.checkpoint:
        print(f"{args.folder}: ok ({report.files} files, chain and checkpoint match)")
    else:
        print(
            f"{args.folder}: ok ({report.files} files, chain intact); no --checkpoint given, so "
            "a chain cut short at its newest entries cannot be ruled out"
        )
    return 0


def register(subparsers: Any) -> None:
    """Add ``incident bundle`` and ``incident verify`` to a ``lendlab`` subparsers object."""
    incident = subparsers.add_parser("incident", help="incident evidence: bundle and verify")
    sub = incident.add_subparsers(dest="incident_command", required=True, metavar="ACTION")

    bundle = sub.add_parser("bundle", help="write an audit evidence bundle for a window")
    bundle.add_argument("--db", required=True, metavar="PATH", help="the service's decision log")
    bundle.add_argument("--start", required=True, metavar="T", help="window start (decision time)")
    bundle.add_argument("--end", required=True, metavar="T", help="window end, exclusive")
    bundle.add_argument("--out", required=True, metavar="DIR", help="new bundle folder")
    bundle.add_argument(
        "--checkpoint", required=True, metavar="FILE", help="checkpoint file, outside DIR"
    )
    bundle.add_argument("--alerts", default=None, metavar="FILE", help="pager JSONL file")
    bundle.add_argument("--baseline-start", default=None, metavar="T")
    bundle.add_argument("--baseline-end", default=None, metavar="T")
    bundle.add_argument(
        "--redecide-with", default=None, metavar="MODEL", help="alias or version to re-decide"
    )
    bundle.add_argument("--model-dir", default=None, metavar="DIR", help="model artifacts")
    bundle.add_argument("--cutoff", type=float, default=0.20)
    bundle.add_argument("--review-margin", type=float, default=0.02)
    bundle.add_argument("--notice-date", default=None, metavar="D", help="when notices went out")
    bundle.set_defaults(serving_handler=bundle_command)

    verify = sub.add_parser("verify", help="verify a bundle against its manifest and checkpoint")
    verify.add_argument("folder", metavar="DIR")
    verify.add_argument("--checkpoint", default=None, metavar="FILE")
    verify.set_defaults(serving_handler=verify_command)
