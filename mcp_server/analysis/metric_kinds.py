"""What each metric means for an investigation: which direction is bad, how much change is
noise, and which family of failure it belongs to.

Meanings come from the metric's name, by rules that cover the project's own names and the
conventions real stacks use (latency percentiles in any unit suffix, client-side latency,
node-level resources, byte and syscall counters...). Names nothing matches get a neutral kind:
their movements are reported, but they weigh little in a diagnosis.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MetricKind:
    bad_direction: str  # "up", "down" or "both"
    abs_floor: float  # smallest change that can matter, in the metric's unit
    rel_floor: float  # smallest relative change that can matter
    # errors | latency | dependency_latency | saturation | traffic | availability | network |
    # restarts | flow (a code path that stopped) | code (requests that left their path) | node | other
    family: str
    weight: float  # how strongly a breach of this metric points at a failing service
    min_level: float | None = None  # a rise that stays below this is not a failure (e.g. CPU)


LATENCY = MetricKind("up", 20.0, 0.4, "latency", 0.7)
LATENCY_SECONDS = MetricKind("up", 0.02, 0.4, "latency", 0.7)

KINDS: dict[str, MetricKind] = {
    # Below a couple of percentage points, error-rate movements are routine noise.
    "error_rate": MetricKind("up", 0.04, 0.5, "errors", 1.0),
    "latency_p50_ms": MetricKind("up", 10.0, 0.5, "latency", 0.8),
    "latency_p99_ms": LATENCY,
    # Saturation is a level: CPU rising from 40% to 60% is traffic, not a failure.
    "cpu_percent": MetricKind("up", 12.0, 0.2, "saturation", 0.8, min_level=75.0),
    "memory_percent": MetricKind("up", 8.0, 0.12, "saturation", 0.8),
    "gc_pause_ms": MetricKind("up", 30.0, 1.0, "saturation", 0.6),
    "connection_pool_active": MetricKind("up", 5.0, 0.3, "saturation", 0.5),
    "connection_pool_wait_ms": MetricKind("up", 20.0, 2.0, "saturation", 0.7),
    "disk_usage_percent": MetricKind("up", 6.0, 0.08, "saturation", 0.8),
    "network_rtt_ms": MetricKind("up", 10.0, 2.0, "network", 0.9),
    "tcp_retransmits_per_second": MetricKind("up", 15.0, 3.0, "network", 0.9),
    # Time between services on their calls (see analysis.edges): at least doubled, 20 ms more.
    "call_gap_ms": MetricKind("up", 20.0, 1.0, "network", 0.9),
    "restarts_total": MetricKind("up", 1.0, 0.0, "restarts", 0.9),
    "request_rate": MetricKind("both", 1.0, 0.3, "traffic", 0.3),
    "up": MetricKind("down", 0.1, 0.1, "availability", 1.0),
    "replicas_ready": MetricKind("down", 0.9, 0.1, "availability", 0.7),
    # Error log lines per minute, derived from logs rather than scraped.
    "log_errors": MetricKind("up", 3.0, 1.0, "errors", 0.6),
    # From logs over time (see analysis.log_signals): error lines per minute, at least doubled;
    # one log statement's lines per minute, fallen by four fifths or more.
    "error_log_rate": MetricKind("up", 3.0, 1.0, "errors", 0.8),
    "log_statement_rate": MetricKind("down", 2.0, 0.8, "flow", 0.8),
    # The share of one kind of request that left the path it takes in normal operation (see
    # analysis.request_paths): found by a significance test, so any change counts.
    "requests_off_path": MetricKind("up", 0.0, 0.0, "code", 0.9),
}

# Name rules, first match wins: (pattern, kind).
RULES: tuple[tuple[str, MetricKind], ...] = (
    # Calls the service makes: they slow down when a dependency does, so they point downstream.
    (r"^(client|outbound|upstream)_latency_p\d+_ms$", MetricKind("up", 20.0, 0.5, "dependency_latency", 0.3)),
    (r"^(entry_)?latency_p\d+_ms$", LATENCY),
    (r"(^|_)latency(_p\d+)?_seconds$|(^|_)duration_(p\d+_)?seconds$", LATENCY_SECONDS),
    (r"(^|_)duration_(p\d+_)?ms$", LATENCY),
    (r"^node_.*", MetricKind("up", 10.0, 0.3, "node", 0.2)),  # shared by every pod on the node
    (r"_success_rate_percent$", MetricKind("down", 2.0, 0.02, "errors", 0.9)),
    (r"_(millicores|cores)$", MetricKind("up", 50.0, 0.5, "other", 0.2)),
    (r"_(mib|bytes)$", MetricKind("both", 0.0, 0.5, "other", 0.1)),
)
DEFAULT_KIND = MetricKind("both", 0.0, 0.3, "other", 0.3)

# Metrics that describe capacity or configuration rather than behaviour.
STATIC_METRICS = frozenset({"connection_pool_max", "replicas_desired"})

# Service-level objectives used when a backend has no alert rules of its own.
# Levels that are an incident by themselves, even without a visible change inside the window
# (the failure began before it). Set well above what a merely noisy service shows.
SLI_BREACH = {
    "error_rate": 0.15,
    "cpu_percent": 95.0,
    "memory_percent": 95.0,
    "disk_usage_percent": 95.0,
}

# Resources that fill up over time (a leak, growing data) rather than with the load of the
# moment: at the pace they fill, they run out at a predictable time.
FILLING = frozenset({"memory_percent", "disk_usage_percent"})


@functools.lru_cache(maxsize=4096)
def kind_of(metric: str) -> MetricKind:
    known = KINDS.get(metric)
    if known is not None:
        return known
    base = metric.split("{", 1)[0]  # a series name may carry extra labels
    for pattern, kind in RULES:
        if re.search(pattern, base):
            return kind
    return DEFAULT_KIND
