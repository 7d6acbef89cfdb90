"""The contract every telemetry backend meets (simulator, files, Prometheus, Loki, ...).

Windows are half-open `[start, end)` in epoch seconds. Sequences come back oldest first;
tools decide what is "newest" or "most relevant" and how much to return.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    name: str

    def services(self) -> Sequence[ServiceInfo]: ...

    def time_range(self) -> tuple[float, float]:
        """(first, last) instant covered by the data; `last` is the backend's notion of now."""
        ...

    def alerts(self, start: float, end: float) -> Sequence[Alert]:
        """Alerts that were firing at any moment of the window."""
        ...

    def logs(self, start: float, end: float, service: str | None = None) -> Sequence[LogRecord]: ...

    def metric_names(self) -> Sequence[str]: ...

    def metric(self, service: str, name: str, start: float, end: float) -> MetricSeries | None: ...

    def spans(self, start: float, end: float, service: str | None = None) -> Sequence[Span]: ...

    def trace(self, trace_id: str) -> Sequence[Span]: ...

    def deployments(self, start: float, end: float) -> Sequence[Deployment]: ...

    def status(self) -> BackendStatus: ...
