"""`alerts.json`: Alertmanager v2 alerts (the body of `POST /api/v2/alerts`), and `rules.yml`,
the Prometheus rules that would fire them.

What a rule compared travels as the annotations `metric`, `op` and `threshold`, so that a
reader never has to parse the human-readable description.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from telemetry.records import Alert
from telemetry.timefmt import iso_ms as iso

from .files import LayoutError, expect, parse_time, read_json

GENERATOR_URL = "http://prometheus.local:9090/graph"


def alertmanager_alert(a: Alert) -> dict:
    annotations = {"summary": a.summary, "description": a.description, "value": f"{a.value:g}"}
    if a.metric is not None:
        annotations["metric"] = a.metric
    if a.op is not None:
        annotations["op"] = a.op
    if a.threshold is not None:
        annotations["threshold"] = repr(float(a.threshold))
    body = {
        "labels": dict(a.labels),
        "annotations": annotations,
        "startsAt": iso(a.starts_at),
        "generatorURL": f"{GENERATOR_URL}?alert={a.name}",
    }
    if a.ends_at is not None:
        body["endsAt"] = iso(a.ends_at)
    return body


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


def read_alerts(path: Path, now: float | None = None) -> list[Alert]:
    """Alerts that had started by `now`; one that ended after `now` is still firing then."""
    body = read_json(path)
    expect(isinstance(body, list), path.name, "expected a JSON list of alerts")
    alerts = []
    for i, item in enumerate(body):
        where = f"{path.name} alert {i}"
        expect(isinstance(item, dict), where, "not an object")
        labels = item.get("labels") or {}
        notes = item.get("annotations") or {}
        expect(isinstance(labels, dict) and isinstance(notes, dict), where, "labels and annotations must be objects")
        expect("alertname" in labels, where, "no alertname label")
        expect("startsAt" in item, where, "no startsAt")
        starts = parse_time(item["startsAt"], where)
        ends = parse_time(item["endsAt"], where) if item.get("endsAt") else None
        if now is not None:
            if starts > now:
                continue
            if ends is not None and ends > now:
                ends = None
        alerts.append(Alert(
            name=str(labels["alertname"]), service=str(labels.get("service") or labels.get("job") or ""),
            severity=str(labels.get("severity", "warning")), starts_at=starts, ends_at=ends,
            summary=str(notes.get("summary", "")), description=str(notes.get("description", "")),
            value=_number(notes.get("value"), where), labels={str(k): str(v) for k, v in labels.items()},
            metric=notes.get("metric"), op=notes.get("op"),
            threshold=_number(notes["threshold"], where) if "threshold" in notes else None,
        ))
    return alerts


def _number(text, where: str) -> float:
    if text is None:
        return math.nan
    try:
        return float(text)
    except (TypeError, ValueError):
        raise LayoutError(f"{where}: not a number: {str(text)[:40]!r}") from None
