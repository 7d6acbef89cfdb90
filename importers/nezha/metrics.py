"""The day's metric CSVs as one regular series per (service, metric), on the day's minute grid.

Pod files (`<pod>_metric.csv`) are renamed to the project's metric names where the column is
the same quantity (latency seconds -> `latency_p90_ms`, ...), and otherwise keep their own
name in snake case with the unit as suffix. Pods of one service are aggregated per minute as
`POD_COLUMNS` says (other columns: the mean). OnlineBoutique's per-edge latency files
(`source_50.csv`, `destination_50.csv`) become `edge_latency_p50_ms` series with caller, callee
and reporter labels; `front_service.csv` becomes `entry_*` series of the system's entry service.

An idle minute (the pod served no request) has an empty latency: the series then has
`request_rate` 0 and no latency sample, whereas a minute that was not scraped has neither.
"""

from __future__ import annotations

import csv
import math
import re
from array import array
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from telemetry.records import MetricSeries

from .source import service_of

# dataset column -> (metric name, how the pods of one service combine); units are in HELP
POD_COLUMNS: dict[str, tuple[str, str]] = {
    "CpuUsage(m)": ("cpu_usage_millicores", "sum"),
    "CpuUsageRate(%)": ("cpu_percent", "max"),  # of the pod's CPU limit: saturates at 100 under CPU faults
    "MemoryUsage(Mi)": ("memory_usage_mib", "sum"),
    "MemoryUsageRate(%)": ("memory_percent", "max"),  # of the pod's memory limit
    "SyscallRead": ("syscall_read", "sum"),
    "SyscallWrite": ("syscall_write", "sum"),
    "NetworkReceiveBytes": ("network_receive_bytes", "sum"),
    "NetworkTransmitBytes": ("network_transmit_bytes", "sum"),
    "PodClientLatencyP90(s)": ("client_latency_p90_ms", "weighted"),
    "PodServerLatencyP90(s)": ("latency_p90_ms", "weighted"),
    "PodClientLatencyP95(s)": ("client_latency_p95_ms", "weighted"),
    "PodServerLatencyP95(s)": ("latency_p95_ms", "weighted"),
    "PodClientLatencyP99(s)": ("client_latency_p99_ms", "weighted"),
    "PodServerLatencyP99(s)": ("latency_p99_ms", "weighted"),
    "PodWorkload(Ops)": ("request_rate", "sum"),
    "NodeCpuUsageRate(%)": ("node_cpu_usage_rate_percent", "max"),
    "NodeMemoryUsageRate(%)": ("node_memory_usage_rate_percent", "max"),
    "NodeNetworkReceiveBytes": ("node_network_receive_bytes", "max"),
}
# Never informative: PodSuccessRate(%) is 0 in every row of every pod.
DROPPED_COLUMNS = {"PodSuccessRate(%)"}
_TIME_COLUMNS = {"Time", "TimeStamp", "time", "timestamp", "PodName", "ServiceName"}
_WEIGHT = "request_rate"  # latencies of several pods are averaged weighted by their requests

HELP: dict[str, tuple[str, str]] = {
    "cpu_usage_millicores": ("millicores", "CPU used"),
    "cpu_percent": ("percent", "CPU used, percent of the limit (highest pod)"),
    "memory_usage_mib": ("MiB", "Memory used"),
    "memory_percent": ("percent", "Memory used, percent of the limit (highest pod)"),
    "syscall_read": ("calls", "read system calls"),
    "syscall_write": ("calls", "write system calls"),
    "network_receive_bytes": ("bytes", "Bytes received"),
    "network_transmit_bytes": ("bytes", "Bytes sent"),
    "client_latency_p90_ms": ("ms", "90th percentile latency of the calls this service makes"),
    "client_latency_p95_ms": ("ms", "95th percentile latency of the calls this service makes"),
    "client_latency_p99_ms": ("ms", "99th percentile latency of the calls this service makes"),
    "latency_p90_ms": ("ms", "90th percentile latency of the requests this service serves"),
    "latency_p95_ms": ("ms", "95th percentile latency of the requests this service serves"),
    "latency_p99_ms": ("ms", "99th percentile latency of the requests this service serves"),
    "request_rate": ("req/s", "Requests served per second"),
    "node_cpu_usage_rate_percent": ("percent", "CPU used on the node running the service (busiest node)"),
    "node_memory_usage_rate_percent": ("percent", "Memory used on the node running the service (busiest node)"),
    "node_network_receive_bytes": ("bytes", "Bytes received by the node running the service (busiest node)"),
    "edge_latency_p50_ms": ("ms", "Median latency of the calls from caller to callee, seen by the reporter"),
    "entry_success_rate_percent": ("percent", "Share of the system's incoming requests that succeeded"),
    "entry_latency_p50_ms": ("ms", "Median latency of the system's incoming requests"),
    "entry_latency_p90_ms": ("ms", "90th percentile latency of the system's incoming requests"),
    "entry_latency_p95_ms": ("ms", "95th percentile latency of the system's incoming requests"),
    "entry_latency_p99_ms": ("ms", "99th percentile latency of the system's incoming requests"),
}

_EDGE_FILE = re.compile(r"^(?P<reporter>source|destination)_(?P<percentile>\d+)\.csv$")
_UNIT_SUFFIX = {"m": "millicores", "mi": "mib", "%": "percent", "s": "seconds", "ops": "ops", "ms": "ms"}


def snake_name(column: str) -> tuple[str, str]:
    """(name, unit) for a column the tables do not know: `FooBar(Mi)` -> ("foo_bar_mib", "Mi")."""
    m = re.match(r"^(?P<base>[^(]*)(?:\((?P<unit>[^)]*)\))?$", column.strip())
    base, unit = (m.group("base"), m.group("unit") or "") if m else (column, "")
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", base).lower()
    snake = re.sub(r"[^a-z0-9]+", "_", snake).strip("_")
    suffix = _UNIT_SUFFIX.get(unit.lower(), re.sub(r"[^a-z0-9]+", "_", unit.lower()).strip("_"))
    return (f"{snake}_{suffix}" if suffix else snake), unit


def parse_time(text: str) -> float:
    """`2022-08-22 03:51:19.640328427 +0000 UTC m=+0.146` (Go's time.String) -> epoch seconds.
    The Time column is used rather than TimeStamp, which is corrupt in some files."""
    parts = text.split()
    if len(parts) < 2:
        raise ValueError(text)
    clock, _, fraction = parts[1].partition(".")
    moment = datetime.fromisoformat(f"{parts[0]}T{clock}").replace(tzinfo=UTC)
    offset = 0
    if len(parts) > 2 and re.fullmatch(r"[+-]\d{4}", parts[2]):
        sign = -1 if parts[2][0] == "-" else 1
        offset = sign * (int(parts[2][1:3]) * 3600 + int(parts[2][3:5]) * 60)
    return moment.timestamp() - offset + (float(f"0.{fraction}") if fraction else 0.0)


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        return math.nan
    return value if math.isfinite(value) else math.nan


class MinuteGrid:
    """Minutes of the day at the scrape phase: sample times snap to the nearest one."""

    def __init__(self, phase: int) -> None:
        self.phase = phase

    def index(self, t: float) -> int:
        return round((t - self.phase) / 60.0)

    def time(self, index: int) -> float:
        return index * 60.0 + self.phase


def read_pod_files(metric_dir: Path) -> dict[str, list[tuple[float, dict]]]:
    """Every pod file's rows with their scrape times: pod -> [(time, row)]."""
    return {path.name.removesuffix("_metric.csv"): list(_rows(path))
            for path in sorted(metric_dir.glob("*_metric.csv"))}


def read_metrics(metric_dir: Path, pod_rows: dict[str, list[tuple[float, dict]]], grid: MinuteGrid,
                 services: set[str], entry: str | None) -> dict[tuple[str, str], MetricSeries]:
    """Every series of the day. `services`: the known services (to split `caller_callee`
    columns and to match the front file's service); `entry`: the system's entry service."""
    per_pod = {pod: _pod_values(rows, grid) for pod, rows in pod_rows.items()}
    series = _aggregate(per_pod, grid)
    for path in sorted(metric_dir.glob("*.csv")):
        m = _EDGE_FILE.match(path.name)
        if m:
            series.update(_read_edges(path, grid, services, m.group("reporter"), m.group("percentile")))
    front = metric_dir / "front_service.csv"
    if front.is_file():
        series.update(_read_front(front, grid, services, entry))
    return series


def _rows(path: Path):
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        for number, row in enumerate(reader, 2):
            text = row.get("Time") or row.get("time")
            try:
                yield parse_time(text or ""), row
            except ValueError:
                raise ValueError(f"{path} line {number}: bad time {str(text)[:40]!r}") from None


def _pod_values(rows: list[tuple[float, dict]], grid: MinuteGrid) -> dict[str, dict[int, float]]:
    values: dict[str, dict[int, float]] = defaultdict(dict)
    for t, row in rows:
        k = grid.index(t)
        for column, text in row.items():
            if column in _TIME_COLUMNS or column in DROPPED_COLUMNS or column is None:
                continue
            name = POD_COLUMNS[column][0] if column in POD_COLUMNS else snake_name(column)[0]
            value = _number(text)
            if name.endswith("_ms") and column.endswith("(s)"):
                value *= 1000.0
            values[name][k] = value  # a repeated minute: the later row wins
    return values


def _aggregate(per_pod: dict[str, dict[str, dict[int, float]]], grid: MinuteGrid
               ) -> dict[tuple[str, str], MetricSeries]:
    how = dict(POD_COLUMNS.values())
    pods_of: dict[str, list[str]] = defaultdict(list)
    for pod in per_pod:
        pods_of[service_of(pod)].append(pod)
    out = {}
    for service, pods in pods_of.items():
        names = sorted({name for pod in pods for name in per_pod[pod]})
        for name in names:
            combine = how.get(name, "mean")
            columns = [per_pod[pod].get(name, {}) for pod in pods]
            if len(columns) == 1:
                merged = columns[0]
            else:
                weights = [per_pod[pod].get(_WEIGHT, {}) for pod in pods]
                minutes = sorted({k for column in columns for k in column})
                merged = {k: _combine(combine, [(c[k], w.get(k, 0.0)) for c, w in zip(columns, weights) if k in c])
                          for k in minutes}
            out[(service, name)] = _series(service, name, _unit(name), merged, grid)
    return out


def _unit(name: str) -> str:
    """The unit of a known metric, else the suffix its snake-case name ends with."""
    return HELP[name][0] if name in HELP else name.rsplit("_", 1)[-1] if "_" in name else ""


def _combine(how: str, values: list[tuple[float, float]]) -> float:
    """`values`: (value, requests per second) of each pod scraped that minute; NaN = no value."""
    present = [(v, w) for v, w in values if not math.isnan(v)]
    if not present:
        return math.nan
    if how == "sum":
        return sum(v for v, _ in present)
    if how == "max":
        return max(v for v, _ in present)
    if how == "weighted":
        total = sum(w for _, w in present if not math.isnan(w))
        if total > 0:
            return sum(v * w for v, w in present if not math.isnan(w)) / total
    return sum(v for v, _ in present) / len(present)


def _series(service: str, name: str, unit: str, by_minute: dict[int, float], grid: MinuteGrid) -> MetricSeries:
    first, last = min(by_minute), max(by_minute)
    values = array("d", [math.nan]) * (last - first + 1)
    for k, v in by_minute.items():
        values[k - first] = v
    return MetricSeries(service, name, unit, grid.time(first), 60.0, values)


def split_edge(column: str, services: set[str]) -> tuple[str, str]:
    """`caller_callee` -> (caller, callee), at the underscore that leaves two known services."""
    cuts = [i for i, ch in enumerate(column) if ch == "_"]
    for i in cuts:
        if column[:i] in services and column[i + 1:] in services:
            return column[:i], column[i + 1:]
    i = cuts[0] if cuts else len(column)
    return column[:i], column[i + 1:]


def _read_edges(path: Path, grid: MinuteGrid, services: set[str], reporter: str, percentile: str
                ) -> dict[tuple[str, str], MetricSeries]:
    by_edge: dict[str, dict[int, float]] = defaultdict(dict)
    for t, row in _rows(path):
        for column, text in row.items():
            if column in _TIME_COLUMNS or column is None:
                continue
            value = _number(text)
            if not math.isnan(value):
                by_edge[column][grid.index(t)] = value * 1000.0
    family = f"edge_latency_p{percentile}_ms"
    out = {}
    for column, values in by_edge.items():
        caller, callee = split_edge(column, services)
        service = caller if reporter == "source" else callee
        name = f'{family}{{callee="{callee}",caller="{caller}",reporter="{reporter}"}}'
        out[(service, name)] = _series(service, name, "ms", values, grid)
    return out


def _read_front(path: Path, grid: MinuteGrid, services: set[str], entry: str | None
                ) -> dict[tuple[str, str], MetricSeries]:
    columns: dict[str, dict[int, float]] = defaultdict(dict)
    service = None
    for t, row in _rows(path):
        named = (row.get("ServiceName") or "").lower()
        service = named if named in services else entry
        for column, text in row.items():
            if column in _TIME_COLUMNS or column is None:
                continue
            name, unit = snake_name(column)
            value = _number(text)
            if unit == "s":
                name, value = name.removesuffix("_seconds") + "_ms", value * 1000.0
            columns[f"entry_{name}"][grid.index(t)] = value
    if service is None:
        return {}
    out = {}
    for name, values in columns.items():
        present = [v for v in values.values() if not math.isnan(v)]
        # A success rate of 0 in every minute while requests are timed is not a measurement.
        if not present or (name.startswith("entry_success") and not any(present)):
            continue
        out[(service, name)] = _series(service, name, _unit(name), values, grid)
    return out
