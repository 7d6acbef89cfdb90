"""Switching between incidents, for backends that can load scenarios (the simulator). A switch
applies to the caller's session, or to every client in shared mode (see `sessions`)."""

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Protocol, runtime_checkable

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from telemetry.backend import TelemetryBackend

from ..state import ServerState
from .common import READ_ONLY, Output, tool
from .status import StatusResult, status_of

# A switch replaces the incident the caller (or, shared, every client) was investigating.
SWITCH = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False)
PROGRESS_SECONDS = 0.5
# The resources whose content is the incident's; a switch announces their update.
INCIDENT_RESOURCES = ("aiops://topology", "aiops://backend/status", "aiops://proposals")
SPEC_HINT = ('{"faults": [{"type", "service", "start_minute", "severity"}], "topology": {"services": '
             '[{"name", "kind", "depends_on"}]}, "duration_minutes", "seed"}')


class PreparedIncident(Protocol):
    id: str

    def generate(self, prepare: Callable[[TelemetryBackend], None] | None = None) -> None: ...


@runtime_checkable
class ScenarioSource(Protocol):
    def presets(self) -> Sequence[str]: ...

    def fault_types(self) -> Sequence[str]: ...

    def prepare(self, preset: str | None, spec: dict | None, seed: int | None) -> PreparedIncident:
        """Check the scenario (ValueError with a user-facing message if it is invalid)."""
        ...


class ScenariosResult(Output):
    presets: list[str] = Field(description="names are labels for humans; load one to investigate it")
    fault_types: list[str]
    loaded_incident: str


def tools(state: ServerState) -> list[Tool]:
    source = state.backend
    if not isinstance(source, ScenarioSource):
        return []

    who = "every client of this server" if state.sessions.shared else "this session only"

    @tool(title="List scenarios", annotations=READ_ONLY)
    def list_scenarios() -> ScenariosResult:
        """Simulator only: the preset incidents and fault types load_scenario can load."""
        return ScenariosResult(presets=list(source.presets()), fault_types=list(source.fault_types()),
                               loaded_incident=state.incident)

    @tool(title="Load a scenario", annotations=SWITCH)
    async def load_scenario(
        ctx: Context,
        preset: Annotated[str | None, Field(max_length=60, description="a name from list_scenarios")] = None,
        spec: Annotated[dict[str, Any] | None, Field(description=SPEC_HINT)] = None,
        seed: Annotated[int | None, Field(ge=0, le=2**31 - 1, description="default: the scenario's")] = None,
    ) -> StatusResult:
        """Simulator only: replace the incident under investigation (a preset or a full spec)
        without a restart; reports progress while it generates. Proposals stay with their own
        incident. Next: fetch_active_alerts."""
        try:
            incident = source.prepare(preset, spec, seed)
        except ValueError as exc:
            raise ToolError(str(exc)) from None
        # Generated off the event loop; a cancelled call never switches the incident.
        try:
            async with anyio.create_task_group() as progress:
                progress.start_soon(_report_progress, ctx)
                await anyio.to_thread.run_sync(incident.generate, state.prepare, abandon_on_cancel=True)
                progress.cancel_scope.cancel()
        except Exception as exc:
            raise ToolError(f"scenario generation failed: {type(exc).__name__}: {exc}") from None
        state.switch_incident(incident)
        await _announce_switch(ctx)
        return status_of(state)

    load_scenario.description += f" Applies to {who}."
    return [list_scenarios, load_scenario]


async def _report_progress(ctx: Context) -> None:
    """A tick every half second while the incident is generated (its length is not known in
    advance): hosts show the call alive and keep their request timeouts from expiring."""
    step = 0
    while True:
        await ctx.report_progress(step, None, "generating the incident's telemetry")
        step += 1
        await anyio.sleep(PROGRESS_SECONDS)


async def _announce_switch(ctx: Context) -> None:
    """The incident's resources changed: tell the caller's connection (protocols up to
    2025-11-25) and the `subscriptions/listen` streams (2026-07-28)."""
    for uri in INCIDENT_RESOURCES:
        await ctx.session.send_resource_updated(uri)
        await ctx.notify_resource_updated(uri)
    await ctx.session.send_resource_list_changed()
    await ctx.notify_resources_changed()
