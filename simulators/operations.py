"""Routine operations on a service: releases, rollbacks, restarts, scaling, config changes.

The same few functions serve routine noise, harmless look-alikes, faulty changes and the
changes that end a fault, so none of them looks different from the others.
"""

from __future__ import annotations

from . import settings
from .state import Event, Timeline


def rollout_seconds(replicas: int) -> float:
    return max(60.0, 20.0 * replicas)


def _one_pod_short(tl: Timeline, i: int, when: float, seconds: float) -> None:
    """A rolling update or restart replaces pods one at a time: one fewer ready meanwhile."""
    st, replicas = tl.states[i], tl.profiles[i].replicas
    t0 = tl.index(when)
    for t in range(t0, min(tl.n, t0 + max(1, round(seconds / tl.step)))):
        st.avail[t] = min(st.avail[t], 1.0 - 1.0 / (replicas + 1))


def release(tl: Timeline, i: int, when: float) -> Event:
    """A new version rolls out (its number is given later, in time order: releases.py)."""
    ev = Event(when, i, "deploy", {})
    tl.events.append(ev)
    _one_pod_short(tl, i, when, rollout_seconds(tl.profiles[i].replicas))
    return ev


def rollback(tl: Timeline, i: int, when: float) -> Event:
    ev = Event(when, i, "rollback", {})
    tl.events.append(ev)
    _one_pod_short(tl, i, when, rollout_seconds(tl.profiles[i].replicas))
    return ev


def rolling_restart(tl: Timeline, i: int, when: float) -> Event:
    ev = Event(when, i, "restart", {})
    tl.events.append(ev)
    _one_pod_short(tl, i, when, rollout_seconds(tl.profiles[i].replicas))
    return ev


def scale_out(tl: Timeline, i: int, when: float, extra: int) -> Event:
    """More replicas from `when` on: more capacity, and the replica metrics say so."""
    st, replicas = tl.states[i], tl.profiles[i].replicas
    t0 = tl.index(when)
    before = st.scale[t0] if st.scale is not None else 1.0
    after = before + extra / replicas
    if st.scale is None:
        st.scale = [1.0] * tl.n
    for t in range(t0, tl.n):
        st.scale[t] = max(st.scale[t], after)
    ev = Event(when, i, "scale", {"from": round(replicas * before), "to": round(replicas * after)})
    tl.events.append(ev)
    return ev


def config_change(tl: Timeline, i: int, when: float, key: str, *, complains: bool = False,
                  revert_of: Event | None = None, towards: str | None = None) -> Event:
    """A setting changes (its values are given later, in time order: settings.py). A service
    that `complains` logs that it cannot use the new value; `towards` ("up", "down") says which
    way a fix moves it; `revert_of` restores what an earlier change replaced."""
    detail: dict = {"key": key, "complains": complains}
    if revert_of is not None:
        detail["revert_of"] = revert_of
    if towards is not None:
        detail["towards"] = towards
    ev = Event(when, i, "config_change", detail)
    tl.events.append(ev)
    return ev


def random_config_change(tl: Timeline, i: int, when: float, rng, complains: bool = False) -> Event:
    return config_change(tl, i, when, settings.pick_key(rng), complains=complains)
