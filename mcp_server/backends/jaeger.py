"""Jaeger query service HTTP JSON API (`/api/services`, operations, `/api/traces`, a trace by id,
`/api/dependencies`), and Jaeger's trace documents as `Span` records.

A trace search needs a service: without one, the entry services of the dependency graph
(those nobody calls) are asked, at most `MAX_ROOT_SERVICES` of them, since every trace
starts at one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from telemetry.records import Span

from .http import Endpoint, HttpClient

MAX_ROOT_SERVICES = 4
_SYNTHETIC_TAGS = {"span.kind", "error", "otel.status_code", "otel.status_description", "otel.scope.name",
                   "otel.scope.version", "internal.span.format", "otel.library.name", "otel.library.version"}


class Jaeger:
    def __init__(self, endpoint: Endpoint) -> None:
        self.http = HttpClient(endpoint)

    def _data(self, path: str, params: Any = None, *, missing_ok: bool = False) -> Any:
        doc = self.http.get_json(path, params, missing_ok=missing_ok)
        if doc is None:
            return None
        if not isinstance(doc, dict) or "data" not in doc:
            raise self.http.error(path, "answered without a data field")
        if doc.get("errors") and not doc["data"]:
            first = doc["errors"][0] if isinstance(doc["errors"], list) else doc["errors"]
            message = first.get("msg", first) if isinstance(first, dict) else first
            raise self.http.error(path, f"answered with an error: {message}")
        data = doc["data"] or []
        if not isinstance(data, list):
            raise self.http.error(path, "answered with data that is not a list")
        return data

    # -- the HTTP API ---------------------------------------------------------------
    def services(self) -> list[str]:
        return [str(s) for s in self._data("/api/services")]

    def operations(self, service: str) -> list[str]:
        return [str(op) for op in self._data(f"/api/services/{quote(service, safe='')}/operations")]

    def traces(self, service: str, start: float, end: float, limit: int) -> list[dict]:
        return self._data("/api/traces", {"service": service, "start": str(int(start * 1e6)),
                                          "end": str(int(end * 1e6)), "limit": str(limit)})

    def dependencies(self, end: float, lookback: float) -> list[tuple[str, str]]:
        data = self._data("/api/dependencies", {"endTs": str(int(end * 1000)), "lookback": str(int(lookback * 1000))})
        with self.http.reading("/api/dependencies", "malformed dependency links"):
            return [(str(d["parent"]), str(d["child"])) for d in data if d["parent"] != d["child"]]

    # -- what the backend asks --------------------------------------------------------
    def trace(self, trace_id: str) -> list[Span]:
        data = self._data(f"/api/traces/{trace_id}", missing_ok=True)
        return self._spans(data or [], f"/api/traces/{trace_id}")

    def spans(self, start: float, end: float, service: str | None, limit: int, roots: list[str]) -> list[Span]:
        """Whole traces that started in `[start, end)`, the newest `limit`."""
        asked = [service] if service is not None else roots[:MAX_ROOT_SERVICES]
        found: dict[str, list[Span]] = {}
        for name in asked:
            for trace_id, spans in self._group(self._spans(self.traces(name, start, end, limit), "/api/traces")):
                found.setdefault(trace_id, spans)
        started = sorted(((min(s.start for s in spans), tid) for tid, spans in found.items()), reverse=True)
        chosen = [tid for began, tid in started if start <= began < end][:limit]
        return [span for tid in chosen for span in found[tid]]

    def roots(self, now: float, lookback: float, services: list[str]) -> list[str]:
        """Services nobody calls, by the dependency graph (all of them without one)."""
        called = {child for _, child in self.dependencies(now, lookback)}
        return [s for s in sorted(services) if s not in called] or sorted(services)

    @staticmethod
    def _group(spans: list[Span]) -> list[tuple[str, list[Span]]]:
        traces: dict[str, list[Span]] = {}
        for span in spans:
            traces.setdefault(span.trace_id, []).append(span)
        return list(traces.items())

    def _spans(self, traces: list, path: str) -> list[Span]:
        with self.http.reading(path, "a malformed trace"):
            return [span for trace in traces for span in spans_from_jaeger(trace)]


def spans_from_jaeger(trace: dict) -> list[Span]:
    processes = trace.get("processes") or {}
    out = []
    for raw in trace["spans"]:
        tags = {t["key"]: t.get("value") for t in raw.get("tags") or []}
        parent = next((r["spanID"] for r in raw.get("references") or [] if r.get("refType") == "CHILD_OF"), None)
        process = processes.get(raw.get("processID")) or raw.get("process") or {}
        error = tags.get("error") in (True, "true") or tags.get("otel.status_code") == "ERROR"
        peer = tags.get("peer.service")
        out.append(Span(
            trace_id=str(raw["traceID"]), span_id=str(raw["spanID"]), parent_id=str(parent) if parent else None,
            service=str(process.get("serviceName", "")), operation=str(raw.get("operationName", "")),
            kind="client" if tags.get("span.kind") in ("client", "producer") else
            "server" if tags.get("span.kind") in ("server", "consumer") else "internal",
            start=int(raw["startTime"]) / 1e6, duration_ms=int(raw.get("duration", 0)) / 1e3, error=error,
            status_message=str(tags.get("otel.status_description") or ""),
            peer_service=str(peer) if peer else None,
            attributes={k: _plain(v) for k, v in tags.items() if k not in _SYNTHETIC_TAGS}))
    return out


def _plain(value: Any) -> str | int | float:
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, int | float | str) else str(value)
