"""Every docstring example in lendlab.drift runs and prints what it says."""

from __future__ import annotations

import doctest
import importlib
import warnings

import pytest

MODULES = [
    "lendlab.drift",
    "lendlab.drift.binning",
    "lendlab.drift.stats",
    "lendlab.drift.profile",
    "lendlab.drift.table",
    "lendlab.drift.over_time",
    "lendlab.drift.evidently_report",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Evidently's own deprecation chatter
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
