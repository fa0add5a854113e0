"""notifications' entrypoints: acknowledge new cases to complainants who consented."""
from datetime import UTC, datetime

from nameko.rpc import RpcProxy

from chassis.messaging import consume_event
from chassis.service import PlatformService
from contracts.events import CaseOpened
from services.notifications import domain, handlers
from services.notifications.settings import NotificationsSettings
from services.notifications.sms import SmsGateway


class NotificationsService(PlatformService):
    name = "notifications"

    intake = RpcProxy("intake")
    sms = SmsGateway()

    @consume_event("cases", CaseOpened)
    def on_case_opened(self, case: CaseOpened, envelope):
        if not domain.wants_acknowledgement(case.contact_ref is not None, case.consent.callback):
            return
        handlers.acknowledge_case(self.db(), self.intake, self.sms, case, envelope,
                                  self.settings.countries[envelope.country].languages,
                                  now=lambda: datetime.now(UTC))


SERVICE = NotificationsService
SETTINGS = NotificationsSettings
