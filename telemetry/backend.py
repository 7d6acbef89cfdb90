"""The contract every telemetry backend meets (simulator, files, Prometheus, Loki, ...).

Windows are half-open `[start, end)` in epoch seconds. Sequences come back oldest first;
tools decide what is "newest" or "most relevant" and how much to return.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from .records import Alert, Deployment, LogRecord, MetricSeries, ServiceInfo, Span


@dataclass(slots=True)
class BackendStatus:
    backend: str
    reachable: bool
    start: float | None
    end: float | None
    counts: dict[str, int] = field(default_factory=dict)
    detail: str = ""


class BackendError(Exception):
    """A backend could not answer (unreachable, bad response). The message is user-facing."""


@runtime_checkable
class TelemetryBackend(Protocol):
    """What the tools and the analysis ask of telemetry. Every query has a time window; the
    ones that could be big also take a limit, so that a backend in front of a large
    installation answers with a bounded amount of data and aggregates where it can."""

    name: str

    def services(self) -> Sequence[ServiceInfo]: ...

    def time_range(self) -> tuple[float, float]:
        """(first, last) instant covered by the data; `last` is the backend's notion of now."""
        ...

    def alerts(self, start: float, end: float) -> Sequence[Alert]:
        """Alerts that were firing at any moment of the window."""
        ...

    def logs(self, start: float, end: float, service: str | None = None, *,
             levels: Collection[str] | None = None, contains: str | None = None, trace_id: str | None = None,
             limit: int | None = None) -> Sequence[LogRecord]:
        """Matching lines, oldest first; with `limit`, only the newest `limit` of them.
        `contains` is a case-insensitive substring."""
        ...

    def log_counts(self, start: float, end: float, step: float,
                   service: str | None = None) -> dict[tuple[str, str], list[int]]:
        """Lines per (service, level) in consecutive buckets of `step` seconds from `start`."""
        ...

    def metric_names(self) -> Sequence[str]: ...

    def metric(self, service: str, name: str, start: float, end: float) -> MetricSeries | None: ...

    def metrics_by_service(self, names: Sequence[str], start: float, end: float
                           ) -> dict[str, dict[str, MetricSeries]]:
        """Each metric of `names` for every service that has it, by metric then service (on a
        real backend, one query per metric, asked side by side)."""
        ...

    def spans(self, start: float, end: float, service: str | None = None, *,
              limit_traces: int | None = None) -> Sequence[Span]:
        """Spans of the traces that started in the window (whole traces, touching `service` if
        given), oldest first; with `limit_traces`, only the newest that many traces."""
        ...

    def trace(self, trace_id: str) -> Sequence[Span]: ...

    def deployments(self, start: float, end: float) -> Sequence[Deployment]: ...

    def reference(self, start: float, end: float) -> tuple[TelemetryBackend, float, float] | None:
        """Telemetry of the same system working normally, to compare the window with: a backend
        and its window (never later than `end`), or None when there is none."""
        ...

    def status(self) -> BackendStatus: ...
