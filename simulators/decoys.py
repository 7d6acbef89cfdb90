"""Harmless look-alikes of every fault, on any service, at the rate the noise level sets.

A real quiet system has them: a batch pod OOM-killed once, a transient DNS timeout, a
credential rotation that went fine, a release followed by a few new exceptions nobody
notices, a disk that crept towards a warning until log rotation ran. Each look-alike prints
the lines and moves the metrics its fault would, through the same events and state, only
briefly and a little, and it heals by itself. Routine rollbacks, restarts and scaling join
them in the change history.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from . import operations
from . import rng as rngmod
from .state import DIURNAL_AMPLITUDE, Event, Timeline

SECONDS_PER_HOUR = 3600.0
DAILY_PEAK = 1.0 + DIURNAL_AMPLITUDE  # traffic at the busiest time of day, relative to the mean


class Decoy:
    """One look-alike on service i at `when`, with helpers that write its effect into the state."""

    def __init__(self, tl: Timeline, i: int, when: float, rng: random.Random) -> None:
        self.tl, self.i, self.when, self.rng = tl, i, when, rng
        self.st, self.prof = tl.states[i], tl.profiles[i]
        self.t0 = tl.index(when)

    def steps(self, seconds: float) -> range:
        return range(self.t0, min(self.tl.n, self.t0 + max(1, round(seconds / self.tl.step))))

    def shaped(self, seconds: float) -> list[tuple[int, float]]:
        """(step, 0..1): up over the first fifth, down over the last fifth."""
        steps = self.steps(seconds)
        n = len(steps)
        edge = max(1.0, n / 5)
        return [(t, min(1.0, (k + 1) / edge, (n - k) / edge)) for k, t in enumerate(steps)]

    def event(self, when: float, kind: str, service: int | None = None, **detail) -> Event:
        ev = Event(when, self.i if service is None else service, kind, detail)
        self.tl.events.append(ev)
        return ev

    def episode(self, fault_type: str, steps: range) -> None:
        """Name what the service's own errors are about meanwhile (traces.own_cause)."""
        if steps:
            self.st.episodes.append((fault_type, steps.start, steps.stop))

    def headroom(self) -> float:
        """Extra utilisation the service takes at its daily peak before it saturates (a
        look-alike stays small: it never pushes a service past about 85%)."""
        return max(0.1, 0.85 - self.prof.base_rps / self.prof.capacity_rps * DAILY_PEAK)

    def pod(self) -> str:
        return rngmod.pick(self.rng, self.prof.instances)

    def one_pod_down(self, steps: range, errors: float) -> None:
        lost = 1.0 - 1.0 / max(2, self.prof.replicas)
        for t in steps:
            self.st.avail[t] = min(self.st.avail[t], lost)
            self.st.up[t] = min(self.st.up[t], lost)
            self.st.err_own[t] += errors


# ----------------------------------------------------------------------- look-alikes by fault
def _memory(d: Decoy) -> None:
    """Heap grows for a few minutes on one pod, which is OOM-killed and comes back."""
    shape = d.steps(d.rng.uniform(120, 360))
    rise = d.rng.uniform(8, 25)
    n = len(shape)
    for k, t in enumerate(shape):
        d.st.memory[t] += rise * (k + 1) / n
        if k >= 2 * n // 3:
            d.st.gc[t] += d.rng.uniform(30, 120)
    kill = min(shape.stop, d.tl.n - 1)
    d.event(d.tl.time(kill), "oom_kill", instance=d.pod(), memory=round(d.st.memory[kill - 1] + 2, 1))
    for t in range(kill, d.tl.n):
        d.st.restarts[t] += 1
    down = range(kill, min(d.tl.n, kill + 2))
    d.one_pod_down(down, 0.02)
    d.episode("memory_leak", down)


def _cpu(d: Decoy) -> None:
    extra = min(d.rng.uniform(0.2, 0.5), d.headroom())
    shape = d.shaped(d.rng.uniform(120, 360))
    for t, x in shape:
        d.st.extra_cpu[t] += extra * x
    if extra > 0.35:
        d.event(d.tl.time(shape[len(shape) // 2][0]), "cpu_throttle", instance=d.pod())


def _release(d: Decoy) -> None:
    """A routine release; now and then a rare code path throws for a few minutes."""
    operations.release(d.tl, d.i, d.when)
    if d.rng.random() < 0.5:
        after = operations.rollout_seconds(d.prof.replicas)
        shape = [(t, x) for t, x in d.shaped(after + d.rng.uniform(120, 480)) if t >= d.t0 + after / d.tl.step]
        rate = d.rng.uniform(0.003, 0.012)
        for t, x in shape:
            d.st.err_own[t] += rate * x
        if shape:
            d.episode("bad_deployment", range(shape[0][0], shape[-1][0] + 1))


def _config(d: Decoy) -> None:
    """A routine setting change; sometimes the service cannot use the value and keeps the old one."""
    operations.random_config_change(d.tl, d.i, d.when, d.rng, complains=d.rng.random() < 0.35)


def _crash(d: Decoy) -> None:
    """One container exits and is restarted; now and then it fails once more first."""
    pod = d.pod()
    crashes = 2 if d.rng.random() < 0.4 else 1
    when = d.when
    for k in range(crashes):
        backoff = 10.0 * (k + 1)
        d.event(when, "crash", instance=pod)
        if k:
            d.event(when + backoff, "backoff_restart", instance=pod, backoff_s=round(backoff))
        else:
            d.event(when + backoff, "container_restart", instance=pod)
        t0 = d.tl.index(when)
        for t in range(t0, d.tl.n):
            d.st.restarts[t] += 1
        down = range(t0, min(d.tl.n, d.tl.index(when + backoff) + 1))
        d.one_pod_down(down, 0.01)
        d.episode("crash_loop", down)
        when += backoff + d.rng.uniform(8, 25)


def _pool(d: Decoy) -> None:
    """A slow query holds every pooled connection for a minute or so."""
    shape = d.shaped(d.rng.uniform(30, 120))
    wait = d.rng.uniform(80, 500)
    for t, x in shape:
        d.st.pool_pinned[t] = d.st.pool_pinned[t] or x >= 1.0
        d.st.pool_wait_add[t] += wait * x
        d.st.err_own[t] += 0.005 * x
    d.episode("connection_pool_exhaustion", range(shape[0][0], shape[-1][0] + 1))
    d.event(d.when, "pool_exhausted", instance=d.pod(), max=d.prof.pool_max, wait_ms=round(wait))


def _unreachable_pod(d: Decoy) -> None:
    """One pod drops off the network for a minute or two: the scraper misses it and a caller
    logs a failed connect or two."""
    steps = d.steps(d.rng.uniform(45, 180))
    lost = 1.0 - 1.0 / max(2, d.prof.replicas)
    for t in steps:
        d.st.up[t] = min(d.st.up[t], lost)
    callers = d.tl.graph.callers[d.i]
    if callers:
        caller = rngmod.pick(d.rng, callers)
        d.event(d.when + d.rng.uniform(5, 40), "peer_failures", service=caller, peer=d.i,
                mode="dep_unreachable", lines=rngmod.randint(d.rng, 1, 2))


def _latency(d: Decoy) -> None:
    delay = d.rng.uniform(8, 60)
    for t, x in d.shaped(d.rng.uniform(120, 300)):
        d.st.rtt[t] += delay * x
        d.st.lat_add[t] += 0.6 * delay * x
    if delay >= 25:
        d.event(d.when, "slow_network", delay_ms=round(delay))


def _retransmits(d: Decoy) -> None:
    extra = d.rng.uniform(15, 90)
    shape = d.shaped(d.rng.uniform(120, 300))
    for t, x in shape:
        d.st.retrans[t] += extra * x
        d.st.tail_mult[t] *= 1.0 + 0.3 * x
        d.st.err_own[t] += 0.002 * x
    d.episode("packet_loss", range(shape[0][0], shape[-1][0] + 1))
    d.event(d.when, "packet_loss")


def _disk(d: Decoy) -> None:
    """The volume creeps up, slower than a filling disk and often past the service's warning
    mark, until the retention job frees it."""
    steps = d.steps(d.rng.uniform(900, 2400))
    start = d.st.disk[steps.start]
    mark = d.prof.disk_warn_percent
    rise = d.rng.uniform(5, 15)
    if start < mark <= start + 15:
        rise = mark - start + d.rng.uniform(0.5, 3)
    rise = min(rise, 88.0 - start)
    if rise <= 1:
        return
    warned = False
    for k, t in enumerate(steps):
        level = start + rise * (k + 1) / len(steps)
        d.st.disk[t] = max(d.st.disk[t], level)
        if level >= mark and not warned:
            warned = True
            d.event(d.tl.time(t), "disk_warning", instance=d.pod(), percent=round(mark))
    d.event(d.tl.time(steps.stop - 1) + d.tl.step, "disk_cleanup")


def _credential_rotation(d: Decoy) -> None:
    """A rotated secret: the pool re-authenticates and a call or two fails meanwhile."""
    deps = d.tl.graph.deps[d.i]
    if not deps:
        return
    stores = [x for x in deps if d.tl.graph.kinds[x] in ("database", "cache", "queue")]
    target = rngmod.pick(d.rng, stores or deps)
    d.event(d.when, "credential_rejected", target=target)
    d.event(d.when + d.rng.uniform(1, 20), "peer_failures", peer=target, mode="dep_auth",
            lines=rngmod.randint(d.rng, 1, 3))


def _dns_timeout(d: Decoy) -> None:
    deps = d.tl.graph.deps[d.i]
    if not deps:
        return
    d.event(d.when, "dns_broken", outbound=True)
    d.event(d.when + d.rng.uniform(0.5, 10), "peer_failures", peer=rngmod.pick(d.rng, deps), mode="dep_dns",
            lines=rngmod.randint(d.rng, 1, 3))


def _traffic_bump(d: Decoy) -> None:
    """A campaign or a retrying client: more requests for a few minutes."""
    load = d.prof.base_rps / d.prof.capacity_rps * DAILY_PEAK
    extra = min(d.rng.uniform(0.25, 0.9), max(0.15, (load + d.headroom()) / load - 1.0))
    shape = d.shaped(d.rng.uniform(180, 600))
    base = d.prof.base_rps
    for t, x in shape:
        d.st.extra_load[t] += base * d.tl.diurnal[t] * extra * x
    if extra >= 0.6:
        d.event(d.tl.time(shape[len(shape) // 2][0]), "traffic_high", instance=d.pod())


LOOK_ALIKES: dict[str, Callable[[Decoy], None]] = {
    "memory_leak": _memory,
    "cpu_saturation": _cpu,
    "bad_deployment": _release,
    "connection_pool_exhaustion": _pool,
    "network_partition": _unreachable_pod,
    "network_latency": _latency,
    "packet_loss": _retransmits,
    "disk_full": _disk,
    "config_error": _config,
    "credential_failure": _credential_rotation,
    "dns_failure": _dns_timeout,
    "crash_loop": _crash,
    "traffic_surge": _traffic_bump,
}


# ----------------------------------------------------------------------- routine operations
def _rollback(d: Decoy) -> None:
    """A release taken back for reasons no metric shows."""
    operations.release(d.tl, d.i, d.when)
    operations.rollback(d.tl, d.i, d.when + d.rng.uniform(180, 1200))


def _restart(d: Decoy) -> None:
    operations.rolling_restart(d.tl, d.i, d.when)


def _scale(d: Decoy) -> None:
    operations.scale_out(d.tl, d.i, d.when, extra=rngmod.randint(d.rng, 1, 2))


ROUTINE: dict[str, Callable[[Decoy], None]] = {"rollback": _rollback, "restart": _restart, "scale": _scale}

# How often each happens, relative to the others: restarts, releases and setting changes are
# everyday; an OOM kill or a full disk scare is rarer.
_WEIGHTS: dict[str, float] = {
    "memory_leak": 0.6, "cpu_saturation": 1.0, "bad_deployment": 1.2, "connection_pool_exhaustion": 0.6,
    "network_partition": 0.6, "network_latency": 0.8, "packet_loss": 0.6, "disk_full": 0.5,
    "config_error": 1.0, "credential_failure": 0.5, "dns_failure": 0.6, "crash_loop": 0.8,
    "traffic_surge": 0.6, "rollback": 0.3, "restart": 1.0, "scale": 0.4,
}
_KINDS = tuple(_WEIGHTS)
_TOTAL = sum(_WEIGHTS.values())
_APPLY = {**LOOK_ALIKES, **ROUTINE}
QUIET_MARGIN_SECONDS = 600.0  # no look-alike this close before a fault on the same service


def apply_decoys(tl: Timeline, seed: int, per_service_hour: float,
                 busy: dict[int, list[tuple[float, float]]]) -> None:
    """Look-alikes at random times (a Poisson process per service). None lands on a service
    while it has a fault (`busy`: its faults' start and end), so a fault's physics stay its own."""
    if per_service_hour <= 0:
        return
    end = tl.start + tl.n * tl.step
    rate = per_service_hour / SECONDS_PER_HOUR
    for i, prof in enumerate(tl.profiles):
        r = rngmod.child(seed, "decoys", prof.name)
        when = tl.start + r.expovariate(rate)
        while when < end:
            kind = _pick_kind(r)
            if not any(a - QUIET_MARGIN_SECONDS <= when <= b for a, b in busy.get(i, ())):
                _APPLY[kind](Decoy(tl, i, when, rngmod.child(seed, "decoy", prof.name, round(when, 3))))
            when += r.expovariate(rate)


def _pick_kind(r: random.Random) -> str:
    x = r.random() * _TOTAL
    for kind in _KINDS:
        x -= _WEIGHTS[kind]
        if x < 0:
            return kind
    return _KINDS[-1]
