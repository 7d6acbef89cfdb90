"""A fake Jaeger query service that follows its HTTP JSON API, fed with an OTLP/JSON export
converted the way Jaeger's OTLP receiver stores spans (`span.kind`, `otel.status_code`,
`error=true` tags; one process per service; microseconds).

`/api/services`, `/api/services/<s>/operations`, `/api/operations`, `/api/traces` (`service`
required; `start`/`end` in microseconds; `limit`, default 20; newest first),
`/api/traces/<id>` (404 with an `errors` entry when unknown), `/api/dependencies` (`endTs`
and `lookback` in milliseconds). Every answer is the `{data, total, limit, offset, errors}`
envelope.
"""

from __future__ import annotations

import time
from collections import defaultdict

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.live.fake_tempo import load_otlp

_KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


def _tag(key: str, value) -> dict:
    if isinstance(value, bool):
        return {"key": key, "type": "bool", "value": value}
    if isinstance(value, int):
        return {"key": key, "type": "int64", "value": value}
    if isinstance(value, float):
        return {"key": key, "type": "float64", "value": value}
    return {"key": key, "type": "string", "value": value}


def _value(any_value: dict):
    if "intValue" in any_value:
        return int(any_value["intValue"])
    if "doubleValue" in any_value:
        return float(any_value["doubleValue"])
    if "boolValue" in any_value:
        return bool(any_value["boolValue"])
    return any_value.get("stringValue", "")


def to_jaeger(trace_id: str, spans: list[tuple[str, dict]]) -> dict:
    processes: dict[str, str] = {}
    out = []
    for service, span in spans:
        pid = processes.setdefault(service, f"p{len(processes) + 1}")
        start_us = int(span["startTimeUnixNano"]) // 1000
        tags = [_tag(a["key"], _value(a["value"])) for a in span.get("attributes", [])]
        tags.append(_tag("span.kind", _KINDS.get(span.get("kind"), "internal")))
        status = span.get("status") or {}
        if status.get("code") == 2:
            tags += [_tag("otel.status_code", "ERROR"), _tag("error", True)]
            if status.get("message"):
                tags.append(_tag("otel.status_description", status["message"]))
        refs = [{"refType": "CHILD_OF", "traceID": trace_id, "spanID": span["parentSpanId"]}] \
            if span.get("parentSpanId") else []
        out.append({"traceID": trace_id, "spanID": span["spanId"], "operationName": span["name"], "references": refs,
                    "startTime": start_us, "duration": int(span["endTimeUnixNano"]) // 1000 - start_us,
                    "tags": tags, "logs": [], "processID": pid, "warnings": None, "flags": 1})
    return {"traceID": trace_id, "spans": out, "warnings": None,
            "processes": {pid: {"serviceName": service, "tags": []} for service, pid in processes.items()}}


def _envelope(data, status: int = 200, errors=None) -> JSONResponse:
    total = len(data) if isinstance(data, list) else 0
    return JSONResponse({"data": data, "total": total, "limit": 0, "offset": 0, "errors": errors},
                        status_code=status)


def _error(status: int, message: str) -> JSONResponse:
    return _envelope(None, status, [{"code": status, "msg": message}])


class FakeJaeger:
    def __init__(self, otlp: dict) -> None:
        self.traces = {tid: to_jaeger(tid, spans) for tid, spans in load_otlp(otlp).items()}
        self.app = Starlette(routes=[
            Route("/api/services", self.services),
            Route("/api/services/{service}/operations", self.operations),
            Route("/api/operations", self.operations),
            Route("/api/traces", self.search),
            Route("/api/traces/{trace_id}", self.trace),
            Route("/api/dependencies", self.dependencies),
        ])

    @staticmethod
    def _service_of(trace: dict, span: dict) -> str:
        return trace["processes"][span["processID"]]["serviceName"]

    async def services(self, request: Request):
        return _envelope(sorted({self._service_of(t, s) for t in self.traces.values() for s in t["spans"]}))

    async def operations(self, request: Request):
        service = request.path_params.get("service") or request.query_params.get("service")
        if not service:
            return _error(400, "parameter 'service' is required")
        ops = sorted({s["operationName"] for t in self.traces.values() for s in t["spans"]
                      if self._service_of(t, s) == service})
        if "service" in request.path_params:
            return _envelope(ops)
        return _envelope([{"name": op, "spanKind": ""} for op in ops])

    async def search(self, request: Request):
        q = request.query_params
        service = q.get("service")
        if not service:
            return _error(400, "parameter 'service' is required")
        try:
            end = int(q.get("end", int(time.time() * 1e6)))
            start = int(q.get("start", end - 3600 * 10**6))
            limit = int(q.get("limit", "20"))
        except ValueError as exc:
            return _error(400, f"unable to parse param: {exc}")
        found = []
        for trace in self.traces.values():
            if any(self._service_of(trace, s) == service and start <= s["startTime"] <= end for s in trace["spans"]):
                found.append((min(s["startTime"] for s in trace["spans"]), trace))
        found.sort(key=lambda f: -f[0])
        return _envelope([trace for _, trace in found[:limit]])

    async def trace(self, request: Request):
        trace = self.traces.get(request.path_params["trace_id"].lower())
        if trace is None:
            return _error(404, "trace not found")
        return _envelope([trace])

    async def dependencies(self, request: Request):
        try:
            end_ms = int(request.query_params["endTs"])
            lookback = int(request.query_params.get("lookback", 86400 * 1000))
        except (KeyError, ValueError):
            return _error(400, "unable to parse param 'endTs'")
        lo, hi = (end_ms - lookback) * 1000, end_ms * 1000
        calls: dict[tuple[str, str], int] = defaultdict(int)
        for trace in self.traces.values():
            by_id = {s["spanID"]: s for s in trace["spans"]}
            for span in trace["spans"]:
                if not lo <= span["startTime"] <= hi or not span["references"]:
                    continue
                parent = by_id.get(span["references"][0]["spanID"])
                if parent is not None:
                    caller, callee = self._service_of(trace, parent), self._service_of(trace, span)
                    if caller != callee:
                        calls[(caller, callee)] += 1
        return _envelope([{"parent": p, "child": c, "callCount": n} for (p, c), n in sorted(calls.items())])
