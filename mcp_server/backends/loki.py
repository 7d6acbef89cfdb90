"""Loki HTTP API (`query_range` with LogQL, `labels`, label values, `series`), and what the live
backend asks of it: the newest matching lines (filters pushed into LogQL, at most `limit`
lines) and line counts per service and level from one `count_over_time` query, never by
pulling the lines themselves.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection
from typing import Any

from telemetry.records import LogRecord

from .config import LokiConfig
from .http import HttpClient

# Level label values, as loggers and Loki's `detected_level` spell them, per record level.
LEVEL_NAMES = {
    "DEBUG": ("debug", "trace", "dbug"),
    "INFO": ("info", "information", "notice", "unknown", ""),
    "WARN": ("warn", "warning"),
    "ERROR": ("error", "err", "eror"),
    "FATAL": ("fatal", "critical", "crit", "panic", "emergency", "alert"),
}
_LEVEL_OF = {name: level for level, names in LEVEL_NAMES.items() for name in names}
_INSTANCE_LABELS = ("instance", "pod", "host", "hostname", "service_instance_id")


def level_of(value: Any) -> str:
    return _LEVEL_OF.get(str(value or "").lower(), "INFO")


def logql_string(value: str) -> str:
    """A LogQL (Go) double-quoted string literal."""
    return json.dumps(value)


class Loki:
    def __init__(self, config: LokiConfig) -> None:
        self.config = config
        self.http = HttpClient(config.endpoint)

    # -- the HTTP API ---------------------------------------------------------------
    def query_range(self, logql: str, start_ns: int, end_ns: int, *, limit: int | None = None,
                    step: float | None = None) -> dict:
        """Log queries come newest first (`backward`): a limit keeps the newest lines."""
        params = {"query": logql, "start": str(start_ns), "end": str(end_ns), "direction": "backward"}
        if limit is not None:
            params["limit"] = str(limit)
        if step is not None:
            params["step"] = f"{step:g}"
        path = "/loki/api/v1/query_range"
        # Structured metadata apart from stream labels, please (Loki 3); older Lokis merge them.
        doc = self.http.get_json(path, params, headers={"X-Loki-Response-Encoding-Flags": "categorize-labels"})
        if not isinstance(doc, dict) or doc.get("status") != "success" or not isinstance(doc.get("data"), dict) \
                or not isinstance(doc["data"].get("result"), list):
            raise self.http.error(path, "answered without a `success` status and a result list")
        return doc["data"]

    def labels(self, start: float, end: float) -> list[str]:
        return self._list("/loki/api/v1/labels", {"start": _ns(start), "end": _ns(end)})

    def label_values(self, name: str, start: float, end: float) -> list[str]:
        return self._list(f"/loki/api/v1/label/{name}/values", {"start": _ns(start), "end": _ns(end)})

    def series(self, match: str, start: float, end: float) -> list[dict]:
        return self._list("/loki/api/v1/series", {"match[]": match, "start": _ns(start), "end": _ns(end)})

    def _list(self, path: str, params: dict) -> list:
        doc = self.http.get_json(path, params)
        data = doc.get("data") if isinstance(doc, dict) else None
        if not isinstance(data, list):
            raise self.http.error(path, "answered without a data list")
        return data

    # -- what the backend asks --------------------------------------------------------
    def selector(self, service: str | None) -> str:
        label = self.config.service_label
        match = f'{label}=~".+"' if service is None else f"{label}={logql_string(service)}"
        extra = f", {self.config.selector}" if self.config.selector else ""
        return f"{{{match}{extra}}}"

    def services(self, start: float, end: float) -> list[str]:
        return self.label_values(self.config.service_label, start, end)

    def logs(self, start: float, end: float, service: str | None, levels: Collection[str] | None,
             contains: str | None, trace_id: str | None, limit: int) -> list[LogRecord]:
        """The newest `limit` matching lines of `[start, end)`, oldest first."""
        if levels is not None and not levels:
            return []
        query = self.selector(service)
        if contains:
            query += f" |~ {logql_string('(?i)' + re.escape(contains))}"
        if levels is not None:
            names = sorted({name for level in levels for name in LEVEL_NAMES.get(level, ())})
            query += f" | {self.config.level_label}=~{logql_string('(?i)(' + '|'.join(names) + ')')}"
        if trace_id:
            query += f" | {self.config.trace_id_label}={logql_string(trace_id)}"
        records = self._records(self.query_range(query, round(start * 1e9), round(end * 1e9), limit=limit))
        records.sort(key=lambda r: r.time)
        return records[-limit:]

    def _records(self, data: dict) -> list[LogRecord]:
        cfg = self.config
        out = []
        with self.http.reading("/loki/api/v1/query_range", "malformed streams"):
            for stream in data["result"]:
                labels = stream["stream"]
                for value in stream["values"]:
                    fields = labels
                    if len(value) > 2 and isinstance(value[2], dict):  # categorized labels (Loki 3)
                        fields = {**labels, **(value[2].get("structuredMetadata") or {}),
                                  **(value[2].get("parsed") or {})}
                    line = str(value[1])
                    message, _, _ = line.partition("\n")
                    out.append(LogRecord(
                        time=int(value[0]) / 1e9, service=fields.get(cfg.service_label, ""),
                        level=level_of(fields.get(cfg.level_label)), message=message,
                        instance=next((fields[k] for k in _INSTANCE_LABELS if fields.get(k)), ""),
                        logger=fields.get("logger", ""), trace_id=fields.get(cfg.trace_id_label) or None,
                        span_id=fields.get("span_id") or None, stack=line if "\n" in line else None))
        return out

    def line_count(self, start: float, end: float) -> int:
        """Lines of every service in `(start, end]`, counted by Loki in one evaluation."""
        span_ns = round((end - start) * 1e9)
        at = round(end * 1e9)
        data = self.query_range(f"sum(count_over_time({self.selector(None)} [{_duration(span_ns)}]))", at, at,
                                step=end - start)
        with self.http.reading("/loki/api/v1/query_range", "a malformed matrix"):
            return sum(int(float(v)) for series in data["result"] for _, v in series["values"][-1:])

    def log_counts(self, start: float, end: float, step: float, service: str | None
                   ) -> dict[tuple[str, str], list[int]]:
        """Lines per (service, level) in buckets `[start + i*step, start + (i+1)*step)`: one
        metric query. Loki counts `(t - step, t]` at each evaluation `t`, so evaluating one
        nanosecond before each bucket's end counts exactly the bucket."""
        cfg = self.config
        n = max(1, math.ceil((end - start) / step - 1e-9))
        step_ns = round(step * 1e9)
        query = (f"sum by ({cfg.service_label}, {cfg.level_label}) "
                 f"(count_over_time({self.selector(service)} [{_duration(step_ns)}]))")
        first = round(start * 1e9) + step_ns - 1
        data = self.query_range(query, first, first + (n - 1) * step_ns, step=step)
        counts: dict[tuple[str, str], list[int]] = {}
        with self.http.reading("/loki/api/v1/query_range", "a malformed matrix"):
            for series in data["result"]:
                labels = series["metric"]
                key = (labels.get(cfg.service_label, ""), level_of(labels.get(cfg.level_label)))
                row = counts.setdefault(key, [0] * n)
                for t, value in series["values"]:
                    i = round((float(t) * 1e9 - first) / step_ns)
                    if 0 <= i < n:
                        row[i] += int(float(value))
        return counts


def _ns(seconds: float) -> str:
    return str(round(seconds * 1e9))


def _duration(ns: int) -> str:
    return f"{ns // 10**9}s" if ns % 10**9 == 0 else f"{ns // 10**6}ms"
