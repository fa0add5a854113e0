"""referrals' entrypoints: refer every case opened or classified as sensitive, let partners answer, let focal
points re-route, mark overdue referrals."""
from datetime import UTC, datetime

from chassis.amqp import RpcProxy, rpc
from chassis.errors import ApiError
from chassis.http import api, parse_body
from chassis.erasure import erase_messaging_only
from chassis.messaging import consume_event
from chassis.service import PlatformService
from chassis.timers import SettingsTimer
from contracts.events import CaseClassified, CaseConsentWithdrawn, CaseOpened, ErasureApproved
from contracts.http import (
    Partner, PartnerList, RecordReferralOutcome, ReferralContact, ReferralDecline, ReferralList, ReferralView,
    RouteReferral,
)
from contracts.rpc import PartnerOnDutyRequest, PartnerOnDutyResponse
from services.referrals import consent, domain, handlers, outcomes, repository
from services.referrals.settings import ReferralsSettings

MAX_REFERRALS_LISTED = 200


def as_view(row: dict, outcome: dict | None = None) -> ReferralView:
    overdue_at = row.pop("overdue_at")
    return ReferralView(**row, **(outcome or {}), overdue=row["status"] == "sent" and overdue_at is not None)


def as_views(conn, rows: list[dict]) -> list[ReferralView]:
    """The referrals as listed, with their outcome (never its note)."""
    recorded = outcomes.outcomes_of(conn, [row["referral_id"] for row in rows])
    return [as_view(row, recorded.get(row["referral_id"])) for row in rows]


class ReferralsService(PlatformService):
    name = "referrals"
    intake = RpcProxy("intake")   # only to have a contact revealed, which intake checks and logs

    @consume_event("cases", CaseOpened)
    def on_case_opened(self, case: CaseOpened, envelope):
        if not case.sensitive:
            return
        self._refer(handlers.CaseToRefer.opened(case), envelope)

    @consume_event("cases", CaseConsentWithdrawn)
    def on_case_consent_withdrawn(self, event: CaseConsentWithdrawn, envelope):
        consent.withdraw_consent(self.db(), event)

    @consume_event("cases", CaseClassified)
    def on_case_classified(self, case: CaseClassified, envelope):
        """A person found the case sensitive (e.g. a threat to life): refer it now, to the partner of the
        confirmed category. A focal point released it (not sensitive after all): withdraw its unanswered
        referral. The automatic suggestion at opening is CaseOpened's to refer."""
        if case.released:
            handlers.withdraw_referral(self.db(), case, now=datetime.now(UTC))
        elif case.confirmed and case.sensitive:
            self._refer(handlers.CaseToRefer.classified(case), envelope)

    def _refer(self, case: handlers.CaseToRefer, envelope):
        partners = self.settings.partners.get(envelope.country, [])
        handlers.refer_case(self.db(), case, envelope.country, partners, self.settings.response,
                            now=datetime.now(UTC))

    # The state lives in the table, so the scan survives restarts and each referral is marked once.
    @SettingsTimer.decorator("response.overdue_scan_seconds")
    def mark_overdue_referrals(self):
        handlers.mark_overdue_referrals(self.db(), now=datetime.now(UTC))

    @SettingsTimer.decorator("response.overdue_scan_seconds")
    def remind_outcomes_due(self):
        outcomes.remind_outcomes_due(self.db(), self.settings.outcome_due_days, now=datetime.now(UTC))

    @api("POST", "/v1/referrals/<uuid:referral_id>/outcome", roles=("partner",))
    def record_referral_outcome(self, request, referral_id, principal):
        """The partner who accepted the referral records what happened, once."""
        body = parse_body(request, RecordReferralOutcome)
        outcomes.record_outcome(self.db(), referral_id, body, partner_id=self._partner_of(principal),
                                countries=principal.countries, recorded_by=principal.subject, now=datetime.now(UTC))
        with self.db() as uow:
            row = repository.referral_view(uow.conn, referral_id)
            return as_views(uow.conn, [row])[0]

    @api("GET", "/v1/referrals", roles=("partner", "focal_point"))
    def list_referrals(self, request, principal):
        """A partner sees its own referrals, a focal point all of them: in the token's countries only
        (?status=overdue to re-route)."""
        status = request.args.get("status") or None
        if status is not None and status not in domain.LISTED_STATUSES:
            raise ApiError(400, "invalid_status", f"status must be one of {', '.join(domain.LISTED_STATUSES)}.")
        countries = sorted(principal.countries)
        if country := request.args.get("country"):
            principal.require_country(country.upper())
            countries = [country.upper()]
        reference = (request.args.get("reference") or "").strip().upper()[:20] or None
        with self.db() as uow:
            rows = repository.list_referrals(uow.conn, partner_id=self._partner_of(principal), countries=countries,
                                             status=status, limit=MAX_REFERRALS_LISTED, reference=reference)
            return ReferralList(referrals=as_views(uow.conn, rows))

    @api("GET", "/v1/referrals/<uuid:referral_id>", roles=("partner", "focal_point"))
    def get_referral(self, request, referral_id, principal):
        """One referral: a partner's own, or any of a focal point's countries; anyone else's is not found."""
        with self.db() as uow:
            row = repository.find_partner_referral(uow.conn, referral_id, self._partner_of(principal),
                                                   sorted(principal.countries))
            if row is None:
                raise ApiError(404, "referral_not_found", "There is no referral with this id for you.")
            for grounds in ("feedback_id", "contact_ref"):  # intake's ids stay in referrals
                del row[grounds]
            return as_views(uow.conn, [row])[0]

    @api("POST", "/v1/referrals/<uuid:referral_id>/contact", roles=("partner",))
    def reveal_referral_contact(self, request, referral_id, principal):
        """The complainant's contact, for the partner who accepted, only with their consent (intake decides
        and logs)."""
        return ReferralContact(**handlers.reveal_contact(
            self.db(), self.intake, referral_id, partner_id=self._partner_of(principal),
            countries=principal.countries, requested_for=principal.subject))

    @api("GET", "/v1/partners", roles=("focal_point",))
    def list_partners(self, request, principal):
        """The country's partner directory: whom a focal point may route a referral to, and how to reach them."""
        country = (request.args.get("country") or "").upper()
        if not country:
            raise ApiError(422, "invalid_filter", "Name the country: ?country=GN.",
                           [{"field": "country", "reason": "required"}])
        principal.require_country(country)
        return PartnerList(country=country, partners=[
            Partner(**partner.model_dump()) for partner in self.settings.partners.get(country, [])])

    @rpc
    def get_partner_on_duty(self, request: dict) -> dict:
        """The directory's on-duty number of a partner, for notifications to text an emergency referral to."""
        asked = PartnerOnDutyRequest.model_validate(request)
        partner = next((partner for partner in self.settings.partners.get(asked.country, [])
                        if partner.id == asked.partner_id), None)
        return PartnerOnDutyResponse(partner_id=asked.partner_id,
                                     phone=partner.on_duty_phone if partner else None).model_dump(mode="json")

    @api("POST", "/v1/referrals/<uuid:referral_id>/accept", roles=("partner",))
    def accept_referral(self, request, referral_id, principal):
        return self._answer(referral_id, principal, accepted=True, decline_reason=None)

    @api("POST", "/v1/referrals/<uuid:referral_id>/decline", roles=("partner",))
    def decline_referral(self, request, referral_id, principal):
        decline = parse_body(request, ReferralDecline)
        return self._answer(referral_id, principal, accepted=False, decline_reason=decline.reason)

    @api("POST", "/v1/referrals/<uuid:referral_id>/route", roles=("focal_point",))
    def route_referral(self, request, referral_id, principal):
        """A focal point sends the case to another partner of the referral's country."""
        body = parse_body(request, RouteReferral)
        view = handlers.route_referral(self.db(), referral_id, partner_id=body.partner_id,
                                       partners_by_country=self.settings.partners, countries=principal.countries,
                                       routed_by=principal.subject, response_times=self.settings.response,
                                       now=datetime.now(UTC))
        return as_view(view)

    def _answer(self, referral_id, principal, accepted: bool, decline_reason: str | None) -> ReferralView:
        view = handlers.answer_referral(self.db(), referral_id, partner_id=self._partner_of(principal),
                                        countries=principal.countries, answered_by=principal.subject, accepted=accepted,
                                        decline_reason=decline_reason, now=datetime.now(UTC))
        return as_view(view)

    @staticmethod
    def _partner_of(principal) -> str | None:
        """The partner organisation a partner's token speaks for; None for platform staff."""
        if principal.role != "partner":
            return None
        if not principal.organisation:
            raise ApiError(403, "no_organisation", "Your token names no partner organisation.")
        return principal.organisation

    # An erasure (services/cases/erasure.py): referrals keeps no text of its own, only copies in its
    # outbox and parked messages.
    @consume_event("cases", ErasureApproved)
    def on_erasure_approved(self, erasure: ErasureApproved, envelope):
        erase_messaging_only(self.db(), erasure, envelope, self.name)


SERVICE = ReferralsService
SETTINGS = ReferralsSettings
