"""Bodies of the HTTP API: requests accepted and responses given."""
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from contracts.common import CaseReference, Channel, Consent, ContactDetails, Contract, CountryCode, LanguageTag
from contracts.events import CategoryCode, Narrative


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
    received_at: datetime | None = None
    adm1: str | None = Field(None, description="Region the message is about, when known")
    priority: str | None = None
    deadline_state: str | None = Field(None, description="ok, warning or breached: the worst open deadline")


class FacetCount(Contract):
    value: str
    count: int


class SearchResults(Contract):
    """GET /v1/search"""

    total: int
    results: list[SearchHit]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; None on the last page")
    facets: dict[str, list[FacetCount]] = Field(default_factory=dict, description="Counts per filter value")
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


class Health(Contract):
    status: str
    checks: dict[str, Any] = Field(default_factory=dict)

__all_contracts__ = [
    "FeedbackSubmission", "FeedbackAccepted", "ErrorBody", "CaseView", "SearchResults",
    "ParkedMessages", "Health",
]
