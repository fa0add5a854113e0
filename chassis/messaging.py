"""Event consumers that never lose a message.

`@consume_event(source, EventModel)` is the entrypoint for handling events.
On top of nameko's event handler it:
- names the queue after the consumer and the contract, not the method
  (`cases.intake.feedback_received.v1`), so renaming a handler orphans nothing;
- validates the envelope and payload against the contract before any work;
- carries the correlation id, the causing message id and the trace context
  into the worker (the unit of work records the message id for idempotency);
- retries a failing handler with exponential backoff, then parks the message
  in the service's `parked_messages` table for an operator to list and replay,
  and only then acks it. If even parking fails, the message is requeued;
- shares the service's self-healing consumer (chassis.amqp): when the connection
  is lost, the broker puts unacked messages back, so a message whose connection
  is gone is neither retried nor parked here: its redelivery is handled instead.
"""
import json
import logging
import time
import traceback
from functools import partial

import eventlet
from kombu import Queue
from nameko.amqp.publish import Publisher
from nameko.events import EventHandler
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import Consumer
from nameko.standalone.events import get_event_exchange
from pydantic import ValidationError

from chassis import metrics
from chassis.amqp import QueueConsumer, message_is_live
from chassis.tracing import TRACE_HEADER
from contracts.envelope import Envelope, EventPayload, UnknownEventType

log = logging.getLogger(__name__)


def consumer_queue_name(consumer_service: str, source_service: str, event: type[EventPayload]) -> str:
    return f"{consumer_service}.{source_service}.{event.routing_key()}"


class EventConsumer(EventHandler):
    queue_consumer = QueueConsumer()

    def __init__(self, source_service: str, event: type[EventPayload], **kwargs):
        self.event_model = event
        super().__init__(source_service, event.routing_key(), requeue_on_error=False, **kwargs)

    def setup(self):
        self.queue_name = consumer_queue_name(self.container.service_name, self.source_service, self.event_model)
        self.queue = Queue(
            self.queue_name, exchange=get_event_exchange(self.source_service, self.container.config),
            routing_key=self.event_type, durable=True)
        self.retry = self.container.config["SETTINGS"].consumer
        Consumer.setup(self)  # nameko's EventHandler.setup would name the queue after the method

    def handle_message(self, body, message):
        self._attempt(body, message, attempt=1)

    def _attempt(self, body, message, attempt: int):
        if not message_is_live(message):
            return  # the broker has it back and delivers it again on the new connection
        try:
            envelope = Envelope.model_validate(body)
            if (envelope.type, envelope.version) != (self.event_model.event_type, self.event_model.event_version):
                raise UnknownEventType(f"{envelope.type} v{envelope.version} on a {self.event_type} queue")
            payload = envelope.open()
        except (ValidationError, UnknownEventType) as exc:
            # Retrying cannot fix a message that breaks its contract.
            self._park(message, attempt, type(exc).__name__, stack=None)
            return
        context_data = {
            "correlation_id": str(envelope.correlation_id),
            "causation_id": str(envelope.message_id),
            "consumer": self.queue_name,
            TRACE_HEADER: (message.headers or {}).get(TRACE_HEADER),
        }
        context_data = {key: value for key, value in context_data.items() if value is not None}
        handle_result = partial(self.handle_result, message, body, attempt, time.monotonic())
        try:
            self.container.spawn_worker(self, (payload, envelope), {}, context_data=context_data,
                                        handle_result=handle_result)
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def handle_result(self, message, body, attempt, started, worker_ctx, result=None, exc_info=None):
        service = self.container.service_name
        metrics.HANDLER_SECONDS.labels(service, self.event_type).observe(time.monotonic() - started)
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            outcome = "duplicate" if getattr(worker_ctx, "duplicate_message", False) else "processed"
            metrics.MESSAGES_CONSUMED.labels(service, self.event_type, outcome).inc()
            return result, exc_info

        metrics.MESSAGES_FAILED.labels(service, self.event_type).inc()
        error_type = exc_info[0].__name__
        log.warning("event handler failed", extra={
            "event_type": self.event_type, "attempt": attempt, "reason": error_type,
            "message_id": worker_ctx.data.get("causation_id")})
        if not message_is_live(message):
            log.info("connection lost while handling; the broker redelivers the message",
                     extra={"event_type": self.event_type, "message_id": worker_ctx.data.get("causation_id")})
        elif attempt < self.retry.attempts:
            delay = self.retry.first_backoff_seconds * 2 ** (attempt - 1)
            eventlet.spawn_after(delay, self._attempt, body, message, attempt + 1)
        else:
            self._park(message, attempt, error_type, stack="".join(traceback.format_tb(exc_info[2])))
        return result, exc_info

    def _park(self, message, attempts: int, error_type: str, stack: str | None):
        service = self.container.service_name
        body = message.body if isinstance(message.body, bytes) else str(message.body).encode()
        try:
            with self._database().pool.connection() as conn:
                conn.execute(
                    """INSERT INTO parked_messages
                       (queue, message_id, event_type, body, content_type, headers, attempts, error_type, error_stack)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                    [self.queue_name, message.properties.get("message_id"), self.event_type, body,
                     message.content_type, json.dumps(message.headers or {}, default=str), attempts,
                     error_type, stack])
        except Exception as exc:
            log.error("could not park a message; requeueing it", extra={"reason": type(exc).__name__})
            eventlet.sleep(1)  # do not spin on a database that is down
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)
        metrics.MESSAGES_PARKED.labels(service, self.event_type).inc()
        metrics.PARKED_NOW.labels(service).inc()
        log.error("message parked after its retries", extra={
            "event_type": self.event_type, "reason": error_type, "attempt": attempts})

    def _database(self):
        from chassis.db import Database
        return next(dep for dep in self.container.dependencies if isinstance(dep, Database))


consume_event = EventConsumer.decorator


def parked_country(body: bytes) -> str | None:
    """The country of a parked message's envelope; None when the body is not a readable envelope."""
    try:
        country = json.loads(bytes(body)).get("country")
    except (ValueError, AttributeError):
        return None
    return country if isinstance(country, str) else None


def list_parked(conn, countries: frozenset[str] | None = None) -> list[dict]:
    """Parked messages, of the given countries only (`None`: every message, for an admin). A message
    whose country cannot be read is in no country's scope."""
    rows = conn.execute(
        """SELECT id, queue, message_id, event_type, attempts, error_type, parked_at, body
           FROM parked_messages ORDER BY id""").fetchall()
    keys = ("id", "queue", "message_id", "event_type", "attempts", "error_type", "parked_at")
    return [dict(zip(keys, row[:-1])) for row in rows
            if countries is None or parked_country(row[-1]) in countries]


def replay_parked(conn, amqp_uri: str, parked_id: int, countries: frozenset[str] | None = None) -> bool:
    """Put a parked message back on its queue, as it was; False when there is no such message (or it is
    of a country outside `countries`). The row is deleted in the caller's transaction, after the broker
    confirmed the message."""
    row = conn.execute(
        "SELECT queue, message_id, body, content_type, headers FROM parked_messages WHERE id = %s FOR UPDATE",
        [parked_id]).fetchone()
    if row is None or (countries is not None and parked_country(row[2]) not in countries):
        return False
    queue, message_id, body, content_type, headers = row
    # The default exchange routes by queue name: only the consumer that parked it sees it again.
    Publisher(amqp_uri, use_confirms=True, mandatory=True).publish(
        bytes(body), routing_key=queue, headers=headers, message_id=message_id,
        content_type=content_type or "application/json", content_encoding="utf-8", serializer=None)
    conn.execute("DELETE FROM parked_messages WHERE id = %s", [parked_id])
    return True
