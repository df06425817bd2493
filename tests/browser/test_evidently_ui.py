"""The week 7 Evidently monitoring dashboard, rendered by a real (headless) Chromium.

Builds a small workspace with :func:`lendlab.monitoring.dashboard.build_evidently_workspace`,
serves it with ``evidently ui`` on a free loopback port, loads ``/projects/<id>`` in Debian's
``chromium --headless=new`` and asserts what a person would see: every panel title in the
rendered DOM, and a screenshot that is not blank. Skips with one line when Chromium is
missing; under ``CI=true`` that is a failure (the ``chromium`` fixture of conftest.py).
Every process is bounded and stopped in ``finally``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lendlab import world
from lendlab.monitoring import dashboard

BROWSER_TIMEOUT_S = 90


def _browser(exe: str, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [
        exe,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1400,1800",
        "--virtual-time-budget=20000",
        *args,
    ]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=BROWSER_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> dashboard.EvidentlyWorkspace:
    book = world.generate(3_000, seed=5, start="2025-01-06", days=10)
    log = book.assign(
        decision=np.where(book["approved_policy"], "approve", "decline"),
        model_version="scorecard-2025.1",
        score=book["fico"].astype(float),
    )
    reference = log[log["applied_at"] < pd.Timestamp("2025-01-09", tz="UTC")]
    return dashboard.build_evidently_workspace(
        log, reference, tmp_path_factory.mktemp("ws"), columns=["fico", "dti", "annual_income"]
    )


def test_the_project_dashboard_renders_its_panels(workspace, chromium, shots, tmp_path):
    from PIL import Image

    exe = chromium
    with dashboard.evidently_ui(workspace.path) as url:
        page = f"{url}/projects/{workspace.project_id}"
        dom = _browser(exe, tmp_path / "profile-dom", "--dump-dom", page)
        shot = shots / "evidently_ui_dashboard.png"
        _browser(exe, tmp_path / "profile-shot", f"--screenshot={shot}", page)
    html = dom.stdout.decode("utf-8", errors="replace")
    assert dom.returncode == 0, dom.stderr.decode(errors="replace")[-2000:]
    missing = [t for t in workspace.panel_titles if t not in html]
    assert not missing, f"panel titles not in the rendered DOM: {missing}"
    assert shot.is_file(), "chromium wrote no screenshot"
    image = Image.open(shot).convert("RGB")
    pixels = np.asarray(image).reshape(-1, 3)
    colours = np.unique(pixels[:: max(1, len(pixels) // 200_000)], axis=0)
    non_white = float((pixels < 245).any(axis=1).mean())
    assert len(colours) > 1, "the screenshot is a single colour"
    assert non_white > 0.02, f"the screenshot is almost blank ({non_white:.1%} non-white)"
