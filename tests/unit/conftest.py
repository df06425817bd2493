"""Fixtures the exercise tests share (the week files and the common/core tests).

``not_strict``: checks report instead of raising (``LENDLAB_STRICT`` unset), whatever the
shell running the tests set; exercise test modules opt in with
``pytestmark = pytest.mark.usefixtures("not_strict")``.

``bind_week``: ``bind_week(ex, ctx)`` binds a week module's questions to ``ctx`` for one test
and unbinds them afterwards, so no test sees another's data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from types import ModuleType
from typing import Any

import pytest


@pytest.fixture
def not_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LENDLAB_STRICT", raising=False)


@pytest.fixture
def bind_week() -> Iterator[Callable[[ModuleType, Mapping[str, Any]], Mapping[str, Any]]]:
    bound: list[ModuleType] = []

    def bind(module: ModuleType, ctx: Mapping[str, Any]) -> Mapping[str, Any]:
        module._week.unbind()
        module.bind(**ctx)
        bound.append(module)
        return ctx

    yield bind
    for module in bound:
        module._week.unbind()
