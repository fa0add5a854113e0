"""The unit of work and its outbox, on the real PostgreSQL and RabbitMQ."""
import time
from datetime import UTC, datetime
from uuid import uuid4

import eventlet
import pytest

from chassis.db import UnitOfWork, open_pool
from chassis.outbox import BATCH_SIZE, OutboxRelay
from contracts.events import FeedbackReceived
from tests.conftest import wait_for


def feedback_received(reference="GN-2026-000001", narrative="Le paiement est en retard"):
    return FeedbackReceived(feedback_id=uuid4(), reference=reference, channel="hotline", language="fr",
                            narrative=narrative, received_at=datetime.now(UTC))


@pytest.fixture
def intake_pool(database_url, db):
    pool = open_pool(database_url, "intake", 1, 10)
    yield pool
    pool.close()


def test_concurrent_slow_queries_overlap_instead_of_queueing(database_url, db):
    # Ten connections opened before the clock starts: what is timed is the queries, not the connecting.
    connections = open_pool(database_url, "intake", 10, 10)
    connections.wait(timeout=30)

    def slow_query():
        with connections.connection() as conn:
            conn.execute("SELECT pg_sleep(0.5)")

    try:
        started = time.monotonic()
        pool = eventlet.GreenPool()
        for _ in range(10):
            pool.spawn(slow_query)
        pool.waitall()
        elapsed = time.monotonic() - started
    finally:
        connections.close()
    # One after another they take 5 s.
    assert elapsed < 3.0, f"10 queries of 0.5 s took {elapsed:.1f} s: psycopg blocks the event loop"


def test_a_rolled_back_change_leaves_no_event_behind(intake_pool, db):
    with pytest.raises(RuntimeError):
        with UnitOfWork(intake_pool, "intake", None, on_commit=lambda: None) as uow:
            uow.emit(feedback_received(), country="GN")
            raise RuntimeError("the state change failed")
    assert db.execute("SELECT count(*) FROM intake.outbox").fetchone()[0] == 0


def test_an_event_committed_while_the_relay_was_down_is_published_when_it_starts(intake_pool, db, run_service):
    run_service("cases")  # its queue is bound, so the event has somewhere to go
    # No intake relay is running: this is the state a crash between commit and publish leaves.
    with UnitOfWork(intake_pool, "intake", None, on_commit=lambda: None) as uow:
        sent = uow.emit(feedback_received("GN-2026-000777"), country="GN")

    def publication():
        return db.execute("SELECT published_at FROM intake.outbox WHERE message_id = %s",
                          [sent.message_id]).fetchall()
    assert publication() == [(None,)]  # committed, waiting for a relay

    run_service("intake")  # its relay starts with the service
    wait_for(lambda: db.execute("SELECT 1 FROM cases.cases WHERE reference = 'GN-2026-000777'").fetchone())
    assert publication()[0][0] is not None


def test_an_event_with_no_queue_bound_stays_in_the_outbox(intake_pool, db, run_service):
    run_service("intake")  # nobody consumes intake's events in this vhost
    with UnitOfWork(intake_pool, "intake", None, on_commit=lambda: None) as uow:
        uow.emit(feedback_received(), country="GN")
    wait_for(lambda: db.execute("SELECT attempts FROM intake.outbox").fetchone()[0] >= 1)
    row = db.execute("SELECT published_at, last_error FROM intake.outbox").fetchone()
    assert row == (None, "unroutable")


def test_events_kept_back_for_a_missing_queue_do_not_hold_up_a_new_one(intake_pool, db, run_service, amqp_uri):
    run_service("cases")  # feedback_received has a queue; the kept-back events below have none
    kept_back = BATCH_SIZE + 20  # tried once already and due again: more than one batch of them
    for _ in range(kept_back):
        db.execute("""INSERT INTO intake.outbox (message_id, event_type, routing_key, body, attempts, last_error)
                      VALUES (%s, 'nobody_listens', 'nobody_listens.v1', '{}', 1, 'unroutable')""", [uuid4()])
    with UnitOfWork(intake_pool, "intake", None, on_commit=lambda: None) as uow:
        sent = uow.emit(feedback_received("GN-2026-000778"), country="GN")

    OutboxRelay(intake_pool, amqp_uri, "intake").publish_pending()  # one batch

    assert db.execute("SELECT published_at IS NOT NULL FROM intake.outbox WHERE message_id = %s",
                      [sent.message_id]).fetchone() == (True,)
    wait_for(lambda: db.execute("SELECT 1 FROM cases.cases WHERE reference = 'GN-2026-000778'").fetchone())
    assert db.execute("SELECT count(*) FROM intake.outbox WHERE published_at IS NULL").fetchone()[0] == kept_back
