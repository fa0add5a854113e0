"""Notifications' use cases: acknowledge a new case, answer a status request, alert supervisors.

An SMS goes out inside the transaction that records it: if recording fails
the handler is retried and the person may get the message twice, which is
better than not at all (at-least-once). A second delivery of the same event
finds its unique key taken and sends nothing.
"""
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from contracts.envelope import Envelope
from contracts.events import CaseOpened, CaseStatusAnswered, NotificationSentV2, SatisfactionQuestionDue
from contracts.rpc import RevealContactRequest, RevealContactResponse
from services.notifications import consent, domain, metrics, repository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsGuard:
    """Who a complainant's SMS may go to: the country's E.164 prefixes, and a cap per contact and day."""

    allowed_prefixes: list[str]
    daily_limit: int

    def withheld(self, conn, contact_ref: UUID, phone: str, now: datetime) -> str | None:
        """Why this SMS must not go out, or None; holds the contact's lock until the transaction ends."""
        repository.lock_contact(conn, contact_ref)
        if consent.withdrawn(conn, contact_ref):
            return consent.WITHHELD
        sent = repository.sms_sent_since(conn, contact_ref, now - timedelta(days=1))
        return domain.sms_withheld(phone, self.allowed_prefixes, sent, self.daily_limit)


def _withheld(purpose: str, reason: str, envelope: Envelope) -> None:
    metrics.SMS_WITHHELD.labels(purpose, reason).inc()
    log.info("SMS to a complainant withheld", extra={"purpose": purpose, "reason": reason,
                                                    "message_id": str(envelope.message_id)})


def reveal_contact(intake_rpc, contact_ref: UUID, purpose: str, **grounds):
    """The contact, for a purpose intake checks against `grounds` (feedback_id or request_id); None when
    intake refused because the person withdrew their consent since."""
    try:
        answer = RevealContactResponse.model_validate(intake_rpc.reveal_contact(RevealContactRequest(
            contact_ref=contact_ref, purpose=purpose, requested_by="notifications", **grounds).model_dump(mode="json")))
    except Exception as exc:
        if consent.refused_for_withdrawal(exc):
            return None
        raise
    return answer.contact


def acknowledge_case(uow, intake_rpc, sms, case: CaseOpened, envelope: Envelope, country_languages: list[str],
                     now, guard: SmsGuard) -> None:
    purpose = "acknowledgement"
    with uow:
        if not uow.claim_message() or repository.already_sent(uow.conn, case.case_id, purpose):
            return
        if not domain.wants_acknowledgement(case.contact_ref is not None, case.consent.callback):
            return
        language = domain.message_language(case.language, country_languages)

        def withhold(reason: str) -> None:
            repository.insert_notification(
                uow.conn, notification_id=uuid4(), case_id=case.case_id, reference=case.reference,
                country=envelope.country, purpose=purpose, channel="sms", language=language,
                provider_message_id=None, sent_at=now(), contact_ref=case.contact_ref, withheld=reason)
            _withheld(purpose, reason, envelope)

        if domain.unverified_contact(case.contact_verified):
            return withhold("unverified_contact")  # not even revealed: nothing will be sent to it
        if consent.withdrawn(uow.conn, case.contact_ref):
            return withhold(consent.WITHHELD)  # not even revealed
        contact = reveal_contact(intake_rpc, case.contact_ref, purpose, feedback_id=case.feedback_id)
        if contact is None:
            return withhold(consent.WITHHELD)
        if contact.phone is None:
            return  # reachable by email only: the email channel comes later
        reason = guard.withheld(uow.conn, case.contact_ref, contact.phone, now())
        if reason is not None:
            return withhold(reason)
        provider_message_id = sms.send(country=envelope.country, to=contact.phone,
                                       body=domain.acknowledgement_text(language, case.reference))
        sent_at: datetime = now()
        notification_id = uuid4()
        repository.insert_notification(
            uow.conn, notification_id=notification_id, case_id=case.case_id, reference=case.reference,
            country=envelope.country, purpose=purpose, channel="sms", language=language,
            provider_message_id=provider_message_id, sent_at=sent_at, contact_ref=case.contact_ref)
        uow.emit(NotificationSentV2(
            notification_id=notification_id, case_id=case.case_id, reference=case.reference, purpose=purpose,
            channel="sms", language=language, sent_at=sent_at, provider_message_id=provider_message_id,
        ), country=envelope.country)


def answer_status_request(uow, intake_rpc, sms, answer: CaseStatusAnswered, envelope: Envelope,
                          country_languages: list[str], now, guard: SmsGuard) -> None:
    """Reply once per request: the status when the contact owns the case, else words that reveal nothing."""
    purpose = "status_reply"
    with uow:
        language = domain.message_language(answer.language, country_languages)
        # Nothing about a case the contact does not own leaves this service, not even in our own event.
        case_id, reference = (answer.case_id, answer.reference) if answer.owned else (None, None)
        notification_id, sent_at = uuid4(), now()
        # The request's unique key is taken before the contact is revealed: a second delivery reveals nothing.
        if not uow.claim_message() or not repository.claim_status_reply(
                uow.conn, notification_id=notification_id, request_id=answer.request_id, case_id=case_id,
                reference=reference, country=envelope.country, language=language, sent_at=sent_at):
            return
        contact = reveal_contact(intake_rpc, answer.contact_ref, purpose, request_id=answer.request_id)
        if contact is None:
            repository.withhold(uow.conn, notification_id, answer.contact_ref, consent.WITHHELD)
            return _withheld(purpose, consent.WITHHELD, envelope)
        if contact.phone is None:
            # Status requests come by SMS or WhatsApp, so this is rare; the row stays without a provider id.
            log.info("status request from a contact without a phone: no reply", extra={
                "message_id": str(envelope.message_id)})
            return
        reason = guard.withheld(uow.conn, answer.contact_ref, contact.phone, now())
        if reason is not None:
            repository.withhold(uow.conn, notification_id, answer.contact_ref, reason)
            return _withheld(purpose, reason, envelope)
        provider_message_id = sms.send(country=envelope.country, to=contact.phone, body=domain.status_reply_text(
            language, answer.reference, answer.owned, answer.status))
        repository.record_provider_message(uow.conn, notification_id, provider_message_id, answer.contact_ref)
        uow.emit(NotificationSentV2(
            notification_id=notification_id, case_id=case_id, reference=reference, purpose=purpose, channel="sms",
            language=language, sent_at=sent_at, provider_message_id=provider_message_id,
        ), country=envelope.country)


def ask_satisfaction(uow, intake_rpc, sms, due: SatisfactionQuestionDue, envelope: Envelope,
                     country_languages: list[str], questions: dict[str, str], now, guard: SmsGuard) -> None:
    """The satisfaction question of a closed case, once per survey (cases asks only a consenting complainant
    from their own number); never after the reply window, nor to a contact who withdrew their consent."""
    purpose = "satisfaction_question"
    with uow:
        language = domain.message_language(due.language, country_languages)
        notification_id, sent_at = uuid4(), now()
        # The survey's unique key is taken before the contact is revealed: a second delivery reveals nothing.
        if not uow.claim_message() or not repository.claim_satisfaction_question(
                uow.conn, notification_id=notification_id, survey_id=due.survey_id, case_id=due.case_id,
                reference=due.reference, country=envelope.country, language=language, sent_at=sent_at):
            return
        if sent_at > due.answer_by:
            # A message parked and replayed after the window: its answer would count for nothing.
            repository.withhold(uow.conn, notification_id, due.contact_ref, "too_late")
            return _withheld(purpose, "too_late", envelope)
        if consent.withdrawn(uow.conn, due.contact_ref):
            repository.withhold(uow.conn, notification_id, due.contact_ref, consent.WITHHELD)
            return _withheld(purpose, consent.WITHHELD, envelope)  # not even revealed
        contact = reveal_contact(intake_rpc, due.contact_ref, purpose, feedback_id=due.feedback_id)
        if contact is None:
            repository.withhold(uow.conn, notification_id, due.contact_ref, consent.WITHHELD)
            return _withheld(purpose, consent.WITHHELD, envelope)
        if contact.phone is None:
            return  # reachable by email only: the row stays without a provider id
        reason = guard.withheld(uow.conn, due.contact_ref, contact.phone, now())
        if reason is not None:
            repository.withhold(uow.conn, notification_id, due.contact_ref, reason)
            return _withheld(purpose, reason, envelope)
        body = domain.satisfaction_question_text(questions, language, due.reference)
        provider_message_id = sms.send(country=envelope.country, to=contact.phone, body=body)
        repository.record_provider_message(uow.conn, notification_id, provider_message_id, due.contact_ref)
        uow.emit(NotificationSentV2(
            notification_id=notification_id, case_id=due.case_id, reference=due.reference, purpose=purpose,
            channel="sms", language=language, sent_at=sent_at, provider_message_id=provider_message_id,
        ), country=envelope.country)


@dataclass(frozen=True)
class AlertFacts:
    """What an alert says: the case's reference and one deadline, nothing about what the case is about."""

    reason: str  # deadline_warning | deadline_breached | emergency_case
    case_id: UUID
    reference: str
    deadline_kind: str
    due_at: datetime
    restricted: bool = False  # the case is for focal points only: the alert does not name its deadline


def alert_supervisors(unit_of_work, sms, facts: AlertFacts, envelope: Envelope, recipients, timezone: str,
                      country_languages: list[str], now, once_per_case: bool = False) -> None:
    """One SMS per supervisor on duty, each in its own transaction: a retry after a failure
    resends to nobody who got it already. `once_per_case`: no alert when another event already
    raised one for this reason about this case (a case confirmed as an emergency that already was)."""
    with unit_of_work() as uow:
        if once_per_case and repository.alerted_for_case(uow.conn, facts.case_id, facts.reason,
                                                         other_than_event=envelope.message_id):
            return
        alert_id = repository.record_alert(
            uow.conn, alert_id=uuid4(), event_id=envelope.message_id, country=envelope.country,
            case_id=facts.case_id, reference=facts.reference, reason=facts.reason,
            deadline_kind=facts.deadline_kind, due_at=facts.due_at, alerted_at=now(), restricted=facts.restricted)
    if not recipients:
        log.warning("no supervisor alert recipients configured for %s", envelope.country)
        return
    language = domain.message_language(None, country_languages)
    body = domain.alert_text(language, facts.reason, facts.reference, facts.deadline_kind, facts.due_at, timezone,
                             restricted=facts.restricted)
    failed = []
    for recipient in recipients:
        try:
            with unit_of_work() as uow:
                if not repository.claim_alert_message(uow.conn, alert_id, recipient.id, now()):
                    continue
                provider_message_id = sms.send(country=envelope.country, to=recipient.phone, body=body)
                repository.record_alert_message_sent(uow.conn, alert_id, recipient.id, provider_message_id)
        except Exception as exc:
            failed.append(exc)  # one unreachable supervisor must not keep the others from being alerted
    if failed:
        raise failed[0]  # retried, then parked: only those not alerted yet are tried again
