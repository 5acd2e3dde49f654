"""`chaosnet report` over real run directories: HTML, --compare, and damaged run directories
(exit 2 with a message, never a traceback, and whatever was valid still shown)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.runs import chaosnet

pytestmark = pytest.mark.slow  # a real run of tiny.yaml, once per session


def _no_traceback(proc: object) -> None:
    assert "Traceback" not in getattr(proc, "stderr", "") + getattr(proc, "stdout", "")


def test_html_format_writes_the_page_and_exits_with_the_runs_code(
    run_copy: Callable[[], Path],
) -> None:
    run_dir = run_copy()
    proc = chaosnet("report", str(run_dir), "--format", "html", cwd=run_dir)
    results = json.loads((run_dir / "results.json").read_text())
    assert proc.returncode == results["exit_code"], proc.stderr
    assert (run_dir / "report.html").stat().st_size > 10_000
    assert f"wrote {run_dir / 'report.html'}" in proc.stdout


def test_two_runs_of_the_same_seed_compare_unchanged(tiny_run: Path, tiny_run_again: Path) -> None:
    proc = chaosnet("report", "--compare", str(tiny_run), str(tiny_run_again), cwd=tiny_run)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no regression past 10%" in proc.stdout


def test_a_planted_propagation_regression_exits_1_and_is_named(
    tiny_run: Path, run_copy: Callable[[], Path]
) -> None:
    worse = run_copy()
    path = worse / "results.json"
    results = json.loads(path.read_text())
    results["metrics"]["propagation"]["p90"] = results["metrics"]["propagation"]["p90"] + 2.0
    path.write_text(json.dumps(results))
    proc = chaosnet("report", "--compare", str(tiny_run), str(worse), cwd=worse)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "regressed past 10%: propagation.p90" in proc.stdout.replace("\n", " ")
    as_json = chaosnet("report", "--compare", str(tiny_run), str(worse), "-f", "json", cwd=worse)
    assert json.loads(as_json.stdout)["regressions"] == ["propagation.p90"]
    # a looser tolerance does not hide a change this large; the page says the same
    page = chaosnet(
        "report",
        "--compare",
        str(tiny_run),
        str(worse),
        "--tolerance",
        "50%",
        "-f",
        "html",
        cwd=worse,
    )
    assert page.returncode == 1
    assert "1 REGRESSED" in (worse / "compare.html").read_text()


def test_runs_of_different_scenarios_do_not_compare(
    tiny_run: Path, run_copy: Callable[[], Path]
) -> None:
    other = run_copy()
    path = other / "results.json"
    results = json.loads(path.read_text())
    results["scenario"]["name"] = "another-scenario"
    path.write_text(json.dumps(results))
    proc = chaosnet("report", "--compare", str(tiny_run), str(other), cwd=other)
    assert proc.returncode == 2
    assert "different scenarios" in proc.stderr
    _no_traceback(proc)


def test_a_missing_run_directory_exits_2(tmp_path: Path) -> None:
    proc = chaosnet("report", str(tmp_path / "nope"), cwd=tmp_path)
    assert proc.returncode == 2
    assert "no such run directory" in proc.stderr
    _no_traceback(proc)


def test_a_directory_that_is_no_run_exits_2(tmp_path: Path) -> None:
    proc = chaosnet("report", str(tmp_path), "--format", "html", cwd=tmp_path)
    assert proc.returncode == 2
    assert "not a chaosnet run directory" in proc.stderr
    _no_traceback(proc)


def test_an_interrupted_run_without_results_renders_the_journal(
    run_copy: Callable[[], Path],
) -> None:
    run_dir = run_copy()
    (run_dir / "results.json").unlink()
    for fmt in ("text", "json", "junit"):
        proc = chaosnet("report", str(run_dir), "--format", fmt, cwd=run_dir)
        assert proc.returncode == 2, fmt
        assert "results.json is missing" in proc.stderr, fmt
        _no_traceback(proc)
    text = chaosnet("report", str(run_dir), cwd=run_dir)
    assert "journal:" in text.stderr and "cut: partition isolate n3" in text.stderr
    proc = chaosnet("report", str(run_dir), "--format", "html", cwd=run_dir)
    assert proc.returncode == 2
    html = (run_dir / "report.html").read_text()
    assert "This run directory is incomplete" in html
    assert "results.json is missing" in html
    assert 'id="plot-heights"' in html  # the journal alone still draws the heights


def test_a_truncated_last_journal_line_is_skipped_and_named(run_copy: Callable[[], Path]) -> None:
    run_dir = run_copy()
    journal = run_dir / "events.jsonl"
    text = journal.read_text()
    journal.write_text(text[: len(text) - 40])  # cut the last record in the middle
    proc = chaosnet("report", str(run_dir), "--format", "html", cwd=run_dir)
    assert proc.returncode == 2
    assert "events.jsonl ends in a truncated line" in proc.stderr
    assert 'id="plot-heights"' in (run_dir / "report.html").read_text()
    text_proc = chaosnet("report", str(run_dir), cwd=run_dir)
    assert text_proc.returncode == 2
    assert "verdict:" in text_proc.stdout  # results.json is intact: the verdict is still shown
    _no_traceback(text_proc)


def test_corrupt_files_are_named_and_the_rest_rendered(run_copy: Callable[[], Path]) -> None:
    run_dir = run_copy()
    (run_dir / "results.json").write_text('{"verdict": "pass", "assert')
    (run_dir / "replay.json").write_text("[1, 2]")
    lines = (run_dir / "events.jsonl").read_text().splitlines()
    lines[5] = "\x00\x01 not json"
    lines[7] = '{"t": 1.0, "kind": "sample", "node": "n1"}'  # JSON, but no height or tip
    (run_dir / "events.jsonl").write_text("\n".join(lines) + "\n")
    proc = chaosnet("report", str(run_dir), "--format", "html", cwd=run_dir)
    assert proc.returncode == 2
    for problem in (
        "results.json is unreadable",
        "replay.json is not a JSON object",
        "events.jsonl has 2 unreadable lines (6, 8)",
    ):
        assert problem in proc.stderr
    html = (run_dir / "report.html").read_text()
    assert "results.json is unreadable" in html and 'id="plot-heights"' in html
    _no_traceback(proc)


def test_results_that_break_their_schema_are_set_aside(run_copy: Callable[[], Path]) -> None:
    run_dir = run_copy()
    path = run_dir / "results.json"
    results = json.loads(path.read_text())
    del results["assertions"][0]["passed"]
    path.write_text(json.dumps(results))
    for fmt in ("text", "html"):
        proc = chaosnet("report", str(run_dir), "--format", fmt, cwd=run_dir)
        assert proc.returncode == 2, fmt
        assert "results.json does not match its schema at assertions/0" in proc.stderr
        _no_traceback(proc)
    html = (run_dir / "report.html").read_text()
    assert "does not match its schema" in html
    assert "converge within 10s after heal" in html  # the journal's own assertion records
