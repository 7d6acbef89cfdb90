"""What kind of case a spec is, for the per-category scores: where the onset falls, how noisy
the system is, the topology's size and where the root cause sits in it, whether the fault had
ended, how many faults there were. Read off the spec by the harness, only to score."""

from __future__ import annotations

CATEGORIES = ("faults", "onset", "recovered", "noise", "topology", "depth", "position")


def describe(spec: dict, topology: dict) -> dict[str, str]:
    """`topology` is the spec's own or the default one."""
    faults = spec.get("faults") or []
    services = topology["services"]
    out = {"faults": "quiet" if not faults else "single" if len(faults) == 1 else "multi",
           "noise": (spec.get("noise") or {}).get("level", "default"),
           "topology": _size(len(services), spec.get("topology") is not None),
           "depth": _depth(services)}
    if not faults:
        return out
    duration = spec.get("duration_minutes", 60)
    first = min(faults, key=lambda f: f["start_minute"])
    out["onset"] = _onset(first["start_minute"], duration)
    out["recovered"] = "recovered" if any(_ends_inside(f, duration) for f in faults) else "ongoing"
    out["position"] = _position(faults[0]["service"], services)
    return out


_SIZE_BANDS = ((11, "3-11"), (24, "12-24"), (40, "25-40"))


def _size(n: int, custom: bool) -> str:
    if not custom:
        return "default 8"
    return next((f"{label} services" for upper, label in _SIZE_BANDS if n <= upper), "41+ services")


def _depth(services: list[dict]) -> str:
    """The longest chain of calls from an entry point to a leaf, in hops."""
    deps = {s["name"]: s.get("depends_on") or [] for s in services}
    callers: dict[str, list[str]] = {name: [] for name in deps}
    for name, ds in deps.items():
        for d in ds:
            callers[d].append(name)
    waiting = {name: len(ds) for name, ds in deps.items()}
    hops = dict.fromkeys(deps, 0)
    ready = [name for name, n in waiting.items() if n == 0]  # leaves first
    while ready:
        name = ready.pop()
        for caller in callers[name]:
            hops[caller] = max(hops[caller], hops[name] + 1)
            waiting[caller] -= 1
            if waiting[caller] == 0:
                ready.append(caller)
    deepest = max(hops.values())
    return "chains of 2 or fewer" if deepest <= 2 else "chains of 3" if deepest == 3 else "chains of 4+"


def _onset(start: float, duration: float) -> str:
    if start < 0:
        return "before the window"
    if start < 5:
        return "first 5 minutes"
    if start >= duration - 10:
        return "last 10 minutes"
    return "middle"


def _ends_inside(fault: dict, duration: float) -> bool:
    end = fault.get("end_minute")
    if end is None and fault.get("duration_minutes") is not None:
        end = fault["start_minute"] + fault["duration_minutes"]
    return end is not None and end < duration


def _position(name: str, services: list[dict]) -> str:
    deps = {s["name"]: s.get("depends_on") or [] for s in services}
    called = {d for ds in deps.values() for d in ds}
    if name not in called:
        return "entry point"
    if not deps[name]:
        return "leaf"
    return "single callee" if len(deps[name]) == 1 else "middle"
