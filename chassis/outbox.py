"""The outbox relay: publishes committed events with publisher confirms.

Rows are taken with FOR UPDATE SKIP LOCKED, so several instances of a service
can relay side by side; rows never tried come first, oldest id first. A row
kept back for a missing queue costs a round trip to the broker each time it is
tried again, and must not delay the events behind it (an erasure's answer once
waited half a minute behind such rows). A row is stamped published
only after the broker confirmed it; a crash in between publishes it again on
restart (consumers drop the duplicate). Events are published `mandatory`: one
that no queue is bound for stays in the outbox and is tried again later
instead of vanishing.

No order is promised, not even per case: an id is taken at insert, not at
commit, so a transaction committing later may hold a smaller id; a row kept
back for a missing queue goes out after younger ones; relays run side by
side. Nor could publication order survive the way to a consumer: each event
type has its own queue, a consumer's workers run concurrently, and a failed
handler is retried after the messages behind it. So consumers must give the
same result in any order (reporting keeps the case version that set each
group of fields; referrals refers a case once, whichever of CaseOpened and
CaseClassified comes first); tests/unit/test_event_order.py and
tests/integration/test_event_order.py hold them to it.
"""
import logging
import threading

from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.standalone.events import get_event_exchange

from chassis import metrics

log = logging.getLogger(__name__)

BATCH_SIZE = 100
MAX_RETRY_SECONDS = 60


class OutboxRelay:
    def __init__(self, pool, amqp_uri: str, service: str, poll_seconds: float = 1.0):
        self.pool = pool
        self.service = service
        self.poll_seconds = poll_seconds
        self.exchange = get_event_exchange(service, {})
        self.publisher = Publisher(amqp_uri, use_confirms=True, mandatory=True, declare=[self.exchange])
        self._wake = threading.Event()
        self._stopping = False

    def wake(self) -> None:
        """Called after a commit that emitted events, so they go out at once."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    def run(self) -> None:
        while not self._stopping:
            try:
                published = self.publish_pending()
            except Exception as exc:  # broker or database away: keep the rows, try again
                log.warning("outbox relay could not publish", extra={"reason": type(exc).__name__})
                published = 0
            if published == 0:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def publish_pending(self) -> int:
        """Publish one batch of due events; returns how many the broker confirmed."""
        published_ids = []
        with self.pool.connection() as conn:
            rows = conn.execute(
                """SELECT id, message_id, event_type, routing_key, body, headers FROM outbox
                   WHERE published_at IS NULL AND next_attempt_at <= now()
                   ORDER BY attempts, id LIMIT %s FOR UPDATE SKIP LOCKED""", [BATCH_SIZE]).fetchall()
            for row_id, message_id, event_type, routing_key, body, headers in rows:
                try:
                    self.publisher.publish(
                        body, exchange=self.exchange, routing_key=routing_key, headers=headers,
                        message_id=str(message_id),
                    )
                except UndeliverableMessage:
                    log.warning("event has no queue bound yet; kept in the outbox",
                                extra={"event_type": event_type, "message_id": str(message_id)})
                    conn.execute(
                        """UPDATE outbox SET attempts = attempts + 1, last_error = 'unroutable',
                               next_attempt_at = now() + least(power(2, attempts), %s) * interval '1 second'
                           WHERE id = %s""", [MAX_RETRY_SECONDS, row_id])
                    continue
                published_ids.append(row_id)
                metrics.MESSAGES_PUBLISHED.labels(self.service, event_type).inc()
            if published_ids:
                conn.execute("UPDATE outbox SET published_at = now() WHERE id = ANY(%s)", [published_ids])
            backlog = conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()[0]
        metrics.OUTBOX_BACKLOG.labels(self.service).set(backlog)
        return len(published_ids)


def outbox_lag(conn) -> dict:
    """How far the relay is behind: how many committed events wait, and since when (the operator's health page)."""
    unpublished, oldest, lag = conn.execute(
        """SELECT count(*), min(created_at), coalesce(extract(epoch FROM now() - min(created_at)), 0)
           FROM outbox WHERE published_at IS NULL""").fetchone()
    return {"unpublished": unpublished, "oldest_unpublished_at": oldest, "lag_seconds": max(float(lag), 0.0)}
