"""A small OpenMetrics / Prometheus text parser: enough for exported and scraped gauges,
counters, their labels and their metadata (TYPE, HELP, UNIT). Used by the files layout's
reader and by round-trip tests."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

_SAMPLE = re.compile(
    r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>[^}]*)\})?\s+(?P<value>\S+)(?:\s+(?P<ts>\S+))?\s*$'
)
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


class OpenMetricsError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    labels: tuple[tuple[str, str], ...]
    value: float
    timestamp: float | None

    def label(self, key: str) -> str | None:
        return dict(self.labels).get(key)


@dataclass(slots=True)
class Family:
    """A metric family's metadata lines."""

    type: str = ""
    help: str = ""
    unit: str = ""


def parse(lines: Iterable[str]) -> Iterator[Sample]:
    """Yield samples; `# TYPE/HELP/UNIT` lines are skipped, `# EOF` ends the stream."""
    for _, sample in parse_numbered(lines):
        yield sample


def parse_numbered(lines: Iterable[str], families: dict[str, Family] | None = None
                   ) -> Iterator[tuple[int, Sample]]:
    """(line number, sample) pairs; with `families`, the metadata lines fill it by family name."""
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line == "# EOF":
                return
            parts = line.split(None, 3)
            if families is not None and len(parts) >= 3 and parts[1] in ("TYPE", "HELP", "UNIT"):
                family = families.setdefault(parts[2], Family())
                text = parts[3] if len(parts) > 3 else ""
                setattr(family, parts[1].lower(), text.replace("\\n", "\n").replace("\\\\", "\\"))
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise OpenMetricsError(f"line {number}: not a sample: {line[:80]!r}")
        labels = tuple(
            (k, v.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\"))
            for k, v in _LABEL.findall(m.group("labels") or "")
        )
        try:
            value = _float(m.group("value"))
            ts = float(m.group("ts")) if m.group("ts") else None
        except ValueError:
            raise OpenMetricsError(f"line {number}: bad number in {line[:80]!r}") from None
        yield number, Sample(m.group("name"), labels, value, ts)


def _float(text: str) -> float:
    lowered = text.lower()
    if lowered in ("nan",):
        return math.nan
    if lowered in ("+inf", "inf"):
        return math.inf
    if lowered == "-inf":
        return -math.inf
    return float(text)
