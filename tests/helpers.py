"""Small helpers the tests share: publish an event as a producer would, read metrics."""
from uuid import uuid4

from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange

from contracts.envelope import Envelope, EventPayload


def publish_event(amqp_uri: str, producer: str, payload: EventPayload, country: str = "GN",
                  envelope: Envelope | None = None) -> Envelope:
    """Publish an event on `producer`'s exchange exactly as the outbox relay does."""
    envelope = envelope or Envelope.wrap(payload, country=country, producer=producer, correlation_id=uuid4())
    exchange = get_event_exchange(producer, {})
    Publisher(amqp_uri, use_confirms=True, declare=[exchange]).publish(
        envelope.model_dump(mode="json"), exchange=exchange, routing_key=envelope.routing_key,
        message_id=str(envelope.message_id))
    return envelope


def metric_value(metrics_text: str, name: str, **labels) -> float:
    """The value of one sample in Prometheus text format (0 when absent)."""
    for line in metrics_text.splitlines():
        if not line.startswith(name + "{") and line.split(" ")[0] != name:
            continue
        sample, _, value = line.rpartition(" ")
        if all(f'{key}="{val}"' in sample for key, val in labels.items()):
            return float(value)
    return 0.0


class EventRecorder:
    """Listens to everything `producer` publishes, from the moment it is made (a queue of its own,
    bound to the producer's exchange), so a test can check which events went out and in which order."""

    def __init__(self, amqp_uri: str, producer: str):
        import json
        from kombu import Connection, Queue

        self._json = json
        self._connection = Connection(amqp_uri)
        self._channel = self._connection.channel()
        self._queue = Queue(f"test-recorder-{uuid4().hex[:10]}", exchange=get_event_exchange(producer, {}),
                            routing_key="#", exclusive=True)(self._channel)
        self._queue.declare()
        self.events: list[dict] = []

    def _drain(self) -> None:
        while (message := self._queue.get(no_ack=True)) is not None:
            data = message.payload
            self.events.append(self._json.loads(data) if isinstance(data, (str, bytes)) else data)

    def payloads(self, event_type: str) -> list[dict]:
        """Payloads of the events of this type received so far, in order."""
        self._drain()
        return [event["payload"] for event in self.events if event["type"] == event_type]

    def types(self) -> list[str]:
        self._drain()
        return [event["type"] for event in self.events]

    def close(self) -> None:
        self._connection.release()


def opened_narratives(conn, service: str, order: str = "received_at") -> list[str]:
    """The narratives intake or cases stored (sealed under each case's data key), opened with the
    service's development master key, in `order`."""
    from chassis.services import load_service
    from chassis.settings import load_settings

    envelope = load_settings(load_service(service)[1], service, environ={}).text_envelope
    table, subject = ("intake.feedback", "reference") if service == "intake" else ("cases.cases", "case_id::text")
    conn.execute(f"SET search_path TO {service}")
    rows = conn.execute(f"SELECT {subject}, narrative FROM {table} ORDER BY {order}").fetchall()
    opened = [envelope.open(envelope.existing_key(conn, subject_id), narrative) for subject_id, narrative in rows]
    conn.execute("RESET search_path")
    return opened
