"""Satisfaction after closure: one short question to the complainant, and what their answer does.

When a case is closed, a complainant who agreed to be contacted back, from a number the platform verified,
is asked once whether they are satisfied (`SatisfactionQuestionDue`: notifications sends the SMS). Their
bare "1"/"OUI" or "2"/"NON" (ReplyReceived, from intake) answers the latest open survey of that contact
within the country's reply window: the answer goes on the case's timeline and out as
`SatisfactionAnswered` (reporting counts % satisfied). A "no" adds the case to the supervisor's quality
review list of that week, with the reason `dissatisfied`, so that someone looks at how it was handled:
the review is the existing one (score and comment, audited), not a second kind of task. An answer when
no survey is open (too late, never asked, answered already) is counted and otherwise ignored.

Not asked: a case closed without reaching the person (`no_contact_reason`), a restricted case (a
question about a protection case on a shared phone could expose the person), and any case asked before
(one survey per case, even if it is reopened and closed again).
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import uuid4

from prometheus_client import Counter

from contracts.events import ReplyReceived, SatisfactionAnswered, SatisfactionQuestionDue
from services.cases import domain, repository

ANSWERS_UNMATCHED = Counter(
    "cfm_cases_satisfaction_answers_unmatched",
    "Yes/no answers from a contact with no open satisfaction survey (too late, never asked, answered already)",
    ["country"])
SYSTEM = "system"


@dataclass(frozen=True)
class Policy:
    """A country's satisfaction survey (settings `satisfaction.<COUNTRY>`)."""

    enabled: bool
    reply_window_days: float


def wanted(case: dict, policy: Policy) -> bool:
    """Whether a case just closed asks its complainant the question."""
    return (policy.enabled and case["contact_ref"] is not None and bool(case["consent_callback"])
            and case.get("contact_verified") is True and not case["restricted"]
            and not case.get("no_contact_reason"))


def answers(survey_asked_at: datetime, answer_by: datetime, received_at: datetime) -> bool:
    """A reply answers a survey when it came after the question and within the window."""
    return survey_asked_at <= received_at <= answer_by


def ask_after_closure(change, policy: Policy) -> bool:
    """Within a closure (services/cases/handlers.py `move`): record the case's survey and ask for the
    question, once per case. False when the case is not to be asked."""
    case = change.case
    if not wanted(case, policy):
        return False
    survey_id = uuid4()
    answer_by = change.now + timedelta(days=policy.reply_window_days)
    if not repository.insert_survey(change.conn, survey_id=survey_id, case_id=case["case_id"],
                                    contact_ref=case["contact_ref"], country=case["country"], asked_at=change.now,
                                    answer_by=answer_by):
        return False  # asked at an earlier closure
    change.record("satisfaction_asked", answer_by=answer_by)
    change.uow.emit(SatisfactionQuestionDue(
        survey_id=survey_id, case_id=case["case_id"], reference=case["reference"], contact_ref=case["contact_ref"],
        feedback_id=case["feedback_id"], language=case["language"], asked_at=change.now, answer_by=answer_by,
    ), country=case["country"])
    return True


def record_answer(uow, event: ReplyReceived, country: str, timezone_of, now: datetime) -> bool:
    """A yes or no from a contact: answer their latest open survey, if any. False when it answered none."""
    if event.answer not in ("yes", "no"):
        return False  # "cancel" is for appointments
    satisfied = event.answer == "yes"
    with uow:
        if not uow.claim_message():
            return False
        survey = repository.open_survey_of(uow.conn, event.contact_ref, event.received_at)
        matched = survey is not None and answers(survey["asked_at"], survey["answer_by"], event.received_at)
        if matched:
            case = repository.find_case_by_id(uow.conn, survey["case_id"])
            repository.answer_survey(uow.conn, survey["survey_id"], satisfied, event.received_at, event.reply_id)
            # On the timeline at the case's current version: the case itself does not change, so an agent's
            # open form on it stays valid.
            repository.add_history(uow.conn, case["case_id"], case["version"], now, SYSTEM, "satisfaction_answered",
                                   {"satisfied": satisfied, "channel": event.channel.value})
            if not satisfied:
                _put_before_supervisor(uow.conn, case, timezone_of(case["country"]), now)
            repository.audit(uow.conn, actor=SYSTEM, role=SYSTEM, action="satisfaction_answered",
                             case_id=case["case_id"], reference=case["reference"], client_address=None,
                             user_agent=None, detail={"satisfied": satisfied})
            uow.emit(SatisfactionAnswered(survey_id=survey["survey_id"], case_id=case["case_id"],
                                          reference=case["reference"], satisfied=satisfied,
                                          answered_at=event.received_at), country=case["country"])
    if not matched:
        ANSWERS_UNMATCHED.labels(country).inc()
    return matched


def _put_before_supervisor(conn, case: dict, timezone: str, now: datetime) -> None:
    """The dissatisfied case joins this week's quality review list, as closed by whoever closed it last."""
    week_start, _, _ = domain.week_of(now, timezone)
    closure = repository.last_closure(conn, case["case_id"]) or {"agent": SYSTEM, "closed_at": now}
    repository.add_dissatisfied_to_sample(conn, case["country"], week_start, {
        "case_id": case["case_id"], "reference": case["reference"], **closure}, now)
