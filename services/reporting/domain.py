"""Pure rules of reporting: what of a case may enter the search index.

The index is pseudonymised by construction: it never receives a name, phone
number or email, free text is scrubbed of phone numbers, emails and identity
numbers, and a restricted (sensitive) case is indexed without its narrative.
"""
import re

from contracts.envelope import Envelope
from contracts.events import CaseOpened, NotificationSent, ReferralCreated

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Seven or more digits, allowing spaces, dots and dashes between groups, with an optional +.
PHONE = re.compile(r"\+?\d[\d .\-]{5,}\d")
ID_NUMBER = re.compile(r"\b[A-Z]{1,3}\d{6,}\b")


def scrub(text: str) -> str:
    text = EMAIL.sub("[email]", text)
    text = ID_NUMBER.sub("[id]", text)
    return PHONE.sub("[phone]", text)


def case_opened_document(case: CaseOpened, envelope: Envelope) -> dict:
    return {
        "case_id": str(case.case_id), "reference": case.reference, "country": envelope.country,
        "channel": case.channel.value, "language": case.language, "category_code": case.category_code,
        "sensitive": case.sensitive, "restricted": case.restricted, "priority": case.priority,
        "received_at": case.received_at.isoformat(), "opened_at": case.opened_at.isoformat(),
        "deadline_kind": case.deadline_kind, "deadline_at": case.deadline_at.isoformat(),
        "has_contact": case.contact_ref is not None,
        "narrative": None if case.restricted else scrub(case.narrative),
    }


def referral_fields(referral: ReferralCreated) -> dict:
    return {"referred_at": referral.created_at.isoformat(), "partner_id": referral.partner_id,
            "status": "referred"}


def acknowledgement_fields(notification: NotificationSent) -> dict:
    return {"acknowledged_at": notification.sent_at.isoformat()}


def timeline_entry(envelope: Envelope, case_id: str | None, reference: str | None) -> dict:
    """One event of the platform's history, without its payload."""
    return {"message_id": str(envelope.message_id), "type": envelope.type, "version": envelope.version,
            "occurred_at": envelope.occurred_at.isoformat(), "country": envelope.country,
            "producer": envelope.producer, "correlation_id": str(envelope.correlation_id),
            "case_id": case_id, "reference": reference}
