"""The public web form's JSON body (contracts.http.WebFormSubmission), received now.

Anyone can type anything into the form, someone else's phone number too. So the form never asks
for a case's status (the answer would go to that number), and the contact it gives is kept as a
contact of its own, never joined to the person who really owns that number or address."""
from datetime import datetime

from chassis.errors import ApiError
from contracts.common import Consent
from contracts.http import WebFormSubmission
from services.intake import domain


def to_message(endpoint_id: str, endpoint, form: WebFormSubmission, now: datetime) -> domain.InboundMessage:
    if domain.status_request_reference(form.narrative):
        raise ApiError(422, "status_request_not_allowed_here",
                       "The web form cannot ask for a case's status. Send the same words by SMS, WhatsApp or email "
                       "from the contact given for the case, or call the hotline.")
    try:
        contact = domain.normalize_contact(form.contact, endpoint.country)
    except domain.InvalidPhoneNumber as exc:
        raise ApiError(422, "invalid_phone", "The contact's phone number cannot be read.",
                       [{"field": "contact.phone", "reason": str(exc)}]) from None
    return domain.InboundMessage(
        endpoint_id=endpoint_id, country=endpoint.country, channel=endpoint.channel, text=form.narrative,
        received_at=now, contact=contact, language=form.language,
        consent=form.consent if contact else Consent(share_with_partners=form.consent.share_with_partners),
        location=form.location, respondent=form.respondent, unverified_contact=True)
