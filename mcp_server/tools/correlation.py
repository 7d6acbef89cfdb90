"""Cross-signal root-cause ranking."""

from mcp.server.mcpserver.tools import Tool
from pydantic import Field

from knowledge import INCIDENT_THRESHOLD
from telemetry.timefmt import iso

from ..state import ServerState
from .common import (DEFAULT_WINDOW_MINUTES, READ_ONLY, EndTime, Output, Window, WindowMinutes, time_window,
                     tool, untrusted, up_to, window_model)


class CandidateItem(Output):
    service: str
    score: float = Field(description="0-1, relative strength of the evidence")
    onset: str | None = None
    signals: list[str] = Field(description="machine-readable evidence flags")
    evidence: list[untrusted(200)]
    explained_by: str | None = Field(None, description="a failing dependency that may explain this one")
    recovered_at: str | None = Field(None, description="when its failure ended, if it did")


class CorrelationResult(Output):
    window: Window
    assessment: str
    candidates: list[CandidateItem] = Field(description="most likely root cause first")
    absent: list[str] | None = Field(None, description="signals with no data in the window")


def tools(state: ServerState) -> list[Tool]:
    @tool(title="Correlate signals", annotations=READ_ONLY)
    def correlate_signals(
        window_minutes: WindowMinutes = DEFAULT_WINDOW_MINUTES,
        end_time: EndTime = None,
        limit: up_to(10) = 5,
    ) -> CorrelationResult:
        """Root-cause candidates ranked from every signal (`independent_failure`: maybe a second
        root cause). Next: confirm the top one."""
        backend = state.telemetry()
        start, end = time_window(backend, window_minutes, end_time)
        inv = state.investigation(start, end)
        candidates = inv.candidates(limit)
        if not candidates or candidates[0].score < INCIDENT_THRESHOLD:
            assessment = ("No significant failure found in this window; what is listed is background noise."
                          if candidates else "No anomalies found in this window.")
        else:
            top = candidates[0]
            assessment = (f"Most likely root cause: {top.service} (score {top.score}"
                          + (f", onset {iso(top.onset)}" if top.onset else "")
                          + (f", recovered at {iso(top.ended)}" if top.ended else "") + ").")
        return CorrelationResult(
            window=window_model(start, end), assessment=assessment,
            # The top candidate's case in full; the others' in brief.
            candidates=[CandidateItem(service=c.service, score=c.score, onset=iso(c.onset) if c.onset else None,
                                      signals=c.signals, evidence=c.evidence[:6 if i == 0 else 3],
                                      explained_by=c.explained_by,
                                      recovered_at=iso(c.ended) if c.ended else None)
                        for i, c in enumerate(candidates)],
            absent=inv.absent_signals or None)

    return [correlate_signals]
