"""Alerts and service health: where an investigation starts."""

from typing import Annotated, Literal

from mcp.server.mcpserver.tools import Tool
from pydantic import Field

from telemetry.timefmt import iso

from ..analysis.health import STATUS_ORDER, assess
from ..state import ServerState
from .common import (DEFAULT_WINDOW_MINUTES, READ_ONLY, Cursor, EndTime, Output, Page, ServiceFilter, Window,
                     WindowMinutes, check_service, paginate, time_window, tool, untrusted, up_to, window_model)

_SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


class AlertItem(Output):
    name: untrusted(100)
    service: str
    severity: str
    state: Literal["firing", "resolved"]
    starts_at: str
    ends_at: str | None = None
    summary: untrusted(160)


class AlertsResult(Output):
    window: Window
    firing: int
    by_service: dict[str, int] = Field(description="firing alerts per service")
    alerts: list[AlertItem]
    page: Page
    hint: str | None = None


class ServiceHealthItem(Output):
    service: str
    status: Literal["healthy", "degraded", "down", "unknown"]
    reasons: list[str]
    error_rate: float | None = None
    latency_p99_ms: float | None = None
    cpu_percent: float | None = None
    memory_percent: float | None = None
    firing_alerts: int


class HealthResult(Output):
    as_of: str
    counts: dict[str, int]
    services: list[ServiceHealthItem]
    page: Page


def tools(state: ServerState) -> list[Tool]:
    @tool(title="Fetch active alerts", annotations=READ_ONLY)
    def fetch_active_alerts(
        severity: Annotated[Literal["any", "critical", "warning", "info"], Field(description="minimum")] = "any",
        service: ServiceFilter = None,
        include_resolved: Annotated[bool, Field(description="also ended alerts")] = False,
        window_minutes: WindowMinutes = DEFAULT_WINDOW_MINUTES,
        end_time: EndTime = None,
        limit: up_to(200) = 20,
        cursor: Cursor = None,
    ) -> AlertsResult:
        """Start here: alerts, most severe then earliest first. Next:
        get_service_health_summary."""
        backend = state.telemetry()
        service = check_service(backend, service)
        start, end = time_window(backend, window_minutes, end_time)
        alerts = [a for a in backend.alerts(start, end)
                  if (service is None or a.service == service)
                  and (severity == "any" or a.severity == severity)
                  and (include_resolved or a.ends_at is None)]
        alerts.sort(key=lambda a: (a.ends_at is not None, _SEVERITY_RANK.get(a.severity, 3), a.starts_at,
                                   a.service, a.name))
        page, meta = paginate(alerts, limit, cursor)
        firing = [a for a in alerts if a.ends_at is None]
        by_service: dict[str, int] = {}
        for a in firing:
            by_service[a.service] = by_service.get(a.service, 0) + 1
        return AlertsResult(
            window=window_model(start, end), firing=len(firing),
            by_service=dict(sorted(by_service.items(), key=lambda kv: (-kv[1], kv[0]))),
            alerts=[AlertItem(name=a.name, service=a.service, severity=a.severity,
                              state="firing" if a.ends_at is None else "resolved", starts_at=iso(a.starts_at),
                              ends_at=iso(a.ends_at) if a.ends_at else None, summary=a.summary)
                    for a in page],
            page=meta,
            hint=None if alerts else "No alerts match. Try include_resolved=true, a longer window_minutes, "
                                     "or get_service_health_summary.",
        )

    @tool(title="Service health summary", annotations=READ_ONLY)
    def get_service_health_summary(
        service: ServiceFilter = None,
        limit: up_to(300) = 10,
        cursor: Cursor = None,
    ) -> HealthResult:
        """At triage: services down or degraded now, worst first. Next: search_error_patterns."""
        backend = state.telemetry()
        service = check_service(backend, service)
        first, end = backend.time_range()
        early_end = min(end, first + 600)
        firing = [a for a in backend.alerts(end - 1, end) if a.ends_at is None]
        items = []
        for info in backend.services():
            if service and info.name != service:
                continue
            latest = {}
            for metric in ("up", "error_rate", "latency_p99_ms", "cpu_percent", "memory_percent"):
                recent = backend.metric(info.name, metric, end - 300, end + 1)
                early = backend.metric(info.name, metric, first, early_end)
                if recent is not None:
                    latest[metric] = (list(recent.values), list(early.values) if early else [], recent.step)
            h = assess(info.name, latest, [a for a in firing if a.service == info.name])
            if h.status == "healthy":  # nothing to explain: keep the answer short
                items.append(ServiceHealthItem(service=h.service, status=h.status, reasons=[],
                                               firing_alerts=h.firing_alerts))
                continue
            items.append(ServiceHealthItem(
                service=h.service, status=h.status, reasons=h.reasons,
                error_rate=_r(h.error_rate, 4), latency_p99_ms=_r(h.latency_p99_ms, 1),
                cpu_percent=_r(h.cpu_percent, 1), memory_percent=_r(h.memory_percent, 1),
                firing_alerts=h.firing_alerts))
        items.sort(key=lambda h: (STATUS_ORDER[h.status], -h.firing_alerts, -(h.error_rate or 0), h.service))
        counts: dict[str, int] = {}
        for h in items:
            counts[h.status] = counts.get(h.status, 0) + 1
        page, meta = paginate(items, limit, cursor)
        return HealthResult(as_of=iso(end), counts=counts, services=page, page=meta)

    return [fetch_active_alerts, get_service_health_summary]

def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
