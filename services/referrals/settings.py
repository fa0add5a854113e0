"""Settings of the referrals service."""
from datetime import timedelta

from pydantic import Field

from chassis.settings import Section, ServiceSettings


class PartnerSettings(Section):
    id: str
    name: str
    categories: list[int]


class ResponseSettings(Section):
    """How long a partner has to accept or decline, and how often overdue referrals are looked for."""

    partner: timedelta = timedelta(hours=48)
    emergency: timedelta = timedelta(hours=1)
    overdue_scan_seconds: float = Field(60, gt=0)


class ReferralsSettings(ServiceSettings):
    partners: dict[str, list[PartnerSettings]] = {}
    response: ResponseSettings = ResponseSettings()
    # An accepted referral with no outcome after this many days reminds a focal point (outcomes.py).
    outcome_due_days: int = Field(30, ge=0)
