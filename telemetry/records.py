"""Plain record types for observability data.

Slotted dataclasses rather than pydantic models: a large scenario holds about a million log
lines, and these are created and scanned in bulk. Tool *outputs* are pydantic models built
from a bounded selection of these records.

Times are Unix epoch seconds (float) throughout; rendering to ISO-8601 happens at the edges.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Literal

ServiceKind = Literal["gateway", "service", "database", "cache", "queue"]
SERVICE_KINDS: tuple[str, ...] = ("gateway", "service", "database", "cache", "queue")
# Kinds that keep data on their replicas: never scaled down by a remediation.
STATEFUL_KINDS: tuple[str, ...] = ("database", "cache", "queue")

LogLevel = Literal["DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
LOG_LEVELS: tuple[str, ...] = ("DEBUG", "INFO", "WARN", "ERROR", "FATAL")
LEVEL_RANK: dict[str, int] = {name: rank for rank, name in enumerate(LOG_LEVELS)}
ERROR_LEVELS = frozenset({"ERROR", "FATAL"})  # the levels that count as errors


@dataclass(slots=True, frozen=True)
class ServiceInfo:
    name: str
    kind: str
    depends_on: tuple[str, ...]
    replicas: int


@dataclass(slots=True)
class LogRecord:
    time: float
    service: str
    level: str
    message: str
    instance: str
    logger: str
    trace_id: str | None = None
    span_id: str | None = None
    stack: str | None = None


@dataclass(slots=True)
class MetricSeries:
    """A regularly sampled series; NaN marks a sample that was never scraped."""

    service: str
    name: str
    unit: str
    start: float
    step: float
    values: array  # array('d')

    def time_at(self, index: int) -> float:
        return self.start + index * self.step


@dataclass(slots=True)
class Span:
    trace_id: str
    span_id: str
    parent_id: str | None
    service: str
    operation: str
    # "server": handling a request; "client": a call to another service (unanswered when no
    # span of the callee is its child); "internal": other work, or a kind the source left unset.
    kind: str
    start: float
    duration_ms: float
    error: bool
    status_message: str = ""
    peer_service: str | None = None
    attributes: dict[str, str | int | float] = field(default_factory=dict)


@dataclass(slots=True)
class Alert:
    """An alert as an alerting system reports it. `metric`, `op` and `threshold` say what the
    rule compared, where the source tells (a Prometheus rule's expression, a simulator rule);
    the analysis reads them, never the human-readable text."""

    name: str
    service: str
    severity: str  # "critical" | "warning" | "info"
    starts_at: float
    ends_at: float | None  # None while firing
    summary: str
    description: str
    value: float
    labels: dict[str, str] = field(default_factory=dict)
    metric: str | None = None
    op: str | None = None  # ">", ">=", "<", "<=", "increase>="
    threshold: float | None = None

    @property
    def firing(self) -> bool:
        return self.ends_at is None


@dataclass(slots=True)
class Deployment:
    id: str
    service: str
    time: float
    change_type: str  # "deployment" | "config" | "rollback" | "restart" | "scale"
    version: str
    previous_version: str | None
    author: str
    notes: str
    status: str = "succeeded"
    config_key: str | None = None
    config_old: str | None = None
    config_new: str | None = None
