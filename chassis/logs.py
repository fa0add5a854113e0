"""Structured JSON logs with the correlation and trace ids of the work at hand.

Never pass personal data (names, phones, narratives) to a logger: log ids,
event types and counts. Exceptions are logged by type and stack only, since
their messages may quote the input.
"""
import contextvars
import json
import logging
import sys
import traceback
from datetime import UTC, datetime

from opentelemetry import trace

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            entry["trace_id"] = format(span_context.trace_id, "032x")
        if correlation_id.get():
            entry["correlation_id"] = correlation_id.get()
        for key in ("event_type", "message_id", "route", "status", "reason", "attempt"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            exc_type, _, tb = record.exc_info
            entry["error_type"] = exc_type.__name__
            entry["stack"] = "".join(traceback.format_tb(tb))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Not only noise: nameko's web server writes its access log (with query
    # strings such as a search text) at INFO, so nameko stays at WARNING.
    for noisy in ("nameko", "kombu", "amqp", "elastic_transport", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # nameko logs a failed worker with str(exception), which may quote personal
    # data; the chassis entrypoints log failures themselves, by type only.
    logging.getLogger("nameko.containers").setLevel(logging.CRITICAL)
