"""``lendlab serve``, ``lendlab models train`` and ``lendlab decisions export``.

:func:`register` adds the subcommands to ``lendlab``'s parser; each sets ``serving_handler``,
which ``lendlab.cli.main`` calls. Nothing heavy is imported until a command runs.

::

    lendlab models train --out DIR [--seed N]       champion + challenger artifacts, aliases.json
    lendlab serve [--host 127.0.0.1] [--port 8000] [--db PATH] [--config PATH]
                  [--model champion] [--model-dir DIR] [--seed N] [--fallback MODE]
                  [--shadow VERSION] [--canary VERSION --canary-share S] [--blue-green]
    lendlab decisions export --db PATH --out FILE.parquet

Example
-------
>>> import argparse
>>> parser = argparse.ArgumentParser(prog="lendlab")
>>> register(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["serve", "--port", "0"])
>>> args.host, args.port, args.serving_handler.__name__
('127.0.0.1', 0, 'serve_command')
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

#: Where ``lendlab serve`` keeps its log (and, beside it, trained models) without ``--db``.
DEFAULT_DB = "lendlab-service/decisions.db"

__all__ = [
    "DEFAULT_DB",
    "decisions_export_command",
    "decisions_reconcile_command",
    "pager_command",
    "models_list_command",
    "models_register_command",
    "models_train_command",
    "register",
    "serve_command",
]


def _fail(message: str) -> int:
    print(f"lendlab: error: {' '.join(message.split())}", file=sys.stderr)
    return 1


def serve_command(args: argparse.Namespace) -> int:
    """Run the service in the foreground until Ctrl-C / SIGTERM."""
    from pydantic import ValidationError

    from lendlab.serving.config import load_config
    from lendlab.serving.process import serve

    try:
        config = load_config(
            args.config,
            db=args.db if args.db is not None or args.config is not None else DEFAULT_DB,
            model=args.model,
            model_dir=args.model_dir,
            seed=args.seed,
            fallback=args.fallback,
            shadow=args.shadow,
            shadow_queue_max=args.shadow_queue_max,
            shadow_timeout_ms=args.shadow_timeout_ms,
            canary=args.canary,
            canary_share=args.canary_share,
            blue_green=True if args.blue_green else None,
        )
    except (OSError, ValueError, ValidationError) as exc:
        return _fail(f"bad service configuration: {exc}")
    modes = "".join(
        f" {k}={v}"
        for k, v in (("shadow", config.shadow), ("canary", config.canary))
        if v is not None
    )
    if config.canary is not None:
        modes += f" canary_share={config.canary_share:g}"
    if config.blue_green:
        modes += " blue_green"
    print(
        f"lendlab serve: http://{args.host}:{args.port} model={config.model} db={config.db}"
        + modes,
        file=sys.stderr,
    )
    serve(config, host=args.host, port=args.port)
    return 0


def models_train_command(args: argparse.Namespace) -> int:
    """Train and write the champion and challenger."""
    from lendlab.serving.registry import train_models

    info = train_models(args.out, seed=args.seed)
    for alias, version in info["aliases"].items():
        side = info["models"][version]
        auc = side["metadata"]["holdout_auc"]
        print(f"{alias:10s} {version:20s} sha256={side['sha256'][:12]} holdout_auc={auc}")
    return 0


def models_register_command(args: argparse.Namespace) -> int:
    """Add a fitted model (a joblib file) to a registry folder, with its reference bins."""
    import joblib

    from lendlab.serving.registry import register_model

    try:
        model = joblib.load(args.artifact)
        if args.version:
            model.version = args.version
        side = register_model(args.dir, model, alias=args.alias)
    except (FileNotFoundError, TypeError, ValueError) as exc:
        return _fail(str(exc))
    alias = f" as {args.alias!r}" if args.alias else ""
    print(
        f"registered {side['version']}{alias} in {args.dir}: sha256 {side['sha256'][:12]}, "
        f"holdout AUC {side['metadata']['holdout_auc']:.3f}"
    )
    return 0


def models_list_command(args: argparse.Namespace) -> int:
    """List a registry folder's versions and aliases."""
    from lendlab.serving.registry import ModelRegistry

    try:
        registry = ModelRegistry.load(args.dir)
    except (FileNotFoundError, ValueError) as exc:
        return _fail(str(exc))
    for version, entry in sorted(registry.models.items()):
        aliases = ",".join(sorted(a for a, v in registry.aliases.items() if v == version))
        auc = entry.sidecar.get("metadata", {}).get("holdout_auc", float("nan"))
        print(f"{version:24s} {aliases or '-':20s} AUC {auc:.3f}  sha256 {entry.sha256[:12]}")
    return 0


def pager_command(args: argparse.Namespace) -> int:
    """Run the Alertmanager webhook receiver in the foreground, printing each page."""
    import time

    from lendlab.serving.pager import Pager

    pager = Pager(args.out, host="127.0.0.1", port=args.port).start()
    print(f"pager on {pager.url} writing to {args.out} (Ctrl-C to stop)", flush=True)
    seen = 0
    try:
        while True:
            notes = pager.notifications()
            for note in notes[seen:]:
                names = sorted({a["labels"].get("alertname", "?") for a in note.get("alerts", [])})
                print(f"{note.get('status', '?'):8s} {', '.join(names)}", flush=True)
            seen = len(notes)
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0
    finally:
        pager.stop()


def decisions_reconcile_command(args: argparse.Namespace) -> int:
    """Acknowledged (2xx in the replay results) against logged; exit 1 if any is missing."""
    from lendlab.serving.store import reconcile

    try:
        r = reconcile(args.db, args.replay)
    except (FileNotFoundError, ValueError) as exc:
        return _fail(str(exc))
    print(
        f"acknowledged {r['acknowledged']}  logged {r['logged']}  missing {len(r['missing'])}  "
        f"(logged but not acknowledged: {r['unacknowledged_logged']})  "
        f"integrity_check: {r['integrity']}"
    )
    if r["missing"]:
        print(f"missing application ids (first 20): {r['missing'][:20]}", file=sys.stderr)
    return 0 if r["ok"] else 1


def decisions_export_command(args: argparse.Namespace) -> int:
    """Write the decision log to Parquet."""
    from lendlab.serving.store import export_decisions

    try:
        n = export_decisions(args.db, args.out)
    except (FileNotFoundError, ValueError) as exc:
        return _fail(str(exc))
    print(f"wrote {n} decisions to {args.out}")
    return 0


def register(subparsers: Any) -> None:
    """Add ``serve``, ``models`` and ``decisions`` to a ``lendlab`` subparsers object."""
    serve = subparsers.add_parser("serve", help="run the scoring service (FastAPI on uvicorn)")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--db", default=None, metavar="PATH", help=f"SQLite decision log (default {DEFAULT_DB})"
    )
    serve.add_argument("--config", default=None, metavar="PATH", help=".json or .toml config")
    serve.add_argument("--model", default=None, help="alias or version to serve (default champion)")
    serve.add_argument("--model-dir", default=None, metavar="DIR", help="model artifacts")
    serve.add_argument("--seed", type=int, default=None, help="training seed on first start")
    serve.add_argument(
        "--fallback", choices=("manual_review", "rules"), default=None, help="degraded mode"
    )
    rollout = serve.add_argument_group("rollout modes (issue 9)")
    rollout.add_argument(
        "--shadow", default=None, metavar="VERSION", help="score this model off the request path"
    )
    rollout.add_argument("--shadow-queue-max", type=int, default=None, metavar="N")
    rollout.add_argument("--shadow-timeout-ms", type=float, default=None, metavar="MS")
    rollout.add_argument(
        "--canary", default=None, metavar="VERSION", help="model for the canary arm"
    )
    rollout.add_argument(
        "--canary-share", type=float, default=None, metavar="S", help="share in [0, 1]"
    )
    rollout.add_argument(
        "--blue-green", action="store_true", help="blue/green slots: switch and roll back"
    )
    serve.set_defaults(serving_handler=serve_command)

    models = subparsers.add_parser("models", help="train model artifacts for the service")
    models_sub = models.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    train = models_sub.add_parser("train", help="champion scorecard + challenger, versioned")
    train.add_argument("--out", required=True, metavar="DIR")
    train.add_argument("--seed", type=int, default=2025)
    train.set_defaults(serving_handler=models_train_command)
    reg = models_sub.add_parser(
        "register", help="add your own fitted model (joblib file) as a new version"
    )
    reg.add_argument("--dir", required=True, metavar="DIR", help="registry folder")
    reg.add_argument("--artifact", required=True, metavar="FILE.joblib")
    reg.add_argument("--alias", default=None, help="e.g. candidate (never champion)")
    reg.add_argument("--version", default=None, help="set the model's version name")
    reg.set_defaults(serving_handler=models_register_command)
    lst = models_sub.add_parser("list", help="versions and aliases of a registry folder")
    lst.add_argument("--dir", required=True, metavar="DIR")
    lst.set_defaults(serving_handler=models_list_command)

    pager = subparsers.add_parser(
        "pager", help="Alertmanager webhook receiver: print and record each page (loopback)"
    )
    pager.add_argument("--port", type=int, default=9095, help="default 9095 (ops/alertmanager)")
    pager.add_argument("--out", default="pages.jsonl", metavar="FILE.jsonl")
    pager.set_defaults(serving_handler=pager_command)

    decisions = subparsers.add_parser("decisions", help="the service's decision log")
    dec_sub = decisions.add_subparsers(dest="decisions_command", required=True, metavar="ACTION")
    export = dec_sub.add_parser("export", help="write the decision log to Parquet")
    export.add_argument("--db", required=True, metavar="PATH")
    export.add_argument("--out", required=True, metavar="FILE.parquet")
    export.set_defaults(serving_handler=decisions_export_command)
    rec = dec_sub.add_parser(
        "reconcile", help="after a crash: every acknowledged decision is in the log?"
    )
    rec.add_argument("--db", required=True, metavar="PATH")
    rec.add_argument(
        "--replay", required=True, metavar="FILE", help="`lendlab replay --out` results"
    )
    rec.set_defaults(serving_handler=decisions_reconcile_command)

    from lendlab.serving.replay import register as register_replay  # lendlab replay (light)

    register_replay(subparsers)
