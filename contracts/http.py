"""Bodies of the HTTP API: requests accepted and responses given."""
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from contracts.common import (
    AgentAssessment, CaseReference, Channel, Consent, ContactDetails, Contract, CountryCode, LanguageTag, Location, Respondent,
)
from contracts.events import CaseStatus, CategoryCode, DeclineReason, DeadlineKind, Narrative, ReferralOutcome

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
    agent_assessment: AgentAssessment | None = Field(
        None, description="The agent's own judgement while listening: sensitive, life in danger")


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

    status: Literal["received", "repeat", "status_requested", "not_answerable", "consent_withdrawn",
                    "reply_received"] = Field(
        description=(
            "received: a new case; repeat: the same person sent the same text recently, linked to the first "
            "case; status_requested: the case's owner will get its status; not_answerable: a status request "
            "without any way to answer the sender; consent_withdrawn: the message was a stop word (STOP); "
            "reply_received: the message was a bare answer (1/OUI, 2/NON, ANNULER) to one of our questions"))
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


class ContactLookup(Contract):
    """POST /v1/contacts/lookup: a caller's earlier messages, found by the phone number they give. The
    number travels in this body only, never in a URL, and intake logs the look-up without it."""

    country: CountryCode = Field(description="The country whose numbering reads a number without +")
    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=32)]


class ContactLookupResult(Contract):
    """Who has this number, as the pseudonym every service knows them by. Intake names no case: the
    caller asks cases for this person's cases (`GET /v1/cases?contact_ref=`), and cases' own scoping
    decides which they may see, so a restricted case never shows, even by its reference."""

    found: bool = Field(description="Someone has written or called from this number before")
    contact_ref: UUID | None = Field(None, description="The person in intake's vault; None when nobody has this number")


class Place(Contract):
    code: str = Field(description="p-code")
    name: str
    level: Literal["adm1", "adm2", "site"]
    parent: str | None


class PlaceList(Contract):
    """GET /v1/places?country=GN: the country's gazetteer, for location pickers."""

    country: CountryCode
    places: list[Place]


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
    deadline_kind: str = Field(description="The first deadline the case opened with")
    deadline_at: datetime
    has_contact: bool
    version: int = Field(1, description="Send it back (If-Match or `version`) with an action on this case")
    sub_category: str | None = None
    taxonomy_version: int | None = None
    classification_confirmed: bool = False
    classified_by: str | None = None
    classified_at: datetime | None = None
    suggestion_confidence: float | None = None
    sensitivity_reasons: list[str] = Field(default_factory=list)
    assignee: str | None = None
    team: str | None = None
    deadline_state: str = Field("ok", description="ok, warning or breached: the worst open deadline")
    deadlines: list["DeadlineView"] = Field(default_factory=list)
    resolution: str | None = None
    response: str | None = None
    response_channel: str | None = None
    no_contact_reason: str | None = None
    duplicate_of: CaseReference | None = None
    timeline: list["TimelineEntry"] = Field(default_factory=list)


class DeadlineView(Contract):
    kind: DeadlineKind
    started_at: datetime
    due_at: datetime | None = Field(description="None while the clock is paused")
    paused: bool
    warned_at: datetime | None = None
    breached_at: datetime | None = None
    settled_at: datetime | None = None
    within_deadline: bool | None = None


class TimelineEntry(Contract):
    version: int
    at: datetime
    by: str
    action: str
    detail: dict[str, Any] = Field(default_factory=dict)


CaseView.model_rebuild()


class CaseSummary(Contract):
    """One line of the agents' queue (no narrative)."""

    reference: CaseReference
    country: CountryCode
    channel: Channel
    status: CaseStatus
    category_code: CategoryCode | None
    sub_category: str | None
    priority: str
    restricted: bool
    assignee: str | None
    team: str | None
    received_at: datetime
    next_deadline_at: datetime | None
    deadline_state: str
    version: int


class CaseList(Contract):
    """GET /v1/cases: most urgent deadline first; pass `next_cursor` back as `cursor` for more."""

    cases: list[CaseSummary]
    next_cursor: str | None = None


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class CaseAction(Contract):
    """Every action names the version it was decided on (or sends it as If-Match): a case changed
    meanwhile answers 409 version_conflict instead of being silently overwritten."""

    version: int | None = Field(None, ge=1, description="The case version this action expects")


class ClassifyCase(CaseAction):
    """POST /v1/cases/{reference}/classification: confirm or change the category."""

    category_code: CategoryCode
    sub_category: Name | None = None


class AssignCase(CaseAction):
    """POST /v1/cases/{reference}/assignment: to an agent, a team, or both."""

    assignee: Name | None = None
    team: Name | None = None


class AddCaseNote(CaseAction):
    """POST /v1/cases/{reference}/notes"""

    text: Text


class ChangeCaseStatus(CaseAction):
    """POST /v1/cases/{reference}/status: move the case along its workflow."""

    status: CaseStatus
    reason: Text | None = None
    resolution: Text | None = Field(None, description="To resolved: what was done")
    response: Text | None = Field(None, description="To closed: what the complainant was told")
    response_channel: Name | None = Field(None, description="To closed: how (sms, call, visit, letter, ...)")
    no_contact_reason: Text | None = Field(None, description="To closed without contact: why")
    explain_by_phone: bool = Field(False, description=(
        "To resolved or closed: the answer needs explaining by phone, so a callback task opens "
        "(the person must have agreed to be called back)"))


class ResolveCase(CaseAction):
    """POST /v1/cases/{reference}/resolve"""

    resolution: Text
    explain_by_phone: bool = Field(False, description="The answer needs explaining by phone: a callback task opens")


class CloseCase(CaseAction):
    """POST /v1/cases/{reference}/close: the response given and how, or why no contact was possible."""

    response: Text | None = None
    response_channel: Name | None = None
    no_contact_reason: Text | None = None
    explain_by_phone: bool = Field(False, description="The answer needs explaining by phone: a callback task opens")


class ReopenCase(CaseAction):
    """POST /v1/cases/{reference}/reopen"""

    reason: Text


class LinkDuplicate(CaseAction):
    """POST /v1/cases/{reference}/duplicate-of: this case repeats another."""

    duplicate_of: CaseReference


class BoardLine(Contract):
    """Cases of one team or one agent whose open deadline is near (warning, 75%) or past (breach)."""

    key: str | None = Field(description="The team or the agent; None for cases without one")
    warnings: int
    breaches: int


class CountryBoard(Contract):
    country: CountryCode
    warnings: int
    breaches: int
    by_team: list[BoardLine]
    by_agent: list[BoardLine]


class DeadlineBoard(Contract):
    """GET /v1/cases/deadline-board: the supervisor's board. Counts only cases the caller may open (a
    restricted case is never counted for someone who cannot open it); each line matches the list
    GET /v1/cases?country=..&deadline_state=..&team=.. (or no_team=true, assignee=.., unassigned=true) gives."""

    as_of: datetime
    countries: list[CountryBoard]


class CaseVersion(Contract):
    reference: CaseReference
    version: int = Field(ge=1, description="The case version the person saw when choosing it")


class BulkAssignment(Contract):
    """POST /v1/cases/assignments: assign several cases at once, each as POST .../assignment would (its own
    change, version check and audit row); a case changed meanwhile is reported, not overwritten."""

    cases: list[CaseVersion] = Field(min_length=1, max_length=100)
    assignee: Name | None = None
    team: Name | None = None


class AssignmentOutcome(Contract):
    reference: CaseReference
    outcome: Literal["assigned", "version_conflict", "case_not_found"]
    version: int | None = Field(None, description="The case's new version when assigned")


class BulkAssignmentResult(Contract):
    results: list[AssignmentOutcome]


class QualityReview(Contract):
    """POST /v1/quality/reviews/{reference}: a supervisor's review of a sampled case (the latest stands)."""

    score: int = Field(ge=1, le=5, description="1 (poor) to 5 (excellent): right, polite, complete, on time")
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class ReviewView(Contract):
    reviewer: str
    score: int
    comment: str | None
    reviewed_at: datetime


class SampledCase(Contract):
    reference: CaseReference
    agent: str = Field(description="Who closed the case")
    closed_at: datetime
    category_code: CategoryCode | None
    response_channel: str | None
    review: ReviewView | None = None
    reason: Literal["sampled", "dissatisfied"] = Field("sampled", description=(
        "sampled: drawn at random; dissatisfied: the complainant answered \"no\" to the satisfaction question"))


class QualitySample(Contract):
    """GET /v1/quality/sample?country=GN&week=2026-11-23: the week's random sample of each agent's closed
    cases, drawn when first asked for and kept (a week not over yet is topped up as agents close more)."""

    country: CountryCode
    week_start: date = Field(description="Monday, on the country's clock")
    per_agent: int
    complete: bool = Field(description="The week is over and its sample drawn for good")
    cases: list[SampledCase]
class ReleaseCase(CaseAction):
    """POST /v1/cases/{reference}/release (focal points): a case held as possibly sensitive is not, and goes
    back to the agents, in an ordinary category. The reason stays in the case's timeline and audit log."""

    reason: Text = Field(description="Why the case is not sensitive after all")
    category_code: CategoryCode = Field(description="An ordinary (not sensitive) category of the country")
    sub_category: Name | None = None


class AccessLogEntry(Contract):
    at: datetime
    actor: str = Field(description="Subject of the staff member, or `system` / the service that acted")
    role: str
    action: str = Field(description="read, list, classify, release, status:..., read_denied, ...")


class AccessLog(Contract):
    """GET /v1/cases/{reference}/access-log (focal points): who opened or changed the case and when,
    oldest first, from the case's audit log."""

    reference: CaseReference
    entries: list[AccessLogEntry]


class ClockSetting(Contract):
    """PUT /admin/clock (test configurations only): where the service's clock should stand now."""

    now: AwareDatetime


class ClockReading(Contract):
    now: datetime
    offset_seconds: float


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


class OutboxLag(Contract):
    """GET /admin/outbox (ops, admin): events a service committed and has not published yet."""

    unpublished: int
    oldest_unpublished_at: datetime | None = Field(description="When the oldest unpublished event was committed")
    lag_seconds: float = Field(description="Age of the oldest unpublished event; 0 when none waits")


class RetentionDue(Contract):
    """One kind of data in a retention preview: how many rows a run would delete or anonymise now."""

    kind: str = Field(description="e.g. outbox_published, provider_payloads, closed_cases")
    country: CountryCode | None = Field(description="None: a kind with one period for every country")
    period_days: int = Field(description="The period in force for this kind in this country")
    cutoff: datetime = Field(description="Rows older than this are due")
    rows: int | None = Field(description="None when withheld")
    withheld: bool = Field(False, description=(
        "The rows are restricted cases: their number is withheld from roles that cannot open them"))


class RetentionPreview(Contract):
    """GET /admin/retention/preview?country=GN (every service; admin, ops of the country): what the
    retention job would take now, changing nothing. Counts only, never what the rows hold."""

    service: str
    country: CountryCode
    previewed_at: datetime
    kinds: list[RetentionDue]


class ChannelLastMessage(Contract):
    country: CountryCode
    channel: str
    last_received_at: datetime | None = Field(description="None when this configured channel never brought a message")


class ChannelActivity(Contract):
    """GET /v1/channels/activity (intake; ops, admin): when each channel of the person's countries last brought
    a message, configured channels included; an operator sees which went silent."""

    channels: list[ChannelLastMessage]


class ReferralView(Contract):
    """One referral as a partner or a focal point sees it: what acting on it needs, never the narrative."""

    referral_id: UUID
    reference: CaseReference
    country: CountryCode
    partner_id: str | None
    category_code: CategoryCode | None
    emergency: bool
    share_contact: bool = Field(description="The partner may ask for the contact: consent given, or a threat to life")
    status: Literal["sent", "needs_routing", "accepted", "declined", "rerouted", "withdrawn"] = Field(
        description="`rerouted`: a focal point sent the case to another partner; this referral takes no answer. "
                    "`withdrawn`: a focal point found the case not sensitive before the partner answered")
    created_at: datetime
    respond_by: datetime
    overdue: bool = Field(description="Not answered by respond_by: a focal point must re-route it")
    answered_at: datetime | None = None
    decline_reason: DeclineReason | None = None
    outcome: ReferralOutcome | None = Field(None, description="What happened, once the partner recorded it")
    outcome_on: date | None = None
    outcome_due: bool = Field(False, description="Accepted long ago (referrals.outcome_due_days) and still no "
                                                 "outcome: a focal point was reminded")


class ReferralList(Contract):
    """GET /v1/referrals"""

    referrals: list[ReferralView]


class ReferralDecline(Contract):
    """POST /v1/referrals/{referral_id}/decline"""

    reason: DeclineReason


class RecordReferralOutcome(Contract):
    """POST /v1/referrals/{referral_id}/outcome (the partner who accepted it). The note stays in referrals."""

    outcome: ReferralOutcome
    on: date = Field(description="The day it happened: not before the referral, not in the future")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class ReferralContact(Contract):
    """POST /v1/referrals/{referral_id}/contact (the partner, once it accepted): the complainant's contact,
    only where they agreed to its being shared; intake logs every reveal and refusal."""

    referral_id: UUID
    name: str | None = None
    phone: str | None = None
    email: str | None = None


class Partner(Contract):
    """A partner of the country's directory."""

    id: str
    name: str
    categories: list[int] = Field(description="The categories the partner receives by default")
    services: list[str] = Field(default_factory=list, description="What it offers: medical, psychosocial, legal...")
    areas: list[str] = Field(default_factory=list, description="Regions (adm1) it works in; empty: country-wide")
    languages: list[str] = Field(default_factory=list)
    contact_hours: str | None = None
    focal_person: str | None = Field(None, description="Who at the partner answers for referrals")
    on_duty_phone: str | None = Field(None, description="Texted the reference of every emergency referral")


class PartnerList(Contract):
    """GET /v1/partners?country=GN (focal points): the partners a referral of the country may be routed to."""

    country: CountryCode
    partners: list[Partner]


class RouteReferral(Contract):
    """POST /v1/referrals/{referral_id}/route: a focal point sends the case to this partner instead."""

    partner_id: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(
        description="A partner configured for the referral's country")


class StaffAlert(Contract):
    """A warning or breach of a deadline, or an emergency case, sent to the country's supervisors on duty; or an
    emergency referral, sent to its partner's on-duty number."""

    alert_id: UUID
    country: CountryCode
    reference: CaseReference
    reason: Literal["deadline_warning", "deadline_breached", "emergency_case", "emergency_referral"] = Field(
        description="`emergency_referral`: the reference of an emergency referral, texted to its partner's on-duty "
                    "number (recipient: the partner's id)")
    deadline_kind: DeadlineKind | None = Field(
        description="None for a restricted case, to anyone but a focal point: a referral deadline says it is "
                    "sensitive")
    due_at: datetime
    alerted_at: datetime
    recipients: list[str] = Field(description="Ids of the configured recipients the SMS went to")


class StaffAlerts(Contract):
    """GET /v1/alerts?country=GN, newest first"""

    alerts: list[StaffAlert]


class Health(Contract):
    status: str
    checks: dict[str, Any] = Field(default_factory=dict)

class Count(Contract):
    key: str
    count: int | None = Field(description="None only when suppressed")
    previous: int | None = Field(None, description="The same figure in the previous period (None when suppressed)")
    suppressed: bool = Field(False, description=(
        "In a table about people (location, sex, age group, disability), a figure from 1 to 4 is withheld "
        "(None here, `<5` in files) so that a restricted case cannot be singled out"))


class MessageFigures(Contract):
    """Messages (cases opened) received in the period. Restricted cases are counted, never described."""

    total: int
    previous_total: int
    change_percent: float | None = Field(description="Against the previous period; None when it had none")
    by_country: list[Count]
    by_channel: list[Count]
    by_category: list[Count]
    by_sex: list[Count]
    by_age_group: list[Count]
    by_disability: list[Count]
    by_location: list[Count] = Field(description="By region (admin level 1)")


class CallFigures(Contract):
    """From the telephony system's call detail records."""

    received: int
    answered: int
    abandoned: int
    average_wait_seconds: float | None
    previous_received: int


class DeadlineFigures(Contract):
    """Deadlines of one kind that came to an end in the period: done in time, done late, or overdue."""

    kind: str
    settled: int
    within_deadline: int
    overdue_unsettled: int
    share_within_deadline: float | None = Field(description="within / (settled + overdue); None when no deadline ended")
    median_hours: float | None
    p90_hours: float | None


class SatisfactionLine(Contract):
    key: str = Field(description="The country, channel or category code")
    answered: int | None = Field(description="None only when suppressed")
    satisfied: int | None = Field(description="None only when suppressed")
    share_satisfied: float | None = Field(description="satisfied / answered; None when nobody answered or suppressed")
    suppressed: bool = Field(False, description=(
        "A line of 1 to 4 answers is withheld (answered, satisfied and share None here, `<5` in files): it "
        "would tell what the few people who answered said"))


class SatisfactionFigures(Contract):
    """Answers to the satisfaction question received in the period. Restricted cases are never asked, but a
    line of a few answers (one category's single answer) tells what those people said: lines of 1 to 4
    answers are withheld, as are the satisfied count and share of a total of 1 to 4."""

    answered: int
    satisfied: int | None = Field(description="None only when suppressed")
    share_satisfied: float | None = Field(description="satisfied / answered; None when nobody answered or suppressed")
    suppressed: bool = Field(False, description=(
        "With 1 to 4 answers in all, satisfied and share_satisfied are withheld (None here, `<5` in files); "
        "answered is kept"))
    by_country: list[SatisfactionLine]
    by_channel: list[SatisfactionLine]
    by_category: list[SatisfactionLine]


class BacklogBucket(Contract):
    age: str = Field(description="Days since received, e.g. 0-2, 3-7, 8-14, 15-30, 31+")
    count: int


class PartnerReferrals(Contract):
    partner_id: str
    made: int
    accepted: int
    declined: int
    pending: int
    overdue: int = Field(0, description="Not answered in time, waiting to be re-routed")
    outcomes: dict[str, int] = Field(default_factory=dict, description=(
        "Referrals by the outcome their partner recorded (service_provided, not_reached, referred_on, closed)"))


class CentreAppointments(Contract):
    """A reception centre's appointments in the period: booked then, and the cancellations and attendance
    recorded then (an appointment booked last week and attended this week counts in each)."""

    country: CountryCode
    centre_id: str
    booked: int
    attended: int
    missed: int
    cancelled: int


class Topic(Contract):
    category_code: int | None
    sub_category: str | None
    count: int
    previous: int
    rising: bool = Field(description="At least `rising_min_count` and at least double the previous period")


class TrendPoint(Contract):
    period_start: date
    messages: int
    calls: int


class CallbackFigures(Contract):
    """One country's callbacks in the period (cases' CallbackTaskOpened and CallbackAttemptRecorded). The delay
    is from the task's opening to the call that reached the person, for the people reached in the period;
    median and mean are computed from those delays by reporting itself (no percentiles aggregation)."""

    country: CountryCode
    opened: int = Field(description="Callback tasks opened in the period")
    opened_by_reason: dict[str, int] = Field(default_factory=dict,
                                             description="By reason: message_failed, no_sms, needs_explaining")
    attempts: int = Field(description="Calls made (every attempt, whatever its outcome)")
    reached: int = Field(description="People reached (tasks ended reached)")
    unreachable: int = Field(description="Tasks ended unreachable (too many failed calls, or a wrong number)")
    median_hours_to_reach: float | None
    mean_hours_to_reach: float | None
    reach_delay: dict[str, int] = Field(default_factory=dict, description=(
        "People reached by delay since the task opened: 0-4h, 4-24h, 24-72h, 72h+"))


class Report(Contract):
    """GET /v1/reports: the figures programmes report, for one country or a region, for a day, week or month."""

    scope: str = Field(description="A country code, or `region` for several countries")
    countries: list[CountryCode]
    period: Literal["day", "week", "month"]
    start: date
    end: date = Field(description="Last day of the period, included")
    timezone: str
    generated_at: AwareDatetime
    messages: MessageFigures
    calls: CallFigures
    acknowledge: DeadlineFigures
    resolve: DeadlineFigures
    backlog: list[BacklogBucket] = Field(description="Cases still open at the end of the period, by age")
    referrals: list[PartnerReferrals]
    appointments: list[CentreAppointments] = Field(default_factory=list, description=(
        "Appointments at reception centres, by country and centre"))
    replies_sent: int = Field(description="Messages sent back to complainants (acknowledgements, status replies)")
    responses_by_channel: list[Count] = Field(description="Cases closed in the period, by how the person was answered")
    topics: list[Topic]
    trend: list[TrendPoint] = Field(description="This period and the ones before it, oldest first")
    daily: list[TrendPoint] = Field(description="Each day of the period")
    satisfaction: SatisfactionFigures | None = Field(None, description=(
        "Answers to the question after closure (None in reports stored before it was counted)"))
    callbacks: list[CallbackFigures] = Field(default_factory=list, description="Callbacks, by country")


class StoredReport(Contract):
    report_id: UUID
    scope: str
    period: Literal["day", "week", "month"]
    start: date
    generated_at: AwareDatetime


class StoredReports(Contract):
    reports: list[StoredReport]


class ContactExportRequest(Contract):
    """POST /v1/contacts/export (intake, focal points): everything held about one person, found by the
    phone or email they used. In the body, never in a URL."""

    country: CountryCode
    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=32)] | None = None
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254)] | None = None


class ExportedMessage(Contract):
    feedback_id: UUID
    reference: CaseReference
    channel: Channel
    language: str | None = None
    narrative: str = Field(description="Empty when the case's retention period ended (anonymised)")
    received_at: datetime
    consent_callback: bool
    consent_share: bool
    repeat: bool


class ExportedStatusRequest(Contract):
    reference: CaseReference
    channel: Channel
    received_at: datetime


class ExportedAnswer(Contract):
    """A bare answer the contact sent to one of our questions (1/OUI, 2/NON, ANNULER): its meaning only."""

    answer: Literal["yes", "no", "cancel"]
    channel: Channel
    received_at: datetime


class ExportedCase(Contract):
    """The case as cases shows it to the person exporting: `found` false when cases has none, or none
    this person may see."""

    reference: CaseReference
    found: bool
    status: CaseStatus | None = None
    category_code: int | None = None
    restricted: bool | None = None
    received_at: datetime | None = None


class ContactExport(Contract):
    """Everything held about one contact; the export itself is logged (intake.contact_exports)."""

    export_id: int
    exported_at: datetime
    contact_ref: UUID
    contact: ContactDetails
    messages: list[ExportedMessage]
    status_requests: list[ExportedStatusRequest]
    cases: list[ExportedCase]
    answers: list[ExportedAnswer] = Field(default_factory=list, description=(
        "Answers to the satisfaction question or to an appointment, as intake recorded them"))


# --- callback tasks (cases) ---------------------------------------------------------------------------------

CallbackOutcome = Literal["reached", "no_answer", "wrong_number", "call_dropped"]
CallbackReason = Literal["message_failed", "no_sms", "needs_explaining"]


class CallbackTask(Contract):
    """A person to call back about their case (GET /v1/callbacks): why, by when, and how it went so far."""

    task_id: UUID
    reference: CaseReference
    country: CountryCode
    reason: CallbackReason = Field(description=(
        "message_failed: a message to the person never arrived; no_sms: they agreed to be called back and "
        "cannot be texted (a number typed on a form or a slip, an email contact); needs_explaining: the "
        "agent who resolved or closed the case ticked that the answer needs explaining by phone"))
    due_at: AwareDatetime
    state: Literal["open", "reached", "unreachable"]
    failed_attempts: int
    attempts_allowed: int = Field(description="Failed attempts after which the task ends as unreachable")


class CallbackTasks(Contract):
    callbacks: list[CallbackTask]


class CallbackAttempt(Contract):
    """POST /v1/callbacks/{task_id}/attempts: one call made. A wrong number ends the task at once."""

    outcome: CallbackOutcome


class CallbackContact(Contract):
    """POST /v1/callbacks/{task_id}/contact: the number to call for an open task the caller may see. cases
    asks intake (purpose `callback`, on the caller's behalf); intake checks the person's consent on its own
    record and logs the reveal. Personal data: sent with Cache-Control no-store, never logged."""

    task_id: UUID
    reference: CaseReference
    name: str | None = None
    phone: str | None = None
    email: str | None = None


__all_contracts__ = [
    "CallbackTask", "CallbackTasks", "CallbackAttempt", "CallbackContact",
    "FeedbackSubmission", "FeedbackAccepted", "ContactLookup", "ContactLookupResult", "PlaceList",
    "WebFormSubmission", "MessageReceipt", "DeliveryReceipt",
    "BatchReport", "CallRecords", "ErrorBody", "CaseView", "SearchResults",
    "ParkedMessages", "Health", "OutboxLag", "ChannelActivity", "Report", "StoredReports", "ReferralList",
    "ReferralDecline", "RecordReferralOutcome", "RouteReferral", "ReferralContact", "PartnerList",
    "StaffAlerts", "RetentionPreview",
    "CaseList", "ClassifyCase", "AssignCase", "AddCaseNote", "ChangeCaseStatus", "ResolveCase", "CloseCase",
    "ReopenCase", "LinkDuplicate", "ClockSetting", "ClockReading", "ReleaseCase", "AccessLog",
    "DeadlineBoard", "BulkAssignment", "BulkAssignmentResult", "QualityReview", "QualitySample",
    "ContactExportRequest", "ContactExport",
]


# --- data protection: erasure -----------------------------------------------------------------------------

ErasureGround = Literal["complainant_request", "consent_withdrawn", "unlawful_processing", "other"]


class RequestErasure(Contract):
    """POST /v1/erasures: a focal point or an admin asks to erase one case, or a complainant (every case
    of the contact who sent it). Nothing is erased before a second person approves."""

    reference: CaseReference
    scope: Literal["case", "complainant"]
    ground: ErasureGround = Field(description="Why (no free text: the request itself must hold no personal data)")


class ErasureReceipt(Contract):
    service: str
    erased: dict[str, int]
    completed_at: datetime


class ErasureView(Contract):
    erasure_id: UUID
    scope: Literal["case", "complainant"]
    ground: ErasureGround
    reference: CaseReference = Field(description="The case named in the request")
    references: list[CaseReference] = Field(description="Every case the erasure covers")
    country: CountryCode
    status: Literal["requested", "approved", "completed", "declined"]
    requested_by: str
    requested_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None


class ErasureList(Contract):
    """GET /v1/erasures: the requests of the caller's countries, newest first."""

    erasures: list[ErasureView]


class ErasureCertificate(Contract):
    """GET /v1/erasures/{id}/certificate: what was erased where, when, and by whom."""

    erasure: ErasureView
    services: list[ErasureReceipt] = Field(description="Each service's report of what it erased")
    waiting_for: list[str] = Field(description="Services that have not reported yet")
    complete: bool
    issued_at: datetime


__all_contracts__ += ["RequestErasure", "ErasureList", "ErasureView", "ErasureCertificate"]


# --- appointments at a reception centre (cases) ---------------------------------------------------------

AppointmentState = Literal["booked", "cancelled", "attended", "missed"]


class Centre(Contract):
    """A reception centre where the person may be given an appointment (GET /v1/centres?country=)."""

    id: str
    country: CountryCode
    name: dict[str, str] = Field(description="By language")
    address: dict[str, str] = Field(description="By language")
    timezone: str = Field(description="The country's: opening hours and slots are on this clock")
    opening_hours: dict[str, list[str]] = Field(description="Weekday (mon..sun) to its opening ranges, "
                                                            "e.g. {\"mon\": [\"08:30-12:30\"]}")
    slot_minutes: int
    capacity: int = Field(description="People seen per slot")


class CentreList(Contract):
    centres: list[Centre]


class Slot(Contract):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    capacity: int
    free: int = Field(description="Places not booked yet")


class SlotList(Contract):
    """GET /v1/centres/{id}/slots?date=: the day's slots on the centre's clock, past ones left out."""

    centre_id: str
    date: date
    slots: list[Slot]


class BookAppointment(Contract):
    """POST /v1/cases/{reference}/appointments: a slot of a centre of the case's country, in the future."""

    centre_id: str = Field(min_length=1, max_length=100)
    starts_at: AwareDatetime


class RecordAttendance(Contract):
    """POST /v1/appointments/{id}/attendance: the desk says whether the person came."""

    attendance: Literal["attended", "missed"]


class AppointmentView(Contract):
    appointment_id: UUID
    reference: CaseReference
    country: CountryCode
    centre_id: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    state: AppointmentState
    booked_at: AwareDatetime
    booked_by: str
    cancelled_by: Literal["person", "agent"] | None = None
    changed_at: AwareDatetime | None = Field(None, description="When it was cancelled or attendance recorded")


class AppointmentList(Contract):
    appointments: list[AppointmentView]


__all_contracts__ += ["Centre", "CentreList", "Slot", "SlotList", "BookAppointment", "RecordAttendance",
                      "AppointmentView", "AppointmentList"]


# --- replies from a case ---------------------------------------------------------------------------------

ReplyTemplateId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,60}$")]


class ReplyToCase(CaseAction):
    """POST /v1/cases/{reference}/replies: send the complainant a templated reply (SMS or WhatsApp)."""

    reply_id: UUID | None = Field(None, description=(
        "Chosen by the client so that sending the same form twice sends one reply; made up when left out"))
    template_id: ReplyTemplateId
    channel: Literal["sms", "whatsapp"]
    language: LanguageTag


class ReplyTemplate(Contract):
    """One reply an agent may send, in one language, with the case's fields filled in when asked."""

    template_id: ReplyTemplateId
    language: LanguageTag
    label: ShortText = Field(description="What the reply is for, in the staff's words")
    text: str = Field(description="The words, with placeholders such as {reference} and {status}")
    preview: str | None = Field(None, description="The words as the person would read them (reference given)")
    channels: list[Literal["sms", "whatsapp"]] = Field(description="Channels it may go by in this country")
    whatsapp_template: bool = Field(description="An approved WhatsApp template carries it outside the "
                                                "24-hour window")


class ReplyTemplates(Contract):
    """GET /v1/reply-templates?country=GN&language=fr[&reference=..&status=..]"""

    country: CountryCode
    language: LanguageTag
    languages: list[LanguageTag] = Field(description="Languages the country has templates in")
    templates: list[ReplyTemplate]


__all_contracts__ += ["ReplyToCase", "ReplyTemplates"]
