"""Events published on the bus, one model per type and version.

Personal data rule: events carry a `contact_ref` into intake's vault, never a
name, phone number or email. The narrative is the message itself and travels
only to the services that handle the case.
"""
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from contracts.common import CaseReference, Channel, Consent, LanguageTag
from contracts.envelope import EventPayload

Narrative = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
CategoryCode = Annotated[int, Field(ge=1, le=99, description="Category code of the country's taxonomy")]


class FeedbackReceived(EventPayload):
    """intake recorded a message from a person, on any channel."""

    event_type: ClassVar[str] = "feedback_received"
    event_version: ClassVar[int] = 1

    feedback_id: UUID
    reference: CaseReference
    channel: Channel
    language: LanguageTag | None = None
    narrative: Narrative
    received_at: AwareDatetime
    contact_ref: UUID | None = Field(None, description="Contact in intake's vault; None when anonymous")
    consent: Consent = Consent()
    submitted_by: str | None = Field(None, description="Subject of the staff member who entered it")


class CaseOpened(EventPayload):
    """cases opened a case for a feedback message."""

    event_type: ClassVar[str] = "case_opened"
    event_version: ClassVar[int] = 1

    case_id: UUID
    reference: CaseReference
    feedback_id: UUID
    channel: Channel
    language: LanguageTag | None = None
    narrative: Narrative
    received_at: AwareDatetime
    opened_at: AwareDatetime
    category_code: CategoryCode | None = Field(None, description="Suggested category, before a human confirms")
    sensitive: bool
    restricted: bool = Field(description="Visible to focal points only")
    sensitivity_reasons: list[str] = Field(default_factory=list, description="Names of the rules that matched")
    priority: Literal["emergency", "high", "normal"]
    deadline_kind: Literal["acknowledge", "refer"]
    deadline_at: AwareDatetime
    contact_ref: UUID | None = None
    consent: Consent = Consent()


class ReferralCreated(EventPayload):
    """referrals referred a sensitive case to a protection partner."""

    event_type: ClassVar[str] = "referral_created"
    event_version: ClassVar[int] = 1

    referral_id: UUID
    case_id: UUID
    reference: CaseReference
    partner_id: str | None = Field(description="None when no partner is configured: a focal point must route it")
    category_code: CategoryCode | None = None
    emergency: bool
    share_contact: bool = Field(description="Consent given, or a threat to life")
    created_at: AwareDatetime
    respond_by: AwareDatetime


class NotificationSent(EventPayload):
    """notifications sent a message back to a complainant."""

    event_type: ClassVar[str] = "notification_sent"
    event_version: ClassVar[int] = 1

    notification_id: UUID
    case_id: UUID
    reference: CaseReference
    purpose: Literal["acknowledgement"]
    channel: Literal["sms"]
    language: LanguageTag
    sent_at: AwareDatetime
    provider_message_id: str
