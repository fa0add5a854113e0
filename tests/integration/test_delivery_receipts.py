"""notifications' delivery receipts: signed Twilio and WhatsApp webhooks move each message's state forward
once, and a failed acknowledgement tells cases (MessageDeliveryFailed) exactly once."""
import hashlib
import hmac
import json
from uuid import uuid4

import requests

from chassis.signatures import twilio_signature
from tests.helpers import metric_value

TWILIO_TOKEN = "receipts-token"
APP_SECRET = "receipts-app-secret"


def sent_message(db, purpose="acknowledgement", provider_message_id=None) -> str:
    """A message notifications sent to a complainant (as handlers.acknowledge_case records it)."""
    provider_message_id = provider_message_id or "SM" + uuid4().hex
    db.execute("""INSERT INTO notifications.notifications (notification_id, case_id, reference, country, purpose,
                      channel, language, provider_message_id, sent_at)
                  VALUES (%s, %s, 'GN-2026-000042', 'GN', %s, 'sms', 'fr', %s, now())""",
               [uuid4(), uuid4(), purpose, provider_message_id])
    return provider_message_id


def state(db, provider_message_id):
    return db.execute("SELECT delivery_state, delivery_error FROM notifications.notifications "
                      "WHERE provider_message_id = %s", [provider_message_id]).fetchone()


def failures(db):
    rows = db.execute(
        "SELECT body FROM notifications.outbox WHERE routing_key = 'message_delivery_failed.v2'").fetchall()
    return [row[0]["payload"] for row in rows]


def twilio_callback(service, form, token=TWILIO_TOKEN):
    url = f"{service.url}/v1/receipts/twilio"
    signature = twilio_signature(token, url, form.items())
    return requests.post(url, data=form, headers={"X-Twilio-Signature": signature})


def test_twilio_receipts_move_forward_once_and_a_failed_acknowledgement_is_told_once(run_service, db):
    notifications = run_service("notifications", sms={"auth_token": TWILIO_TOKEN})
    delivered, failed = sent_message(db), sent_message(db)
    for status in ("sent", "delivered", "sent"):  # a late `sent` does not undo `delivered`
        assert twilio_callback(notifications, {"MessageSid": delivered, "MessageStatus": status}).status_code == 204
    for _ in range(2):  # Twilio retries a callback it thinks failed
        twilio_callback(notifications, {"MessageSid": failed, "MessageStatus": "undelivered", "ErrorCode": "30003"})

    assert state(db, delivered) == ("delivered", None)
    assert state(db, failed) == ("failed", "30003")
    [event] = failures(db)
    assert (event["purpose"], event["channel"], event["error_code"]) == ("acknowledgement", "sms", "30003")

    forged = twilio_callback(notifications, {"MessageSid": delivered, "MessageStatus": "failed"}, token="guess")
    assert (forged.status_code, forged.json()["error"]["code"]) == (403, "invalid_signature")
    assert state(db, delivered) == ("delivered", None)
    text = requests.get(notifications.metrics_url).text
    assert metric_value(text, "cfm_notifications_delivery_receipts_total", provider="twilio", state="failed",
                        outcome="unchanged") == 1
    assert delivered not in text and "GN-2026" not in text


def test_whatsapp_statuses_update_messages_and_an_unsigned_webhook_is_refused(run_service, db):
    notifications = run_service("notifications", receipts={"whatsapp_app_secret": APP_SECRET})
    read, failed = sent_message(db, provider_message_id="wamid.READ"), sent_message(db, purpose="status_reply")
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {"statuses": [
            {"id": read, "status": "read", "timestamp": "1764230400", "recipient_id": "224622987654"},
            {"id": failed, "status": "failed", "timestamp": "1764230401", "recipient_id": "224622987654",
             "errors": [{"code": 131026, "title": "Message undeliverable"}]},
            {"id": "wamid.NOT-OURS", "status": "delivered", "timestamp": "1764230402", "recipient_id": "1"}]}}]}]})
    url = f"{notifications.url}/v1/receipts/whatsapp"
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()

    unsigned = requests.post(url, data=body, headers={"Content-Type": "application/json"})
    assert (unsigned.status_code, state(db, read)) == (403, (None, None))
    answer = requests.post(url, data=body, headers={"Content-Type": "application/json",
                                                    "X-Hub-Signature-256": signature})
    assert answer.status_code == 200
    assert state(db, read) == ("read", None)
    assert state(db, failed) == ("failed", "131026")
    assert [event["purpose"] for event in failures(db)] == ["status_reply"]
