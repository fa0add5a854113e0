"""Settings of the intake service: the vault, and every channel endpoint it accepts messages on.

An endpoint is one way in that belongs to one country and one channel: an SMS
number, a WhatsApp phone number id, a Kobo form, a suggestion box, an email
address, a hotline. Its id (a config name such as `gn_sms_twilio`) appears in
URLs, events and metric labels; its address (the number, form id or email)
never leaves this file. Secrets are overridden in production by environment
variables, e.g. `CFM__ENDPOINTS__GN_SMS_TWILIO__SECRET`.
"""
from functools import cached_property
from typing import Literal

from pydantic import Field, SecretStr, model_validator

from chassis.envelope import DataKeySettings, TextEnvelope
from chassis.settings import Section, ServiceSettings
from contracts.common import Channel
from services.intake.places import Gazetteer


class VaultSettings(Section):
    active_key_id: str
    keys: dict[str, SecretStr]
    # Key of the blind index (HMAC of a phone or email) that lets one person keep one contact_ref.
    # Unlike the encryption keys it cannot rotate without re-indexing every contact.
    index_key: SecretStr

    @model_validator(mode="after")
    def _active_key_in_the_ring(self):
        if self.active_key_id not in self.keys:
            raise ValueError("active_key_id names no key of the ring (vault.keys)")
        return self


# The wire formats intake understands; each endpoint speaks one.
Provider = Literal["twilio", "whatsapp", "rapidpro", "sms_gateway", "mailgun", "sendgrid", "kobo",
                   "web_form", "suggestion_box", "telephony"]


# The channels each wire format can bring messages on (Kobo forms log any channel).
PROVIDER_CHANNELS: dict[str, set[Channel]] = {
    "twilio": {Channel.SMS, Channel.WHATSAPP}, "whatsapp": {Channel.WHATSAPP},
    "rapidpro": {Channel.SMS, Channel.WHATSAPP}, "sms_gateway": {Channel.SMS},
    "mailgun": {Channel.EMAIL}, "sendgrid": {Channel.EMAIL}, "web_form": {Channel.WEB_FORM},
    "kobo": set(Channel), "suggestion_box": {Channel.SUGGESTION_BOX}, "telephony": {Channel.HOTLINE},
}


class RateLimit(Section):
    requests: int = Field(5, ge=1)
    per_seconds: float = Field(60, gt=0)


class KoboFields(Section):
    """Which question of a Kobo form holds what, by its group path (`group_a/question`)."""

    narrative: str
    adm1: str | None = None
    adm2: str | None = None
    adm3: str | None = None
    place: str | None = None
    sex: str | None = None
    age_group: str | None = None
    disability: str | None = None
    consent_callback: str | None = None
    consent_share: str | None = None
    name: str | None = None
    phone: str | None = None
    language: str | None = None
    channel: str | None = Field(None, description="Question saying how the message came (hotline, box, ...)")


class EndpointSettings(Section):
    provider: Provider
    country: str
    channel: Channel
    address: str | None = Field(None, description=(
        "What the provider names this endpoint by (number, phone_number_id, form id, email); "
        "when set, a message naming another address is refused"))
    secret: SecretStr | None = Field(None, description=(
        "Twilio auth token, WhatsApp app secret, Mailgun signing key, or the shared secret of the others"))
    secret_header: str = "X-CFM-Secret"
    username: str | None = Field(None, description="Basic-auth user name, when the provider uses basic auth")
    verify_token: SecretStr | None = Field(None, description="WhatsApp webhook verification token")
    assume_callback_consent: bool = Field(False, description=(
        "The programme tells people it answers on this channel: writing in counts as agreeing to a reply"))
    rapidpro_result: str | None = Field(None, description=(
        "RapidPro: the flow result (its key, e.g. `complaint`) that holds the person's message, read when "
        "the webhook body has no input text; by default the only result, else all of them"))
    kobo_fields: KoboFields | None = None
    # KoboToolbox writes `_submission_time` in UTC without an offset (kobotoolbox/kpi#3941); `country`
    # is for a server known to write local time.
    kobo_submission_time_zone: Literal["UTC", "country"] = "UTC"

    @model_validator(mode="after")
    def _secrets_where_needed(self):
        if self.channel not in PROVIDER_CHANNELS[self.provider]:
            raise ValueError(f"a {self.provider} endpoint cannot bring {self.channel.value} messages")
        if self.provider not in ("web_form", "suggestion_box") and self.secret is None:
            raise ValueError(f"a {self.provider} endpoint needs a secret")
        if self.provider == "whatsapp" and self.verify_token is None:
            raise ValueError("a whatsapp endpoint needs a verify_token")
        if self.provider == "kobo" and self.kobo_fields is None:
            raise ValueError("a kobo endpoint needs its kobo_fields mapping")
        return self


class ChannelSettings(Section):
    public_base_url: str | None = Field(None, description=(
        "Scheme and host the providers call (https://cfm.example.org) when a proxy sits in front; "
        "Twilio signs the URL it called"))
    repeat_window_hours: float = Field(24, ge=0)
    max_attachments: int = Field(10, ge=0)
    json_body_bytes: int = 64 * 1024
    upload_body_bytes: int = 2 * 1024 * 1024
    email_body_bytes: int = 10 * 1024 * 1024
    max_upload_rows: int = 2000
    signature_max_age_seconds: int = Field(300, description=(
        "Mailgun timestamps older than this are refused, except for a retry of an email already accepted"))
    mailgun_retry_hours: float = Field(9, description=(
        "Mailgun retries a refused webhook for 8 hours; a retry of an accepted email signed this long ago "
        "still gets its first answer (200), so that Mailgun stops"))
    # Per endpoint and client address (ratelimit.py); the proxies believed are `http.trusted_proxies`.
    web_form_rate_limit: RateLimit = RateLimit()


class GazetteerPlace(Section):
    """One place of a country's gazetteer, as OCHA's administrative boundaries (COD-AB) list them."""

    code: str = Field(description="p-code, e.g. GN-D for the Kindia region")
    name: str = Field(description="The name shown in the search index and in reports")
    level: Literal["adm1", "adm2", "site"]
    parent: str | None = Field(None, description="p-code of the place it lies in (none for a region)")
    spellings: list[str] = Field(default_factory=list, description="Other ways people write it")


class ExportSettings(Section):
    """The export of everything held about one contact (services/intake/rights.py)."""

    cases_url: str = Field("http://127.0.0.1:8002", description=(
        "cases' API, asked with the exporting person's own token for the cases' references and statuses"))
    timeout_seconds: float = Field(10, gt=0)


class ConsentSettings(Section):
    """Consent withdrawal by SMS (services/intake/consent.py)."""

    stop_words: list[str] = Field(["STOP", "ARRET", "STOP ALL"], description=(
        "Words that withdraw consent in every country (case, accents, spacing and punctuation do not matter)"))
    national_stop_words: dict[str, list[str]] = Field(default_factory=dict, description=(
        "By country code, the words of its national languages that do the same; only words the country "
        "office checked with speakers of each language"))
    confirm: dict[str, bool] = Field(default_factory=dict, description=(
        "By country code: send one SMS confirming that no more messages will come"))

    def stop_words_of(self, country: str) -> list[str]:
        return [*self.stop_words, *self.national_stop_words.get(country, [])]


AnswerWords = dict[Literal["yes", "no", "cancel"], list[str]]


class AnswerSettings(Section):
    """Bare keyword answers to the platform's questions (services/intake/answers.py)."""

    words: dict[str, AnswerWords] = Field(default_factory=lambda: {
        "fr": {"yes": ["1", "OUI"], "no": ["2", "NON"], "cancel": ["ANNULER"]},
        "en": {"yes": ["1", "YES"], "no": ["2", "NO"], "cancel": ["CANCEL"]}}, description=(
        "By language, the words that answer yes, no or cancel in every country (case, accents, spacing and "
        "punctuation do not matter)"))
    national_words: dict[str, dict[str, AnswerWords]] = Field(default_factory=dict, description=(
        "By country code and language, the words of its national languages that do the same"))

    def words_of(self, country: str) -> dict[str, AnswerWords]:
        return {**self.words, **self.national_words.get(country, {})}


class IntakeSettings(ServiceSettings):
    # A key ring or endpoint list from the environment replaces the development one: no development
    # key stays in the ring, no development endpoint stays open.
    replaced_whole = ("vault.keys", "endpoints", "data_keys.keys")
    explicit_outside_development = ("vault.active_key_id", "data_keys.active_key_id")

    vault: VaultSettings
    data_keys: DataKeySettings  # master keys of the narratives' per-case data keys (chassis/envelope.py)
    channels: ChannelSettings = ChannelSettings()
    endpoints: dict[str, EndpointSettings] = Field(default_factory=dict)
    export: ExportSettings = ExportSettings()
    consent: ConsentSettings = ConsentSettings()
    answers: AnswerSettings = AnswerSettings()
    gazetteer: dict[str, list[GazetteerPlace]] = Field(default_factory=dict, description=(
        "By country code, the places a typed location is matched to; anything else is `other`"))

    @cached_property
    def text_envelope(self) -> TextEnvelope:
        return TextEnvelope.from_settings(self.data_keys)

    @cached_property
    def gazetteers(self) -> dict[str, Gazetteer]:
        """Every configured country's gazetteer (an empty one where none is configured)."""
        return {country: Gazetteer(self.gazetteer.get(country, [])) for country in self.countries}

    @model_validator(mode="after")
    def _gazetteer_parents_exist(self):
        for country, places in self.gazetteer.items():
            codes = {place.code for place in places}
            for place in places:
                if (place.parent is None) != (place.level == "adm1") or (place.parent and place.parent not in codes):
                    raise ValueError(f"gazetteer {country}: {place.code} needs a parent in the gazetteer, "
                                     "and only a region has none")
        return self

    @model_validator(mode="after")
    def _endpoints_in_configured_countries(self):
        for endpoint_id, endpoint in self.endpoints.items():
            if endpoint.country not in self.countries:
                raise ValueError(f"endpoint {endpoint_id}: country {endpoint.country} is not configured")
        return self
