"""Callback tasks: a person to call about their case, in the agent's queue.

A task opens, if the person consented to be contacted back, for one of three reasons:
- `message_failed`: notifications reports that a message about their case never arrived
  (MessageDeliveryFailedV2, whatever its purpose: acknowledgement, status reply, reply, ...);
- `no_sms`: the case opens and the person cannot be texted: the number was typed on a web form or a box
  slip (contact_verified False: never texted automatically), or the contact is an email address;
- `needs_explaining`: the agent who resolved or closed the case ticked that the answer needs explaining by
  phone.
One open task per case and reason (a partial unique index): a redelivery or a second failed message opens
nothing new. Each task is due after the country's policy (settings `callbacks.<COUNTRY>`).

Each call is an attempt; the task ends `reached`, or `unreachable` after the country's number of failed
attempts or at a wrong number, and the agent may then close the case with a `no_contact_reason`
(POST /v1/cases/{reference}/close). A person who withdrew their consent is never in the list, whatever
their tasks. All of it is audited, and CallbackTaskOpened / CallbackAttemptRecorded go to reporting.

The number to call is never in cases: POST /v1/callbacks/{task_id}/contact checks that the task is open and
that the caller may see it, then asks intake (purpose `callback`, on the caller's behalf). intake checks the
person's consent on its own record of the message and logs the reveal.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from nameko.exceptions import RemoteError

from chassis.errors import ApiError
from contracts.events import CallbackAttemptRecorded, CallbackTaskOpened, MessageDeliveryFailedV2
from contracts.http import CallbackAttempt, CallbackContact, CallbackTask, CallbackTasks
from contracts.rpc import RevealContactRequest, RevealContactResponse
from services.cases import repository

MAX_LISTED = 200
FAILED_OUTCOMES = ("no_answer", "wrong_number", "call_dropped")
# Contacts notifications never texts: an email address is not a phone.
CHANNELS_WITHOUT_SMS = ("email",)
NOT_FOUND = ApiError(404, "callback_not_found", "No callback task with this id is in your scope.")


@dataclass(frozen=True)
class Policy:
    """A country's rule for callbacks (settings `callbacks.<COUNTRY>`)."""

    due_hours: float
    max_failed_attempts: int
    due_hours_by_reason: dict[str, float] = field(default_factory=dict)

    def due_at(self, reason: str, opened_at: datetime) -> datetime:
        return opened_at + timedelta(hours=self.due_hours_by_reason.get(reason, self.due_hours))


def state_after(outcome: str, failed_attempts: int, policy: Policy) -> tuple[str, int]:
    """The task's state and failed attempts after one more call."""
    if outcome == "reached":
        return "reached", failed_attempts
    failed = failed_attempts + 1
    if outcome == "wrong_number" or failed >= policy.max_failed_attempts:
        return "unreachable", failed
    return "open", failed


def cannot_be_texted(channel: str, contact_verified: bool | None) -> bool:
    """No SMS will ever reach this contact: typed by the person (anyone's number, never texted
    automatically), or an email address."""
    return contact_verified is False or channel in CHANNELS_WITHOUT_SMS


def open_task(uow, *, case_id: UUID, reference: str, country: str, reason: str, policy: Policy, now: datetime,
              notification_id: UUID | None = None) -> bool:
    """Open a task in the caller's transaction, unless one for this case and reason is open already (or this
    failed message opened one before); CallbackTaskOpened goes out with it. True when one opened."""
    task_id, due_at = uuid4(), policy.due_at(reason, now)
    opened = uow.execute(
        """INSERT INTO callback_tasks (task_id, case_id, notification_id, reason, opened_at, due_at)
           VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
        [task_id, case_id, notification_id, reason, now, due_at]).rowcount == 1
    if opened:
        uow.emit(CallbackTaskOpened(task_id=task_id, case_id=case_id, reference=reference, reason=reason,
                                    opened_at=now, due_at=due_at), country=country)
    return opened


def open_for_failed_message(uow, event: MessageDeliveryFailedV2, policy_of, now: datetime) -> bool:
    """Open the case's callback task for a failed message, once; False when none is needed."""
    with uow:
        if not uow.claim_message():
            return False
        case = uow.execute("SELECT country, consent_callback, reference FROM cases WHERE case_id = %s",
                           [event.case_id]).fetchone()
        if case is None or not case[1]:
            return False  # no case here, or the person does not want to be called
        return open_task(uow, case_id=event.case_id, reference=case[2], country=case[0], reason="message_failed",
                         policy=policy_of(case[0]), now=now, notification_id=event.notification_id)


def open_for_new_case(uow, case: dict, contact_verified: bool | None, policy: Policy, now: datetime) -> bool:
    """At a case's opening (its transaction): a person who agreed to be called back and cannot be texted."""
    if not (case["consent_callback"] and case["contact_ref"] is not None
            and cannot_be_texted(case["channel"], contact_verified)):
        return False
    return open_task(uow, case_id=case["case_id"], reference=case["reference"], country=case["country"],
                     reason="no_sms", policy=policy, now=now)


_TASK_COLUMNS = """t.task_id, c.reference, c.country, t.reason, t.due_at, t.state, t.failed_attempts,
                   c.case_id, c.restricted, c.consent_callback, t.opened_at, c.feedback_id, c.contact_ref"""


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


def _visible_task(uow, caller, task_id: UUID, action: str):
    """The task, locked, when the caller may see its case; else None, audited as `<action>_denied` (the same
    answer whatever the reason, as for a missing case)."""
    principal = caller.principal
    row = uow.execute(f"""SELECT {_TASK_COLUMNS} FROM callback_tasks t JOIN cases c USING (case_id)
                          WHERE t.task_id = %s FOR UPDATE OF t""", [task_id]).fetchone()
    if row is None or row[2] not in principal.countries or (row[8] and not principal.sees_restricted_cases):
        repository.audit(uow.conn, actor=principal.subject, role=principal.role, action=f"{action}_denied",
                         case_id=row[7] if row else None, reference=row[1] if row else None,
                         client_address=caller.address, user_agent=caller.user_agent)
        return None
    return row


def _check_callable(row) -> None:
    if row[5] != "open":
        raise ApiError(409, "callback_ended", "This callback task has ended already.")
    if not row[9]:
        raise ApiError(409, "consent_withdrawn", "The person withdrew their consent to be contacted.")


def record_attempt(uow, caller, task_id: UUID, attempt: CallbackAttempt, policy_of, now: datetime) -> CallbackTask:
    with uow:
        row = _visible_task(uow, caller, task_id, "callback_attempt")
        updated = None if row is None else _attempt(uow, caller, row, attempt, policy_of, now)
    if updated is None:
        raise NOT_FOUND
    return _task(updated, policy_of)


def _attempt(uow, caller, row, attempt: CallbackAttempt, policy_of, now: datetime):
    task_id, reference, country, reason, _, _, failed, case_id, *_ = row
    opened_at = row[10]
    _check_callable(row)
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
    uow.emit(CallbackAttemptRecorded(
        task_id=task_id, case_id=case_id, reference=reference, reason=reason, attempt=number,
        outcome=attempt.outcome, task_state=state, task_opened_at=opened_at, at=now, by=caller.principal.subject,
    ), country=country)
    return uow.execute(f"""SELECT {_TASK_COLUMNS} FROM callback_tasks t JOIN cases c USING (case_id)
                           WHERE t.task_id = %s""", [task_id]).fetchone()


# --- the number to call ------------------------------------------------------------------------------------


def reveal_contact(uow, intake_rpc, caller, task_id: UUID) -> CallbackContact:
    """The number to call for an open task the caller may see, from intake's vault. cases checks the task;
    intake checks the person's consent to be called back on its own record of the message (the feedback_id),
    and logs the reveal with who asked (`on_behalf_of`). Both sides keep a trace: cases audits the request."""
    principal = caller.principal
    with uow:
        row = _visible_task(uow, caller, task_id, "callback_contact")
        if row is not None:
            _check_callable(row)
    if row is None:
        raise NOT_FOUND
    _, reference, _, _, _, _, _, case_id, *_ = row
    feedback_id, contact_ref = row[11], row[12]
    if contact_ref is None or feedback_id is None:
        raise ApiError(409, "no_contact", "This case has no contact to call (anonymous, or erased).")
    refused = None
    try:
        answer = RevealContactResponse.model_validate(intake_rpc.reveal_contact(RevealContactRequest(
            contact_ref=contact_ref, purpose="callback", requested_by="cases", feedback_id=feedback_id,
            on_behalf_of=principal.subject).model_dump(mode="json")))
    except RemoteError as error:
        if error.exc_type not in ("RevealRefused", "ContactNotFound"):
            raise
        # intake's reason is a code of its own (no_grounds, consent_withdrawn, ...), never personal data.
        refused = "contact_erased" if error.exc_type == "ContactNotFound" else str(error.value).strip("'\" ")
    with uow:
        repository.audit(uow.conn, actor=principal.subject, role=principal.role,
                         action="callback_contact_refused" if refused else "callback_contact_revealed",
                         case_id=case_id, reference=reference, client_address=caller.address,
                         user_agent=caller.user_agent,
                         detail={"task_id": str(task_id), **({"refused": refused[:60]} if refused else {})})
    if refused == "consent_withdrawn":
        raise ApiError(409, "consent_withdrawn", "The person withdrew their consent to be contacted.")
    if refused:
        raise ApiError(403, "contact_not_revealed", "intake did not reveal this contact for a callback.",
                       [{"field": "task_id", "reason": refused[:60]}])
    contact = answer.contact
    return CallbackContact(task_id=task_id, reference=reference, name=contact.name, phone=contact.phone,
                           email=contact.email)
