"""Events published on the bus, one model per type and version.

Personal data rule: events carry a `contact_ref` into intake's vault, never a
name, phone number or email. The narrative is the message itself and travels
only to the services that handle the case.
"""
from datetime import date
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from contracts.common import (
    AdminName, AgentAssessment, AttachmentRef, CaseReference, Channel, Consent, LanguageTag, Location,
    Respondent,
)
from contracts.envelope import EventPayload

Narrative = Annotated[str, StringConstraints(min_length=1, max_length=50_000)]  # a long email fits
CategoryCode = Annotated[int, Field(ge=1, le=99, description="Category code of the country's taxonomy")]
DeclineReason = Literal["outside_mandate", "no_capacity", "outside_area", "duplicate", "other"]
ReferralOutcome = Literal["service_provided", "not_reached", "referred_on", "closed"]


class FeedbackReceived(EventPayload):
    """intake recorded a message from a person, on any channel."""

    event_type: ClassVar[str] = "feedback_received"
    event_version: ClassVar[int] = 1

    feedback_id: UUID
    reference: CaseReference
    channel: Channel
    language: LanguageTag | None = None
    narrative: Narrative = Field(description="The message, with the complainant's own name replaced by [name]")
    received_at: AwareDatetime
    contact_ref: UUID | None = Field(None, description="Contact in intake's vault; None when anonymous")
    consent: Consent = Consent()
    submitted_by: str | None = Field(None, description="Subject of the staff member who entered it")
    language_detected: bool = Field(False, description="True when intake guessed the language from the text")
    location: Location | None = Field(None, description=(
        "Each level given, as the country's gazetteer names it, or `other`: never the text as typed"))
    respondent: Respondent | None = None
    attachments: list[AttachmentRef] = Field(default_factory=list, max_length=20)
    endpoint: str | None = Field(None, description="Configured endpoint the message came in on, e.g. gn-sms-main")
    provider_message_id: str | None = Field(None, description="The provider's own id; one id is one feedback")
    repeat: bool = Field(False, description=(
        "The same contact sent the same text within the repeat window: `reference` is the first message's "
        "case, and no new case is opened"))
    call_id: str | None = Field(None, description="The hotline call this message was taken on (see CallRecorded)")
    contact_verified: bool | None = Field(None, description=(
        "True when the contact is the sender's own number or address as the provider gave it (or a staff "
        "member took it from the person); False when the person typed it (web form, Kobo, a box slip) and "
        "it may be anyone's: never texted automatically. None: no contact, or a producer that does not say"))
    agent_assessment: AgentAssessment | None = Field(
        None, description="The agent's judgement while listening (FeedbackSubmission); cases honours it at opening")


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
    contact_verified: bool | None = Field(None, description=(
        "As FeedbackReceived.contact_verified: False means the contact may be anyone's and gets no automatic SMS"))
    area: AdminName | None = Field(None, description="Region (adm1) the message is about, as the person said: "
                                                     "referrals prefers a partner working there")


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


class ReferralAnswered(EventPayload):
    """The partner accepted or declined a referral (a declined one goes back to a focal point)."""

    event_type: ClassVar[str] = "referral_answered"
    event_version: ClassVar[int] = 1

    referral_id: UUID
    case_id: UUID
    reference: CaseReference
    partner_id: str
    accepted: bool
    answered_at: AwareDatetime
    answered_by: str = Field(description="Subject of the partner's staff member")
    decline_reason: DeclineReason | None = Field(None, description="Why the partner declined; None when accepted")


class ReferralOverdue(EventPayload):
    """The partner did not answer a referral in time: a focal point must re-route it; fired once."""

    event_type: ClassVar[str] = "referral_overdue"
    event_version: ClassVar[int] = 1

    referral_id: UUID
    case_id: UUID
    reference: CaseReference
    partner_id: str
    emergency: bool
    respond_by: AwareDatetime
    marked_at: AwareDatetime


class ReferralOutcomeRecorded(EventPayload):
    """The partner who accepted a referral recorded what happened; its note stays in referrals."""

    event_type: ClassVar[str] = "referral_outcome_recorded"
    event_version: ClassVar[int] = 1

    referral_id: UUID
    case_id: UUID
    reference: CaseReference
    partner_id: str
    outcome: ReferralOutcome
    outcome_on: date = Field(description="The day it happened, as the partner says")
    recorded_at: AwareDatetime
    recorded_by: str = Field(description="Subject of the partner's staff member")


class ReferralOutcomeDue(EventPayload):
    """An accepted referral still has no outcome after referrals.outcome_due_days: a focal point should
    ask the partner; fired once per referral."""

    event_type: ClassVar[str] = "referral_outcome_due"
    event_version: ClassVar[int] = 1

    referral_id: UUID
    case_id: UUID
    reference: CaseReference
    partner_id: str
    accepted_at: AwareDatetime
    reminded_at: AwareDatetime


class NotificationSent(EventPayload):
    """notifications sent an SMS acknowledgement or status reply. No longer published (v2 replaced it): kept
    for the v1 events reporting's journal recorded before, which a rebuild of the index reads."""

    event_type: ClassVar[str] = "notification_sent"
    event_version: ClassVar[int] = 1

    notification_id: UUID
    case_id: UUID | None = Field(description="None for a status reply about a case the contact does not own")
    reference: CaseReference | None
    purpose: Literal["acknowledgement", "status_reply"]
    channel: Literal["sms"]
    language: LanguageTag
    sent_at: AwareDatetime
    provider_message_id: str


# Why notifications wrote to a complainant: each purpose is one intent, sent at most once.
MessagePurpose = Literal["acknowledgement", "status_reply", "reply", "satisfaction_question",
                         "appointment_confirmation", "appointment_reminder", "appointment_cancellation"]


class NotificationSentV2(EventPayload):
    """notifications sent a message to a complainant, for any purpose and by SMS or WhatsApp. v1 knew only
    SMS acknowledgements and status replies; no consumer reads it any more, so it is no longer published
    (reporting still reads the v1 events its journal recorded before)."""

    event_type: ClassVar[str] = "notification_sent"
    event_version: ClassVar[int] = 2

    notification_id: UUID
    case_id: UUID | None = Field(description="None for a status reply about a case the contact does not own")
    reference: CaseReference | None
    purpose: MessagePurpose
    channel: Literal["sms", "whatsapp"]
    language: LanguageTag
    sent_at: AwareDatetime
    provider_message_id: str


class MessageDeliveryFailedV2(EventPayload):
    """A message to a complainant about their case never arrived, whatever its purpose (v1, no longer
    published, knew only acknowledgements and status replies): someone should call them instead. Once per
    message."""

    event_type: ClassVar[str] = "message_delivery_failed"
    event_version: ClassVar[int] = 2

    notification_id: UUID
    case_id: UUID
    reference: CaseReference
    purpose: MessagePurpose
    channel: Literal["sms", "whatsapp"]
    error_code: str | None = Field(None, max_length=20, description="The provider's error code, e.g. 30003")
    failed_at: AwareDatetime


# --- intake: telephony and status requests -------------------------------------------------------


class CallRecorded(EventPayload):
    """intake recorded a call from the telephony system's call detail records (not a case)."""

    event_type: ClassVar[str] = "call_recorded"
    event_version: ClassVar[int] = 1

    call_id: str = Field(description="The telephony system's id; one id is one call")
    endpoint: str = Field(description="Configured hotline endpoint, e.g. gn-hotline-1313")
    started_at: AwareDatetime
    outcome: Literal["answered", "abandoned"]
    wait_seconds: float = Field(ge=0)
    duration_seconds: float = Field(ge=0, description="Talk time; 0 when abandoned")
    agent_id: str | None = None


class StatusRequested(EventPayload):
    """A contact asked for the status of a case (e.g. SMS `STATUT GN-2026-000042`); opens nothing."""

    event_type: ClassVar[str] = "status_requested"
    event_version: ClassVar[int] = 1

    request_id: UUID
    reference: CaseReference = Field(description="The reference as the person sent it")
    contact_ref: UUID = Field(description="Who asked: only the contact that owns the case gets an answer about it")
    channel: Channel
    language: LanguageTag | None = None
    received_at: AwareDatetime


class ConsentWithdrawn(EventPayload):
    """The person withdrew their consent (an SMS "STOP", "ARRET" or a national-language word): from now
    on no callback, acknowledgement or other message goes to this contact, and no partner gets it.
    The one exception is a confirmation, when the country's configuration asks for one."""

    event_type: ClassVar[str] = "consent_withdrawn"
    event_version: ClassVar[int] = 1

    withdrawal_id: UUID
    contact_ref: UUID = Field(description="The contact in intake's vault whose consent ends")
    channel: Channel
    received_at: AwareDatetime
    language: LanguageTag | None = None
    confirm: bool = Field(False, description=(
        "The country sends one SMS confirming that no more messages will come (intake reveals the contact "
        "for that purpose only, once)"))


class ReplyReceived(EventPayload):
    """A contact answered one of the platform's questions with a bare keyword: "1"/"OUI" or "2"/"NON" to
    the satisfaction question, "ANNULER" to cancel an appointment (the words are the country's, per
    language). It carries the meaning, never the text. The service that asked the question matches the
    answer to its latest open question for this contact; an answer nobody asked for is counted and kept
    in intake's record, nothing more."""

    event_type: ClassVar[str] = "reply_received"
    event_version: ClassVar[int] = 1

    reply_id: UUID
    contact_ref: UUID = Field(description="The contact in intake's vault who answered")
    channel: Channel
    answer: Literal["yes", "no", "cancel"]
    received_at: AwareDatetime
    language: LanguageTag | None = None


class CaseStatusAnswered(EventPayload):
    """cases answered a status request; notifications sends the reply to the contact."""

    event_type: ClassVar[str] = "case_status_answered"
    event_version: ClassVar[int] = 1

    request_id: UUID
    contact_ref: UUID
    language: LanguageTag | None = None
    reference: CaseReference
    owned: bool = Field(description="False when no case with this reference belongs to this contact")
    case_id: UUID | None = Field(None, description="The case, when owned")
    status: str | None = Field(None, description="Workflow status; None unless owned")


# --- cases: workflow -------------------------------------------------------------------------------
# Every case event carries the case's version after the change, so that a reader receiving events
# twice or out of order can keep only the newest state.

Actor = Annotated[str, StringConstraints(min_length=1, max_length=200),
                  Field(description="Subject of the staff member, or `system`")]
CaseStatus = Literal["new", "acknowledged", "in_progress", "waiting_for_complainant", "referred",
                     "resolved", "closed", "reopened"]
DeadlineKind = Literal["acknowledge", "first_response", "resolve", "refer"]


class CaseEvent(EventPayload):
    """Fields common to every event about one case (not published itself)."""

    case_id: UUID
    reference: CaseReference
    case_version: int = Field(ge=1, description="Version of the case after this change")
    status: CaseStatus = Field(description="Status after this change")
    restricted: bool
    at: AwareDatetime
    by: Actor


class CaseClassified(CaseEvent):
    event_type: ClassVar[str] = "case_classified"
    event_version: ClassVar[int] = 1

    category_code: CategoryCode
    narrative: Narrative | None = Field(None, description=(
        "Set only when this classification lifts the restriction, so that readers who kept no text of a "
        "restricted case (the search index) can show it now"))
    sub_category: str | None = None
    taxonomy_version: int = Field(ge=1)
    sensitive: bool
    confirmed: bool = Field(description="A person confirmed or changed it; False for the automatic suggestion")
    priority: Literal["emergency", "high", "normal"] | None = Field(
        None, description="The case's priority after this classification (None from producers before it existed)")
    refer_by: AwareDatetime | None = Field(
        None, description="When the case must be referred to a partner by: the due time of its open `refer` "
                          "deadline; None when it has none")
    share_with_partners: bool | None = Field(
        None, description="The complainant consented to a protection partner receiving their contact")
    feedback_id: UUID | None = Field(
        None, description="The message the case was opened for (the grounds intake checks a partner's reveal against)")
    contact_ref: UUID | None = Field(None, description="Contact in intake's vault; None when anonymous")
    released: bool = Field(False, description=(
        "A focal point released the case to the agents: not sensitive after all (its referral is withdrawn)"))


class CaseStatusChanged(CaseEvent):
    event_type: ClassVar[str] = "case_status_changed"
    event_version: ClassVar[int] = 1

    from_status: CaseStatus
    response_channel: str | None = Field(None, description="On closure: how the complainant was answered")
    no_contact_reason: str | None = Field(None, description="On closure without contact: why")


class CaseAssigned(CaseEvent):
    event_type: ClassVar[str] = "case_assigned"
    event_version: ClassVar[int] = 1

    assignee: str | None = None
    team: str | None = None


class CaseNoteAdded(CaseEvent):
    """A note was added; its text stays in cases."""

    event_type: ClassVar[str] = "case_note_added"
    event_version: ClassVar[int] = 1

    note_id: UUID


class CaseLinked(CaseEvent):
    """This case was linked to another as its duplicate, or a repeated message was attached to it."""

    event_type: ClassVar[str] = "case_linked"
    event_version: ClassVar[int] = 1

    duplicate_of: CaseReference | None = None
    feedback_id: UUID | None = Field(None, description="A repeated message attached to this case")


class CaseAnonymised(CaseEvent):
    """The case's retention period ended: it stays a statistic (country, channel, category, dates) while
    its texts and contact link are gone. Whoever kept a copy of its texts removes them too."""

    event_type: ClassVar[str] = "case_anonymised"
    event_version: ClassVar[int] = 1

    feedback_ids: list[UUID] = Field(description="Every message of the case: its first and its repeats")


class CaseConsentWithdrawn(CaseEvent):
    """The case's complainant withdrew their consent (ConsentWithdrawn): the case is no longer to be
    called back nor its contact shared with a partner."""

    event_type: ClassVar[str] = "case_consent_withdrawn"
    event_version: ClassVar[int] = 1


# --- replies from a case (cases asks, notifications sends and reports back) ---------------------------
# A reply is one intent with its own reply_id: notifications sends it at most once, and every later word
# about it (NotificationSentV2, MessageDeliveryUpdated, MessageWithheld, MessageDeliveryFailedV2) carries
# that id as `notification_id`. No event carries the text: it is the template's, filled in by notifications.

ReplyChannel = Literal["sms", "whatsapp"]
ReplyField = Annotated[str, StringConstraints(max_length=200)]
TemplateId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,60}$")]


class CaseReplyRequested(CaseEvent):
    """An agent sent the complainant a templated reply from the case; notifications sends it once."""

    event_type: ClassVar[str] = "case_reply_requested"
    event_version: ClassVar[int] = 1

    reply_id: UUID = Field(description="One reply: sent at most once, however often this event arrives")
    contact_ref: UUID = Field(description="The complainant's contact in intake's vault")
    feedback_id: UUID = Field(description="The case's message: the grounds intake checks the reveal against")
    template_id: TemplateId
    channel: ReplyChannel
    language: LanguageTag
    fields: dict[Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")], ReplyField] = Field(
        description="The case's non-personal fields the template may name, e.g. reference and status")


DeliveryState = Literal["queued", "sent", "delivered", "failed", "read"]


class MessageDeliveryUpdated(EventPayload):
    """A provider's receipt moved a reply forward (queued, sent, delivered, failed, read): the case's
    timeline shows it. Only states that move forward are told, each once."""

    event_type: ClassVar[str] = "message_delivery_updated"
    event_version: ClassVar[int] = 1

    notification_id: UUID = Field(description="For a reply, its reply_id")
    case_id: UUID
    reference: CaseReference
    purpose: MessagePurpose
    channel: ReplyChannel
    state: DeliveryState
    error_code: str | None = Field(None, max_length=20)
    updated_at: AwareDatetime


class MessageWithheld(EventPayload):
    """notifications sent nothing for this message, on purpose, and says why (consent withdrawn, a number
    it may not text, no approved WhatsApp template outside the 24-hour window, ...)."""

    event_type: ClassVar[str] = "message_withheld"
    event_version: ClassVar[int] = 1

    notification_id: UUID = Field(description="For a reply, its reply_id")
    case_id: UUID
    reference: CaseReference
    purpose: MessagePurpose
    channel: ReplyChannel
    reason: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")] = Field(
        description="consent_withdrawn, unverified_contact, no_phone, prefix_not_allowed, daily_limit, "
                    "unknown_template, no_whatsapp_template, channel_not_configured, provider_refused")
    withheld_at: AwareDatetime


class DeadlineScheduled(CaseEvent):
    """A deadline started, or moved (a pause ended); replaces any earlier one of the same kind."""

    event_type: ClassVar[str] = "deadline_scheduled"
    event_version: ClassVar[int] = 1

    kind: DeadlineKind
    due_at: AwareDatetime | None = Field(description="None while the clock is paused")
    cancelled: bool = Field(False, description=(
        "The deadline no longer applies (the case was reclassified into a category without it); "
        "it will never be settled"))


class DeadlineTimerFired(CaseEvent):
    """Fields of a deadline timer's events (not published itself)."""

    kind: DeadlineKind
    due_at: AwareDatetime
    priority: Literal["emergency", "high", "normal"]


class DeadlineWarning(DeadlineTimerFired):
    """75% of a deadline has passed; fired once."""

    event_type: ClassVar[str] = "deadline_warning"
    event_version: ClassVar[int] = 1


class DeadlineBreached(DeadlineTimerFired):
    """A deadline passed without the action it asks for; fired once."""

    event_type: ClassVar[str] = "deadline_breached"
    event_version: ClassVar[int] = 1


class DeadlineSettled(CaseEvent):
    """The action a deadline asks for was done: the headline indicator counts `within_deadline`."""

    event_type: ClassVar[str] = "deadline_settled"
    event_version: ClassVar[int] = 1

    kind: DeadlineKind
    due_at: AwareDatetime
    started_at: AwareDatetime = Field(description="When the clock started, for time-to-act figures")
    within_deadline: bool


# --- cases: callback tasks ----------------------------------------------------------------------------
# For reporting's Callbacks table (callbacks made, people reached, unreachable, delay to reach). No phone
# number, name or note: the task, its case, why and when.

CallbackReason = Literal["message_failed", "no_sms", "needs_explaining"]


class CallbackTaskOpened(EventPayload):
    """cases opened a callback task: someone should call the person about their case by `due_at`."""

    event_type: ClassVar[str] = "callback_task_opened"
    event_version: ClassVar[int] = 1

    task_id: UUID
    case_id: UUID
    reference: CaseReference
    reason: CallbackReason = Field(description=(
        "message_failed: a message never arrived; no_sms: cannot be texted; needs_explaining: an agent asked"))
    opened_at: AwareDatetime
    due_at: AwareDatetime


class CallbackAttemptRecorded(EventPayload):
    """An agent recorded one call of a callback task, and the task's state after it."""

    event_type: ClassVar[str] = "callback_attempt_recorded"
    event_version: ClassVar[int] = 1

    task_id: UUID
    case_id: UUID
    reference: CaseReference
    reason: CallbackReason
    attempt: int = Field(ge=1, description="1 for the task's first call")
    outcome: Literal["reached", "no_answer", "wrong_number", "call_dropped"]
    task_state: Literal["open", "reached", "unreachable"] = Field(description="After this call")
    task_opened_at: AwareDatetime = Field(description="For the delay from opening to reaching the person")
    at: AwareDatetime
    by: Actor


# --- data protection: erasure (crypto-shredding) ---------------------------------------------------------

ErasureScope = Literal["case", "complainant"]


class ErasureApproved(EventPayload):
    """A second person approved the erasure of a case or of a complainant (every case of one contact):
    each service erases its part (texts, data keys, the contact, copies in its outbox, parked messages,
    journal and index), keeps the case as an anonymous statistic, and answers ErasureCompleted."""

    event_type: ClassVar[str] = "erasure_approved"
    event_version: ClassVar[int] = 1

    erasure_id: UUID
    scope: ErasureScope
    references: list[CaseReference] = Field(min_length=1, max_length=1000)
    case_ids: list[UUID] = Field(default_factory=list, max_length=1000)
    contact_ref: UUID | None = Field(None, description=(
        "The complainant's contact, erased from intake's vault and blind index (scope `complainant`)"))
    approved_at: AwareDatetime


class ErasureCompleted(EventPayload):
    """One service erased its part of an approved erasure (sent again, idempotently, if asked twice)."""

    event_type: ClassVar[str] = "erasure_completed"
    event_version: ClassVar[int] = 1

    erasure_id: UUID
    service: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")]
    erased: dict[Annotated[str, StringConstraints(max_length=80)], int] = Field(
        description="What was erased where: rows or documents by place (`feedback.narrative`, `index:cases`)")
    completed_at: AwareDatetime


# --- appointments at a reception centre (cases books them; notifications texts the person) -------------

AppointmentCancelledBy = Literal["person", "agent"]
PlaceText = dict[LanguageTag, Annotated[str, StringConstraints(min_length=1, max_length=300)]]


class AppointmentBooked(EventPayload):
    """An agent booked the person of a case a slot at a reception centre. notifications confirms it by SMS
    and reminds the person the day before; it carries what those messages need (the centre's name and address
    per language, the contact in intake's vault and the message whose consent justifies texting them)."""

    event_type: ClassVar[str] = "appointment_booked"
    event_version: ClassVar[int] = 1

    appointment_id: UUID
    case_id: UUID
    reference: CaseReference
    centre_id: str = Field(max_length=100)
    centre_name: PlaceText = Field(description="The centre's name by language")
    centre_address: PlaceText = Field(description="Where the centre is, by language")
    starts_at: AwareDatetime
    booked_at: AwareDatetime
    booked_by: str = Field(max_length=200)
    contact_ref: UUID | None = Field(None, description="The person's contact in intake's vault; None: anonymous")
    feedback_id: UUID = Field(description="The case's first message: intake reveals the contact on its consent")
    consent_callback: bool = Field(False, description="The person agreed to be contacted: else no SMS")
    contact_verified: bool | None = Field(None, description="As CaseOpened.contact_verified: False is never texted")
    language: LanguageTag | None = None


class AppointmentCancelled(EventPayload):
    """A booked appointment was cancelled, by the person (an SMS "ANNULER") or by an agent. Its place is
    free again; notifications confirms the cancellation and sends no reminder."""

    event_type: ClassVar[str] = "appointment_cancelled"
    event_version: ClassVar[int] = 1

    appointment_id: UUID
    case_id: UUID
    reference: CaseReference
    centre_id: str = Field(max_length=100)
    centre_name: PlaceText
    centre_address: PlaceText
    starts_at: AwareDatetime
    cancelled_at: AwareDatetime
    cancelled_by: AppointmentCancelledBy
    contact_ref: UUID | None = None
    feedback_id: UUID
    consent_callback: bool = False
    contact_verified: bool | None = None
    language: LanguageTag | None = None


class AppointmentAttendanceRecorded(EventPayload):
    """The centre's desk recorded whether the person came to their appointment."""

    event_type: ClassVar[str] = "appointment_attendance_recorded"
    event_version: ClassVar[int] = 1

    appointment_id: UUID
    case_id: UUID
    reference: CaseReference
    centre_id: str = Field(max_length=100)
    starts_at: AwareDatetime
    attendance: Literal["attended", "missed"]
    recorded_at: AwareDatetime
    recorded_by: str = Field(max_length=200)
# --- cases: satisfaction after closure ---------------------------------------------------------------
# After a case is closed, a complainant who agreed to be contacted (from a verified number) is asked one
# short question by SMS; a "yes"/"no" reply (ReplyReceived) answers it within the country's window.


class SatisfactionQuestionDue(EventPayload):
    """cases closed a case whose complainant may be asked whether they are satisfied: notifications sends
    the question once per survey. It carries the grounds intake checks the reveal against (the case's
    first message), never the number."""

    event_type: ClassVar[str] = "satisfaction_question_due"
    event_version: ClassVar[int] = 1

    survey_id: UUID = Field(description="One survey per case: the intent the question is sent once for")
    case_id: UUID
    reference: CaseReference
    contact_ref: UUID
    feedback_id: UUID = Field(description="The case's first message, whose sender agreed to be contacted")
    language: LanguageTag | None = None
    asked_at: AwareDatetime
    answer_by: AwareDatetime = Field(description="A reply after this time answers nothing")


class SatisfactionAnswered(EventPayload):
    """The complainant answered the satisfaction question of a closed case. Reporting counts it by country,
    channel and category; a "no" puts the case in front of a supervisor."""

    event_type: ClassVar[str] = "satisfaction_answered"
    event_version: ClassVar[int] = 1

    survey_id: UUID
    case_id: UUID
    reference: CaseReference
    satisfied: bool
    answered_at: AwareDatetime
