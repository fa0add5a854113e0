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
