"""intake's entrypoints: POST /v1/feedback and the contact vault's RPC."""
from datetime import UTC, datetime

from nameko.extensions import DependencyProvider
from nameko.rpc import rpc

from chassis.http import api, parse_body
from chassis.service import PlatformService
from contracts.http import FeedbackSubmission
from contracts.rpc import RevealContactRequest
from services.intake import handlers
from services.intake.settings import IntakeSettings
from services.intake.vault import ContactVault


class Vault(DependencyProvider):
    def setup(self):
        self.vault = ContactVault.from_settings(self.container.config["SETTINGS"].vault)

    def get_dependency(self, worker_ctx):
        return self.vault


class IntakeService(PlatformService):
    name = "intake"

    vault = Vault()

    @api("POST", "/v1/feedback", roles=("agent", "supervisor", "focal_point"))
    def submit_feedback(self, request, principal):
        submission = parse_body(request, FeedbackSubmission)
        principal.require_country(submission.country)
        accepted = handlers.submit_feedback(self.db(), self.vault, self.settings.countries, submission,
                                            submitted_by=principal.subject, now=datetime.now(UTC))
        return 202, accepted

    @rpc(expected_exceptions=handlers.ContactNotFound)
    def reveal_contact(self, request: dict) -> dict:
        answer = handlers.reveal_contact(self.db(), self.vault, RevealContactRequest.model_validate(request))
        return answer.model_dump(mode="json")


SERVICE = IntakeService
SETTINGS = IntakeSettings
