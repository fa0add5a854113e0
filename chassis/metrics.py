"""Prometheus metrics every service exposes on GET /metrics.

Labels carry names of things (service, event type, route template, reason
code), never values a person typed.
"""
from prometheus_client import Counter, Gauge, Histogram

MESSAGES_CONSUMED = Counter(
    "cfm_messages_consumed", "Events handled to the end", ["service", "event_type", "outcome"])
MESSAGES_FAILED = Counter(
    "cfm_messages_failed", "Failed attempts at handling an event", ["service", "event_type"])
MESSAGES_PARKED = Counter(
    "cfm_messages_parked", "Events parked for an operator after their retries", ["service", "event_type"])
PARKED_NOW = Gauge(
    "cfm_parked_messages", "Events parked and not yet replayed", ["service"])
MESSAGES_PUBLISHED = Counter(
    "cfm_messages_published", "Events published by the outbox relay and confirmed by the broker",
    ["service", "event_type"])
OUTBOX_BACKLOG = Gauge(
    "cfm_outbox_backlog", "Events committed but not yet published", ["service"])
HANDLER_SECONDS = Histogram(
    "cfm_handler_duration_seconds", "Time to handle one event", ["service", "event_type"])
HTTP_REQUESTS = Counter(
    "cfm_http_requests", "HTTP requests answered", ["service", "method", "route", "status"])
HTTP_SECONDS = Histogram(
    "cfm_http_request_duration_seconds", "Time to answer an HTTP request", ["service", "route"])
REQUESTS_REJECTED = Counter(
    "cfm_requests_rejected", "HTTP requests refused with a 4xx, by reason code", ["service", "route", "reason"])
RETENTION_ROWS = Counter(
    "cfm_retention_rows", "Rows deleted or anonymised because their retention period ended (chassis/retention.py)",
    ["service", "kind"])
RETENTION_LAST_RUN = Gauge(
    "cfm_retention_last_run_timestamp_seconds", "When a retention run of this kind last finished",
    ["service", "kind"])
