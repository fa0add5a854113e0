"""Delivery receipts: the provider's word on whether a message to a complainant arrived.

Twilio calls back with form fields (MessageSid, MessageStatus, ErrorCode), WhatsApp's Cloud API posts a
`statuses` array. Both come down to (provider message id, state, error code), applied here: states only
move forward, so a repeated or late receipt changes nothing, and a failed acknowledgement, status reply or
reply emits MessageDeliveryFailed (v2) once, for cases to open a callback task. Every step of a reply
(MessageDeliveryUpdated) shows on its case's timeline.
"""
import logging
from dataclasses import dataclass
from datetime import datetime

from contracts.events import MessageDeliveryFailedV2, MessageDeliveryUpdated
from services.notifications import metrics, repository

log = logging.getLogger(__name__)

# How far along a message is; `failed` stands beside `delivered`: neither replaces the other.
RANK = {"queued": 0, "sent": 1, "delivered": 2, "failed": 2, "read": 3}

# Each provider's words for our five states; a status not listed (receiving, received: inbound) is ignored.
TWILIO_STATES = {
    "accepted": "queued", "scheduled": "queued", "queued": "queued", "sending": "sent", "sent": "sent",
    "delivered": "delivered", "read": "read", "failed": "failed", "undelivered": "failed", "canceled": "failed",
}
WHATSAPP_STATES = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed"}

# Messages whose failure leaves a person without an answer about their case.
CALLBACK_PURPOSES = ("acknowledgement", "status_reply", "reply")
# Messages whose every step shows on the case's timeline (MessageDeliveryUpdated): an agent's reply.
TIMELINE_PURPOSES = ("reply",)


@dataclass(frozen=True)
class Receipt:
    provider_message_id: str
    state: str
    error_code: str | None = None


def moves_forward(current: str | None, new: str) -> bool:
    return current is None or RANK[new] > RANK[current]


def twilio_receipt(form) -> Receipt | None:
    """The receipt in a Twilio status callback, or None when it says nothing we track."""
    sid, state = form.get("MessageSid", ""), TWILIO_STATES.get(form.get("MessageStatus", ""))
    if not sid or state is None:
        return None
    code = form.get("ErrorCode")
    return Receipt(sid[:64], state, code[:20] if code else None)


def whatsapp_receipts(body) -> list[Receipt]:
    """Every status in a Cloud API webhook (entry[].changes[].value.statuses[]); anything else is skipped."""
    receipts = []
    for entry in _items(body, "entry"):
        for change in _items(entry, "changes"):
            value = change.get("value") if isinstance(change, dict) else None
            for status in _items(value, "statuses"):
                message_id, state = status.get("id"), WHATSAPP_STATES.get(status.get("status"))
                if not isinstance(message_id, str) or not message_id or state is None:
                    continue
                errors = _items(status, "errors")
                code = errors[0].get("code") if errors and isinstance(errors[0], dict) else None
                receipts.append(Receipt(message_id[:200], state, None if code is None else str(code)[:20]))
    return receipts


def _items(container, key) -> list:
    value = container.get(key) if isinstance(container, dict) else None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def apply(unit_of_work, provider: str, receipt: Receipt, now: datetime) -> str:
    """Record a receipt in its own transaction; returns the outcome counted in metrics."""
    with unit_of_work() as uow:
        message = repository.message_for_receipt(uow.conn, receipt.provider_message_id)
        if message is None:
            outcome = "unknown_message"  # a staff alert, or another platform's message on the same account
        elif not moves_forward(message["delivery_state"], receipt.state):
            outcome = "unchanged"
        else:
            outcome = "applied"
            repository.record_delivery_state(uow.conn, message["notification_id"], receipt.state,
                                             receipt.error_code, now)
            if message["purpose"] in TIMELINE_PURPOSES and message["case_id"]:
                uow.emit(MessageDeliveryUpdated(
                    notification_id=message["notification_id"], case_id=message["case_id"],
                    reference=message["reference"], purpose=message["purpose"], channel=message["channel"],
                    state=receipt.state, error_code=receipt.error_code, updated_at=now), country=message["country"])
            if receipt.state == "failed" and message["purpose"] in CALLBACK_PURPOSES and message["case_id"]:
                uow.emit(MessageDeliveryFailedV2(
                    notification_id=message["notification_id"], case_id=message["case_id"],
                    reference=message["reference"], purpose=message["purpose"], channel=message["channel"],
                    error_code=receipt.error_code, failed_at=now), country=message["country"])
    metrics.DELIVERY_RECEIPTS.labels(provider, receipt.state, outcome).inc()
    if outcome == "unknown_message":
        log.info("delivery receipt for a message not sent to a complainant", extra={"provider": provider})
    return outcome
