"""Evaluation cases: named fault matrices and folders of spec files.

The harness (not the analyst) reads each case's truth from its spec, only to score. Case ids
are opaque hashes; nothing in a case's name or spec name describes the fault.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path

from knowledge import FAULT_TYPES
from simulators import SEVERITIES

from . import categories, hard

# Several times of day, so that daily traffic variation is part of the test.
END_TIMES = ("2026-11-26T03:00:00Z", "2026-11-26T09:30:00Z", "2026-11-26T14:15:00Z", "2026-11-25T20:45:00Z")


@dataclass(frozen=True)
class Case:
    id: str
    source: str  # matrix name or spec file name
    spec: dict | None  # None when the spec file could not be read
    truth_service: str | None
    truth_fault: str
    services: tuple[str, ...]
    error: str | None = None
    truths: tuple[tuple[str, str], ...] = ()  # every fault: (service, type)
    categories: dict[str, str] = field(default_factory=dict)


def _case(source: str, spec: dict, case_id: str | None = None) -> Case:
    if case_id is None:
        case_id = "case-" + hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:10]
        spec = {**spec, "name": case_id}  # a name that says nothing
    faults = spec.get("faults") or []
    topology = spec.get("topology") or _default_topology()
    return Case(case_id, source, spec, faults[0]["service"] if faults else None,
                faults[0]["type"] if faults else "none", tuple(s["name"] for s in topology["services"]),
                truths=tuple((f["service"], f["type"]) for f in faults),
                categories=categories.describe(spec, topology))


def _default_topology() -> dict:
    from simulators import default_topology

    return default_topology().model_dump(mode="json")


def _generated(n: int, seed: int) -> dict:
    from simulators.topology import generate_topology

    return generate_topology(n, seed=seed).model_dump(mode="json")


def _fault_spec(fault: str, service: str, severity: str, seed: int, k: int, topology: dict | None) -> dict:
    spec = {"seed": seed, "duration_minutes": 60, "end_time": END_TIMES[k % len(END_TIMES)],
            "faults": [{"type": fault, "service": service, "start_minute": 5 + (k * 7) % 41, "severity": severity}],
            "noise": {"red_herring_deployments": 1 + k % 2, "background_error_rate": 0.01, "transient_spikes": 1}}
    if topology is not None:
        spec["topology"] = topology
    return spec


def _no_fault(seed: int, k: int, topology: dict | None) -> dict:
    spec = {"seed": seed, "duration_minutes": 60, "end_time": END_TIMES[k % len(END_TIMES)], "faults": [],
            "noise": {"red_herring_deployments": 2, "background_error_rate": 0.01, "transient_spikes": 2}}
    if topology is not None:
        spec["topology"] = topology
    return spec


def _presets(seeds) -> list[Case]:
    from simulators import PRESET_NAMES, preset_spec

    out = []
    for name, seed in itertools.product(PRESET_NAMES, seeds):
        spec = preset_spec(name, seed=seed, end_time=END_TIMES[seed % len(END_TIMES)]).model_dump(mode="json")
        spec.pop("description", None)
        out.append(_case(f"preset:{name}", spec))
    return out


def quick() -> list[Case]:
    """CI-sized: every fault type twice on the default topology, once on a generated one,
    the presets, and quiet hours."""
    default = [s["name"] for s in _default_topology()["services"]]
    generated = _generated(24, seed=11)
    gen_names = [s["name"] for s in generated["services"]]
    cases = []
    for k, fault in enumerate(FAULT_TYPES):
        for j in range(2):
            service = default[(k * 3 + j * 5) % len(default)]
            cases.append(_case("quick", _fault_spec(fault, service, ("low", "high")[(k + j) % 2], 500 + k * 2 + j,
                                                    k + j, None)))
        cases.append(_case("quick:generated-24", _fault_spec(fault, gen_names[(k * 5) % len(gen_names)], "medium",
                                                             700 + k, k, generated)))
    cases += _presets([1])
    cases += [_case("quick:no-fault", _no_fault(900 + s, s, None)) for s in range(3)]
    return cases


def full() -> list[Case]:
    """Every fault type x every default service x every severity x two seeds, a generated
    24-service and a generated 40-service topology, the presets across seeds, and quiet hours."""
    default = [s["name"] for s in _default_topology()["services"]]
    cases = []
    k = 0
    for fault, service, severity, _draw in itertools.product(FAULT_TYPES, default, SEVERITIES, (1, 2)):
        # two draws of every combination: each case gets its own seed, start minute and time of day
        cases.append(_case("full", _fault_spec(fault, service, severity, 1000 + k, k, None)))
        k += 1
    for n, topo_seed, per_fault in ((24, 11, 6), (40, 5, 3)):
        topology = _generated(n, seed=topo_seed)
        names = [s["name"] for s in topology["services"]]
        for f_index, fault in enumerate(FAULT_TYPES):
            for j in range(per_fault):
                service = names[(f_index * 7 + j * 11) % len(names)]
                severity = SEVERITIES[(f_index + j) % len(SEVERITIES)]
                cases.append(_case(f"full:generated-{n}", _fault_spec(fault, service, severity, 3000 + k, k,
                                                                       topology)))
                k += 1
        cases += [_case(f"full:generated-{n}:no-fault", _no_fault(4000 + n + s, s, topology)) for s in range(8)]
    cases += _presets(range(1, 6))
    cases += [_case("full:no-fault", _no_fault(5000 + s, s, None)) for s in range(20)]
    return cases


def heldout(n: int = 150, seed: int = 777) -> list[Case]:
    """Specs drawn at random from a seed the analysis was never tuned on: default and
    generated topologies of 8-60 services, windows of 30-240 minutes, any start minute,
    severity and noise level, one case in ten quiet. A check that the full matrix's scores
    are not an artefact of its regular grid."""
    import random

    from simulators.topology import generate_topology

    rng = random.Random(seed)
    cases = []
    for _ in range(n):
        if rng.random() < 0.35:
            topology = _default_topology()
        else:
            topology = generate_topology(rng.randint(8, 60), seed=rng.randint(100, 10_000)).model_dump(mode="json")
        duration = rng.choice([30, 45, 60, 90, 120, 180, 240])
        names = [s["name"] for s in topology["services"]]
        faults = [] if rng.random() < 0.1 else [{
            "type": rng.choice(FAULT_TYPES), "service": rng.choice(names),
            "start_minute": rng.randint(3, max(4, duration - 12)), "severity": rng.choice(SEVERITIES)}]
        spec = {"seed": rng.randint(0, 2**31 - 1), "duration_minutes": duration,
                "end_time": f"2026-11-{rng.randint(10, 25)}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z",
                "topology": topology, "faults": faults,
                "noise": {"red_herring_deployments": rng.randint(0, 3),
                          "background_error_rate": rng.choice([0.0, 0.01, 0.02, 0.03]),
                          "transient_spikes": rng.randint(0, 3)}}
        cases.append(_case("heldout", spec))
    return cases


def hard_matrix() -> list[Case]:
    return [_case("hard", spec) for spec in hard.specs(hard.SEED)]


def hard_heldout() -> list[Case]:
    return [_case("hard-heldout", spec) for spec in hard.specs(hard.HELDOUT_SEED)]


def hard_dev() -> list[Case]:
    return [_case("hard-dev", spec) for spec in hard.specs(hard.DEV_SEED)]


def hard_from_seed(seed: int) -> list[Case]:
    """The hard recipe from any other seed: a fresh sample of the same kind of incidents."""
    return [_case(f"hard-{seed}", spec) for spec in hard.specs(seed)]


MATRICES = {"quick": quick, "full": full, "heldout": heldout, "hard": hard_matrix, "hard-dev": hard_dev,
            "hard-heldout": hard_heldout}


def from_folder(folder: str | Path) -> list[Case]:
    """Every .json / .toml spec in a folder, by file name. Unreadable specs become cases that
    record their error instead of stopping the run."""
    from simulators import SpecError, load_spec

    path = Path(folder)
    if not path.is_dir():
        raise ValueError(f"--specs: {str(path)!r} is not a folder")
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".json", ".toml"))
    if not files:
        raise ValueError(f"--specs: no .json or .toml spec files in {str(path)!r}")
    cases = []
    for f in files:
        try:
            spec = load_spec(f)
        except SpecError as exc:
            cases.append(Case(f.name, f.name, None, None, "unknown", (), error=str(exc)))
            continue
        cases.append(_case(f.name, spec.model_dump(mode="json", exclude={"description"}), case_id=f.name))
    return cases
