"""Metric series per service, read off the simulated timeline with measurement noise.

Series exist for every service (a pool or disk series on every service, not only where a
fault is), so the mere presence of a series never hints at the answer.
"""

from __future__ import annotations

import math
from array import array

from telemetry.records import MetricSeries

from . import rng as rngmod
from .metric_catalogue import METRICS
from .state import Timeline

NAN = math.nan

# Reported by the orchestrator, not scraped from the pods, so they survive a silent service.
_CONTROL_PLANE = ("up", "replicas_ready", "replicas_desired", "restarts_total")


def build_metrics(tl: Timeline, seed: int, table: rngmod.NoiseTable, noise_level: float
                  ) -> dict[tuple[str, str], MetricSeries]:
    out: dict[tuple[str, str], MetricSeries] = {}
    n = tl.n
    k = noise_level / 0.03 if noise_level > 0 else 0.0  # 1.0 at the default noise level
    for st, prof in zip(tl.states, tl.profiles):
        r = rngmod.child(seed, "metrics", prof.name)
        silent = st.silent

        def jitter(scale: float, r=r) -> list[float]:
            return table.factors(r, n, scale * k)

        values: dict[str, list[float]] = {
            "up": list(st.up),
            "request_rate": [x * re * j for x, re, j in zip(st.load, st.reach, jitter(0.02))],
            "error_rate": [e * j if e * j < 1.0 else 1.0 for e, j in zip(st.err, jitter(0.12))],
            "latency_p50_ms": [x * j for x, j in zip(st.lat50, jitter(0.04))],
            "latency_p99_ms": [x * j for x, j in zip(st.lat99, jitter(0.07))],
            "cpu_percent": [c * j if c * j < 100.0 else 100.0 for c, j in zip(st.cpu, jitter(0.02))],
            "memory_percent": [m if m < 100.0 else 100.0 for m in st.memory],
            "gc_pause_ms": list(st.gc),
            "restarts_total": list(st.restarts),
            "connection_pool_active": [float(int(a + 0.5)) for a in st.pool_active],
            "connection_pool_max": [float(prof.pool_max)] * n,
            "connection_pool_wait_ms": [w * j for w, j in zip(st.pool_wait, jitter(0.1))],
            "disk_usage_percent": [d if d < 100.0 else 100.0 for d in st.disk],
            "network_rtt_ms": list(st.rtt),
            "tcp_retransmits_per_second": list(st.retrans),
            "replicas_ready": [float(int(prof.replicas * a + 0.5)) for a in st.avail],
            "replicas_desired": [float(prof.replicas)] * n,
        }
        has_gaps = any(silent)
        for name, series in values.items():
            if has_gaps and name not in _CONTROL_PLANE:
                series = [NAN if s else v for v, s in zip(series, silent)]
            unit = METRICS[name][0]
            out[(prof.name, name)] = MetricSeries(prof.name, name, unit, tl.start, tl.step, array("d", series))
    return out
