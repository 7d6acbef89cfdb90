"""File names of the files layout, and what its readers and writers share."""

from __future__ import annotations

import json
from pathlib import Path

from telemetry.timefmt import parse_iso

METRICS = "metrics.om"
ALERTS = "alerts.json"
LOGS = "logs.jsonl"
TRACES = "traces.otlp.json"
DEPLOYMENTS = "deployments.json"
TOPOLOGY = "topology.json"
# Written for other tools only (Prometheus rule files, a Loki push body); never read back.
RULES = "rules.yml"
LOKI_PUSH = "loki-push.json"

# A subdirectory of the same layout holding the system working normally: what the window is
# compared with where it cannot tell normal from broken by itself.
REFERENCE = "reference"

# The only files a reader opens: anything else in a directory (a case's answer, notes) is not
# telemetry and is never served.
SERVED_FILES = (TOPOLOGY, METRICS, ALERTS, LOGS, TRACES, DEPLOYMENTS)


class LayoutError(ValueError):
    """Malformed input. The message is one line and names the file (and line, where known)."""


def write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_json(path: Path):
    try:
        with path.open(encoding="utf-8") as fh:
            return json.load(fh)
    except json.JSONDecodeError as exc:
        raise LayoutError(f"{path.name} line {exc.lineno}: not JSON ({exc.msg})") from None
    except UnicodeDecodeError:
        raise LayoutError(f"{path.name}: not UTF-8 text") from None


def expect(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise LayoutError(f"{where}: {message}")


def parse_time(value, where: str) -> float:
    """ISO-8601 text or epoch seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return parse_iso(value)
        except ValueError:
            pass
    raise LayoutError(f"{where}: not a timestamp: {str(value)[:60]!r}")
