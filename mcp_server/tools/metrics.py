"""Metrics: summaries with a few points, anomaly detection, and the dependency graph."""

import math
from typing import Annotated, Literal

from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from telemetry.timefmt import iso

from ..analysis.anomalies import Anomaly
from ..analysis.metric_kinds import STATIC_METRICS
from ..state import ServerState
from .common import (DEFAULT_WINDOW_MINUTES, READ_ONLY, Cursor, EndTime, Output, Page, Service, ServiceFilter,
                     Window, WindowMinutes, check_choice, check_service, paginate, time_window, tool, untrusted,
                     up_to, window_model)


class MetricSummary(Output):
    metric: str
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    p95: float | None = None
    last: float | None = None
    baseline: float | None = Field(None, description="median of the first fifth of the window")
    change_pct: float | None = Field(None, description="last vs baseline, percent")
    samples: int | None = None
    missing: int | None = Field(None, description="samples with no data (not scraped)")
    anomaly: str | None = None


class MetricsResult(Output):
    service: str
    window: Window
    summaries: list[MetricSummary]
    steady: list[str] | None = Field(None, description='metrics that changed less than 10% (metric="all")')
    points: list[tuple[str, float | None]] | None = Field(
        None, description="downsampled (time, mean) pairs for a single metric, oldest first")


class AnomalyItem(Output):
    service: str
    metric: str
    direction: Literal["up", "down", "missing"]
    onset: str
    baseline: float | None = None
    current: float | None = None
    change_pct: float | None = None
    zscore: float | None = None
    score: float
    persistent: bool
    detail: untrusted(240) | None = Field(None, description="what moved, where it is not one metric")


class AnomaliesResult(Output):
    window: Window
    anomalies: list[AnomalyItem] = Field(description="highest score first, then earliest onset")
    silent_services: list[str] = Field(description="services whose telemetry stopped in the window")
    page: Page
    hint: str | None = None


class DependencyEdge(Output):
    caller: str
    callee: str


class DependenciesResult(Output):
    service: str | None = None
    kind: str | None = None
    callers: list[str] | None = Field(None, description="services that call it (upstream)")
    callees: list[str] | None = Field(None, description="services it calls (downstream)")
    upstream: list[str] | None = Field(None, description="all transitive callers within depth")
    downstream: list[str] | None = Field(None, description="all transitive callees within depth")
    entry_points: list[str]
    edges: list[DependencyEdge] | None = None
    page: Page | None = None


def _round(v: float | None) -> float | None:
    if v is None or not math.isfinite(v):
        return None
    return round(v, 4) if abs(v) < 100 else round(v, 1)


def tools(state: ServerState) -> list[Tool]:
    @tool(title="Query metrics", annotations=READ_ONLY)
    def query_metrics(
        service: Service,
        metric: Annotated[str, Field(max_length=100, description="a metric name, or all")] = "all",
        window_minutes: WindowMinutes = DEFAULT_WINDOW_MINUTES,
        end_time: EndTime = None,
        max_points: Annotated[int, Field(ge=0, le=500, description="series points")] = 20,
    ) -> MetricsResult:
        """A suspect's metrics: all in brief, or one in detail. Use after detect_anomalies."""
        backend = state.telemetry()
        service = check_service(backend, service, required=True)
        names = list(backend.metric_names())
        if metric != "all":
            check_choice("metric", metric, names + ["all"])
        start, end = time_window(backend, window_minutes, end_time)
        wanted = names if metric == "all" else [metric]
        inv = state.investigation(start, end)
        found = inv.series_of(wanted)  # the series the analysis reads, fetched once for both
        summaries = []
        steady = []
        points = None
        for name in wanted:
            series = found[name].get(service)
            if series is None:
                continue
            values = list(series.values)
            summary = _summary(name, series.unit, values, inv.anomaly(service, name), brief=metric == "all")
            if metric == "all" and name not in STATIC_METRICS and summary.anomaly is None and \
                    abs(summary.change_pct or 0.0) < 10.0:
                steady.append(name)  # nothing to say beyond "steady": keeps the overview short
                continue
            summaries.append(summary)
            if metric != "all" and max_points:
                points = _downsample(values, series.start, series.step, max_points)
        if not summaries and not steady:
            raise ToolError(f"metric: no data for {metric!r} on {service} in this window")
        return MetricsResult(service=service, window=window_model(start, end), summaries=summaries,
                             steady=steady or None, points=points)

    @tool(title="Detect anomalies", annotations=READ_ONLY)
    def detect_anomalies(
        service: ServiceFilter = None,
        metric: Annotated[str | None, Field(max_length=100, description="only this metric")] = None,
        window_minutes: WindowMinutes = DEFAULT_WINDOW_MINUTES,
        end_time: EndTime = None,
        min_score: Annotated[float, Field(ge=0.0, le=1.0, description="0-1")] = 0.3,
        limit: up_to(200) = 12,
        cursor: Cursor = None,
    ) -> AnomaliesResult:
        """What changed and when: metric anomalies with onsets, and silent services. The earliest
        onset points at the cause."""
        backend = state.telemetry()
        service = check_service(backend, service)
        if metric is not None:
            check_choice("metric", metric, list(backend.metric_names()))
        start, end = time_window(backend, window_minutes, end_time)
        found = state.investigation(start, end).anomalies
        items = []
        silent = []
        for name, anomalies in found.items():
            if service and name != service:
                continue
            for a in anomalies:
                if a.direction == "missing":
                    silent.append(name)
                    if metric is not None:
                        continue
                elif (metric is not None and a.metric != metric) or a.score < min_score:
                    continue
                items.append(AnomalyItem(
                    service=name, metric="*" if a.direction == "missing" else a.metric, direction=a.direction,
                    onset=iso(a.onset), baseline=_round(a.baseline), current=_round(a.current),
                    change_pct=a.change_pct, zscore=_round(a.zscore), score=a.score, persistent=a.persistent,
                    detail=a.detail or None))
        items.sort(key=lambda x: (-x.score, x.onset, x.service, x.metric))
        page, meta = paginate(items, limit, cursor)
        return AnomaliesResult(
            window=window_model(start, end), anomalies=page, silent_services=sorted(set(silent)), page=meta,
            hint=None if items else "Nothing anomalous above min_score. Lower min_score or widen window_minutes.",
        )

    @tool(title="Service dependencies", annotations=READ_ONLY)
    def get_service_dependencies(
        service: ServiceFilter = None,
        depth: Annotated[int, Field(ge=1, le=10, description="hops")] = 2,
        limit: up_to(1000) = 60,
        cursor: Cursor = None,
    ) -> DependenciesResult:
        """Who calls whom: failures travel to callers, load to callees."""
        backend = state.telemetry()
        service = check_service(backend, service)
        infos = {s.name: s for s in backend.services()}
        callers: dict[str, list[str]] = {n: [] for n in infos}
        for s in infos.values():
            for d in s.depends_on:
                callers.setdefault(d, []).append(s.name)
        entries = sorted(n for n, c in callers.items() if not c)
        if service is None:
            edges = [DependencyEdge(caller=s.name, callee=d) for s in infos.values() for d in s.depends_on]
            page, meta = paginate(edges, limit, cursor)
            return DependenciesResult(entry_points=entries, edges=page, page=meta)
        info = infos[service]
        return DependenciesResult(
            service=service, kind=info.kind, callers=sorted(callers[service]), callees=list(info.depends_on),
            upstream=_walk(service, lambda n: callers.get(n, []), depth),
            downstream=_walk(service, lambda n: infos[n].depends_on if n in infos else (), depth),
            entry_points=entries)

    return [query_metrics, detect_anomalies, get_service_dependencies]

def _walk(start: str, neighbours, depth: int) -> list[str]:
    seen: dict[str, int] = {}
    frontier = [start]
    for level in range(1, depth + 1):
        nxt = []
        for node in frontier:
            for other in neighbours(node):
                if other != start and other not in seen:
                    seen[other] = level
                    nxt.append(other)
        frontier = nxt
    return sorted(seen, key=lambda n: (seen[n], n))


def _summary(name, unit, values, a: Anomaly | None, brief: bool = False) -> MetricSummary:
    real = [v for v in values if v == v]
    missing = len(values) - len(real)
    if not real:
        return MetricSummary(metric=name, unit=unit, samples=len(values), missing=missing,
                             anomaly="no data in the window" if values else None)
    ordered = sorted(real)
    head = sorted(real[: max(1, len(real) // 5)])
    baseline = head[len(head) // 2]
    last = real[-1]
    change = None if not baseline else round(100.0 * (last - baseline) / abs(baseline), 1)
    note = None
    if a is not None:
        note = ("telemetry missing since " + iso(a.onset)) if a.direction == "missing" else (
            f"{a.direction} since {iso(a.onset)} (score {a.score})")
    if brief:  # one line per metric when all of them are asked for
        return MetricSummary(metric=name, last=_round(last), baseline=_round(baseline), change_pct=change,
                             anomaly=note)
    return MetricSummary(
        metric=name, unit=unit, min=_round(ordered[0]), max=_round(ordered[-1]),
        mean=_round(sum(real) / len(real)), p95=_round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]),
        last=_round(last), baseline=_round(baseline), change_pct=change, samples=len(values), missing=missing,
        anomaly=note)


def _downsample(values, start, step, max_points) -> list[tuple[str, float | None]]:
    n = len(values)
    k = max(1, math.ceil(n / max_points))
    out = []
    for i in range(0, n, k):
        chunk = [v for v in values[i:i + k] if v == v]
        out.append((iso(start + i * step), _round(sum(chunk) / len(chunk)) if chunk else None))
    return out
