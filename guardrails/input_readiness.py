"""Is there enough telemetry to investigate? Checked before any agent starts working."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: bool
    reason: str


def assess_readiness(status: dict) -> Readiness:
    """`status` is the backend status as reported by the server (get_backend_status)."""
    if not status.get("reachable", False):
        return Readiness(False, f"telemetry backend unreachable: {status.get('detail') or 'no detail'}")
    counts = status.get("counts") or {}
    if counts.get("services", 0) == 0:
        return Readiness(False, "the backend knows no services")
    signal_sources = {k: counts.get(k, 0) for k in ("metric_series", "log_lines", "alerts", "spans")}
    if not any(signal_sources.values()):
        return Readiness(False, "no metrics, logs, alerts or traces to analyse")
    return Readiness(True, "ok: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in signal_sources.items()))
