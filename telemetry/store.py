"""An indexed, in-memory telemetry store that implements `TelemetryBackend`.

The simulator fills one; the files backend loads exported files into one. Indexes are built
once so that a window query on a million log lines costs a bisect and a slice.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from math import ceil, floor
from operator import attrgetter

from .backend import BackendStatus
from .records import Alert, Deployment, LogRecord, MetricSeries, ServiceInfo, Span


class _TimeIndexed:
    """Records sorted by time with a parallel array of times for bisecting."""

    __slots__ = ("records", "times")

    def __init__(self, records: list, times: array) -> None:
        self.records = records
        self.times = times

    def window(self, start: float, end: float) -> list:
        lo = bisect_left(self.times, start)
        hi = bisect_left(self.times, end, lo)
        return self.records[lo:hi]


def _index(records: list, key) -> _TimeIndexed:
    records.sort(key=key)
    return _TimeIndexed(records, array("d", map(key, records)))


_log_time = attrgetter("time")
_log_service = attrgetter("service")
_span_start = attrgetter("start")
_span_service = attrgetter("service")
_deploy_time = attrgetter("time")


@dataclass
class TelemetryStore:
    name: str
    service_infos: list[ServiceInfo]
    start: float
    end: float
    log_records: list[LogRecord] = field(default_factory=list)
    series: dict[tuple[str, str], MetricSeries] = field(default_factory=dict)
    span_records: list[Span] = field(default_factory=list)
    alert_records: list[Alert] = field(default_factory=list)
    deployment_records: list[Deployment] = field(default_factory=list)
    # The same system working normally (the files layout's `reference/`), if known.
    reference_store: TelemetryStore | None = None

    def __post_init__(self) -> None:
        self._logs = _index(self.log_records, _log_time)
        self._spans = _index(self.span_records, _span_start)
        self.deployment_records.sort(key=_deploy_time)
        self._logs_by_service: dict[str, _TimeIndexed] | None = None
        # Log times per (service, level), so that counting a bucket is two bisections.
        self._log_times: dict[tuple[str, str], array] = {}
        for r in self._logs.records:
            self._log_times.setdefault((r.service, r.level), array("d")).append(r.time)
        self._spans_by_service: dict[str, _TimeIndexed] | None = None
        self._traces: dict[str, list[Span]] | None = None
        self._metric_names = sorted({name for _, name in self.series})

    # -- TelemetryBackend -------------------------------------------------------------
    def services(self) -> Sequence[ServiceInfo]:
        return self.service_infos

    def time_range(self) -> tuple[float, float]:
        return self.start, self.end

    def alerts(self, start: float, end: float) -> Sequence[Alert]:
        return [
            a for a in self.alert_records
            if a.starts_at < end and (a.ends_at is None or a.ends_at > start)
        ]

    def logs(self, start: float, end: float, service: str | None = None, *,
             levels: Collection[str] | None = None, contains: str | None = None, trace_id: str | None = None,
             limit: int | None = None) -> Sequence[LogRecord]:
        if service is None:
            records = self._logs.window(start, end)
        else:
            if self._logs_by_service is None:
                self._logs_by_service = _group(self._logs.records, _log_service, _log_time)
            index = self._logs_by_service.get(service)
            records = index.window(start, end) if index else []
        if levels is None and contains is None and trace_id is None:
            return records if limit is None else records[max(0, len(records) - limit):]
        wanted = set(levels) if levels is not None else None
        needle = contains.lower() if contains else None
        matched = []
        for r in reversed(records):  # newest first, so that a limit stops the scan early
            if ((wanted is None or r.level in wanted) and (trace_id is None or r.trace_id == trace_id)
                    and (needle is None or needle in r.message.lower())):
                matched.append(r)
                if limit is not None and len(matched) >= limit:
                    break
        matched.reverse()
        return matched

    def log_counts(self, start: float, end: float, step: float,
                   service: str | None = None) -> dict[tuple[str, str], list[int]]:
        n = max(1, ceil((end - start) / step - 1e-9))
        edges = [start + i * step for i in range(n)] + [end]
        counts = {}
        for key, times in self._log_times.items():
            if service is not None and key[0] != service:
                continue
            at = [bisect_left(times, t) for t in edges]
            if at[-1] > at[0]:
                counts[key] = [hi - lo for lo, hi in zip(at, at[1:])]
        return counts

    def metric_names(self) -> Sequence[str]:
        return self._metric_names

    def metric(self, service: str, name: str, start: float, end: float) -> MetricSeries | None:
        full = self.series.get((service, name))
        if full is None:
            return None
        n = len(full.values)
        lo = max(0, ceil((start - full.start) / full.step - 1e-9))
        hi = min(n, floor((end - full.start) / full.step - 1e-9) + 1)
        if hi <= lo:
            return MetricSeries(service, name, full.unit, full.start + lo * full.step, full.step, array("d"))
        return MetricSeries(
            service, name, full.unit, full.start + lo * full.step, full.step, full.values[lo:hi]
        )

    def metrics_by_service(self, names: Sequence[str], start: float, end: float
                           ) -> dict[str, dict[str, MetricSeries]]:
        return {name: {info.name: series for info in self.service_infos
                       if (series := self.metric(info.name, name, start, end)) is not None}
                for name in names}

    def spans(self, start: float, end: float, service: str | None = None, *,
              limit_traces: int | None = None) -> Sequence[Span]:
        spans = self._spans.window(start, end)
        if service is None and limit_traces is None:
            return spans
        # Whole traces; "newest" by each trace's first span (spans come sorted by start).
        first: dict[str, float] = {}
        touching: set[str] = set()
        for s in spans:
            first.setdefault(s.trace_id, s.start)
            if s.service == service:
                touching.add(s.trace_id)
        chosen = touching if service is not None else set(first)
        if limit_traces is not None and len(chosen) > limit_traces:
            chosen = set(sorted(chosen, key=lambda t: (first[t], t))[-limit_traces:])
        return [s for s in spans if s.trace_id in chosen]

    def trace(self, trace_id: str) -> Sequence[Span]:
        if self._traces is None:
            traces: dict[str, list[Span]] = {}
            for span in self._spans.records:
                traces.setdefault(span.trace_id, []).append(span)
            self._traces = traces
        return self._traces.get(trace_id, [])

    def deployments(self, start: float, end: float) -> Sequence[Deployment]:
        return [d for d in self.deployment_records if start <= d.time < end]

    def reference(self, start: float, end: float) -> tuple[TelemetryStore, float, float] | None:
        ref = self.reference_store
        if ref is None or ref.start >= end:
            return None
        return ref, ref.start, min(ref.end, end)

    def status(self) -> BackendStatus:
        return BackendStatus(
            backend=self.name,
            reachable=True,
            start=self.start,
            end=self.end,
            counts={
                "services": len(self.service_infos),
                "log_lines": len(self.log_records),
                "metric_series": len(self.series),
                "spans": len(self.span_records),
                "alerts": len(self.alert_records),
                "deployments": len(self.deployment_records),
            },
        )


def _group(records: list, service_key, time_key) -> dict[str, _TimeIndexed]:
    buckets: dict[str, list] = {}
    for record in records:  # already time-sorted, so each bucket is too
        buckets.setdefault(service_key(record), []).append(record)
    return {
        service: _TimeIndexed(items, array("d", map(time_key, items)))
        for service, items in buckets.items()
    }


