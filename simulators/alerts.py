"""Alerting rules evaluated over the metric series, Prometheus-style.

An alert fires once its condition has held for the rule's `for` duration and resolves when
the condition stops holding (short gaps are bridged, as `keep_firing_for` would). Firing
times come from the data, never from the fault definition.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from dataclasses import dataclass

from telemetry.records import Alert, MetricSeries

from .profiles import ServiceProfile

Threshold = float | Callable[[ServiceProfile], float]


@dataclass(frozen=True, slots=True)
class AlertRule:
    name: str
    metric: str
    op: str  # ">", ">=", "<", "increase>="
    threshold: Threshold
    for_seconds: float
    severity: str
    summary: str
    window_seconds: float = 0.0  # for increase-style rules

    def threshold_for(self, prof: ServiceProfile) -> float:
        return self.threshold(prof) if callable(self.threshold) else self.threshold


def latency_slo_ms(prof: ServiceProfile) -> float:
    """A p99 objective an SRE would set: about 3x the healthy p99, on a round number."""
    target = prof.healthy_p99_ms * 3.0
    for tier in (25, 50, 100, 150, 250, 400, 500, 750, 1000, 1500, 2000, 3000, 5000):
        if target <= tier:
            return float(tier)
    return 10000.0


RULES: tuple[AlertRule, ...] = (
    AlertRule("ServiceDown", "up", "<=", 0.0, 60, "critical",
              "{service} is down: no instance answers scrapes"),
    AlertRule("InstancesDown", "up", "<", 1.0, 120, "warning",
              "{service}: {value:.0%} of instances reachable"),
    AlertRule("HighErrorRate", "error_rate", ">", 0.10, 120, "critical",
              "{service} error rate {value:.1%} (threshold {threshold:.0%})"),
    AlertRule("ElevatedErrorRate", "error_rate", ">", 0.05, 180, "warning",
              "{service} error rate {value:.1%} (threshold {threshold:.0%})"),
    AlertRule("HighLatencyP99", "latency_p99_ms", ">", latency_slo_ms, 180, "warning",
              "{service} p99 latency {value:.0f}ms above the {threshold:.0f}ms objective"),
    AlertRule("HighCPU", "cpu_percent", ">", 85.0, 180, "warning",
              "{service} CPU at {value:.0f}% of limit"),
    AlertRule("HighMemory", "memory_percent", ">", 90.0, 120, "warning",
              "{service} memory at {value:.0f}% of limit"),
    AlertRule("LongGCPauses", "gc_pause_ms", ">", 200.0, 180, "warning",
              "{service} GC pauses of {value:.0f}ms"),
    AlertRule("PodRestarting", "restarts_total", "increase>=", 1.0, 0, "warning",
              "{service} containers restarted {value:.0f} times in 10m", 600),
    AlertRule("PodCrashLooping", "restarts_total", "increase>=", lambda p: 2.0 * p.replicas + 1, 0,
              "critical", "{service} containers restarted {value:.0f} times in 15m", 900),
    AlertRule("ConnectionPoolSaturated", "pool_ratio", ">=", 0.95, 120, "critical",
              "{service} connection pool {value:.0%} in use"),
    AlertRule("DiskFillingUp", "disk_usage_percent", ">", 85.0, 120, "warning",
              "{service} data volume {value:.0f}% full"),
    AlertRule("DiskFull", "disk_usage_percent", ">", 95.0, 60, "critical",
              "{service} data volume {value:.0f}% full"),
    AlertRule("HighTCPRetransmits", "tcp_retransmits_per_second", ">", 40.0, 180, "warning",
              "{service} retransmitting {value:.0f} TCP segments/s"),
    AlertRule("HighNetworkLatency", "network_rtt_ms", ">", 25.0, 180, "warning",
              "{service} network round trip {value:.0f}ms"),
    AlertRule("ReplicasUnavailable", "replicas_missing", ">", 0.0, 300, "warning",
              "{service} has {value:.0f} replica(s) not ready"),
    AlertRule("HighRequestRate", "request_rate", ">", lambda p: round(p.base_rps * 2.0, 1), 300,
              "warning", "{service} receiving {value:.0f} req/s, above planned {threshold:.0f} req/s"),
)

_MERGE_GAP_SECONDS = 120.0


def evaluate_rules(profiles: list[ServiceProfile], series: dict[tuple[str, str], MetricSeries],
                   end: float) -> list[Alert]:
    alerts: list[Alert] = []
    for prof in profiles:
        derived = _derived_series(prof.name, series)
        for rule in RULES:
            s = derived.get(rule.metric) or series.get((prof.name, rule.metric))
            if s is None:
                continue  # a derived series that cannot breach was never built
            alerts.extend(_evaluate(rule, prof, s, end))
    alerts.sort(key=lambda a: (a.starts_at, a.service, a.name))
    return alerts


def _derived_series(service: str, series: dict[tuple[str, str], MetricSeries]) -> dict[str, MetricSeries]:
    """Ratios the rules need; built only when the raw series show they could matter."""
    out: dict[str, MetricSeries] = {}
    active = series[(service, "connection_pool_active")]
    pool_max = series[(service, "connection_pool_max")]
    if _peak(active.values) >= 0.95 * min(pool_max.values):
        ratio = array("d", [a / m if m else math.nan for a, m in zip(active.values, pool_max.values)])
        out["pool_ratio"] = MetricSeries(service, "pool_ratio", "ratio", active.start, active.step, ratio)
    ready = series[(service, "replicas_ready")]
    desired = series[(service, "replicas_desired")]
    if min(ready.values) < max(desired.values):
        missing = array("d", [d - r for r, d in zip(ready.values, desired.values)])
        out["replicas_missing"] = MetricSeries(service, "replicas_missing", "count", ready.start,
                                               ready.step, missing)
    return out


def _peak(values) -> float:
    total = sum(values)
    if total == total:
        return max(values) if len(values) else 0.0
    return max((v for v in values if v == v), default=0.0)


def _evaluate(rule: AlertRule, prof: ServiceProfile, s: MetricSeries, end: float) -> list[Alert]:
    threshold = rule.threshold_for(prof)
    values = s.values
    n = len(values)
    if rule.op == "increase>=":
        w = max(1, round(rule.window_seconds / s.step))
        if not n or values[-1] == values[0]:
            return []  # a counter that never moved
        first = values[0]
        measured = [values[i] - first for i in range(min(w, n))] + [
            values[i] - values[i - w] for i in range(w, n)]
        cond = bytes([v >= threshold for v in measured])
    else:
        measured = values
        total = sum(values)
        if total == total:  # no gaps: cheap C-level bounds check skips rules that cannot fire
            if rule.op in (">", ">=") and max(values) < threshold:
                return []
            if rule.op in ("<", "<=") and min(values) > threshold:
                return []
        limit = float(threshold)
        breaches = {">": limit.__lt__, ">=": limit.__le__, "<": limit.__gt__, "<=": limit.__ge__}[rule.op]
        cond = bytes(map(breaches, values))  # a gap (NaN) compares false: it never breaches
    need = max(1, math.ceil(rule.for_seconds / s.step) + 1) if rule.for_seconds else 1
    merge = max(1, round(_MERGE_GAP_SECONDS / s.step))
    runs = _runs(cond)
    merged: list[list[int]] = []
    for a, b in runs:
        if merged and a - merged[-1][1] <= merge:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    out: list[Alert] = []
    for a, b in merged:
        if b - a < need:
            continue
        fire = a + need - 1
        firing = b >= n
        last = min(b, n) - 1
        value = measured[last]
        if value != value:  # NaN at the end of a run: report the last real value
            value = next((measured[i] for i in range(last, fire - 1, -1) if measured[i] == measured[i]), 0.0)
        fmt = dict(service=prof.name, value=value, threshold=threshold)
        out.append(Alert(
            name=rule.name,
            service=prof.name,
            severity=rule.severity,
            starts_at=s.start + fire * s.step,
            ends_at=None if firing else s.start + b * s.step,
            summary=rule.summary.format(**fmt),
            description=f"{rule.metric} {rule.op} {threshold:g}"
                        + (f" for {rule.for_seconds:g}s" if rule.for_seconds else ""),
            value=round(value, 4),
            labels={"alertname": rule.name, "service": prof.name, "severity": rule.severity},
            metric=rule.metric, op=rule.op, threshold=threshold,
        ))
    return out


def _runs(cond: bytes) -> list[tuple[int, int]]:
    """[start, end) index pairs of consecutive 1s, found at C speed."""
    runs = []
    pos = 0
    n = len(cond)
    while pos < n:
        a = cond.find(1, pos)
        if a < 0:
            break
        b = cond.find(0, a)
        if b < 0:
            b = n
        runs.append((a, b))
        pos = b
    return runs


def prometheus_rules(profiles: list[ServiceProfile]) -> list[dict]:
    """The rules above as PromQL, one rule per service where the threshold is per service."""
    derived = {
        "pool_ratio": "connection_pool_active / connection_pool_max",
        "replicas_missing": "replicas_desired - replicas_ready",
    }
    out = []
    for rule in RULES:
        metric = derived.get(rule.metric, rule.metric)
        targets = [(p.name, rule.threshold_for(p)) for p in profiles] if callable(rule.threshold) \
            else [(None, rule.threshold_for(profiles[0]))]
        for service, threshold in targets:
            selector = f'{{service="{service}"}}' if service else ""
            if rule.op == "increase>=":
                expr = f"increase({metric}{selector}[{int(rule.window_seconds)}s]) >= {threshold:g}"
            elif selector and " / " in metric:
                a, b = metric.split(" / ")
                expr = f"{a}{selector} / {b}{selector} {rule.op} {threshold:g}"
            else:
                expr = f"{metric}{selector} {rule.op} {threshold:g}"
            labels = {"severity": rule.severity} | ({"service": service} if service else {})
            out.append({"alert": rule.name, "expr": expr, "for_seconds": rule.for_seconds,
                        "labels": labels})
    return out
