"""Notifications' use case: acknowledge a new case to a complainant who agreed to be contacted.

The SMS goes out inside the transaction that records it: if recording fails
the handler is retried and the person may get the acknowledgement twice,
which is better than not at all (at-least-once).
"""
from datetime import datetime
from uuid import uuid4

from contracts.envelope import Envelope
from contracts.events import CaseOpened, NotificationSent
from contracts.rpc import RevealContactRequest, RevealContactResponse
from services.notifications import domain, repository

PURPOSE = "acknowledgement"


def acknowledge_case(uow, intake_rpc, sms, case: CaseOpened, envelope: Envelope, country_languages: list[str],
                     now) -> None:
    with uow:
        if not uow.claim_message() or repository.already_sent(uow.conn, case.case_id, PURPOSE):
            return
        if not domain.wants_acknowledgement(case.contact_ref is not None, case.consent.callback):
            return
        answer = RevealContactResponse.model_validate(intake_rpc.reveal_contact(RevealContactRequest(
            contact_ref=case.contact_ref, purpose=PURPOSE, requested_by="notifications").model_dump(mode="json")))
        if answer.contact.phone is None:
            return  # reachable by email only: the email channel comes later
        language = domain.message_language(case.language, country_languages)
        provider_message_id = sms.send(country=envelope.country, to=answer.contact.phone,
                                       body=domain.acknowledgement_text(language, case.reference))
        sent_at: datetime = now()
        notification_id = uuid4()
        repository.insert_notification(
            uow.conn, notification_id=notification_id, case_id=case.case_id, reference=case.reference,
            country=envelope.country, purpose=PURPOSE, channel="sms", language=language,
            provider_message_id=provider_message_id, sent_at=sent_at)
        uow.emit(NotificationSent(
            notification_id=notification_id, case_id=case.case_id, reference=case.reference, purpose=PURPOSE,
            channel="sms", language=language, sent_at=sent_at, provider_message_id=provider_message_id,
        ), country=envelope.country)
