"""notifications' entrypoints: acknowledge new cases to complainants who consented."""
from datetime import UTC, datetime

from nameko.rpc import RpcProxy

from chassis.messaging import consume_event
from chassis.service import PlatformService
from contracts.events import CaseOpened
from services.notifications import handlers
from services.notifications.settings import NotificationsSettings
from services.notifications.sms import SmsGateway


class NotificationsService(PlatformService):
    name = "notifications"

    intake = RpcProxy("intake")
    sms = SmsGateway()

    @consume_event("cases", CaseOpened)
    def on_case_opened(self, case: CaseOpened, envelope):
        handlers.acknowledge_case(self.db(), self.intake, self.sms, case, envelope,
                                  self.settings.countries[envelope.country].languages,
                                  now=lambda: datetime.now(UTC))


SERVICE = NotificationsService
SETTINGS = NotificationsSettings
