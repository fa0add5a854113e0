"""reporting's entrypoints: index every event; search; reports, on request and on schedule."""
import logging
from datetime import UTC, datetime

from nameko.extensions import DependencyProvider

from chassis.http import api
from chassis.messaging import consume_event
from chassis.search import make_client
from chassis.service import PlatformService
from chassis.timers import SettingsTimer
from contracts.events import (
    AppointmentAttendanceRecorded, AppointmentBooked, AppointmentCancelled, CallbackAttemptRecorded,
    CallbackTaskOpened, CallRecorded, CaseAnonymised, CaseAssigned, CaseClassified, CaseLinked, CaseNoteAdded,
    CaseOpened, CaseStatusAnswered,
    CaseStatusChanged, DeadlineBreached, DeadlineScheduled, DeadlineSettled, DeadlineWarning, FeedbackReceived,
    ErasureApproved, NotificationSentV2, ReferralAnswered, ReferralCreated, ReferralOutcomeRecorded, ReferralOverdue,
    SatisfactionAnswered, StatusRequested,
)
from services.reporting import erasure, handlers
from services.reporting.index import SearchIndexes
from services.reporting.settings import ReportingSettings

log = logging.getLogger(__name__)
# Reports are aggregates: restricted cases are counted in them, never described.
REPORT_READERS = ("supervisor", "focal_point", "manager")


class Indexes(DependencyProvider):
    """The search indices, created with their templates and aliases at start-up."""

    def setup(self):
        settings = self.container.config["SETTINGS"]
        self.client = make_client(settings.elasticsearch.url)
        self.indexes = SearchIndexes(self.client, settings.elasticsearch.index_prefix)

    def start(self):
        self.indexes.ensure()

    def stop(self):
        self.client.close()

    kill = stop

    def get_dependency(self, worker_ctx):
        return self.indexes


class StaffNames(DependencyProvider):
    """By country, the staff names kept out of narratives, compiled once."""

    def setup(self):
        self.masks = handlers.staff_name_masks(self.container.config["SETTINGS"])

    def get_dependency(self, worker_ctx):
        return self.masks


class ReportingService(PlatformService):
    name = "reporting"

    indexes = Indexes()
    staff_names = StaffNames()

    # Every event the platform publishes: case events update the case's document, all of them
    # enter the timeline (status requests without the reference they asked about).
    @consume_event("intake", FeedbackReceived)
    def on_feedback_received(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("intake", CallRecorded)
    def on_call_recorded(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("intake", StatusRequested)
    def on_status_requested(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("cases", CaseStatusAnswered)
    def on_case_status_answered(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("cases", CaseOpened)
    def on_case_opened(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("cases", CaseClassified)
    def on_case_classified(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("cases", CaseStatusChanged)
    def on_case_status_changed(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("cases", CaseAnonymised)
    def on_case_anonymised(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("cases", CaseAssigned)
    def on_case_assigned(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("cases", CaseNoteAdded)
    def on_case_note_added(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("cases", CaseLinked)
    def on_case_linked(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("cases", DeadlineScheduled)
    def on_deadline_scheduled(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("cases", DeadlineWarning)
    def on_deadline_warning(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("cases", DeadlineBreached)
    def on_deadline_breached(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("cases", DeadlineSettled)
    def on_deadline_settled(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("referrals", ReferralCreated)
    def on_referral_created(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("referrals", ReferralAnswered)
    def on_referral_answered(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("referrals", ReferralOverdue)
    def on_referral_overdue(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("referrals", ReferralOutcomeRecorded)
    def on_referral_outcome_recorded(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("cases", CallbackTaskOpened)
    def on_callback_task_opened(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("cases", CallbackAttemptRecorded)
    def on_callback_attempt_recorded(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("cases", AppointmentBooked)
    def on_appointment_booked(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("cases", AppointmentCancelled)
    def on_appointment_cancelled(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("cases", AppointmentAttendanceRecorded)
    def on_appointment_attendance_recorded(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("cases", SatisfactionAnswered)
    def on_satisfaction_answered(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @consume_event("notifications", NotificationSentV2)
    def on_notification_sent(self, event, envelope):
        handlers.record_event(self.db(), self.indexes, event, envelope, self.staff_names)

    @api("GET", "/v1/search", roles=("agent", "supervisor", "focal_point", "manager"))
    def search(self, request, principal):
        return handlers.search_cases(self.indexes, principal, request.args, self.settings.search_page_size)

    @api("GET", "/v1/reports", roles=REPORT_READERS)
    def report(self, request, principal):
        return handlers.requested_report(self.indexes, principal, request.args, self.settings, datetime.now(UTC))

    @api("GET", "/v1/reports/stored", roles=REPORT_READERS)
    def stored_reports(self, request, principal):
        with self.db() as uow:
            return handlers.stored_reports(uow.conn, principal, request.args)

    @api("GET", "/v1/reports/stored/<report_id>", roles=REPORT_READERS)
    def stored_report(self, request, principal, report_id):
        with self.db() as uow:
            return handlers.stored_report(uow.conn, principal, report_id, request.args,
                                          self.settings.reports.category_labels)

    @SettingsTimer.decorator("reports.schedule_check_seconds")
    def generate_scheduled_reports(self):
        with self.db() as uow:
            made = handlers.generate_due_reports(uow.conn, self.indexes, self.settings, datetime.now(UTC))
        if made:
            log.info("scheduled reports generated", extra={"reports": made})

    def readiness_checks(self) -> dict[str, str]:
        try:
            self.indexes.client.info()
            return {"elasticsearch": "ok"}
        except Exception as exc:
            return {"elasticsearch": f"unreachable: {type(exc).__name__}"}

    # An erasure (services/reporting/erasure.py): the journal and the index keep the facts, not the texts.
    @consume_event("cases", ErasureApproved)
    def on_erasure_approved(self, erasure_approved: ErasureApproved, envelope):
        erasure.erase(self.db(), self.indexes, erasure_approved, envelope)


SERVICE = ReportingService
SETTINGS = ReportingSettings
