"""Service topologies: graph helpers and a generator (the default shop is the spec's default).

Edges point from caller to callee (`depends_on`). Failures travel against the edges (callers
suffer), load travels along them (callees receive the callers' traffic).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .spec import ServiceSpec, TopologySpec


@dataclass(frozen=True, slots=True)
class Graph:
    """Index-based view of a topology, in an order where every callee precedes its callers."""

    names: tuple[str, ...]
    kinds: tuple[str, ...]
    replicas: tuple[int, ...]
    deps: tuple[tuple[int, ...], ...]  # callee indices per service
    callers: tuple[tuple[int, ...], ...]  # caller indices per service
    bottom_up: tuple[int, ...]  # callees before callers
    depth: tuple[int, ...]  # 0 for entry points, longest path from an entry otherwise

    @property
    def top_down(self) -> tuple[int, ...]:
        return tuple(reversed(self.bottom_up))

    @property
    def entries(self) -> tuple[int, ...]:
        return tuple(i for i in range(len(self.names)) if not self.callers[i])

    def index(self, name: str) -> int:
        return self.names.index(name)


def build_graph(topology: TopologySpec) -> Graph:
    names = tuple(s.name for s in topology.services)
    position = {n: i for i, n in enumerate(names)}
    deps = tuple(tuple(position[d] for d in s.depends_on) for s in topology.services)
    callers_lists: list[list[int]] = [[] for _ in names]
    for i, ds in enumerate(deps):
        for d in ds:
            callers_lists[d].append(i)
    # Kahn's algorithm from the leaves; ties keep declaration order so output is stable.
    remaining = [len(ds) for ds in deps]
    ready = [i for i, r in enumerate(remaining) if r == 0]
    order: list[int] = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for caller in callers_lists[node]:
            remaining[caller] -= 1
            if remaining[caller] == 0:
                ready.append(caller)
    depth = [0] * len(names)
    for node in reversed(order):  # callers first
        for d in deps[node]:
            depth[d] = max(depth[d], depth[node] + 1)
    return Graph(
        names=names,
        kinds=tuple(s.kind for s in topology.services),
        replicas=tuple(s.replicas for s in topology.services),
        deps=deps,
        callers=tuple(tuple(c) for c in callers_lists),
        bottom_up=tuple(order),
        depth=tuple(depth),
    )


_DOMAINS = (
    "account", "ledger", "billing", "catalog", "search", "cart", "checkout", "shipping", "pricing",
    "review", "media", "profile", "session", "identity", "fraud", "loyalty", "tax", "invoice",
    "warehouse", "routing", "dispatch", "rating", "coupon", "wishlist", "audit", "report",
    "export", "import", "geo", "quote", "refund", "subscription", "partner", "vendor", "asset",
    "content", "feed", "chat", "presence", "metering",
)


TOPOLOGY_SHAPES = ("layered", "deep", "wide")


def generate_topology(n_services: int, seed: int = 7, shape: str = "layered") -> TopologySpec:
    """A microservice graph with realistic names: gateways, services, data stores.

    `layered`: about 5% gateways, 60% services in two tiers, the rest databases, caches and
    queues. `deep`: one gateway over four or five tiers of services that mostly call one or
    two others, so chains with a single callee are common. `wide`: several entry points over
    one broad tier of services sharing a few busy data stores. Every service but an entry point
    has a caller.
    """
    if n_services < 3:
        raise ValueError("a generated topology needs at least 3 services")
    if shape != "layered":
        if shape not in TOPOLOGY_SHAPES:
            raise ValueError(f"shape: {shape!r} is not one of {', '.join(TOPOLOGY_SHAPES)}")
        return _tiered(n_services, random.Random(f"topology:{shape}:{seed}:{n_services}"), deep=shape == "deep")
    rng = random.Random(f"topology:{seed}:{n_services}")
    n_gateways = max(1, n_services // 20)
    n_stores = max(1, (n_services * 35) // 100)
    n_services_mid = n_services - n_gateways - n_stores
    tier1 = n_services_mid // 2
    names = _unique_names(rng, n_services)
    gateways = [f"{names[i]}-gateway" for i in range(n_gateways)]
    front = [f"{names[n_gateways + i]}-api" for i in range(tier1)]
    back = [f"{names[n_gateways + tier1 + i]}-worker" for i in range(n_services_mid - tier1)]
    stores: list[tuple[str, str]] = []
    for i in range(n_stores):
        kind = ("database", "cache", "queue")[i % 3]
        suffix = {"database": "db", "cache": "cache", "queue": "queue"}[kind]
        stores.append((f"{names[n_gateways + n_services_mid + i]}-{suffix}", kind))

    deps: dict[str, list[str]] = {n: [] for n in gateways + front + back + [s for s, _ in stores]}
    lower_for_front = back + [s for s, _ in stores]
    store_names = [s for s, _ in stores]
    for g in gateways:
        deps[g] = rng.sample(front, k=min(len(front), rng.randint(3, 6))) if front else []
    for f in front:
        pool = back if back else store_names
        deps[f] = sorted(set(rng.sample(pool, k=min(len(pool), rng.randint(1, 3)))))
        deps[f] += [s for s in rng.sample(store_names, k=min(len(store_names), 1)) if s not in deps[f]]
    for b in back:
        deps[b] = sorted(set(rng.sample(store_names, k=min(len(store_names), rng.randint(1, 3)))))
    # Every callee needs a caller; attach orphans to a random caller one tier up.
    called = {d for ds in deps.values() for d in ds}
    for f in front:
        if f not in called and gateways:
            deps[rng.choice(gateways)].append(f)
    for b in back:
        if b not in called:
            deps[rng.choice(front)].append(b)
    for s in store_names:
        if s not in {d for ds in deps.values() for d in ds}:
            deps[rng.choice(lower_for_front and (front + back))].append(s)
    kinds = {g: "gateway" for g in gateways} | {s: k for s, k in stores}
    services = tuple(
        ServiceSpec(name=n, kind=kinds.get(n, "service"), depends_on=tuple(deps[n]),
                    replicas=rng.randint(2, 6))
        for n in gateways + front + back + store_names
    )
    return TopologySpec(services=services)


def _tiered(n: int, rng: random.Random, deep: bool) -> TopologySpec:
    names = _unique_names(rng, n)
    n_stores = max(2, round(n * (0.25 if deep else 0.3)))
    n_entries = 1 if deep else max(2, n // 8)
    n_mid = max(1, n - n_stores - n_entries)
    n_tiers = min(n_mid, rng.randint(4, 5) if deep else 1)
    bounds = sorted(rng.sample(range(1, n_mid), n_tiers - 1)) if n_tiers > 1 else []
    cuts = [0, *bounds, n_mid]
    mid = [names[n_entries + k] for k in range(n_mid)]
    tiers = [mid[a:b] for a, b in zip(cuts, cuts[1:])]
    stores = [(f"{names[n_entries + n_mid + k]}-{('db', 'cache', 'queue')[k % 3]}",
               ("database", "cache", "queue")[k % 3]) for k in range(n - n_entries - n_mid)]
    store_names = [s for s, _ in stores]
    entries = [f"{names[k]}-gateway" if k == 0 or rng.random() < 0.5 else f"{names[k]}-api"
               for k in range(n_entries)]
    suffix = ("-api", "-service", "-worker")
    tiers = [[f"{name}{suffix[min(2, t * 3 // max(1, len(tiers)))]}" for name in tier]
             for t, tier in enumerate(tiers)]
    levels = [entries, *tiers, store_names]
    deps: dict[str, list[str]] = {name: [] for level in levels for name in level}
    fan_out = (1, 1, 2) if deep else (2, 3, 4)
    for upper, lower in zip(levels, levels[1:]):
        for name in upper:
            deps[name] = sorted(rng.sample(lower, k=min(len(lower), rng.choice(fan_out))))
            if upper is not entries and lower is not store_names and rng.random() < 0.3:
                deps[name].append(rng.choice([s for s in store_names if s not in deps[name]] or store_names))
        called = {d for name in upper for d in deps[name]}
        for orphan in (x for x in lower if x not in called):
            deps[rng.choice(upper)].append(orphan)
    kinds = {name: "gateway" for name in entries if name.endswith("-gateway")} | dict(stores)
    return TopologySpec(services=tuple(
        ServiceSpec(name=name, kind=kinds.get(name, "service"), depends_on=tuple(dict.fromkeys(deps[name])),
                    replicas=rng.randint(2, 6))
        for level in levels for name in level))


def _unique_names(rng: random.Random, n: int) -> list[str]:
    words = list(_DOMAINS)
    rng.shuffle(words)
    out: list[str] = []
    i = 0
    while len(out) < n:
        base = words[i % len(words)]
        round_ = i // len(words)
        out.append(base if round_ == 0 else f"{base}{round_ + 1}")
        i += 1
    return out
