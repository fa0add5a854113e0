"""Pure rules of referrals: which partner, by when, and what may be shared."""
from datetime import datetime, timedelta

PARTNER_RESPONSE_TIME = timedelta(hours=48)
EMERGENCY_RESPONSE_TIME = timedelta(hours=1)
THREAT_TO_LIFE = 9


def choose_partner(partners, category_code: int | None) -> str | None:
    """The first partner configured for the category; None leaves routing to a focal point."""
    for partner in partners:
        if category_code in partner.categories:
            return partner.id
    return None


def respond_by(created_at: datetime, emergency: bool) -> datetime:
    return created_at + (EMERGENCY_RESPONSE_TIME if emergency else PARTNER_RESPONSE_TIME)


def may_share_contact(consented: bool, category_code: int | None) -> bool:
    """Partners get the contact only with consent, except when a life is threatened."""
    return consented or category_code == THREAT_TO_LIFE
