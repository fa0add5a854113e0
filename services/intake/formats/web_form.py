"""The public web form's JSON body (contracts.http.WebFormSubmission), received now."""
from datetime import datetime

from chassis.errors import ApiError
from contracts.common import Consent
from contracts.http import WebFormSubmission
from services.intake import domain


def to_message(endpoint_id: str, endpoint, form: WebFormSubmission, now: datetime) -> domain.InboundMessage:
    try:
        contact = domain.normalize_contact(form.contact, endpoint.country)
    except domain.InvalidPhoneNumber as exc:
        raise ApiError(422, "invalid_phone", "The contact's phone number cannot be read.",
                       [{"field": "contact.phone", "reason": str(exc)}]) from None
    return domain.InboundMessage(
        endpoint_id=endpoint_id, country=endpoint.country, channel=endpoint.channel, text=form.narrative,
        received_at=now, contact=contact, language=form.language,
        consent=form.consent if contact else Consent(share_with_partners=form.consent.share_with_partners),
        location=form.location, respondent=form.respondent, may_ask_status=True)
