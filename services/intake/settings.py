"""Settings of the intake service."""
from pydantic import SecretStr

from chassis.settings import Section, ServiceSettings


class VaultSettings(Section):
    active_key_id: str
    keys: dict[str, SecretStr]


class IntakeSettings(ServiceSettings):
    vault: VaultSettings
