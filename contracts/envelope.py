"""The envelope every event travels in, and the registry of event payloads.

An event on the bus is an `Envelope` whose `payload` is one of the registered
`EventPayload` models. Its routing key is `<type>.v<version>`, so a breaking
change (a new version) can be published beside the old one while consumers
move over (see VERSIONING.md).

Tolerant readers, strict writers: a producer builds its payload from the
model, which refuses a field it does not declare; a consumer reading an
envelope ignores fields it does not know (in the envelope and at any depth of
the payload), so a producer that adds an optional field can be deployed
before its consumers.
"""
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar
from uuid import UUID, uuid4

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints, field_validator

from contracts.common import Contract, CountryCode

_PAYLOADS: dict[tuple[str, int], type["EventPayload"]] = {}


class UnknownEventType(ValueError):
    """The envelope names an event type and version no contract describes."""


class EventPayload(Contract):
    """Base of every event payload. Subclasses name their type and version."""

    event_type: ClassVar[str]
    event_version: ClassVar[int]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if getattr(cls, "event_type", None) is None:
            return  # a base holding fields shared by several events, never published itself
        key = (cls.event_type, cls.event_version)
        if key in _PAYLOADS:
            raise TypeError(f"event {key} is registered twice")
        _PAYLOADS[key] = cls

    @classmethod
    def routing_key(cls) -> str:
        return f"{cls.event_type}.v{cls.event_version}"

    def also_published_as(self) -> list["EventPayload"]:
        """The same fact in the older versions still published beside this one (VERSIONING.md:
        a breaking change is published in both versions until no consumer reads the old one).
        A new version overrides this to return the old version's payload."""
        return []


def payload_model(event_type: str, version: int) -> type[EventPayload]:
    try:
        return _PAYLOADS[(event_type, version)]
    except KeyError:
        raise UnknownEventType(f"no contract for event {event_type} v{version}") from None


def event_types() -> list[type[EventPayload]]:
    return sorted(_PAYLOADS.values(), key=lambda model: (model.event_type, model.event_version))


class Envelope(Contract):
    # Only `Envelope.wrap` writes envelopes; a reader ignores envelope fields a newer producer adds.
    model_config = ConfigDict(frozen=True, extra="ignore")

    message_id: UUID = Field(description="Unique per message; consumers use it to drop redeliveries")
    type: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    version: int = Field(ge=1)
    occurred_at: AwareDatetime = Field(description="When the fact happened, in UTC")
    country: CountryCode
    correlation_id: UUID = Field(description="Shared by every message caused by one original request")
    causation_id: UUID | None = Field(None, description="message_id of the message that caused this one")
    producer: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    payload: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @classmethod
    def wrap(
        cls, payload: EventPayload, *, country: str, producer: str, correlation_id: UUID,
        causation_id: UUID | None = None, occurred_at: datetime | None = None,
    ) -> "Envelope":
        return cls(
            message_id=uuid4(),
            type=payload.event_type,
            version=payload.event_version,
            occurred_at=occurred_at or datetime.now(UTC),
            country=country,
            correlation_id=correlation_id,
            causation_id=causation_id,
            producer=producer,
            payload=payload.model_dump(mode="json"),
        )

    @property
    def routing_key(self) -> str:
        return f"{self.type}.v{self.version}"

    def open(self) -> EventPayload:
        """The payload as its contract model, without the fields the model does not know (a newer
        producer's additions); raises if the type is unknown or a known field is invalid."""
        return payload_model(self.type, self.version).model_validate(self.payload, extra="ignore")
