"""Alertmanager API v2: the alerts it holds (active, silenced and inhibited alike) and its
silences, and how an alert's labels and annotations become an `Alert` record."""

from __future__ import annotations

import math
import time

from telemetry.records import Alert
from telemetry.timefmt import parse_iso

from .http import Endpoint, HttpClient

# Where an alert names its service when the configured label is missing.
SERVICE_LABELS = ("service", "service_name", "job", "app", "deployment", "container")
_SEVERITIES = {"critical": "critical", "page": "critical", "high": "critical", "error": "critical",
               "p1": "critical", "warning": "warning", "warn": "warning", "medium": "warning", "p2": "warning",
               "p3": "warning", "info": "info", "low": "info", "none": "info", "p4": "info"}


class Alertmanager:
    def __init__(self, endpoint: Endpoint) -> None:
        self.http = HttpClient(endpoint)

    def alerts(self) -> list[dict]:
        path = "/api/v2/alerts"
        data = self.http.get_json(path, {"active": "true", "silenced": "true", "inhibited": "true",
                                         "unprocessed": "true"})
        if not isinstance(data, list) or not all(isinstance(a, dict) and isinstance(a.get("labels"), dict)
                                                 for a in data):
            raise self.http.error(path, "answered with a malformed alert list")
        return data

    def silences(self) -> list[dict]:
        data = self.http.get_json("/api/v2/silences")
        if not isinstance(data, list):
            raise self.http.error("/api/v2/silences", "answered with a malformed silence list")
        return data

    def status(self) -> dict:
        data = self.http.get_json("/api/v2/status")
        return data if isinstance(data, dict) else {}

    def firing(self, service_label: str) -> list[Alert]:
        """The alerts firing now (silenced or inhibited ones too: still evidence)."""
        out = []
        now = time.time()
        for item in self.alerts():
            with self.http.reading("/api/v2/alerts", "a malformed alert"):
                ends = parse_iso(str(item["endsAt"])) if item.get("endsAt") else None
                if ends is not None and ends <= now:  # resolved, kept until garbage-collected
                    continue
                out.append(make_alert(item["labels"], item.get("annotations") or {}, parse_iso(str(item["startsAt"])),
                                      None, service_label))
        return out


def service_of(labels: dict[str, str], service_label: str) -> str:
    for name in (service_label, *SERVICE_LABELS):
        if labels.get(name):
            return labels[name]
    return ""


def severity_of(labels: dict[str, str]) -> str:
    return _SEVERITIES.get(str(labels.get("severity", "")).lower(), "warning")


def make_alert(labels: dict[str, str], annotations: dict[str, str], starts_at: float, ends_at: float | None,
               service_label: str, value: float = math.nan) -> Alert:
    name = labels.get("alertname", "")
    service = service_of(labels, service_label)
    summary = annotations.get("summary") or annotations.get("message") or annotations.get("description") or (
        f"{name} on {service}" if service else name)
    if math.isnan(value):
        try:
            value = float(annotations.get("value", "nan"))
        except ValueError:
            value = math.nan
    return Alert(name=name, service=service, severity=severity_of(labels), starts_at=starts_at, ends_at=ends_at,
                 summary=summary, description=annotations.get("description", ""), value=value,
                 labels=dict(labels))
