"""The scoring service (weeks 6-7): FastAPI on uvicorn, SQLite decision log, Prometheus metrics.

* :func:`create_app` / :class:`ServiceConfig` - the app factory and its configuration
  (:mod:`~lendlab.serving.app`, :mod:`~lendlab.serving.config`);
* :func:`running` - start ``lendlab serve`` in a child process, wait until ready, stop it
  (for notebooks and tests); :func:`serve` - run it in this process
  (:mod:`~lendlab.serving.process`, which says why one worker);
* :func:`train_models` / :class:`ModelRegistry` - versioned champion and challenger artifacts
  with aliases (:mod:`~lendlab.serving.registry`);
* :class:`DecisionStore`, :func:`read_decisions`, :func:`read_rejected`,
  :func:`export_decisions` - the durable log (:mod:`~lendlab.serving.store`);
* :class:`SimulatedDependency` - bureau and income verification with fault knobs
  (:mod:`~lendlab.serving.dependencies`);
* :func:`running_pager` - an Alertmanager webhook receiver writing pages to JSONL
  (:mod:`~lendlab.serving.pager`).

Names are imported lazily, so ``lendlab --help`` does not import FastAPI.

Example
-------
>>> from lendlab import serving
>>> serving.ServiceConfig(db="d.db").model
'champion'
"""

from __future__ import annotations

import importlib
from typing import Any

_NAMES = {
    "create_app": "app",
    "ServiceState": "app",
    "ServiceConfig": "config",
    "DependencyKnobs": "config",
    "load_config": "config",
    "SimulatedDependency": "dependencies",
    "DependencyError": "dependencies",
    "ServiceMetrics": "metrics",
    "LATENCY_BUCKETS": "metrics",
    "Pager": "pager",
    "running_pager": "pager",
    "read_pages": "pager",
    "RunningService": "process",
    "running": "process",
    "serve": "process",
    "free_port": "process",
    "ModelRegistry": "registry",
    "train_models": "registry",
    "Application": "schemas",
    "DecisionResponse": "schemas",
    "example_application": "schemas",
    "DecisionStore": "store",
    "read_decisions": "store",
    "read_rejected": "store",
    "export_decisions": "store",
    "decide_in_batches": "replay",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        module = importlib.import_module(f"lendlab.serving.{_NAMES[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'lendlab.serving' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_NAMES])
