"""Settings of the notifications service."""
from pydantic import SecretStr

from chassis.settings import Section, ServiceSettings


class SmsSettings(Section):
    base_url: str
    account_sid: str
    auth_token: SecretStr
    senders: dict[str, str]
    timeout_seconds: float = 10


class NotificationsSettings(ServiceSettings):
    sms: SmsSettings
