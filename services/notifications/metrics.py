"""notifications' metrics. Labels are purposes and reason codes, never a phone number or a contact."""
from prometheus_client import Counter

SMS_WITHHELD = Counter(
    "cfm_notifications_sms_withheld", "SMS to complainants not sent on purpose, by reason", ["purpose", "reason"])

DELIVERY_RECEIPTS = Counter(
    "cfm_notifications_delivery_receipts", "Delivery receipts from providers, by provider, state and outcome "
    "(applied, unchanged: a repeat or a late receipt, unknown_message)", ["provider", "state", "outcome"])
