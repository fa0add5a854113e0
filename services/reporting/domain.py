"""Pure rules of reporting: what of a case may enter the search index, and how
each event changes a case's document.

The index is pseudonymised by construction: it never receives a name, phone
number or email, free text is scrubbed of phone numbers, emails and identity
numbers, and a restricted (sensitive) case is indexed without its narrative.

Events may arrive twice or out of order, so a document never goes backwards:
each group of fields remembers the case version that last set it, and an
event older than that leaves the group alone. Facts that never change (when
the message was received, on which channel) are simply written again.
"""
import re

from chassis.redact import NameMask
from contracts.envelope import Envelope
from contracts.events import (
    AppointmentAttendanceRecorded, AppointmentBooked, AppointmentCancelled, CallbackAttemptRecorded,
    CallbackTaskOpened, CallRecorded, CaseAnonymised, CaseAssigned, CaseClassified, CaseEvent, CaseLinked, CaseOpened,
    CaseStatusAnswered,
    CaseStatusChanged, DeadlineBreached, DeadlineScheduled, DeadlineSettled, DeadlineTimerFired, DeadlineWarning,
    FeedbackReceived,
    NotificationSent, NotificationSentV2, ReferralAnswered, ReferralCreated, ReferralOutcomeRecorded, ReferralOverdue,
    SatisfactionAnswered, StatusRequested,
)

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Digits in groups, with an optional +, separated by one space, dot, dash, slash or comma (people
# write 622 12 34 56, 622.12.34.56, 622/12/34/56 and 622,98,76,54); a phone once it holds 7 digits.
DIGIT_GROUPS = re.compile(r"\+?\d+(?:[ .\-/,]\d+)*")
PHONE_MIN_DIGITS = 7
# A date (12/11/2026, 1.3.26) is not a phone: dates help a search and name no one.
DATE = re.compile(r"\d{1,2}[./\-]\d{1,2}[./\-](\d{2}|\d{4})")
# Letters then six or more digits (passport, voter or refugee card: AB1234567, gn 123456, GN-1234567),
# in any case; and any number announced as one (N° 123456, No. 4521, numéro 12345).
ID_NUMBER = re.compile(r"\b[A-Za-z]{1,3}[ \-]?\d{6,}\b")
NUMBERED = re.compile(r"(?<!\w)(?:n\s?[°º]|no\.?|num(?:[ée]ro)?\.?)\s*:?\s*\d[\d .\-/]*\d", re.IGNORECASE)

# intake sends places as the gazetteer names them; an event from before that (or from any other
# producer) may carry what a person typed, and a value that cannot be a place's name is kept as
# `other`: digits (a phone), an @, or a character a spreadsheet would run.
PLACE_NAME = re.compile(r"[^\W\d_][^\W\d_ .'’()-]*(?:[ .'’()-]+[^\W\d_]+)*[.)]?")
OTHER_PLACE = "other"
NOT_KEPT = "[not kept]"  # stands for free text reporting has no use for, where the contract needs some
# CaseOpened carries no version: it describes the case as cases created it, version 1.
OPENED_VERSION = 1
# Within one case version a deadline only moves forward: scheduled, then warned, breached, settled.
DEADLINE_RANK = {"scheduled": 0, "warning": 1, "breached": 2, "settled": 3}


def scrub(text: str, names: NameMask | None = None) -> str:
    """`text` without emails, identity numbers, phone numbers and the `names` given (staff of the
    country). Idempotent: scrubbing scrubbed text changes nothing."""
    text = EMAIL.sub("[email]", text)
    text = NUMBERED.sub("[id]", text)
    text = ID_NUMBER.sub("[id]", text)
    text = DIGIT_GROUPS.sub(_phone_or_number, text)
    return names.mask(text) if names else text


def _phone_or_number(match: re.Match) -> str:
    found = match.group(0)
    if DATE.fullmatch(found) or sum(char.isdigit() for char in found) < PHONE_MIN_DIGITS:
        return found
    return "[phone]"


# Events that enter the timeline only: the case's document does not change (a callback is counted from
# the timeline, where each task and each call is one document).
TIMELINE_ONLY = (CallbackTaskOpened, CallbackAttemptRecorded)


def case_reference(event) -> str | None:
    """The case whose document `event` changes; None for events about no case of the person's own
    (a call, a status request, a reply about someone else's reference)."""
    if isinstance(event, (CallRecorded, StatusRequested, CaseStatusAnswered)):
        return None
    if isinstance(event, (NotificationSent, NotificationSentV2)) and event.case_id is None:
        return None
    return event.reference


def apply_event(document: dict, envelope: Envelope, event, names: NameMask | None = None) -> dict:
    """The case document after `event`; `document` is left unchanged ({} for a case not seen yet).
    `names`: the staff names of the event's country, kept out of the narrative."""
    doc = {**document, "versions": dict(document.get("versions", {})),
           "deadlines": {kind: dict(entry) for kind, entry in document.get("deadlines", {}).items()}}
    doc.setdefault("reference", event.reference)
    doc.setdefault("country", envelope.country)
    if hasattr(event, "case_id") and event.case_id is not None:
        doc["case_id"] = str(event.case_id)

    if isinstance(event, FeedbackReceived):
        _apply_feedback(doc, event)
    elif isinstance(event, CaseOpened):
        _apply_opened(doc, event, names)
    elif isinstance(event, CaseEvent):
        _apply_case_event(doc, event, names)
    elif isinstance(event, ReferralCreated):
        if doc.get("referral_id") == str(event.referral_id):  # its answer or overdue mark came first
            doc.update(partner_id=event.partner_id, referred_at=event.created_at.isoformat(),
                       referral_status=doc.get("referral_status") or "pending",
                       referral_answered_at=doc.get("referral_answered_at"),
                       referral_overdue=doc.get("referral_overdue", False),
                       referral_outcome=doc.get("referral_outcome"))
        elif event.created_at.isoformat() >= (doc.get("referred_at") or ""):  # a first or a re-routed referral
            doc.update(referral_id=str(event.referral_id), partner_id=event.partner_id,
                       referred_at=event.created_at.isoformat(), referral_status="pending",
                       referral_answered_at=None, referral_overdue=False, referral_outcome=None)
    elif isinstance(event, ReferralAnswered):
        if doc.get("referral_id") in (None, str(event.referral_id)):
            doc.update(referral_id=str(event.referral_id), partner_id=event.partner_id,
                       referral_status="accepted" if event.accepted else "declined",
                       referral_answered_at=event.answered_at.isoformat())
    elif isinstance(event, ReferralOverdue):
        if doc.get("referral_id") in (None, str(event.referral_id)):
            doc.update(referral_id=str(event.referral_id), partner_id=event.partner_id, referral_overdue=True)
    elif isinstance(event, ReferralOutcomeRecorded):
        if doc.get("referral_id") in (None, str(event.referral_id)):
            doc.update(referral_id=str(event.referral_id), partner_id=event.partner_id,
                       referral_outcome=event.outcome)
    elif isinstance(event, SatisfactionAnswered):  # one survey per case: its answer stands
        doc.update(satisfied=event.satisfied, satisfaction_answered_at=event.answered_at.isoformat())
    elif isinstance(event, (NotificationSent, NotificationSentV2)):  # v1 in journals of before v2
        doc["replies_sent"] = sorted({*doc.get("replies_sent", []), str(event.notification_id)})
    elif isinstance(event, (AppointmentBooked, AppointmentCancelled, AppointmentAttendanceRecorded)):
        pass  # counted from the timeline (by centre); the case's document does not change
    else:
        raise TypeError(f"no rule for {type(event).__name__} in a case document")

    doc["deadline_state"], doc["next_due_at"] = _deadline_summary(doc["deadlines"])
    if doc.get("restricted") or is_anonymised(doc):
        doc["narrative"] = None
    return doc


def is_anonymised(doc: dict) -> bool:
    """The case's retention period ended (CaseAnonymised): it stays a statistic, without its text.
    Kept among the versions (which are not indexed), so no mapping changes for it."""
    return "anonymised" in doc.get("versions", {})


def _apply_feedback(doc: dict, event: FeedbackReceived) -> None:
    if event.repeat:
        doc["repeats"] = sorted({*doc.get("repeats", []), str(event.feedback_id)})
        return
    respondent, location = event.respondent, event.location
    doc.update(
        channel=event.channel.value, language=event.language, received_at=event.received_at.isoformat(),
        endpoint=event.endpoint, has_contact=event.contact_ref is not None,
        sex=respondent.sex.value if respondent and respondent.sex else None,
        age_group=respondent.age_group.value if respondent and respondent.age_group else None,
        disability=respondent.disability if respondent else None,
        adm1=place_name(location.adm1) if location else None, adm2=place_name(location.adm2) if location else None,
        adm3=place_name(location.adm3) if location else None,
    )


def place_name(value: str | None) -> str | None:
    """`value` when it can be a place's name (letters, with spaces, apostrophes, dots, hyphens), else `other`."""
    if value is None:
        return None
    return value if len(value) <= 100 and PLACE_NAME.fullmatch(value) else OTHER_PLACE


def _apply_opened(doc: dict, event: CaseOpened, names: NameMask | None) -> None:
    doc.update(channel=event.channel.value, language=event.language, received_at=event.received_at.isoformat(),
               opened_at=event.opened_at.isoformat(), has_contact=event.contact_ref is not None)
    if _newer(doc, "priority", OPENED_VERSION):
        doc["priority"] = event.priority
    if _newer(doc, "status", OPENED_VERSION):
        doc["status"] = "new"
    if _newer(doc, "restricted", OPENED_VERSION):
        doc["restricted"] = event.restricted
    if _newer(doc, "classification", OPENED_VERSION):
        doc.update(category_code=event.category_code, sensitive=event.sensitive, classification_confirmed=False)
    _apply_deadline(doc, event.deadline_kind, OPENED_VERSION, "scheduled",
                    {"due_at": event.deadline_at.isoformat(), "started_at": event.received_at.isoformat(),
                     "paused": False, "state": "open"})
    if "narrative" not in doc:  # a later unrestriction may have brought the text already
        doc["narrative"] = scrub(event.narrative, names)


def _apply_case_event(doc: dict, event: CaseEvent, names: NameMask | None) -> None:
    version = event.case_version
    doc["updated_at"] = max(doc.get("updated_at", ""), event.at.isoformat())
    if _newer(doc, "status", version):
        doc["status"] = event.status
    if _newer(doc, "restricted", version):
        doc["restricted"] = event.restricted
    if isinstance(event, DeadlineTimerFired) and _newer(doc, "priority", version):
        doc["priority"] = event.priority  # the timer read the case's priority when it fired
    if isinstance(event, CaseStatusChanged):
        if event.status in ("resolved", "closed") and _newer(doc, f"{event.status}_at", version):
            doc[f"{event.status}_at"] = event.at.isoformat()
        if event.status == "closed" and _newer(doc, "closure", version):
            doc.update(response_channel=event.response_channel, closed_without_contact=bool(event.no_contact_reason))
    elif isinstance(event, CaseClassified):
        if _newer(doc, "classification", version):
            doc.update(category_code=event.category_code, sub_category=event.sub_category,
                       taxonomy_version=event.taxonomy_version, sensitive=event.sensitive,
                       classification_confirmed=event.confirmed)
        if event.priority is not None and _newer(doc, "priority", version):
            doc["priority"] = event.priority
        if event.narrative and not event.restricted and doc["versions"].get("restricted") == version:
            doc["narrative"] = scrub(event.narrative, names)  # the restriction was lifted by this very change
    elif isinstance(event, CaseAnonymised):
        doc["versions"]["anonymised"] = version
        doc["has_contact"] = False
    elif isinstance(event, CaseAssigned) and _newer(doc, "assignment", version):
        doc.update(assignee=event.assignee, team=event.team)
    elif isinstance(event, CaseLinked):
        if event.duplicate_of:
            doc["duplicate_of"] = event.duplicate_of
        if event.feedback_id:
            doc["repeats"] = sorted({*doc.get("repeats", []), str(event.feedback_id)})
    elif isinstance(event, DeadlineScheduled):
        _apply_deadline(doc, event.kind, version, "scheduled",
                        {"due_at": event.due_at.isoformat() if event.due_at else None,
                         "paused": event.due_at is None and not event.cancelled,
                         "state": "cancelled" if event.cancelled else "open"}, restart=True)
    elif isinstance(event, DeadlineWarning):
        _apply_deadline(doc, event.kind, version, "warning", {"due_at": event.due_at.isoformat(), "paused": False,
                                                                 "state": "warning"})
    elif isinstance(event, DeadlineBreached):
        _apply_deadline(doc, event.kind, version, "breached",
                        {"due_at": event.due_at.isoformat(), "paused": False, "state": "breached"})
    elif isinstance(event, DeadlineSettled):
        _apply_deadline(doc, event.kind, version, "settled", {
            "due_at": event.due_at.isoformat(), "started_at": event.started_at.isoformat(),
            "settled_at": event.at.isoformat(), "within_deadline": event.within_deadline,
            "seconds_taken": (event.at - event.started_at).total_seconds(), "paused": False, "state": "settled"})


def _newer(doc: dict, group: str, version: int) -> bool:
    """True (and the group's version recorded) when `version` is not older than what set `group`."""
    if version < doc["versions"].get(group, 0):
        return False
    doc["versions"][group] = version
    return True


def _apply_deadline(doc: dict, kind: str, version: int, step: str, fields: dict, restart: bool = False) -> None:
    entry = doc["deadlines"].get(kind, {})
    current = (entry.get("version", 0), DEADLINE_RANK[entry.get("step", "scheduled")])
    if (version, DEADLINE_RANK[step]) < current:
        return
    if restart:
        entry = {}  # a new or moved deadline: earlier warnings belong to the old one
    entry.setdefault("state", "open")
    doc["deadlines"][kind] = {**entry, **fields, "version": version, "step": step}


def _deadline_summary(deadlines: dict) -> tuple[str, str | None]:
    """The worst state among unsettled deadlines, and the soonest due date among them."""
    pending = [entry for entry in deadlines.values() if entry.get("state") not in ("settled", "cancelled")]
    states = {entry.get("state") for entry in pending}
    state = "breached" if "breached" in states else "warning" if "warning" in states else "ok"
    due = sorted(entry["due_at"] for entry in pending if entry.get("due_at"))
    return state, due[0] if due else None


def call_document(call: CallRecorded, envelope: Envelope) -> dict:
    return {"call_id": call.call_id, "country": envelope.country, "endpoint": call.endpoint,
            "started_at": call.started_at.isoformat(), "outcome": call.outcome,
            "wait_seconds": call.wait_seconds, "duration_seconds": call.duration_seconds, "agent_id": call.agent_id}


def timeline_entry(envelope: Envelope, reference: str | None, event) -> dict:
    """One event of the platform's history, without its payload's free text."""
    return {"message_id": str(envelope.message_id), "type": envelope.type, "version": envelope.version,
            "occurred_at": envelope.occurred_at.isoformat(), "country": envelope.country,
            "producer": envelope.producer, "correlation_id": str(envelope.correlation_id),
            "case_id": str(event.case_id) if getattr(event, "case_id", None) else None, "reference": reference,
            "at": event_time(event, envelope).isoformat(),
            "status": getattr(event, "status", None) if isinstance(event, CaseEvent) else None,
            "by": getattr(event, "by", None) if isinstance(event, CaseEvent) else None,
            # Appointments at a reception centre: counted by centre and attendance in the report.
            "centre_id": getattr(event, "centre_id", None), "attendance": getattr(event, "attendance", None),
            **({"callback": callback_facts(event)} if isinstance(event, TIMELINE_ONLY) else {})}


def callback_facts(event) -> dict:
    """What the Callbacks table counts of a task's opening or of one call: why, how it went, and for the
    call that reached the person, the hours since the task opened."""
    if isinstance(event, CallbackTaskOpened):
        return {"reason": event.reason}
    reached = event.outcome == "reached"
    return {"reason": event.reason, "outcome": event.outcome, "task_state": event.task_state,
            "hours_to_reach": (event.at - event.task_opened_at).total_seconds() / 3600 if reached else None}


TIME_FIELDS = ("at", "received_at", "sent_at", "created_at", "answered_at", "marked_at", "started_at", "opened_at")


def event_time(event, envelope: Envelope):
    """When the thing an event reports happened (a message received, an SMS sent), not when it was published."""
    for name in TIME_FIELDS:
        value = getattr(event, name, None)
        if value is not None:
            return value
    return envelope.occurred_at


def journal_envelope(envelope: Envelope, event, names: NameMask | None = None) -> dict:
    """The envelope as reporting keeps it, enough to rebuild the index and no more: a restricted
    case's narrative and the message as intake received it are not kept, other free text is scrubbed.
    A contact_ref is an opaque key into intake's vault and stays."""
    body = envelope.model_dump(mode="json")
    # Only the fields reporting knows: a field a newer producer added (perhaps free text) is not kept.
    payload = body["payload"] = event.model_dump(mode="json")
    if isinstance(event, FeedbackReceived) or (isinstance(event, CaseOpened) and event.restricted):
        payload["narrative"] = NOT_KEPT
    elif isinstance(event, (CaseOpened, CaseClassified)) and payload.get("narrative"):
        payload["narrative"] = None if event.restricted else scrub(payload["narrative"], names)
    if isinstance(event, FeedbackReceived) and payload.get("location"):
        payload["location"] = {level: place_name(value) for level, value in payload["location"].items()}
    if isinstance(event, CaseStatusChanged) and event.no_contact_reason:
        payload["no_contact_reason"] = NOT_KEPT
    return body
