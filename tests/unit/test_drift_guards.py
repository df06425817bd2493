"""Guards of lendlab.drift: text numbers, too many windows, tiny windows, bad counts, no cycles."""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lendlab import drift

DRIFT_DIR = Path(drift.__file__).resolve().parent
MODULES = sorted(
    "lendlab.drift" + ("" if p.stem == "__init__" else f".{p.stem}") for p in DRIFT_DIR.glob("*.py")
)


# --------------------------------------------------------------------------- numbers as text


@pytest.fixture(scope="module")
def fico():
    rng = np.random.default_rng(0)
    return pd.Series(rng.normal(640, 60, 5000), name="fico"), pd.Series(
        rng.normal(640, 60, 5000), name="fico"
    )


TEXT_NUMBERS = {
    "str": lambda s: s.round(0).astype(int).astype(str),
    "object of str": lambda s: s.round(0).astype(int).astype(str).astype(object),
    "unique str": lambda s: s.astype(str),
    "object of floats": lambda s: s.astype(object),
    "str with N/A placeholders": lambda s: s.round(1).astype(str).where(s.index % 50 != 0, "N/A"),
}


def test_float_psi_is_small_on_identical_distributions(fico):
    ref, cur = fico
    assert drift.psi(ref, cur) < 0.02  # the honest number the text versions must not replace


@pytest.mark.parametrize("make", list(TEXT_NUMBERS), ids=list(TEXT_NUMBERS))
@pytest.mark.parametrize("side", ["reference", "current"])
def test_psi_refuses_numbers_stored_as_text(fico, make, side):
    ref, cur = fico
    as_text = TEXT_NUMBERS[make]
    args = (as_text(ref), cur) if side == "reference" else (ref, as_text(cur))
    with pytest.raises(TypeError, match=rf"'fico' in {side} holds numbers stored as text") as err:
        drift.psi(*args)
    assert "pandas.to_numeric" in str(err.value)


@pytest.mark.parametrize("make", list(TEXT_NUMBERS), ids=list(TEXT_NUMBERS))
def test_frame_functions_refuse_numbers_stored_as_text(fico, make):
    ref, cur = fico
    text = TEXT_NUMBERS[make]
    ref_frame = pd.DataFrame({"fico": text(ref)})
    cur_frame = pd.DataFrame({"fico": text(cur)})
    match = "numbers stored as text"
    with pytest.raises(TypeError, match=match):
        drift.drift_table(ref_frame, cur_frame)
    with pytest.raises(TypeError, match=match):
        drift.prepare_reference(ref_frame)
    with pytest.raises(TypeError, match=match):
        drift.drift_table(pd.DataFrame({"fico": ref}), cur_frame)
    log = cur_frame.assign(
        applied_at=pd.date_range("2025-01-01", periods=len(cur), freq="min", tz="UTC")
    )
    with pytest.raises(TypeError, match=match):
        drift.drift_over_time(pd.DataFrame({"fico": ref}), log)
    for fn in (drift.ks, drift.wasserstein, drift.chi_square, drift.jensen_shannon):
        with pytest.raises(TypeError, match=match):
            fn(text(ref), text(cur))
    with pytest.raises(TypeError, match=match):
        drift.fit_bins(text(ref))
    with pytest.raises(TypeError, match=match):
        drift.equal_width_edges(text(ref), cur)


def test_placeholders_are_named_in_the_message(fico):
    ref, _ = fico
    text = TEXT_NUMBERS["str with N/A placeholders"](ref)
    with pytest.raises(TypeError, match=r"placeholder\(s\) \['N/A'\].*errors='coerce'"):
        drift.psi(text, text)


@pytest.mark.parametrize(
    "values",
    [
        ["web", "broker", "mobile"] * 40,
        pd.Series(["rent", "own", "mortgage"] * 40, dtype="str"),
        pd.Series(["rent", "own", None] * 40, dtype=object),
        ["0", "1", "2", "3+"] * 30,  # few numeric-looking labels and a non-number: a category
        pd.Series(["02139", "10001", "94105"] * 40, dtype="category"),  # category dtype: labels
        pd.Series([True, False, True] * 40, dtype=object),
    ],
    ids=["list", "str", "object with None", "dependents", "zip codes as category", "bool obj"],
)
def test_genuine_categorical_text_still_works(values):
    policy = "omit" if isinstance(values, pd.Series) and values.isna().any() else "raise"
    assert drift.psi(values, values, nan_policy=policy) == pytest.approx(0.0, abs=1e-12)
    frame = pd.DataFrame({"c": values})
    table = drift.drift_table(frame, frame, nan_policy=policy)
    assert table.loc[0, "kind"] == "categorical" and not table.loc[0, "drifted"]


# --------------------------------------------------------------------------- too many windows


def two_months(n: int = 1000) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    seconds = np.sort(rng.integers(0, 61 * 86_400, n))
    return pd.DataFrame(
        {
            "applied_at": pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(seconds, "s"),
            "fico": rng.normal(640, 60, n),
            "segment": rng.choice(["prime", "thin_file"], n),
        }
    )


def test_too_many_windows_is_refused_before_allocating():
    log = two_months()
    ref = log[["fico"]]
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"freq='1ms' .* into [\d,]+ windows") as err:
        drift.drift_over_time(ref, log, freq="1ms", columns=["fico"])
    assert time.perf_counter() - start < 5  # no 18 GiB allocation first
    message = str(err.value)
    assert f"MAX_WINDOWS = {drift.MAX_WINDOWS:,}" in message
    n_windows = int(message.split(" into ")[1].split(" windows")[0].replace(",", ""))
    assert n_windows > 5_000_000_000


def test_segments_count_towards_the_window_limit():
    log = two_months()
    # about 61 days of minutes = 87,575 windows: under the limit alone, over it with 2 segments
    drift.drift_over_time(log[["fico"]], log, freq="min", columns=["fico"], min_rows=0)
    with pytest.raises(
        ValueError, match=r"87,575 windows x 2 segments = 175,150, more than MAX_WINDOWS"
    ):
        drift.drift_over_time(log[["fico"]], log, freq="min", by="segment", columns=["fico"])


# --------------------------------------------------------------------------- tiny windows


@pytest.mark.parametrize("rows_per_window", [5, 25])
def test_identical_distributions_in_tiny_windows_are_never_drifted(rows_per_window):
    rng = np.random.default_rng(rows_per_window)
    reference = pd.DataFrame({"fico": rng.normal(640, 60, 50_000)})
    days = 300
    log = pd.DataFrame(
        {
            "applied_at": pd.Timestamp("2025-01-01", tz="UTC")
            + pd.to_timedelta(np.repeat(np.arange(days), rows_per_window), unit="D"),
            "fico": rng.normal(640, 60, days * rows_per_window),
        }
    )
    out = drift.drift_over_time(reference, log)
    assert len(out) == days
    assert not out["drifted"].any()
    assert (out["status"] == "insufficient data").all()
    assert out["statistic"].notna().all()  # the PSI is still shown, just not judged
    # without the guard, the same windows are flagged (this is what the guard prevents)
    unguarded = drift.drift_over_time(reference, log, min_rows=0)
    assert unguarded["drifted"].mean() > 0.5
    np.testing.assert_array_equal(unguarded["statistic"], out["statistic"])


def test_windows_of_min_rows_are_judged_and_rarely_false():
    rng = np.random.default_rng(3)
    reference = pd.DataFrame({"fico": rng.normal(640, 60, 50_000)})
    days, n = 400, drift.MIN_ROWS
    log = pd.DataFrame(
        {
            "applied_at": pd.Timestamp("2025-01-01", tz="UTC")
            + pd.to_timedelta(np.repeat(np.arange(days), n), unit="D"),
            "fico": rng.normal(640, 60, days * n),
        }
    )
    out = drift.drift_over_time(reference, log)
    assert set(out["status"]) <= {"ok", "drifted"}
    assert out["drifted"].mean() <= 0.01  # measured: about 0.01% at 150 rows


def test_min_rows_counts_rows_per_column_and_is_validated():
    rng = np.random.default_rng(4)
    reference = pd.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500)})
    b = rng.normal(size=200)
    b[:150] = np.nan  # under "omit" only 50 rows of b are counted
    log = pd.DataFrame(
        {
            "applied_at": pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(0, "s"),
            "a": rng.normal(size=200),
            "b": b,
        }
    )
    out = drift.drift_over_time(reference, log, nan_policy="omit", min_rows=100).set_index("column")
    assert out.loc["a", "status"] in ("ok", "drifted")
    assert out.loc["b", "status"] == "insufficient data" and out.loc["b", "n_current"] == 50
    with pytest.raises(TypeError, match="min_rows must be an integer, got 2.5"):
        drift.drift_over_time(reference, log, nan_policy="omit", min_rows=2.5)
    with pytest.raises(ValueError, match=r"min_rows=-1 is too small; pass an integer >= 0"):
        drift.drift_over_time(reference, log, nan_policy="omit", min_rows=-1)
    with pytest.raises(TypeError, match="threshold must be a non-negative number"):
        drift.drift_over_time(reference, log, nan_policy="omit", threshold="0.25")
    with pytest.raises(ValueError, match="threshold must be a finite"):
        drift.drift_over_time(reference, log, nan_policy="omit", threshold=float("nan"))


# --------------------------------------------------------------------------- psi_from_counts


@pytest.mark.parametrize(
    ("ref", "cur", "error", "message"),
    [
        ([50, 50], [70, -30], ValueError, r"current_counts has negative counts .*index \[1\]"),
        ([-1, 50], [70, 30], ValueError, "reference_counts has negative counts"),
        ([50, np.nan], [70, 30], ValueError, "reference_counts has NaN or infinite"),
        ([50, 50], [70, np.inf], ValueError, "current_counts has NaN or infinite"),
        (
            [50, 50],
            [70, 20, 10],
            ValueError,
            "reference_counts has 2 bins but current_counts has 3",
        ),
        ([0, 0], [70, 30], ValueError, "reference_counts are all zero"),
        ([50, 50], [0, 0], ValueError, "current_counts are all zero"),
        ([[50, 50]], [70, 30], ValueError, "reference_counts must be 1-D"),
        ([], [], ValueError, "at least one bin"),
        (["50", "50"], [70, 30], TypeError, "must hold numbers"),
        ([50, 50], None, TypeError, "must hold numbers"),
        ([50, 50], [[1, 2], [3]], TypeError, "must be an array of bin counts"),
    ],
)
def test_psi_from_counts_refuses_bad_counts(ref, cur, error, message):
    with pytest.raises(error, match=message):
        drift.psi_from_counts(ref, cur)


def test_psi_from_counts_refuses_a_misspelled_floor():
    with pytest.raises(
        ValueError, match=r"floor must be one of \['epsilon', 'evidently'\], got 'eps'"
    ):
        drift.psi_from_counts([50, 50], [70, 30], floor="eps")
    with pytest.raises(TypeError, match="floor must be one of"):
        drift.psi_from_counts([50, 50], [70, 30], floor=1e-4)


def test_psi_from_counts_empty_rows_are_nan_and_floors_are_per_row():
    ref = np.array([500, 300, 200, 0])
    rows = np.array([[400, 300, 300, 0], [0, 0, 0, 0], [1, 0, 999_000, 1]])
    for floor in ("epsilon", "evidently"):
        out = drift.psi_from_counts(ref, rows, floor=floor)
        assert np.isnan(out[1]) and np.isfinite(out[[0, 2]]).all()
        for i in (0, 2):  # a row's PSI does not depend on the other rows
            assert out[i] == pytest.approx(drift.psi_from_counts(ref, rows[i], floor=floor))


# --------------------------------------------------------------------------- import cycle


@pytest.mark.parametrize("module", MODULES)
def test_each_drift_module_imports_first_in_a_fresh_interpreter(module):
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


def _imported_drift_modules(path: Path) -> set[str]:
    """lendlab.drift modules a file imports at run time (top level or inside functions).

    Imports under ``if TYPE_CHECKING:`` only serve type checkers and are left out.
    """
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            node.body = []
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("lendlab.drift."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("lendlab.drift.")}
    return found


def test_drift_modules_form_no_import_cycle():
    graph = {
        f"lendlab.drift.{p.stem}": _imported_drift_modules(p)
        for p in DRIFT_DIR.glob("*.py")
        if p.stem != "__init__"
    }
    assert graph["lendlab.drift.profile"] and graph["lendlab.drift.table"]
    done: set[str] = set()

    def visit(node: str, stack: tuple[str, ...]) -> None:
        assert node not in stack, "import cycle: " + " -> ".join((*stack, node))
        if node in done:
            return
        for child in graph.get(node, ()):
            visit(child, (*stack, node))
        done.add(node)

    for module in graph:
        visit(module, ())
    assert "lendlab.drift.table" not in graph["lendlab.drift.profile"]
