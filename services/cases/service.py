"""cases' entrypoints: open a case per feedback; GET /v1/cases/{reference}."""
from datetime import UTC, datetime

from chassis.http import api
from chassis.messaging import consume_event
from chassis.service import PlatformService
from contracts.events import FeedbackReceived
from services.cases import handlers
from services.cases.settings import CasesSettings


class CasesService(PlatformService):
    name = "cases"

    @consume_event("intake", FeedbackReceived)
    def on_feedback_received(self, feedback: FeedbackReceived, envelope):
        timezone = self.settings.countries[envelope.country].timezone
        handlers.open_case(self.db(), feedback, envelope, timezone, now=datetime.now(UTC))

    @api("GET", "/v1/cases/<string:reference>", roles=("agent", "supervisor", "focal_point"))
    def get_case(self, request, reference, principal):
        return handlers.get_case(self.db(), reference, principal)


SERVICE = CasesService
SETTINGS = CasesSettings
