"""Event consumers: idempotent, retried with backoff, parked and replayable, never lost."""
from datetime import UTC, datetime
from uuid import uuid4

import requests
from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange

from chassis.messaging import consume_event
from chassis.service import PlatformService
from contracts.envelope import Envelope
from contracts.events import FeedbackReceived
from tests.conftest import wait_for
from tests.helpers import metric_value, publish_event


def feedback(reference="GN-2026-000001"):
    return FeedbackReceived(feedback_id=uuid4(), reference=reference, channel="sms", language="fr",
                            narrative="Quand aura lieu la prochaine distribution ?", received_at=datetime.now(UTC))


def consumed(service, outcome: str) -> float:
    """FeedbackReceived events cases has handled to the end with this outcome (processed, duplicate)."""
    return metric_value(requests.get(service.metrics_url).text, "cfm_messages_consumed_total",
                        service="cases", event_type="feedback_received.v1", outcome=outcome)


def test_a_message_delivered_twice_opens_one_case(run_service, amqp_uri, db):
    cases = run_service("cases")
    # The counters live as long as the test process: count from here.
    processed, duplicates = consumed(cases, "processed"), consumed(cases, "duplicate")
    envelope = Envelope.wrap(feedback(), country="GN", producer="intake", correlation_id=uuid4())
    publish_event(amqp_uri, "intake", None, envelope=envelope)
    publish_event(amqp_uri, "intake", None, envelope=envelope)
    # Both deliveries handled to the end (the second seen as a duplicate) before anything is counted.
    wait_for(lambda: consumed(cases, "processed") + consumed(cases, "duplicate") >= processed + duplicates + 2)
    assert consumed(cases, "processed") == processed + 1
    assert consumed(cases, "duplicate") == duplicates + 1
    assert db.execute("SELECT count(*) FROM cases.processed_messages").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM cases.outbox WHERE event_type = 'case_opened'").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM cases.cases").fetchone()[0] == 1


class Calls:
    failing = True
    seen: list = []


class FlakyCases(PlatformService):
    """A cases service whose handler fails while `Calls.failing` is set."""

    name = "cases"

    @consume_event("intake", FeedbackReceived)
    def on_feedback_received(self, feedback, envelope):
        Calls.seen.append(envelope.message_id)
        if Calls.failing:
            raise RuntimeError("the database refused the write")


def test_a_failing_handler_is_retried_then_parked_then_replayed(run_service, amqp_uri, db):
    Calls.failing, Calls.seen = True, []
    service = run_service("cases", FlakyCases, consumer={"attempts": 3})
    sent = publish_event(amqp_uri, "intake", feedback())

    parked = wait_for(lambda: db.execute("SELECT id, attempts, error_type, message_id FROM cases.parked_messages")
                      .fetchone())
    assert parked[1:] == (3, "RuntimeError", str(sent.message_id))
    assert Calls.seen == [sent.message_id] * 3

    ops = service.headers(role="ops")
    listed = requests.get(f"{service.url}/admin/parked", headers=ops).json()["parked"]
    assert [item["message_id"] for item in listed] == [str(sent.message_id)]
    metrics = requests.get(service.metrics_url).text
    assert metric_value(metrics, "cfm_messages_parked_total", service="cases") == 1
    assert metric_value(metrics, "cfm_messages_failed_total", service="cases") == 3

    assert requests.post(f"{service.url}/admin/parked/{parked[0]}/replay",
                         headers=service.headers(role="agent")).status_code == 403
    Calls.failing = False
    answer = requests.post(f"{service.url}/admin/parked/{parked[0]}/replay", headers=ops)
    assert answer.status_code == 202
    wait_for(lambda: len(Calls.seen) == 4)
    assert db.execute("SELECT count(*) FROM cases.parked_messages").fetchone()[0] == 0


def test_a_message_that_breaks_its_contract_is_parked_and_does_not_block_the_queue(run_service, amqp_uri, db):
    run_service("cases")
    exchange = get_event_exchange("intake", {})
    Publisher(amqp_uri, declare=[exchange]).publish(
        {"type": "feedback_received", "version": 1, "payload": {"narrative": 42}},
        exchange=exchange, routing_key="feedback_received.v1")
    publish_event(amqp_uri, "intake", feedback("GN-2026-000002"))

    wait_for(lambda: db.execute("SELECT 1 FROM cases.cases WHERE reference = 'GN-2026-000002'").fetchone())
    assert db.execute("SELECT error_type, attempts FROM cases.parked_messages").fetchall() == [
        ("ValidationError", 1)]
