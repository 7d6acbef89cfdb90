"""How each fault changes its service's *own* state. Neighbours are affected only through
the load and failure passes in `state.py`, so propagation is never hand-placed.

Severity scales magnitude: low 0.4, medium 0.65, high 1.0, critical 1.3.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from . import operations, settings
from .spec import FaultSpec
from .state import Event, Timeline

SEVERITY_SCALE = {"low": 0.4, "medium": 0.65, "high": 1.0, "critical": 1.3}


class FaultContext:
    def __init__(self, tl: Timeline, service: int, fault: FaultSpec, rng: random.Random) -> None:
        self.tl = tl
        self.i = service
        self.st = tl.states[service]
        self.prof = tl.profiles[service]
        self.fault = fault
        self.rng = rng
        self.sev = SEVERITY_SCALE[fault.severity]
        self.t0 = tl.window_start + fault.start_minute * 60.0
        self.i0 = min(tl.n - 1, max(0, int(round((self.t0 - tl.start) / tl.step))))
        end = fault.end
        self.i1 = tl.n if end is None else min(tl.n, int(round((tl.window_start + end * 60.0 - tl.start) / tl.step)))
        self.recovery = fault.resolved_recovery if self.i1 < tl.n else None
        self.changes: list[Event] = []  # the changes this fault made (a release, a config change)

    def steps(self) -> range:
        return range(self.i0, self.i1)

    def ramp(self, t: int, seconds: float) -> float:
        """0 → 1 over `seconds` after onset."""
        return min(1.0, (t - self.i0 + 1) * self.tl.step / max(seconds, self.tl.step))

    def minutes_in(self, t: int) -> float:
        return (t - self.i0) * self.tl.step / 60.0

    def event(self, t: int | float, kind: str, **detail) -> Event:
        time = self.tl.time(t) if isinstance(t, int) else t
        ev = Event(time, self.i, kind, detail)
        self.tl.events.append(ev)
        return ev

    def fail_calls(self, deps, mode: str, fraction_at: Callable[[int], float]) -> None:
        for d in deps:
            self.st.call_fail_mode[d] = mode
            fail = self.st.call_fail.setdefault(d, [0.0] * self.tl.n)
            for t in self.steps():
                fail[t] = max(fail[t], fraction_at(t))

    def instance(self) -> str:
        return self.rng.choice(self.prof.instances)


def memory_leak(c: FaultContext) -> None:
    st, prof = c.st, c.prof
    minutes_to_full = 26.0 / c.sev
    rate = (99.0 - prof.memory_base) / minutes_to_full  # percent per minute
    level = st.memory[c.i0]
    restart_until = -1
    last_gc_warn = -10**9
    for t in c.steps():
        level += rate * c.tl.step / 60.0
        if level >= 97.5:
            # Pods hit their limit one after another; each is OOM-killed and restarts.
            for k, pod in enumerate(prof.instances):
                when = c.tl.time(t) + k * 20.0 + c.rng.uniform(0, 10)
                c.event(when, "oom_kill", instance=pod, memory=round(level, 1))
            for tt in range(t, c.tl.n):
                st.restarts[tt] += len(prof.instances)
            restart_until = t + max(1, round(45.0 / c.tl.step))
            level = prof.memory_base + 6.0
        pressure = max(0.0, (level - 65.0) / 35.0)
        st.memory[t] = max(st.memory[t], level)
        gc = prof.gc_base_ms + 650.0 * pressure ** 2
        st.gc[t] = max(st.gc[t], gc)
        st.lat_mult[t] *= 1.0 + 0.5 * (gc - prof.gc_base_ms) / prof.own_latency_ms * 0.25
        st.extra_cpu[t] += 0.22 * pressure
        st.err_own[t] += 0.18 * max(0.0, (level - 90.0) / 10.0)
        if t < restart_until:
            st.avail[t] = min(st.avail[t], 1.0 - 1.0 / max(2, prof.replicas))
            st.err_own[t] += 0.04
        if gc > 150 and (t - last_gc_warn) * c.tl.step >= 60:
            last_gc_warn = t
            c.event(t, "gc_pressure", instance=c.instance(), pause_ms=round(gc), heap=round(level, 1))


def cpu_saturation(c: FaultContext) -> None:
    extra = 0.35 + 0.55 * c.sev
    last = -10**9
    for t in c.steps():
        c.st.extra_cpu[t] += extra * c.ramp(t, 120)
        if (t - last) * c.tl.step >= 90:
            last = t
            c.event(t, "cpu_throttle", instance=c.instance())


def bad_deployment(c: FaultContext) -> None:
    # A release like any other; the new code fails as it reaches more pods.
    c.changes.append(operations.release(c.tl, c.i, c.tl.time(c.i0)))
    rollout = operations.rollout_seconds(c.prof.replicas)
    for t in c.steps():
        r = c.ramp(t, rollout)
        c.st.err_own[t] += (0.06 + 0.3 * c.sev) * r
        c.st.lat_mult[t] *= 1.0 + (0.3 + 0.9 * c.sev) * r
        c.st.extra_cpu[t] += 0.05 * r


def connection_pool_exhaustion(c: FaultContext) -> None:
    st, prof = c.st, c.prof
    last = -10**9
    for t in c.steps():
        r = c.ramp(t, 90)
        if r > 0.5:
            st.pool_pinned[t] = True
        wait = (150.0 + 2600.0 * c.sev) * r
        st.pool_wait_add[t] += wait
        st.lat_mult[t] *= 1.0 + 0.6 * wait / prof.own_latency_ms * 0.1
        st.err_own[t] += (0.08 + 0.3 * c.sev) * r
        if r > 0.5 and (t - last) * c.tl.step >= 60:
            last = t
            c.event(t, "pool_exhausted", instance=c.instance(), max=prof.pool_max, wait_ms=round(wait))


def network_partition(c: FaultContext) -> None:
    isolated = min(1.0, {"low": 0.5, "medium": 0.75}.get(c.fault.severity, 1.0))
    st = c.st
    connect_timeout = c.rng.choice((1000.0, 2000.0, 3000.0))
    for t in c.steps():
        st.reach[t] = min(st.reach[t], 1.0 - isolated)
        st.up[t] = min(st.up[t], 1.0 - isolated)
        st.unreach_ms[t] = connect_timeout
        if isolated >= 1.0:
            st.silent[t] = True
            st.logs_lost[t] = True
    st.unreach_mode = "dep_unreachable"
    c.fail_calls(c.tl.graph.deps[c.i], "dep_unreachable", lambda t: isolated)
    c.event(c.i0, "partition", isolated=isolated)


def network_latency(c: FaultContext) -> None:
    delay = 80.0 + 320.0 * c.sev
    for t in c.steps():
        r = c.ramp(t, 60)
        jitter = 1.0 + 0.15 * c.rng.uniform(-1, 1)
        c.st.lat_add[t] += delay * r * jitter
        c.st.rtt[t] += delay * r * jitter
        c.st.tail_mult[t] *= 1.0 + 0.5 * r
        c.st.err_own[t] += 0.01 * c.sev * r
    c.event(c.i0, "slow_network", delay_ms=round(delay))


def packet_loss(c: FaultContext) -> None:
    loss = 2.0 + 10.0 * c.sev  # percent
    for t in c.steps():
        r = c.ramp(t, 60)
        c.st.retrans[t] += loss * 25.0 * r * (1.0 + 0.2 * c.rng.uniform(-1, 1))
        c.st.err_own[t] += loss / 100.0 * 0.9 * r
        c.st.tail_mult[t] *= 1.0 + (2.0 + 2.0 * c.sev) * r
        c.st.lat_mult[t] *= 1.0 + 0.15 * r
    c.event(c.i0, "packet_loss", loss_percent=round(loss, 1))


def disk_full(c: FaultContext) -> None:
    st = c.st
    start_level = st.disk[c.i0]
    minutes_to_full = 12.0 / c.sev
    warned = set()
    for t in c.steps():
        level = min(100.0, start_level + (100.0 - start_level) * c.minutes_in(t) / minutes_to_full)
        st.disk[t] = max(st.disk[t], level)
        for mark in (c.prof.disk_warn_percent, 90, 95):
            if level >= mark and mark not in warned:
                warned.add(mark)
                c.event(t, "disk_warning", instance=c.instance(), percent=mark)
        if level >= 97.0:
            st.err_own[t] += 0.1 + 0.4 * c.sev
            st.lat_mult[t] *= 1.2


def config_error(c: FaultContext) -> None:
    # A key and value like any routine change's; the service's reaction is the fault.
    c.changes.append(c.event(c.i0, "config_change", key=settings.pick_key(c.rng), complains=True))
    for t in c.steps():
        r = c.ramp(t, 45)
        c.st.err_own[t] += (0.1 + 0.35 * c.sev) * r
        c.st.lat_mult[t] *= 1.0 - 0.1 * r


def credential_failure(c: FaultContext) -> None:
    graph = c.tl.graph
    deps = graph.deps[c.i]
    share = 0.55 + 0.45 * min(1.0, c.sev)
    if deps:
        stores = [d for d in deps if graph.kinds[d] in ("database", "cache", "queue")]
        target = c.rng.choice(stores or list(deps))
        c.fail_calls([target], "dep_auth", lambda t: share * c.ramp(t, 30))
        c.event(c.i0, "credential_rejected", target=target)
    else:
        for t in c.steps():
            c.st.err_own[t] += (0.2 + 0.5 * min(1.0, c.sev)) * c.ramp(t, 30)
        c.event(c.i0, "credential_expired")


def dns_failure(c: FaultContext) -> None:
    deps = c.tl.graph.deps[c.i]
    share = 0.5 + 0.5 * min(1.0, c.sev)
    if deps:
        c.fail_calls(deps, "dep_dns", lambda t: share * c.ramp(t, 30))
    else:
        c.st.unreach_mode = "dep_dns"
        for t in c.steps():
            c.st.reach[t] = min(c.st.reach[t], 1.0 - share * c.ramp(t, 30))
            c.st.unreach_ms[t] = 5.0
    c.event(c.i0, "dns_broken", outbound=bool(deps))


def crash_loop(c: FaultContext) -> None:
    st, prof, tl = c.st, c.prof, c.tl
    pods = prof.instances
    affected = pods if c.sev >= 0.6 else pods[: max(1, len(pods) // 2)]
    end_time = tl.time(c.i1 - 1) + tl.step
    up = [[True] * tl.n for _ in pods]
    for k, pod in enumerate(affected):
        t = c.t0 + c.rng.uniform(0, 30)
        backoff = 10.0
        while t < end_time:
            c.event(t, "crash", instance=pod)
            down_until = t + backoff
            c.event(down_until, "backoff_restart", instance=pod, backoff_s=round(backoff))
            for idx in range(tl.index(t), min(tl.n, tl.index(down_until) + 1)):
                up[k][idx] = False
            for idx in range(tl.index(t), tl.n):
                st.restarts[idx] += 1
            t = down_until + c.rng.uniform(8, 25)  # runs briefly, then crashes again
            backoff = min(300.0, backoff * 2)
    for t in c.steps():
        alive = sum(1 for k in range(len(pods)) if up[k][t]) / len(pods)
        st.avail[t] = min(st.avail[t], max(alive, 0.0))
        st.reach[t] = min(st.reach[t], alive)
        st.up[t] = min(st.up[t], alive)
        st.unreach_ms[t] = 3.0  # connection refused is immediate
        st.err_own[t] += 0.08 * (1.0 - alive)
        if alive == 0.0:
            st.silent[t] = True


def traffic_surge(c: FaultContext) -> None:
    st, prof = c.st, c.prof
    mult = 0.8 + 1.6 * c.sev
    last = -10**9
    for t in c.steps():
        st.extra_load[t] += prof.base_rps * c.tl.diurnal[t] * mult * c.ramp(t, 180)
        if (t - last) * c.tl.step >= 120:
            last = t
            c.event(t, "traffic_high", instance=c.instance())


APPLY: dict[str, Callable[[FaultContext], None]] = {
    "memory_leak": memory_leak,
    "cpu_saturation": cpu_saturation,
    "bad_deployment": bad_deployment,
    "connection_pool_exhaustion": connection_pool_exhaustion,
    "network_partition": network_partition,
    "network_latency": network_latency,
    "packet_loss": packet_loss,
    "disk_full": disk_full,
    "config_error": config_error,
    "credential_failure": credential_failure,
    "dns_failure": dns_failure,
    "crash_loop": crash_loop,
    "traffic_surge": traffic_surge,
}
