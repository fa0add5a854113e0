"""Bodies of the HTTP API: requests accepted and responses given."""
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from contracts.common import CaseReference, Channel, Consent, ContactDetails, Contract, CountryCode, LanguageTag
from contracts.events import CategoryCode, DeclineReason, DeadlineKind, Narrative


class FeedbackSubmission(Contract):
    """POST /v1/feedback: a message entered by an agent or sent from the web form."""

    country: CountryCode
    channel: Channel
    language: LanguageTag | None = None
    narrative: Narrative
    contact: ContactDetails | None = Field(None, description="Omit for an anonymous message")
    consent: Consent = Consent()
    received_at: AwareDatetime | None = Field(None, description="When the person spoke; defaults to now")


class FeedbackAccepted(Contract):
    feedback_id: UUID
    reference: CaseReference
    status: str = "received"


class ErrorDetail(Contract):
    field: str | None = None
    reason: str


class Error(Contract):
    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")] = Field(
        description="Machine-readable reason, stable across releases")
    message: str = Field(description="A sentence for a person")
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorBody(Contract):
    error: Error


class CaseView(Contract):
    """GET /v1/cases/{reference}"""

    reference: CaseReference
    case_id: UUID
    country: CountryCode
    channel: Channel
    language: str | None
    status: str
    category_code: CategoryCode | None
    sensitive: bool
    restricted: bool
    priority: str
    narrative: str
    received_at: datetime
    opened_at: datetime
    deadline_kind: str
    deadline_at: datetime
    has_contact: bool


class SearchHit(Contract):
    reference: CaseReference
    country: CountryCode
    channel: Channel
    category_code: CategoryCode | None
    status: str
    restricted: bool
    opened_at: datetime
    excerpt: str | None = Field(description="Pseudonymised extract of the narrative; None for restricted cases")


class SearchResults(Contract):
    total: int
    results: list[SearchHit]
    next_cursor: str | None = None


class ParkedMessage(Contract):
    """A message a service gave up on after its retries, waiting for an operator."""

    id: int
    queue: str
    message_id: str | None
    event_type: str | None
    attempts: int
    error_type: str
    parked_at: datetime


class ParkedMessages(Contract):
    parked: list[ParkedMessage]


class ReferralView(Contract):
    """One referral as a partner or a focal point sees it: what acting on it needs, never the narrative."""

    referral_id: UUID
    reference: CaseReference
    country: CountryCode
    partner_id: str | None
    category_code: CategoryCode | None
    emergency: bool
    share_contact: bool = Field(description="The partner may ask for the contact: consent given, or a threat to life")
    status: Literal["sent", "needs_routing", "accepted", "declined"]
    created_at: datetime
    respond_by: datetime
    overdue: bool = Field(description="Not answered by respond_by: a focal point must re-route it")
    answered_at: datetime | None = None
    decline_reason: DeclineReason | None = None


class ReferralList(Contract):
    """GET /v1/referrals"""

    referrals: list[ReferralView]


class ReferralDecline(Contract):
    """POST /v1/referrals/{referral_id}/decline"""

    reason: DeclineReason


class StaffAlert(Contract):
    """A warning or breach of a deadline, or an emergency case, sent to the country's supervisors on duty."""

    alert_id: UUID
    country: CountryCode
    reference: CaseReference
    reason: Literal["deadline_warning", "deadline_breached", "emergency_case"]
    deadline_kind: DeadlineKind
    due_at: datetime
    alerted_at: datetime
    recipients: list[str] = Field(description="Ids of the configured recipients the SMS went to")


class StaffAlerts(Contract):
    """GET /v1/alerts?country=GN, newest first"""

    alerts: list[StaffAlert]


class Health(Contract):
    status: str
    checks: dict[str, Any] = Field(default_factory=dict)

__all_contracts__ = [
    "FeedbackSubmission", "FeedbackAccepted", "ErrorBody", "CaseView", "SearchResults",
    "ParkedMessages", "Health", "ReferralList", "ReferralDecline", "StaffAlerts",
]
