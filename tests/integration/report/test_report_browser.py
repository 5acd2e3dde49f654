"""report.html of a real run opened from disk in headless Chromium: every plot drawn with a size,
nothing fetched from anywhere, no console error. The screenshot lands in test-artifacts/ (kept
by CI as an artifact) for a human to look at."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from chaosnet.report.html import write_html

if TYPE_CHECKING:
    from playwright.sync_api import Route
from tests.runs import REPO

ARTIFACTS = REPO / "test-artifacts"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_report_renders_in_chromium_offline_without_errors(
    run_copy: Callable[[], Path], chromium: str
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    run_dir = run_copy()
    page_path = write_html(run_dir)
    url = page_path.resolve().as_uri()
    requests: list[str] = []
    problems: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900})
            # every request goes through here: only the page itself may load
            context.route("**/*", lambda route: _only(route, url, requests))
            page = context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.goto(url, wait_until="load")
            figures = page.locator("figure.plot")
            count = figures.count()
            sizes = {}
            for i in range(count):
                figure = figures.nth(i)
                box = figure.locator("svg").first.bounding_box()
                sizes[figure.get_attribute("id")] = (
                    (box or {}).get("width", 0),
                    (box or {}).get("height", 0),
                )
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        finally:
            browser.close()
    assert count >= 5, sizes
    assert all(w > 100 and h > 100 for w, h in sizes.values()), sizes
    assert requests == [url], f"the page fetched more than itself: {requests}"
    assert not problems, problems


def _only(route: Route, url: str, requests: list[str]) -> None:
    requests.append(route.request.url)
    if route.request.url == url:
        route.continue_()
    else:
        route.abort()
