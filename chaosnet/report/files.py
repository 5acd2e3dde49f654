"""The report files every run leaves beside results.json, all rendered from what the run wrote."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from chaosnet.report.html import write_html
from chaosnet.report.junit import to_junit

log = logging.getLogger(__name__)


def write_reports(run_dir: Path, results: dict[str, Any]) -> list[Path]:
    """junit.xml and report.html. The page is evidence, never a verdict: if drawing it fails,
    the run keeps its exit code and the failure is logged."""
    junit = run_dir / "junit.xml"
    junit.write_text(to_junit(results))
    written = [junit]
    try:
        written.append(write_html(run_dir))
    except Exception as exc:
        log.warning("report.html could not be written for %s: %r", run_dir, exc)
    return written
