"""Broken scenarios users actually write, each with the exact `file:line:col: message` it must give.

The files live in `broken/`; the table below is the contract for what a user reads. Every message
says where, what was wrong and what would be right.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chaosnet.errors import ScenarioError
from chaosnet.scenario import load_scenario

BROKEN = Path(__file__).parent / "broken"

EXPECTED: dict[str, list[str]] = {
    "after-below.yaml": [
        "6:13: timeline[0].after: event 'heal' is listed below this one; an event can only follow one above it",
    ],
    "bad-duration.yaml": [
        "3:11: duration: expected a duration like 500ms, 30s, 2m or 1h, or a number of seconds, got '10 minutes'",
    ],
    "degree-zero.yaml": [
        "6:36: nodes.topology.degree: 0 is less than the minimum of 1",
    ],
    "duplicate-key.yaml": [
        "4:1: duplicate key 'name' (first written at line 2)",
    ],
    "duplicate-names.yaml": [
        "7:14: nodes.list[1].name: duplicate node name 'a'",
        "10:21: timeline[1].name: duplicate event name 'split'",
    ],
    "event-after-end.yaml": [
        "6:10: timeline[0].at: 90s is after the end of the run (duration 1m)",
    ],
    "hashrate-over.yaml": [
        "5:3: nodes: hashrate shares add up to 110% (n1 70%, mallory 40%); they may add up to at most 100%",
    ],
    "hashrate-under.yaml": [
        "5:3: nodes: hashrate shares add up to 80% (a 50%, b 30%); when every miner's share is given they must add up to 100% (or leave one out to get the rest)",
    ],
    "join-started.yaml": [
        "6:21: timeline[0].join: node 'n2' already starts with the run; declare it with `starts: false` to join it later",
    ],
    "latency-too-high.yaml": [
        "6:12: links.latency: '90s' is more than the maximum of 60s",
        "7:9: links.loss: '150%' is more than the maximum of 100%",
        "8:14: links.bandwidth: expected a bandwidth like 512KB/s, 1MB/s or 10Mbit/s, or a number of bytes per second, got 'fast'",
    ],
    "missing-required.yaml": [
        "1:1: missing required key 'duration'",
    ],
    "not-a-mapping.yaml": [
        "1:1: a scenario is a mapping of keys (apiVersion, name, …), not a list",
    ],
    "overlapping-partition.yaml": [
        "6:37: timeline[0].partition[1]: partition groups overlap: 'n2' is in group 1 and group 2",
    ],
    "tab-indent.yaml": [
        "3:1: tab character: YAML indents with spaces only; replace the tab with spaces",
    ],
    "two-triggers.yaml": [
        "7:5: timeline[1]: an event needs exactly one trigger (at, after, when or until); found at and after",
        "8:5: timeline[2]: an event needs exactly one action (partition, heal, link, crash, restart, pause, slow, join, leave, attack, chaos); found none",
    ],
    # an unclosed construct is reported where it opened, not where the file ran out
    "unclosed-brace.yaml": [
        "4:8: '{' is never closed (by 5:6 a ',' or '}' was expected)",
    ],
    "unclosed-bracket.yaml": [
        "5:11: '[' is never closed (by 6:1 a ',' or ']' was expected)",
    ],
    "unclosed-quote.yaml": [
        "3:14: '\"' is never closed (the file ends first)",
    ],
    "unknown-event.yaml": [
        "7:13: timeline[1].after: no event is named 'heal' (named events: split)",
        "9:36: assertions[0].converge.after: no event is named 'heal' (named events: split)",
    ],
    "unknown-key.yaml": [
        "7:26: nodes.topology: unknown key 'degre' (did you mean 'degree'?)",
    ],
    "unknown-node.yaml": [
        "6:15: nodes.bootstrap[0]: unknown node 'n7' (nodes: n1, n2, n3)",
        "9:22: links.rules[0].to: unknown node or group 'nowhere' (nodes: n1, n2, n3)",
        "11:22: timeline[0].crash: unknown node 'n9' (nodes: n1, n2, n3)",
        "12:34: timeline[1].partition[1][0]: unknown node or group 'ghost' (nodes: n1, n2, n3)",
    ],
    "until-with-action.yaml": [
        "6:5: timeline[0]: an `until` event only waits; put the action in its own event below it; found crash",
        "6:6: timeline[0]: `until` needs `timeout` beside it",
    ],
    "wrong-closer.yaml": [
        "4:25: '[' is closed by '}' at 4:51; close it with ']'",
    ],
    "wrong-enum.yaml": [
        "5:17: chain.mining: 'fake' is not one of real, simulated",
        "7:5: attackers[0]: the eclipse persona needs a `victim`",
    ],
}


def test_every_broken_file_has_an_expectation() -> None:
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_scenario_reports_exact_located_messages(name: str) -> None:
    path = BROKEN / name
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.messages == [f"{path}:{m}" for m in EXPECTED[name]]
