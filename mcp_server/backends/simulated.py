"""The simulator as a backend: serves one generated incident and can switch to another
without restarting the server."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence

import simulators
from telemetry.backend import BackendError
from telemetry.store import TelemetryStore

from . import in_background


class Incident:
    """One scenario: checked when made, generated once (`generate`, on any thread)."""

    def __init__(self, spec: simulators.ScenarioSpec, source: str) -> None:
        self.spec = spec
        self.source = source
        # An opaque id: the scenario's name and description never reach a client.
        self.id = "inc-" + hashlib.sha256(spec.model_dump_json().encode()).hexdigest()[:10]
        self._done = threading.Event()
        self._store: TelemetryStore | None = None
        self._error: str | None = None

    def generate(self, prepare: Callable[[TelemetryStore], None] | None = None) -> None:
        """Generate the telemetry and serve it, then `prepare` it (say, analyse it): a call that
        needs that analysis waits for it, the others answer at once."""
        if self._done.is_set():
            return
        try:
            self._store = simulators.simulate(self.spec).store
        except Exception as exc:
            self._error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            self._done.set()
        if prepare is not None:
            prepare(self._store)

    @property
    def store(self) -> TelemetryStore:
        """Waits for the generation (started by the caller or elsewhere)."""
        self._done.wait()
        if self._store is None:
            raise BackendError(f"scenario generation failed: {self._error}")
        return self._store


class SimulatedBackend:
    """Serves the loaded incident's store (`store`), which is the `TelemetryBackend`."""

    name = "simulator"

    def __init__(self, incident: Incident) -> None:
        self._incident = incident

    @classmethod
    def from_args(cls, scenario: str | None, scenario_file: str | None, seed: int | None) -> SimulatedBackend:
        """The scenario, checked now (`simulators.SpecError` if invalid); see `start`."""
        return cls(Incident(simulators.resolve_spec(scenario, scenario_file, seed),
                            "spec" if scenario_file else "preset"))

    def start(self, prepare: Callable[[TelemetryStore], None] | None = None) -> None:
        """Generate the incident in the background: the server answers the host's first
        requests meanwhile, and calls that need telemetry wait for it."""
        in_background(self._incident.generate, prepare)

    # -- other incidents, for sessions that load one (tools.scenarios.ScenarioSource) ----
    def presets(self) -> Sequence[str]:
        return simulators.PRESET_NAMES

    def fault_types(self) -> Sequence[str]:
        return simulators.FAULT_TYPES

    def prepare(self, preset: str | None, spec: dict | None, seed: int | None) -> Incident:
        if (preset is None) == (spec is None):
            raise ValueError("give exactly one of preset or spec")
        try:
            if preset is not None:
                return Incident(simulators.preset_spec(preset, seed=seed), "preset")
            parsed = simulators.parse_spec(spec, source="spec")
            return Incident(parsed if seed is None else parsed.model_copy(update={"seed": seed}), "spec")
        except simulators.SpecError as exc:
            raise ValueError(str(exc)) from None

    @property
    def incident_id(self) -> str:
        return self._incident.id

    @property
    def store(self) -> TelemetryStore:
        """The incident's telemetry (waits for its generation)."""
        return self._incident.store
