"""Log search, error patterns and log statistics."""

import math
from typing import Annotated, Literal

from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from telemetry.records import ERROR_LEVELS, LEVEL_RANK
from telemetry.timefmt import iso

from ..state import ServerState
from .common import (DEFAULT_WINDOW_MINUTES, READ_ONLY, Cursor, EndTime, Output, Page, ServiceFilter, Window,
                     WindowMinutes, check_service, paginate, time_window, tool, untrusted, up_to, window_model)

Level = Literal["DEBUG", "INFO", "WARN", "ERROR", "FATAL"]


class LogLine(Output):
    time: str
    service: str
    level: str
    message: untrusted(200)
    instance: str
    trace_id: str | None = None


class LogsResult(Output):
    window: Window
    logs: list[LogLine] = Field(description="newest first")
    page: Page
    hint: str | None = None


class PatternItem(Output):
    template: untrusted(140) = Field(description="message with variable parts masked as <num>, <ip>, <hex>, ...")
    category: str
    about: Literal["itself", "dependency", "unclear"] = Field(
        description="whom the lines complain about: the logging service itself or another service")
    count: int
    first_seen: str
    last_seen: str
    services: dict[str, int]
    mentions: list[str] | None = Field(None, description="other services named in these lines")
    example: untrusted(120) | None = Field(None, description="one real line, when it differs from the template")
    example_trace_id: str | None = None


class PatternsResult(Output):
    window: Window
    lines_scanned: int
    patterns: list[PatternItem]
    page: Page
    hint: str | None = None


class ServiceLogStats(Output):
    service: str
    total: int
    by_level: dict[str, int]
    error_share: float
    errors_first_half: int
    errors_second_half: int


class LogStatsResult(Output):
    window: Window
    total: int
    services: list[ServiceLogStats] = Field(description="most errors first")
    error_timeline: list[int] = Field(description="ERROR+FATAL lines per bucket, oldest first")
    bucket_minutes: float
    page: Page


def tools(state: ServerState) -> list[Tool]:
    @tool(title="Query logs", annotations=READ_ONLY)
    def query_logs(
        service: ServiceFilter = None,
        min_level: Annotated[Level, Field(description="lowest level")] = "WARN",
        contains: Annotated[str | None, Field(max_length=200, description="substring")] = None,
        trace_id: Annotated[str | None, Field(max_length=64, description="one trace")] = None,
        window_minutes: WindowMinutes = DEFAULT_WINDOW_MINUTES,
        end_time: EndTime = None,
        limit: up_to(200) = 6,
        cursor: Cursor = None,
    ) -> LogsResult:
        """Raw log lines, newest first: examples of what search_error_patterns found."""
        backend = state.telemetry()
        service = check_service(backend, service)
        start, end = time_window(backend, window_minutes, end_time)
        rank = LEVEL_RANK[min_level]
        needle = contains.lower() if contains else None
        records = backend.logs(start, end, service)
        matched = [r for r in reversed(records)
                   if LEVEL_RANK.get(r.level, 0) >= rank
                   and (trace_id is None or r.trace_id == trace_id)
                   and (needle is None or needle in r.message.lower())]
        page, meta = paginate(matched, limit, cursor)
        return LogsResult(
            window=window_model(start, end),
            logs=[LogLine(time=iso(r.time), service=r.service, level=r.level, message=r.message,
                          instance=r.instance, trace_id=r.trace_id) for r in page],
            page=meta,
            hint=None if matched else "No matching lines. Try min_level='INFO', drop `contains`, or widen "
                                      "window_minutes.",
        )

    @tool(title="Search error patterns", annotations=READ_ONLY)
    def search_error_patterns(
        service: ServiceFilter = None,
        min_level: Annotated[Literal["WARN", "ERROR", "FATAL"], Field(description="lowest level")] = "ERROR",
        window_minutes: WindowMinutes = DEFAULT_WINDOW_MINUTES,
        end_time: EndTime = None,
        limit: up_to(100) = 5,
        cursor: Cursor = None,
    ) -> PatternsResult:
        """First look at logs: error lines grouped by template, with counts, first/last seen,
        services, whom they blame. Next: query_logs."""
        backend = state.telemetry()
        service = check_service(backend, service)
        start, end = time_window(backend, window_minutes, end_time)
        inv = state.investigation(start, end)
        levels = tuple(lv for lv in ("WARN", "ERROR", "FATAL") if LEVEL_RANK[lv] >= LEVEL_RANK[min_level])
        patterns = inv.patterns(service, levels)
        scanned = sum(p.count for p in patterns)
        page, meta = paginate(patterns, limit, cursor)
        return PatternsResult(
            window=window_model(start, end), lines_scanned=scanned,
            patterns=[PatternItem(
                template=p.template, category=p.category, about=p.about, count=p.count,
                first_seen=iso(p.first_seen), last_seen=iso(p.last_seen),
                services=dict(sorted(p.services.items(), key=lambda kv: -kv[1])[:4]),
                mentions=sorted(p.mentions)[:5] or None,
                example=p.example if p.example != p.template else None,
                example_trace_id=p.example_trace_id) for p in page],
            page=meta,
            hint=None if patterns else "No problem lines in this window. Try min_level='WARN' or a longer "
                                       "window_minutes.",
        )

    @tool(title="Log statistics", annotations=READ_ONLY)
    def get_log_statistics(
        service: ServiceFilter = None,
        window_minutes: WindowMinutes = DEFAULT_WINDOW_MINUTES,
        end_time: EndTime = None,
        buckets: Annotated[int, Field(ge=2, le=120, description="timeline slots")] = 12,
        limit: up_to(500) = 10,
        cursor: Cursor = None,
    ) -> LogStatsResult:
        """When and where errors grew: volume per service and level, error share, timeline."""
        backend = state.telemetry()
        service = check_service(backend, service)
        start, end = time_window(backend, window_minutes, end_time)
        width = (end - start) / buckets
        if not math.isfinite(width) or width <= 0:
            raise ToolError("window_minutes: the window is empty")
        # Counted by the backend (Loki: count_over_time), never by pulling the lines, in half
        # buckets: their first half falls before the window's middle.
        counts = backend.log_counts(start, end, width / 2, service)
        timeline = [0] * buckets
        per: dict[str, dict] = {}
        for (name, level), halves in counts.items():
            s = per.setdefault(name, {"total": 0, "levels": {}, "first": 0, "second": 0})
            lines = sum(halves)
            s["total"] += lines
            s["levels"][level] = s["levels"].get(level, 0) + lines
            if level in ERROR_LEVELS:
                s["first"] += sum(halves[:buckets])
                s["second"] += sum(halves[buckets:])
                for i, n in enumerate(halves):
                    timeline[min(buckets - 1, i // 2)] += n
        items = []
        for name, s in per.items():
            errors = s["first"] + s["second"]
            items.append(ServiceLogStats(service=name, total=s["total"],
                                         by_level=dict(sorted(s["levels"].items())),
                                         error_share=round(errors / s["total"], 4) if s["total"] else 0.0,
                                         errors_first_half=s["first"], errors_second_half=s["second"]))
        items.sort(key=lambda x: (-(x.errors_first_half + x.errors_second_half), x.service))
        page, meta = paginate(items, limit, cursor)
        return LogStatsResult(window=window_model(start, end), total=sum(s["total"] for s in per.values()),
                              services=page, error_timeline=timeline, bucket_minutes=round(width / 60, 2), page=meta)

    return [query_logs, search_error_patterns, get_log_statistics]
