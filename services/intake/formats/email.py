"""Inbound email, as relayed by Mailgun (`sender, recipient, from, subject, body-plain,
stripped-text, timestamp, token, signature, Message-Id`, files `attachment-1..n`) or SendGrid's
inbound parse (`from, to, subject, text, html, envelope, headers`, files `attachment1..n`).

The narrative is the text part (Mailgun's `stripped-text`, without the quoted thread, when
present), else the subject. Attachments are kept as their file name and type only: the bytes
are dropped, the person can be asked for them again."""
import hashlib
import json
from datetime import datetime
from email.utils import getaddresses, parseaddr

from chassis.errors import ApiError
from contracts.common import AttachmentRef, Consent, ContactDetails
from services.intake import domain
from services.intake.formats.common import (
    empty_message, endpoint_mismatch, malformed, read_or_refuse, too_many_attachments, unix_time,
)


def _attachments(files: list[tuple[str | None, str | None]], max_attachments: int) -> tuple[AttachmentRef, ...]:
    if len(files) > max_attachments:
        raise too_many_attachments(max_attachments)
    return tuple(AttachmentRef(kind=domain.attachment_kind(content_type), ref=filename or f"attachment-{index + 1}",
                               content_type=content_type, filename=filename)
                 for index, (filename, content_type) in enumerate(files))


def _sender(from_header: str | None, fallback: str | None) -> ContactDetails | None:
    name, address = parseaddr(from_header or "")
    address = address or fallback
    if not address:
        return None
    name = read_or_refuse(domain.read_name, name, "from")
    try:
        return ContactDetails(email=address, name=name)
    except ValueError:
        raise ApiError(422, "invalid_email", "The sender's email address cannot be read.",
                       [{"field": "from", "reason": "not an email address"}]) from None


def _message_key(message_id: str | None) -> str | None:
    """A Message-ID names the sender's mail host and sometimes the sender: events carry its hash."""
    return hashlib.sha256(message_id.strip().encode()).hexdigest()[:40] if message_id else None


def _mailgun_message_id(form) -> str | None:
    """The email's Message-Id: Mailgun posts it as a field, and among `message-headers` (a JSON list of
    [name, value] pairs)."""
    given = form.get("Message-Id") or form.get("message-id")
    if given:
        return given
    try:
        headers = json.loads(form.get("message-headers") or "[]")
    except ValueError:
        raise malformed("expected JSON", "message-headers") from None
    if not isinstance(headers, list):
        raise malformed("expected a JSON list", "message-headers")
    for header in headers:
        if isinstance(header, list) and len(header) == 2 and str(header[0]).lower() == "message-id":
            return str(header[1]) or None
    return None


def _message(endpoint_id, endpoint, *, recipients, text, subject, sender, received_at, provider_message_id,
             attachments):
    if endpoint.address and endpoint.address.lower() not in [address.lower() for address in recipients]:
        raise endpoint_mismatch("recipient")
    narrative = domain.narrative_of(text if text and text.strip() else subject, attachments)
    if narrative is None:
        raise empty_message()
    return domain.InboundMessage(
        endpoint_id=endpoint_id, country=endpoint.country, channel=endpoint.channel, text=narrative,
        received_at=received_at, provider_message_id=provider_message_id, contact=sender,
        consent=Consent(callback=endpoint.assume_callback_consent and sender is not None),
        attachments=attachments, may_ask_status=True, contact_verified=sender is not None)


def parse_mailgun(endpoint_id: str, endpoint, form, files, max_attachments: int) -> domain.InboundMessage:
    recipients = [address for _, address in getaddresses([form.get("recipient") or ""])]
    return _message(
        endpoint_id, endpoint, recipients=recipients,
        text=form.get("stripped-text") or form.get("body-plain"), subject=form.get("subject"),
        sender=_sender(form.get("from"), form.get("sender")),
        received_at=unix_time(form.get("timestamp"), "timestamp"),
        # One email is one Message-Id, whatever Mailgun retries (a retry may carry a new token). Mailgun
        # signs only timestamp+token, so handlers also bind each token to the one email it brought.
        provider_message_id=_message_key(_mailgun_message_id(form)) or form.get("token"),
        attachments=_attachments(files, max_attachments))


def _header(raw_headers: str, name: str) -> str | None:
    for line in raw_headers.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip() or None
    return None


def parse_sendgrid(endpoint_id: str, endpoint, form, files, now: datetime, max_attachments: int):
    try:
        envelope = json.loads(form.get("envelope") or "{}")
    except ValueError:
        raise malformed("expected JSON", "envelope") from None
    if not isinstance(envelope, dict):
        raise malformed("expected a JSON object", "envelope")
    recipients = envelope.get("to") or [address for _, address in getaddresses([form.get("to") or ""])]
    if not isinstance(recipients, list):
        raise malformed("expected a list", "envelope.to")
    return _message(
        endpoint_id, endpoint, recipients=[str(address) for address in recipients],
        text=form.get("text"), subject=form.get("subject"),
        sender=_sender(form.get("from"), envelope.get("from")), received_at=now,
        provider_message_id=_message_key(_header(form.get("headers") or "", "Message-ID")),
        attachments=_attachments(files, max_attachments))
