"""The simulator as a backend: generates a scenario (in the background at start-up) and can
switch to another one without restarting the server."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator, Sequence

from telemetry.backend import BackendStatus
from telemetry.records import Alert, Deployment, LogRecord, MetricSeries, ServiceInfo, Span

from . import generation


class SimulatedBackend:
    """Delegates to the loaded simulation's store. The incident is identified by an opaque id:
    the scenario's name and description are labels for humans and never reach telemetry."""

    name = "simulator"

    def __init__(self, spec_factory: Callable | None = None, *, steps: Iterator | None = None) -> None:
        """`spec_factory` resolves the scenario spec; it runs, with the generation, on a
        background thread, so that both overlap with the server's own start-up. `steps` is
        the alternative from `generation`: the incident id, then the store."""
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._spec_ready = threading.Event()
        self._error: BaseException | None = None
        self.spec_error: Exception | None = None
        self._store = None
        self._incident_id = None
        self.source = "preset"
        steps = steps if steps is not None else generation.in_process(spec_factory)
        self._loader = threading.Thread(target=self._generate, args=(steps,), daemon=True, name="simulate")
        self._loader.start()

    @classmethod
    def from_args(cls, scenario: str | None, scenario_file: str | None, seed: int | None,
                  *, fork: bool = False) -> SimulatedBackend:
        """`fork`: generate in a child process (only where `generation.can_fork`); call it before
        any thread starts."""
        if fork and generation.can_fork():
            return cls(steps=generation.in_child(scenario, scenario_file, seed))
        return cls(functools.partial(generation.resolve, scenario, scenario_file, seed))

    def wait_for_spec(self) -> Exception | None:
        """Block until the spec is resolved; return the error that made it invalid, if any."""
        self._spec_ready.wait()
        return self.spec_error

    def _generate(self, steps: Iterator) -> None:
        # A scenario loaded meanwhile (`load`) wins over the one this start-up was generating.
        try:
            try:
                incident = next(steps)
                with self._lock:
                    if self._incident_id is None:
                        self._incident_id = incident
            except Exception as exc:  # an invalid spec: reported by wait_for_spec
                self.spec_error = self._error = exc
                return
            finally:
                self._spec_ready.set()
            store = next(steps)
        except BaseException as exc:  # reported on first use
            with self._lock:
                if self._store is None:
                    self._error = exc
        else:
            with self._lock:
                if self._store is None:
                    self._store = store
        finally:
            self._ready.set()

    @property
    def store(self):
        self._ready.wait()
        if self._store is None:
            raise RuntimeError(f"scenario generation failed: {self._error}")
        return self._store

    def load(self, spec, source: str, head_start=None) -> None:
        """`head_start`: the analysis worker's ticket for `spec`; its metrics and alerts are
        used if they have arrived by the time the rest is generated."""
        from simulators import simulate

        signals = (lambda: head_start.wait("signals", timeout=0)) if head_start is not None else None
        store = simulate(spec, signals).store
        with self._lock:
            self._store, self._incident_id, self.source = store, generation.incident_id(spec), source
            self._error = None
        self._spec_ready.set()
        self._ready.set()

    @property
    def incident_id(self) -> str:
        self._spec_ready.wait()
        return self._incident_id

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
        try:
            status = self.store.status()
        except RuntimeError as exc:
            return BackendStatus(self.name, False, None, None, {}, str(exc))
        status.detail = f"simulated incident {self.incident_id}"
        return status
