"""WhatsApp Cloud API webhook (Meta): `entry[].changes[].value` with `metadata.phone_number_id`,
`contacts[]` and `messages[]`; one POST may carry several messages, and `statuses[]` about
messages the programme sent, which intake ignores.

Text, interactive replies (the title of the chosen button or list row) and locations become
text; audio, images, documents, videos and stickers stay with Meta as media ids. A location's
coordinates are not kept: only the place name or address the person shared."""
from dataclasses import dataclass

from contracts.common import AttachmentKind, AttachmentRef, Consent
from services.intake import domain
from services.intake.formats.common import (
    check_attachments, endpoint_mismatch, malformed, phone_contact, read_or_refuse, unix_time,
)

_MEDIA = {"audio": AttachmentKind.AUDIO, "voice": AttachmentKind.AUDIO, "image": AttachmentKind.IMAGE,
          "sticker": AttachmentKind.IMAGE, "video": AttachmentKind.VIDEO, "document": AttachmentKind.DOCUMENT}


@dataclass
class Delivery:
    messages: list[domain.InboundMessage]
    unsupported: int  # messages of a type intake does not take (reactions, system notices, ...)


def _list(value, field):
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise malformed("expected a list of objects", field)
    return value


def _object(value, field) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise malformed("expected an object", field)
    return value


def parse(endpoint_id: str, endpoint, body, max_attachments: int) -> Delivery:
    if not isinstance(body, dict) or body.get("object") != "whatsapp_business_account":
        raise malformed("expected object=whatsapp_business_account", "object")
    messages, unsupported = [], 0
    for entry in _list(body.get("entry"), "entry"):
        for change in _list(entry.get("changes"), "entry.changes"):
            value = change.get("value")
            if change.get("field") != "messages" or not isinstance(value, dict):
                continue
            metadata = _object(value.get("metadata"), "metadata")
            if str(metadata.get("phone_number_id", "")) != (endpoint.address or str(metadata.get("phone_number_id"))):
                raise endpoint_mismatch("metadata.phone_number_id")
            names = {str(contact.get("wa_id")): read_or_refuse(
                         domain.read_name, _object(contact.get("profile"), "contacts.profile").get("name"),
                         "contacts.profile.name")
                     for contact in _list(value.get("contacts"), "contacts")}
            for message in _list(value.get("messages"), "messages"):
                inbound = _message(endpoint_id, endpoint, message, names, max_attachments)
                if inbound is None:
                    unsupported += 1
                else:
                    messages.append(inbound)
    return Delivery(messages, unsupported)


def _message(endpoint_id, endpoint, message: dict, names: dict, max_attachments: int):
    kind = message.get("type")
    if not message.get("id") or not message.get("from"):
        raise malformed("a message needs its id and from", "messages")
    text, location, attachments = None, None, []
    if kind == "text":
        text = _object(message.get("text"), "messages.text").get("body")
    elif kind == "interactive":
        interactive = _object(message.get("interactive"), "messages.interactive")
        reply = interactive.get("button_reply") or interactive.get("list_reply")
        text = _object(reply, "messages.interactive.button_reply").get("title")
    elif kind == "button":  # a quick-reply button of a template message
        text = _object(message.get("button"), "messages.button").get("text")
    elif kind == "location":
        shared = _object(message.get("location"), "messages.location")
        place = shared.get("name") or shared.get("address")
        if place is not None and not isinstance(place, str):
            raise malformed("expected a string", "messages.location.name")
        # The location keeps the place's name as far as the contract holds; the text keeps it whole.
        kept = place.strip()[:domain.AREA_MAX_LENGTH] if place else None
        location = domain.location_of(place=kept) if kept else None
        text = place or "[location]"
    elif kind in _MEDIA:
        media = _object(message.get(kind), f"messages.{kind}")
        if not media.get("id"):
            raise malformed("media without id", f"messages.{kind}.id")
        attachments.append(AttachmentRef(kind=_MEDIA[kind], ref=media["id"], content_type=media.get("mime_type"),
                                         filename=media.get("filename")))
        text = media.get("caption")
    else:
        return None
    if text is not None and not isinstance(text, str):
        raise malformed("expected a string", f"messages.{kind}")
    attachments = check_attachments(attachments, max_attachments)
    narrative = domain.narrative_of(text, attachments)
    if narrative is None:
        return None
    wa_id = str(message["from"])
    contact = phone_contact("+" + wa_id.lstrip("+"), endpoint.country, names.get(wa_id), field="messages.from")
    return domain.InboundMessage(
        endpoint_id=endpoint_id, country=endpoint.country, channel=endpoint.channel, text=narrative,
        received_at=unix_time(message.get("timestamp"), "messages.timestamp"),
        provider_message_id=str(message["id"]), contact=contact,
        consent=Consent(callback=endpoint.assume_callback_consent), location=location,
        attachments=attachments, may_ask_status=True, contact_verified=True)
