"""Backend status: which telemetry answers, over what time range, with how much data."""

from __future__ import annotations

from mcp.server.mcpserver.tools import Tool

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
    detail: untrusted(300) = ""


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


def tools(state: ServerState) -> list[Tool]:
    @tool(title="Backend status", annotations=READ_ONLY)
    def get_backend_status() -> StatusResult:
        """Which telemetry backend answers, whether it is reachable, the time range it covers,
        how much data it holds and which metrics exist."""
        return status_of(state)

    return [get_backend_status]
