"""`traces.otlp.json`: an OTLP/JSON ExportTraceServiceRequest, spans grouped by service.

Kinds are read as the project's three (`telemetry.records.Span.kind`): CLIENT and PRODUCER
spans are calls (`peer.service` names the callee), SERVER and CONSUMER spans handle requests,
INTERNAL and unspecified spans are other work.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from telemetry.records import Span

from .files import LayoutError, expect, read_json

SPAN_KIND_INTERNAL = 1
SPAN_KIND_SERVER = 2
SPAN_KIND_CLIENT = 3
SPAN_KIND_PRODUCER = 4
SPAN_KIND_CONSUMER = 5
_WRITTEN_KIND = {"server": SPAN_KIND_SERVER, "client": SPAN_KIND_CLIENT, "internal": SPAN_KIND_INTERNAL}
_READ_KIND = {SPAN_KIND_SERVER: "server", SPAN_KIND_CONSUMER: "server", SPAN_KIND_CLIENT: "client",
              SPAN_KIND_PRODUCER: "client"}
STATUS_OK = 1
STATUS_ERROR = 2


def _attr(key: str, value) -> dict:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    return {"key": key, "value": {"stringValue": str(value)}}


def otlp_span(s: Span, kind: int | None = None, status: bool = True) -> dict:
    """`kind`: the OTLP kind to write (default: from the span's). `status`: whether the
    source knows the outcome; without it no status is written (OTLP's "unset")."""
    start_ns = int(s.start * 1e9)
    span = {
        "traceId": s.trace_id,
        "spanId": s.span_id,
        "name": s.operation,
        "kind": kind if kind is not None else _WRITTEN_KIND.get(s.kind, SPAN_KIND_INTERNAL),
        "startTimeUnixNano": str(start_ns),
        "endTimeUnixNano": str(start_ns + int(s.duration_ms * 1e6)),
        "attributes": [_attr(k, v) for k, v in sorted(s.attributes.items())],
    }
    if status:
        span["status"] = {"code": STATUS_ERROR, "message": s.status_message} if s.error else {"code": STATUS_OK}
    if s.parent_id:
        span["parentSpanId"] = s.parent_id
    return span


def otlp_traces(spans, scope: str = "aiops-simulator", **span_options) -> dict:
    by_service: dict[str, list] = defaultdict(list)
    for s in spans:
        by_service[s.service].append(otlp_span(s, **span_options))
    return {"resourceSpans": [
        {"resource": {"attributes": [_attr("service.name", service)]},
         "scopeSpans": [{"scope": {"name": scope}, "spans": items}]}
        for service, items in sorted(by_service.items())
    ]}


# ----------------------------------------------------------------------------- reading
_KIND_NAMES = {"SPAN_KIND_INTERNAL": SPAN_KIND_INTERNAL, "SPAN_KIND_SERVER": SPAN_KIND_SERVER,
               "SPAN_KIND_CLIENT": SPAN_KIND_CLIENT, "SPAN_KIND_PRODUCER": SPAN_KIND_PRODUCER,
               "SPAN_KIND_CONSUMER": SPAN_KIND_CONSUMER}
_STATUS_NAMES = {"STATUS_CODE_ERROR": STATUS_ERROR, "STATUS_CODE_OK": STATUS_OK}


def read_traces(path: Path, now: float | None = None) -> list[Span]:
    """Spans that had ended by `now`."""
    body = read_json(path)
    expect(isinstance(body, dict) and isinstance(body.get("resourceSpans", []), list), path.name,
           "expected an object with a resourceSpans list")
    spans = []
    for r, resource_spans in enumerate(body.get("resourceSpans", [])):
        where = f"{path.name} resourceSpans[{r}]"
        expect(isinstance(resource_spans, dict), where, "not an object")
        service = _attributes((resource_spans.get("resource") or {}).get("attributes"), where).get("service.name")
        expect(isinstance(service, str) and service != "", where, "no service.name resource attribute")
        for s, scope_spans in enumerate(resource_spans.get("scopeSpans") or []):
            for i, raw in enumerate((scope_spans or {}).get("spans") or []):
                span = _span(raw, service, f"{where}.scopeSpans[{s}].spans[{i}]")
                if now is None or span.start + span.duration_ms / 1000 <= now:
                    spans.append(span)
    return spans


def _span(raw, service: str, where: str) -> Span:
    expect(isinstance(raw, dict), where, "not an object")
    for key in ("traceId", "spanId", "startTimeUnixNano", "endTimeUnixNano"):
        expect(key in raw, where, f"no {key}")
    try:
        start_ns, end_ns = int(raw["startTimeUnixNano"]), int(raw["endTimeUnixNano"])
    except (TypeError, ValueError):
        raise LayoutError(f"{where}: start and end must be integers (nanoseconds)") from None
    expect(end_ns >= start_ns, where, "ends before it starts")
    kind = raw.get("kind", 0)
    kind = _KIND_NAMES.get(kind, 0) if isinstance(kind, str) else kind
    status = raw.get("status") or {}
    code = status.get("code", 0)
    code = _STATUS_NAMES.get(code, 0) if isinstance(code, str) else code
    attributes = _attributes(raw.get("attributes"), where)
    peer = attributes.get("peer.service")
    return Span(str(raw["traceId"]), str(raw["spanId"]), raw.get("parentSpanId") or None, service,
                str(raw.get("name", "")), _READ_KIND.get(kind, "internal"), start_ns / 1e9,
                (end_ns - start_ns) / 1e6, code == STATUS_ERROR, str(status.get("message", "")),
                peer if _READ_KIND.get(kind) == "client" and isinstance(peer, str) else None, attributes)


def _attributes(items, where: str) -> dict:
    expect(items is None or isinstance(items, list), where, "attributes must be a list")
    out = {}
    for item in items or ():
        expect(isinstance(item, dict) and "key" in item, where, "an attribute without a key")
        value = item.get("value") or {}
        if "stringValue" in value:
            out[item["key"]] = value["stringValue"]
        elif "boolValue" in value:
            out[item["key"]] = bool(value["boolValue"])
        elif "intValue" in value:
            out[item["key"]] = int(value["intValue"])
        elif "doubleValue" in value:
            out[item["key"]] = float(value["doubleValue"])
    return out
