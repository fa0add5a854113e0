"""Delivery receipts' pure rules: each provider's words, and states that only move forward."""
from werkzeug.datastructures import MultiDict

from services.notifications.receipts import Receipt, moves_forward, twilio_receipt, whatsapp_receipts


def test_a_state_only_moves_forward():
    assert moves_forward(None, "queued") and moves_forward("sent", "failed") and moves_forward("failed", "read")
    assert not moves_forward("delivered", "sent")   # a late `sent` after `delivered`
    assert not moves_forward("delivered", "failed")  # neither replaces the other
    assert not moves_forward("failed", "delivered")
    assert not moves_forward("failed", "failed")     # a repeated receipt


def test_twilio_status_callbacks():
    form = MultiDict({"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30003"})
    assert twilio_receipt(form) == Receipt("SM1", "failed", "30003")
    assert twilio_receipt(MultiDict({"MessageSid": "SM1", "MessageStatus": "sending"})) == Receipt("SM1", "sent")
    assert twilio_receipt(MultiDict({"MessageSid": "SM1", "MessageStatus": "received"})) is None
    assert twilio_receipt(MultiDict({"MessageStatus": "delivered"})) is None


def test_whatsapp_statuses_and_nothing_else():
    body = {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": {
        "messages": [{"id": "wamid.IN", "text": {"body": "hello"}}],
        "statuses": [
            {"id": "wamid.A", "status": "delivered", "timestamp": "1700000000", "recipient_id": "224622000000"},
            {"id": "wamid.B", "status": "failed", "timestamp": "1700000001", "recipient_id": "224622000000",
             "errors": [{"code": 131026, "title": "Message undeliverable"}]},
            {"id": "wamid.C", "status": "deleted"},
            "not a status",
        ]}}]}]}
    assert whatsapp_receipts(body) == [Receipt("wamid.A", "delivered"), Receipt("wamid.B", "failed", "131026")]
    assert whatsapp_receipts({"entry": "nonsense"}) == whatsapp_receipts([]) == []
