"""The week 7 Evidently monitoring dashboard, rendered by a real (headless) Chromium.

Builds the workspace as the week 7 lab builds it: the quarter of the lab's scenario (the
scenario's fast path, :func:`lendlab.course.scenarios.week07.decide_in_process`, which a unit
test holds equal to the live service), the reference weeks, ``columns=MONITORED``, one
snapshot per day, then :func:`lendlab.monitoring.dashboard.evidently_ui` serves it on a free
loopback port and :func:`lendlab.course.browser.render_until` loads ``/projects/<id>`` in
Debian's Chromium. Asserts what a person would see: the project's name and every panel title
as visible text, each panel drawn (a chart with marks under each title), and a screenshot
that is not blank. Skips with one line when Chromium is missing; under ``CI=true`` that is a
failure (the ``chromium`` fixture of conftest.py). Every process is bounded and stopped.
"""

from __future__ import annotations

import html
import re

import httpx
import pytest

from lendlab.course.browser import render_until, screenshot_stats, visible_text
from lendlab.course.scenarios import week07 as scenario
from lendlab.monitoring import dashboard

SEED = 2026  # the lab's seed
PROJECT = "lendlab week 7: loan decisions"


def undrawn_panels(dom: str, titles: tuple[str, ...]) -> list[str]:
    """Titles whose panel (the DOM from the title to the next panel's) holds no drawn chart: a
    chart ``<svg>`` (not an icon) with marks in it (``<rect>`` bars or ``<circle>`` points)."""
    starts = sorted((dom.find(html.escape(t, quote=False)), t) for t in titles)  # "&gt;" in DOM
    missing = [t for at, t in starts if at < 0]
    found = [(at, t) for at, t in starts if at >= 0]
    for k, (at, title) in enumerate(found):
        end = found[k + 1][0] if k + 1 < len(found) else len(dom)
        part = dom[at:end]
        charts = [
            s for s in re.findall(r"<svg[^>]*>.*?</svg>", part, re.S) if "MuiSvgIcon" not in s
        ]
        if not any(mark in s for s in charts for mark in ("<rect", "<circle")):  # bars, points
            missing.append(title)
    return missing


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> dashboard.EvidentlyWorkspace:
    book, hidden = scenario.hidden_scenario(seed=SEED)
    log = scenario.decide_in_process(book, hidden, seed=SEED)
    reference = scenario.between(log, *scenario.SETTINGS["reference"])
    return dashboard.build_evidently_workspace(
        log,
        reference,
        tmp_path_factory.mktemp("ws"),
        columns=list(scenario.MONITORED),
        project=PROJECT,
    )


def test_the_workspace_has_one_snapshot_per_day(workspace):
    assert workspace.snapshots == scenario.SETTINGS["days"]
    assert len(workspace.panel_titles) == 5


def test_the_project_dashboard_renders_its_panels(workspace, chromium, shots):
    with dashboard.evidently_ui(workspace.path) as url:
        api = httpx.get(f"{url}/api/v2/dashboards/{workspace.project_id}", timeout=10).json()
        page_url = f"{url}/projects/{workspace.project_id}"

        def drawn(page) -> bool:
            text = page.text
            titles = workspace.panel_titles
            return all(t in text for t in titles) and not undrawn_panels(page.dom, titles)

        page = render_until(
            page_url,
            drawn,
            screenshot=shots / "evidently_ui_dashboard.png",
            window_size=(1400, 2200),
            deadline=120,
            chromium=chromium,
        )
    # the UI's own API serves the panels the workspace was given
    assert [p["title"] for p in api["panels"]] == list(workspace.panel_titles)
    text = visible_text(page.dom)
    assert PROJECT in text, text[:500]
    missing = [t for t in workspace.panel_titles if t not in text]
    assert not missing, f"panel titles not rendered: {missing}; page text: {text[:500]}"
    # every panel drew a chart with marks in it
    assert not undrawn_panels(page.dom, workspace.panel_titles)
    assert page.screenshot is not None and page.screenshot.is_file(), "no screenshot written"
    stats = screenshot_stats(page.screenshot)
    assert not stats.blank, f"the screenshot is (almost) blank: {stats}"
