"""notifications' entrypoints: acknowledgements and status replies to complainants, alerts to supervisors."""
import logging
from datetime import UTC, datetime, timedelta

from werkzeug.wrappers import Response

from chassis import signatures
from chassis.amqp import RpcProxy
from chassis.errors import ApiError
from chassis.erasure import erase_messaging_only
from chassis.http import api, read_form, read_json
from chassis.messaging import consume_event
from chassis.service import PlatformService
from chassis.timers import SettingsTimer
from contracts.events import (
    AppointmentBooked, AppointmentCancelled, CaseClassified, CaseOpened, CaseReplyRequested, CaseStatusAnswered,
    ConsentWithdrawn, DeadlineBreached, DeadlineWarning, ErasureApproved, FeedbackReceived, ReferralCreated,
    ReplyReceived, SatisfactionQuestionDue, StatusRequested,
)
from contracts.http import StaffAlert, StaffAlerts
from services.notifications import (
    appointments, consent, domain, handlers, partner_alerts, receipts, replies, reply_templates, repository,
    retention,
)
from services.notifications.handlers import AlertFacts
from services.notifications.settings import NotificationsSettings
from services.notifications.sms import SmsGateway
from services.notifications.whatsapp import WhatsAppGateway

log = logging.getLogger(__name__)
MAX_ALERTS_LISTED = 200
RECEIPT_BODY_BYTES = 64 * 1024


def _bad_signature() -> ApiError:
    return ApiError(403, "invalid_signature", "The request's signature does not match.")


def _receipt_body(request) -> bytes:
    if (request.content_length or 0) > RECEIPT_BODY_BYTES:
        raise ApiError(413, "body_too_large", "The body is larger than this endpoint accepts.")
    return request.get_data(cache=True)


def now():
    return datetime.now(UTC)


class NotificationsService(PlatformService):
    name = "notifications"

    intake = RpcProxy("intake")
    referrals = RpcProxy("referrals")   # only for a partner's on-duty number
    sms = SmsGateway()
    whatsapp = WhatsAppGateway()
    retention_kinds = retention.KINDS

    @consume_event("cases", CaseOpened)
    def on_case_opened(self, case: CaseOpened, envelope):
        # A threat to life: supervisors first, within seconds; the complainant's acknowledgement after,
        # even when a supervisor could not be reached (the retry then alerts only those not alerted yet).
        alert_failure = None
        if case.priority == "emergency":
            try:
                self._alert(AlertFacts("emergency_case", case.case_id, case.reference, case.deadline_kind,
                                       case.deadline_at, case.restricted), envelope)
            except Exception as exc:
                alert_failure = exc
        handlers.acknowledge_case(self.db(), self.intake, self.sms, case, envelope,
                                  self.settings.countries[envelope.country].languages, now=now,
                                  guard=self._sms_guard(envelope.country))
        if alert_failure is not None:
            raise alert_failure

    @consume_event("cases", CaseClassified)
    def on_case_classified(self, case: CaseClassified, envelope):
        """A person found a threat to life in a case that was not an emergency: alert as on opening.
        (The automatic classification at opening is CaseOpened's to alert.)"""
        if case.confirmed and case.priority == "emergency" and case.refer_by is not None:
            self._alert(AlertFacts("emergency_case", case.case_id, case.reference, "refer", case.refer_by,
                                   case.restricted), envelope, once_per_case=True)

    @consume_event("referrals", ReferralCreated)
    def on_referral_created(self, referral: ReferralCreated, envelope):
        """An emergency referral: its partner's on-duty number gets the reference by SMS, once."""
        if not partner_alerts.wants_alert(referral):
            return
        recipient = partner_alerts.on_duty_recipient(self.referrals, envelope.country, referral.partner_id)
        if recipient is None:
            return
        self._alert(AlertFacts("emergency_referral", referral.case_id, referral.reference, "refer",
                               referral.respond_by, restricted=True), envelope, recipients=[recipient])

    @consume_event("intake", ConsentWithdrawn)
    def on_consent_withdrawn(self, event: ConsentWithdrawn, envelope):
        country = envelope.country
        language = domain.message_language(event.language, self.settings.countries[country].languages)
        consent.record_withdrawal(self.db(), event, lambda uow: consent.confirm_withdrawal(
            uow, handlers.reveal_contact, self.intake, self.sms, event, country, language,
            self.settings.sms.allowed_prefixes.get(country, [])))

    @consume_event("cases", CaseStatusAnswered)
    def on_case_status_answered(self, answer: CaseStatusAnswered, envelope):
        handlers.answer_status_request(self.db(), self.intake, self.sms, answer, envelope,
                                       self.settings.countries[envelope.country].languages, now=now,
                                       guard=self._sms_guard(envelope.country))

    # --- appointments at a reception centre (appointments.py) ----------------------------------------

    def clock(self) -> datetime:
        """Now, for appointment messages; a test configuration may stand on another day (clock.offset_seconds)."""
        return now() + timedelta(seconds=self.settings.clock.offset_seconds)

    def _country(self, country: str) -> appointments.Country:
        own = self.settings.countries[country]
        return appointments.Country(own.timezone, own.languages, self._sms_guard(country))

    @consume_event("cases", AppointmentBooked)
    def on_appointment_booked(self, event: AppointmentBooked, envelope):
        appointments.on_booked(self.db(), self.intake, self.sms, event, envelope.country,
                               self._country(envelope.country), self.settings.appointments.reminder_time,
                               now=self.clock())

    @consume_event("cases", AppointmentCancelled)
    def on_appointment_cancelled(self, event: AppointmentCancelled, envelope):
        appointments.on_cancelled(self.db(), self.intake, self.sms, event, envelope.country,
                                  self._country(envelope.country), now=self.clock())

    @SettingsTimer.decorator("appointments.scan_seconds")
    def send_appointment_reminders(self):
        sent = appointments.send_due_reminders(self.db, self.intake, self.sms, self._country, now=self.clock())
        if sent:
            log.info("%d appointment reminders sent", sent)
    @consume_event("cases", SatisfactionQuestionDue)
    def on_satisfaction_question_due(self, due: SatisfactionQuestionDue, envelope):
        handlers.ask_satisfaction(self.db(), self.intake, self.sms, due, envelope,
                                  self.settings.countries[envelope.country].languages,
                                  self.settings.satisfaction.questions, now=now,
                                  guard=self._sms_guard(envelope.country))

    def _sms_guard(self, country: str) -> handlers.SmsGuard:
        sms = self.settings.sms
        return handlers.SmsGuard(sms.allowed_prefixes.get(country, []), sms.daily_limit_per_contact)

    @consume_event("cases", DeadlineWarning)
    def on_deadline_warning(self, warning: DeadlineWarning, envelope):
        self._alert(AlertFacts("deadline_warning", warning.case_id, warning.reference, warning.kind,
                               warning.due_at, warning.restricted), envelope)

    @consume_event("cases", DeadlineBreached)
    def on_deadline_breached(self, breach: DeadlineBreached, envelope):
        self._alert(AlertFacts("deadline_breached", breach.case_id, breach.reference, breach.kind,
                               breach.due_at, breach.restricted), envelope)

    def _alert(self, facts: AlertFacts, envelope, once_per_case: bool = False, recipients=None):
        country = self.settings.countries[envelope.country]
        handlers.alert_supervisors(self.db, self.sms, facts, envelope,
                                   self.settings.alerts.recipients.get(envelope.country, []) if recipients is None
                                   else recipients,
                                   country.timezone, country.languages, now=now, once_per_case=once_per_case)

    @api("GET", "/v1/alerts", roles=("supervisor", "focal_point"))
    def list_alerts(self, request, principal):
        country = request.args.get("country", "").upper()
        if country not in self.settings.countries:
            raise ApiError(400, "country_required", "Name a configured country, e.g. ?country=GN.")
        principal.require_country(country)
        with self.db() as uow:
            rows = repository.recent_alerts(uow.conn, country, MAX_ALERTS_LISTED)
        # Only sensitive cases are referred: that alert is for those who may open restricted cases.
        return StaffAlerts(alerts=[_as_seen_by(principal, row) for row in rows
                                   if principal.sees_restricted_cases or row["reason"] != "emergency_referral"])

    # An erasure (services/cases/erasure.py): notifications keeps no text of its own, only copies in its
    # outbox and parked messages, and when the complainant last wrote on WhatsApp.
    @consume_event("cases", ErasureApproved)
    def on_erasure_approved(self, erasure: ErasureApproved, envelope):
        erase_messaging_only(self.db(), erasure, envelope, self.name, own_links=repository.forget_whatsapp_session)

    # --- delivery receipts (receipts.py) ----------------------------------------------------------

    @api("POST", "/v1/receipts/twilio", public=True)
    def receive_twilio_receipt(self, request):
        _receipt_body(request)
        if request.mimetype != "application/x-www-form-urlencoded":
            raise ApiError(415, "unsupported_media_type", "Send the status callback form-encoded.")
        params = [(name, value) for name, values in request.form.lists() for value in values]
        if not signatures.twilio_valid(self.settings.sms.auth_token.get_secret_value(), self._called_url(request),
                                       params, request.headers.get("X-Twilio-Signature")):
            raise _bad_signature()
        receipt = receipts.twilio_receipt(read_form(request))
        if receipt is not None:
            receipts.apply(self.db, "twilio", receipt, now())
        return Response("", status=204)

    @api("POST", "/v1/receipts/whatsapp", public=True)
    def receive_whatsapp_receipts(self, request):
        raw = _receipt_body(request)
        secret = self.settings.receipts.whatsapp_app_secret
        if secret is None or not signatures.meta_valid(secret.get_secret_value(), raw,
                                                       request.headers.get("X-Hub-Signature-256")):
            raise _bad_signature()
        for receipt in receipts.whatsapp_receipts(read_json(raw)):
            receipts.apply(self.db, "whatsapp", receipt, now())
        return Response("", status=200)  # Meta retries anything else

    # --- replies from a case (replies.py, reply_templates.py) ------------------------------------------

    @consume_event("cases", CaseReplyRequested)
    def on_case_reply_requested(self, reply: CaseReplyRequested, envelope):
        replies.send_reply(self.db(), self.intake, replies.Senders(self.sms, self.whatsapp), reply, envelope,
                           self.settings.replies, self._sms_guard(envelope.country), now=now)

    # The person's last WhatsApp message opens the 24-hour window: only its time and contact are kept.
    @consume_event("intake", FeedbackReceived)
    def on_feedback_received(self, feedback: FeedbackReceived, envelope):
        replies.record_inbound_whatsapp(self.db(), feedback.contact_ref, feedback.channel, feedback.received_at)

    @consume_event("intake", StatusRequested)
    def on_status_requested(self, request: StatusRequested, envelope):
        replies.record_inbound_whatsapp(self.db(), request.contact_ref, request.channel, request.received_at)

    @consume_event("intake", ReplyReceived)
    def on_reply_received(self, answer: ReplyReceived, envelope):
        replies.record_inbound_whatsapp(self.db(), answer.contact_ref, answer.channel, answer.received_at)

    @api("GET", "/v1/reply-templates", roles=("agent", "supervisor", "focal_point"))
    def list_reply_templates(self, request, principal):
        """The replies an agent may send in a country and language; with `reference` (and `status`), each
        with its words as the person would read them."""
        country = request.args.get("country", "").upper()
        if country not in self.settings.countries:
            raise ApiError(400, "country_required", "Name a configured country, e.g. ?country=GN.")
        principal.require_country(country)
        fields = {name: request.args[name] for name in reply_templates.REPLY_FIELDS if request.args.get(name)}
        return replies.list_templates(self.settings.replies, country, self.settings.countries[country].languages,
                                      request.args.get("language"), fields, self.whatsapp.configured(country))

    def _called_url(self, request) -> str:
        """The URL as Twilio called it (it signs it), behind a proxy too."""
        base = self.settings.receipts.public_base_url or f"{request.scheme}://{request.host}"
        query = request.query_string.decode()
        return base.rstrip("/") + request.root_path + request.path + (f"?{query}" if query else "")


def _as_seen_by(principal, row: dict) -> StaffAlert:
    restricted = row.pop("restricted")
    row["deadline_kind"] = domain.shown_deadline_kind(row["deadline_kind"], restricted,
                                                      principal.sees_restricted_cases)
    return StaffAlert(**row)


SERVICE = NotificationsService
SETTINGS = NotificationsSettings
