"""Typed settings, read once at start-up.

Layers, last wins: config/platform.yml (shared), services/<name>/config.yml,
then environment variables `CFM__SECTION__KEY=value`. A value written as a
JSON object or list (`{...}`, `[...]`) is read as JSON and `null` as no value;
any other value stays text and the settings model converts it (so a secret made of digits stays a
secret, not a number). Nothing else in the code base reads os.environ.

Mistakes stop the service with a `SettingsError` that names the setting and
never prints a value: a section no service knows (`CFM__DATABSE__URL`), an
unknown key inside a section, a value of the wrong type. Outside development
(`CFM__ENVIRONMENT=production`) every secret must come from the environment:
one that is empty or equal to a value of the config files (the development
secrets) is refused.
"""
import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar, Iterator, Literal, Mapping, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "CFM__"


class SettingsError(ValueError):
    """The settings cannot start a service; the message names settings, never their values."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class DatabaseSettings(Section):
    url: str
    pool_min: int = 1
    pool_max: int = 10


class AmqpSettings(Section):
    uri: str
    max_workers: int = 10
    # A dead connection is noticed within about two heartbeats, even without a word from the broker.
    heartbeat_seconds: int = Field(20, ge=1)
    # An RPC call gives up after this long: its request or reply may have been lost with a connection.
    rpc_timeout_seconds: float = Field(30, gt=0)
    # /health/live fails when the consumer's loop has not moved for this long (a wedged process).
    stall_seconds: float = Field(60, gt=0)
    # The consumer's loop waits this long at most for a message before it looks whether it must stop:
    # stopping a service takes about this long per consumer (the tests, which stop services all day, set less).
    poll_seconds: float = Field(1.0, gt=0, le=5)


class HttpSettings(Section):
    host: str = "127.0.0.1"
    port: int
    max_body_bytes: int = 64 * 1024
    # Guards of the server layer (chassis/server.py) against slow and greedy clients.
    header_timeout_seconds: float = Field(10, gt=0, description="Request line and headers must arrive within this")
    body_timeout_seconds: float = Field(10, gt=0, description=(
        "The whole body must arrive within this, plus its length at min_body_bytes_per_second"))
    # A clerk's 2 MB box file over a 2G link takes minutes: a large body gets the time its size needs
    # at this rate. The wait costs no worker, so it need not be short; it only has to end.
    min_body_bytes_per_second: int = Field(4096, gt=0)
    max_connections_per_address: int = Field(32, ge=1, description="Open connections one client address may hold")
    trusted_proxies: list[str] = Field(default_factory=list, description=(
        "The platform's own reverse proxies (addresses or networks, 10.0.0.0/8): exempt from the connection "
        "cap, and the only peers whose X-Forwarded-For is believed"))
    # Prometheus's /metrics is served on this port only, never on `port` (chassis.server.MetricsServer).
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"


class ElasticsearchSettings(Section):
    url: str
    index_prefix: str = "cfm"


class AuthSettings(Section):
    """How tokens are verified: against identity's public keys, never a shared secret."""

    jwks_url: str | None = "http://127.0.0.1:8006/.well-known/jwks.json"
    jwks: dict | None = None                # public keys given inline instead of fetched (tests, air-gapped sites)
    issuer: str = "cfm-platform"
    audience: str = "cfm"
    # Identity issues access tokens of 15 minutes: a token claiming to live longer was not made by it.
    max_token_lifetime: timedelta = Field(timedelta(minutes=15), le=timedelta(minutes=15))
    revocations_url: str | None = "http://127.0.0.1:8006/v1/ended-sessions"
    revocations_refresh_seconds: float = 5


class TracingSettings(Section):
    exporter: Literal["file", "otlp", "none"] = "file"
    file_dir: str = "var/traces"
    otlp_endpoint: str = "http://127.0.0.1:4318/v1/traces"


class ConsumerSettings(Section):
    """How a failing event handler is retried before its message is parked."""

    attempts: int = Field(4, ge=1)
    first_backoff_seconds: float = 0.2
    outbox_poll_seconds: float = 1.0


class LoggingSettings(Section):
    level: str = "INFO"


class RetentionPeriods(Section):
    """Days each kind of data is kept; `None` keeps it forever. The service that applies each kind is
    named; a service ignores the kinds it does not keep."""

    outbox_published: int | None = Field(7, ge=0, description=(
        "every service: an event the broker confirmed; kept a week for an operator to look at"))
    processed_messages: int | None = Field(14, ge=0, description=(
        "every service: ids of consumed messages, the guard against a redelivery; a broker or a "
        "replayed parked message redelivers within days, not weeks (one period for every country: "
        "the ids carry none)"))
    provider_payloads: int | None = Field(30, ge=0, description=(
        "intake: what a provider sent beside the message (its message id and the receipt answered to "
        "its retries, Mailgun tokens); providers retry for hours (Mailgun 8 h)"))
    closed_cases: int | None = Field(730, ge=0, description=(
        "cases: an ordinary case closed this long ago is anonymised (24 months): it stays a statistic "
        "(country, channel, category, dates) while its texts and contact link are removed"))
    whatsapp_sessions: int | None = Field(2, ge=0, description=(
        "notifications: when each contact last wrote on WhatsApp, which opens the 24-hour reply window; "
        "one period for every country (the rows carry none)"))
    appointment_reminders: int | None = Field(30, ge=0, description=(
        "notifications: what an appointment's reminder needs, this long after the appointment"))
    closed_sensitive_cases: int | None = Field(1825, ge=0, description=(
        "cases: the same for a sensitive case; set it to the protection partner's retention period "
        "(the referral agreement's figure; 5 years by default)"))


class RetentionSettings(Section):
    enabled: bool = True
    run_seconds: float = Field(3600, gt=0, description="How often the retention job runs")
    batch_size: int = Field(500, ge=1, description="Rows per transaction, so a run never holds long locks")
    periods: RetentionPeriods = RetentionPeriods()
    countries: dict[str, dict[str, int | None]] = Field(default_factory=dict, description=(
        "By country code, the periods that differ from `periods` there, e.g. GN: {closed_cases: 365}"))

    @field_validator("countries")
    @classmethod
    def _known_kinds(cls, countries: dict[str, dict[str, int | None]]):
        for country, periods in countries.items():
            for kind, days in periods.items():
                if kind not in RetentionPeriods.model_fields:
                    raise ValueError(f"retention.countries.{country}: unknown kind '{kind}'")
                if days is not None and days < 0:
                    raise ValueError(f"retention.countries.{country}.{kind}: a period is 0 days or more")
        return countries

    def days(self, kind: str, country: str | None) -> int | None:
        """The period of `kind` in `country` (None: the platform-wide period)."""
        overrides = self.countries.get(country, {}) if country else {}
        return overrides[kind] if kind in overrides else getattr(self.periods, kind)


class CountrySettings(Section):
    name: str
    timezone: str
    languages: list[str]


class ServiceSettings(Section):
    """What every service has; a service subclasses it for its own sections.

    A section another service knows is ignored, so one environment can
    configure every service (the sms section means nothing to intake); a
    section no service knows, or an unknown key inside a section, is an error."""

    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)

    # Dotted paths whose value, when the environment gives it whole as JSON, replaces what the files
    # say instead of merging into it (a key ring from the environment must not keep the development key).
    replaced_whole: ClassVar[tuple[str, ...]] = ()
    # Dotted paths that outside development must be given by the environment, not taken from the files.
    explicit_outside_development: ClassVar[tuple[str, ...]] = ()

    service: str
    environment: Literal["development", "staging", "production"] = "development"
    database: DatabaseSettings
    amqp: AmqpSettings
    http: HttpSettings
    elasticsearch: ElasticsearchSettings
    auth: AuthSettings
    tracing: TracingSettings = TracingSettings()
    consumer: ConsumerSettings = ConsumerSettings()
    logging: LoggingSettings = LoggingSettings()
    countries: dict[str, CountrySettings]
    retention: RetentionSettings = RetentionSettings()  # chassis/retention.py

    @property
    def schema(self) -> str:
        """The PostgreSQL schema this service owns."""
        return self.service

    def nameko_config(self) -> dict[str, Any]:
        return {
            "AMQP_URI": self.amqp.uri,
            "WEB_SERVER_ADDRESS": f"{self.http.host}:{self.http.port}",
            "max_workers": self.amqp.max_workers,
            "HEARTBEAT": self.amqp.heartbeat_seconds,
            "SETTINGS": self,
        }


S = TypeVar("S", bound=ServiceSettings)


class _Whole(dict):
    """A mapping given whole, as one JSON value: where the model says so it replaces what the files say."""


def _deep_merge(base: dict, overlay: Mapping, replaced: tuple[str, ...] = (), at: str = "") -> dict:
    merged = dict(base)
    for key, value in overlay.items():
        path = f"{at}.{key}" if at else key
        whole = isinstance(value, _Whole) and path in replaced
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict) and not whole:
            merged[key] = _deep_merge(merged[key], value, replaced, path)
        else:
            merged[key] = value
    return merged


def _env_value(raw: str) -> Any:
    """JSON for objects and lists, `null` for no value; everything else stays text for the model
    to convert."""
    if raw.strip() == "null":
        return None
    if raw.lstrip()[:1] in ("{", "["):
        try:
            value = json.loads(raw)
        except ValueError:
            return raw
        return _Whole(value) if isinstance(value, dict) else value
    return raw


def _env_overrides(environ: Mapping[str, str]) -> tuple[dict, dict[str, str]]:
    """The environment's layer, and the variable each top-level section came from."""
    overrides: dict = {}
    sources: dict[str, str] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        path = [part.lower() for part in name[len(ENV_PREFIX):].split("__")]
        sources.setdefault(path[0], name)
        node = overrides
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise SettingsError(f"{name}: {'.'.join(path[:-1])} is given both whole and by its keys")
        node[path[-1]] = _env_value(raw)
    return overrides, sources


def _sections_of_every_service() -> set[str]:
    from chassis.services import SERVICES, load_service

    return {name for service in SERVICES for name in load_service(service)[1].model_fields}


def _check_sections(model: type[ServiceSettings], layers: dict[str, dict], env_sources: dict[str, str]) -> None:
    unknown = {(origin, section) for origin, layer in layers.items() for section in layer
               if section not in model.model_fields}
    if unknown:
        every = _sections_of_every_service()
        for origin, section in sorted(unknown):
            if section not in every:
                where = env_sources.get(section, origin) if origin == "environment" else origin
                raise SettingsError(f"{where}: unknown settings section '{section}' (a typo?)")


def _describe(error: dict) -> str:
    path = ".".join(str(part) for part in error["loc"])
    return f"{path}: {error['msg']}" if path else error["msg"]


def _secrets(value: Any, path: str = "") -> Iterator[tuple[str, str, SecretStr]]:
    """(path, the setting to set it by, secret) of every secret in `value`; a secret inside a
    mapping (a key ring) is set with its mapping."""
    if isinstance(value, SecretStr):
        yield path, path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _secrets(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            for inner, setting, secret in _secrets(item, f"{path}.{key}"):
                yield inner, path if isinstance(item, SecretStr) else setting, secret
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _secrets(item, f"{path}.{index}")


def _text_leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _text_leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _text_leaves(item)


def _given(layer: Mapping, path: str) -> bool:
    node: Any = layer
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def _development_secrets(settings: ServiceSettings, file_layers: list[dict], given_layers: list[dict]) -> list[str]:
    """What keeps `settings` from running outside development: secrets that are empty or are
    development values (any text the config files hold), and settings that must be explicit."""
    development_values = {text for layer in file_layers for text in _text_leaves(layer)}
    problems = []
    for path, setting, secret in _secrets(settings):
        value = secret.get_secret_value()
        if not value.strip():
            problems.append(f"{path} is empty (set {env_name(setting)})")
        elif value in development_values:
            problems.append(f"{path} is a development value or not set (set {env_name(setting)})")
    for path in type(settings).explicit_outside_development:
        if not any(_given(layer, path) for layer in given_layers):
            problems.append(f"{path} must be set explicitly (set {env_name(path)})")
    return problems


def env_name(path: str) -> str:
    return ENV_PREFIX + path.upper().replace(".", "__")


def load_settings(
    model: type[S], service: str, *, overrides: Mapping | None = None,
    environ: Mapping[str, str] | None = None, require_secrets: bool = True,
) -> S:
    """Read the settings of `service` into `model`; `overrides` win over everything (tests).
    `require_secrets=False` skips the production secret checks, for tools that use no secret
    (migrations need the database and broker only)."""
    files = {
        "config/platform.yml": yaml.safe_load((ROOT / "config" / "platform.yml").read_text()) or {},
        f"services/{service}/config.yml":
            yaml.safe_load((ROOT / "services" / service / "config.yml").read_text()) or {},
    }
    env, env_sources = _env_overrides(os.environ if environ is None else environ)
    given = {"environment": env, "overrides": dict(overrides or {})}
    _check_sections(model, {**files, **given}, env_sources)
    merged: dict = {"service": service}
    for layer in (*files.values(), *given.values()):
        merged = _deep_merge(merged, layer, model.replaced_whole)
    try:
        settings = model.model_validate(merged)
    except ValidationError as exc:
        details = "; ".join(_describe(error) for error in exc.errors(include_input=False, include_url=False))
        raise SettingsError(f"settings of {service} are not valid: {details}") from None
    if require_secrets and settings.environment != "development":
        problems = _development_secrets(settings, list(files.values()), list(given.values()))
        if problems:
            raise SettingsError(f"{service} refuses to start in {settings.environment}: " + "; ".join(problems))
    return settings
