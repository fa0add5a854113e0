"""The plain JSON SMS gateway format, for gateways that let you shape the webhook yourself:

    {"message_id": "gw-000123", "from": "+224 622 12 34 56", "to": "1313",
     "text": "...", "received_at": "2026-11-25T09:30:00Z", "language": "fr"}

`message_id`, `from`, `to` and `text` are required; `received_at` (ISO 8601 with offset,
default now) and `language` are optional. Authenticated by the endpoint's secret header. A `from`
that is an alphanumeric sender id ("MTN-INFO") is recorded with no callable contact."""
from datetime import datetime

from contracts.common import Consent
from services.intake import domain
from services.intake.formats.common import (
    endpoint_mismatch, iso_time, malformed, phone_contact, same_address, text_field,
)

FIELDS = {"message_id", "from", "to", "text", "received_at", "language"}


def parse(endpoint_id: str, endpoint, body, now: datetime) -> domain.InboundMessage:
    if not isinstance(body, dict):
        raise malformed("expected a JSON object")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise malformed("unknown field", unknown[0])
    message_id = text_field(body, "message_id", required=True)
    if not same_address(text_field(body, "to", required=True), endpoint.address, endpoint.country):
        raise endpoint_mismatch("to")
    text = text_field(body, "text", required=True)
    contact = phone_contact(text_field(body, "from", required=True), endpoint.country, sender_may_be_a_name=True)
    received_at = iso_time(body["received_at"], "received_at") if body.get("received_at") else now
    return domain.InboundMessage(
        endpoint_id=endpoint_id, country=endpoint.country, channel=endpoint.channel, text=text,
        received_at=received_at, provider_message_id=message_id, contact=contact,
        language=text_field(body, "language"), consent=Consent(callback=endpoint.assume_callback_consent),
        may_ask_status=True, contact_verified=contact is not None)
