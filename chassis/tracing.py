"""OpenTelemetry tracing: one trace from an HTTP request through every event it causes.

The W3C trace context travels in the `traceparent` header, on HTTP requests
and on AMQP messages alike. Entrypoints copy the incoming header into the
worker's context data; the `Tracing` provider opens one span per worker from
it and writes the new span's context back, so RPC calls and events emitted by
the worker continue the same trace. Span attributes name things (routes,
event types, ids), never what a person wrote.
"""
import json
import threading
from pathlib import Path

from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.web.handlers import HttpRequestHandler
from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind, Status, StatusCode

from chassis import logs

TRACE_HEADER = "traceparent"


class JsonLinesSpanExporter(SpanExporter):
    """Writes finished spans as JSON lines: a local stand-in for a collector."""

    def __init__(self, path: Path):
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def export(self, spans) -> SpanExportResult:
        lines = []
        for span in spans:
            parent = span.parent
            lines.append(json.dumps({
                "trace_id": format(span.context.trace_id, "032x"),
                "span_id": format(span.context.span_id, "016x"),
                "parent_span_id": format(parent.span_id, "016x") if parent else None,
                "name": span.name,
                "kind": span.kind.name,
                "service": span.resource.attributes.get("service.name"),
                "start": span.start_time,
                "end": span.end_time,
                "status": span.status.status_code.name,
                "attributes": dict(span.attributes or {}),
            }))
        with self._lock, self.path.open("a") as out:
            out.write("".join(line + "\n" for line in lines))
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


def configure_tracing(settings) -> None:
    """Install the process-wide tracer provider (once, at start-up)."""
    tracing = settings.tracing
    provider = TracerProvider(resource=Resource.create({"service.name": settings.service}))
    if tracing.exporter == "file":
        exporter = JsonLinesSpanExporter(Path(tracing.file_dir) / f"{settings.service}.jsonl")
        provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=200))
    elif tracing.exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=tracing.otlp_endpoint)))
    trace.set_tracer_provider(provider)


def shutdown_tracing() -> None:
    provider = trace.get_tracer_provider()
    if hasattr(provider, "shutdown"):
        provider.shutdown()


def current_trace_headers() -> dict[str, str]:
    """The W3C headers of the active span, to put on an outgoing message."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def _span_kind(entrypoint) -> SpanKind:
    if isinstance(entrypoint, HttpRequestHandler):
        return SpanKind.SERVER
    if isinstance(entrypoint, EventHandler):
        return SpanKind.CONSUMER
    return SpanKind.SERVER


class Tracing(DependencyProvider):
    """Opens a span around every worker, continuing the caller's trace."""

    def setup(self):
        self._open: dict = {}
        self.tracer = trace.get_tracer("cfm.chassis")

    def worker_setup(self, worker_ctx):
        incoming = worker_ctx.data.get(TRACE_HEADER)
        parent = propagate.extract({TRACE_HEADER: incoming}) if incoming else None
        entrypoint = worker_ctx.entrypoint
        span = self.tracer.start_span(
            f"{self.container.service_name}.{entrypoint.method_name}",
            context=parent, kind=_span_kind(entrypoint),
            attributes={"cfm.service": self.container.service_name, "cfm.entrypoint": entrypoint.method_name},
        )
        token = context.attach(trace.set_span_in_context(span))
        self._open[worker_ctx] = (span, token)
        worker_ctx.data.update(current_trace_headers())
        logs.correlation_id.set(worker_ctx.data.get("correlation_id"))

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        if exc_info is not None and worker_ctx in self._open:
            span, _ = self._open[worker_ctx]
            # The type only: an exception's message may quote personal data.
            span.set_status(Status(StatusCode.ERROR, exc_info[0].__name__))

    def worker_teardown(self, worker_ctx):
        span, token = self._open.pop(worker_ctx, (None, None))
        if span is not None:
            span.end()
            context.detach(token)
