"""RapidPro / TextIt flow webhook: `contact{uuid,name,urn,language}`, `flow`, `results`,
`input{uuid,text,created_on,urn{scheme,path},attachments[]}`, `channel{uuid,name,address}`.
Attachments arrive as `content-type:url` strings."""
from contracts.common import AttachmentRef, Consent
from services.intake import domain
from services.intake.formats.common import (
    check_attachments, empty_message, endpoint_mismatch, iso_time, malformed, phone_contact, read_or_refuse,
    same_address,
)


def parse(endpoint_id: str, endpoint, body, max_attachments: int) -> domain.InboundMessage:
    if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
        raise malformed("missing", "input")
    given = body["input"]
    contact_data = body.get("contact") if isinstance(body.get("contact"), dict) else {}
    channel = body.get("channel") if isinstance(body.get("channel"), dict) else {}
    if not same_address(channel.get("address"), endpoint.address, endpoint.country):
        raise endpoint_mismatch("channel.address")
    message_id = given.get("uuid")
    if not message_id:
        raise malformed("missing", "input.uuid")
    raw_attachments = given.get("attachments") or []
    if not isinstance(raw_attachments, list):
        raise malformed("expected a list", "input.attachments")
    attachments = []
    for item in raw_attachments:
        content_type, _, url = str(item).partition(":")
        if not url:
            raise malformed("expected content-type:url", "input.attachments")
        attachments.append(AttachmentRef(kind=domain.attachment_kind(content_type), ref=url, content_type=content_type))
    attachments = check_attachments(attachments, max_attachments)
    text = given.get("text")
    if text is not None and not isinstance(text, str):
        raise malformed("expected a string", "input.text")
    narrative = domain.narrative_of(text, attachments)
    if narrative is None:
        raise empty_message()
    urn = given.get("urn") if isinstance(given.get("urn"), dict) else {}
    contact = None
    if urn.get("scheme") in ("tel", "whatsapp") and urn.get("path"):
        path = str(urn["path"])
        contact = phone_contact(path if urn["scheme"] == "tel" else "+" + path.lstrip("+"), endpoint.country,
                                read_or_refuse(domain.read_name, contact_data.get("name"), "contact.name"),
                                field="input.urn.path")
    return domain.InboundMessage(
        endpoint_id=endpoint_id, country=endpoint.country, channel=endpoint.channel, text=narrative,
        received_at=iso_time(given.get("created_on"), "input.created_on"), provider_message_id=str(message_id),
        contact=contact,
        language=read_or_refuse(domain.read_language, contact_data.get("language"), "contact.language"),
        consent=Consent(callback=endpoint.assume_callback_consent and contact is not None),
        attachments=attachments, may_ask_status=True)
