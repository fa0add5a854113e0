"""One complaint's whole life, every service its own process: sent to intake, classified by a
person, warned about and breached on an advanced clock, then resolved and closed, with the
events checked on the bus."""
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.conftest import wait_for
from tests.e2e.platform import running_platform
from tests.helpers import EventRecorder
from tests.tokens import bearer

pytestmark = pytest.mark.e2e

MONDAY_9AM = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # Conakry is on UTC


@pytest.fixture
def platform(db, database_url):  # an empty database: no one else's deadline falls due on the moved clock
    recorders = []  # bound to cases' events before cases starts, so that it misses none
    # Only this test configuration lets an admin move the cases clock; production leaves it off.
    cases_env = {"CFM__CLOCK__ADJUSTABLE": "true", "CFM__DEADLINES__SCAN_SECONDS": "0.2"}
    with running_platform(database_url, service_env={"cases": cases_env},
                          before_start=lambda amqp_uri: recorders.append(EventRecorder(amqp_uri, "cases"))) as running:
        yield running.urls, recorders[0]
    recorders[0].close()


def test_a_complaint_is_classified_warned_breached_resolved_and_closed(platform):
    urls, events = platform
    agent = bearer("agent", subject="agent-mariama")
    admin = bearer("admin", subject="admin-ops")

    def set_clock(moment):
        answer = requests.put(f"{urls['cases']}/admin/clock", json={"now": moment.isoformat()}, headers=admin)
        assert answer.status_code == 200, answer.text

    def act(reference, action, body):
        answer = requests.post(f"{urls['cases']}/v1/cases/{reference}/{action}", json=body, headers=agent)
        assert answer.status_code == 200, answer.text
        return answer.json()

    set_clock(MONDAY_9AM)
    sent = requests.post(f"{urls['intake']}/v1/feedback", headers=agent, json={
        "country": "GN", "channel": "hotline", "language": "fr",
        "narrative": "Le paiement de l'appui au commerce est en retard depuis deux mois à Kindia.",
        "contact": {"name": "Mamadou Bah", "phone": "+224 622 11 22 33"},
        "consent": {"callback": True, "share_with_partners": False}})
    assert sent.status_code == 202
    reference = sent.json()["reference"]

    def case():
        answer = requests.get(f"{urls['cases']}/v1/cases/{reference}", headers=agent)
        return answer.json() if answer.status_code == 200 else None

    opened = wait_for(case, timeout=15, interval=0.1)
    assert opened["status"] == "new" and opened["category_code"] == 4 and not opened["restricted"]
    assert opened["deadline_kind"] == "acknowledge"

    classified = act(reference, "classification", {"category_code": 4, "sub_category": "cash",
                                                    "version": opened["version"]})
    assert classified["classification_confirmed"] and classified["classified_by"] == "agent-mariama"

    set_clock(MONDAY_9AM + timedelta(hours=19))  # past 75% of the business day to acknowledge
    warning = wait_for(lambda: events.payloads("deadline_warning"), timeout=15)[0]
    assert warning["kind"] == "acknowledge" and warning["reference"] == reference
    set_clock(MONDAY_9AM + timedelta(days=1, hours=1))  # Tuesday 10:00: an hour late
    breach = wait_for(lambda: events.payloads("deadline_breached"), timeout=15)[0]
    assert breach["kind"] == "acknowledge" and breach["due_at"][:16] == "2026-11-17T09:00"
    assert wait_for(case)["deadline_state"] == "breached"

    version = case()["version"]
    version = act(reference, "status", {"status": "acknowledged", "version": version})["version"]
    version = act(reference, "resolve", {"resolution": "Second instalment paid", "version": version})["version"]
    closed = act(reference, "close", {"response": "Your payment was sent on Tuesday", "response_channel": "call",
                                      "version": version})
    assert closed["status"] == "closed" and closed["response_channel"] == "call"
    assert [e["action"] for e in closed["timeline"]].count("status_changed") == 3

    wait_for(lambda: len(events.payloads("case_status_changed")) == 3, timeout=15)
    wait_for(lambda: len(events.payloads("deadline_settled")) == 2, timeout=15)
    assert [(e["from_status"], e["status"]) for e in events.payloads("case_status_changed")] == [
        ("new", "acknowledged"), ("acknowledged", "resolved"), ("resolved", "closed")]
    assert [e["confirmed"] for e in events.payloads("case_classified")] == [False, True]
    settled = {e["kind"]: e["within_deadline"] for e in events.payloads("deadline_settled")}
    assert settled == {"acknowledge": False, "resolve": True}  # the headline indicator: 1 of 2 in time
    order = [t for t in events.types() if t not in ("deadline_scheduled", "case_classified")]
    assert order[:3] == ["case_opened", "deadline_warning", "deadline_breached"]
    assert len(events.payloads("deadline_warning")) == 1 and len(events.payloads("deadline_breached")) == 1
    assert "Mamadou" not in str(events.events) and "622 11" not in str(events.events)
