"""One row of a day's `log/HH_MM_log.csv` as a log record.

The Log column is the container runtime's JSON wrapper (`{"log": "...", "stream": ...}`)
around the application's line, which is either JSON (`severity`, `message`, more fields) or
text (`16:42:22.382 INFO  t.s.TravelServiceImpl#532 TraceID: ... SpanID: ... [message]`).
The level is the line's own level word; a line without one (a stack trace line, a .NET
line) is ERROR when it reads like an exception and INFO otherwise.
"""

from __future__ import annotations

import json
import re

from telemetry.layout.logs import normal_level
from telemetry.records import LogRecord

from .source import service_of

_TEXT = re.compile(r"^(?:\d[\d:.,TZ-]*\s+){0,2}(?P<level>TRACE|DEBUG|INFO|WARN|WARNING|ERROR|SEVERE|FATAL|CRITICAL)"
                   r"\s+(?P<rest>.*)$", re.S | re.I)
# `TraceID: <hex> SpanID: <hex>`, which the instrumentation writes into every message; the ids
# are kept as fields instead.
_IDS = re.compile(r"TraceID:\s*(?P<trace>[0-9a-fA-F]+)\s+SpanID:\s*(?P<span>[0-9a-fA-F]+)\s*")
_EXCEPTION = re.compile(r"^\s*(?:at\s+[\w$.<>]+\(|\.\.\.\s*\d+\s+more|Caused by:|Traceback \(most recent|"
                        r"panic:|goroutine \d+|[\w$.]*(?:Exception|Error)\b(?::|$))")
_WRAPPED_PREFIX = re.compile(r'^\{"log":"((?:[^"\\]|\\.)*)')
_JSON_MESSAGE_KEYS = ("message", "msg")
_JSON_LEVEL_KEYS = ("severity", "level")
_JSON_QUIET_KEYS = {"timestamp", "time", "severity", "level", "message", "msg", "name", "logger", "pid",
                    "hostname", "v"}


def unwrap(raw: str) -> str:
    """The application's line from the runtime's JSON wrapper (also from a truncated one)."""
    if raw.startswith("{"):
        try:
            return str(json.loads(raw)["log"]).rstrip("\n")
        except (json.JSONDecodeError, KeyError, TypeError):
            m = _WRAPPED_PREFIX.match(raw)
            if m:
                try:
                    return json.loads(f'"{m.group(1)}"').rstrip("\n")
                except json.JSONDecodeError:
                    pass
    return raw.rstrip("\n")


def parse_line(line: str) -> tuple[str | None, str, str]:
    """(level or None, logger, message) of an application line."""
    if line.startswith("{"):
        try:
            fields = json.loads(line)
        except json.JSONDecodeError:
            fields = None
        if isinstance(fields, dict):
            message = next((str(fields[k]) for k in _JSON_MESSAGE_KEYS if k in fields), "")
            level = next((normal_level(str(fields[k])) for k in _JSON_LEVEL_KEYS if k in fields), None)
            extras = " ".join(f"{k}={v}" for k, v in fields.items() if k not in _JSON_QUIET_KEYS)
            return level, str(fields.get("name") or fields.get("logger") or ""), f"{message} {extras}".strip()
    m = _TEXT.match(line)
    if m:
        rest = m.group("rest")
        first, _, after = rest.partition(" ")
        if first == "-" or (not first.startswith("TraceID") and ("." in first or "#" in first)):
            return normal_level(m.group("level")), first.strip("-"), after.strip()
        return normal_level(m.group("level")), "", rest.strip()
    return None, "", line.strip()


def log_record(time: float, pod: str, trace_id: str, span_id: str, raw: str) -> LogRecord:
    level, logger, message = parse_line(unwrap(raw))
    ids = _IDS.search(message)
    if ids:
        message = (message[:ids.start()] + message[ids.end():]).strip()
        trace_id, span_id = trace_id or ids.group("trace"), span_id or ids.group("span")
    if level is None:
        level = "ERROR" if _EXCEPTION.match(message) else "INFO"
    return LogRecord(time, service_of(pod), level, message, pod, logger, trace_id or None, span_id or None)
