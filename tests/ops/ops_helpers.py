"""Shared helpers for the ops tests: where ops/ is, and skip-or-fail when binaries are missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lendlab.serving.prometheus_stack import INSTALL_HINT, missing_binaries

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "ops"
RULES = sorted((OPS / "prometheus" / "rules").glob("*.yml"))
RULE_TESTS = sorted((OPS / "prometheus" / "tests").glob("*.yml"))
ALERTMANAGER_CONFIG = OPS / "alertmanager" / "alertmanager.yml"


def require_binaries(*names: str) -> None:
    """Skip with a one-line reason when a binary is missing; fail instead under CI=true."""
    missing = missing_binaries(names)
    if not missing:
        return
    reason = f"{', '.join(missing)} not installed: {INSTALL_HINT}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)
