"""JupyterLab as ``./bootstrap lab`` starts it, with the week 1 lab open, in headless Chromium.

``./bootstrap lab`` runs ``.venv/bin/jupyter lab [--allow-root] labs/``; this test runs the same
program with the same arguments plus what a test needs (``--no-browser``, a free loopback port,
a token), on a copy of the week 1 lab in a temporary folder: opening a notebook makes JupyterLab
write checkpoints and workspace files, and labs/ belongs to the working tree. Runtime files,
workspaces and user settings go to the temporary folder too, so a learner's own JupyterLab
settings cannot change what the test sees, and the test leaves nothing in ``~/.jupyter``.

It asserts what a learner sees: the notebook open in a tab, its first heading drawn, and the
kernel ``Python (lendlab)`` connected and idle in the notebook toolbar and status bar; the REST
API confirms that the kernel started for that notebook is the ``lendlab`` kernelspec
(registered inside .venv by ``./bootstrap``). Bounded: the server gets 20 s to start and the
page 35 s to show the idle kernel (about 15 s in all on an idle two-core machine); the server
and every kernel it started are killed in ``finally``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from lendlab.course.browser import Page, free_port, render_until, screenshot_stats, wait_for_http

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent  # the .venv the tests run in (./bootstrap test)
NOTEBOOK = "week01_classification_metrics.ipynb"
TITLE = "Week 1 — Classification metrics for lending decisions"
KERNEL, DISPLAY_NAME = "lendlab", "Python (lendlab)"

# a hard stop if something hangs anyway (start 20 s + renders 35 s + shutdown bound the test)
pytestmark = pytest.mark.timeout(90)


def lab_command(notebook_dir: Path, port: int, token: str) -> list[str]:
    """``./bootstrap lab``'s command line (see its ``lab)`` case), plus the test's options."""
    root = ["--allow-root"] if os.geteuid() == 0 else []
    return [
        str(VENV_BIN / "jupyter"),
        "lab",
        *root,
        str(notebook_dir),
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
    ]


def test_lab_command_matches_bootstrap() -> None:
    """The command above is still the one ./bootstrap lab runs (same program, same root rule)."""
    script = (ROOT / "bootstrap").read_text(encoding="utf-8")
    assert 'exec "$VENV/bin/jupyter" lab "${root[@]}" labs/ "$@"' in script
    assert "root=(--allow-root)" in script


def _get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def _kill_kernels_under(runtime: Path) -> list[int]:
    """SIGKILL any process whose command line names a connection file in ``runtime``.

    jupyter_client starts each kernel in its own session, so ending the server's process
    group does not reach them; this does.
    """
    killed = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if str(runtime) in cmdline:
            try:
                os.kill(int(proc.name), signal.SIGKILL)
                killed.append(int(proc.name))
            except ProcessLookupError:
                pass
    return killed


@pytest.fixture
def jupyterlab(tmp_path: Path) -> Iterator[tuple[str, str, subprocess.Popen]]:
    """A JupyterLab server on a copy of the week 1 lab: (base URL, token, process)."""
    if shutil.which("jupyter", path=str(VENV_BIN)) is None:
        pytest.fail(f"no jupyter in {VENV_BIN}: run ./bootstrap (it installs JupyterLab)")
    labs = tmp_path / "labs"
    labs.mkdir()
    shutil.copy2(ROOT / "labs" / NOTEBOOK, labs / NOTEBOOK)
    runtime = tmp_path / "runtime"
    port, token = free_port(), secrets.token_hex(16)
    argv = [
        *lab_command(labs, port, token),
        f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
        f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
    ]
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime)}
    log = (tmp_path / "jupyterlab.log").open("wb")
    proc = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_for_http(
                f"{base}/api/status?token={token}", timeout=20, alive=lambda: proc.poll() is None
            )
        except (TimeoutError, RuntimeError) as exc:
            log.flush()
            tail = (tmp_path / "jupyterlab.log").read_text(errors="replace")[-2000:]
            pytest.fail(f"JupyterLab did not start: {exc}\n{tail}")
        yield base, token, proc
    finally:
        if proc.poll() is None:
            try:  # clean shutdown first: the server stops its kernels
                req = urllib.request.Request(f"{base}/api/shutdown?token={token}", method="POST")
                urllib.request.urlopen(req, timeout=5).close()
                proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        _kill_kernels_under(runtime)
        log.close()


def test_week1_lab_opens_on_the_lendlab_kernel(
    chromium: str, jupyterlab: tuple[str, str, subprocess.Popen], shots: Path
) -> None:
    base, token, _ = jupyterlab
    url = f"{base}/lab/tree/{NOTEBOOK}?token={token}"

    def kernel_idle(page: Page) -> bool:
        return f"{DISPLAY_NAME} | Idle" in page.text

    page = render_until(
        url,
        kernel_idle,
        budgets=(15_000, 30_000),
        deadline=35,
        screenshot=shots / "jupyterlab_week01.png",
        chromium=chromium,
    )
    text = page.text
    # the notebook is open: its tab, its first heading, the notebook toolbar
    assert "File Edit View Run Kernel Tabs Settings Help" in text, text[:500]
    assert TITLE in text, f"the lab's first heading is not drawn: {text[:500]}"
    assert "Mode: Command" in text or "Mode: Edit" in text
    assert NOTEBOOK in text
    # the kernel: its display name in the notebook toolbar, and connected in the status bar
    toolbar = re.search(
        r'class="jp-Toolbar-kernelName[^"]*"[^>]*>\s*<span[^>]*>([^<]*)</span>', page.dom
    )
    assert toolbar and toolbar.group(1) == DISPLAY_NAME, "toolbar shows no Python (lendlab)"
    status = re.search(rf'title="Change kernel for {re.escape(NOTEBOOK)}"[^>]*>([^<]*)<', page.dom)
    assert status, "no kernel item in the status bar"
    assert status.group(1) == f"{DISPLAY_NAME} | Idle", (
        f"kernel not idle after {page.budget_ms} ms of virtual time: {status.group(1)!r}"
    )
    assert "No Kernel" not in text and "Kernel Error" not in text

    # the server agrees: one session for this notebook, on the lendlab kernelspec of this venv
    sessions = _get(f"{base}/api/sessions?token={token}")
    ours = [s for s in sessions if s["path"] == NOTEBOOK]
    assert len(ours) == 1, sessions
    assert ours[0]["kernel"]["name"] == KERNEL
    spec = _get(f"{base}/api/kernelspecs?token={token}")["kernelspecs"][KERNEL]["spec"]
    assert spec["display_name"] == DISPLAY_NAME
    assert Path(spec["argv"][0]) == Path(sys.executable), spec["argv"]

    stats = screenshot_stats(page.screenshot)
    assert not stats.blank, f"screenshot looks blank: {stats}"
