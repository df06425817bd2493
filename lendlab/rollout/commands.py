"""``lendlab rollout compare`` and ``lendlab rollout analyze``.

:func:`register` adds ``rollout`` to ``lendlab``'s parser; each action sets
``serving_handler``, which ``lendlab.cli.main`` calls. Nothing heavy is imported until a
command runs.

::

    lendlab rollout compare --baseline VERSION --candidate VERSION
                            (--db PATH | --world N [--seed S]) [--model-dir DIR] [--out DIR]
                            [--cutoff 0.20] [--review-margin 0.02] [--jobs 2]
    lendlab rollout analyze --db PATH --baseline VERSION --canary VERSION [--since T]
                            [--config FILE] [--model-dir DIR] [--out FILE.json]

VERSION is a version (``scorecard-2025.1``) or an alias of the model folder's ``aliases.json``
(``champion``). The model folder defaults to the service's: ``<db folder>/models-seed2025``.
``analyze`` exits 0 for promote, 1 for rollback (or an error), 3 for hold.

Example
-------
>>> import argparse
>>> parser = argparse.ArgumentParser(prog="lendlab")
>>> register(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["rollout", "compare", "--baseline", "champion",
...                           "--candidate", "challenger", "--world", "1000"])
>>> args.world, args.seed, args.serving_handler.__name__
(1000, 2025, 'compare_command')
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["EXIT_HOLD", "analyze_command", "compare_command", "register"]

#: Exit code of ``lendlab rollout analyze`` for a HOLD verdict.
EXIT_HOLD = 3
_DEFAULT_DB = "lendlab-service/decisions.db"


def _fail(message: str) -> int:
    print(f"lendlab: error: {' '.join(message.split())}", file=sys.stderr)
    return 1


def _model_dir(args: argparse.Namespace) -> Path:
    from lendlab.serving.config import ServiceConfig

    if args.model_dir is not None:
        return Path(args.model_dir)
    return ServiceConfig(db=args.db or _DEFAULT_DB).resolved_model_dir()


def _registry(args: argparse.Namespace):
    from lendlab.serving.registry import ModelRegistry

    return ModelRegistry.load(_model_dir(args))


def compare_command(args: argparse.Namespace) -> int:
    """Replay two versions on the log's snapshots or on a generated world; print and write."""
    from lendlab.rollout.compare import compare

    try:
        registry = _registry(args)
        baseline = registry.resolve(args.baseline).model
        candidate = registry.resolve(args.candidate).model
        log = None
        if args.db is not None:
            from lendlab.serving.store import read_decisions

            log = read_decisions(args.db)
            if log.empty:
                return _fail(f"the decision log {args.db} is empty; replay traffic first")
            applications = log
        else:
            from lendlab import world

            applications = world.generate(args.world, seed=args.seed)
        result = compare(
            baseline,
            candidate,
            applications,
            cutoff=args.cutoff,
            review_margin=args.review_margin,
            request_log=log,
            n_jobs=args.jobs,
        )
    except KeyError as exc:
        return _fail(str(exc.args[0]) if exc.args else str(exc))
    except (FileNotFoundError, ValueError, TypeError) as exc:
        return _fail(str(exc))
    print(result.summary())
    if args.out is not None:
        for path in result.write(args.out):
            print(f"wrote {path}")
    return 0


def analyze_command(args: argparse.Namespace) -> int:
    """Judge the canary's logged decisions against the baseline's; exit 0/1/3."""
    from lendlab.rollout.analyze import analyze, arm_decisions
    from lendlab.rollout.guardrails import load_guardrails
    from lendlab.serving.store import read_decisions

    try:
        guardrails = load_guardrails(args.config)
        log = read_decisions(args.db)
        if log.empty:
            return _fail(f"the decision log {args.db} is empty; nothing to analyze")
        baseline_v, canary_v, reference = args.baseline, args.canary, None
        folder = _model_dir(args)
        if (folder / "aliases.json").is_file():
            registry = _registry(args)
            base_entry = registry.resolve(args.baseline)
            baseline_v, canary_v = base_entry.version, registry.resolve(args.canary).version
            reference = base_entry.model
        elif args.model_dir is not None:
            return _fail(f"--model-dir {folder} has no aliases.json; pass the service's folder")
        if baseline_v == canary_v:
            return _fail(f"--baseline and --canary are both {baseline_v!r}; pass two versions")
        base = arm_decisions(log, baseline_v, since=args.since)
        can = arm_decisions(log, canary_v, since=args.since)
        verdict = analyze(base, can, guardrails=guardrails, reference_model=reference)
    except KeyError as exc:
        return _fail(str(exc.args[0]) if exc.args else str(exc))
    except (FileNotFoundError, ValueError, TypeError) as exc:
        return _fail(str(exc))
    print(f"canary analysis: {canary_v} (canary) vs {baseline_v} (baseline)")
    if reference is None:
        print("note: no model folder: expected bad rate uses each arm's own PDs")
    print(verdict.summary())
    if args.out is not None:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(verdict.to_dict(), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {out}")
    return {"promote": 0, "rollback": 1}.get(verdict.decision, EXIT_HOLD)


def _rows(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number of applications, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return value


def register(subparsers: Any) -> None:
    """Add ``rollout compare`` and ``rollout analyze`` to a ``lendlab`` subparsers object."""
    rollout = subparsers.add_parser("rollout", help="replay comparison and canary analysis")
    sub = rollout.add_subparsers(dest="rollout_command", required=True, metavar="ACTION")

    cmp_ = sub.add_parser("compare", help="two model versions on the same historical traffic")
    cmp_.add_argument("--baseline", required=True, metavar="VERSION", help="version or alias")
    cmp_.add_argument("--candidate", required=True, metavar="VERSION", help="version or alias")
    source = cmp_.add_mutually_exclusive_group(required=True)
    source.add_argument("--db", metavar="PATH", help="replay the decision log's input snapshots")
    source.add_argument("--world", type=_rows, metavar="N", help="replay N generated applications")
    cmp_.add_argument("--seed", type=int, default=2025, help="world seed (default 2025)")
    cmp_.add_argument("--model-dir", default=None, metavar="DIR", help="model artifacts")
    cmp_.add_argument("--out", default=None, metavar="DIR", help="write CSV tables and JSON")
    cmp_.add_argument("--cutoff", type=float, default=0.20, help="PD cutoff (default 0.20)")
    cmp_.add_argument(
        "--review-margin", type=float, default=0.02, help="review band half-width (0.02)"
    )
    cmp_.add_argument("--jobs", type=int, default=2, help="scoring threads (default 2)")
    cmp_.set_defaults(serving_handler=compare_command)

    ana = sub.add_parser("analyze", help="canary vs baseline decisions: promote/hold/rollback")
    ana.add_argument("--db", required=True, metavar="PATH", help="the service's decision log")
    ana.add_argument("--baseline", required=True, metavar="VERSION", help="version or alias")
    ana.add_argument("--canary", required=True, metavar="VERSION", help="version or alias")
    ana.add_argument("--since", default=None, metavar="T", help="only decisions at/after T (UTC)")
    ana.add_argument("--config", default=None, metavar="FILE", help="guardrails .json/.toml")
    ana.add_argument("--model-dir", default=None, metavar="DIR", help="model artifacts")
    ana.add_argument("--out", default=None, metavar="FILE.json", help="write the verdict")
    ana.set_defaults(serving_handler=analyze_command)
