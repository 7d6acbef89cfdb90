"""Backend status: which telemetry answers, over what time range, with how much data."""

from mcp.server.mcpserver.tools import Tool
from pydantic import Field

from telemetry.timefmt import iso

from ..state import ServerState
from .common import READ_ONLY, Output, tool, untrusted


class StatusResult(Output):
    backend: str
    reachable: bool
    incident: str
    start: str | None = None
    end: str | None = None
    counts: dict[str, int]
    metrics: list[str]
    reference: str | None = Field(None, description="the period of normal operation windows are compared with")
    detail: untrusted(300) = ""


def status_of(state: ServerState) -> StatusResult:
    try:
        telemetry = state.telemetry()
        status = telemetry.status()
        metrics = list(telemetry.metric_names()) if status.reachable else []
        reference = telemetry.reference(status.start, status.end) if status.start and status.end else None
    except Exception as exc:  # an unreachable backend is a status, not a crash
        return StatusResult(backend=getattr(state.backend, "name", "unknown"), reachable=False,
                            incident=state.incident, counts={}, metrics=[], detail=str(exc)[:300])
    return StatusResult(backend=status.backend, reachable=status.reachable, incident=state.incident,
                        start=iso(status.start) if status.start else None, end=iso(status.end) if status.end else None,
                        counts=status.counts, metrics=metrics, detail=status.detail,
                        reference=f"{iso(reference[1])} to {iso(reference[2])}" if reference else None)


def tools(state: ServerState) -> list[Tool]:
    @tool(title="Backend status", annotations=READ_ONLY)
    def get_backend_status() -> StatusResult:
        """Which telemetry backend answers, whether it is reachable, the time range it covers,
        how much data it holds and which metrics exist."""
        return status_of(state)

    return [get_backend_status]
