"""`metrics.om`: OpenMetrics text, one sample per line with its timestamp.

Every sample carries a `service` label. A series with more labels (say, one per caller of a
service) is held in a store under its name with those labels in selector form,
`edge_latency_p50_ms{callee="cart",reporter="source"}`, and written back as labels. Units
go at the end of the HELP text, in parentheses, `# HELP latency_p99_ms ... (ms)`, or in a
`# UNIT` line.
"""

from __future__ import annotations

import math
import statistics
from array import array
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

from telemetry.backend import TelemetryBackend
from telemetry.openmetrics import Family, OpenMetricsError, parse_numbered
from telemetry.records import MetricSeries

from .files import LayoutError

DEFAULT_STEP = 60.0
# A series may hold gaps, but not so many that a few stray timestamps blow it up.
_MAX_POINTS_PER_SAMPLE = 1000


def write_openmetrics(store: TelemetryBackend, path: Path,
                      help_texts: Mapping[str, tuple[str, str]] | None = None) -> Path:
    """`help_texts`: name -> (unit, help); without an entry, the series' own unit and its name."""
    help_texts = help_texts or {}
    start, end = store.time_range()
    services = [s.name for s in store.services()]
    families: dict[str, list[str]] = {}
    for name in store.metric_names():
        families.setdefault(family_of(name), []).append(name)
    with path.open("w", encoding="utf-8") as fh:
        for family, names in families.items():
            counter = family.endswith("_total")
            head = family[: -len("_total")] if counter else family
            fh.write(f"# TYPE {head} {'counter' if counter else 'gauge'}\n")
            blocks = []
            unit = None
            for name in names:
                labels = "," + name[len(family) + 1:-1] if "{" in name else ""
                for service in services:
                    series = store.metric(service, name, start, end + 1)
                    if series is None:
                        continue
                    unit = series.unit if unit is None else unit
                    blocks.append((f'{family}{{service="{_escape(service)}"{labels}}} ', series))
            unit, help_text = help_texts.get(family, (unit or "", family))
            fh.write(f"# HELP {head} {help_text} ({unit})\n" if unit or family in help_texts
                     else f"# HELP {head} {help_text}\n")
            for label, series in blocks:
                t0, step = series.start, series.step
                fh.writelines(
                    f"{label}{_num(v)} {_ts(t0 + i * step)}\n"
                    for i, v in enumerate(series.values) if not math.isnan(v)
                )
        fh.write("# EOF\n")
    return path


def family_of(name: str) -> str:
    return name.split("{", 1)[0]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _num(v: float) -> str:
    return repr(round(v, 6))


def _ts(t: float) -> str:
    return f"{t:.3f}".rstrip("0").rstrip(".")


# ----------------------------------------------------------------------------- reading
def read_openmetrics(path: Path, now: float | None = None) -> dict[tuple[str, str], MetricSeries]:
    """Every series in the file, made regular: the step is inferred from its timestamps and
    missing samples are NaN. Samples after `now` are dropped."""
    families: dict[str, Family] = {}
    points: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    try:
        with path.open(encoding="utf-8") as fh:
            for number, sample in parse_numbered(fh, families):
                where = f"{path.name} line {number}"
                if sample.timestamp is None:
                    raise LayoutError(f"{where}: sample without a timestamp")
                if now is not None and sample.timestamp > now:
                    continue
                labels = dict(sample.labels)
                service = labels.pop("service", None) or labels.pop("job", None)
                if not service:
                    raise LayoutError(f"{where}: sample without a service label")
                name = sample.name
                if labels:
                    name += "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items())) + "}"
                points[(service, name)].append((sample.timestamp, sample.value))
    except OpenMetricsError as exc:
        raise LayoutError(f"{path.name} {exc}") from None
    except UnicodeDecodeError:
        raise LayoutError(f"{path.name}: not UTF-8 text") from None
    steps = [s for s in (_step([t for t, _ in pts]) for pts in points.values()) if s]
    default_step = statistics.median(steps) if steps else DEFAULT_STEP
    out = {}
    for (service, name), pts in points.items():
        unit = _unit(families, family_of(name))
        out[(service, name)] = _regular(service, name, unit, pts, default_step, path.name)
    return out


def _unit(families: dict[str, Family], family: str) -> str:
    meta = families.get(family) or families.get(family.removesuffix("_total"))
    if meta is None:
        return ""
    if meta.unit:
        return meta.unit
    text = meta.help.rstrip()
    if text.endswith(")") and "(" in text:
        return text[text.rindex("(") + 1:-1]
    return ""


def _step(times: list[float]) -> float | None:
    """The sampling interval: the typical gap among the shortest ones, so that neither gaps
    (multiples of the step) nor a second of jitter in the scrape times mislead it."""
    diffs = sorted(b - a for a, b in zip(times, times[1:]) if b > a)
    if not diffs:
        return None
    rough = statistics.median(d for d in diffs if d < 1.5 * diffs[0])
    span = times[-1] - times[0]
    step = span / max(1, round(span / rough))  # averaged over the whole series: jitter cancels out
    return float(round(step)) if step >= 2 else round(step, 3)  # scrape intervals are whole seconds


def _regular(service: str, name: str, unit: str, pts: list[tuple[float, float]], default_step: float,
             file: str) -> MetricSeries:
    pts.sort(key=lambda p: p[0])
    step = _step([t for t, _ in pts]) or default_step
    start = pts[0][0]
    n = round((pts[-1][0] - start) / step) + 1
    if n > _MAX_POINTS_PER_SAMPLE * len(pts) + 1000:
        raise LayoutError(f"{file}: series {name} of {service} has irregular timestamps (step {step:g} s)")
    values = array("d", [math.nan]) * n
    for t, v in pts:  # a repeated timestamp: the later line wins
        values[round((t - start) / step)] = v
    return MetricSeries(service, name, unit, start, step, values)
