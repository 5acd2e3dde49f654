"""report.html of a real run: what a reader must find in it, and that it stands alone."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from chaosnet.report.html import write_html

PLOTS = ("heights", "propagation", "tps", "memory", "links")

pytestmark = pytest.mark.slow  # a real run of tiny.yaml, once per session


def test_the_page_has_the_verdict_plots_scenario_and_replay(tiny_run: Path, tmp_path: Path) -> None:
    page = write_html(tiny_run, tmp_path / "report.html")
    html = page.read_text()
    results = json.loads((tiny_run / "results.json").read_text())
    assert f"verdict-{results['verdict']}" in html
    for a in results["assertions"]:
        assert a["name"].replace(">", "&gt;").replace("<", "&lt;") in html
    for name in PLOTS:
        figure = re.search(rf'<figure class="plot" id="plot-{name}">\s*<svg', html)
        assert figure, f"plot {name} missing"
    assert "name: report-tiny" in html  # the scenario as it ran
    assert f"chaosnet run --replay {tiny_run}/replay.json" in html
    assert f"<dt>seed</dt><dd>{results['seed']}</dd>" in html


def test_the_page_fetches_nothing_and_links_logs_relative_to_itself(
    run_copy: Callable[[], Path],
) -> None:
    run_dir = run_copy()
    default = write_html(run_dir)
    html = default.read_text()
    assert default == run_dir / "report.html"
    assert "<script" not in html and "<link" not in html and "<img" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "@import" not in html
    assert not re.search(r"url\((?!#)", html)  # only references inside the page's own SVGs
    logs = re.findall(r'<a href="([^"]+)">', html)
    assert "logs/n1.log" in logs
    for href in logs:
        assert (default.parent / href).is_file(), href


def test_the_fork_is_explained_by_the_partition_with_its_convergence(
    tiny_run: Path, tmp_path: Path
) -> None:
    """n3 is cut off from 3 s to 9 s: the page must name that fault as the cause of the
    disagreement and say how long after the heal the nodes agreed again."""
    html = write_html(tiny_run, tmp_path / "report.html").read_text()
    forks = html[html.index('id="forks"') : html.index('id="plots"')]
    assert "partition isolate" in forks
    assert re.search(
        r"agreed again after [\d.]+s \(t=[\d.]+s\), [\d.]+s after the fault ended", forks
    )


def test_a_page_written_elsewhere_links_logs_back_into_the_run(
    tiny_run: Path, tmp_path: Path
) -> None:
    (tmp_path / "site").mkdir()
    page = write_html(tiny_run, tmp_path / "site" / "report.html")
    hrefs = re.findall(r'<a href="([^"]+)">', page.read_text())
    assert hrefs and all((page.parent / h).resolve().is_file() for h in hrefs)
