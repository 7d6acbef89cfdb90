"""Write telemetry in the formats real backends ingest, so the same incident can be replayed
into Prometheus, Alertmanager, Loki or a trace store, or loaded by the files backend.

    metrics.om            OpenMetrics text (`promtool tsdb create-blocks-from openmetrics`)
    rules.yml             the alerting rules that produced alerts.json, for Prometheus
    alerts.json           Alertmanager v2 postable alerts
    logs.jsonl            one JSON object per log line
    loki-push.json        a Loki /loki/api/v1/push body
    traces.otlp.json      OTLP/JSON ExportTraceServiceRequest
    deployments.json      change history
    topology.json         services and dependencies
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

from telemetry.backend import TelemetryBackend
from telemetry.records import Alert, Deployment, LogRecord, Span
from telemetry.timefmt import iso_ms as iso

from .metrics import METRICS

GENERATOR_URL = "http://prometheus.local:9090/graph"
_COUNTERS = {"restarts_total"}


def export_all(store: TelemetryBackend, out_dir: str | Path, rules: list[dict] | None = None
               ) -> dict[str, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    start, end = store.time_range()
    files = {
        "metrics.om": write_openmetrics(store, out / "metrics.om"),
        "alerts.json": _write_json(out / "alerts.json", [alertmanager_alert(a) for a in store.alerts(start, end)]),
        "logs.jsonl": write_logs_jsonl(store.logs(start, end), out / "logs.jsonl"),
        "loki-push.json": _write_json(out / "loki-push.json", loki_push_body(store.logs(start, end))),
        "traces.otlp.json": _write_json(out / "traces.otlp.json", otlp_traces(store.spans(start, end + 3600))),
        "deployments.json": _write_json(out / "deployments.json",
                                        [deployment_dict(d) for d in store.deployments(0.0, end)]),
        "topology.json": _write_json(out / "topology.json", {
            "start": iso(start), "end": iso(end),
            "services": [{"name": s.name, "kind": s.kind, "depends_on": list(s.depends_on),
                          "replicas": s.replicas} for s in store.services()]}),
    }
    if rules is not None:
        files["rules.yml"] = write_rules(rules, out / "rules.yml")
    return files


def _write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- metrics
def write_openmetrics(store: TelemetryBackend, path: Path) -> Path:
    start, end = store.time_range()
    services = [s.name for s in store.services()]
    with path.open("w", encoding="utf-8") as fh:
        for name in store.metric_names():
            unit, help_text = METRICS.get(name, ("", name))
            family = name[: -len("_total")] if name in _COUNTERS else name
            fh.write(f"# TYPE {family} {'counter' if name in _COUNTERS else 'gauge'}\n")
            fh.write(f"# HELP {family} {help_text} ({unit})\n")
            for service in services:
                series = store.metric(service, name, start, end + 1)
                if series is None:
                    continue
                label = f'{name}{{service="{service}"}} '
                t0, step = series.start, series.step
                fh.writelines(
                    f"{label}{_num(v)} {_ts(t0 + i * step)}\n"
                    for i, v in enumerate(series.values) if not math.isnan(v)
                )
        fh.write("# EOF\n")
    return path


def _num(v: float) -> str:
    return repr(round(v, 6))


def _ts(t: float) -> str:
    return f"{t:.3f}".rstrip("0").rstrip(".")


def write_rules(rules: list[dict], path: Path) -> Path:
    """Prometheus alerting rules, as YAML (written by hand: the structure is fixed and flat)."""
    lines = ["groups:", "  - name: aiops-simulated", "    rules:"]
    for rule in rules:
        lines.append(f"      - alert: {rule['alert']}")
        lines.append(f"        expr: {json.dumps(rule['expr'])}")
        if rule["for_seconds"]:
            lines.append(f"        for: {int(rule['for_seconds'])}s")
        lines.append("        labels:")
        lines.extend(f"          {k}: {v}" for k, v in sorted(rule["labels"].items()))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- alerts
def alertmanager_alert(a: Alert) -> dict:
    body = {
        "labels": dict(a.labels),
        "annotations": {"summary": a.summary, "description": a.description, "value": f"{a.value:g}"},
        "startsAt": iso(a.starts_at),
        "generatorURL": f"{GENERATOR_URL}?alert={a.name}",
    }
    if a.ends_at is not None:
        body["endsAt"] = iso(a.ends_at)
    return body


# ----------------------------------------------------------------------------- logs
def log_dict(rec: LogRecord) -> dict:
    d = {"time": iso(rec.time), "service": rec.service, "level": rec.level, "message": rec.message,
         "instance": rec.instance, "logger": rec.logger}
    if rec.trace_id:
        d["trace_id"] = rec.trace_id
        d["span_id"] = rec.span_id
    if rec.stack:
        d["stack"] = rec.stack
    return d


def write_logs_jsonl(records, path: Path) -> Path:
    dumps = json.dumps
    with path.open("w", encoding="utf-8") as fh:
        fh.writelines(dumps(log_dict(rec), separators=(",", ":")) + "\n" for rec in records)
    return path


def loki_push_body(records) -> dict:
    """Streams keyed by (service, level); trace ids and instance as structured metadata."""
    streams: dict[tuple[str, str], list] = defaultdict(list)
    for rec in records:
        line = rec.message if not rec.stack else rec.stack if rec.stack.startswith(rec.message) else (
            rec.message + "\n" + rec.stack)
        meta = {"instance": rec.instance, "logger": rec.logger}
        if rec.trace_id:
            meta["trace_id"] = rec.trace_id
            meta["span_id"] = rec.span_id or ""
        streams[(rec.service, rec.level.lower())].append([str(int(rec.time * 1e9)), line, meta])
    return {"streams": [{"stream": {"service": s, "level": lvl}, "values": values}
                        for (s, lvl), values in sorted(streams.items())]}


# ----------------------------------------------------------------------------- traces
def _attr(key: str, value) -> dict:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    return {"key": key, "value": {"stringValue": str(value)}}


def otlp_span(s: Span) -> dict:
    start_ns = int(s.start * 1e9)
    span = {
        "traceId": s.trace_id,
        "spanId": s.span_id,
        "name": s.operation,
        "kind": 2 if s.kind == "server" else 3,  # SPAN_KIND_SERVER / SPAN_KIND_CLIENT
        "startTimeUnixNano": str(start_ns),
        "endTimeUnixNano": str(start_ns + int(s.duration_ms * 1e6)),
        "attributes": [_attr(k, v) for k, v in sorted(s.attributes.items())],
        "status": {"code": 2, "message": s.status_message} if s.error else {"code": 1},
    }
    if s.parent_id:
        span["parentSpanId"] = s.parent_id
    return span


def otlp_traces(spans) -> dict:
    by_service: dict[str, list] = defaultdict(list)
    for s in spans:
        by_service[s.service].append(otlp_span(s))
    return {"resourceSpans": [
        {"resource": {"attributes": [_attr("service.name", service)]},
         "scopeSpans": [{"scope": {"name": "aiops-simulator"}, "spans": items}]}
        for service, items in sorted(by_service.items())
    ]}


# ----------------------------------------------------------------------------- changes
def deployment_dict(d: Deployment) -> dict:
    out = {"id": d.id, "service": d.service, "time": iso(d.time), "change_type": d.change_type,
           "version": d.version, "previous_version": d.previous_version, "author": d.author,
           "notes": d.notes, "status": d.status}
    if d.change_type == "config":
        out["config"] = {"key": d.config_key, "old": d.config_old, "new": d.config_new}
    return out
