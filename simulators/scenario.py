"""Turn a scenario spec into telemetry: simulate the timeline, then read every signal off it.

The ground truth (which fault, where, when) is returned beside the telemetry, never inside it.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass

from telemetry.records import Alert, MetricSeries, ServiceInfo
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


@dataclass
class Signals:
    """The metrics, and the alerts evaluated on them: about a quarter of the generation's
    work, and compact enough to copy between processes (see `simulate`)."""
    series: dict[tuple[str, str], MetricSeries]
    alerts: list[Alert]


def simulate(spec: ScenarioSpec, signals: Callable[[], Signals | None] | None = None) -> Simulation:
    """`signals`: asked, once the rest is generated, for this spec's signals made elsewhere
    (by another process running `Generation` on the same spec); when it returns None they
    are made here. Generation is deterministic, so either way the telemetry is the same."""
    # Generation allocates hundreds of thousands of acyclic records; letting the cyclic
    # garbage collector rescan them over and over costs more than the generation itself.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        generation = Generation(spec)
        return generation.finish(lambda: (signals and signals()) or generation.signals())
    finally:
        if was_enabled:
            gc.enable()


class Generation:
    """One scenario's generation in steps: the timeline (here), its `signals`, and `finish`
    (traces, logs, changes, the store), so that the signals may come from another process."""

    def __init__(self, spec: ScenarioSpec) -> None:
        self.spec = spec
        seed = self.seed = spec.seed
        graph = build_graph(spec.resolved_topology())
        step = float(spec.resolution_seconds)
        n = int(spec.duration_minutes * 60 / step)
        self.end = end = spec.resolved_end().timestamp()
        self.start = start = end - n * step
        profiles = self.profiles = build_profiles(graph, seed, spec.volume.entry_requests_per_second)
        self.history = history_before_window(profiles, start, seed)
        table = self.table = rngmod.noise_table()
        tl = self.tl = Timeline(start=start, step=step, n=n, graph=graph, profiles=profiles,
                                states=[ServiceState(n) for _ in profiles], diurnal=diurnal_curve(start, step, n))

        apply_baseline(tl, seed, spec.noise, table)
        faulty = {graph.index(f.service) for f in spec.faults}
        first_fault = min((f.start_minute for f in spec.faults), default=None)
        apply_noise(tl, seed, spec.noise, faulty,
                    None if first_fault is None else start + first_fault * 60.0)
        for k, fault in enumerate(spec.faults):
            ctx = FaultContext(tl, graph.index(fault.service), fault, rngmod.child(seed, "fault", k))
            tl.states[ctx.i].faults.append((fault.type, ctx.i0, ctx.i1))
            APPLY[fault.type](ctx)

        load_noise = [table.smooth(rngmod.child(seed, "load", p.name), n) for p in profiles]
        propagate_load(tl, load_noise)
        propagate_failure(tl)

    def signals(self) -> Signals:
        series = build_metrics(self.tl, self.seed, self.table, self.spec.noise.metric_noise)
        return Signals(series, evaluate_rules(self.profiles, series, self.end))

    def finish(self, signals: Callable[[], Signals]) -> Simulation:
        """Everything else, then the signals (asked for last, so that they may arrive from
        elsewhere meanwhile), then the store."""
        spec, tl, seed, start, end = self.spec, self.tl, self.seed, self.start, self.end
        spans, request_logs = build_traces(tl, seed, spec.volume.traces_per_minute)
        logs = build_logs(tl, seed, spec.volume.log_lines_per_minute)
        # A trace still in flight at the end of the window has not been reported yet.
        unfinished = {s.trace_id for s in spans if s.start + s.duration_ms / 1000.0 >= end}
        if unfinished:
            spans = [s for s in spans if s.trace_id not in unfinished]
            request_logs = [rec for rec in request_logs if rec.trace_id not in unfinished]
        logs.extend(request_logs)
        logs = [rec for rec in logs if start <= rec.time < end]
        deployments = self.history + changes_in_window(tl, seed, spec.noise.adversarial_text)
        services = [ServiceInfo(p.name, p.kind, tuple(tl.graph.names[d] for d in tl.graph.deps[i]), p.replicas)
                    for i, p in enumerate(self.profiles)]
        made = signals()
        store = TelemetryStore(
            name="simulator", service_infos=services, start=start, end=end, log_records=logs,
            series=made.series, span_records=spans, alert_records=made.alerts, deployment_records=deployments,
        )
        return Simulation(spec=spec, store=store, truth=GroundTruth(spec.faults),
                          alert_rules=prometheus_rules(self.profiles))
