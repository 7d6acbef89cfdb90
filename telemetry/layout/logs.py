"""`logs.jsonl`: one JSON object per line (time, service, level, message, instance, logger,
trace_id, span_id, stack), and `loki-push.json`, a Loki push body of the same lines."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from telemetry.records import LOG_LEVELS, LogRecord
from telemetry.timefmt import iso_ms as iso

from .files import LayoutError, expect, parse_time

# Level words other systems use, as the nearest of ours.
LEVEL_ALIASES = {"WARNING": "WARN", "ERR": "ERROR", "SEVERE": "ERROR", "CRITICAL": "FATAL", "PANIC": "FATAL",
                 "TRACE": "DEBUG", "NOTICE": "INFO", "INFORMATION": "INFO"}


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


def normal_level(word: str) -> str | None:
    """One of LOG_LEVELS for a level word in any case, or None."""
    upper = word.strip().upper()
    upper = LEVEL_ALIASES.get(upper, upper)
    return upper if upper in LOG_LEVELS else None


def read_logs(path: Path, now: float | None = None) -> list[LogRecord]:
    records = []
    loads = json.loads
    try:
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                where = f"{path.name} line {number}"
                try:
                    d = loads(line)
                except json.JSONDecodeError as exc:
                    raise LayoutError(f"{where}: not JSON ({exc.msg})") from None
                expect(isinstance(d, dict), where, "not a JSON object")
                for key in ("time", "service", "message"):
                    expect(key in d, where, f"no {key!r}")
                t = parse_time(d["time"], where)
                if now is not None and t > now:
                    continue
                level = normal_level(str(d.get("level", "INFO")))
                expect(level is not None, where, f"unknown level {d.get('level')!r} (known: {', '.join(LOG_LEVELS)})")
                records.append(LogRecord(t, str(d["service"]), level, str(d["message"]), str(d.get("instance", "")),
                                         str(d.get("logger", "")), d.get("trace_id") or None,
                                         d.get("span_id") or None, d.get("stack") or None))
    except UnicodeDecodeError:
        raise LayoutError(f"{path.name}: not UTF-8 text") from None
    return records
