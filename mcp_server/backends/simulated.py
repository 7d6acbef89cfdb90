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

    def __init__(self, spec_factory) -> None:
        """`spec_factory` resolves the scenario spec; it runs, with the generation, on a
        background thread, so that importing the simulator and generating the incident overlap
        with the server's own start-up."""
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._spec_ready = threading.Event()
        self._error: BaseException | None = None
        self.spec_error: Exception | None = None
        self._sim = None
        self._spec = None
        self.source = "preset"
        threading.Thread(target=self._generate, args=(spec_factory,), daemon=True, name="simulate").start()

    @classmethod
    def from_args(cls, scenario: str | None, scenario_file: str | None, seed: int | None) -> SimulatedBackend:
        def resolve():
            from simulators import resolve_spec

            return resolve_spec(scenario, scenario_file, seed)

        return cls(resolve)

    def wait_for_spec(self) -> Exception | None:
        """Block until the spec is resolved; return the error that made it invalid, if any."""
        self._spec_ready.wait()
        return self.spec_error

    def _generate(self, spec_factory) -> None:
        try:
            try:
                self._spec = spec_factory()
            except Exception as exc:  # an invalid spec: reported by wait_for_spec
                self.spec_error = self._error = exc
                return
            finally:
                self._spec_ready.set()
            from simulators import simulate

            sim = simulate(self._spec)
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
        self._spec_ready.wait()
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
