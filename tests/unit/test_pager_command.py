"""`lendlab pager`, run as a person runs it: a webhook receiver that prints and records pages."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from lendlab.serving.pager import read_pages
from lendlab.serving.process import free_port

# the console script next to this interpreter, as `./bootstrap` installs it
LENDLAB = str(Path(sys.executable).with_name("lendlab"))


def test_pager_command_prints_and_records_each_page(tmp_path):
    port, out = free_port(), tmp_path / "pages.jsonl"
    proc = subprocess.Popen(
        [LENDLAB, "pager", "--port", str(port), "--out", str(out)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert f"pager on http://127.0.0.1:{port}" in proc.stdout.readline()
        note = {"status": "firing", "alerts": [{"labels": {"alertname": "LendlabBureauDown"}}]}
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/alerts",
            data=json.dumps(note).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert urllib.request.urlopen(req, timeout=5).status == 200
        deadline = time.monotonic() + 10
        line = proc.stdout.readline()
        assert time.monotonic() < deadline
        assert line.split() == ["firing", "LendlabBureauDown"]
        assert read_pages(out)[0]["notification"] == note
    finally:
        proc.terminate()
        proc.wait(timeout=10)
