"""A directory of the files layout (`aiops-mcp export`, the importers) as a backend.

The files are read once, at start-up, into an indexed store; only the layout's own file names
are opened, so whatever else a directory holds (an imported case's answer) is never served.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from telemetry.backend import BackendStatus
from telemetry.layout import LayoutError, load_directory
from telemetry.records import Alert, Deployment, LogRecord, MetricSeries, ServiceInfo, Span
from telemetry.store import TelemetryStore
from telemetry.timefmt import parse_iso


class FilesBackend:
    name = "files"

    def __init__(self, path: str | Path, now: float | None = None) -> None:
        self.path = Path(path)
        self.store: TelemetryStore = load_directory(self.path, now)
        # Opaque: a directory's name may be a scenario's or a fault's.
        self.incident_id = "files-" + hashlib.sha256(str(self.path.resolve()).encode()).hexdigest()[:10]

    def wait_for_spec(self) -> None:
        """Nothing to wait for: the files were loaded when the backend was made."""
        return None

    # -- TelemetryBackend --------------------------------------------------------------
    def services(self) -> Sequence[ServiceInfo]:
        return self.store.services()

    def time_range(self) -> tuple[float, float]:
        return self.store.time_range()

    def alerts(self, start: float, end: float) -> Sequence[Alert]:
        return self.store.alerts(start, end)

    def logs(self, start: float, end: float, service: str | None = None, **filters) -> Sequence[LogRecord]:
        return self.store.logs(start, end, service, **filters)

    def log_counts(self, start: float, end: float, step: float, service: str | None = None):
        return self.store.log_counts(start, end, step, service)

    def metric_names(self) -> Sequence[str]:
        return self.store.metric_names()

    def metric(self, service: str, name: str, start: float, end: float) -> MetricSeries | None:
        return self.store.metric(service, name, start, end)

    def metric_by_service(self, name: str, start: float, end: float) -> dict[str, MetricSeries]:
        return self.store.metric_by_service(name, start, end)

    def spans(self, start: float, end: float, service: str | None = None, **limits) -> Sequence[Span]:
        return self.store.spans(start, end, service, **limits)

    def trace(self, trace_id: str) -> Sequence[Span]:
        return self.store.trace(trace_id)

    def deployments(self, start: float, end: float) -> Sequence[Deployment]:
        return self.store.deployments(start, end)

    def status(self) -> BackendStatus:
        status = self.store.status()
        status.detail = f"telemetry files, incident {self.incident_id}"
        return status


def parse_now(text: str) -> float:
    """ISO-8601 (UTC unless it says otherwise) or epoch seconds."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return parse_iso(text)
    except ValueError:
        raise ValueError(f"--now {text!r}: not a time (use ISO-8601, e.g. 2022-08-22T04:30:00Z, "
                         "or epoch seconds)") from None


def backend_from_data(path: str, now: str | None = None) -> FilesBackend:
    """The backend for `--data DIR [--now TIME]`; raises ValueError with a one-line message."""
    directory = Path(path)
    if not directory.is_dir():
        raise ValueError(f"--data {path!r}: no such directory")
    at = parse_now(now) if now is not None else None
    try:
        return FilesBackend(directory, at)
    except LayoutError as exc:
        message = str(exc)
        raise ValueError(message if message.startswith(str(directory)) else f"{directory}/{message}") from None
    except OSError as exc:
        raise ValueError(f"--data {path!r}: cannot read: {exc.strerror or exc}") from None
