"""The verdict as the terminal prints it: what the load did, offered → submitted → confirmed."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from rich.console import Console

from chaosnet.report.terminal import print_verdict


def verdict_text(load: dict[str, int] | None) -> str:
    results: dict[str, Any] = {
        "verdict": "pass",
        "assertions": [],
        "metrics": {"final_height": 40, "tps": 245.3, "load": load},
        "error": None,
    }
    out = io.StringIO()
    print_verdict(Console(file=out, width=200), results, Path("runs/x"))
    return out.getvalue()


def test_a_load_that_never_left_the_tool_is_named_in_the_verdict() -> None:
    text = verdict_text(
        {
            "offered": 22_500,
            "submitted": 11_038,
            "late": 9_988,
            "unsent": 11_462,
            "confirmed": 11_038,
        }
    )
    assert (
        "load: 11,038 of 22,500 offered submitted (49 %), 9,988 late, 11,462 never sent, "
        "11,038 confirmed" in text
    )
    assert "the load generator did not keep up" in text


def test_a_load_sent_in_full_reads_plainly() -> None:
    text = verdict_text(
        {"offered": 600, "submitted": 600, "late": 0, "unsent": 0, "confirmed": 590}
    )
    assert "load: 600 of 600 offered submitted (100 %), 590 confirmed" in text
    assert "did not keep up" not in text


def test_a_run_without_load_prints_no_load_line() -> None:
    assert "load:" not in verdict_text(None)
