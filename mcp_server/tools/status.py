"""Backend status, and (for the simulator) switching between incidents."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from telemetry.timefmt import iso

from ..state import ServerState
from ..tool_registry import ToolCollector
from .common import READ_ONLY, Output, tool_body

SWITCH = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


class StatusResult(Output):
    backend: str
    reachable: bool
    incident: str
    start: str | None = None
    end: str | None = None
    counts: dict[str, int]
    metrics: list[str]
    detail: str = ""


class ScenariosResult(Output):
    presets: list[str] = Field(description="names are labels for humans; load one to investigate it")
    fault_types: list[str]
    loaded_incident: str


def status_of(state: ServerState) -> StatusResult:
    try:
        status = state.telemetry().status()
        metrics = list(state.telemetry().metric_names()) if status.reachable else []
    except Exception as exc:  # an unreachable backend is a status, not a crash
        return StatusResult(backend=getattr(state.backend, "name", "unknown"), reachable=False,
                            incident=state.incident, counts={}, metrics=[], detail=str(exc)[:300])
    return StatusResult(backend=status.backend, reachable=status.reachable, incident=state.incident,
                        start=iso(status.start) if status.start else None, end=iso(status.end) if status.end else None,
                        counts=status.counts, metrics=metrics, detail=status.detail)


def register(server: ToolCollector, state: ServerState) -> None:
    @server.tool(title="Backend status", annotations=READ_ONLY)
    @tool_body
    def get_backend_status() -> StatusResult:
        """Which telemetry backend answers, whether it is reachable, the time range it covers,
        how much data it holds and which metrics exist."""
        return status_of(state)

    # Registered whatever the backend, so that every server lists the same tools (the
    # tool registry caches the listing); on a live stack they say so.
    def simulator_only() -> None:
        if not hasattr(state.backend, "load"):
            raise ToolError(f"this server reads a live stack ({getattr(state.backend, 'name', 'live')} backend); "
                            "scenarios exist only on the simulator")

    @server.tool(title="List scenarios", annotations=READ_ONLY)
    @tool_body
    def list_scenarios() -> ScenariosResult:
        """Simulator only: the preset incidents and fault types that can be loaded."""
        simulator_only()
        from simulators import FAULT_TYPES, PRESET_NAMES

        return ScenariosResult(presets=list(PRESET_NAMES), fault_types=list(FAULT_TYPES),
                               loaded_incident=state.incident)

    @server.tool(title="Load a scenario", annotations=SWITCH)
    @tool_body
    def load_scenario(
        preset: Annotated[str | None, Field(description="a preset name from list_scenarios")] = None,
        spec: Annotated[dict[str, Any] | None, Field(description="a scenario spec object (see README)")] = None,
        seed: Annotated[int | None, Field(ge=0, le=2**31)] = None,
    ) -> StatusResult:
        """Simulator only: switch to another incident (a preset or a full spec) without
        restarting the server. Recorded proposals stay with their own incident."""
        simulator_only()
        from simulators import SpecError, parse_spec, preset_spec

        if (preset is None) == (spec is None):
            raise ToolError("give exactly one of preset or spec")
        try:
            if preset is not None:
                loaded = preset_spec(preset, seed=seed)
            else:
                loaded = parse_spec(spec, source="spec")
                if seed is not None:
                    loaded = loaded.model_copy(update={"seed": seed})
        except SpecError as exc:
            raise ToolError(str(exc)) from None
        # The worker generates its own copy alongside, sends the metrics and alerts (this
        # process then need not make them), and analyses it.
        head_start = state.worker.submit(loaded) if state.worker is not None else None
        state.backend.load(loaded, "preset" if preset else "spec", head_start)
        state.cache.clear()
        state.prepare(always=True, head_start=head_start)
        return status_of(state)
