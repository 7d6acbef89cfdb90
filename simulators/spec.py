"""The scenario spec (DESIGN.md §3.2): what to simulate, validated with errors that name the field.

A spec is free to carry a name and a description for humans; neither ever reaches telemetry.
Specs are untrusted input: a file is read only up to a size, nesting is limited, numbers must
be finite, times sane, and the telemetry a spec would generate must fit in memory
(`volume.too_large`); every refusal is one line.
"""

import json
import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from knowledge import FAULT_TYPES, FAULTS
from telemetry.records import SERVICE_KINDS

from .volume import too_large

SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
# How a fault that ends inside the window ends: one of the remediation kinds that fit it, or
# "self" where it can heal by itself.
SELF_RECOVERY = "self"
EARLIEST_START_MINUTE = -1440  # a fault may have begun up to a day before the window

FaultType = Literal[*FAULT_TYPES]
ServiceKindName = Literal["gateway", "service", "database", "cache", "queue"]
Severity = Literal["low", "medium", "high", "critical"]

SERVICE_NAME_PATTERN = r"^[a-z][a-z0-9-]{0,62}$"
MAX_DURATION_MINUTES = 7 * 24 * 60
MAX_SPEC_BYTES = 1024 * 1024  # a 2,000-service topology takes about 0.2 MB
MAX_DEPTH = 16  # a spec nests 6 deep (faults, topology.services[i].depends_on[j])
EARLIEST_END = datetime(2000, 1, 1, tzinfo=UTC)


class SpecError(ValueError):
    """A scenario spec is invalid; the message names the field and what would be valid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ServiceSpec(_Strict):
    name: str = Field(pattern=SERVICE_NAME_PATTERN)
    kind: ServiceKindName = "service"
    depends_on: tuple[str, ...] = ()
    replicas: int = Field(default=2, ge=1, le=200)


class TopologySpec(_Strict):
    services: tuple[ServiceSpec, ...] = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _check_graph(self) -> Self:
        names = [s.name for s in self.services]
        seen: set[str] = set()
        for name in names:
            if name in seen:
                raise ValueError(f"service {name!r} is defined twice")
            seen.add(name)
        for s in self.services:
            for dep in s.depends_on:
                if dep == s.name:
                    raise ValueError(f"service {s.name!r} depends on itself")
                if dep not in seen:
                    raise ValueError(
                        f"service {s.name!r} depends on unknown service {dep!r}; "
                        f"known services: {', '.join(names)}"
                    )
        cycle = _find_cycle({s.name: s.depends_on for s in self.services})
        if cycle:
            raise ValueError("dependency cycle: " + " -> ".join(cycle))
        return self


@lru_cache(maxsize=1)
def default_topology() -> TopologySpec:
    """The original system's eight services and their dependencies."""
    return TopologySpec(
        services=(
            ServiceSpec(name="api-gateway", kind="gateway", replicas=3,
                        depends_on=("user-service", "order-service", "inventory-service")),
            ServiceSpec(name="user-service", replicas=3, depends_on=("database-proxy", "cache-service")),
            ServiceSpec(name="order-service", replicas=3,
                        depends_on=("payment-service", "inventory-service", "notification-service",
                                    "database-proxy")),
            ServiceSpec(name="payment-service", replicas=2, depends_on=("database-proxy",)),
            ServiceSpec(name="inventory-service", replicas=2, depends_on=("database-proxy", "cache-service")),
            ServiceSpec(name="notification-service", kind="queue", replicas=2),
            ServiceSpec(name="database-proxy", kind="database", replicas=2),
            ServiceSpec(name="cache-service", kind="cache", replicas=2),
        )
    )


class FaultSpec(_Strict):
    type: FaultType
    service: str
    start_minute: float = Field(ge=EARLIEST_START_MINUTE)  # negative: began before the window
    severity: Severity = "high"
    duration_minutes: float | None = Field(default=None, gt=0, le=MAX_DURATION_MINUTES)
    end_minute: float | None = None  # the same as start_minute + duration_minutes
    recovery: str | None = None  # how it ends (default_recovery when not given)

    @model_validator(mode="after")
    def _check_end(self) -> Self:
        if self.end_minute is not None:
            if self.duration_minutes is not None:
                raise ValueError("end_minute: give either end_minute or duration_minutes, not both")
            if self.end_minute <= self.start_minute:
                raise ValueError(f"end_minute: {self.end_minute:g} must be after start_minute "
                                 f"({self.start_minute:g})")
        if self.recovery is not None:
            choices = recovery_choices(self.type)
            if self.recovery not in choices:
                raise ValueError(f"recovery: {self.recovery!r} does not fit {self.type}; choose one of: "
                                 + ", ".join(choices))
            if self.end is None:
                raise ValueError("recovery: a fault that recovers needs an end (end_minute or duration_minutes)")
        return self

    @property
    def end(self) -> float | None:
        """The minute the fault ends (None: it lasts past the window)."""
        if self.end_minute is not None:
            return self.end_minute
        return None if self.duration_minutes is None else self.start_minute + self.duration_minutes

    @property
    def resolved_recovery(self) -> str:
        return self.recovery or default_recovery(self.type)


def recovery_choices(fault_type: str) -> tuple[str, ...]:
    fault = FAULTS[fault_type]
    return ((SELF_RECOVERY,) if fault.heals_by_itself else ()) + fault.actions


def default_recovery(fault_type: str) -> str:
    """What usually ends this fault: its best-fitting remediation, except a rollback where the
    fault was not a release (a leak can be old code)."""
    fault = FAULTS[fault_type]
    return next((a for a in fault.actions if a != "rollback" or not fault.rollback_needs_release), SELF_RECOVERY)


# The settings each noise level stands for, quietest first; fields given explicitly in a spec
# win over its level.
_LEVEL_SETTINGS: dict[str, dict[str, float]] = {
    "none": {"red_herring_deployments": 0, "background_error_rate": 0.0, "metric_noise": 0.0,
             "transient_spikes": 0, "decoys_per_service_hour": 0.0},
    "low": {"red_herring_deployments": 1, "background_error_rate": 0.002, "metric_noise": 0.015,
            "transient_spikes": 0, "decoys_per_service_hour": 0.1},
    "default": {"red_herring_deployments": 1, "background_error_rate": 0.005, "metric_noise": 0.03,
                "transient_spikes": 1, "decoys_per_service_hour": 0.3},
    "moderate": {"red_herring_deployments": 2, "background_error_rate": 0.01, "metric_noise": 0.05,
                 "transient_spikes": 2, "decoys_per_service_hour": 0.6},
    "heavy": {"red_herring_deployments": 3, "background_error_rate": 0.02, "metric_noise": 0.08,
              "transient_spikes": 3, "decoys_per_service_hour": 1.2},
    "extreme": {"red_herring_deployments": 5, "background_error_rate": 0.04, "metric_noise": 0.15,
                "transient_spikes": 5, "decoys_per_service_hour": 2.5},
}

NOISE_LEVELS: tuple[str, ...] = tuple(_LEVEL_SETTINGS)
_DEFAULT_LEVEL = _LEVEL_SETTINGS["default"]  # what a spec without a level always meant


class NoiseSpec(_Strict):
    level: Literal[*NOISE_LEVELS] = "default"
    red_herring_deployments: int = Field(default=_DEFAULT_LEVEL["red_herring_deployments"], ge=0, le=50)
    background_error_rate: float = Field(default=_DEFAULT_LEVEL["background_error_rate"], ge=0, le=0.2)
    metric_noise: float = Field(default=_DEFAULT_LEVEL["metric_noise"], ge=0, le=0.5)
    transient_spikes: int = Field(default=_DEFAULT_LEVEL["transient_spikes"], ge=0, le=50)
    # brief, self-healing look-alikes of every fault on any service (see docs/scenarios.md)
    decoys_per_service_hour: float = Field(default=_DEFAULT_LEVEL["decoys_per_service_hour"], ge=0, le=20)
    adversarial_text: bool = False  # plant a prompt injection in one deploy note

    @model_validator(mode="before")
    @classmethod
    def _fill_from_level(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("level") in _LEVEL_SETTINGS:
            data = {**_LEVEL_SETTINGS[data["level"]], **data}
        return data


class VolumeSpec(_Strict):
    """How much telemetry to emit; the defaults suit an interactive investigation."""

    entry_requests_per_second: float = Field(default=250.0, gt=0, le=100_000)
    log_lines_per_minute: float = Field(default=4.0, ge=0, le=10_000)
    traces_per_minute: float = Field(default=6.0, ge=0, le=10_000)


class ScenarioSpec(_Strict):
    name: str = "custom"
    description: str = ""
    seed: int = Field(default=42, ge=-(2**63), lt=2**63)
    duration_minutes: int = Field(default=60, ge=10, le=MAX_DURATION_MINUTES)
    end_time: datetime | None = None
    resolution_seconds: int = Field(default=15, ge=5, le=300)
    topology: TopologySpec | None = None
    faults: tuple[FaultSpec, ...] = ()
    noise: NoiseSpec = NoiseSpec()
    volume: VolumeSpec = VolumeSpec()

    @field_validator("end_time")
    @classmethod
    def _end_time_not_in_future(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        if value > datetime.now(UTC) + timedelta(seconds=1):
            raise ValueError("must not be in the future (telemetry never has future timestamps)")
        if value < EARLIEST_END:
            raise ValueError(f"must not be before {EARLIEST_END:%Y-%m-%d}")
        return value

    @model_validator(mode="after")
    def _check_faults(self) -> Self:
        topology = self.topology or default_topology()
        names = [s.name for s in topology.services]
        for i, fault in enumerate(self.faults):
            if fault.service not in names:
                raise ValueError(
                    f"faults[{i}].service: unknown service {fault.service!r}; "
                    f"known services: {', '.join(names)}"
                )
            if fault.start_minute >= self.duration_minutes:
                raise ValueError(
                    f"faults[{i}].start_minute: {fault.start_minute:g} is outside the "
                    f"{self.duration_minutes}-minute window (start_minute < {self.duration_minutes}; "
                    f"negative: before the window)"
                )
            if fault.end is not None and fault.end <= 0:
                field = "end_minute" if fault.end_minute is not None else "duration_minutes"
                raise ValueError(f"faults[{i}].{field}: the fault ends at minute {fault.end:g}, before the "
                                 "window starts; it must end after minute 0")
        return self

    @property
    def lead_in_minutes(self) -> float:
        """How long before the window the simulation must start: faults already under way
        when the window opens need their history."""
        earliest = min((f.start_minute for f in self.faults), default=0.0)
        return -earliest if earliest < 0 else 0.0

    @model_validator(mode="after")
    def _fits_in_memory(self) -> Self:
        problem = too_large(self)
        if problem:
            raise ValueError(problem)
        return self

    def resolved_topology(self) -> TopologySpec:
        return self.topology or default_topology()

    def resolved_end(self) -> datetime:
        """The window's end: the spec's `end_time`, or the start of the current minute."""
        if self.end_time is not None:
            return self.end_time
        return datetime.now(UTC).replace(second=0, microsecond=0)


def parse_spec(data: Any, *, source: str = "spec") -> ScenarioSpec:
    if not isinstance(data, dict):
        raise SpecError(f"{source}: a scenario spec must be an object, got {type(data).__name__}")
    if _depth(data) > MAX_DEPTH:
        raise SpecError(f"{source}: nested more than {MAX_DEPTH} levels deep; a scenario spec is a shallow object")
    try:
        return ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(f"{source}: " + describe_validation_error(exc)) from None


def load_spec(path: str | Path) -> ScenarioSpec:
    """Load a spec from a .json or .toml file."""
    return parse_spec(read_spec_data(path), source=Path(path).name)


def read_spec_data(path: str | Path) -> dict:
    """A spec file's data, unchecked but bounded: at most MAX_SPEC_BYTES are read (so that
    /dev/zero or a huge file is refused at once), and nesting too deep for the parser is a
    SpecError like any other."""
    path = Path(path)
    kind = "TOML" if path.suffix.lower() == ".toml" else "JSON"
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise SpecError(f"cannot read scenario file {str(path)!r}: {exc.strerror or exc}") from None
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError(f"{path.name}: larger than {MAX_SPEC_BYTES // 1024} KB; a scenario spec is a small file")
    import tomllib  # here, not at the top: a server given a preset never reads TOML

    try:
        data = tomllib.loads(raw.decode("utf-8")) if kind == "TOML" else json.loads(raw)
    except RecursionError:
        raise SpecError(f"{path.name}: nested more than {MAX_DEPTH} levels deep") from None
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        raise SpecError(f"{path.name}: not valid {kind}: {_one_line(exc)}") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path.name}: a scenario spec must be an object, got {type(data).__name__}")
    return data


def _depth(data: Any) -> int:
    """How deep lists and objects nest (iteratively: the data may be deeper than the stack)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list | tuple):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                stack.extend((v, level + 1) for v in value)
    return deepest


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]


def describe_validation_error(exc: ValidationError) -> str:
    """One line per problem: `field.path: what is wrong (valid choices)`."""
    lines = []
    for err in exc.errors(include_url=False):
        loc = _format_loc(err.get("loc", ()))
        msg = err.get("msg", "invalid")
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        kind = err.get("type", "")
        if kind == "extra_forbidden":
            msg = "unknown field (check the spelling)"
        elif kind == "literal_error":
            field = str(err.get("loc", ("",))[-1])
            choices = {"type": FAULT_TYPES, "kind": SERVICE_KINDS, "severity": SEVERITIES,
                       "level": NOISE_LEVELS}.get(field)
            if choices:
                msg = f"{err.get('input')!r} is not valid; choose one of: {', '.join(choices)}"
        named = _NAMED_MESSAGE.match(msg)
        if loc and named:  # a model check that names its own field: `faults[0].end_minute: ...`
            loc, msg = f"{loc}.{named.group(1)}", named.group(2)
        lines.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(lines)


_NAMED_MESSAGE = re.compile(r"^([a-z_]+): (.*)$", re.S)


def _format_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _find_cycle(graph: dict[str, tuple[str, ...]]) -> list[str] | None:
    """Return one dependency cycle as a path, or None. Iterative DFS: topologies can be deep."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = {name: WHITE for name in graph}
    for root in graph:
        if color[root] != WHITE:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = [root]
        color[root] = GREY
        while stack:
            node, i = stack[-1]
            deps = graph[node]
            if i < len(deps):
                stack[-1] = (node, i + 1)
                dep = deps[i]
                if color.get(dep) == GREY:
                    return path[path.index(dep):] + [dep]
                if color.get(dep) == WHITE:
                    color[dep] = GREY
                    stack.append((dep, 0))
                    path.append(dep)
            else:
                color[node] = BLACK
                stack.pop()
                path.pop()
    return None
