"""Fixtures of the browser tests: a Chromium to render with, and where screenshots go.

Policy (issue 8, section 5): without Chromium every browser test skips with a one-line reason;
under ``CI=true`` a missing tool is a failure, not a skip (CI installs it with ``./bootstrap``).
``require_tool`` applies the same policy to any other executable (e.g. ``evidently``,
``prometheus``): ``require_tool("prometheus", hint="...")`` inside a test or fixture.

Screenshots are written under pytest's ``tmp_path``; set ``LENDLAB_BROWSER_SHOTS=DIR`` to keep
them in DIR (to look at them).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from lendlab.course.browser import INSTALL_HINT, find_chromium


def in_ci() -> bool:
    """True when ``CI=true`` (a missing tool then fails the test instead of skipping it)."""
    return os.environ.get("CI", "").strip().lower() == "true"


def require_tool(name: str, *, hint: str, path: str | None = None) -> str:
    """Path of executable ``name`` (or ``path`` when given and found); else skip, or fail in CI.

    The skip or failure reason is one line: ``<name> not installed: <hint>``.
    """
    found = path or shutil.which(name)
    if found:
        return found
    reason = f"{name} not installed: {hint}"
    if in_ci():
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of Debian's chromium (skip without it; fail under CI=true)."""
    return require_tool("chromium", hint=INSTALL_HINT, path=find_chromium())


@pytest.fixture
def shots(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """Folder for this test's screenshots (``LENDLAB_BROWSER_SHOTS`` keeps them)."""
    keep = os.environ.get("LENDLAB_BROWSER_SHOTS")
    if not keep:
        return tmp_path
    folder = Path(keep) / request.node.name.replace("/", "_")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def need_tool():
    """``need_tool(name, hint=...)``: :func:`require_tool` for tests in other files."""
    return require_tool
