"""A whole directory of the files layout: written from any backend, loaded into a store."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from telemetry.backend import TelemetryBackend
from telemetry.records import ServiceInfo
from telemetry.store import TelemetryStore
from telemetry.timefmt import iso

from . import files as names
from .alerts import alertmanager_alert, read_alerts, write_rules
from .changes import deployment_dict, read_deployments, read_topology, topology_dict
from .files import LayoutError, write_json
from .logs import loki_push_body, read_logs, write_logs_jsonl
from .metrics import read_openmetrics, write_openmetrics
from .traces import otlp_traces, read_traces


def write_directory(store: TelemetryBackend, out_dir: str | Path, *,
                    metric_help: Mapping[str, tuple[str, str]] | None = None,
                    rules: list[dict] | None = None) -> dict[str, Path]:
    """Every file of the layout for the whole of `store`'s time range (plus `rules.yml` when
    alert rules are given)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    start, end = store.time_range()
    files = {
        names.METRICS: write_openmetrics(store, out / names.METRICS, metric_help),
        names.ALERTS: write_json(out / names.ALERTS, [alertmanager_alert(a) for a in store.alerts(start, end)]),
        names.LOGS: write_logs_jsonl(store.logs(start, end), out / names.LOGS),
        names.LOKI_PUSH: write_json(out / names.LOKI_PUSH, loki_push_body(store.logs(start, end))),
        names.TRACES: write_json(out / names.TRACES, otlp_traces(store.spans(start, end + 3600))),
        names.DEPLOYMENTS: write_json(out / names.DEPLOYMENTS,
                                      [deployment_dict(d) for d in store.deployments(0.0, end)]),
        names.TOPOLOGY: write_json(out / names.TOPOLOGY, topology_dict(store.services(), start, end)),
    }
    if rules is not None:
        files[names.RULES] = write_rules(rules, out / names.RULES)
    reference = getattr(store, "reference_store", None)
    if reference is not None:
        for name, path in write_directory(reference, out / names.REFERENCE, metric_help=metric_help).items():
            files[f"{names.REFERENCE}/{name}"] = path
    return files


class _AfterNow(LayoutError):
    """The directory's telemetry begins after `now`."""


def load_directory(path: str | Path, now: float | None = None) -> TelemetryStore:
    """The telemetry in `path`. Every file is optional; only the layout's own file names are
    opened. With `now`, nothing after it is kept and the store ends at `now`; otherwise it ends
    where topology.json says, or at the latest record. A `reference/` subdirectory (the system
    working normally) becomes the store's `reference_store`, unless it begins after `now`.
    Raises LayoutError (a ValueError)."""
    root = Path(path)
    store = _load(root, now)
    if (root / names.REFERENCE).is_dir():
        try:
            reference = _load(root / names.REFERENCE, now, ends_at_now=False)
        except _AfterNow:
            reference = None
        except LayoutError as exc:
            raise LayoutError(f"{names.REFERENCE}/{exc}") from None
        if reference is not None and (reference.log_records or reference.span_records or reference.series):
            store.reference_store = reference  # else nothing of it is known yet at `now`
    return store


def _load(root: Path, now: float | None, ends_at_now: bool = True) -> TelemetryStore:
    """One directory's files; with `now`, the store ends there (`ends_at_now`) or where its own
    telemetry does, whichever is earlier."""
    if not root.is_dir():
        raise LayoutError(f"{root}: not a directory")
    present = {name for name in names.SERVED_FILES if (root / name).is_file()}
    if not present:
        raise LayoutError(f"{root}: no telemetry files (expected any of {', '.join(names.SERVED_FILES)})")

    def read(name: str, reader, *args):
        return reader(root / name, *args) if name in present else []

    services, start, end = read_topology(root / names.TOPOLOGY) if names.TOPOLOGY in present else ([], None, None)
    series = read(names.METRICS, read_openmetrics, now) or {}
    logs = read(names.LOGS, read_logs, now)
    spans = read(names.TRACES, read_traces, now)
    alerts = read(names.ALERTS, read_alerts, now)
    deployments = read(names.DEPLOYMENTS, read_deployments, now)

    observed = ([r.time for r in logs] + [s.start for s in spans] + [a.starts_at for a in alerts]
                + [s.start for s in series.values()])
    last = ([r.time for r in logs] + [s.start + s.duration_ms / 1000 for s in spans]
            + [s.time_at(len(s.values) - 1) for s in series.values()]
            + [t for a in alerts for t in (a.starts_at, a.ends_at) if t is not None])
    if not observed:  # only a change history
        observed = last = [d.time for d in deployments]
    if start is None:
        start = min(observed, default=now)
    if end is None:  # just after the latest record: windows are half-open
        end = max(last) + 0.001 if last else start
    if now is not None:
        end = now if ends_at_now or end is None else min(end, now)
    if start is None or end is None:
        raise LayoutError(f"{root}: no timestamps in the telemetry files and no time range in {names.TOPOLOGY}")
    if end < start:
        raise _AfterNow(f"{root}: now ({iso(end)}) is before the first telemetry ({iso(start)})")
    if not services:
        services = _services_from_data(series, logs, spans, alerts, deployments)
    return TelemetryStore(name="files", service_infos=services, start=start, end=end, log_records=logs,
                          series=series, span_records=spans, alert_records=alerts,
                          deployment_records=deployments)


def _services_from_data(series, logs, spans, alerts, deployments) -> list[ServiceInfo]:
    """Every service the records name; a service depends on those its spans' children ran in."""
    names_seen = ({service for service, _ in series} | {r.service for r in logs} | {s.service for s in spans}
                  | {a.service for a in alerts if a.service} | {d.service for d in deployments})
    by_id = {(s.trace_id, s.span_id): s.service for s in spans}
    calls: dict[str, set[str]] = {}
    for s in spans:
        parent = by_id.get((s.trace_id, s.parent_id)) if s.parent_id else None
        if parent is not None and parent != s.service:
            calls.setdefault(parent, set()).add(s.service)
    return [ServiceInfo(name, "service", tuple(sorted(calls.get(name, ()))), 1) for name in sorted(names_seen)]
