"""referrals' entrypoints: refer every case opened or classified as sensitive, let partners answer, let focal
points re-route, mark overdue referrals."""
from datetime import UTC, datetime

from chassis.errors import ApiError
from chassis.http import api, parse_body
from chassis.erasure import erase_messaging_only
from chassis.messaging import consume_event
from chassis.service import PlatformService
from chassis.timers import SettingsTimer
from contracts.events import CaseClassified, CaseOpened, ErasureApproved
from contracts.http import ReferralDecline, ReferralList, ReferralView, RouteReferral
from services.referrals import domain, handlers, repository
from services.referrals.settings import ReferralsSettings

MAX_REFERRALS_LISTED = 200


def as_view(row: dict) -> ReferralView:
    overdue_at = row.pop("overdue_at")
    return ReferralView(**row, overdue=row["status"] == "sent" and overdue_at is not None)


class ReferralsService(PlatformService):
    name = "referrals"

    @consume_event("cases", CaseOpened)
    def on_case_opened(self, case: CaseOpened, envelope):
        if not case.sensitive:
            return
        self._refer(handlers.CaseToRefer.opened(case), envelope)

    @consume_event("cases", CaseClassified)
    def on_case_classified(self, case: CaseClassified, envelope):
        """A person found the case sensitive (e.g. a threat to life): refer it now, to the partner of the
        confirmed category. The automatic suggestion at opening is CaseOpened's to refer."""
        if not (case.confirmed and case.sensitive):
            return
        self._refer(handlers.CaseToRefer.classified(case), envelope)

    def _refer(self, case: handlers.CaseToRefer, envelope):
        partners = self.settings.partners.get(envelope.country, [])
        handlers.refer_case(self.db(), case, envelope.country, partners, self.settings.response,
                            now=datetime.now(UTC))

    # The state lives in the table, so the scan survives restarts and each referral is marked once.
    @SettingsTimer.decorator("response.overdue_scan_seconds")
    def mark_overdue_referrals(self):
        handlers.mark_overdue_referrals(self.db(), now=datetime.now(UTC))

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
        with self.db() as uow:
            rows = repository.list_referrals(uow.conn, partner_id=self._partner_of(principal), countries=countries,
                                             status=status, limit=MAX_REFERRALS_LISTED)
        return ReferralList(referrals=[as_view(row) for row in rows])

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
