"""Settings of the notifications service."""
from datetime import time

from pydantic import Field, SecretStr, model_validator

from chassis.settings import Section, ServiceSettings
from services.notifications.reply_templates import RepliesSettings


class SmsSettings(Section):
    base_url: str
    account_sid: str
    auth_token: SecretStr
    senders: dict[str, str]
    timeout_seconds: float = 10
    # Complainants are texted only at numbers starting with one of their country's prefixes (E.164,
    # e.g. {"GN": ["+224"]}); a country without a list texts no complainant. Staff alerts are exempt
    # (their numbers come from this configuration, not from a message).
    allowed_prefixes: dict[str, list[str]] = {}
    daily_limit_per_contact: int = Field(5, ge=0, description=(
        "At most this many SMS (acknowledgements and status replies) to one contact in 24 hours"))


class AlertRecipient(Section):
    """A supervisor on duty, known in records by `id`; the phone stays in configuration."""

    id: str
    phone: str


class AlertSettings(Section):
    # Per country. Production sets them from the environment, e.g.
    # CFM__ALERTS__RECIPIENTS='{"GN": [{"id": "gn-duty-1", "phone": "+224..."}]}'
    recipients: dict[str, list[AlertRecipient]] = {}


class ReceiptSettings(Section):
    """Delivery receipts' endpoints. Twilio signs its status callbacks with the account's auth token
    (sms.auth_token) over the URL it called: behind a proxy, `public_base_url` is that URL's start."""

    public_base_url: str | None = None
    whatsapp_app_secret: SecretStr | None = Field(None, description=(
        "The Meta app secret that signs WhatsApp webhooks (X-Hub-Signature-256); none: the endpoint refuses all"))


class WhatsAppSettings(Section):
    """WhatsApp Cloud API (Meta's Graph API): POST {base_url}/{api_version}/{phone number id}/messages with
    the system user's access token. A country without a phone number id sends no WhatsApp reply."""

    base_url: str = "https://graph.facebook.com"
    api_version: str = "v21.0"
    access_token: SecretStr | None = None
    phone_number_ids: dict[str, str] = {}
    timeout_seconds: float = 10


class AppointmentMessageSettings(Section):
    """Messages about appointments at a reception centre (appointments.py)."""

    reminder_time: time = Field(time(10, 0), description="The day before the appointment, on the country's clock")
    scan_seconds: float = Field(60, gt=0, description="How often the timer looks for reminders due")


class ClockSettings(Section):
    """`offset_seconds` moves this service's clock, for tests and demos only (a test stands on the day
    before an appointment); refused outside development."""

    offset_seconds: float = 0
class SatisfactionSettings(Section):
    """The question asked after a case is closed (services/notifications/handlers.py `ask_satisfaction`). The
    answer words ("1"/"OUI", "2"/"NON") are intake's (`answers` in its config): the texts must name them."""

    questions: dict[str, str] = Field(default_factory=lambda: {
        "fr": "Votre dossier {reference} est clôturé. Êtes-vous satisfait(e) de la réponse ? "
              "Répondez 1 pour OUI, 2 pour NON.",
        "en": "Your case {reference} is closed. Are you satisfied with the answer? Reply 1 for YES, 2 for NO."},
        description="By language, the question; {reference} is the case's reference")


class NotificationsSettings(ServiceSettings):
    sms: SmsSettings
    alerts: AlertSettings = AlertSettings()
    receipts: ReceiptSettings = ReceiptSettings()
    whatsapp: WhatsAppSettings = WhatsAppSettings()
    replies: RepliesSettings = RepliesSettings()
    appointments: AppointmentMessageSettings = AppointmentMessageSettings()
    clock: ClockSettings = ClockSettings()

    @model_validator(mode="after")
    def _clock_moves_in_development_only(self):
        if self.clock.offset_seconds and self.environment != "development":
            raise ValueError("clock.offset_seconds is for development and tests only")
        return self
    satisfaction: SatisfactionSettings = SatisfactionSettings()
