"""Seeded, fault-injecting simulation of an observed microservice system.

    from simulators import preset_spec, simulate
    sim = simulate(preset_spec("memory_leak"))
    sim.store        # a TelemetryBackend full of consistent telemetry
    sim.truth        # what was injected, kept apart from the telemetry
"""

from .presets import PRESET_NAMES, preset_description, preset_spec, resolve_spec
from .scenario import GroundTruth, Simulation, simulate
from .spec import (FAULT_TYPES, SEVERITIES, ScenarioSpec, SpecError, default_topology, load_spec, parse_spec,
                   read_spec_data)

__all__ = [
    "FAULT_TYPES",
    "PRESET_NAMES",
    "SEVERITIES",
    "GroundTruth",
    "ScenarioSpec",
    "Simulation",
    "SpecError",
    "default_topology",
    "load_spec",
    "parse_spec",
    "preset_description",
    "preset_spec",
    "read_spec_data",
    "resolve_spec",
    "simulate",
]
