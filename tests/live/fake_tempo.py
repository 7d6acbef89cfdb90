"""A fake Tempo that follows the documented HTTP API, fed with an OTLP/JSON export.

`/api/search` (`q` TraceQL, `start`/`end` in seconds, `limit` default 20, `spss` default 3;
traces overlapping the range; without the `most_recent=true` hint, the first traces found,
in no time order), `/api/traces/<id>` (the v1 answer: `batches`, ids base64-encoded as Tempo
writes them; 404 when unknown), tag values v1 and v2, `/api/echo`, `/ready`. TraceQL subset:
`{ }` or conditions joined by `&&` on `resource.service.name`, `.service.name`, `name` or
`span:name`, and `status`; anything else is a 400 parse error, as plain text. Search results
name traces by hex ids without leading zeros, as Tempo does.
"""

from __future__ import annotations

import base64
import json
import re
from collections import defaultdict

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

_CONDITION = re.compile(r'\s*(resource\.service\.name|\.service\.name|span:name|name|status)\s*=\s*'
                        r'("(?:[^"\\]|\\.)*"|error|ok|unset)\s*')
_HINT = re.compile(r"\s*with\s*\(\s*most_recent\s*=\s*true\s*\)\s*$")


def load_otlp(doc: dict) -> dict[str, list[tuple[str, dict]]]:
    """trace id (hex) -> [(service, OTLP span)]"""
    traces: dict[str, list[tuple[str, dict]]] = defaultdict(list)
    for batch in doc["resourceSpans"]:
        service = next(a["value"]["stringValue"] for a in batch["resource"]["attributes"] if a["key"] == "service.name")
        for scope in batch["scopeSpans"]:
            for span in scope["spans"]:
                traces[span["traceId"]].append((service, span))
    return traces


def _b64(hex_id: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_id)).decode()


class TraceQLError(ValueError):
    pass


def parse_traceql(query: str) -> tuple[list[tuple[str, str]], bool]:
    """(conditions, most_recent)"""
    most_recent = False
    hint = _HINT.search(query)
    if hint:
        most_recent, query = True, query[: hint.start()]
    body = query.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise TraceQLError("invalid TraceQL query: parse error at line 1, col 1: syntax error: expected {")
    inner = body[1:-1].strip()
    conditions = []
    if inner:
        for part in inner.split("&&"):
            m = _CONDITION.fullmatch(part)
            if not m:
                raise TraceQLError(f"invalid TraceQL query: parse error at line 1, col {query.find(part) + 1}: "
                                   f"syntax error: unexpected {part.strip()[:20]!r}")
            value = m.group(2)
            conditions.append((m.group(1), json.loads(value) if value.startswith('"') else value))
    return conditions, most_recent


def _span_matches(service: str, span: dict, conditions: list[tuple[str, str]]) -> bool:
    for field, value in conditions:
        if field in ("resource.service.name", ".service.name") and service != value:
            return False
        if field in ("name", "span:name") and span.get("name") != value:
            return False
        if field == "status":
            code = {1: "ok", 2: "error"}.get((span.get("status") or {}).get("code"), "unset")
            if code != value:
                return False
    return True


class FakeTempo:
    def __init__(self, otlp: dict) -> None:
        self.traces = load_otlp(otlp)
        self.app = Starlette(routes=[
            Route("/api/search", self.search),
            Route("/api/traces/{trace_id}", self.trace),
            Route("/api/search/tag/{tag}/values", self.tag_values),
            Route("/api/v2/search/tag/{tag}/values", self.tag_values_v2),
            Route("/api/echo", lambda r: PlainTextResponse("echo")),
            Route("/ready", lambda r: PlainTextResponse("ready")),
        ])

    def _bounds(self, spans) -> tuple[int, int]:
        starts = [int(s["startTimeUnixNano"]) for _, s in spans]
        ends = [int(s["endTimeUnixNano"]) for _, s in spans]
        return min(starts), max(ends)

    async def search(self, request: Request):
        q = request.query_params
        try:
            conditions, most_recent = parse_traceql(q.get("q", "{}"))
            limit, spss = int(q.get("limit", "20")), int(q.get("spss", "3"))
            start = int(q["start"]) * 10**9 if "start" in q else None
            end = int(q["end"]) * 10**9 if "end" in q else None
        except (TraceQLError, ValueError) as exc:
            return PlainTextResponse(str(exc), status_code=400)
        found = []
        for trace_id, spans in self.traces.items():
            first, last = self._bounds(spans)
            if (start is not None and last < start) or (end is not None and first > end):
                continue
            matched = [(svc, s) for svc, s in spans if _span_matches(svc, s, conditions)]
            if matched:
                found.append((first, last, trace_id, spans, matched))
        found.sort(key=lambda f: -f[0] if most_recent else f[2])
        out = []
        for first, last, trace_id, spans, matched in found[:limit]:
            root_service, root = next(((svc, s) for svc, s in spans if not s.get("parentSpanId")), spans[0])
            spanset = {"spans": [{"spanID": s["spanId"], "name": s["name"], "startTimeUnixNano": s["startTimeUnixNano"],
                                  "durationNanos": str(int(s["endTimeUnixNano"]) - int(s["startTimeUnixNano"])),
                                  "attributes": [{"key": "service.name", "value": {"stringValue": svc}}]}
                                 for svc, s in matched[:spss]], "matched": len(matched)}
            out.append({"traceID": trace_id.lstrip("0"), "rootServiceName": root_service,
                        "rootTraceName": root["name"], "startTimeUnixNano": str(first),
                        "durationMs": (last - first) // 10**6, "spanSet": spanset, "spanSets": [spanset]})
        return JSONResponse({"traces": out, "metrics": {"inspectedTraces": len(self.traces),
                                                        "inspectedBytes": "1048576", "completedJobs": 1,
                                                        "totalJobs": 1}})

    async def trace(self, request: Request):
        raw = request.path_params["trace_id"]
        if not re.fullmatch(r"[0-9a-fA-F]{1,32}", raw):
            return PlainTextResponse(f"invalid trace id: {raw}", status_code=400)
        spans = self.traces.get(raw.lower().rjust(32, "0"))
        if spans is None:
            return PlainTextResponse("trace not found", status_code=404)
        batches: dict[str, list] = defaultdict(list)
        for service, span in spans:
            encoded = dict(span, traceId=_b64(span["traceId"]), spanId=_b64(span["spanId"]))
            if span.get("parentSpanId"):
                encoded["parentSpanId"] = _b64(span["parentSpanId"])
            batches[service].append(encoded)
        return JSONResponse({"batches": [
            {"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
             "scopeSpans": [{"scope": {"name": "aiops-simulator"}, "spans": items}]}
            for service, items in batches.items()]})

    def _services(self) -> list[str]:
        return sorted({svc for spans in self.traces.values() for svc, _ in spans})

    async def tag_values(self, request: Request):
        if request.path_params["tag"] != "service.name":
            return JSONResponse({"tagValues": []})
        return JSONResponse({"tagValues": self._services(), "metrics": {"inspectedBytes": "1024"}})

    async def tag_values_v2(self, request: Request):
        if request.path_params["tag"] != "resource.service.name":
            return JSONResponse({"tagValues": []})
        return JSONResponse({"tagValues": [{"type": "string", "value": s} for s in self._services()]})
