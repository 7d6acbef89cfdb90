"""Tempo HTTP API: TraceQL search (`/api/search`), a trace by id (`/api/traces/<id>`), tag
values; and OTLP/JSON traces as `Span` records (Tempo, and the project's own export).

A search answers trace ids only; whole traces are fetched by id, at most `max_trace_fetches`
of them per call and four at a time, so one call costs a bounded number of requests.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from telemetry.records import Span

from .config import TempoConfig
from .http import HttpClient

_HEX_ID = re.compile(r"^[0-9a-fA-F]{16}$|^[0-9a-fA-F]{32}$")
_SEARCH_ID = re.compile(r"[0-9a-fA-F]{1,32}")  # search results drop leading zeros
_CLIENT_KINDS = {3, 4, "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "client", "producer"}
_SERVER_KINDS = {2, 5, "SPAN_KIND_SERVER", "SPAN_KIND_CONSUMER", "server", "consumer"}
_ERROR_CODES = {2, "STATUS_CODE_ERROR"}


class Tempo:
    def __init__(self, config: TempoConfig) -> None:
        self.config = config
        self.http = HttpClient(config.endpoint)

    # -- the HTTP API ---------------------------------------------------------------
    def search(self, traceql: str, start: float, end: float, limit: int) -> list[dict]:
        path = "/api/search"
        doc = self.http.get_json(path, {"q": traceql, "start": str(math.floor(start)), "end": str(math.ceil(end)),
                                        "limit": str(limit), "spss": "1"})
        traces = doc.get("traces") if isinstance(doc, dict) else None
        if traces is None and isinstance(doc, dict):
            traces = []  # an empty answer may leave the list out
        if not isinstance(traces, list) or not all(
                isinstance(t, dict) and _SEARCH_ID.fullmatch(str(t.get("traceID", ""))) for t in traces):
            raise self.http.error(path, "answered with a malformed search result")
        return traces

    def trace_document(self, trace_id: str) -> dict | None:
        doc = self.http.get_json(f"/api/traces/{trace_id}", missing_ok=True)
        if doc is not None and not isinstance(doc, dict):
            raise self.http.error(f"/api/traces/{trace_id}", "answered with a malformed trace")
        return doc

    def tag_values(self, tag: str = "service.name") -> list[str]:
        path = f"/api/search/tag/{tag}/values"
        doc = self.http.get_json(path)
        with self.http.reading(path, "malformed tag values"):
            return [v if isinstance(v, str) else str(v["value"]) for v in doc["tagValues"]]

    # -- what the backend asks --------------------------------------------------------
    def services(self) -> list[str]:
        return self.tag_values("service.name")

    def spans(self, start: float, end: float, service: str | None, limit: int) -> list[Span]:
        """Whole traces that started in `[start, end)` (touching `service`), the newest
        `limit` of them as far as the search reports them."""
        fetches = min(limit, self.config.max_trace_fetches)
        condition = "" if service is None else f"resource.service.name = {json.dumps(service)}"  # a Go string literal
        query = f"{{ {condition} }}" if condition else "{ }"
        if self.config.most_recent:
            query += " with (most_recent=true)"
        found = []
        for item in self.search(query, start, end, limit=2 * fetches):
            with self.http.reading("/api/search", "a trace without a valid start"):
                began = int(item.get("startTimeUnixNano", 0)) / 1e9
            if start <= began < end:
                found.append((began, str(item["traceID"])))
        found.sort(reverse=True)
        ids = [trace_id for _, trace_id in found[:fetches]]
        with ThreadPoolExecutor(max_workers=4) as pool:
            traces = list(pool.map(self.trace, ids))
        return [span for trace in traces for span in trace]

    def trace(self, trace_id: str) -> list[Span]:
        doc = self.trace_document(trace_id)
        if doc is None:
            return []
        with self.http.reading(f"/api/traces/{trace_id}", "a malformed trace"):
            return spans_from_otlp(doc)


def spans_from_otlp(doc: dict) -> list[Span]:
    """Spans of an OTLP/JSON document: `resourceSpans` (OTLP, Tempo's v2 `trace`) or `batches`
    (Tempo's v1 answer); ids in hex or, as Tempo writes them, base64."""
    if "trace" in doc and isinstance(doc["trace"], dict):
        doc = doc["trace"]
    out = []
    for batch in doc.get("resourceSpans") or doc.get("batches") or []:
        resource = attributes((batch.get("resource") or {}).get("attributes"))
        service = str(resource.get("service.name", ""))
        for scope in batch.get("scopeSpans") or batch.get("instrumentationLibrarySpans") or []:
            for raw in scope.get("spans") or []:
                attrs = attributes(raw.get("attributes"))
                start_ns = int(raw["startTimeUnixNano"])
                status = raw.get("status") or {}
                parent = raw.get("parentSpanId")
                peer = attrs.get("peer.service")
                out.append(Span(
                    trace_id=hex_id(raw["traceId"]), span_id=hex_id(raw["spanId"]),
                    parent_id=hex_id(parent) if parent else None, service=service,
                    operation=str(raw.get("name", "")),
                    kind="client" if raw.get("kind") in _CLIENT_KINDS else
                    "server" if raw.get("kind") in _SERVER_KINDS else "internal",
                    start=start_ns / 1e9, duration_ms=(int(raw.get("endTimeUnixNano", start_ns)) - start_ns) / 1e6,
                    error=status.get("code") in _ERROR_CODES, status_message=str(status.get("message", "")),
                    peer_service=str(peer) if peer else None, attributes=attrs))
    return out


def attributes(items: Any) -> dict[str, str | int | float]:
    out: dict[str, str | int | float] = {}
    for item in items or []:
        value = item.get("value") or {}
        if "stringValue" in value:
            out[item["key"]] = str(value["stringValue"])
        elif "intValue" in value:
            out[item["key"]] = int(value["intValue"])
        elif "doubleValue" in value:
            out[item["key"]] = float(value["doubleValue"])
        elif "boolValue" in value:
            out[item["key"]] = str(bool(value["boolValue"])).lower()
    return out


def hex_id(value: str) -> str:
    value = str(value)
    if _HEX_ID.match(value):
        return value.lower()
    try:
        return base64.b64decode(value, validate=True).hex()
    except (binascii.Error, ValueError):
        raise ValueError(f"unreadable span or trace id {value!r}") from None
