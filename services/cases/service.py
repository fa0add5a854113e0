"""cases' entrypoints: open a case per feedback, answer status requests, follow referrals,
fire deadline warnings and breaches, and the case API (queue, detail with timeline, actions)."""
import logging
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from chassis.errors import ApiError
from chassis.amqp import RpcProxy
from chassis.http import api, json_response, parse_body
from chassis.messaging import consume_event
from chassis.service import PlatformService
from chassis.timers import SettingsTimer
from contracts.events import (
    ConsentWithdrawn, ErasureCompleted, FeedbackReceived, MessageDeliveryFailedV2, MessageDeliveryUpdated,
    MessageWithheld, NotificationSentV2, ReferralCreated, ReferralOutcomeRecorded, ReplyReceived, StatusRequested,
)
from contracts.http import (
    AddCaseNote, AssignCase, BookAppointment, BulkAssignment, CallbackAttempt, ChangeCaseStatus, ClassifyCase,
    ClockReading, ClockSetting, CloseCase, LinkDuplicate, QualityReview, RecordAttendance, ReleaseCase, ReopenCase,
    ReplyToCase, RequestErasure, ResolveCase,
)
from services.cases import (
    appointments, callbacks, consent, erasure, handlers, referral_outcomes, replies, retention, satisfaction,
)
from services.cases.settings import CasesSettings

log = logging.getLogger(__name__)

CASE_ROLES = ("agent", "supervisor", "focal_point")
LIST_FILTERS = ("status", "category", "assignee", "team", "unassigned", "no_team", "country", "deadline_state", "channel",
                "received_from", "received_to", "restricted", "confirmed", "contact_ref")
# Who may move cases between people, and who reviews their quality.
ASSIGNING_ROLES = ("supervisor", "focal_point")
QUALITY_ROLES = ("supervisor",)


def caller_of(request, principal) -> handlers.Caller:
    return handlers.Caller(principal, request.remote_addr, request.headers.get("User-Agent"))


def expected_version(request, body_version: int | None) -> int | None:
    """The version an action was decided on: `version` in the body, or the If-Match header."""
    if body_version is not None:
        return body_version
    given = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    if not given:
        return None
    try:
        return int(given)
    except ValueError:
        raise ApiError(400, "invalid_if_match", "If-Match must be the case version, e.g. \"3\".") from None


def received_bound(value: str, whole_day_included: bool) -> datetime:
    """A bound of the received_from/received_to filters. A time needs its time zone. A date is a UTC day,
    as in reporting's search: received_from=2026-11-16 starts at its midnight, received_to=2026-11-16
    includes the whole day (the bound is the next midnight; received_to is exclusive)."""
    if len(value) == len("2026-11-16"):
        day = datetime.combine(date.fromisoformat(value), time(0), tzinfo=UTC)
        return day + timedelta(days=1) if whole_day_included else day
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("a time without a time zone")
    return moment


def list_filters(args) -> dict:
    unknown = set(args) - set(LIST_FILTERS) - {"cursor", "limit"}
    if unknown:
        raise ApiError(422, "invalid_filter", "Unknown filter.", [{"field": name, "reason": "unknown filter"}
                                                                   for name in sorted(unknown)])
    filters: dict = {name: args.get(name) or None for name in ("status", "assignee", "team", "deadline_state",
                                                               "channel")}
    filters["country"] = (args.get("country") or "").upper() or None
    # "unassigned": nobody has taken the case yet (a team alone is not a person); "no_team": no team either.
    for name in ("unassigned", "no_team"):
        if args.get(name) not in (None, "", "true"):
            raise ApiError(422, "invalid_filter", "unassigned and no_team are true or left out.")
        filters[name] = args.get(name) == "true"
    try:
        filters["category_code"] = int(args["category"]) if args.get("category") else None
        for name in ("received_from", "received_to"):
            filters[name] = received_bound(args[name], whole_day_included=name == "received_to") \
                if args.get(name) else None
    except (ValueError, OverflowError):  # OverflowError: the day after 9999-12-31
        raise ApiError(422, "invalid_filter", "category is a number; received_from and received_to are dates "
                                              "(2026-11-16) or ISO 8601 times with a time zone.") from None
    if filters["deadline_state"] not in (None, "ok", "warning", "breached"):
        raise ApiError(422, "invalid_filter", "deadline_state is ok, warning or breached.")
    # A focal point's restricted queue; for anyone else restricted=true lists nothing (they see none).
    # confirmed=false with restricted=true: the cases held as possibly sensitive, waiting for a focal point.
    for name in ("restricted", "confirmed"):
        value = args.get(name) or None
        if value not in (None, "true", "false"):
            raise ApiError(422, "invalid_filter", f"{name} is true or false.")
        filters[name] = None if value is None else value == "true"
    # One person's cases, by the pseudonym intake's caller look-up gave (the number never reaches cases).
    try:
        filters["contact_ref"] = UUID(args["contact_ref"]) if args.get("contact_ref") else None
    except ValueError:
        raise ApiError(422, "invalid_filter", "contact_ref is the UUID intake's caller look-up gives.") from None
    return filters


def countries_asked(request, principal) -> list[str]:
    """`country=GN,ML` narrows the caller's countries; none asked is all of them."""
    asked = [code.strip().upper() for code in (request.args.get("country") or "").split(",") if code.strip()]
    for country in asked:
        if len(country) != 2 or not country.isalpha():
            raise ApiError(422, "invalid_filter", "country is a list of ISO codes, e.g. GN,ML.")
        principal.require_country(country)
    return asked or sorted(principal.countries)


def day_asked(request) -> date:
    try:
        return date.fromisoformat(request.args.get("date") or "")
    except ValueError:
        raise ApiError(422, "invalid_date", "date is a day, e.g. 2026-12-01.") from None


def appointment_asked(appointment_id: str) -> UUID:
    try:
        return UUID(appointment_id)
    except ValueError:
        raise appointments.APPOINTMENT_NOT_FOUND from None


class CasesService(PlatformService):
    name = "cases"
    retention_kinds = retention.KINDS
    intake = RpcProxy("intake")   # only to reveal the number of a callback task, which intake checks and logs

    def now(self) -> datetime:
        return handlers.current_time(self.db(), self.settings)

    # --- events -------------------------------------------------------------------------------------

    @consume_event("intake", FeedbackReceived)
    def on_feedback_received(self, feedback: FeedbackReceived, envelope):
        handlers.open_case(self.db(), feedback, envelope, self.settings, now=self.now())

    @consume_event("intake", StatusRequested)
    def on_status_requested(self, request: StatusRequested, envelope):
        handlers.answer_status_request(self.db(), request, envelope)

    @consume_event("intake", ConsentWithdrawn)
    def on_consent_withdrawn(self, event: ConsentWithdrawn, envelope):
        consent.withdraw_consent(self.db(), event, now=self.now())

    @consume_event("intake", ReplyReceived)
    def on_reply_received(self, reply: ReplyReceived, envelope):
        """A bare yes/no answers the contact's satisfaction survey; "cancel" their next appointment. One
        entrypoint: the service's queue for this contract is one, and two consumers would split it."""
        if reply.answer == "cancel":
            appointments.cancel_on_reply(self.db(), self.settings, reply, now=self.now())
        else:
            satisfaction.record_answer(self.db(), reply, envelope.country,
                                       lambda country: self.settings.countries[country].timezone, now=self.now())

    @consume_event("referrals", ReferralCreated)
    def on_referral_created(self, referral: ReferralCreated, envelope):
        handlers.on_referral_created(self.db(), referral, self.settings, now=self.now())

    @consume_event("notifications", MessageDeliveryFailedV2)
    def on_message_delivery_failed(self, event: MessageDeliveryFailedV2, envelope):
        callbacks.open_for_failed_message(self.db(), event, self.settings.callback_policy, now=self.now())

    @consume_event("referrals", ReferralOutcomeRecorded)
    def on_referral_outcome_recorded(self, event: ReferralOutcomeRecorded, envelope):
        referral_outcomes.record_referral_outcome(self.db(), event)

    @SettingsTimer.decorator("deadlines.scan_seconds")
    def fire_due_deadlines(self):
        fired = handlers.fire_due_deadlines(self.db(), self.settings, now=self.now())
        if fired:
            log.info("%d deadline warnings or breaches fired", fired)

    # --- callback tasks (callbacks.py) ----------------------------------------------------------------

    @api("GET", "/v1/callbacks", roles=CASE_ROLES)
    def list_callbacks(self, request, principal):
        return callbacks.list_open(self.db(), caller_of(request, principal), countries_asked(request, principal),
                                   self.settings.callback_policy)

    @api("POST", "/v1/callbacks/<task_id>/attempts", roles=CASE_ROLES)
    def record_callback_attempt(self, request, principal, task_id):
        try:
            task = UUID(task_id)
        except ValueError:
            raise ApiError(404, "callback_not_found", "No callback task with this id is in your scope.") from None
        return callbacks.record_attempt(self.db(), caller_of(request, principal), task,
                                        parse_body(request, CallbackAttempt), self.settings.callback_policy,
                                        now=self.now())

    @api("POST", "/v1/callbacks/<task_id>/contact", roles=CASE_ROLES)
    def reveal_callback_contact(self, request, principal, task_id):
        """The number to call for an open task the caller may see; intake checks the consent and logs it."""
        try:
            task = UUID(task_id)
        except ValueError:
            raise callbacks.NOT_FOUND from None
        contact = callbacks.reveal_contact(self.db(), self.intake, caller_of(request, principal), task)
        return json_response(contact, headers={"Cache-Control": "no-store"})

    # --- appointments at a reception centre (appointments.py) ------------------------------------------

    @api("GET", "/v1/centres", roles=CASE_ROLES)
    def list_centres(self, request, principal):
        return appointments.list_centres(self.settings, countries_asked(request, principal))

    @api("GET", "/v1/centres/<centre_id>/slots", roles=CASE_ROLES)
    def list_slots(self, request, principal, centre_id):
        return appointments.list_slots(self.db(), self.settings, principal, centre_id, day_asked(request),
                                       now=self.now())

    @api("GET", "/v1/appointments", roles=CASE_ROLES)
    def desk_day(self, request, principal):
        return appointments.desk_day(self.db(), self.settings, caller_of(request, principal),
                                     request.args.get("centre") or "", day_asked(request))

    @api("GET", "/v1/cases/<string:reference>/appointments", roles=CASE_ROLES)
    def case_appointments(self, request, reference, principal):
        return appointments.of_case(self.db(), caller_of(request, principal), reference)

    @api("POST", "/v1/cases/<string:reference>/appointments", roles=CASE_ROLES)
    def book_appointment(self, request, reference, principal):
        return appointments.book(self.db(), self.settings, caller_of(request, principal), reference,
                                 parse_body(request, BookAppointment), now=self.now())

    @api("POST", "/v1/appointments/<appointment_id>/cancel", roles=CASE_ROLES)
    def cancel_appointment(self, request, principal, appointment_id):
        return appointments.cancel(self.db(), self.settings, caller_of(request, principal),
                                   appointment_asked(appointment_id), now=self.now())

    @api("POST", "/v1/appointments/<appointment_id>/attendance", roles=CASE_ROLES)
    def record_attendance(self, request, principal, appointment_id):
        body = parse_body(request, RecordAttendance)
        return appointments.record_attendance(self.db(), self.settings, caller_of(request, principal),
                                              appointment_asked(appointment_id), body.attendance, now=self.now())

    # --- reading ------------------------------------------------------------------------------------

    @api("GET", "/v1/cases", roles=CASE_ROLES)
    def list_cases(self, request, principal):
        try:
            limit = int(request.args.get("limit", 50))
        except ValueError:
            limit = 0
        if not 1 <= limit <= 200:
            raise ApiError(422, "invalid_filter", "limit is a number from 1 to 200.")
        return handlers.list_cases(self.db(), caller_of(request, principal), list_filters(request.args),
                                   request.args.get("cursor"), limit)

    @api("GET", "/v1/cases/deadline-board", roles=ASSIGNING_ROLES)
    def deadline_board(self, request, principal):
        return handlers.deadline_board(self.db(), caller_of(request, principal),
                                       countries_asked(request, principal), self.now())

    @api("GET", "/v1/cases/<string:reference>", roles=CASE_ROLES)
    def get_case(self, request, reference, principal):
        return handlers.get_case(self.db(), self.settings, reference, caller_of(request, principal))

    @api("GET", "/v1/cases/<string:reference>/access-log", roles=("focal_point",))
    def get_access_log(self, request, reference, principal):
        return handlers.access_log(self.db(), reference, caller_of(request, principal))

    # --- actions --------------------------------------------------------------------------------------

    @api("POST", "/v1/cases/<string:reference>/release", roles=("focal_point",))
    def release_case(self, request, reference, principal):
        body = parse_body(request, ReleaseCase)
        return handlers.release(self.db(), self.settings, reference, caller_of(request, principal),
                                expected_version(request, body.version), body.reason, body.category_code,
                                body.sub_category, self.now())

    @api("POST", "/v1/cases/<string:reference>/classification", roles=CASE_ROLES)
    def classify_case(self, request, reference, principal):
        body = parse_body(request, ClassifyCase)
        return handlers.classify(self.db(), self.settings, reference, caller_of(request, principal),
                                 expected_version(request, body.version), body.category_code, body.sub_category,
                                 self.now())

    @api("POST", "/v1/cases/<string:reference>/assignment", roles=CASE_ROLES)
    def assign_case(self, request, reference, principal):
        body = parse_body(request, AssignCase)
        return handlers.assign(self.db(), self.settings, reference, caller_of(request, principal),
                               expected_version(request, body.version), body.assignee, body.team, self.now())

    @api("POST", "/v1/cases/assignments", roles=ASSIGNING_ROLES)
    def assign_cases(self, request, principal):
        body = parse_body(request, BulkAssignment)
        return handlers.assign_many(self.db(), self.settings, body.cases, caller_of(request, principal),
                                    body.assignee, body.team, self.now())

    @api("POST", "/v1/cases/<string:reference>/notes", roles=CASE_ROLES)
    def add_note(self, request, reference, principal):
        body = parse_body(request, AddCaseNote)
        return handlers.add_note(self.db(), self.settings, reference, caller_of(request, principal),
                                 expected_version(request, body.version), body.text, self.now())

    @api("POST", "/v1/cases/<string:reference>/duplicate-of", roles=CASE_ROLES)
    def link_duplicate(self, request, reference, principal):
        body = parse_body(request, LinkDuplicate)
        return handlers.link_duplicate(self.db(), self.settings, reference, caller_of(request, principal),
                                       expected_version(request, body.version), body.duplicate_of, self.now())

    @api("POST", "/v1/cases/<string:reference>/status", roles=CASE_ROLES)
    def change_status(self, request, reference, principal):
        body = parse_body(request, ChangeCaseStatus)
        return self._move(request, reference, principal, body)

    @api("POST", "/v1/cases/<string:reference>/resolve", roles=CASE_ROLES)
    def resolve_case(self, request, reference, principal):
        body = parse_body(request, ResolveCase)
        return self._move(request, reference, principal, ChangeCaseStatus(
            status="resolved", resolution=body.resolution, version=body.version,
            explain_by_phone=body.explain_by_phone))

    @api("POST", "/v1/cases/<string:reference>/close", roles=CASE_ROLES)
    def close_case(self, request, reference, principal):
        body = parse_body(request, CloseCase)
        return self._move(request, reference, principal, ChangeCaseStatus(
            status="closed", version=body.version, **body.model_dump(exclude={"version"})))

    @api("POST", "/v1/cases/<string:reference>/reopen", roles=CASE_ROLES)
    def reopen_case(self, request, reference, principal):
        body = parse_body(request, ReopenCase)
        return self._move(request, reference, principal, ChangeCaseStatus(
            status="reopened", reason=body.reason, version=body.version))

    def _move(self, request, reference, principal, body: ChangeCaseStatus):
        return handlers.change_status(self.db(), self.settings, reference, caller_of(request, principal),
                                      expected_version(request, body.version), body, self.now())

    # --- replies from a case (replies.py) ---------------------------------------------------------------

    @api("POST", "/v1/cases/<string:reference>/replies", roles=CASE_ROLES)
    def reply_to_case(self, request, reference, principal):
        body = parse_body(request, ReplyToCase)
        return replies.request_reply(self.db(), self.settings, reference, caller_of(request, principal),
                                     expected_version(request, body.version), body, self.now())

    @consume_event("notifications", NotificationSentV2)
    def on_notification_sent(self, event: NotificationSentV2, envelope):
        replies.on_reply_sent(self.db(), event)

    @consume_event("notifications", MessageDeliveryUpdated)
    def on_message_delivery_updated(self, event: MessageDeliveryUpdated, envelope):
        replies.on_delivery_updated(self.db(), event)

    @consume_event("notifications", MessageWithheld)
    def on_message_withheld(self, event: MessageWithheld, envelope):
        replies.on_reply_withheld(self.db(), event)

    # --- quality control ------------------------------------------------------------------------------------

    @api("GET", "/v1/quality/sample", roles=QUALITY_ROLES)
    def quality_sample(self, request, principal):
        country = (request.args.get("country") or "").upper()
        if country not in self.settings.countries:
            raise ApiError(400, "country_required", "Name a configured country, e.g. ?country=GN.")
        principal.require_country(country)
        try:
            day = date.fromisoformat(request.args["week"]) if request.args.get("week") else None
        except ValueError:
            raise ApiError(422, "invalid_date", "week is a date inside the week, e.g. 2026-11-23.") from None
        return handlers.quality_sample(self.db(), self.settings, caller_of(request, principal), country, day,
                                       self.now())

    @api("POST", "/v1/quality/reviews/<string:reference>", roles=QUALITY_ROLES)
    def review_case(self, request, reference, principal):
        body = parse_body(request, QualityReview)
        return handlers.review_case(self.db(), reference, caller_of(request, principal), body.score, body.comment,
                                    self.now())

    # --- erasure (services/cases/erasure.py) -----------------------------------------------------------

    @api("POST", "/v1/erasures", roles=erasure.ERASURE_ROLES)
    def request_erasure(self, request, principal):
        body = parse_body(request, RequestErasure)
        return erasure.request_erasure(self.db(), caller_of(request, principal), body, self.now())

    @api("GET", "/v1/erasures", roles=erasure.ERASURE_ROLES)
    def list_erasures(self, request, principal):
        status = request.args.get("status") or None
        if status not in (None, "requested", "approved", "completed", "declined"):
            raise ApiError(422, "invalid_filter", "status is requested, approved, completed or declined.")
        return erasure.list_erasures(self.db(), caller_of(request, principal), status)

    @api("POST", "/v1/erasures/<uuid:erasure_id>/approve", roles=erasure.ERASURE_ROLES)
    def approve_erasure(self, request, erasure_id, principal):
        return erasure.decide_erasure(self.db(), self.settings, caller_of(request, principal), erasure_id,
                                      approve=True, now=self.now())

    @api("POST", "/v1/erasures/<uuid:erasure_id>/decline", roles=erasure.ERASURE_ROLES)
    def decline_erasure(self, request, erasure_id, principal):
        return erasure.decide_erasure(self.db(), self.settings, caller_of(request, principal), erasure_id,
                                      approve=False, now=self.now())

    @api("GET", "/v1/erasures/<uuid:erasure_id>/certificate", roles=erasure.ERASURE_ROLES)
    def erasure_certificate(self, request, erasure_id, principal):
        return erasure.certificate(self.db(), caller_of(request, principal), erasure_id, self.now())

    @consume_event("intake", ErasureCompleted)
    def on_intake_erasure_completed(self, completed: ErasureCompleted, envelope):
        erasure.on_erasure_completed(self.db(), completed, envelope)

    @consume_event("referrals", ErasureCompleted)
    def on_referrals_erasure_completed(self, completed: ErasureCompleted, envelope):
        erasure.on_erasure_completed(self.db(), completed, envelope)

    @consume_event("notifications", ErasureCompleted)
    def on_notifications_erasure_completed(self, completed: ErasureCompleted, envelope):
        erasure.on_erasure_completed(self.db(), completed, envelope)

    @consume_event("reporting", ErasureCompleted)
    def on_reporting_erasure_completed(self, completed: ErasureCompleted, envelope):
        erasure.on_erasure_completed(self.db(), completed, envelope)

    # --- test configurations only -------------------------------------------------------------------------

    @api("PUT", "/admin/clock", roles=("admin",))
    def set_clock(self, request, principal):
        body = parse_body(request, ClockSetting)
        offset = handlers.set_clock(self.db(), self.settings, body.now)
        return ClockReading(now=body.now, offset_seconds=offset)


SERVICE = CasesService
SETTINGS = CasesSettings
