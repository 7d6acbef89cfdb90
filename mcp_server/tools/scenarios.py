"""Switching between incidents, for backends that can load scenarios (the simulator)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Protocol, runtime_checkable

import anyio
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from telemetry.backend import TelemetryBackend

from ..state import ServerState
from .common import READ_ONLY, Output, tool
from .status import StatusResult, status_of

SWITCH = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


class PreparedIncident(Protocol):
    def generate(self, prepare: Callable[[TelemetryBackend], None] | None = None) -> None: ...


@runtime_checkable
class ScenarioSource(Protocol):
    def presets(self) -> Sequence[str]: ...

    def fault_types(self) -> Sequence[str]: ...

    def prepare(self, preset: str | None, spec: dict | None, seed: int | None) -> PreparedIncident:
        """Check the scenario (ValueError with a user-facing message if it is invalid)."""
        ...

    def switch_to(self, incident: PreparedIncident) -> None: ...


class ScenariosResult(Output):
    presets: list[str] = Field(description="names are labels for humans; load one to investigate it")
    fault_types: list[str]
    loaded_incident: str


def tools(state: ServerState) -> list[Tool]:
    source = state.backend
    if not isinstance(source, ScenarioSource):
        return []

    @tool(title="List scenarios", annotations=READ_ONLY)
    def list_scenarios() -> ScenariosResult:
        """Simulator only: the preset incidents and fault types that can be loaded."""
        return ScenariosResult(presets=list(source.presets()), fault_types=list(source.fault_types()),
                               loaded_incident=state.incident)

    @tool(title="Load a scenario", annotations=SWITCH)
    async def load_scenario(
        preset: Annotated[str | None, Field(description="a preset name from list_scenarios")] = None,
        spec: Annotated[dict[str, Any] | None, Field(description="a scenario spec object (see README)")] = None,
        seed: Annotated[int | None, Field(ge=0, le=2**31 - 1)] = None,
    ) -> StatusResult:
        """Simulator only: switch to another incident (a preset or a full spec) without
        restarting the server. Recorded proposals stay with their own incident."""
        try:
            incident = source.prepare(preset, spec, seed)
        except ValueError as exc:
            raise ToolError(str(exc)) from None
        # Generated off the event loop; a cancelled call never switches the incident.
        try:
            await anyio.to_thread.run_sync(incident.generate, state.prepare, abandon_on_cancel=True)
        except Exception as exc:
            raise ToolError(f"scenario generation failed: {type(exc).__name__}: {exc}") from None
        source.switch_to(incident)
        state.cache.keep_only(state.telemetry())
        return status_of(state)

    return [list_scenarios, load_scenario]
