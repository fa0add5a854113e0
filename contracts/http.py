"""Bodies of the HTTP API: requests accepted and responses given."""
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from contracts.common import (
    CaseReference, Channel, Consent, ContactDetails, Contract, CountryCode, LanguageTag, Location, Respondent,
)
from contracts.events import CategoryCode, Narrative

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Interaction(Contract):
    """How an agent met the person: a call on a hotline line, or a visit at a reception desk."""

    endpoint: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,64}$")] | None = Field(
        None, description="Configured hotline endpoint the call came in on, e.g. gn_hotline_1313")
    call_id: ShortText | None = Field(None, description="The telephony system's call id, linking to CallRecorded")
    started_at: AwareDatetime | None = None
    duration_seconds: float | None = Field(None, ge=0)
    site: ShortText | None = Field(None, description="Reception desk or office, for a walk-in")


class FeedbackSubmission(Contract):
    """POST /v1/feedback: a message entered by an agent (hotline call, walk-in, ...)."""

    country: CountryCode
    channel: Channel
    language: LanguageTag | None = Field(None, description="Detected (fr or en) from the narrative when omitted")
    narrative: Narrative
    contact: ContactDetails | None = Field(None, description="Omit for an anonymous message")
    consent: Consent = Consent()
    received_at: AwareDatetime | None = Field(None, description="When the person spoke; defaults to now")
    location: Location | None = None
    respondent: Respondent | None = None
    interaction: Interaction | None = None


class WebFormSubmission(Contract):
    """POST /v1/channels/web-form/{endpoint_id}: the public form; no token, the endpoint names the country."""

    narrative: Narrative
    language: LanguageTag | None = None
    contact: ContactDetails | None = Field(None, description="Omit to stay anonymous")
    consent: Consent = Consent()
    location: Location | None = None
    respondent: Respondent | None = None


class MessageReceipt(Contract):
    """What a channel endpoint answers for one message (and again, unchanged, for a provider's retry)."""

    status: Literal["received", "repeat", "status_requested", "not_answerable"] = Field(description=(
        "received: a new case; repeat: the same person sent the same text recently, linked to the first "
        "case; status_requested: the case's owner will get its status; not_answerable: a status request "
        "without any way to answer the sender"))
    reference: CaseReference | None = Field(None, description="The case the message belongs to")
    feedback_id: UUID | None = None


class DeliveryReceipt(Contract):
    """What the WhatsApp webhook answers for one POST (which may hold several messages)."""

    received: list[MessageReceipt]
    ignored: int = Field(description="Delivery statuses and message types intake does not take")


class BatchRowProblem(Contract):
    row: int = Field(description="Row number as a spreadsheet shows it (the header is row 1)")
    column: str | None
    reason: str


class BatchRowAccepted(Contract):
    row: int
    reference: CaseReference | None = Field(None, description="None for call records")
    call_id: str | None = None
    duplicate: bool = Field(description="This row was already recorded by an earlier upload")


class BatchReport(Contract):
    """The answer to a batch upload (suggestion-box slips, call detail records).

    Valid rows are recorded together in one transaction; invalid rows are listed with why and
    recorded nowhere, so the clerk fixes them and uploads them again (rows already recorded are
    recognised and not recorded twice)."""

    endpoint: str
    file_sha256: str
    already_uploaded: bool = Field(description="The same file was uploaded before: nothing new was recorded")
    accepted: list[BatchRowAccepted]
    rejected: list[BatchRowProblem]


class CallRecord(Contract):
    """One call detail record from the telephony system (webhook body, or one CSV row)."""

    call_id: ShortText
    started_at: AwareDatetime
    outcome: Literal["answered", "abandoned"]
    wait_seconds: float = Field(ge=0)
    duration_seconds: float = Field(0, ge=0)
    agent_id: ShortText | None = None
    caller: str | None = Field(None, description="Accepted because exports carry it, and dropped at once")


class CallRecords(Contract):
    """POST /v1/channels/telephony/{endpoint_id}/calls"""

    calls: list[CallRecord] = Field(min_length=1, max_length=1000)


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


class Health(Contract):
    status: str
    checks: dict[str, Any] = Field(default_factory=dict)

__all_contracts__ = [
    "FeedbackSubmission", "FeedbackAccepted", "WebFormSubmission", "MessageReceipt", "DeliveryReceipt",
    "BatchReport", "CallRecords", "ErrorBody", "CaseView", "SearchResults",
    "ParkedMessages", "Health",
]
