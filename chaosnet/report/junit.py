"""JUnit XML of one run: a test suite per scenario, a test case per assertion, so CI systems show
which assertion failed and its numbers without reading chaosnet's own output."""

from __future__ import annotations

from typing import Any

from junitparser import Error, Failure, JUnitXml, TestCase, TestSuite


def to_junit(results: dict[str, Any]) -> str:
    scenario = results["scenario"]["name"]
    suite = TestSuite(f"chaosnet.{scenario}")
    for key in ("seed", "backend", "schedule_digest", "verdict"):
        suite.add_property(key, str(results.get(key)))
    for a in results["assertions"]:
        case = TestCase(a["name"], classname=f"chaosnet.{scenario}.{a['kind']}")
        if not a["passed"]:
            failure = Failure(f"measured {a['measured']}, bound {a['bound']}")
            failure.text = a.get("detail", "")
            case.result = [failure]
        suite.add_testcase(case)
    if results["verdict"] in ("error", "interrupted"):
        case = TestCase("run", classname=f"chaosnet.{scenario}")
        case.result = [Error(results.get("error") or results["verdict"])]
        suite.add_testcase(case)
    suite.time = float(results["duration_s"])  # after the cases: adding one recounts the time
    xml = JUnitXml()
    xml.add_testsuite(suite)
    xml.time = suite.time
    return bytes(xml.tostring()).decode()
