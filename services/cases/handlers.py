"""Cases' use cases. Each runs in one unit of work: the change, its timeline entry, its audit
row and the events it causes commit together or not at all.

Confidentiality: a restricted case is visible to focal points only. Anyone else gets the same
404 as for a case that does not exist, and the attempt is audited. Narratives and note texts
never go to logs or span attributes.

What people wrote (the narrative, notes, the resolution and the answer given, the timeline's
details) is stored sealed under the case's own data key (chassis/envelope.py, `Change.seal`), and
opened only to build the view of someone who may see the case.
"""
import base64
import binascii
import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo
from uuid import UUID, uuid4

from chassis.auth import Principal
from chassis.envelope import KeyDestroyed, TextEnvelope
from chassis.errors import ApiError
from contracts.envelope import Envelope
from contracts.events import (
    CaseAssigned, CaseClassified, CaseLinked, CaseNoteAdded, CaseOpened, CaseStatusAnswered, CaseStatusChanged,
    DeadlineBreached, DeadlineScheduled, DeadlineSettled, DeadlineWarning, FeedbackReceived, ReferralCreated,
    StatusRequested,
)
from contracts.http import (
    AssignmentOutcome, BoardLine, BulkAssignmentResult, CaseList, CaseSummary, CaseView, ChangeCaseStatus,
    CountryBoard, DeadlineBoard, DeadlineView, QualitySample, ReviewView, SampledCase, TimelineEntry, AccessLog,
    AccessLogEntry,
)
from services.cases import callbacks, domain, repository, satisfaction
from services.cases import model as classifier_model
from services.cases.business_time import Deadline
from services.cases.settings import CasesSettings

SYSTEM = "system"
NOT_FOUND = ApiError(404, "case_not_found", "There is no case with this reference that you may see.")


@dataclass(frozen=True)
class Caller:
    """Who acts, and from where (for the audit log)."""

    principal: Principal
    address: str | None = None
    user_agent: str | None = None


class CaseNotOpenedYet(Exception):
    """A repeated message arrived before its first message's case: the consumer retries it."""


def visible(case: dict, principal: Principal) -> bool:
    return case["country"] in principal.countries and (not case["restricted"] or principal.sees_restricted_cases)


def current_time(uow, settings: CasesSettings) -> datetime:
    """Now, for every rule of this service. Only a test configuration (clock.adjustable) may be
    ahead of the real clock, by an offset an admin set."""
    now = datetime.now(UTC)
    if not settings.clock.adjustable:
        return now
    with uow:
        return now + timedelta(seconds=repository.clock_offset_seconds(uow.conn))


def set_clock(uow, settings: CasesSettings, target: datetime) -> float:
    if not settings.clock.adjustable:
        raise ApiError(404, "not_found", "There is no such endpoint.")
    offset = (target - datetime.now(UTC)).total_seconds()
    with uow:
        repository.set_clock_offset(uow.conn, offset)
    return offset


# --- one change to one case -------------------------------------------------------------------------------


class Change:
    """A change being made to a locked case: bumps its version once, and stamps every event
    it emits with the case's state after the change."""

    def __init__(self, uow, case: dict, actor: str, now: datetime, settings: CasesSettings):
        self.uow, self.case, self.actor, self.now, self.settings = uow, case, actor, now, settings
        self.bumped = False

    @property
    def conn(self):
        return self.uow.conn

    @property
    def calendar(self):
        return self.settings.calendar(self.case["country"], self.now.year)

    @property
    def data_key(self):
        """The case's data key (made with the case's first sealed text); None once the case was erased."""
        if not hasattr(self, "_data_key"):
            try:
                self._data_key = self.settings.text_envelope.data_key(self.conn, str(self.case["case_id"]))
            except KeyDestroyed:
                self._data_key = None
        return self._data_key

    def seal(self, text: str | None) -> str | None:
        """A person's text sealed under the case's key. An erased case takes no new text: refused."""
        if text is None:
            return None
        if self.data_key is None:
            raise domain.Refused(409, "case_erased", "This case was erased: it keeps no text any more.")
        return TextEnvelope.seal(self.data_key, text)

    def apply(self, **changes) -> None:
        """Write the changes; the first call of a change bumps the version, later ones keep it."""
        if not self.bumped:
            changes["updated_at"] = self.now
        self.case["version"] = repository.update_case(self.conn, self.case["case_id"], changes,
                                                      bump=not self.bumped)
        self.bumped = True
        self.case.update(changes)

    def emit(self, event_type, **fields) -> None:
        case = self.case
        self.uow.emit(event_type(
            case_id=case["case_id"], reference=case["reference"], case_version=case["version"],
            status=case["status"], restricted=case["restricted"], at=self.now, by=self.actor, **fields,
        ), country=case["country"])

    def record(self, action: str, **detail) -> None:
        """A timeline entry. Its details that a person typed or that quote the narrative are sealed under
        the case's data key; the workflow's facts (statuses, categories, deadlines) stay readable to the
        queries that count them. An erased case's timeline keeps only those facts."""
        detail = _jsonable(detail)
        texts = {key: detail.pop(key) for key in list(detail) if key in domain.TEXT_DETAIL_KEYS}
        if texts and self.data_key:
            detail["sealed"] = TextEnvelope.seal(self.data_key, json.dumps(texts))
        repository.add_history(self.conn, self.case["case_id"], self.case["version"], self.now, self.actor,
                               action, detail)

    def schedule(self, deadline: Deadline) -> None:
        repository.save_deadline(self.conn, self.case["case_id"], deadline)
        self.emit(DeadlineScheduled, kind=deadline.kind, due_at=deadline.due_at)
        self.record("deadline_scheduled", kind=deadline.kind, due_at=deadline.due_at)

    def cancel(self, kind: str) -> None:
        """A deadline the case's new category does not have: it stops, and is never counted."""
        repository.cancel_deadline(self.conn, self.case["case_id"], kind, self.now)
        self.emit(DeadlineScheduled, kind=kind, due_at=None, cancelled=True)
        self.record("deadline_cancelled", kind=kind)

    def settle(self, kinds: tuple[str, ...]) -> None:
        for row in repository.deadlines(self.conn, self.case["case_id"], open_only=True):
            deadline = row["deadline"]
            if deadline.kind not in kinds:
                continue
            within = deadline.met_by(self.now)
            repository.settle_deadline(self.conn, self.case["case_id"], deadline.kind, self.now, within)
            self.emit(DeadlineSettled, kind=deadline.kind, due_at=deadline.due_at or self.now,
                      started_at=deadline.started_at, within_deadline=within)
            self.record("deadline_settled", kind=deadline.kind, within_deadline=within)

    def audit(self, caller: Caller | None, action: str, **detail) -> None:
        principal = caller.principal if caller else None
        repository.audit(self.conn, actor=self.actor, role=principal.role if principal else SYSTEM, action=action,
                         case_id=self.case["case_id"], reference=self.case["reference"],
                         client_address=caller.address if caller else None,
                         user_agent=caller.user_agent if caller else None, detail=_jsonable(detail))

    def finish(self) -> None:
        repository.refresh_queue_position(self.conn, self.case["case_id"])


def _jsonable(detail: dict) -> dict:
    return json.loads(json.dumps(detail, default=str))


def _act(uow, settings: CasesSettings, reference: str, caller: Caller, expected_version: int | None,
         action: str, do, now: datetime, detail: dict | None = None) -> CaseView:
    """Lock the case, check who may act and on which version, run `do(change)`, answer the new view."""
    if expected_version is None:
        raise ApiError(428, "version_required",
                       "Send the case version you acted on, as If-Match or as `version` in the body.")
    with uow:
        case = repository.find_case(uow.conn, reference, lock=True)
        if case is not None and visible(case, caller.principal):
            if case["version"] != expected_version:
                raise ApiError(409, "version_conflict",
                               "The case changed since you read it: reload it and try again.",
                               [{"field": "version", "reason": f"the case is at version {case['version']}"}])
            change = Change(uow, case, caller.principal.subject, now, settings)
            try:
                do(change)
            except domain.Refused as refused:
                raise ApiError(refused.status, refused.code, refused.message) from None
            change.finish()
            change.audit(caller, action, **(detail or {}))
            return case_view(uow.conn, change.case, settings.text_envelope)
        _audit_denied(uow.conn, reference, case, caller, action)
    raise NOT_FOUND


def _audit_denied(conn, reference: str, case: dict | None, caller: Caller, action: str) -> None:
    """Someone asked for a case they may not see, or one that does not exist: worth knowing, and
    the same work either way, in the same transaction as the look-up, so that the time a 404 takes
    does not tell a restricted case from a missing one."""
    repository.audit(conn, actor=caller.principal.subject, role=caller.principal.role,
                     action=f"{action}_denied", case_id=case["case_id"] if case else None, reference=reference[:64],
                     client_address=caller.address, user_agent=caller.user_agent)


# --- opening cases ----------------------------------------------------------------------------------------


def open_case(uow, feedback: FeedbackReceived, envelope: Envelope, settings: CasesSettings, now: datetime) -> None:
    """Open a case for a new message (or attach a repeated one to its first case)."""
    if feedback.repeat:
        attach_repeat(uow, feedback, envelope, settings, now)
        return
    country = envelope.country
    suggestion = domain.with_agent_assessment(
        classifier_model.classify(feedback.narrative, settings.classifier_phrases(country),
                                  model=settings.classifier_model(country)), feedback.agent_assessment)
    taxonomy = settings.taxonomy(country)
    category_code = suggestion.category_code if taxonomy.category(suggestion.category_code or 0) else None
    # The clock starts when the programme received the message (a call logged later, a box slip
    # transcribed days after collection), never in the future.
    started = min(feedback.received_at, now)
    deadlines = domain.opening_deadlines(settings.deadline_policy(country),
                                         settings.calendar(country, started.year), suggestion, started)
    first = deadlines[0]
    case = {
        "case_id": uuid4(), "reference": feedback.reference, "feedback_id": feedback.feedback_id,
        "country": country, "channel": feedback.channel, "language": feedback.language,
        "narrative": None, "received_at": feedback.received_at, "opened_at": now,
        "status": "new", "category_code": category_code, "sub_category": suggestion.sub_category,
        "taxonomy_version": taxonomy.version, "suggestion_confidence": suggestion.confidence,
        "sensitive": suggestion.sensitive, "restricted": suggestion.sensitive,
        "sensitivity_reasons": list(suggestion.sensitive_rules), "priority": domain.priority_of(suggestion),
        "deadline_kind": first.kind, "deadline_at": first.due_at, "contact_ref": feedback.contact_ref,
        "consent_callback": feedback.consent.callback, "consent_share": feedback.consent.share_with_partners,
        "contact_verified": feedback.contact_verified, "version": 1, "classifier_version": suggestion.model_version,
    }
    with uow:
        if not uow.claim_message():
            return
        case["narrative"] = TextEnvelope.seal(
            settings.text_envelope.data_key(uow.conn, str(case["case_id"])), feedback.narrative)
        if not repository.insert_case(uow.conn, case):
            return
        # CaseOpened first: an emergency is what alerts supervisors and starts the referral.
        uow.emit(CaseOpened(
            case_id=case["case_id"], reference=case["reference"], feedback_id=case["feedback_id"],
            channel=case["channel"], language=case["language"], narrative=feedback.narrative,
            received_at=case["received_at"], opened_at=now, category_code=category_code,
            sensitive=case["sensitive"], restricted=case["restricted"],
            sensitivity_reasons=case["sensitivity_reasons"], priority=case["priority"],
            deadline_kind=first.kind, deadline_at=first.due_at, contact_ref=feedback.contact_ref,
            consent=feedback.consent, contact_verified=feedback.contact_verified,
            area=feedback.location.adm1 if feedback.location else None,
        ), country=country)
        change = Change(uow, case, SYSTEM, now, settings)
        change.record("opened", channel=case["channel"], priority=case["priority"],
                      suggestion={"category_code": category_code, "sub_category": suggestion.sub_category,
                                  "confidence": suggestion.confidence, "reasons": list(suggestion.reasons),
                                  # Inside the case's timeline only (it quotes the narrative), never logged.
                                  "explanation": list(suggestion.explanation),
                                  "model_version": suggestion.model_version, "p_sensitive": suggestion.p_sensitive,
                                  "p_emergency": suggestion.p_emergency})
        if category_code is not None:
            repository.record_taxonomy(uow.conn, country, taxonomy.version, _taxonomy_body(taxonomy))
            change.emit(CaseClassified, category_code=category_code, sub_category=suggestion.sub_category,
                        taxonomy_version=taxonomy.version, sensitive=suggestion.sensitive, confirmed=False,
                        priority=case["priority"],
                        refer_by=next((d.due_at for d in deadlines if d.kind == "refer"), None),
                        share_with_partners=case["consent_share"])
        for deadline in deadlines:
            change.schedule(deadline)
        callbacks.open_for_new_case(uow, case, feedback.contact_verified, settings.callback_policy(country), now)
        change.finish()
        change.audit(None, "open")


def attach_repeat(uow, feedback: FeedbackReceived, envelope: Envelope, settings: CasesSettings,
                  now: datetime) -> None:
    """The same person sent the same text again: no new case, the message joins the first one's.
    If the new words look sensitive, the case is restricted at once."""
    with uow:
        if not uow.claim_message():
            return
        case = repository.find_case(uow.conn, feedback.reference, lock=True)
        if case is None:
            raise CaseNotOpenedYet(feedback.reference)
        if not repository.attach_feedback(uow.conn, feedback.feedback_id, case["case_id"], feedback.channel,
                                          feedback.received_at):
            return
        change = Change(uow, case, SYSTEM, now, settings)
        suggestion = classifier_model.classify(feedback.narrative, settings.classifier_phrases(envelope.country),
                                               model=settings.classifier_model(envelope.country), explain=False)
        if suggestion.sensitive and not case["restricted"]:
            change.apply(sensitive=True, restricted=True,
                         sensitivity_reasons=list(suggestion.sensitive_rules),
                         priority=domain.priority_of(suggestion))
        else:
            change.apply()
        change.record("repeat_attached", feedback_id=feedback.feedback_id, channel=feedback.channel,
                      restricted=case["restricted"])
        change.emit(CaseLinked, feedback_id=feedback.feedback_id)
        change.finish()
        change.audit(None, "repeat_attached", feedback_id=feedback.feedback_id)


def _taxonomy_body(taxonomy: domain.Taxonomy) -> dict:
    return {"categories": {code: {"name": category.name, "sensitive": category.sensitive,
                                  "emergency": category.emergency}
                           for code, category in taxonomy.categories.items()},
            "sub_categories": list(taxonomy.sub_categories)}


# --- reading ----------------------------------------------------------------------------------------------


def get_case(uow, settings: CasesSettings, reference: str, caller: Caller) -> CaseView:
    with uow:
        case = repository.find_case(uow.conn, reference)
        if case is not None and visible(case, caller.principal):
            if case["restricted"]:
                repository.audit(uow.conn, actor=caller.principal.subject, role=caller.principal.role,
                                 action="read", case_id=case["case_id"], reference=reference,
                                 client_address=caller.address, user_agent=caller.user_agent)
            return case_view(uow.conn, case, settings.text_envelope)
        # Out of scope and restricted look the same as missing: a case's existence must not leak.
        _audit_denied(uow.conn, reference, case, caller, "read")
    raise NOT_FOUND


def access_log(uow, reference: str, caller: Caller) -> AccessLog:
    """Who opened or changed a case and when, for a focal point of its country. Reading the log is
    itself a look at the case, and is logged like one."""
    with uow:
        case = repository.find_case(uow.conn, reference)
        if case is not None and visible(case, caller.principal):
            entries = [AccessLogEntry(**row) for row in repository.audit_entries(uow.conn, case["case_id"])]
            repository.audit(uow.conn, actor=caller.principal.subject, role=caller.principal.role,
                             action="read_access_log", case_id=case["case_id"], reference=reference,
                             client_address=caller.address, user_agent=caller.user_agent)
            return AccessLog(reference=case["reference"], entries=entries)
        _audit_denied(uow.conn, reference, case, caller, "read_access_log")
    raise NOT_FOUND


def opened_history(entries: list[dict], key) -> list[dict]:
    """The timeline with its sealed details opened (erased: the facts alone)."""
    opened = []
    for entry in entries:
        detail = entry["detail"]
        if isinstance(detail, dict) and "sealed" in detail:
            text = TextEnvelope.open(key, detail.pop("sealed"))
            detail = {**detail, **(json.loads(text) if text else {})}
        opened.append({**entry, "detail": detail})
    return opened


def case_view(conn, case: dict, envelope: TextEnvelope) -> CaseView:
    key = envelope.existing_key(conn, str(case["case_id"]))
    deadlines = [DeadlineView(kind=row["kind"], started_at=row["started_at"], due_at=row["due_at"],
                              paused=row["paused_at"] is not None, warned_at=row["warned_at"],
                              breached_at=row["breached_at"], settled_at=row["settled_at"],
                              within_deadline=row["within_deadline"])
                 for row in repository.deadlines(conn, case["case_id"])]
    timeline = [TimelineEntry(**entry) for entry in opened_history(repository.history(conn, case["case_id"]), key)]
    return CaseView(
        reference=case["reference"], case_id=case["case_id"], country=case["country"], channel=case["channel"],
        language=case["language"], status=case["status"], category_code=case["category_code"],
        sensitive=case["sensitive"], restricted=case["restricted"], priority=case["priority"],
        narrative=TextEnvelope.open(key, case["narrative"]), received_at=case["received_at"],
        opened_at=case["opened_at"],
        deadline_kind=case["deadline_kind"], deadline_at=case["deadline_at"],
        has_contact=case["contact_ref"] is not None, version=case["version"], sub_category=case["sub_category"],
        taxonomy_version=case["taxonomy_version"], classification_confirmed=case["classification_confirmed"],
        classified_by=case["classified_by"], classified_at=case["classified_at"],
        suggestion_confidence=case["suggestion_confidence"], sensitivity_reasons=case["sensitivity_reasons"],
        assignee=case["assignee"], team=case["team"], deadline_state=case["deadline_state"], deadlines=deadlines,
        resolution=TextEnvelope.open(key, case["resolution"]), response=TextEnvelope.open(key, case["response"]),
        response_channel=case["response_channel"],
        no_contact_reason=TextEnvelope.open(key, case["no_contact_reason"]), duplicate_of=case["duplicate_of"],
        timeline=timeline)


FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)


def encode_cursor(due: datetime, case_id: UUID) -> str:
    raw = json.dumps([due.isoformat(), str(case_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        due, case_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(due), UUID(case_id)
    except (ValueError, TypeError, binascii.Error):
        raise ApiError(400, "invalid_cursor", "This cursor was not given by this list.") from None


def list_cases(uow, caller: Caller, filters: dict, cursor: str | None, limit: int) -> CaseList:
    principal = caller.principal
    after = decode_cursor(cursor) if cursor else None
    with uow:
        rows = repository.list_cases(uow.conn, countries=sorted(principal.countries),
                                     include_restricted=principal.sees_restricted_cases, filters=filters,
                                     after=after, limit=limit + 1)
        shown_restricted = [row for row in rows[:limit] if row["restricted"]]
        for row in shown_restricted:
            repository.audit(uow.conn, actor=principal.subject, role=principal.role, action="list",
                             case_id=row["case_id"], reference=row["reference"],
                             client_address=caller.address, user_agent=caller.user_agent)
    page = rows[:limit]
    summaries = [CaseSummary(
        reference=row["reference"], country=row["country"], channel=row["channel"], status=row["status"],
        category_code=row["category_code"], sub_category=row["sub_category"], priority=row["priority"],
        restricted=row["restricted"], assignee=row["assignee"], team=row["team"], received_at=row["received_at"],
        next_deadline_at=None if row["queue_due_at"] >= FAR_FUTURE else row["queue_due_at"],
        deadline_state=row["deadline_state"], version=row["version"]) for row in page]
    next_cursor = encode_cursor(page[-1]["queue_due_at"], page[-1]["case_id"]) if len(rows) > limit else None
    return CaseList(cases=summaries, next_cursor=next_cursor)


def deadline_board(uow, caller: Caller, countries: list[str], now: datetime) -> DeadlineBoard:
    """Warnings and breaches by team and agent, for each of the caller's countries (or those asked for).
    Restricted cases are counted only for those who may open them: the query leaves them out, so no
    count, total or empty line can hint at one."""
    principal = caller.principal
    with uow:
        rows = repository.deadline_board(uow.conn, countries=countries,
                                         include_restricted=principal.sees_restricted_cases)
    boards = []
    for country in countries:
        mine = [row for row in rows if row["country"] == country]
        boards.append(CountryBoard(
            country=country, warnings=_count(mine, "warning"), breaches=_count(mine, "breached"),
            by_team=_lines(mine, "team"), by_agent=_lines(mine, "assignee")))
    return DeadlineBoard(as_of=now, countries=boards)


def _count(rows: list[dict], state: str) -> int:
    return sum(row["count"] for row in rows if row["deadline_state"] == state)


def _lines(rows: list[dict], column: str) -> list[BoardLine]:
    """One line per team (or agent), most breaches first; cases without one last."""
    keys = {row[column] for row in rows}
    lines = [BoardLine(key=key, warnings=_count([r for r in rows if r[column] == key], "warning"),
                       breaches=_count([r for r in rows if r[column] == key], "breached")) for key in keys]
    return sorted(lines, key=lambda line: (line.key is None, -line.breaches, -line.warnings, line.key or ""))


# --- actions ------------------------------------------------------------------------------------------------


def classify(uow, settings, reference, caller, version, category_code, sub_category, now) -> CaseView:
    """A person confirms or changes the classification. A sensitive category restricts the case at
    once; only a focal point (the only one who can see it) can lift that by choosing another."""
    def do(change: Change):
        _classify(change, domain.check_classification(settings.taxonomy(change.case["country"]), category_code,
                                                      sub_category), sub_category)
    return _act(uow, settings, reference, caller, version, "classify", do, now)


def release(uow, settings, reference, caller, version, reason: str, category_code: int, sub_category,
            now) -> CaseView:
    """A focal point finds a case held as possibly sensitive is not: it goes back to the agents in an
    ordinary category, with the reason in its timeline and audit log (never on the bus: it is free text)."""
    def do(change: Change):
        category = domain.check_release(change.case["restricted"], settings.taxonomy(change.case["country"]),
                                        category_code, sub_category)
        _classify(change, category, sub_category, released=True)
        change.record("released", reason=reason, category_code=category_code)
    # The reason is typed text: in the sealed timeline, not in the audit log (which erasure cannot empty).
    return _act(uow, settings, reference, caller, version, "release", do, now)


def _classify(change: Change, category: domain.Category, sub_category: str | None, released: bool = False) -> None:
    case, now = change.case, change.now
    category_code = category.code
    taxonomy = change.settings.taxonomy(case["country"])
    previous = case["category_code"]
    changed = category_code != previous
    lifts_restriction = case["restricted"] and not category.sensitive
    change.apply(category_code=category_code, sub_category=sub_category, taxonomy_version=taxonomy.version,
                 classification_confirmed=True, classified_by=change.actor, classified_at=now,
                 sensitive=category.sensitive, restricted=category.sensitive,
                 priority=domain.priority_for(category.sensitive, category.emergency))
    repository.record_taxonomy(change.conn, case["country"], taxonomy.version, _taxonomy_body(taxonomy))
    # What a person decides teaches the country's next model (make train-classifier COUNTRY=..).
    repository.record_example(change.conn, {
        "case_id": case["case_id"], "country": case["country"], "category_code": category_code,
        "sub_category": sub_category, "sensitive": category.sensitive, "emergency": category.emergency,
        "part": classifier_model.example_part(case["case_id"]), "suggested_category": previous,
        "classifier_version": case["classifier_version"], "confirmed_by": change.actor, "confirmed_at": now})
    change.record("classified", category_code=category_code, sub_category=sub_category,
                  taxonomy_version=taxonomy.version, previous_category_code=previous)
    if changed or lifts_restriction:
        _reschedule_for_category(change, category)
    # After rescheduling, so that the event says by when a newly sensitive case must be referred:
    # referrals refers it (or withdraws the referral of a released case) and notifications
    # alerts supervisors of an emergency from this event.
    change.emit(CaseClassified, category_code=category_code, sub_category=sub_category,
                taxonomy_version=taxonomy.version, sensitive=category.sensitive, confirmed=True,
                priority=case["priority"], refer_by=_refer_by(change),
                share_with_partners=case["consent_share"], feedback_id=case["feedback_id"],
                contact_ref=case["contact_ref"], released=released,
                # Readers that kept no text while it was restricted (the search index) may show it now.
                narrative=TextEnvelope.open(change.data_key, case["narrative"]) or None
                if lifts_restriction else None)


def _refer_by(change: Change) -> datetime | None:
    """When the case must be referred by: its open, running `refer` deadline, if it has one."""
    for row in repository.deadlines(change.conn, change.case["case_id"], open_only=True):
        if row["kind"] == "refer":
            return row["due_at"]
    return None


def _reschedule_for_category(change: Change, category: domain.Category) -> None:
    """A new category may bring deadlines the old one did not have (a referral, a resolution),
    or other lengths: start the new ones now, move the open ones from when they started."""
    case = change.case
    spans = change.settings.deadline_policy(case["country"]).spans(category.code, category.sensitive,
                                                                   category.emergency)
    existing = {row["kind"]: row for row in repository.deadlines(change.conn, case["case_id"])}
    for kind, span in spans.items():
        row = existing.get(kind)
        if row is None:
            change.schedule(Deadline.start(kind, span, change.calendar, change.now))
        elif row["settled_at"] is None and row["paused_at"] is None and row["deadline"].span != span:
            change.schedule(Deadline.start(kind, span, change.calendar, row["started_at"]))
    for kind, row in existing.items():
        if kind not in spans and row["settled_at"] is None:
            change.cancel(kind)


def assign(uow, settings, reference, caller, version, assignee, team, now) -> CaseView:
    if assignee is None and team is None:
        raise ApiError(422, "assignee_required", "Name an assignee, a team, or both.")
    principal = caller.principal
    if principal.role == "agent" and assignee not in (None, principal.subject):
        raise ApiError(403, "role_not_allowed", "An agent may take a case, not assign it to someone else.")

    def do(change: Change):
        change.apply(assignee=assignee, team=team)
        change.record("assigned", assignee=assignee, team=team)
        change.emit(CaseAssigned, assignee=assignee, team=team)
    return _act(uow, settings, reference, caller, version, "assign", do, now)


def assign_many(uow, settings, cases: list, caller, assignee, team, now) -> BulkAssignmentResult:
    """Assign several cases, each exactly as one assignment (its own transaction, version check and
    audit row): one case changed meanwhile is reported back and the others are still assigned."""
    if len({case.reference for case in cases}) != len(cases):
        raise ApiError(422, "duplicate_reference", "Name each case once.")
    results = []
    for case in cases:
        try:
            view = assign(uow, settings, case.reference, caller, case.version, assignee, team, now)
        except ApiError as refused:
            if refused.code not in ("version_conflict", "case_not_found"):
                raise
            results.append(AssignmentOutcome(reference=case.reference, outcome=refused.code))
        else:
            results.append(AssignmentOutcome(reference=case.reference, outcome="assigned", version=view.version))
    return BulkAssignmentResult(results=results)


def add_note(uow, settings, reference, caller, version, text, now) -> CaseView:
    def do(change: Change):
        note_id = uuid4()
        change.apply()
        repository.add_note(change.conn, note_id, change.case["case_id"], now, change.actor, change.seal(text))
        change.record("note_added", note_id=note_id, text=text)
        change.emit(CaseNoteAdded, note_id=note_id)
    return _act(uow, settings, reference, caller, version, "note", do, now)


def link_duplicate(uow, settings, reference, caller, version, duplicate_of, now) -> CaseView:
    if duplicate_of == reference:
        raise ApiError(422, "cannot_link_to_itself", "A case cannot be a duplicate of itself.")

    def do(change: Change):
        original = repository.find_case(change.conn, duplicate_of)
        if (original is None or not visible(original, caller.principal)
                or original["country"] != change.case["country"]):
            raise ApiError(404, "case_not_found", "There is no case with the reference in duplicate_of "
                                                  "that you may see.")
        change.apply(duplicate_of=duplicate_of)
        change.record("linked_as_duplicate", duplicate_of=duplicate_of)
        change.emit(CaseLinked, duplicate_of=duplicate_of)
    return _act(uow, settings, reference, caller, version, "link_duplicate", do, now)


def change_status(uow, settings, reference, caller, version, request: ChangeCaseStatus, now) -> CaseView:
    def do(change: Change):
        move(change, request)
    return _act(uow, settings, reference, caller, version, f"status:{request.status}", do, now)


def move(change: Change, request: ChangeCaseStatus) -> None:
    """Move a case along its workflow: settle the deadlines the move fulfils, stop or restart the
    clock around waiting for the complainant, and restart the resolution clock on reopening."""
    case = change.case
    previous = case["status"]
    target = request.status
    closure = domain.Closure(request.response, request.response_channel, request.no_contact_reason)
    domain.check_transition(previous, target, closure)
    if target == "resolved" and not request.resolution:
        raise domain.Refused(422, "resolution_required", "Say what was done to resolve the case (resolution).")
    if target == "reopened" and not request.reason:
        raise domain.Refused(422, "reason_required", "Say why the case is reopened (reason).")

    changes: dict = {"status": target}
    if target == "resolved":
        changes["resolution"] = change.seal(request.resolution)
    if target == "closed":
        changes.update(response=change.seal(request.response), response_channel=request.response_channel,
                       no_contact_reason=change.seal(request.no_contact_reason))
    if target == "reopened":  # the next closure must say again what the complainant was told
        changes.update(resolution=None, response=None, response_channel=None, no_contact_reason=None)
    change.apply(**changes)
    change.record("status_changed", from_status=previous, to_status=target, reason=request.reason,
                  resolution=request.resolution, response=request.response,
                  response_channel=request.response_channel, no_contact_reason=request.no_contact_reason)
    change.emit(CaseStatusChanged, from_status=previous, response_channel=request.response_channel,
                no_contact_reason=request.no_contact_reason)
    if request.explain_by_phone:
        explain_by_phone(change, target)

    settling = domain.deadlines_settled_by(target)
    if domain.pauses_the_clock(previous) and not domain.pauses_the_clock(target):
        for row in repository.deadlines(change.conn, case["case_id"], open_only=True):
            if row["deadline"].paused:
                resumed = row["deadline"].resume(change.calendar, change.now)
                if resumed.kind in settling:
                    repository.save_deadline(change.conn, case["case_id"], resumed)
                else:
                    change.schedule(resumed)
    change.settle(settling)
    if target == "closed":
        satisfaction.ask_after_closure(change, change.settings.satisfaction_policy(case["country"]))
    if domain.pauses_the_clock(target):
        for row in repository.deadlines(change.conn, case["case_id"], open_only=True):
            paused = row["deadline"].pause(change.calendar, change.now)
            if paused is not row["deadline"]:
                change.schedule(paused)
    if target == "reopened":
        spans = change.settings.deadline_policy(case["country"]).spans(
            case["category_code"], case["sensitive"], case["priority"] == "emergency")
        if "resolve" in spans:
            repository.reset_deadline(change.conn, case["case_id"], "resolve")
            change.schedule(Deadline.start("resolve", spans["resolve"], change.calendar, change.now))


def explain_by_phone(change: Change, target: str) -> None:
    """The agent resolving or closing the case ticked that the answer needs explaining by phone: a callback
    task (callbacks.py), which needs the person's consent to be called back."""
    case = change.case
    if target not in ("resolved", "closed"):
        raise domain.Refused(422, "explain_only_when_answering",
                             "Ask for a call to explain the answer when resolving or closing the case.")
    if not case["consent_callback"] or case["contact_ref"] is None:
        raise domain.Refused(409, "callback_not_consented",
                             "The person did not agree to be called back: explain the answer another way.")
    opened = callbacks.open_task(change.uow, case_id=case["case_id"], reference=case["reference"],
                                 country=case["country"], reason="needs_explaining",
                                 policy=change.settings.callback_policy(case["country"]), now=change.now)
    change.record("callback_requested", callback_reason="needs_explaining", opened=opened)


# --- from other services ------------------------------------------------------------------------------------


def on_referral_created(uow, referral: ReferralCreated, settings: CasesSettings, now: datetime) -> None:
    """referrals sent the case to a partner: the referral deadline is met, and the case is referred
    (unless it has moved past that already). A referral waiting for routing changes nothing yet."""
    with uow:
        if not uow.claim_message() or referral.partner_id is None:
            return
        case = repository.find_case(uow.conn, referral.reference, lock=True)
        if case is None:
            raise CaseNotOpenedYet(referral.reference)
        change = Change(uow, case, "referrals", now, settings)
        if "referred" in domain.TRANSITIONS[case["status"]]:
            move(change, ChangeCaseStatus(status="referred", reason=f"referred to {referral.partner_id}"))
        else:
            change.apply()
            change.settle(("refer",))
        change.finish()
        change.audit(None, "referred", partner_id=referral.partner_id, referral_id=referral.referral_id)


def answer_status_request(uow, request: StatusRequested, envelope: Envelope) -> None:
    """Tell a contact the status of their own case. The answer is the same (owned=False) whether the
    case does not exist or belongs to someone else; a restricted case answers its owner neutrally."""
    with uow:
        if not uow.claim_message():
            return
        case = repository.find_case(uow.conn, request.reference)
        owned = (case is not None and case["contact_ref"] == request.contact_ref
                 and case["country"] == envelope.country)
        uow.emit(CaseStatusAnswered(
            request_id=request.request_id, contact_ref=request.contact_ref, language=request.language,
            reference=request.reference, owned=owned, case_id=case["case_id"] if owned else None,
            status=domain.status_for_complainant(case["status"], case["restricted"]) if owned else None,
        ), country=envelope.country)


# --- the deadline timer -------------------------------------------------------------------------------------


def fire_due_deadlines(uow, settings: CasesSettings, now: datetime) -> int:
    """Emit the warnings (75%) and breaches (100%) that are due. Each is marked fired in the
    transaction that emits it, so it fires once, even across restarts or several instances."""
    fired = 0
    with uow:
        for row in repository.claim_due_deadlines(uow.conn, now, settings.deadlines.scan_batch):
            common = dict(case_id=row["case_id"], reference=row["reference"], case_version=row["version"],
                          status=row["status"], restricted=row["restricted"], at=now, by=SYSTEM,
                          kind=row["kind"], due_at=row["due_at"], priority=row["priority"])
            if row["warned_at"] is None and row["warn_at"] <= now:
                repository.mark_fired(uow.conn, row["case_id"], row["kind"], "warned_at", now)
                uow.emit(DeadlineWarning(**common), country=row["country"])
                repository.add_history(uow.conn, row["case_id"], row["version"], now, SYSTEM, "deadline_warning",
                                       {"kind": row["kind"]})
                fired += 1
            if row["breached_at"] is None and row["due_at"] <= now:
                repository.mark_fired(uow.conn, row["case_id"], row["kind"], "breached_at", now)
                uow.emit(DeadlineBreached(**common), country=row["country"])
                repository.add_history(uow.conn, row["case_id"], row["version"], now, SYSTEM,
                                       "deadline_breached", {"kind": row["kind"]})
                fired += 1
            repository.refresh_queue_position(uow.conn, row["case_id"])
    return fired


# --- quality control -----------------------------------------------------------------------------------------


def quality_sample(uow, settings: CasesSettings, caller: Caller, country: str, day: date | None,
                   now: datetime, rng: random.Random | None = None) -> QualitySample:
    """The week's sample of each agent's closed cases, drawn at the first look and kept. While the
    week runs, agents who closed more cases are topped up to the sample size; the first look after
    the week ends draws the rest and the week is drawn for good."""
    timezone = settings.countries[country].timezone
    week_start, start, end = domain.week_of(
        datetime.combine(day, time(12), tzinfo=ZoneInfo(timezone)) if day else now, timezone)
    if start > now:
        raise ApiError(422, "week_not_started", "That week has not started yet.")
    per_agent = settings.quality.sample_per_agent
    principal = caller.principal
    with uow:
        complete = repository.lock_quality_week(uow.conn, country, week_start)
        if not complete:
            sampled = repository.sampled_case_ids(uow.conn, country, week_start)
            drawn_before = repository.sampled_case_ids(uow.conn, country, week_start, reason="sampled")
            closed = repository.closures(uow.conn, country, start, min(end, now))
            sampled_by_agent: dict[str, int] = {}
            unsampled: dict[str, list] = {}
            for closure in closed:
                # A case listed because its complainant was not satisfied is not part of the random draw.
                if closure["case_id"] in drawn_before:
                    sampled_by_agent[closure["agent"]] = sampled_by_agent.get(closure["agent"], 0) + 1
                elif closure["case_id"] not in sampled:
                    unsampled.setdefault(closure["agent"], []).append(closure["reference"])
            by_reference = {closure["reference"]: closure for closure in closed}
            drawn = domain.sample_to_draw(unsampled, sampled_by_agent, per_agent, rng or random.SystemRandom())
            for references in drawn.values():
                for reference in references:
                    closure = by_reference[reference]
                    repository.add_to_sample(uow.conn, country, week_start, closure, now)
                    repository.audit(uow.conn, actor=principal.subject, role=principal.role,
                                     action="quality_sampled", case_id=closure["case_id"], reference=reference,
                                     client_address=caller.address, user_agent=caller.user_agent,
                                     detail={"week_start": week_start.isoformat(), "agent": closure["agent"]})
            if now >= end:
                repository.mark_week_drawn(uow.conn, country, week_start, now)
                complete = True
        rows = repository.quality_sample(uow.conn, country, week_start)
    # A case restricted since it was drawn leaves the sight of those who may not open it.
    cases = [SampledCase(
        reference=row["reference"], agent=row["agent"], closed_at=row["closed_at"],
        category_code=row["category_code"], response_channel=row["response_channel"], reason=row["reason"],
        review=ReviewView(reviewer=row["reviewer"], score=row["score"], comment=row["comment"],
                          reviewed_at=row["reviewed_at"]) if row["reviewer"] else None)
        for row in rows if not row["restricted"] or principal.sees_restricted_cases]
    return QualitySample(country=country, week_start=week_start, per_agent=per_agent, complete=complete,
                         cases=cases)


def review_case(uow, reference: str, caller: Caller, score: int, comment: str | None, now: datetime) -> ReviewView:
    """A supervisor's review of a case drawn for quality control (its latest week's sample)."""
    principal = caller.principal
    with uow:
        case = repository.find_case(uow.conn, reference)
        sampling = repository.latest_sampling(uow.conn, case["case_id"]) if case else None
        if case is not None and visible(case, principal) and sampling is not None:
            repository.save_review(uow.conn, sampling["country"], sampling["week_start"], case["case_id"],
                                   principal.subject, score, comment, now)
            # The comment is a person's words about a colleague's work: kept with the review, not in the log.
            repository.audit(uow.conn, actor=principal.subject, role=principal.role, action="quality_review",
                             case_id=case["case_id"], reference=reference, client_address=caller.address,
                             user_agent=caller.user_agent,
                             detail={"week_start": sampling["week_start"].isoformat(), "score": score})
            return ReviewView(reviewer=principal.subject, score=score, comment=comment, reviewed_at=now)
        _audit_denied(uow.conn, reference, case, caller, "quality_review")
    if case is not None and visible(case, principal):
        raise ApiError(404, "not_in_sample", "This case was not drawn for quality control.")
    raise NOT_FOUND
