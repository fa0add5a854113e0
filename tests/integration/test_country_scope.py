"""Attacks across countries: a token scoped to one country must not list or act on another's
parked messages or referrals."""
from datetime import UTC, datetime
from uuid import uuid4

import pytest
import requests

from chassis.messaging import consume_event
from chassis.service import PlatformService
from contracts.events import FeedbackReceived
from tests.conftest import wait_for
from tests.helpers import publish_event
from tests.integration.test_referrals import PROTECTION, refer


class FailingCases(PlatformService):
    """A cases service whose handler always fails: every message ends up parked."""

    name = "cases"

    @consume_event("intake", FeedbackReceived)
    def on_feedback_received(self, feedback, envelope):
        raise RuntimeError("always")


@pytest.mark.security
def test_an_ops_token_for_mali_neither_lists_nor_replays_a_guinean_parked_message(run_service, amqp_uri, db):
    service = run_service("cases", FailingCases, consumer={"attempts": 1})
    guinean = publish_event(amqp_uri, "intake", FeedbackReceived(
        feedback_id=uuid4(), reference="GN-2026-000001", channel="sms", language="fr",
        narrative="Quand aura lieu la distribution ?", received_at=datetime.now(UTC)), country="GN")
    parked_id = wait_for(lambda: db.execute("SELECT id FROM cases.parked_messages").fetchone())[0]

    mali_ops = service.headers(role="ops", countries=("ML",))
    assert requests.get(f"{service.url}/admin/parked", headers=mali_ops).json()["parked"] == []
    replay = requests.post(f"{service.url}/admin/parked/{parked_id}/replay", headers=mali_ops)
    assert (replay.status_code, replay.json()["error"]["code"]) == (404, "not_found")
    assert db.execute("SELECT count(*) FROM cases.parked_messages").fetchone()[0] == 1

    guinea_ops = service.headers(role="ops", countries=("GN",))
    listed = requests.get(f"{service.url}/admin/parked", headers=guinea_ops).json()["parked"]
    assert [item["message_id"] for item in listed] == [str(guinean.message_id)]
    admin = requests.get(f"{service.url}/admin/parked", headers=service.headers(role="admin", countries=()))
    assert len(admin.json()["parked"]) == 1


@pytest.mark.security
def test_a_partner_token_for_mali_sees_and_answers_no_guinean_referral(run_service, amqp_uri, db):
    referrals = run_service("referrals")
    ids = refer(amqp_uri, db, {"GN-2026-000301": 10})
    # The same organisation, with a token for Mali only.
    token = referrals.token("partner", ("ML",), subject="staff", organisation=PROTECTION)
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{referrals.url}/v1/referrals", headers=headers).json()["referrals"] == []
    answer = requests.post(f"{referrals.url}/v1/referrals/{ids['GN-2026-000301']}/accept", headers=headers)
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "referral_not_found")
    assert db.execute("SELECT status FROM referrals.referrals").fetchone()[0] == "sent"
