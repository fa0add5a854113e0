"""Settings of the notifications service."""
from pydantic import SecretStr

from chassis.settings import Section, ServiceSettings


class SmsSettings(Section):
    base_url: str
    account_sid: str
    auth_token: SecretStr
    senders: dict[str, str]
    timeout_seconds: float = 10


class AlertRecipient(Section):
    """A supervisor on duty, known in records by `id`; the phone stays in configuration."""

    id: str
    phone: str


class AlertSettings(Section):
    # Per country. Production sets them from the environment, e.g.
    # CFM__ALERTS__RECIPIENTS='{"GN": [{"id": "gn-duty-1", "phone": "+224..."}]}'
    recipients: dict[str, list[AlertRecipient]] = {}


class NotificationsSettings(ServiceSettings):
    sms: SmsSettings
    alerts: AlertSettings = AlertSettings()
