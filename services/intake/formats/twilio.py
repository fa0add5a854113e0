"""Twilio's messaging webhook (SMS and WhatsApp): form-encoded `MessageSid, From, To, Body,
NumMedia, MediaUrl0, MediaContentType0, ...`. Twilio sends no timestamp: received now.

`From` is the sender's number as the network gives it, or on SMS an alphanumeric sender id
("Orange"): such a message is recorded without a callable contact (Twilio does not retry a refusal)."""
from datetime import datetime

from contracts.common import AttachmentRef, Consent
from services.intake import domain
from services.intake.formats.common import (
    empty_message, endpoint_mismatch, malformed, phone_contact, same_address, too_many_attachments,
)


def parse(endpoint_id: str, endpoint, form, now: datetime, max_attachments: int) -> domain.InboundMessage:
    message_id = form.get("MessageSid") or form.get("SmsSid")
    if not message_id:
        raise malformed("missing", "MessageSid")
    to = (form.get("To") or "").removeprefix("whatsapp:")
    if not same_address(to, endpoint.address, endpoint.country):
        raise endpoint_mismatch("To")
    try:
        media_count = int(form.get("NumMedia") or 0)
    except ValueError:
        raise malformed("expected a number", "NumMedia") from None
    if media_count > max_attachments:
        raise too_many_attachments(max_attachments)
    attachments = []
    for index in range(media_count):
        url = form.get(f"MediaUrl{index}")
        if not url:
            raise malformed("missing", f"MediaUrl{index}")
        content_type = form.get(f"MediaContentType{index}")
        attachments.append(AttachmentRef(kind=domain.attachment_kind(content_type), ref=url,
                                         content_type=content_type))
    narrative = domain.narrative_of(form.get("Body"), attachments)
    if narrative is None:
        raise empty_message()
    sender = form.get("From") or ""
    contact = phone_contact(sender.removeprefix("whatsapp:"), endpoint.country, field="From",
                            sender_may_be_a_name=not sender.startswith("whatsapp:"))
    return domain.InboundMessage(
        endpoint_id=endpoint_id, country=endpoint.country, channel=endpoint.channel, text=narrative,
        received_at=now, provider_message_id=message_id, contact=contact,
        consent=Consent(callback=endpoint.assume_callback_consent and contact is not None),
        attachments=tuple(attachments), may_ask_status=True, contact_verified=contact is not None)
