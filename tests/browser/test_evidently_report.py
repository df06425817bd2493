"""The week 5 Evidently drift report, opened in headless Chromium as a learner opens it.

The report is built as the week 5 lab builds it (``drift.evidently_drift_report`` on samples,
``columns=MONITORED``, then ``drift.save_evidently_report``), here on a small world with one
input (``fico``) shifted by 60 points. The HTML file holds its widgets as JSON for a React app:
nothing the test looks for is visible text until Chromium has run the scripts, which the first
test proves on the file itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lendlab import drift, world
from lendlab.course.browser import render, screenshot_stats, visible_text
from lendlab.world.schema import MONITORED_FEATURES

MONITORED = list(MONITORED_FEATURES)
DRIFTED = "fico"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The lab's report on 1,500 reference and 1,500 current applications, fico shifted."""
    reference = world.generate(1_500, seed=11, start="2024-10-01", days=90)
    current = world.generate(1_500, seed=12, start="2025-03-01", days=28)
    current[DRIFTED] = (current[DRIFTED] - 60).clip(lower=300)
    snapshot = drift.evidently_drift_report(reference, current, columns=MONITORED)
    return drift.save_evidently_report(snapshot, tmp_path_factory.mktemp("report") / "drift")


def test_the_file_alone_shows_nothing_the_browser_test_looks_for(report: Path) -> None:
    """Without a browser running its scripts the report is blank: the DOM test is meaningful."""
    text = visible_text(report.read_text(encoding="utf-8"))
    assert "Drift in column" not in text
    assert "Count of Drifted Columns" not in text


def test_report_renders_drift_widgets_for_every_monitored_column(
    chromium: str, report: Path, shots: Path
) -> None:
    page = render(
        report,
        screenshot=shots / "evidently_report.png",
        virtual_time_budget=10_000,
        timeout=60,
        chromium=chromium,
    )
    text = page.text
    # the report's summary tiles and its tabs
    assert "Count of Drifted Columns: count 1.0" in text, text[:500]  # fico and nothing else
    assert "Count of Drifted Columns: share" in text
    assert "Metrics" in text and "Tests" in text
    # one drift widget per monitored input, titled with the column name
    missing = [c for c in MONITORED if f"Drift in column '{c}'" not in text]
    assert not missing, f"no drift widget rendered for {missing}: {text[:500]}"
    # the shifted input is flagged, with the lab's method, and a quiet one is not
    fico = text.split(f"Drift in column '{DRIFTED}'", 1)[1][:120]
    assert fico.lstrip().startswith("Data drift detected. Drift detection method: PSI."), fico
    dti = text.split("Drift in column 'dti'", 1)[1][:120]
    assert dti.lstrip().startswith("Data drift not detected."), dti
    # plotly drew the per-column charts (SVGs exist only after the scripts ran)
    assert page.dom.count('class="main-svg"') >= len(MONITORED), "plotly charts not drawn"

    stats = screenshot_stats(page.screenshot)
    assert (stats.width, stats.height) == (1400, 900)
    assert not stats.blank, f"screenshot looks blank: {stats}"
