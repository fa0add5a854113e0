"""Callback tasks: a person to call about their case, in the agent's queue.

A task opens when notifications reports that an acknowledgement or status reply never arrived
(MessageDeliveryFailed), if the person consented to be contacted back. Each call is an attempt; the task
ends `reached`, or `unreachable` after the country's number of failed attempts or at a wrong number, and
the agent may then close the case with a `no_contact_reason` (POST /v1/cases/{reference}/close). A person
who withdrew their consent is never in the list, whatever their tasks. All of it is audited.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from chassis.errors import ApiError
from contracts.events import MessageDeliveryFailedV2
from contracts.http import CallbackAttempt, CallbackTask, CallbackTasks
from services.cases import repository

MAX_LISTED = 200
FAILED_OUTCOMES = ("no_answer", "wrong_number", "call_dropped")


@dataclass(frozen=True)
class Policy:
    """A country's rule for callbacks (settings `callbacks.<COUNTRY>`)."""

    due_hours: float
    max_failed_attempts: int


def state_after(outcome: str, failed_attempts: int, policy: Policy) -> tuple[str, int]:
    """The task's state and failed attempts after one more call."""
    if outcome == "reached":
        return "reached", failed_attempts
    failed = failed_attempts + 1
    if outcome == "wrong_number" or failed >= policy.max_failed_attempts:
        return "unreachable", failed
    return "open", failed


def open_for_failed_message(uow, event: MessageDeliveryFailedV2, policy_of, now: datetime) -> bool:
    """Open the case's callback task for a failed message, once; False when none is needed."""
    with uow:
        if not uow.claim_message():
            return False
        case = uow.execute("SELECT country, consent_callback FROM cases WHERE case_id = %s",
                           [event.case_id]).fetchone()
        if case is None or not case[1]:
            return False  # no case here, or the person does not want to be called
        policy = policy_of(case[0])
        return uow.execute(
            """INSERT INTO callback_tasks (task_id, case_id, notification_id, reason, opened_at, due_at)
               VALUES (%s, %s, %s, 'message_failed', %s, %s) ON CONFLICT (notification_id) DO NOTHING""",
            [uuid4(), event.case_id, event.notification_id, now, now + timedelta(hours=policy.due_hours)],
        ).rowcount == 1


_TASK_COLUMNS = """t.task_id, c.reference, c.country, t.reason, t.due_at, t.state, t.failed_attempts,
                   c.case_id, c.restricted"""


def _task(row, policy_of) -> CallbackTask:
    task_id, reference, country, reason, due_at, state, failed, *_ = row
    return CallbackTask(task_id=task_id, reference=reference, country=country, reason=reason, due_at=due_at,
                        state=state, failed_attempts=failed,
                        attempts_allowed=policy_of(country).max_failed_attempts)


def list_open(uow, caller, countries: list[str], policy_of) -> CallbackTasks:
    """Open tasks in these countries, soonest due first; restricted cases only for those who see them,
    as in the case list (and each restricted one shown is audited)."""
    principal = caller.principal
    with uow:
        rows = uow.execute(
            f"""SELECT {_TASK_COLUMNS} FROM callback_tasks t JOIN cases c USING (case_id)
                WHERE t.state = 'open' AND c.consent_callback AND c.country = ANY(%s)
                  AND (%s OR NOT c.restricted)
                ORDER BY t.due_at, t.task_id LIMIT %s""",
            [countries, principal.sees_restricted_cases, MAX_LISTED]).fetchall()
        for row in rows:
            if row[8]:
                repository.audit(uow.conn, actor=principal.subject, role=principal.role, action="list_callbacks",
                                 case_id=row[7], reference=row[1], client_address=caller.address,
                                 user_agent=caller.user_agent)
    return CallbackTasks(callbacks=[_task(row, policy_of) for row in rows])


def record_attempt(uow, caller, task_id: UUID, attempt: CallbackAttempt, policy_of, now: datetime) -> CallbackTask:
    principal = caller.principal
    with uow:
        row = uow.execute(
            f"""SELECT {_TASK_COLUMNS}, c.consent_callback FROM callback_tasks t JOIN cases c USING (case_id)
                WHERE t.task_id = %s FOR UPDATE OF t""", [task_id]).fetchone()
        if row is None or row[2] not in principal.countries or (row[8] and not principal.sees_restricted_cases):
            # As for a missing case: the same answer whatever the reason, and the attempt audited.
            repository.audit(uow.conn, actor=principal.subject, role=principal.role,
                             action="callback_attempt_denied", case_id=row[7] if row else None,
                             reference=row[1] if row else None, client_address=caller.address,
                             user_agent=caller.user_agent)
            updated = None
        else:
            updated = _attempt(uow, caller, row, attempt, policy_of, now)
    if updated is None:
        raise ApiError(404, "callback_not_found", "No callback task with this id is in your scope.")
    return _task(updated, policy_of)


def _attempt(uow, caller, row, attempt: CallbackAttempt, policy_of, now: datetime):
    task_id, reference, country, _, _, current, failed, case_id, _, consented = row
    if current != "open":
        raise ApiError(409, "callback_ended", "This callback task has ended already.")
    if not consented:
        raise ApiError(409, "consent_withdrawn", "The person withdrew their consent to be contacted.")
    state, failed = state_after(attempt.outcome, failed, policy_of(country))
    number = uow.execute("SELECT count(*) + 1 FROM callback_attempts WHERE task_id = %s", [task_id]).fetchone()[0]
    uow.execute("INSERT INTO callback_attempts (task_id, attempt, outcome, at, by_actor) VALUES (%s, %s, %s, %s, %s)",
                [task_id, number, attempt.outcome, now, caller.principal.subject])
    uow.execute("""UPDATE callback_tasks SET state = %s, failed_attempts = %s,
                       ended_at = CASE WHEN %s <> 'open' THEN %s::timestamptz END WHERE task_id = %s""",
                [state, failed, state, now, task_id])
    repository.audit(uow.conn, actor=caller.principal.subject, role=caller.principal.role, action="callback_attempt",
                     case_id=case_id, reference=reference, client_address=caller.address,
                     user_agent=caller.user_agent,
                     detail={"task_id": str(task_id), "attempt": number, "outcome": attempt.outcome,
                             "task_state": state})
    return uow.execute(f"""SELECT {_TASK_COLUMNS} FROM callback_tasks t JOIN cases c USING (case_id)
                           WHERE t.task_id = %s""", [task_id]).fetchone()
