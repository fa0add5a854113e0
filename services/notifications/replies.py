"""Replies from a case (CaseReplyRequested from cases): the templated SMS or WhatsApp message an agent
sent the complainant, sent once per reply_id, or withheld with the reason told back to the case.

The reply's row is claimed (its reply_id as notification_id) before the contact is revealed, in the
transaction that sends it: a redelivery finds it taken and neither reveals nor sends. The words are
rendered here, handed to the provider and forgotten: no row, event or log line holds them.
"""
import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from nameko.exceptions import RemoteError

from chassis.errors import ApiError
from contracts.envelope import Envelope
from contracts.events import CaseReplyRequested, MessageWithheld, NotificationSentV2
from contracts.http import ReplyTemplate, ReplyTemplates
from services.notifications import consent, domain, metrics, repository, reply_templates
from services.notifications.handlers import SmsGuard, reveal_contact
from services.notifications.reply_templates import RepliesSettings
from services.notifications.provider_errors import ProviderRefused

log = logging.getLogger(__name__)
PURPOSE = "reply"
REFERENCE = re.compile(r"[A-Z]{2}-\d{4}-\d{6}")


@dataclass(frozen=True)
class Senders:
    sms: object        # SmsClient
    whatsapp: object   # WhatsAppClient


def list_templates(book: RepliesSettings, country: str, spoken: list[str], language: str | None,
                   fields: dict[str, str], whatsapp_configured: bool) -> ReplyTemplates:
    """A country's replies in one language (its first by default, in the country's own order: English
    first in Nigeria), each filled in with the case's fields when the reference is given."""
    languages = sorted(book.languages(country), key=lambda tag: spoken.index(tag) if tag in spoken else len(spoken))
    language = language or (languages[0] if languages else "fr")
    if languages and language not in languages:
        raise ApiError(422, "unknown_language", "This country has no reply templates in that language.",
                       [{"field": "language", "reason": f"one of {', '.join(languages)}"}])
    if "reference" in fields and not REFERENCE.fullmatch(fields["reference"]):
        raise ApiError(422, "invalid_reference", "reference is a case reference, e.g. GN-2026-000042.")
    if "status" in fields and fields["status"] not in domain.STATUS_IN_WORDS["en"]:
        raise ApiError(422, "invalid_status", "status is a case status, e.g. in_progress.")
    channels = ["sms", "whatsapp"] if whatsapp_configured else ["sms"]
    return ReplyTemplates(country=country, language=language, languages=languages, templates=[
        ReplyTemplate(template_id=template.id, language=language, label=template.label, text=template.text,
                      preview=reply_templates.render(template, fields, language) if "reference" in fields else None,
                      channels=channels, whatsapp_template=template.whatsapp is not None)
        for template in book.templates.get(country, {}).get(language, [])])


def record_inbound_whatsapp(uow, contact_ref, channel, received_at) -> None:
    """A person wrote to us on WhatsApp: the 24-hour window for free-text replies opens (time only).
    Idempotent by itself (the latest time wins), so no message id is recorded, and other channels'
    messages cost nothing here."""
    if contact_ref is None or channel != "whatsapp":
        return
    with uow:
        repository.record_inbound_whatsapp(uow.conn, contact_ref, received_at)


def send_reply(uow, intake_rpc, senders: Senders, reply: CaseReplyRequested, envelope: Envelope,
               replies: RepliesSettings, guard: SmsGuard, now) -> str:
    """Send one reply, or withhold it and say why; returns what happened (sent, withheld:<reason>, repeat)."""
    country = envelope.country
    with uow:
        if not uow.claim_message() or not repository.claim_reply(
                uow.conn, reply_id=reply.reply_id, case_id=reply.case_id, reference=reply.reference,
                country=country, channel=reply.channel, language=reply.language, template_id=reply.template_id,
                sent_at=now()):
            return "repeat"

        def withhold(reason: str) -> str:
            repository.withhold(uow.conn, reply.reply_id, reply.contact_ref, reason)
            metrics.SMS_WITHHELD.labels(PURPOSE, reason).inc()
            log.info("reply to a complainant withheld", extra={"reason": reason, "channel": reply.channel,
                                                                "message_id": str(envelope.message_id)})
            uow.emit(MessageWithheld(notification_id=reply.reply_id, case_id=reply.case_id,
                                     reference=reply.reference, purpose=PURPOSE, channel=reply.channel,
                                     reason=reason, withheld_at=now()), country=country)
            return f"withheld:{reason}"

        template = replies.find(country, reply.language, reply.template_id)
        if template is None:
            return withhold("unknown_template")
        if consent.withdrawn(uow.conn, reply.contact_ref):
            return withhold(consent.WITHHELD)  # not even revealed
        if repository.known_unverified(uow.conn, reply.contact_ref):
            return withhold("unverified_contact")  # a number the person typed may be anyone's
        form = None
        if reply.channel == "whatsapp":
            if not senders.whatsapp.configured(country):
                return withhold("channel_not_configured")
            inside = reply_templates.inside_whatsapp_window(
                repository.last_inbound_whatsapp(uow.conn, reply.contact_ref), now(),
                timedelta(hours=replies.whatsapp_window_hours))
            form = "text" if inside else "template"
            if form == "template" and template.whatsapp is None:
                return withhold("no_whatsapp_template")
        try:
            contact = reveal_contact(intake_rpc, reply.contact_ref, PURPOSE, feedback_id=reply.feedback_id)
        except RemoteError as exc:
            if exc.exc_type != "RevealRefused":
                raise
            return withhold(_reveal_refusal(exc))
        if contact is None:
            return withhold(consent.WITHHELD)
        if contact.phone is None:
            return withhold("no_phone")
        reason = guard.withheld(uow.conn, reply.contact_ref, contact.phone, now())
        if reason is not None:
            return withhold(reason)
        try:
            provider_message_id = _send(senders, country, contact.phone, reply, template, form)
        except ProviderRefused as refused:
            if not _refused_for_good(refused.status):
                raise  # throttled or the provider's own trouble: retried, then parked
            log.warning("provider refused a reply", extra={"channel": reply.channel, "status": refused.status,
                                                           "code": refused.code})
            return withhold("provider_refused")
        repository.record_provider_message(uow.conn, reply.reply_id, provider_message_id, reply.contact_ref)
        if form is not None:
            repository.record_whatsapp_form(uow.conn, reply.reply_id, form)
        uow.emit(NotificationSentV2(
            notification_id=reply.reply_id, case_id=reply.case_id, reference=reply.reference, purpose=PURPOSE,
            channel=reply.channel, language=reply.language, sent_at=now(), provider_message_id=provider_message_id,
        ), country=country)
        return "sent"


REVEAL_REFUSALS = ("no_grounds", "grounds_too_old", "too_many_reveals")


def _reveal_refusal(exc: RemoteError) -> str:
    """Why intake would not reveal the contact, as the case's timeline says it: no consent to be contacted
    on record for the case's message, a message older than intake allows, or too many replies already."""
    said = str(exc.value)
    return next((f"reveal_{reason}" for reason in REVEAL_REFUSALS if reason in said), "reveal_refused")


def _refused_for_good(status: int) -> bool:
    """The provider will refuse this message whatever the retry (a number it cannot reach, a template it
    does not know): a 4xx, but not 429 (slow down) nor 401/403 (our credentials: an operator fixes them,
    then replays the parked request)."""
    return 400 <= status < 500 and status not in (401, 403, 429)


def _send(senders: Senders, country: str, phone: str, reply: CaseReplyRequested, template, form: str | None) -> str:
    """Hand the reply to its provider; returns the provider's message id. The words exist only here."""
    if reply.channel == "sms":
        return senders.sms.send(country=country, to=phone, body=reply_templates.render(
            template, reply.fields, reply.language))
    if form == "text":
        return senders.whatsapp.send_text(country=country, to=phone, body=reply_templates.render(
            template, reply.fields, reply.language))
    return senders.whatsapp.send_template(
        country=country, to=phone, name=template.whatsapp.name, language=template.whatsapp.language,
        parameters=reply_templates.whatsapp_parameters(template, reply.fields, reply.language))
