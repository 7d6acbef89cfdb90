"""One row of a day's `trace/HH_MM_trace.csv` as a span: ids, parent (`root` for none), the
pod's service, operation, start and duration. The data has no span kinds and no status
codes: none are invented (the spans are written with OTLP's "unspecified" kind and no
status)."""

from __future__ import annotations

from telemetry.records import Span

from .source import service_of


def span(trace_id: str, span_id: str, parent_id: str, pod: str, operation: str, start_ns: str, end_ns: str
         ) -> Span:
    start, end = int(start_ns), int(end_ns)
    if end < start:
        raise ValueError("ends before it starts")
    return Span(trace_id, span_id, None if parent_id in ("", "root") else parent_id, service_of(pod), operation,
                "server", start / 1e9, (end - start) / 1e6, False, attributes={"k8s.pod.name": pod})
