"""referrals' entrypoints: refer every case opened as sensitive."""
from datetime import UTC, datetime

from chassis.messaging import consume_event
from chassis.service import PlatformService
from contracts.events import CaseOpened
from services.referrals import handlers
from services.referrals.settings import ReferralsSettings


class ReferralsService(PlatformService):
    name = "referrals"

    @consume_event("cases", CaseOpened)
    def on_case_opened(self, case: CaseOpened, envelope):
        if not case.sensitive:
            return
        partners = self.settings.partners.get(envelope.country, [])
        handlers.refer_case(self.db(), case, envelope, partners, now=datetime.now(UTC))


SERVICE = ReferralsService
SETTINGS = ReferralsSettings
