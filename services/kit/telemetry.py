"""Prometheus metrics and OpenTelemetry tracing, with trace context carried in NATS headers."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import Counter, Gauge, Histogram

MESSAGES_HANDLED = Counter(
    "mlops_messages_handled_total",
    "Messages a consumer finished, by outcome (ack, rejected, retry, dead_letter, duplicate).",
    ["service", "type", "outcome"],
)
HANDLER_SECONDS = Histogram(
    "mlops_handler_seconds",
    "Time spent handling one message.",
    ["service", "type"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX_PUBLISHED = Counter("mlops_outbox_published_total", "Events relayed from the outbox.", ["service"])
OUTBOX_DROPPED = Counter(
    "mlops_outbox_dropped_total",
    "Events dropped because they can never be published (too large).",
    ["service"],
)
OUTBOX_PENDING = Gauge("mlops_outbox_pending", "Events in the last relay batch.", ["service"])
QUERIES_ANSWERED = Counter(
    "mlops_queries_answered_total", "Queries answered, by outcome.", ["service", "type", "outcome"]
)


def configure_tracing(service: str, instance: str, otlp_endpoint: str | None) -> None:
    """Install the tracer provider; export over OTLP/HTTP when an endpoint is configured."""
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return  # several services in one process (tests) share the first provider
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"mlops-{service}", "service.instance.id": instance})
    )
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
    trace.set_tracer_provider(provider)


def tracer() -> trace.Tracer:
    return trace.get_tracer("mlops")


def inject(headers: dict[str, str]) -> dict[str, str]:
    """Add the current trace context (``traceparent``) to ``headers``."""
    propagate.inject(headers)
    return headers


def extract(headers: Mapping[str, str] | None) -> Context:
    """The trace context carried by a message's headers."""
    return propagate.extract(dict(headers or {}))
