from reference_node.events import EventLog


def test_pages_follow_each_other_without_gaps_or_overlap():
    log = EventLog(capacity=100, clock=lambda: 1.5)
    for i in range(5):
        log.emit("block", height=i)
    first = log.page(0, limit=3)
    assert [e["seq"] for e in first["events"]] == [1, 2, 3]
    second = log.page(first["next"])
    assert [e["seq"] for e in second["events"]] == [4, 5]
    assert log.page(second["next"]) == {"next": 6, "oldest": 1, "events": []}
    assert first["events"][0] == {"seq": 1, "time": 1.5, "kind": "block", "height": 0}


def test_ring_buffer_is_bounded_and_reports_the_gap():
    log = EventLog(capacity=3)
    for i in range(10):
        log.emit("tip", height=i)
    page = log.page(0)
    assert page["oldest"] == 8 and [e["seq"] for e in page["events"]] == [8, 9, 10]
