"""Callback tasks' pure rule: how a call changes the task."""
from services.cases.callbacks import Policy, state_after

POLICY = Policy(due_hours=24, max_failed_attempts=3)


def test_a_task_ends_when_the_person_is_reached_or_the_country_gives_up():
    assert state_after("reached", 2, POLICY) == ("reached", 2)
    assert state_after("no_answer", 0, POLICY) == ("open", 1)
    assert state_after("call_dropped", 1, POLICY) == ("open", 2)
    assert state_after("no_answer", 2, POLICY) == ("unreachable", 3)
    assert state_after("wrong_number", 0, POLICY) == ("unreachable", 1)  # calling again reaches no one
