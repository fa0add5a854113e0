"""Replies from a case: an agent sends the complainant a templated SMS or WhatsApp message, and the case's
timeline follows it (requested, queued, sent, delivered or failed, read; or withheld, and why).

cases checks the case may be answered (a contact, and the person's consent to be contacted), records the
reply and emits CaseReplyRequested with the case's non-personal fields; notifications fills in the
template's words, sends it once per reply_id, and reports back (NotificationSentV2, MessageDeliveryUpdated,
MessageWithheld, each naming the reply_id as notification_id). The words are stored nowhere: the timeline
keeps the template, channel and language, which the console fills in again to show them. A failed reply
opens a callback task like a failed acknowledgement (callbacks.py).
"""
from datetime import datetime
from uuid import uuid4

from chassis.errors import Refused
from contracts.events import CaseReplyRequested, MessageDeliveryUpdated, MessageWithheld, NotificationSentV2
from contracts.http import CaseView, ReplyToCase
from services.cases import repository
from services.cases.handlers import Change, _act

# How far a reply got; `failed` stands beside `delivered`, and `withheld` ends it (nothing was sent).
RANK = {"requested": 0, "queued": 1, "sent": 2, "delivered": 3, "failed": 3, "read": 4, "withheld": 5}


def moves_forward(current: str, new: str) -> bool:
    """A late or repeated word about a reply changes nothing it already said."""
    return RANK[new] > RANK[current]


def check_can_reply(case: dict) -> None:
    if case["contact_ref"] is None:
        raise Refused(409, "no_contact", "The person left no contact: there is nobody to reply to.")
    if not case["consent_callback"]:
        raise Refused(409, "no_consent", "The person did not agree to be contacted, or withdrew their consent.")


def request_reply(uow, settings, reference: str, caller, version: int | None, body: ReplyToCase,
                  now: datetime) -> CaseView:
    reply_id = body.reply_id or uuid4()

    def do(change: Change):
        case = change.case
        check_can_reply(case)
        if not repository.insert_reply(change.conn, reply_id=reply_id, case_id=case["case_id"],
                                       template_id=body.template_id, channel=body.channel, language=body.language,
                                       requested_at=now, requested_by=change.actor):
            raise Refused(409, "reply_already_sent", "This reply was sent already.")
        change.apply()
        change.record("reply_requested", reply_id=reply_id, template_id=body.template_id, channel=body.channel,
                      language=body.language)
        change.emit(CaseReplyRequested, reply_id=reply_id, contact_ref=case["contact_ref"],
                    feedback_id=case["feedback_id"], template_id=body.template_id, channel=body.channel,
                    language=body.language, fields={"reference": case["reference"], "status": case["status"]})
    return _act(uow, settings, reference, caller, version, "reply", do, now,
                detail={"template_id": body.template_id, "channel": body.channel})


def _follow(uow, notification_id, state: str, at: datetime, **detail) -> None:
    """One more word about a reply, on its case's timeline as `reply_<state>` (reply_queued, reply_delivered,
    reply_withheld, ...): once, and only when it moves the reply on, but for `reply_queued` (the provider
    took it), told even when a receipt came first."""
    with uow:
        if not uow.claim_message():
            return
        reply = repository.find_reply(uow.conn, notification_id, lock=True)
        if reply is None:
            return  # not a reply of ours (another purpose), or its case was erased
        forward = moves_forward(reply["state"], state)
        if forward:
            repository.record_reply_state(uow.conn, notification_id, state, detail.get("withheld_reason"), at)
        if forward or state == "queued":
            repository.add_history(uow.conn, reply["case_id"], reply["version"], at, "notifications", f"reply_{state}",
                                   {"reply_id": str(notification_id), "channel": reply["channel"], "state": state,
                                    **{key: value for key, value in detail.items() if value is not None}})


def on_reply_sent(uow, event: NotificationSentV2) -> None:
    if event.purpose == "reply":
        _follow(uow, event.notification_id, "queued", event.sent_at)


def on_delivery_updated(uow, event: MessageDeliveryUpdated) -> None:
    if event.purpose == "reply":
        _follow(uow, event.notification_id, event.state, event.updated_at, error_code=event.error_code)


def on_reply_withheld(uow, event: MessageWithheld) -> None:
    if event.purpose == "reply":
        _follow(uow, event.notification_id, "withheld", event.withheld_at, withheld_reason=event.reason)
