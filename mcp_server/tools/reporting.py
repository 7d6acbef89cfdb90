"""Incident timeline and report formatting."""

from typing import Annotated, Literal

from mcp.server.mcpserver.tools import Tool
from pydantic import Field

from guardrails.untrusted_text import clean
from knowledge import INCIDENT_THRESHOLD
from telemetry.timefmt import iso

from ..analysis import correlation
from ..analysis import timeline as tl
from ..state import ServerState
from .common import (HARD_MAX_CHARS, DEFAULT_WINDOW_MINUTES, READ_ONLY, EndTime, Output, ServiceFilter, Window,
                     WindowMinutes, time_window, tool, untrusted, up_to, window_model)

FIRST_ALERTS_PER_SERVICE = 2


class TimelineEvent(Output):
    time: str
    kind: str
    service: str | None = None
    event: untrusted(200)


class TimelineResult(Output):
    window: Window
    events: list[TimelineEvent] = Field(description="oldest first")
    total_events: int
    truncated: bool


class ReportResult(Output):
    markdown: untrusted(HARD_MAX_CHARS, one_line=False) = Field(
        description="the report; its timeline and remediation sections list the details")
    affected_services: list[str]
    remediation: list[str]


def collect_events(state: ServerState, start: float, end: float) -> list[tl.Event]:
    backend = state.telemetry()
    inv = state.investigation(start, end)
    events: list[tl.Event] = []
    for d in backend.deployments(start, end + 1):
        what = {"deployment": f"deployed {d.version} (was {d.previous_version})",
                "config": f"config change {d.config_key}: {d.config_old!r} -> {d.config_new!r}",
                "rollback": f"rolled back to {d.version}"}.get(d.change_type, f"{d.change_type} ({d.version})")
        events.append(tl.Event(d.time, "change", d.service, clean(f"{d.service}: {what} by {d.author}", 200), 1))
    firsts: dict[str, int] = {}
    for a in sorted(backend.alerts(start, end), key=lambda a: a.starts_at):
        n = firsts.get(a.service, 0)
        if n < FIRST_ALERTS_PER_SERVICE:
            events.append(tl.Event(a.starts_at, "alert", a.service, f"{a.severity} alert {a.name}: "
                                   + clean(a.summary, 140), 2 + n))
            firsts[a.service] = n + 1
        if a.ends_at is not None and a.ends_at <= end:
            events.append(tl.Event(a.ends_at, "recovery", a.service, f"alert {a.name} resolved", 6))
    candidates = inv.candidates(3)
    for rank, c in enumerate(candidates):
        if c.onset is not None and c.score >= INCIDENT_THRESHOLD:
            events.append(tl.Event(c.onset, "anomaly", c.service,
                                   f"{c.service}: first anomalies ({', '.join(c.signals[:4])})", 1 + rank))
    for name, anomalies in inv.anomalies.items():
        for a in anomalies:
            if a.direction == "missing":
                events.append(tl.Event(a.onset, "silence", name, f"{name} stopped reporting telemetry", 1))
    top = {c.service for c in candidates[:2]}
    for name in top:
        ev = inv.log_evidence.get(name)
        own = [p for p in (ev.new_patterns if ev else []) if p[1] in correlation.OWN_LOG_CATEGORIES]
        for template, category, first, count in own[:3]:
            events.append(tl.Event(first, "log", name, clean(f"new {category} errors in {name} ({count}x): {template}",
                                                            200), 3))
    for p in state.proposals:
        if p.incident == state.incident:
            events.append(tl.Event(end, "proposal", p.service, f"proposed {p.kind} of {p.service}: {p.command}", 4))
    return events


def tools(state: ServerState) -> list[Tool]:
    @tool(title="Generate incident timeline", annotations=READ_ONLY)
    def generate_timeline(
        window_minutes: WindowMinutes = DEFAULT_WINDOW_MINUTES,
        end_time: EndTime = None,
        limit: up_to(200) = 8,
    ) -> TimelineResult:
        """The incident in order. Next: format_incident_report."""
        backend = state.telemetry()
        start, end = time_window(backend, window_minutes, end_time)
        kept, total = tl.build(collect_events(state, start, end), limit)
        return TimelineResult(window=window_model(start, end), total_events=total, truncated=total > len(kept),
                              events=[TimelineEvent(time=iso(e.time), kind=e.kind, service=e.service, event=e.text)
                                      for e in kept])

    @tool(title="Format incident report", annotations=READ_ONLY)
    def format_incident_report(
        title: Annotated[str, Field(min_length=3, max_length=200, description="one line")],
        severity: Annotated[Literal["P1", "P2", "P3", "P4"], Field(description="P1 worst")],
        summary: Annotated[str, Field(min_length=3, max_length=2000, description="what happened")],
        root_cause_service: ServiceFilter = None,
        root_cause: Annotated[str | None, Field(max_length=2000, description="what failed and why")] = None,
        fault_type: Annotated[str | None, Field(max_length=60, description="e.g. memory_leak")] = None,
        status: Annotated[str, Field(max_length=40, description="incident state")] = "mitigation proposed",
        window_minutes: WindowMinutes = DEFAULT_WINDOW_MINUTES,
        end_time: EndTime = None,
    ) -> ReportResult:
        """Last step: a Markdown report of your findings and the server's evidence."""
        backend = state.telemetry()
        start, end = time_window(backend, window_minutes, end_time)
        inv = state.investigation(start, end)
        kept, _ = tl.build(collect_events(state, start, end), 6)
        affected = sorted({n for n, an in inv.anomalies.items()
                           if any(a.score >= 0.3 and a.direction != "down" for a in an)})
        proposals = [p for p in state.proposals if p.incident == state.incident]
        remediation = [f"{p.kind} {p.service} (risk {p.risk}, needs approval): {p.command}" for p in proposals]
        lines = [f"# {clean(title, 200)}", "", f"**Severity:** {severity}  ", f"**Status:** {clean(status, 40)}  ",
                 f"**Window:** {iso(start)} to {iso(end)}", "", "## Summary", clean(summary, 2000), ""]
        if root_cause_service or root_cause:
            lines += ["## Root cause", f"**Service:** {root_cause_service or 'unknown'}  "
                      + (f"**Fault:** {fault_type}" if fault_type else ""), clean(root_cause or "", 2000), ""]
        lines += ["## Affected services", ", ".join(affected) or "none detected", "", "## Timeline"]
        lines += [f"- {iso(e.time)} [{e.kind}] {e.text}" for e in kept] or ["- no events"]
        lines += ["", "## Remediation (proposed, not executed)"]
        lines += [f"- {r}" for r in remediation] or ["- none recorded"]
        return ReportResult(markdown="\n".join(lines), affected_services=affected, remediation=remediation)

    return [generate_timeline, format_incident_report]
