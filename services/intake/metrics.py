"""intake's per-channel metrics, so that ops can alert when a channel goes silent or
starts refusing. Labels are configured endpoint ids and reason codes, never a phone
number, an email address or anything a message says; an endpoint id that is not
configured is counted as `unknown` (anyone can type a URL)."""
from contextlib import contextmanager

from prometheus_client import Counter, Gauge

from chassis.errors import ApiError

MESSAGES_RECEIVED = Counter(
    "cfm_intake_messages_received", "Messages recorded (feedback, repeats, status requests), provider retries excluded",
    ["channel", "country", "endpoint"])
MESSAGES_REJECTED = Counter(
    "cfm_intake_messages_rejected", "Messages or requests refused, by reason code", ["channel", "endpoint", "reason"])
LAST_RECEIVED = Gauge(
    "cfm_intake_last_received_timestamp_seconds", "When the endpoint last recorded a message (Unix time)",
    ["channel", "country", "endpoint"])
PROVIDER_RETRIES = Counter(
    "cfm_intake_provider_retries", "Messages a provider sent again, answered as the first time", ["endpoint"])
CALLS_RECORDED = Counter(
    "cfm_intake_calls_recorded", "Call detail records recorded", ["country", "endpoint"])


def count_received(channel: str, country: str, endpoint: str, now_timestamp: float) -> None:
    MESSAGES_RECEIVED.labels(channel, country, endpoint).inc()
    LAST_RECEIVED.labels(channel, country, endpoint).set(now_timestamp)


def count_rejected(channel: str, endpoint: str, reason: str) -> None:
    MESSAGES_REJECTED.labels(channel, endpoint, reason).inc()


@contextmanager
def counting_rejections(channel: str, endpoint: str):
    """Count every refusal raised inside, then let it become the HTTP error."""
    try:
        yield
    except ApiError as exc:
        count_rejected(channel, endpoint, exc.code)
        raise
