"""Turn a scenario spec into telemetry: simulate the timeline, then read every signal off it.

The ground truth (which fault, where, when) is returned beside the telemetry, never inside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from telemetry.records import ServiceInfo
from telemetry.store import TelemetryStore

from . import rng as rngmod
from .alerts import evaluate_rules, prometheus_rules
from .baseline import apply_baseline, apply_noise
from .deployments import changes_in_window, history_before_window
from .faults import APPLY, FaultContext
from .logs import build_logs
from .metrics import build_metrics
from .profiles import build_profiles
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
    n = int(spec.duration_minutes * 60 / step)
    end = spec.resolved_end().timestamp()
    start = end - n * step
    profiles = build_profiles(graph, seed, spec.volume.entry_requests_per_second)
    history = history_before_window(profiles, start, seed)
    table = rngmod.noise_table()
    tl = Timeline(start=start, step=step, n=n, graph=graph, profiles=profiles,
                  states=[ServiceState(n) for _ in profiles], diurnal=diurnal_curve(start, step, n))

    apply_baseline(tl, seed, spec.noise, table)
    faulty = {graph.index(f.service) for f in spec.faults}
    first_fault = min((f.start_minute for f in spec.faults), default=None)
    apply_noise(tl, seed, spec.noise, faulty, None if first_fault is None else start + first_fault * 60.0)
    for k, fault in enumerate(spec.faults):
        ctx = FaultContext(tl, graph.index(fault.service), fault, rngmod.child(seed, "fault", k))
        tl.states[ctx.i].faults.append((fault.type, ctx.i0, ctx.i1))
        APPLY[fault.type](ctx)

    load_noise = [table.smooth(rngmod.child(seed, "load", p.name), n) for p in profiles]
    propagate_load(tl, load_noise)
    propagate_failure(tl)

    series = build_metrics(tl, seed, table, spec.noise.metric_noise)
    spans, request_logs = build_traces(tl, seed, spec.volume.traces_per_minute)
    logs = build_logs(tl, seed, spec.volume.log_lines_per_minute)
    # A trace still in flight at the end of the window has not been reported yet.
    unfinished = {s.trace_id for s in spans if s.start + s.duration_ms / 1000.0 >= end}
    if unfinished:
        spans = [s for s in spans if s.trace_id not in unfinished]
        request_logs = [rec for rec in request_logs if rec.trace_id not in unfinished]
    logs.extend(request_logs)
    logs = [rec for rec in logs if start <= rec.time < end]
    deployments = history + changes_in_window(tl, seed, spec.noise.adversarial_text)
    services = [ServiceInfo(p.name, p.kind, tuple(graph.names[d] for d in graph.deps[i]), p.replicas)
                for i, p in enumerate(profiles)]
    store = TelemetryStore(
        name="simulator", service_infos=services, start=start, end=end, log_records=logs, series=series,
        span_records=spans, alert_records=evaluate_rules(profiles, series, end), deployment_records=deployments,
    )
    return Simulation(spec=spec, store=store, truth=GroundTruth(spec.faults), alert_rules=prometheus_rules(profiles))
