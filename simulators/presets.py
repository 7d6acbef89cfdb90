"""The five incidents of the original system, under their original names, plus a quiet baseline."""

from __future__ import annotations

from .spec import ScenarioSpec, SpecError, parse_spec

_PRESETS: dict[str, dict] = {
    "memory_leak": {
        "description": "Gradual memory exhaustion in order-service leading to OOM kills and cascading failures",
        "faults": [{"type": "memory_leak", "service": "order-service", "start_minute": 12, "severity": "high"}],
    },
    "deployment_regression": {
        "description": "A bad deployment of user-service causing exceptions and latency spikes",
        "faults": [{"type": "bad_deployment", "service": "user-service", "start_minute": 30, "severity": "high"}],
    },
    "database_exhaustion": {
        "description": "Connection pool exhaustion on database-proxy cascading to dependent services",
        "faults": [{"type": "connection_pool_exhaustion", "service": "database-proxy", "start_minute": 28,
                    "severity": "high"}],
    },
    "network_partition": {
        "description": "A network partition isolating inventory-service from the rest of the cluster",
        "faults": [{"type": "network_partition", "service": "inventory-service", "start_minute": 35,
                    "severity": "high"}],
    },
    "cpu_spike": {
        "description": "CPU saturation on payment-service causing request queue build-up and timeouts",
        "faults": [{"type": "cpu_saturation", "service": "payment-service", "start_minute": 25,
                    "severity": "high"}],
    },
    "no_incident": {
        "description": "A normal hour: background errors and a routine deployment, nothing broken",
        "faults": [],
    },
}

PRESET_NAMES: tuple[str, ...] = tuple(_PRESETS)


def preset_description(name: str) -> str:
    return _PRESETS[name]["description"]


def preset_spec(name: str, *, seed: int | None = None, end_time=None) -> ScenarioSpec:
    if name not in _PRESETS:
        raise SpecError(f"unknown scenario {name!r}; presets: {', '.join(PRESET_NAMES)}")
    data = {"name": name, "seed": 42, "duration_minutes": 60,
            "noise": {"red_herring_deployments": 1, "background_error_rate": 0.01}, **_PRESETS[name]}
    if seed is not None:
        data["seed"] = seed
    if end_time is not None:
        data["end_time"] = end_time
    return parse_spec(data, source=f"preset {name}")


def resolve_spec(scenario: str | None = None, scenario_file: str | None = None,
                 seed: int | None = None) -> ScenarioSpec:
    """A preset by name or a spec file, with an optional seed override."""
    if scenario_file:
        from .spec import load_spec

        spec = load_spec(scenario_file)
        return spec.model_copy(update={"seed": seed}) if seed is not None else spec
    return preset_spec(scenario or "deployment_regression", seed=seed)
