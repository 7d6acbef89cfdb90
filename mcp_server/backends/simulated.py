"""The simulator as a backend: generates a scenario (in the background at start-up) and can
switch to another one without restarting the server."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence

from telemetry.backend import BackendStatus
from telemetry.records import Alert, Deployment, LogRecord, MetricSeries, ServiceInfo, Span


class SimulatedBackend:
    """Delegates to the loaded simulation's store. The incident is identified by an opaque id:
    the scenario's name and description are labels for humans and never reach telemetry."""

    name = "simulator"

    def __init__(self, spec) -> None:
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._sim = None
        self._spec = spec
        self.source = "preset"
        threading.Thread(target=self._generate, args=(spec,), daemon=True, name="simulate").start()

    def _generate(self, spec) -> None:
        from simulators import simulate

        try:
            sim = simulate(spec)
        except BaseException as exc:  # reported on first use
            self._error = exc
        else:
            with self._lock:
                self._sim = sim
        finally:
            self._ready.set()

    @property
    def store(self):
        self._ready.wait()
        if self._sim is None:
            raise RuntimeError(f"scenario generation failed: {self._error}")
        return self._sim.store

    def load(self, spec, source: str) -> None:
        from simulators import simulate

        sim = simulate(spec)
        with self._lock:
            self._sim, self._spec, self.source = sim, spec, source
            self._error = None
        self._ready.set()

    @property
    def incident_id(self) -> str:
        spec = self._spec
        digest = hashlib.sha256(spec.model_dump_json().encode()).hexdigest()[:10]
        return f"inc-{digest}"

    # -- TelemetryBackend --------------------------------------------------------------
    def services(self) -> Sequence[ServiceInfo]:
        return self.store.services()

    def time_range(self) -> tuple[float, float]:
        return self.store.time_range()

    def alerts(self, start: float, end: float) -> Sequence[Alert]:
        return self.store.alerts(start, end)

    def logs(self, start: float, end: float, service: str | None = None) -> Sequence[LogRecord]:
        return self.store.logs(start, end, service)

    def metric_names(self) -> Sequence[str]:
        return self.store.metric_names()

    def metric(self, service: str, name: str, start: float, end: float) -> MetricSeries | None:
        return self.store.metric(service, name, start, end)

    def spans(self, start: float, end: float, service: str | None = None) -> Sequence[Span]:
        return self.store.spans(start, end, service)

    def trace(self, trace_id: str) -> Sequence[Span]:
        return self.store.trace(trace_id)

    def deployments(self, start: float, end: float) -> Sequence[Deployment]:
        return self.store.deployments(start, end)

    def status(self) -> BackendStatus:
        try:
            status = self.store.status()
        except RuntimeError as exc:
            return BackendStatus(self.name, False, None, None, {}, str(exc))
        status.detail = f"simulated incident {self.incident_id}"
        return status
