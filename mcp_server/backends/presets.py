"""PromQL templates for the metrics the analysis reads, per metric-naming convention.

A template answers one analysis metric for every service at once; its result carries the
label that names the service. Placeholders (`string.Template`):

    $service    the label naming the service in the result (`sum by ($service) (...)`)
    $selector   label matchers picking the services: `service=~".+"` or `service="checkout"`,
                plus any configured extra matchers; goes inside every selector's braces
    $window     the rate window (`[$window]`), from the configuration

`needs` lists the raw metric names a template reads: with the `auto` preset, the first preset
whose needs all exist in Prometheus answers the metric. A template with its own `label`
matches services by that label (cAdvisor's `container`, kube-state-metrics' `deployment`),
whatever the configured service label.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Template

# The analysis's metric vocabulary (the names `aiops-mcp export` writes) and their units.
METRIC_UNITS: dict[str, str] = {
    "up": "ratio",
    "request_rate": "req/s",
    "error_rate": "ratio",
    "latency_p50_ms": "ms",
    "latency_p99_ms": "ms",
    "cpu_percent": "percent",
    "memory_percent": "percent",
    "gc_pause_ms": "ms",
    "restarts_total": "count",
    "connection_pool_active": "connections",
    "connection_pool_max": "connections",
    "connection_pool_wait_ms": "ms",
    "disk_usage_percent": "percent",
    "network_rtt_ms": "ms",
    "tcp_retransmits_per_second": "segments/s",
    "replicas_ready": "count",
    "replicas_desired": "count",
}


@dataclass(frozen=True)
class MetricTemplate:
    query: str
    needs: tuple[str, ...] = ()
    label: str | None = None  # None: the configured service label

    def render(self, service_label: str, selector: str, window: str) -> str:
        return Template(self.query).substitute(service=self.label or service_label, selector=selector,
                                               window=window)


def _ratio_of_5xx(counter: str, status_label: str) -> str:
    """Failed share of requests; a service with no failed request at all answers 0, not nothing."""
    total = f"sum by ($service) (rate({counter}{{$selector}}[$window]))"
    failed = f'sum by ($service) (rate({counter}{{{status_label}=~"5..", $selector}}[$window]))'
    return f"({failed} or {total} * 0) / {total}"


def _quantile_ms(q: float, buckets: str) -> str:
    return f"1000 * histogram_quantile({q}, sum by ($service, le) (rate({buckets}{{$selector}}[$window])))"


def _mean_ms(histogram: str) -> str:
    return (f"1000 * sum by ($service) (rate({histogram}_sum{{$selector}}[$window])) "
            f"/ sum by ($service) (rate({histogram}_count{{$selector}}[$window]))")


def _own_export() -> dict[str, MetricTemplate]:
    return {name: MetricTemplate(f"max by ($service) ({name}{{$selector}})", (name,)) for name in METRIC_UNITS}


_OTEL_HTTP = "http_server_request_duration_seconds"
_OTEL_POOL = "db_client_connection_count"
_PROM_HTTP = "http_requests_total"
_PROM_LATENCY = "http_request_duration_seconds"
_LIMITS = "kube_pod_container_resource_limits"
_REAL_CONTAINERS = 'container!="", container!="POD"'
_REAL_FILESYSTEMS = 'fstype!~"tmpfs|overlay|squashfs|nsfs"'

PRESETS: dict[str, dict[str, MetricTemplate]] = {
    # `aiops-mcp export`: one gauge per analysis metric with a `service` label.
    "aiops": _own_export(),
    # OpenTelemetry semantic conventions, as the Collector's Prometheus exporters name them.
    "otel": {
        "request_rate": MetricTemplate(f"sum by ($service) (rate({_OTEL_HTTP}_count{{$selector}}[$window]))",
                                       (f"{_OTEL_HTTP}_count",)),
        "error_rate": MetricTemplate(_ratio_of_5xx(f"{_OTEL_HTTP}_count", "http_response_status_code"),
                                     (f"{_OTEL_HTTP}_count",)),
        "latency_p50_ms": MetricTemplate(_quantile_ms(0.5, f"{_OTEL_HTTP}_bucket"), (f"{_OTEL_HTTP}_bucket",)),
        "latency_p99_ms": MetricTemplate(_quantile_ms(0.99, f"{_OTEL_HTTP}_bucket"), (f"{_OTEL_HTTP}_bucket",)),
        "gc_pause_ms": MetricTemplate(_mean_ms("jvm_gc_duration_seconds"), ("jvm_gc_duration_seconds_count",)),
        "connection_pool_active": MetricTemplate(
            f'sum by ($service) ({_OTEL_POOL}{{db_client_connection_state="used", $selector}})', (_OTEL_POOL,)),
        "connection_pool_max": MetricTemplate("sum by ($service) (db_client_connection_max{$selector})",
                                              ("db_client_connection_max",)),
        "connection_pool_wait_ms": MetricTemplate(_mean_ms("db_client_connection_wait_time_seconds"),
                                                  ("db_client_connection_wait_time_seconds_count",)),
    },
    # Prometheus client libraries (promhttp's `code` label) and the scrape's own `up`.
    "prometheus": {
        "up": MetricTemplate("avg by ($service) (up{$selector})", ("up",)),
        "request_rate": MetricTemplate(f"sum by ($service) (rate({_PROM_HTTP}{{$selector}}[$window]))", (_PROM_HTTP,)),
        "error_rate": MetricTemplate(_ratio_of_5xx(_PROM_HTTP, "code"), (_PROM_HTTP,)),
        "latency_p50_ms": MetricTemplate(_quantile_ms(0.5, f"{_PROM_LATENCY}_bucket"), (f"{_PROM_LATENCY}_bucket",)),
        "latency_p99_ms": MetricTemplate(_quantile_ms(0.99, f"{_PROM_LATENCY}_bucket"), (f"{_PROM_LATENCY}_bucket",)),
        "gc_pause_ms": MetricTemplate('1000 * max by ($service) (go_gc_duration_seconds{quantile="1", $selector})',
                                      ("go_gc_duration_seconds",)),
    },
    # cAdvisor usage over kube-state-metrics limits, per container name.
    "cadvisor": {
        "cpu_percent": MetricTemplate(
            f"100 * sum by ($service) (rate(container_cpu_usage_seconds_total{{{_REAL_CONTAINERS}, $selector}}"
            f'[$window])) / sum by ($service) ({_LIMITS}{{resource="cpu", $selector}})',
            ("container_cpu_usage_seconds_total", _LIMITS), label="container"),
        "memory_percent": MetricTemplate(
            f"100 * sum by ($service) (container_memory_working_set_bytes{{{_REAL_CONTAINERS}, $selector}})"
            f' / sum by ($service) ({_LIMITS}{{resource="memory", $selector}})',
            ("container_memory_working_set_bytes", _LIMITS), label="container"),
    },
    "kube-state-metrics": {
        "restarts_total": MetricTemplate("sum by ($service) (kube_pod_container_status_restarts_total{$selector})",
                                         ("kube_pod_container_status_restarts_total",), label="container"),
        "replicas_ready": MetricTemplate("sum by ($service) (kube_deployment_status_replicas_available{$selector})",
                                         ("kube_deployment_status_replicas_available",), label="deployment"),
        "replicas_desired": MetricTemplate("sum by ($service) (kube_deployment_spec_replicas{$selector})",
                                           ("kube_deployment_spec_replicas",), label="deployment"),
    },
    # node-exporter, for services that own their hosts (the service label on the node's series).
    "node-exporter": {
        "cpu_percent": MetricTemplate(
            '100 * (1 - avg by ($service) (rate(node_cpu_seconds_total{mode="idle", $selector}[$window])))',
            ("node_cpu_seconds_total",)),
        "memory_percent": MetricTemplate(
            "100 * (1 - sum by ($service) (node_memory_MemAvailable_bytes{$selector})"
            " / sum by ($service) (node_memory_MemTotal_bytes{$selector}))",
            ("node_memory_MemAvailable_bytes", "node_memory_MemTotal_bytes")),
        "disk_usage_percent": MetricTemplate(
            f"100 * max by ($service) (1 - node_filesystem_avail_bytes{{{_REAL_FILESYSTEMS}, $selector}}"
            f" / node_filesystem_size_bytes{{{_REAL_FILESYSTEMS}, $selector}})",
            ("node_filesystem_avail_bytes", "node_filesystem_size_bytes")),
        "tcp_retransmits_per_second": MetricTemplate(
            "sum by ($service) (rate(node_netstat_Tcp_RetransSegs{$selector}[$window]))",
            ("node_netstat_Tcp_RetransSegs",)),
    },
}
AUTO = "auto"  # every preset, in the order above, each metric from the first whose series exist


def candidates(presets: tuple[str, ...]) -> dict[str, list[MetricTemplate]]:
    """Per analysis metric, the templates the chosen presets offer, first choice first."""
    names = list(PRESETS) if AUTO in presets else list(presets)
    out: dict[str, list[MetricTemplate]] = {}
    for preset in names:
        for metric, template in PRESETS[preset].items():
            out.setdefault(metric, []).append(template)
    return out


def check_template(query: str) -> str | None:
    """Why `query` is not a usable template, or None."""
    try:
        Template(query).substitute(service="service", selector='service=~".+"', window="5m")
    except KeyError as exc:
        return f"unknown placeholder ${exc.args[0]} (use $service, $selector, $window)"
    except ValueError as exc:
        return f"bad placeholder ({exc})"
    return None
