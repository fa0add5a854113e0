"""Pure rules of referrals: by when, and what may be shared (which partner: directory.py)."""
from datetime import datetime, timedelta

THREAT_TO_LIFE = 9
# What a listing may ask for; "overdue" is a referral still awaiting its partner after respond_by.
LISTED_STATUSES = ("sent", "needs_routing", "accepted", "declined", "overdue", "rerouted", "withdrawn")
# A focal point may send a case to another partner unless its partner took it (or it was re-routed already).
REROUTABLE_STATUSES = ("sent", "needs_routing", "declined")


def is_partner(partners, partner_id: str) -> bool:
    return any(partner.id == partner_id for partner in partners)


def may_reroute(status: str) -> bool:
    return status in REROUTABLE_STATUSES


def respond_by(created_at: datetime, emergency: bool, partner_time: timedelta, emergency_time: timedelta) -> datetime:
    return created_at + (emergency_time if emergency else partner_time)


def may_share_contact(consented: bool, category_code: int | None) -> bool:
    """Partners get the contact only with consent, except when a life is threatened."""
    return consented or category_code == THREAT_TO_LIFE


def awaits_answer(status: str) -> bool:
    """Only a referral sent to a partner and not yet answered can be accepted or declined."""
    return status == "sent"
