"""The metrics every simulated service reports: name, unit and help text. Apart from their
generation (`metrics`), so that what a spec would generate can be estimated without it."""

# name -> (unit, help)
METRICS: dict[str, tuple[str, str]] = {
    "up": ("ratio", "Share of instances the scraper reached (1 = all)"),
    "request_rate": ("req/s", "Requests received per second"),
    "error_rate": ("ratio", "Share of requests that failed (5xx or timeout)"),
    "latency_p50_ms": ("ms", "Median request latency seen by callers"),
    "latency_p99_ms": ("ms", "99th percentile request latency seen by callers"),
    "cpu_percent": ("percent", "CPU used, percent of the limit"),
    "memory_percent": ("percent", "Memory used, percent of the limit"),
    "gc_pause_ms": ("ms", "Garbage-collection pause time per collection"),
    "restarts_total": ("count", "Container restarts, cumulative"),
    "connection_pool_active": ("connections", "Connections in use"),
    "connection_pool_max": ("connections", "Connection pool size"),
    "connection_pool_wait_ms": ("ms", "Time requests wait for a pooled connection"),
    "disk_usage_percent": ("percent", "Data volume used, percent"),
    "network_rtt_ms": ("ms", "Network round-trip time to the service's pods"),
    "tcp_retransmits_per_second": ("segments/s", "TCP segments retransmitted per second"),
    "replicas_ready": ("count", "Pods passing readiness checks"),
    "replicas_desired": ("count", "Pods the deployment asks for"),
}
METRIC_NAMES: tuple[str, ...] = tuple(METRICS)
