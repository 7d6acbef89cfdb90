"""Static, seeded characteristics of each service: capacity, latency, resources, stack."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from . import rng as rngmod
from .topology import Graph

STACKS = ("java", "go", "python", "node")


@dataclass(slots=True)
class ServiceProfile:
    name: str
    kind: str
    replicas: int
    stack: str
    base_rps: float  # healthy incoming load at the diurnal mean
    capacity_rps: float
    own_latency_ms: float  # own processing time, p50
    tail_ratio: float  # p99 / p50
    idle_cpu: float  # fraction of CPU used with no traffic
    memory_base: float  # percent
    gc_base_ms: float
    pool_max: int
    pool_base_frac: float
    disk_base: float  # percent
    disk_growth_per_hour: float
    disk_warn_percent: float  # where the service starts logging about its volume
    rtt_base_ms: float
    retrans_base: float
    timeout_ms: float  # client timeout this service uses for its calls
    call_prob: dict[int, float] = field(default_factory=dict)  # callee index -> P(call per request)
    resilience: float = 0.85  # share of a dependency's failures that surface to this service
    healthy_p50_ms: float = 0.0  # end-to-end latency with every dependency healthy
    healthy_p99_ms: float = 0.0
    version: str = "v1.0.0"
    instances: tuple[str, ...] = ()
    ip_prefix: str = "10.0.0"
    resource: str = ""  # the business noun in the name ("order" for order-service)


_KIND_DEFAULTS = {
    # latency ms, tail ratio, memory %, pool max
    "gateway": (6.0, 4.0, 42.0, 200),
    "service": (22.0, 4.5, 48.0, 50),
    "database": (4.0, 6.0, 64.0, 300),
    "cache": (0.8, 5.0, 58.0, 500),
    "queue": (3.0, 5.0, 52.0, 100),
}


def build_profiles(graph: Graph, seed: int, entry_rps: float) -> list[ServiceProfile]:
    n = len(graph.names)
    profiles: list[ServiceProfile] = []
    for i in range(n):
        r = rngmod.child(seed, "profile", graph.names[i])
        kind = graph.kinds[i]
        lat, tail, mem, pool = _KIND_DEFAULTS[kind]
        stack = STACKS[r.randrange(len(STACKS))] if kind in ("gateway", "service") else kind
        major, minor, patch = r.randint(1, 4), r.randint(0, 12), r.randint(0, 9)
        profiles.append(
            ServiceProfile(
                name=graph.names[i],
                kind=kind,
                replicas=graph.replicas[i],
                stack=stack,
                base_rps=0.0,
                capacity_rps=0.0,
                own_latency_ms=lat * r.uniform(0.7, 1.5),
                tail_ratio=tail * r.uniform(0.85, 1.2),
                idle_cpu=r.uniform(0.04, 0.1),
                memory_base=mem * r.uniform(0.85, 1.15),
                gc_base_ms=r.uniform(4, 14) if stack in ("java", "go", "node") else r.uniform(1, 4),
                pool_max=pool if kind != "service" else r.choice((30, 40, 50, 64, 80)),
                pool_base_frac=r.uniform(0.15, 0.35),
                disk_base=r.uniform(28, 62) if kind != "database" else r.uniform(45, 70),
                disk_growth_per_hour=r.uniform(0.02, 0.12),
                disk_warn_percent=r.choice((70.0, 75.0, 80.0, 85.0)),
                rtt_base_ms=r.uniform(0.2, 0.9),
                retrans_base=r.uniform(0.1, 1.5),
                timeout_ms=r.choice((1000.0, 2000.0, 3000.0, 5000.0)),
                resilience=r.uniform(0.75, 0.95),
                version=f"v{major}.{minor}.{patch}",
                instances=_instances(r, graph.names[i], graph.replicas[i]),
                ip_prefix=f"10.{r.randint(0, 3)}.{r.randint(0, 255)}",
            )
        )
    for p in profiles:
        p.resource = resource_of(p.name)
    _assign_calls_and_load(graph, profiles, seed, entry_rps)
    return profiles


def resource_of(name: str) -> str:
    for suffix in ("-service", "-api", "-worker", "-gateway", "-proxy", "-db", "-cache", "-queue"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _instances(r: random.Random, name: str, replicas: int) -> tuple[str, ...]:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    rs = "".join(r.choice("0123456789abcdef") for _ in range(9))
    return tuple(
        f"{name}-{rs}-{''.join(r.choice(alphabet) for _ in range(5))}" for _ in range(replicas)
    )


def _assign_calls_and_load(graph: Graph, profiles: list[ServiceProfile], seed: int,
                           entry_rps: float) -> None:
    """Per-edge call probabilities, then healthy load by pushing entry traffic down the graph.

    Gateways route each request to one backend (probabilities sum to 1); services call each
    dependency with its own probability. Capacity leaves 1.8-3x headroom over healthy load.
    """
    for i, p in enumerate(profiles):
        r = rngmod.child(seed, "calls", p.name)
        deps = graph.deps[i]
        if not deps:
            continue
        if p.kind == "gateway":
            weights = [r.uniform(0.5, 2.0) for _ in deps]
            total = sum(weights)
            p.call_prob = {d: w / total for d, w in zip(deps, weights)}
        else:
            p.call_prob = {d: r.uniform(0.35, 0.95) for d in deps}
    entries = graph.entries
    r = rngmod.child(seed, "entry-load")
    shares = [r.uniform(0.6, 1.4) for _ in entries]
    total = sum(shares)
    load = [0.0] * len(profiles)
    for e, share in zip(entries, shares):
        load[e] = entry_rps * share / total * (1.0 if graph.kinds[e] == "gateway" else 0.4)
    for i in graph.top_down:
        for d, prob in profiles[i].call_prob.items():
            load[d] += load[i] * prob
    for i, p in enumerate(profiles):
        r = rngmod.child(seed, "capacity", p.name)
        p.base_rps = max(load[i], 0.5)
        p.capacity_rps = p.base_rps * r.uniform(1.8, 3.0)
    for i in graph.bottom_up:
        p = profiles[i]
        calls = p.call_prob.items()
        p.healthy_p50_ms = p.own_latency_ms + sum(q * profiles[d].healthy_p50_ms for d, q in calls)
        tail = max((profiles[d].healthy_p99_ms - profiles[d].healthy_p50_ms for d, _ in calls), default=0.0)
        p.healthy_p99_ms = p.own_latency_ms * p.tail_ratio + sum(
            q * profiles[d].healthy_p50_ms for d, q in calls) + tail
