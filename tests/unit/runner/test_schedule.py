"""The timeline's rules with a fake clock: the test says what time it is and whether conditions hold."""

from __future__ import annotations

from chaosnet.plan import PlannedEvent, Resume
from chaosnet.run.schedule import Due, Fire, Schedule, TimedOut
from chaosnet.scenario.model import After, At, Condition, Crash, Heal, Restart, Trigger, Wait, When

CONVERGED = When(Condition(converged=True), timeout=5.0)


def event(event_id: str, trigger: Trigger, origin: str = "timeline") -> PlannedEvent:
    return PlannedEvent(event_id, trigger, Heal(), origin)


def drain(schedule: Schedule, now: float, holds: bool = False) -> list[Due]:
    """Everything due at `now`, each fired instantly (started and ended at `now`)."""
    out = []
    while (due := schedule.next_due(now, lambda condition: holds)) is not None:
        if isinstance(due, Fire):
            schedule.record(due, now, now, "done", None)
        out.append(due)
    return out


def ids(dues: list[Due]) -> list[str]:
    return [d.event.id for d in dues]


def test_absolute_events_fire_once_when_due_with_their_planned_time() -> None:
    schedule = Schedule([event("a", At(1.0)), event("b", At(2.0))], duration=10)
    assert drain(schedule, 0.5) == []
    first = drain(schedule, 1.02)
    assert ids(first) == ["a"] and isinstance(first[0], Fire) and first[0].planned == 1.0
    assert drain(schedule, 1.5) == []
    assert ids(drain(schedule, 3.0)) == ["b"]
    assert drain(schedule, 9.0) == []


def test_relative_events_count_from_the_moment_their_anchor_actually_fired() -> None:
    schedule = Schedule([event("split", At(1.0)), event("heal", After("split", 2.0))], duration=10)
    assert ids(drain(schedule, 1.3)) == ["split"]  # fired 0.3s late
    assert drain(schedule, 3.1) == []
    (heal,) = drain(schedule, 3.3)
    assert isinstance(heal, Fire) and heal.planned == 3.3


def test_scenario_events_keep_list_order_even_when_a_later_one_is_due() -> None:
    schedule = Schedule([event("wait", CONVERGED), event("late", At(1.0))], duration=10)
    assert drain(schedule, 2.0, holds=False) == []  # `late` is due but waits for `wait`
    assert ids(drain(schedule, 2.5, holds=True)) == ["wait", "late"]


def test_a_condition_that_never_holds_times_out_and_the_next_is_watched_from_then() -> None:
    schedule = Schedule([event("settled", CONVERGED), event("then", CONVERGED)], duration=60)
    assert drain(schedule, 4.0) == []
    (timed_out,) = drain(schedule, 5.5)
    assert isinstance(timed_out, TimedOut) and timed_out.reason == "condition not met within 5s"
    assert schedule.status["settled"] == ("timeout", "condition not met within 5s")
    assert drain(schedule, 10.0) == []  # armed at 5.5, so 4.5s in: not yet timed out
    assert isinstance(drain(schedule, 10.6)[0], TimedOut)


def test_a_condition_is_watched_from_when_its_predecessor_finished_firing() -> None:
    schedule = Schedule([event("split", At(1.0)), event("settled", CONVERGED)], duration=60)
    (split,) = [d for d in [schedule.next_due(1.0, lambda c: True)] if isinstance(d, Fire)]
    schedule.record(split, started=1.0, ended=1.4, status="done", detail=None)  # took 0.4s
    assert schedule.next_due(1.2, lambda c: True) is None
    due = schedule.next_due(1.4, lambda c: True)
    assert isinstance(due, Fire) and due.planned == 1.4


def test_chaos_events_and_follow_ups_run_alongside_on_their_own_triggers() -> None:
    chaos = PlannedEvent("chaos", At(1.0), Wait())
    drawn = event("chaos.crash1", After("chaos", 0.5), origin="chaos")
    schedule = Schedule([chaos, event("wait", CONVERGED), drawn], duration=60)
    assert ids(drain(schedule, 1.0)) == ["chaos"]
    assert ids(drain(schedule, 1.6)) == ["chaos.crash1"]  # though `wait` still waits
    never_fired = PlannedEvent("other", CONVERGED, Wait())
    schedule.follow(never_fired, "restart", 0.0, Restart("n1"))
    assert drain(schedule, 2.0) == []  # a follow-up waits for its parent to fire
    follow_up = PlannedEvent(
        "chaos.crash1.resume", After("chaos.crash1", 1.0), Resume("n1"), "chaos"
    )
    schedule.follow(drawn, "resume", 1.0, Resume("n1"))
    assert schedule.followups[-1] == follow_up
    assert ids(drain(schedule, 2.7)) == ["chaos.crash1.resume"]


def test_what_never_fired_stays_pending_with_the_reason() -> None:
    schedule = Schedule([event("a", At(1.0)), event("b", At(20.0))], duration=10)
    drain(schedule, 1.0)
    assert not schedule.over(9.9) and schedule.over(10.0)
    schedule.abandon("the run ended first")
    assert schedule.status == {
        "a": ("done", None),
        "b": ("pending", "the run ended first"),
    }
    assert drain(schedule, 30.0) == []


def test_side_events_due_together_fire_in_planned_order_not_list_order() -> None:
    """A loop that fell behind finds a chaos crash (planned 28.2 s) and a restart (27.0 s) due
    at once: the restart goes first, or the crash finds its node still down and is skipped."""
    crash = PlannedEvent("chaos.crash3", At(28.2), Crash("n8"), "chaos")
    schedule = Schedule([crash], duration=60)
    schedule.follow(
        PlannedEvent("wave-1", At(0.0), Crash("n8"), "chaos"), "restart", 27.0, Restart("n8")
    )
    schedule.fired["wave-1"] = 0.0
    first = schedule.next_due(29.0, lambda _: True)
    second = schedule.next_due(29.0, lambda _: True)
    assert isinstance(first, Fire) and first.event.id == "wave-1.restart"
    assert isinstance(second, Fire) and second.event.id == "chaos.crash3"


def test_an_event_is_over_when_the_last_event_it_set_off_fired() -> None:
    """A slow window ends with its resume, a chaos window with the last of its drawn faults'
    follow-ups; a scenario event named like a follow-up (`slow.2`) is an event of its own."""
    slow, crash = event("slow", At(1.0)), event("chaos.crash1", After("chaos", 1.0), "chaos")
    schedule = Schedule(
        [slow, event("slow.2", At(2.0)), event("chaos", At(3.0)), crash, event("heal", At(9.0))],
        duration=20,
    )
    drain(schedule, 1.0)
    schedule.follow(slow, "resume", 5.0, Resume("n1"))
    drain(schedule, 3.0)
    drain(schedule, 4.0)
    schedule.follow(crash, "restart", 3.0, Restart("n2"))
    for now in (6.0, 7.0, 9.0):
        drain(schedule, now)
    assert schedule.fired["slow.resume"] == 6.0 and schedule.fired["chaos.crash1.restart"] == 7.0
    assert schedule.ends() == {"slow": 6.0, "slow.2": 3.0, "chaos": 7.0, "heal": 9.0}
