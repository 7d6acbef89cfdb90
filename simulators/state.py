"""The simulated timeline: one state per service per step, from which every signal is derived.

Two passes keep the physics straight. Load flows *down* the dependency graph (a caller's
traffic becomes its callees' traffic); failure flows *up* (a callee's errors and latency
reach its callers one hop later). Faults only touch a service's *own* state; everything its
neighbours see comes from these passes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .profiles import ServiceProfile
from .topology import Graph

PROPAGATION_DELAY_SECONDS = 30.0
DIURNAL_AMPLITUDE = 0.22  # traffic swings this much around its daily mean
_SQRT2 = math.sqrt(2.0)


@dataclass(slots=True)
class Event:
    """Something that happened to a service (an OOM kill, a crash, a deploy); logs and the
    change history render these, whether a fault or a harmless look-alike caused it."""

    time: float
    service: int
    kind: str
    detail: dict = field(default_factory=dict)


class ServiceState:
    """Per-step arrays for one service. `own_*` fields are set by faults; the rest are derived."""

    __slots__ = (
        # own state, written by baseline and faults
        "extra_load", "extra_cpu", "err_own", "lat_mult", "lat_add", "tail_mult", "reach",
        "unreach_ms", "avail", "up", "silent", "logs_lost", "call_fail", "memory", "gc", "restarts", "pool_pinned",
        "pool_wait_add", "disk", "rtt", "retrans", "episodes", "unreach_mode", "call_fail_mode", "scale",
        # derived
        "load", "util", "cpu", "err", "own50", "lat50", "lat99", "pool_active", "pool_wait",
    )

    def __init__(self, n: int) -> None:
        zeros = [0.0] * n
        ones = [1.0] * n
        self.extra_load = list(zeros)
        self.extra_cpu = list(zeros)
        self.err_own = list(zeros)
        self.lat_mult = list(ones)
        self.lat_add = list(zeros)
        self.tail_mult = list(ones)
        self.reach = list(ones)
        self.unreach_ms = list(zeros)
        self.avail = list(ones)
        self.up = list(ones)  # share of instances the metrics scraper can reach
        self.silent = [False] * n  # no metrics scraped this step
        self.logs_lost = [False] * n  # nothing this service logs reaches the log store
        self.call_fail: dict[int, list[float]] = {}
        self.memory: list[float] = []
        self.gc: list[float] = []
        self.restarts = list(zeros)
        self.pool_pinned = [False] * n
        self.pool_wait_add = list(zeros)
        self.disk: list[float] = []
        self.rtt: list[float] = []
        self.retrans: list[float] = []
        # What the service's own errors are about: (fault type, first step, end step), for its
        # faults and for their brief look-alikes.
        self.episodes: list[tuple[str, int, int]] = []
        self.unreach_mode = "dep_refused"  # how callers fail when they cannot reach this service
        self.call_fail_mode: dict[int, str] = {}
        self.scale: list[float] | None = None  # desired replicas / spec replicas, once scaled
        self.load: list[float] = []
        self.util: list[float] = []
        self.cpu: list[float] = []
        self.err: list[float] = []
        self.own50: list[float] = []
        self.lat50: list[float] = []
        self.lat99: list[float] = []
        self.pool_active: list[float] = []
        self.pool_wait: list[float] = []


@dataclass
class Timeline:
    start: float
    step: float
    n: int
    graph: Graph
    profiles: list[ServiceProfile]
    states: list[ServiceState]
    diurnal: list[float]
    window_start: float  # later than `start` when faults began before the window
    events: list[Event] = field(default_factory=list)
    versions: list[list[tuple[float, str]]] = field(default_factory=list)  # per service: (since, version)

    def time(self, i: int) -> float:
        return self.start + i * self.step

    def index(self, t: float) -> int:
        return max(0, min(self.n - 1, int((t - self.start) / self.step)))

    @property
    def lag(self) -> int:
        return max(1, round(PROPAGATION_DELAY_SECONDS / self.step))


def diurnal_curve(start: float, step: float, n: int) -> list[float]:
    """Traffic follows the time of day (UTC): ±22% around the mean, peaking mid-afternoon."""
    two_pi_day = 2 * math.pi / 86400.0
    return [1.0 + DIURNAL_AMPLITUDE * math.sin(two_pi_day * (start + i * step) - 2 * math.pi * 10 / 24)
            for i in range(n)]


def propagate_load(tl: Timeline, load_noise: list[list[float]]) -> None:
    """Top-down: incoming load, the share that reaches live pods, utilisation and CPU."""
    graph, profiles, states = tl.graph, tl.profiles, tl.states
    n = tl.n
    incoming = [[0.0] * n for _ in states]
    for e in graph.entries:
        base = profiles[e].base_rps
        incoming[e] = [base * d for d in tl.diurnal]
    for i in graph.top_down:
        st, prof = states[i], profiles[i]
        inc = incoming[i]
        noise = load_noise[i]
        load = [(x + extra) * (1.0 + 0.04 * z) for x, extra, z in zip(inc, st.extra_load, noise)]
        st.load = load
        processed = [x * r for x, r in zip(load, st.reach)]
        for d, prob in prof.call_prob.items():
            fail = st.call_fail.get(d)
            target = incoming[d]
            if fail is None:
                incoming[d] = [t + p * prob for t, p in zip(target, processed)]
            else:
                incoming[d] = [t + p * prob * (1.0 - f) for t, p, f in zip(target, processed, fail)]
        cap = prof.capacity_rps
        avail = st.avail if st.scale is None else [a * k for a, k in zip(st.avail, st.scale)]
        util = [p / (cap * (a if a > 0.05 else 0.05)) + c
                for p, a, c in zip(processed, avail, st.extra_cpu)]
        st.util = util
        idle = prof.idle_cpu
        st.cpu = [100.0 if (c := idle + 0.9 * u) > 1.0 else 100.0 * c for u in util]


def propagate_failure(tl: Timeline) -> None:
    """Bottom-up: own latency and errors, then what each caller sees of its callees, lagged."""
    graph, profiles, states = tl.graph, tl.profiles, tl.states
    lag = tl.lag
    for i in graph.bottom_up:
        st, prof = states[i], profiles[i]
        rho0 = min(0.9, prof.base_rps / prof.capacity_rps)
        own50, tail = prof.own_latency_ms, prof.tail_ratio
        qs = [(1.0 - rho0) / (1.0 - (u if u < 0.97 else 0.97)) for u in st.util]
        base50 = [own50 * m * q for m, q in zip(st.lat_mult, qs)]
        lat50 = [b + add for b, add in zip(base50, st.lat_add)]
        lat99 = [b * tail * tm * (1.0 + 0.5 * q ** 0.5) / 1.5 + add * 1.6
                 for b, tm, q, add in zip(base50, st.tail_mult, qs, st.lat_add)]
        err = [1.0 - (1.0 - e) / u if u > 1.0 else e for e, u in zip(st.err_own, st.util)]
        st.own50 = lat50
        timeout = prof.timeout_ms
        slow_above = timeout * 0.6
        for d, prob in prof.call_prob.items():
            dst = states[d]
            seen50 = _lagged(dst.lat50, lag)
            seen99 = _lagged(dst.lat99, lag)
            seen_err = _lagged(dst.err, lag)
            reach = _lagged(dst.reach, lag)
            fail = st.call_fail.get(d)
            k = prob * prof.resilience
            prev_err, prev50, prev99 = err, lat50, lat99
            # Every step first as if the callee were reachable and inside the timeout ...
            err = [1.0 - (1.0 - e) * (1.0 - k * se * (0.3 + 0.7 * se)) for e, se in zip(err, seen_err)]
            lat50 = [a + prob * b for a, b in zip(lat50, seen50)]
            lat99 = [a + prob * b for a, b in zip(lat99, seen99)]
            # ... then redo the few steps where it is not (unreachable, slow, or refused).
            if min(reach) == 1.0 and max(seen99) <= slow_above:
                slow = []
            else:
                slow = [t for t, (r, s99) in enumerate(zip(reach, seen99)) if r < 1.0 or s99 > slow_above]
            if fail is not None:
                slow = sorted(set(slow).union(t for t, f in enumerate(fail) if f > 0.0))
            if not slow:
                continue
            unreach = _lagged(dst.unreach_ms, lag)
            for t in slow:
                r = reach[t]
                s50 = seen50[t]
                s99 = seen99[t]
                over = _exceed(s50, s99, timeout) if s99 > slow_above else 0.0
                f = fail[t] if fail is not None else 0.0
                bad = 1.0 - (1.0 - f) * r * (1.0 - seen_err[t]) * (1.0 - over)
                # Retries absorb most sporadic failures but not persistent ones.
                err[t] = 1.0 - (1.0 - prev_err[t]) * (1.0 - k * bad * (0.3 + 0.7 * bad))
                cost50 = (s50 if s50 < timeout else timeout) * r + unreach[t] * (1.0 - r)
                lat50[t] = prev50[t] + prob * cost50
                tail_extra = (s99 if s99 < timeout else timeout) - s50
                extra99 = prob * (cost50 + (tail_extra if tail_extra > 0 else 0.0))
                if r < 1.0:
                    extra99 += prob * unreach[t] * min(1.0, (1.0 - r) * 4)
                lat99[t] = prev99[t] + extra99
        # Callers give up at their timeout, and latency is what callers observe.
        cap = max((profiles[c].timeout_ms for c in graph.callers[i]), default=30000.0)
        st.lat50 = [a if a < cap else cap for a in lat50]
        st.lat99 = [cap if (v := (a if a > b * 1.2 else b * 1.2)) > cap else v for a, b in zip(lat99, st.lat50)]
        st.err = [1.0 if e > 1.0 else (e if e > 0.0 else 0.0) for e in err]
        # Little's law: connections in use follow in-flight requests.
        k = prof.pool_base_frac * prof.pool_max / (prof.base_rps * prof.healthy_p50_ms / 1000.0)
        pool_max = float(prof.pool_max)
        active = [pool_max if pinned or (v := k * x * r * lat / 1000.0) > pool_max else v
                  for pinned, x, r, lat in zip(st.pool_pinned, st.load, st.reach, st.lat50)]
        st.pool_active = active
        st.pool_wait = [0.4 + (800.0 * (a / pool_max - 0.9) if a > 0.9 * pool_max else 0.0) + extra
                        for a, extra in zip(active, st.pool_wait_add)]


def _lagged(values: list[float], lag: int) -> list[float]:
    if lag <= 0 or not values:
        return values
    return [values[0]] * lag + values[:-lag]


def _exceed(p50: float, p99: float, limit: float) -> float:
    """P(latency > limit) for a log-normal with the given median and 99th percentile."""
    if p50 <= 0:
        return 0.0
    sigma = math.log(max(p99 / p50, 1.01)) / 2.326
    z = math.log(limit / p50) / sigma
    return 0.5 * math.erfc(z / _SQRT2)
