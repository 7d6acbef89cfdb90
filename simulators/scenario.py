"""Turn a scenario spec into telemetry: simulate the timeline, then read every signal off it.

The ground truth (which fault, where, when) is returned beside the telemetry, never inside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from telemetry.records import MetricSeries, ServiceInfo
from telemetry.store import TelemetryStore

from . import rng as rngmod
from . import settings
from .alerts import evaluate_rules, prometheus_rules
from .baseline import apply_baseline, apply_noise
from .decoys import apply_decoys
from .deployments import changes, history_before
from .faults import APPLY, FaultContext
from .logs import build_logs
from .metrics import build_metrics
from .profiles import build_profiles
from .recovery import recover
from .releases import assign_versions
from .spec import FaultSpec, ScenarioSpec
from .state import ServiceState, Timeline, diurnal_curve, propagate_failure, propagate_load
from .topology import build_graph
from .traces import build_traces


@dataclass(frozen=True)
class GroundTruth:
    faults: tuple[FaultSpec, ...]

    @property
    def root_cause_service(self) -> str | None:
        return self.faults[0].service if self.faults else None

    @property
    def fault_type(self) -> str:
        return self.faults[0].type if self.faults else "none"

    @property
    def root_causes(self) -> tuple[tuple[str, str], ...]:
        """Every injected fault as (service, fault type), in the spec's order."""
        return tuple((f.service, f.type) for f in self.faults)


@dataclass
class Simulation:
    spec: ScenarioSpec
    store: TelemetryStore
    truth: GroundTruth
    alert_rules: list[dict]  # the monitoring configuration, as Prometheus rules


def simulate(spec: ScenarioSpec) -> Simulation:
    seed = spec.seed
    graph = build_graph(spec.resolved_topology())
    step = float(spec.resolution_seconds)
    # Faults already under way when the window opens are simulated from their start; what
    # happened before the window is then cut off, except the change history.
    lead = math.ceil(spec.lead_in_minutes * 60 / step)
    n = int(spec.duration_minutes * 60 / step) + lead
    end = spec.resolved_end().timestamp()
    start = end - n * step
    window_start = start + lead * step
    profiles = build_profiles(graph, seed, spec.volume.entry_requests_per_second)
    history, released = history_before(profiles, start, seed)
    table = rngmod.noise_table()
    tl = Timeline(start=start, step=step, n=n, graph=graph, profiles=profiles, window_start=window_start,
                  states=[ServiceState(n) for _ in profiles], diurnal=diurnal_curve(start, step, n))

    apply_baseline(tl, seed, spec.noise, table)
    faulty = {graph.index(f.service) for f in spec.faults}
    first_fault = min((f.start_minute for f in spec.faults), default=None)
    apply_noise(tl, seed, spec.noise, faulty, None if first_fault is None else window_start + first_fault * 60.0)
    busy: dict[int, list[tuple[float, float]]] = {}
    for k, fault in enumerate(spec.faults):
        ctx = FaultContext(tl, graph.index(fault.service), fault, rngmod.child(seed, "fault", k))
        ctx.st.episodes.append((fault.type, ctx.i0, ctx.i1))
        APPLY[fault.type](ctx)
        recover(ctx)
        busy.setdefault(ctx.i, []).append((ctx.t0, tl.time(ctx.i1) if ctx.i1 < n else end))
    apply_decoys(tl, seed, spec.noise.decoys_per_service_hour, busy)
    assign_versions(tl, seed, released)
    settings.assign_values(tl, seed)

    load_noise = [table.smooth(rngmod.child(seed, "load", p.name), n) for p in profiles]
    propagate_load(tl, load_noise)
    propagate_failure(tl)

    series = build_metrics(tl, seed, table, spec.noise.metric_noise)
    alerts = [a for a in evaluate_rules(profiles, series, end) if a.ends_at is None or a.ends_at > window_start]
    spans, request_logs = build_traces(tl, seed, spec.volume.traces_per_minute)
    logs = build_logs(tl, seed, spec.volume.log_lines_per_minute)
    # A trace still in flight at the end of the window has not been reported yet, and one that
    # began before the window is not part of it.
    cut = {s.trace_id for s in spans if s.start + s.duration_ms / 1000.0 >= end or s.start < window_start}
    if cut:
        spans = [s for s in spans if s.trace_id not in cut]
        request_logs = [rec for rec in request_logs if rec.trace_id not in cut]
    logs.extend(request_logs)
    logs = [rec for rec in logs if window_start <= rec.time < end]
    if lead:
        series = {key: MetricSeries(s.service, s.name, s.unit, window_start, step, s.values[lead:])
                  for key, s in series.items()}
    deployments = history + changes(tl, seed, spec.noise.adversarial_text)
    services = [ServiceInfo(p.name, p.kind, tuple(graph.names[d] for d in graph.deps[i]), p.replicas)
                for i, p in enumerate(profiles)]
    store = TelemetryStore(
        name="simulator", service_infos=services, start=window_start, end=end, log_records=logs, series=series,
        span_records=spans, alert_records=alerts, deployment_records=deployments,
    )
    return Simulation(spec=spec, store=store, truth=GroundTruth(spec.faults), alert_rules=prometheus_rules(profiles))
