"""cases' erasure requests on real services: who may ask, four eyes, a decision taken once, and the
certificate while the other services have not answered yet."""
from datetime import UTC, datetime
from types import SimpleNamespace
from uuid import uuid4

import eventlet
import requests

from chassis.db import UnitOfWork, open_pool
from contracts.common import Consent
from contracts.events import ErasureCompleted, FeedbackReceived
from services.cases import erasure
from tests.conftest import wait_for
from tests.helpers import publish_event


def test_an_erasure_needs_a_second_person_is_decided_once_and_erases_cases_part_at_approval(
        run_service, amqp_uri, db):
    cases = run_service("cases")
    contact = uuid4()
    for reference, contact_ref in (("GN-2026-000201", contact), ("GN-2026-000202", None)):
        publish_event(amqp_uri, "intake", FeedbackReceived(
            feedback_id=uuid4(), reference=reference, channel="sms", narrative="Le paiement Ploverquin est en retard",
            received_at=datetime.now(UTC), contact_ref=contact_ref, consent=Consent(callback=True)))
    wait_for(lambda: db.execute("SELECT count(*) FROM cases.cases").fetchone()[0] == 2)

    def ask(headers, reference="GN-2026-000201", scope="complainant"):
        return requests.post(f"{cases.url}/v1/erasures", headers=headers,
                             json={"reference": reference, "scope": scope, "ground": "consent_withdrawn"})
    awa = {"Authorization": f"Bearer {cases.token('focal_point', subject='focal-awa')}"}
    binta = {"Authorization": f"Bearer {cases.token('admin', subject='admin-binta')}"}
    assert ask(cases.headers("agent")).json()["error"]["code"] == "role_not_allowed"
    assert ask(cases.headers("focal_point", ("ML",))).json()["error"]["code"] == "case_not_found"
    assert ask(awa, "GN-2026-000202").json()["error"]["code"] == "anonymous_case"

    declined = ask(awa).json()["erasure_id"]
    assert requests.post(f"{cases.url}/v1/erasures/{declined}/decline", headers=binta).json()["status"] == "declined"
    again = requests.post(f"{cases.url}/v1/erasures/{declined}/approve", headers=binta)
    assert again.status_code == 409 and again.json()["error"]["code"] == "erasure_already_decided"

    erasure_id = ask(awa).json()["erasure_id"]
    assert requests.post(f"{cases.url}/v1/erasures/{erasure_id}/approve", headers=awa).status_code == 403
    assert requests.post(f"{cases.url}/v1/erasures/{erasure_id}/approve", headers=binta).status_code == 200
    certificate = requests.get(f"{cases.url}/v1/erasures/{erasure_id}/certificate", headers=awa).json()
    assert not certificate["complete"]
    assert certificate["waiting_for"] == ["intake", "referrals", "notifications", "reporting"]
    [own] = certificate["services"]
    assert own["service"] == "cases" and own["erased"]["data_keys"] == 1 and own["erased"]["cases.narrative"] == 1

    case = requests.get(f"{cases.url}/v1/cases/GN-2026-000201", headers=awa).json()
    assert case["narrative"] == "" and not case["has_contact"]
    untouched = requests.get(f"{cases.url}/v1/cases/GN-2026-000202", headers=awa).json()
    assert "Ploverquin" in untouched["narrative"]
    audited = db.execute("SELECT action FROM cases.audit_log WHERE action LIKE 'erasure%%' ORDER BY id").fetchall()
    assert [row[0] for row in audited] == [
        "erasure_request_denied", "erasure_requested", "erasure_declined", "erasure_requested",
        "erasure_decision_refused", "erasure_approved", "erasure_certificate_read"]
    listed = requests.get(f"{cases.url}/v1/erasures", headers=awa, params={"status": "approved"}).json()
    assert [item["erasure_id"] for item in listed["erasures"]] == [erasure_id]


def test_a_service_that_was_down_erases_its_part_when_it_comes_back(run_service, db):
    intake = run_service("intake")
    cases = run_service("cases")
    recorded = requests.post(f"{intake.url}/v1/feedback", headers=intake.headers(), json={
        "country": "GN", "channel": "hotline", "narrative": "Le paiement Ploverquin est en retard",
        "contact": {"name": "Fanta Keita", "phone": "622 98 76 54"}})
    reference = recorded.json()["reference"]
    wait_for(lambda: db.execute("SELECT 1 FROM cases.cases WHERE reference = %s", [reference]).fetchone())
    intake.container.stop()  # intake is down while the erasure is approved

    awa = {"Authorization": f"Bearer {cases.token('focal_point', subject='focal-awa')}"}
    binta = {"Authorization": f"Bearer {cases.token('focal_point', subject='focal-binta')}"}
    erasure_id = requests.post(f"{cases.url}/v1/erasures", headers=awa, json={
        "reference": reference, "scope": "complainant", "ground": "complainant_request"}).json()["erasure_id"]
    assert requests.post(f"{cases.url}/v1/erasures/{erasure_id}/approve", headers=binta).status_code == 200

    def waiting_for():
        return requests.get(f"{cases.url}/v1/erasures/{erasure_id}/certificate", headers=awa).json()["waiting_for"]
    assert "intake" in waiting_for()
    assert db.execute("SELECT key_id FROM intake.contacts").fetchone()[0] != "erased"

    run_service("intake")  # back: the approval waited in its queue
    wait_for(lambda: "intake" not in waiting_for())
    assert db.execute("SELECT key_id, ciphertext FROM intake.contacts").fetchone() == ("erased", b"")
    assert db.execute("SELECT narrative, destroyed_at IS NOT NULL FROM intake.feedback JOIN intake.data_keys "
                      "ON subject = reference").fetchone() == ("", True)


class _SlowCommit(UnitOfWork):
    """A unit of work that says when its work is done but not committed, then waits before it commits:
    another transaction runs meanwhile."""
    recorded = None  # an eventlet Event, sent once the line is recorded and not yet committed

    def __exit__(self, exc_type, exc, tb):
        self.recorded.send()
        eventlet.sleep(0.5)
        return super().__exit__(exc_type, exc, tb)


def test_two_services_answering_at_once_still_complete_the_certificate(run_service, amqp_uri, db, database_url):
    cases = run_service("cases")
    publish_event(amqp_uri, "intake", FeedbackReceived(
        feedback_id=uuid4(), reference="GN-2026-000301", channel="sms", narrative="Le paiement Ploverquin est en retard",
        received_at=datetime.now(UTC), contact_ref=uuid4()))
    wait_for(lambda: db.execute("SELECT count(*) FROM cases.cases").fetchone()[0] == 1)
    awa = {"Authorization": f"Bearer {cases.token('focal_point', subject='focal-awa')}"}
    binta = {"Authorization": f"Bearer {cases.token('focal_point', subject='focal-binta')}"}
    erasure_id = requests.post(f"{cases.url}/v1/erasures", headers=awa, json={
        "reference": "GN-2026-000301", "scope": "complainant", "ground": "complainant_request"}).json()["erasure_id"]
    assert requests.post(f"{cases.url}/v1/erasures/{erasure_id}/approve", headers=binta).status_code == 200

    pool = open_pool(database_url, "cases", 1, 4)

    def answer(service, unit_of_work=UnitOfWork):
        worker_ctx = SimpleNamespace(data={"consumer": f"cases.on_{service}_erasure_completed",
                                           "causation_id": str(uuid4())})
        completed = ErasureCompleted(erasure_id=erasure_id, service=service, erased={}, completed_at=datetime.now(UTC))
        erasure.on_erasure_completed(unit_of_work(pool, "cases", worker_ctx, on_commit=lambda: None), completed, None)

    try:
        answer("referrals")
        answer("notifications")
        # The last two answers arrive together: intake's commits while reporting's is being recorded.
        _SlowCommit.recorded = eventlet.Event()
        slow = eventlet.spawn(answer, "intake", _SlowCommit)
        _SlowCommit.recorded.wait()
        answer("reporting")
        slow.wait()
    finally:
        pool.close()
    certificate = requests.get(f"{cases.url}/v1/erasures/{erasure_id}/certificate", headers=awa).json()
    assert certificate["waiting_for"] == []
    assert certificate["complete"], "the last two answers each missed the other: the erasure never completes"
