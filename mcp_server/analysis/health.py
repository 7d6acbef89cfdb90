"""Current health of a service from its latest metrics and firing alerts."""

from __future__ import annotations

from dataclasses import dataclass

RECENT_SECONDS = 120.0


@dataclass(slots=True)
class Health:
    service: str
    status: str  # healthy | degraded | down | unknown
    reasons: list[str]
    error_rate: float | None
    latency_p99_ms: float | None
    cpu_percent: float | None
    memory_percent: float | None
    firing_alerts: int


def _recent(values, step: float) -> list[float]:
    n = max(1, int(RECENT_SECONDS / step))
    return [v for v in list(values)[-n:] if v == v]


def _median(xs: list[float]) -> float | None:
    if not xs:
        return None
    s = sorted(xs)
    return s[len(s) // 2]


def assess(service: str, latest: dict[str, tuple[list[float], list[float], float]], firing: list) -> Health:
    """`latest` maps metric -> (recent window values, early window values, step)."""
    def recent(metric):
        v = latest.get(metric)
        return _median(_recent(v[0], v[2])) if v else None

    def early(metric):
        v = latest.get(metric)
        return _median([x for x in v[1] if x == x]) if v else None

    reasons: list[str] = []
    up = recent("up")
    err, p99, cpu, mem = recent("error_rate"), recent("latency_p99_ms"), recent("cpu_percent"), recent("memory_percent")
    has_data = any(x is not None for x in (err, p99, cpu, mem))
    critical = [a for a in firing if a.severity == "critical"]
    if up is not None and up <= 0.0:
        status = "down"
        reasons.append("no instance answers scrapes")
    elif not has_data:
        status = "unknown"
        reasons.append(f"no metrics in the last {RECENT_SECONDS / 60:.0f} minutes")
    else:
        status = "healthy"
        if up is not None and up < 1.0:
            reasons.append(f"only {up:.0%} of instances reachable")
        if err is not None and err > 0.05:
            reasons.append(f"error rate {err:.1%}")
        base_p99 = early("latency_p99_ms")
        if p99 is not None and base_p99 and p99 > 2.0 * base_p99:
            reasons.append(f"p99 latency {p99:.0f}ms, {p99 / base_p99:.1f}x earlier")
        if cpu is not None and cpu > 90:
            reasons.append(f"CPU {cpu:.0f}%")
        if mem is not None and mem > 90:
            reasons.append(f"memory {mem:.0f}%")
        if critical:
            reasons.append("critical alerts: " + ", ".join(sorted({a.name for a in critical})))
        if reasons or firing:
            status = "degraded"
        if firing and not critical:
            reasons.append("warning alerts: " + ", ".join(sorted({a.name for a in firing})))
    return Health(service, status, reasons, err, p99, cpu, mem, len(firing))


STATUS_ORDER = {"down": 0, "unknown": 1, "degraded": 2, "healthy": 3}
