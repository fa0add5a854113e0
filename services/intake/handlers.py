"""Intake's use cases: record a message, and reveal a contact for a stated purpose."""
from datetime import datetime
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from chassis.errors import ApiError
from contracts.common import Consent
from contracts.events import FeedbackReceived
from contracts.http import FeedbackAccepted, FeedbackSubmission
from contracts.rpc import RevealContactRequest, RevealContactResponse
from services.intake import domain, repository
from services.intake.vault import ContactVault


def submit_feedback(uow, vault: ContactVault, countries: dict, submission: FeedbackSubmission,
                    submitted_by: str | None, now: datetime) -> FeedbackAccepted:
    """Store the message and its contact, and emit FeedbackReceived, in one transaction."""
    country = countries.get(submission.country)
    if country is None:
        raise ApiError(422, "unknown_country", f"No programme is configured for country {submission.country}.",
                       [{"field": "country", "reason": "not a configured country"}])
    try:
        contact = domain.normalize_contact(submission.contact, submission.country)
    except domain.InvalidPhoneNumber as exc:
        raise ApiError(422, "invalid_phone", "The contact's phone number cannot be read.",
                       [{"field": "contact.phone", "reason": str(exc)}]) from None
    # Without a way to reach the person, no consent to call back can apply.
    consent = submission.consent if contact else Consent(share_with_partners=submission.consent.share_with_partners)
    local_year = now.astimezone(ZoneInfo(country.timezone)).year
    feedback_id = uuid4()
    with uow:
        number = repository.next_reference_number(uow.conn, submission.country, local_year)
        reference = domain.format_reference(submission.country, local_year, number)
        contact_ref = None
        if contact is not None:
            contact_ref = uuid4()
            repository.insert_contact(uow.conn, contact_ref, vault.seal(contact_ref, contact))
        received_at = submission.received_at or now
        repository.insert_feedback(
            uow.conn, feedback_id=feedback_id, reference=reference, country=submission.country,
            channel=submission.channel, language=submission.language, narrative=submission.narrative,
            received_at=received_at, contact_ref=contact_ref, consent=consent, submitted_by=submitted_by)
        uow.emit(FeedbackReceived(
            feedback_id=feedback_id, reference=reference, channel=submission.channel,
            language=submission.language, narrative=submission.narrative, received_at=received_at,
            contact_ref=contact_ref, consent=consent, submitted_by=submitted_by,
        ), country=submission.country)
    return FeedbackAccepted(feedback_id=feedback_id, reference=reference)


class ContactNotFound(LookupError):
    pass


def reveal_contact(uow, vault: ContactVault, request: RevealContactRequest) -> RevealContactResponse:
    """Decrypt one contact, and log who asked and why."""
    with uow:
        sealed = repository.find_contact(uow.conn, request.contact_ref)
        if sealed is None:
            raise ContactNotFound(str(request.contact_ref))
        repository.log_contact_reveal(uow.conn, request.contact_ref, request.purpose, request.requested_by)
    return RevealContactResponse(contact_ref=request.contact_ref,
                                 contact=vault.open(UUID(str(request.contact_ref)), sealed))
