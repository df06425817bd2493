"""Fixtures of the real-process service tests: trained models (once), a running service.

Everything runs on loopback with bounded load; the whole folder takes well under a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

ADMIN_TOKEN = "service-tests-token"


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Champion and challenger artifacts, trained once per session (small, fast)."""
    from lendlab.serving import train_models

    folder = tmp_path_factory.mktemp("models")
    train_models(folder, seed=4, rows=12_000)
    return folder


@pytest.fixture(scope="module")
def service(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """One service per module, with the admin API enabled (``svc.headers()``)."""
    from lendlab.serving import running

    db = tmp_path_factory.mktemp("service") / "decisions.db"
    with running(db=db, model_dir=model_dir, admin_token=ADMIN_TOKEN, ready_timeout=120) as svc:
        yield svc
