"""A day of the dataset turned into case directories.

Logs and traces are streamed file by file (a day of OnlineBoutique spans does not fit in memory
comfortably); each row goes to the case whose window holds it, and a case's logs and traces
are written as soon as the files have moved well past its window. Metrics and the topology
(which needs every span of the day) are written last.

The day's fault-free phase (`construct_data/DAY`, when it kept logs or traces) is every later
case's reference: the same system working normally, in the layout's `reference/`. A case that
ends before that phase does not get it (nothing in a case comes from after its present).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import math
import re
import shutil
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from telemetry.layout.changes import topology_dict
from telemetry.layout.files import LOGS, METRICS, REFERENCE, TOPOLOGY, TRACES, write_json
from telemetry.layout.logs import write_logs_jsonl
from telemetry.layout.metrics import write_openmetrics
from telemetry.layout.traces import otlp_traces
from telemetry.records import LogRecord, ServiceInfo, Span
from telemetry.store import TelemetryStore
from telemetry.timefmt import iso

from . import metrics as nezha_metrics
from .logs import log_record
from .source import Day, Fault, find_days, opened, read_labels, service_of, system_of
from .traces import span as make_span
from .windows import Window, case_windows, scrape_phase

TRUTH = "truth.json"  # never one of the layout's file names: no backend opens it
SHORT_NAMES = {"onlineboutique": "ob", "trainticket": "tt"}
# The project's fault types where a dataset's type is the same fault.
PROJECT_FAULT_TYPES = {"cpu_contention": "cpu_saturation", "cpu_consumed": "cpu_saturation",
                       "network_delay": "network_latency"}
# A case is written once the files have moved this far past its present (their rows lie
# within a few minutes of the minute in their name).
FLUSH_AFTER = 600.0
_FILE_MINUTE = re.compile(r"^(?P<hour>\d{2})_(?P<minute>\d{2})_")
_ADDRESS = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


@dataclass
class Case:
    path: Path
    fault: Fault | None  # None for the fault-free phase
    window: Window
    logs: list[LogRecord] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    log_lines: int = 0
    span_count: int = 0
    series: int = 0
    written: bool = False
    seen: set = field(default_factory=set)
    first: float = math.inf  # the earliest and latest instants of its logs and spans
    last: float = -math.inf
    reference: bool = False  # whether it holds the fault-free phase as its reference

    @property
    def summary(self) -> str:
        return (f"{self.log_lines:,} log lines, {self.span_count:,} spans, {self.series:,} series, "
                f"{iso(self.window.start)} to {iso(self.window.now)}"
                + (", with the fault-free phase as reference" if self.reference else ""))


def import_nezha(source: str | Path, out: str | Path, labels: str | Path | None = None) -> list[Case]:
    """Import every day found in `source` (a day's archive, an extracted day, or a folder of days)."""
    out_dir = Path(out)
    with opened(source) as root:
        days = find_days(root)
        if not days:
            raise ValueError(f"{source}: no *-fault_list.json (expected an extracted day, rca_data/DAY, "
                             "or a day's .tar.xz)")
        fine = read_labels(labels, Path(source))
        return [case for day in days for case in _import_day(day, out_dir, fine)]


def _import_day(day: Day, out: Path, fine: dict[str, dict]) -> list[Case]:
    metric_dir = day.path / "metric"
    if not metric_dir.is_dir():
        raise ValueError(f"{day.path}: no metric/ folder")
    pod_rows = nezha_metrics.read_pod_files(metric_dir)
    phase = scrape_phase(t for rows in pod_rows.values() for t, _ in rows)
    windows = case_windows([f.inject for f in day.faults], phase)
    pods = set(pod_rows)
    system = system_of({service_of(p) for p in pods})
    cases = []
    for ordinal, (fault, window) in enumerate(zip(day.faults, windows)):
        digest = hashlib.sha256(f"nezha/{system}/{day.name}/{ordinal}".encode()).hexdigest()[:10]
        path = out / f"{SHORT_NAMES[system]}-{digest}"
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        cases.append(Case(path, fault, window))

    calls: set[tuple[str, str]] = _dependencies(metric_dir / "dependency.csv")
    for kind in ("log", "trace"):
        _stream(day.path / kind, day.name, kind, cases, pods, calls)
    fault_free = _fault_free_phase(day, out, pods, calls)
    try:
        services = _services(pods, calls)
        entry = next((s.name for s in services if s.kind == "gateway"), None)
        grid = nezha_metrics.MinuteGrid(phase)
        series = nezha_metrics.read_metrics(metric_dir, pod_rows, grid, {s.name for s in services}, entry)
        day_store = TelemetryStore("nezha", services, 0.0, 0.0, series=series)
        labels = fine.get(system, {})
        if fault_free is not None:
            _write_metrics(fault_free, day_store, services)
            write_json(fault_free.path / TOPOLOGY, topology_dict(services, fault_free.window.start,
                                                                 fault_free.window.now))
        for case in cases:
            _write_metrics(case, day_store, services)
            write_json(case.path / TOPOLOGY, topology_dict(services, case.window.start, case.window.now))
            write_json(case.path / TRUTH, _truth(case, system, day.name, labels))
            if fault_free is not None and fault_free.window.now <= case.window.now:
                shutil.copytree(fault_free.path, case.path / REFERENCE)
                case.reference = True
    finally:
        if fault_free is not None:
            shutil.rmtree(fault_free.path, ignore_errors=True)
    return cases


def _fault_free_phase(day: Day, out: Path, pods: set[str], calls: set[tuple[str, str]]) -> Case | None:
    """The logs and traces of the day's fault-free phase, written to a folder of their own;
    its window is the stretch they cover."""
    folder = day.fault_free
    if folder is None:
        return None
    phase = Case(out / f".fault-free-{day.name}", None, Window(-math.inf, math.inf))
    if phase.path.exists():
        shutil.rmtree(phase.path)
    phase.path.mkdir(parents=True)
    for kind in ("log", "trace"):
        _stream(folder / kind, day.name, kind, [phase], pods, calls)
    if phase.first > phase.last:
        shutil.rmtree(phase.path)
        return None
    phase.window = dataclasses.replace(phase.window, start=phase.first, now=phase.last + 1.0)
    return phase


def _dependencies(path: Path) -> set[tuple[str, str]]:
    """Caller -> callee pairs of dependency.csv; endpoints given as node addresses are not
    services and are left out."""
    if not path.is_file():
        return set()
    with path.open(newline="", encoding="utf-8") as fh:
        return {(service_of(row["Source"]), service_of(row["Target"])) for row in csv.DictReader(fh)
                if row.get("Source") and row.get("Target") and not _ADDRESS.match(row["Source"])
                and not _ADDRESS.match(row["Target"]) and service_of(row["Source"]) != service_of(row["Target"])}


def _files(folder: Path, day: str) -> list[tuple[float, Path]]:
    """A day's `HH_MM_<kind>.csv` files in `folder`, in time order (those without a time last)."""
    midnight = datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()
    found = []
    for path in folder.glob("*.csv"):
        m = _FILE_MINUTE.match(path.name)
        found.append((midnight + int(m["hour"]) * 3600 + int(m["minute"]) * 60 if m else float("inf"), path))
    return sorted(found)


def _stream(folder: Path, day: str, kind: str, cases: list[Case], pods: set[str], calls: set[tuple[str, str]]
            ) -> None:
    starts = [c.window.start for c in cases]
    for case in cases:
        case.seen = set()
        case.written = False
    for file_time, path in _files(folder, day):
        spans_by_id: dict[str, str] = {}
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                continue
            column = {name: i for i, name in enumerate(header)}
            for number, row in enumerate(reader, 2):
                try:
                    if kind == "log":
                        _take_log(row, column, cases, starts, pods)
                    else:
                        _take_span(row, column, cases, starts, pods, spans_by_id, calls)
                except (KeyError, IndexError, ValueError) as exc:
                    raise ValueError(f"{path} line {number}: unreadable {kind} row ({exc})") from None
        for case in cases:
            if not case.written and case.window.now + FLUSH_AFTER < file_time:
                _flush(case, kind)
    for case in cases:
        if not case.written:
            _flush(case, kind)


def _case_at(t: float, cases: list[Case], starts: list[float]) -> Case | None:
    i = bisect_right(starts, t) - 1
    if i < 0 or t >= cases[i].window.now:
        return None
    return cases[i]


def _take_log(row: list[str], column: dict[str, int], cases, starts, pods: set[str]) -> None:
    nanos = row[column["TimeUnixNano"]]
    t = int(nanos) / 1e9
    case = _case_at(t, cases, starts)
    if case is None:
        return
    pod, raw = row[column["PodName"]], row[column["Log"]]
    key = (nanos, pod, raw)  # neighbouring files overlap: the same line appears in both
    if key in case.seen:
        return
    case.seen.add(key)
    pods.add(pod)
    if case.written:
        raise ValueError("a log line far from its file's minute")
    case.logs.append(log_record(t, pod, row[column["TraceID"]], row[column["SpanID"]], raw))


def _take_span(row: list[str], column: dict[str, int], cases, starts, pods: set[str], spans_by_id: dict[str, str],
               calls: set[tuple[str, str]]) -> None:
    pod = row[column["PodName"]]
    span_id, parent = row[column["SpanID"]], row[column["ParentID"]]
    spans_by_id[span_id] = pod
    caller = spans_by_id.get(parent)
    if caller is not None and service_of(caller) != service_of(pod):
        calls.add((service_of(caller), service_of(pod)))
    s = make_span(row[column["TraceID"]], span_id, parent, pod, row[column["OperationName"]],
                  row[column["StartTimeUnixNano"]], row[column["EndTimeUnixNano"]])
    case = _case_at(s.start, cases, starts)
    if case is None or s.start + s.duration_ms / 1000 >= case.window.now:  # unfinished at now
        return
    key = (s.trace_id, s.span_id)
    if key in case.seen:
        return
    case.seen.add(key)
    pods.add(pod)
    if case.written:
        raise ValueError("a span far from its file's minute")
    case.spans.append(s)


def _flush(case: Case, kind: str) -> None:
    """Write what a case got of `kind`; nothing at all when the dataset kept none for it (a
    missing file says "not collected", an empty one would say "silent")."""
    if kind == "log":
        case.logs.sort(key=lambda r: r.time)
        if case.logs:
            write_logs_jsonl(case.logs, case.path / LOGS)
            case.first, case.last = min(case.first, case.logs[0].time), max(case.last, case.logs[-1].time)
        case.log_lines, case.logs = len(case.logs), []
    else:
        case.spans.sort(key=lambda s: s.start)
        if case.spans:
            write_json(case.path / TRACES, otlp_traces(case.spans, scope="nezha-import", kind=0, status=False))
            case.first = min(case.first, case.spans[0].start)
            case.last = max(case.last, max(s.start + s.duration_ms / 1000 for s in case.spans))
        case.span_count, case.spans = len(case.spans), []
    case.written, case.seen = True, set()


def _services(pods: set[str], calls: set[tuple[str, str]]) -> list[ServiceInfo]:
    replicas: dict[str, int] = defaultdict(int)
    for pod in pods:
        replicas[service_of(pod)] += 1
    names = sorted(set(replicas) | {s for edge in calls for s in edge})
    callees: dict[str, list[str]] = defaultdict(list)
    for caller, callee in sorted(calls):
        callees[caller].append(callee)
    called = {callee for _, callee in calls}
    # The entry of the system: it calls others and nobody calls it.
    return [ServiceInfo(name, "gateway" if callees[name] and name not in called else "service",
                        tuple(callees[name]), max(1, replicas[name])) for name in names]


def _write_metrics(case: Case, day_store: TelemetryStore, services: list[ServiceInfo]) -> None:
    start, now = case.window.start, case.window.now
    series = {}
    for (service, name) in day_store.series:
        window = day_store.metric(service, name, start, now)
        if window is not None and len(window.values):
            series[(service, name)] = window
    store = TelemetryStore("nezha", services, start, now, series=series)
    write_openmetrics(store, case.path / METRICS, nezha_metrics.HELP)
    case.series = len(series)


def _truth(case: Case, system: str, day: str, labels: dict) -> dict:
    fault = case.fault
    detail = labels.get(fault.service, {}).get(fault.kind)
    metric = nezha_metrics.POD_COLUMNS.get(detail or "")
    return {
        "dataset": "nezha", "system": system, "day": day, "case": case.path.name,
        "inject_time": iso(fault.inject), "inject_pod": fault.pod,
        "root_cause_service": fault.service, "fault_type": fault.kind,
        "project_fault_type": PROJECT_FAULT_TYPES.get(fault.kind),
        "root_cause_detail": detail, "root_cause_metric": metric[0] if metric else None,
        "window": {"start": iso(case.window.start), "now": iso(case.window.now)},
    }
