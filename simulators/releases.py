"""Release histories: every release, routine or faulty, bumps its version the same way, and a
service's versions only ever go up, except when a rollback event takes one back.

Versions are assigned after the whole timeline is known (deploys come from noise, decoys and
faults in no particular order), walking each service's releases in time order.
"""

from __future__ import annotations

import random

from . import rng as rngmod
from .profiles import ServiceProfile
from .state import Timeline

RELEASE_KINDS = ("deploy", "rollback")
# Patch releases are the most common, then minor ones, rarely a major one: for routine and
# faulty releases alike, so that a version bump never tells which one broke.
_BUMP_WEIGHTS = (("patch", 0.62), ("minor", 0.33), ("major", 0.05))


def parse(version: str) -> tuple[int, int, int]:
    major, minor, patch = (int(x) for x in version.lstrip("v").split("."))
    return major, minor, patch


def next_version(version: str, rng: random.Random) -> str:
    major, minor, patch = parse(version)
    x = rng.random()
    for kind, weight in _BUMP_WEIGHTS:
        if x < weight:
            break
        x -= weight
    if kind == "patch":
        return f"v{major}.{minor}.{patch + 1}"
    if kind == "minor":
        return f"v{major}.{minor + 1}.0"
    return f"v{major + 1}.0.0"


def history_before(prof: ServiceProfile, before: float, rng: random.Random) -> list[tuple[float, str, str | None]]:
    """Two or three releases in the weeks before `before`, oldest first: (time, version, previous).
    The profile's version is the oldest; the last one is what runs when the simulation starts."""
    count = rngmod.randint(rng, 2, 3)
    times = sorted(before - rng.uniform(0.5, 20.0) * 86400 for _ in range(count))
    out: list[tuple[float, str, str | None]] = []
    version, previous = prof.version, None
    for k, when in enumerate(times):
        if k:
            previous, version = version, next_version(version, rng)
        out.append((when, version, previous))
    return out


def assign_versions(tl: Timeline, seed: int, released: list[list[str]]) -> None:
    """Give every deploy and rollback event its version and previous version, in time order per
    service, and record which version runs when (`tl.versions`). `released[i]` holds the
    versions service i ran before the simulation, oldest first."""
    by_service: dict[int, list] = {}
    for ev in tl.events:
        if ev.kind in RELEASE_KINDS:
            by_service.setdefault(ev.service, []).append(ev)
    tl.versions = [[(float("-inf"), history[-1])] for history in released]
    for i, events in sorted(by_service.items()):
        rng = rngmod.child(seed, "releases", tl.profiles[i].name)
        stack = list(released[i])  # versions in the order they went live, rolled-back ones removed
        highest = max(stack, key=parse)
        for ev in sorted(events, key=lambda e: e.time):
            current = stack[-1]
            if ev.kind == "deploy":
                version = next_version(highest, rng)
                highest = version
                stack.append(version)
            else:
                if len(stack) > 1:
                    stack.pop()
                version = stack[-1]
            ev.detail["previous"], ev.detail["version"] = current, version
            tl.versions[i].append((ev.time, version))
        tl.profiles[i].version = stack[-1]


def version_at(tl: Timeline, service: int, time: float) -> str:
    version = tl.versions[service][0][1]
    for when, v in tl.versions[service]:
        if when > time:
            break
        version = v
    return version
