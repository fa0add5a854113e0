"""Settings of the referrals service."""
from datetime import timedelta

from pydantic import Field

from chassis.settings import Section, ServiceSettings


class PartnerSettings(Section):
    """A partner of the country's directory: what routing and focal points need to know of it."""

    id: str
    name: str
    categories: list[int]
    services: list[str] = []        # what it offers, e.g. medical, psychosocial, legal, shelter
    areas: list[str] = []           # regions (adm1) it works in; none: the whole country
    languages: list[str] = []       # languages its staff speak with the people referred
    contact_hours: str | None = None
    focal_person: str | None = None  # who at the partner answers for referrals (a role or a name)
    # Texted (through notifications) with the reference of every emergency referral. The numbers in
    # config.yml are development ones (they reach tools/sms_sink.py); production sets its own.
    on_duty_phone: str | None = Field(None, pattern=r"^\+[1-9][0-9]{6,14}$")


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
