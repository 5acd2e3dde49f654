"""The report files every run leaves beside results.json, all rendered from results.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chaosnet.report.junit import to_junit


def write_reports(run_dir: Path, results: dict[str, Any]) -> list[Path]:
    junit = run_dir / "junit.xml"
    junit.write_text(to_junit(results))
    return [junit]
