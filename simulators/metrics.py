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
COUNT_WINDOW_SECONDS = 60.0  # rates are per-second averages over a minute, as rate(x[1m]) gives


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

        requests = [x * re * j for x, re, j in zip(st.load, st.reach, jitter(0.02))]
        errors = [e * j for e, j in zip(st.err, jitter(0.12))]
        if k:
            requests, errors = _counting_noise(requests, errors, table.white(r, n), table.white(r, n))
        replicas = float(prof.replicas)
        desired = [replicas] * n if st.scale is None else [float(round(replicas * x)) for x in st.scale]
        values: dict[str, list[float]] = {
            "up": list(st.up),
            "request_rate": requests,
            "error_rate": [e if e < 1.0 else 1.0 for e in errors],
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
            "replicas_ready": [float(int(want * a + 0.5)) for want, a in zip(desired, st.avail)],
            "replicas_desired": desired,
        }
        has_gaps = any(silent)
        for name, series in values.items():
            if has_gaps and name not in _CONTROL_PLANE:
                series = [NAN if s else v for v, s in zip(series, silent)]
            unit = METRICS[name][0]
            out[(prof.name, name)] = MetricSeries(prof.name, name, unit, tl.start, tl.step, array("d", series))
    return out


def _counting_noise(rates: list[float], errors: list[float], z_rate: list[float], z_err: list[float]
                    ) -> tuple[list[float], list[float]]:
    """Rates are counted over a minute: at a few requests per second, the count of requests and
    of failed ones is itself noisy (Poisson, binomial), which a busy service never shows."""
    sqrt = math.sqrt
    c = 1.0 / sqrt(COUNT_WINDOW_SECONDS)
    least = 1.0 / COUNT_WINDOW_SECONDS  # under one request a minute there is nothing to count
    noisy_rates = [v if (v := x + z * sqrt(x) * c) > 0.0 else 0.0 for x, z in zip(rates, z_rate)]
    noisy_errors = [(v if (v := e + z * sqrt(e * (1.0 - e) / x) * c) > 0.0 else 0.0)
                    if x > least and e < 1.0 else e for x, e, z in zip(rates, errors, z_err)]
    return noisy_rates, noisy_errors
