"""Settings of the referrals service."""
from chassis.settings import Section, ServiceSettings


class PartnerSettings(Section):
    id: str
    name: str
    categories: list[int]


class ReferralsSettings(ServiceSettings):
    partners: dict[str, list[PartnerSettings]] = {}
