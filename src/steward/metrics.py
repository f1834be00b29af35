"""Prometheus metrics. Counters are per process; backlog gauges are read from the database."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_RECEIVED = Counter(
    "steward_events_received_total", "Webhook events accepted and stored", ["source", "type"]
)
EVENTS_DUPLICATE = Counter(
    "steward_events_duplicate_total",
    "Webhook deliveries of an event already stored",
    ["source", "type"],
)
EVENTS_REJECTED = Counter(
    "steward_events_rejected_total", "Webhook requests refused (nothing stored)", ["source", "code"]
)
EVENTS_PROCESSED = Counter(
    "steward_events_processed_total",
    "Event processing outcomes (processed, ignored, retry, failed, dead)",
    ["source", "type", "outcome"],
)
PROCESSING_LATENCY = Histogram(
    "steward_event_processing_latency_seconds",
    "Time from receipt to applied",
    ["source"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
BACKLOG = Gauge("steward_events_backlog", "Events by open or stuck status", ["status"])
OLDEST_OPEN_AGE = Gauge(
    "steward_events_oldest_open_age_seconds", "Age of the oldest event not yet applied"
)
