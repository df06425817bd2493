"""Every public callable of lendlab.drift, fed bad input, fails cleanly or returns a documented
result.

In the spirit of scikit-learn's ``test_public_functions``: one parametrized test over
``lendlab.drift.__all__``. Each argument that takes data is replaced in turn by None, an empty
frame or series, an all-NaN series, a wrong dtype (datetimes), numbers stored as text and a
wrong container; ``bins`` by a huge number. The call must raise TypeError or ValueError with a
message, never KeyError, IndexError, ZeroDivisionError, AttributeError or a numpy warning, or
return a documented result (a finite number, a table whose only NaNs are "empty" windows).
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from lendlab import drift

N = 400
RNG = np.random.default_rng(0)
NUM_REF = pd.Series(RNG.normal(640, 60, N), name="fico")
NUM_CUR = pd.Series(RNG.normal(650, 60, N), name="fico")
CAT_REF = pd.Series(RNG.choice(["web", "broker", "mobile"], N), name="channel")
CAT_CUR = pd.Series(RNG.choice(["web", "broker", "mobile"], N), name="channel")
FRAME_REF = pd.DataFrame({"fico": NUM_REF, "channel": CAT_REF})
FRAME_CUR = pd.DataFrame({"fico": NUM_CUR, "channel": CAT_CUR})
LOG = FRAME_CUR.assign(applied_at=pd.date_range("2025-03-01", periods=N, freq="h", tz="UTC"))


def _snapshot():
    small_ref, small_cur = FRAME_REF.iloc[:200], FRAME_CUR.iloc[:200]
    return drift.evidently_drift_report(small_ref, small_cur)


# Bad values for each kind of argument.
SERIES_BAD = {
    "None": None,
    "empty series": pd.Series([], dtype=np.float64, name="fico"),
    "all-NaN series": pd.Series([np.nan] * 10, name="fico"),
    "datetime series": pd.Series(pd.date_range("2025-01-01", periods=10), name="fico"),
    "text numbers": NUM_REF.round(0).astype(int).astype(str),
    "a DataFrame": FRAME_REF,
    "a dict": {"fico": [1.0, 2.0]},
    "a 2-D array": np.ones((3, 3)),
}
FRAME_BAD = {
    "None": None,
    "empty frame": FRAME_REF.iloc[:0],
    "frame without columns": pd.DataFrame(index=range(5)),
    "all-NaN column": FRAME_REF.assign(fico=np.nan),
    "datetime column": FRAME_REF.assign(fico=pd.Timestamp("2025-01-01")),
    "text numbers": FRAME_REF.assign(fico=NUM_REF.astype(str)),
    "a Series": NUM_REF,
    "a dict": {"fico": [1.0]},
}
COUNTS_BAD = {
    "None": None,
    "empty": [],
    "all-NaN": [np.nan, np.nan, np.nan],
    "datetimes": np.array(["2025-01-01", "2025-01-02", "2025-01-03"], dtype="datetime64[D]"),
    "text numbers": ["1", "2", "3"],
    "negative": [1, -2, 3],
}
OTHER_BAD = {"None": None, "a number": 3, "text": "snapshot", "a frame": FRAME_REF}

# name -> (valid positional arguments, kind of each positional argument)
CALLS: dict[str, tuple[Callable[[], tuple], tuple[str, ...]]] = {
    "psi": (lambda: (NUM_REF, NUM_CUR), ("series", "series")),
    "csi": (lambda: (CAT_REF, CAT_CUR), ("series", "series")),
    "jensen_shannon": (lambda: (NUM_REF, NUM_CUR), ("series", "series")),
    "ks": (lambda: (NUM_REF, NUM_CUR), ("series", "series")),
    "wasserstein": (lambda: (NUM_REF, NUM_CUR), ("series", "series")),
    "chi_square": (lambda: (CAT_REF, CAT_CUR), ("series", "series")),
    "psi_from_counts": (lambda: ([50, 30, 20], [40, 40, 20]), ("counts", "counts")),
    "quantile_edges": (lambda: (NUM_REF,), ("series",)),
    "equal_width_edges": (lambda: (NUM_REF, NUM_CUR), ("series", "series")),
    "fit_bins": (lambda: (NUM_REF,), ("series",)),
    "prepare_reference": (lambda: (FRAME_REF,), ("frame",)),
    "drift_table": (lambda: (FRAME_REF, FRAME_CUR), ("frame", "frame")),
    "drift_over_time": (lambda: (FRAME_REF, LOG), ("frame", "frame")),
    "evidently_drift_report": (
        lambda: (FRAME_REF.iloc[:200], FRAME_CUR.iloc[:200]),
        ("frame", "frame"),
    ),
    "evidently_drift_values": (lambda: (_snapshot(),), ("other",)),
    "save_evidently_report": (lambda: (_snapshot(), "report.html"), ("other", "path")),
}
BAD_BY_KIND = {
    "series": SERIES_BAD,
    "frame": FRAME_BAD,
    "counts": COUNTS_BAD,
    "other": OTHER_BAD,
    "path": {"None": None, "a number": 3, "a frame": FRAME_REF},
}
SLOW = {"evidently_drift_report", "evidently_drift_values", "save_evidently_report"}

PUBLIC_FUNCTIONS = sorted(
    name for name in drift.__all__ if inspect.isfunction(getattr(drift, name))
)
PUBLIC_CLASSES = sorted(name for name in drift.__all__ if inspect.isclass(getattr(drift, name)))


def test_every_public_function_has_a_fuzz_entry():
    assert sorted(CALLS) == PUBLIC_FUNCTIONS


def _finite(x: float) -> bool:
    return isinstance(x, float) and math.isfinite(x)


def check_documented_result(name: str, result: object) -> None:
    """What a call that did not raise may return."""
    if isinstance(result, drift.DriftTestResult):
        assert _finite(result.statistic) and 0.0 <= result.pvalue <= 1.0, result
    elif isinstance(result, float):
        assert math.isfinite(result), f"{name} returned {result!r}"
    elif isinstance(result, np.ndarray):
        assert np.isfinite(result).all(), f"{name} returned {result!r}"
    elif isinstance(result, pd.DataFrame):
        assert len(result) > 0
        if "statistic" in result:
            nan = result["statistic"].isna()
            if "status" in result:
                assert (result.loc[nan, "status"] == "empty").all(), result
            else:
                assert not nan.any(), result
    elif isinstance(result, (drift.ReferenceProfile, drift.NumericBins, drift.CategoricalBins)):
        pass
    else:  # Snapshot, Path
        assert result is not None


def call_cleanly(fn: Callable, *args, **kwargs) -> object:
    """Call ``fn``; any exception other than a TypeError/ValueError with a message fails."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # numpy: divide by zero, invalid value
        try:
            return fn(*args, **kwargs)
        except (TypeError, ValueError) as err:
            if isinstance(err, RuntimeWarning):
                raise
            assert str(err).strip(), f"{type(err).__name__} without a message"
            return err


def fuzz_cases():
    for name in PUBLIC_FUNCTIONS:
        _, kinds = CALLS[name]
        marks = [pytest.mark.slow] if name in SLOW else []
        for position, kind in enumerate(kinds):
            for label in BAD_BY_KIND[kind]:
                yield pytest.param(name, position, label, id=f"{name}-arg{position}-{label}")
        if "bins" in inspect.signature(getattr(drift, name)).parameters:
            yield pytest.param(name, "bins", "huge", id=f"{name}-bins-huge", marks=marks)


@pytest.mark.parametrize(("name", "position", "label"), list(fuzz_cases()))
def test_public_function_rejects_bad_input_cleanly(name, position, label, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fn = getattr(drift, name)
    make_args, kinds = CALLS[name]
    args = list(make_args())
    kwargs = {}
    if position == "bins":
        kwargs["bins"] = 10**9
    else:
        args[position] = BAD_BY_KIND[kinds[position]][label]
    result = call_cleanly(fn, *args, **kwargs)
    if isinstance(result, Exception):
        return
    check_documented_result(name, result)
    if position == "bins":
        pytest.fail(f"{name}(bins=10**9) returned instead of refusing the bin count")


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS)
def test_valid_call_works(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_args, _ = CALLS[name]
    check_documented_result(name, getattr(drift, name)(*make_args()))


# The public classes are built by fit_bins / prepare_reference: fuzz their methods.
def _bins_methods():
    num = drift.fit_bins(NUM_REF)
    cat = drift.fit_bins(CAT_REF)
    profile = drift.prepare_reference(FRAME_REF)
    return {
        "NumericBins.count": (num.count, SERIES_BAD),
        "NumericBins.assign": (num.assign, SERIES_BAD),
        "NumericBins.values_of": (num.values_of, SERIES_BAD),
        "CategoricalBins.count": (cat.count, SERIES_BAD),
        "CategoricalBins.assign": (cat.assign, SERIES_BAD),
        "ReferenceProfile.compare": (profile.compare, FRAME_BAD),
        "ReferenceProfile.column": (profile.column, {**OTHER_BAD, "unknown": "nope"}),
        "ReferenceProfile.bin_table": (
            lambda bad: profile.bin_table("fico", bad),
            {**SERIES_BAD, **{f"frame {k}": v for k, v in FRAME_BAD.items()}},
        ),
        "ReferenceProfile.bin_table column": (
            lambda bad: profile.bin_table(bad, FRAME_CUR),
            {**OTHER_BAD, "unknown": "nope"},
        ),
    }


METHOD_CASES = [
    pytest.param(method, label, id=f"{method}-{label}")
    for method, (_, bad) in _bins_methods().items()
    for label in bad
]


def test_every_public_class_is_covered():
    covered = {m.split(".")[0] for m, _ in [(p.values[0], None) for p in METHOD_CASES]}
    # DriftTestResult is a plain result record (statistic, pvalue) with no behaviour to fuzz
    assert covered | {"DriftTestResult"} == set(PUBLIC_CLASSES)


@pytest.mark.parametrize(("method", "label"), METHOD_CASES)
def test_public_methods_reject_bad_input_cleanly(method, label):
    fn, bad = _bins_methods()[method]
    result = call_cleanly(fn, bad[label])
    if isinstance(result, Exception):
        return
    if isinstance(result, tuple):  # count / assign: (array, unseen labels)
        assert np.isfinite(np.asarray(result[0], dtype=float)).all()
    else:
        check_documented_result(method, result)
