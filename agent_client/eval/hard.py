"""The hard matrix: incidents that do not give the answer away.

Custom topologies of 12-40 services in three shapes, every fault type at any severity, onsets
anywhere (also before the window and in its last minutes), faults that already ended (four in
ten), two faults at once, and quiet systems at default, moderate and heavy noise, all at noise levels
from none to extreme. Drawn from a seed nobody tuned on; a second seed gives a held-out
version whose per-case results are not to be read while working on the analysis.
"""

from __future__ import annotations

import random

from knowledge import FAULT_TYPES
from simulators import SEVERITIES
from simulators.spec import recovery_choices
from simulators.topology import TOPOLOGY_SHAPES, generate_topology

SEED = 4242
HELDOUT_SEED = 8675309
DEV_SEED = 777  # a second development sample: read case by case while fixing what `hard` missed
SINGLE_PER_FAULT = 10
TWO_FAULT_CASES = 30
QUIET_LEVELS = {"default": 14, "moderate": 13, "heavy": 13}
_FAULT_NOISE = (("none", 0.05), ("low", 0.15), ("default", 0.4), ("moderate", 0.2), ("heavy", 0.15),
                ("extreme", 0.05))
_DURATIONS = (30, 60, 60, 60, 60, 60, 60, 90, 120)


def specs(seed: int) -> list[dict]:
    # One random stream per case: a change to one case's recipe leaves the others as they were.
    def stream(*name) -> random.Random:
        return random.Random(":".join(map(str, ("hard-matrix", seed, *name))))

    out = []
    for fault in FAULT_TYPES:
        for k in range(SINGLE_PER_FAULT):
            rng = stream(fault, k)
            spec, services, entries = _system(rng)
            service = rng.choice(entries if fault == "traffic_surge" and rng.random() < 0.7 else services)
            band, ended = _SINGLE_RECIPE[k % len(_SINGLE_RECIPE)]
            spec["faults"] = [_fault(rng, fault, service, spec["duration_minutes"], band, ended)]
            spec["noise"] = {"level": _weighted(rng, _FAULT_NOISE)}
            out.append(spec)
    for k in range(TWO_FAULT_CASES):
        rng = stream("two", k)
        spec, services, _ = _system(rng)
        first, second = rng.sample(services, 2)
        duration = spec["duration_minutes"]
        a = _fault(rng, rng.choice(FAULT_TYPES), first, duration, "middle", rng.random() < 0.3)
        b = _fault(rng, rng.choice(FAULT_TYPES), second, duration, "middle", rng.random() < 0.3)
        if rng.random() < 0.5:  # together, within a few minutes of each other, the second still going
            b = _fault(rng, b["type"], second, duration, "middle", False)
            b["start_minute"] = round(min(duration - 4, a["start_minute"] + rng.uniform(0, 3)), 1)
        spec["faults"] = [a, b]
        spec["noise"] = {"level": _weighted(rng, _FAULT_NOISE)}
        out.append(spec)
    for level, count in QUIET_LEVELS.items():
        for k in range(count):
            spec, _, _ = _system(stream("quiet", level, k))
            spec["faults"] = []
            spec["noise"] = {"level": level}
            out.append(spec)
    return out


def _system(rng: random.Random) -> tuple[dict, list[str], list[str]]:
    topology = generate_topology(rng.randint(12, 40), seed=rng.randint(1, 10**6),
                                 shape=rng.choice(TOPOLOGY_SHAPES)).model_dump(mode="json")
    services = [s["name"] for s in topology["services"]]
    called = {d for s in topology["services"] for d in s["depends_on"]}
    spec = {"seed": rng.randint(0, 2**31 - 1), "duration_minutes": rng.choice(_DURATIONS),
            "end_time": f"2026-11-{rng.randint(1, 25):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z",
            "topology": topology}
    return spec, services, [s for s in services if s not in called]


# Where each of a fault type's ten cases starts, and whether it is over before the window ends:
# two before the window, two in its first minutes, two in its last ten, four of them over.
_SINGLE_RECIPE = (("before", True), ("early", False), ("middle", True), ("late", False), ("middle", False),
                  ("before", False), ("middle", True), ("late", False), ("early", True), ("middle", False))


def _fault(rng: random.Random, fault: str, service: str, duration: int, band: str, ended: bool) -> dict:
    start = {"before": lambda: -rng.randint(2, 40), "early": lambda: rng.uniform(0, 4.9),
             "late": lambda: rng.uniform(duration - 10, duration - 3),
             "middle": lambda: rng.uniform(5, duration - 10)}[band]()
    spec = {"type": fault, "service": service, "start_minute": round(start, 1), "severity": rng.choice(SEVERITIES)}
    if ended:  # over at least three minutes before the window ends
        begun = max(start, 0.0)
        spec["end_minute"] = round(begun + rng.uniform(6, min(25, duration - 3 - begun)), 1)
        if rng.random() < 0.5:
            spec["recovery"] = rng.choice(recovery_choices(fault))
    return spec


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    x = rng.random()
    for value, weight in options:
        x -= weight
        if x < 0:
            return value
    return options[-1][0]
