"""Distributed traces: summaries first (where failures originate, what is slow), spans on request."""

from typing import Annotated

from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from telemetry.timefmt import iso

from ..analysis.traces import summarize
from ..state import ServerState
from .common import (DEFAULT_WINDOW_MINUTES, READ_ONLY, Cursor, EndTime, Output, Page, ServiceFilter, Window,
                     WindowMinutes, adjusted, check_service, paginate, time_window, tool, untrusted, up_to,
                     window_model)

MAX_SPANS_PER_TRACE = 40
MAX_TRACES_WITH_SPANS = 5


class OriginItem(Output):
    service: str
    failing_traces: int
    unanswered_calls: int = Field(description="of those, calls to it (or from it) that nobody answered")
    example: untrusted(160)


class ServiceTraceStats(Output):
    service: str
    spans: int
    error_rate: float
    self_p50_ms: float
    self_p95_ms: float


class SpanItem(Output):
    span_id: str
    parent_id: str | None = None
    service: str
    operation: untrusted(120)
    kind: str
    start: str
    duration_ms: float
    error: bool
    status: untrusted(160) | None = None
    peer_service: str | None = None


class TraceItem(Output):
    trace_id: str
    root: untrusted(140)
    start: str
    duration_ms: float
    error: bool
    error_origin: str | None = None
    error_message: untrusted(160) | None = None
    critical_path: list[str]
    slowest_service: str | None = None
    span_count: int
    spans: list[SpanItem] | None = None


class TracesResult(Output):
    window: Window
    traces_total: int
    traces_failing: int
    error_origins: list[OriginItem] = Field(description="where failing traces fail, most first")
    services: list[ServiceTraceStats] = Field(description="highest span error rate first")
    traces: list[TraceItem] = Field(description="failing and slowest first")
    page: Page
    hint: str | None = None


def tools(state: ServerState) -> list[Tool]:
    @tool(title="Query traces", annotations=READ_ONLY)
    def query_traces(
        service: ServiceFilter = None,
        errors_only: Annotated[bool, Field(description="failing only")] = False,
        min_duration_ms: Annotated[float | None, Field(ge=0, le=86_400_000, description="slower only")] = None,
        trace_id: Annotated[str | None, Field(max_length=64, description="one trace")] = None,
        include_spans: Annotated[bool, Field(description="span detail, 5 traces max")] = False,
        window_minutes: WindowMinutes = DEFAULT_WINDOW_MINUTES,
        end_time: EndTime = None,
        limit: up_to(50) = 2,
        cursor: Cursor = None,
    ) -> TracesResult:
        """Where failing requests fail and what is slow: to confirm a suspect."""
        backend = state.telemetry()
        service = check_service(backend, service)
        start, end = time_window(backend, window_minutes, end_time)
        inv = state.investigation(start, end)
        if trace_id:
            spans = list(backend.trace(trace_id))
            if not spans:
                raise ToolError(f"trace_id: no trace {trace_id!r} in the telemetry; take ids from query_logs "
                                "or from this tool's results")
            traces = {trace_id: spans}
            summaries = [summarize(spans)]
            verdicts, stats = [], {}
        else:
            traces = inv.traces
            summaries = inv.trace_summaries
            verdicts, stats = inv.trace_analysis
        failing = sum(1 for s in summaries if s.error)
        chosen = [s for s in summaries
                  if (service is None or service in s.services)
                  and (not errors_only or s.error)
                  and (min_duration_ms is None or s.duration_ms >= min_duration_ms)]
        chosen.sort(key=lambda s: (not s.error, -s.duration_ms, s.trace_id))
        # Full span detail is heavy: at most a handful of traces per call.
        if include_spans and limit > MAX_TRACES_WITH_SPANS:
            adjusted(f"limit {limit} with include_spans: {MAX_TRACES_WITH_SPANS} traces")
            limit = MAX_TRACES_WITH_SPANS
        page, meta = paginate(chosen, limit, cursor)
        service_stats = []
        for st in stats.values():
            if st.spans == 0:
                continue
            ordered = sorted(st.self_ms)
            service_stats.append(ServiceTraceStats(
                service=st.service, spans=st.spans, error_rate=round(st.errors / st.spans, 4),
                self_p50_ms=round(ordered[len(ordered) // 2], 1),
                self_p95_ms=round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1)))
        service_stats.sort(key=lambda s: (-s.error_rate, -s.self_p95_ms, s.service))
        return TracesResult(
            window=window_model(start, end), traces_total=len(summaries), traces_failing=failing,
            error_origins=[OriginItem(service=v.service, failing_traces=v.traces,
                                      unanswered_calls=v.via_unanswered_calls, example=v.example_message)
                           for v in verdicts[:3]],
            services=service_stats[:4],
            traces=[_trace_item(s, traces[s.trace_id] if include_spans else None) for s in page],
            page=meta,
            hint=None if chosen else "No traces match. Drop filters or widen window_minutes.",
        )

    return [query_traces]

def _trace_item(s, spans) -> TraceItem:
    item = TraceItem(trace_id=s.trace_id, root=f"{s.root_service} {s.root_operation}", start=iso(s.start),
                     duration_ms=round(s.duration_ms, 1), error=s.error, error_origin=s.error_origin,
                     error_message=s.error_message or None,
                     critical_path=s.critical_path, slowest_service=s.slowest_service, span_count=s.span_count)
    if spans is not None:
        ordered = sorted(spans, key=lambda x: x.start)[:MAX_SPANS_PER_TRACE]
        item.spans = [SpanItem(span_id=x.span_id, parent_id=x.parent_id, service=x.service, operation=x.operation,
                               kind=x.kind, start=iso(x.start), duration_ms=round(x.duration_ms, 2), error=x.error,
                               status=x.status_message or None,
                               peer_service=x.peer_service) for x in ordered]
    return item
