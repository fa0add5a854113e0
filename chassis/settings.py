"""Typed settings, read once at start-up.

Layers, last wins: config/platform.yml (shared), services/<name>/config.yml,
then environment variables `CFM__SECTION__KEY=value` (values that parse as
JSON are taken as JSON). Nothing else in the code base reads os.environ.
"""
import json
import os
from pathlib import Path
from typing import Any, Literal, Mapping, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr

ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "CFM__"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class HttpSettings(Section):
    host: str = "127.0.0.1"
    port: int
    max_body_bytes: int = 64 * 1024


class ElasticsearchSettings(Section):
    url: str
    index_prefix: str = "cfm"


class AuthSettings(Section):
    jwt_secret: SecretStr
    issuer: str = "cfm-platform"
    audience: str = "cfm"


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


class CountrySettings(Section):
    name: str
    timezone: str
    languages: list[str]


class ServiceSettings(Section):
    """What every service has; a service subclasses it for its own sections.

    Unknown top-level sections are ignored, so one environment can configure
    every service (the sms section means nothing to intake); inside a section,
    an unknown key is an error, which catches typos."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    service: str
    database: DatabaseSettings
    amqp: AmqpSettings
    http: HttpSettings
    elasticsearch: ElasticsearchSettings
    auth: AuthSettings
    tracing: TracingSettings = TracingSettings()
    consumer: ConsumerSettings = ConsumerSettings()
    logging: LoggingSettings = LoggingSettings()
    countries: dict[str, CountrySettings]

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


def _deep_merge(base: dict, overlay: Mapping) -> dict:
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _env_overrides(environ: Mapping[str, str]) -> dict:
    overrides: dict = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        path = [part.lower() for part in name[len(ENV_PREFIX):].split("__")]
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        node = overrides
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return overrides


def load_settings(
    model: type[S], service: str, *, overrides: Mapping | None = None,
    environ: Mapping[str, str] | None = None,
) -> S:
    """Read the settings of `service` into `model`; `overrides` win over everything (tests)."""
    layers = [
        yaml.safe_load((ROOT / "config" / "platform.yml").read_text()) or {},
        yaml.safe_load((ROOT / "services" / service / "config.yml").read_text()) or {},
        _env_overrides(os.environ if environ is None else environ),
        dict(overrides or {}),
    ]
    merged: dict = {"service": service}
    for layer in layers:
        merged = _deep_merge(merged, layer)
    return model.model_validate(merged)
