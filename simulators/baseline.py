"""Healthy behaviour and realistic noise: background errors, resource levels with jitter,
routine deployments and brief harmless spikes on healthy services."""

from __future__ import annotations

from . import operations
from . import rng as rngmod
from .spec import NoiseSpec
from .state import Event, Timeline


def apply_baseline(tl: Timeline, seed: int, noise: NoiseSpec, table: rngmod.NoiseTable) -> None:
    n = tl.n
    amp = noise.metric_noise
    for i, (st, prof) in enumerate(zip(tl.states, tl.profiles)):
        r = rngmod.child(seed, "baseline", prof.name)
        bg = noise.background_error_rate * r.uniform(0.5, 1.5)
        st.err_own = [bg * f for f in table.factors(r, n, 0.35, smooth=True)]
        mem, drift = prof.memory_base, r.uniform(-0.4, 0.6) / 3600.0 * tl.step
        st.memory = [mem * f + drift * i for i, f in enumerate(table.factors(r, n, 0.4 * amp, smooth=True))]
        gc = prof.gc_base_ms
        st.gc = [gc * f for f in table.factors(r, n, 4 * amp)]
        disk, growth = prof.disk_base, prof.disk_growth_per_hour / 3600.0 * tl.step
        st.disk = [disk * f + growth * i for i, f in enumerate(table.factors(r, n, 0.001, smooth=True))]
        rtt = prof.rtt_base_ms
        st.rtt = [rtt * f for f in table.factors(r, n, 6 * amp)]
        ret = prof.retrans_base
        st.retrans = [ret * f for f in table.factors(r, n, 10 * amp)]
        prior_restarts = float(r.choice((0, 0, 0, 1, 2)))
        st.restarts = [prior_restarts] * n


def apply_noise(tl: Timeline, seed: int, noise: NoiseSpec, faulty: set[int],
                fault_start: float | None) -> None:
    """Routine deployments and brief spikes on healthy services, often close to the fault's
    onset so that "what changed just before?" has more than one answer."""
    r = rngmod.child(seed, "noise")
    healthy = [i for i in range(len(tl.profiles)) if i not in faulty]
    if not healthy:
        return
    end = tl.start + tl.n * tl.step
    span = end - tl.window_start
    focus = fault_start if fault_start is not None else tl.window_start + span * r.uniform(0.3, 0.8)

    for _ in range(noise.red_herring_deployments):
        i = r.choice(healthy)
        if r.random() < 0.7:  # from 20 minutes before the onset to 8 after, as far as simulated
            when = r.uniform(max(tl.start + tl.step, focus - 1200), min(end - tl.step, focus + 480))
        else:
            when = tl.window_start + r.uniform(0.05, 0.95) * span
        if r.random() < 0.25:
            operations.random_config_change(tl, i, when, r)
        else:
            operations.release(tl, i, when)

    for _ in range(noise.transient_spikes):
        i = r.choice(healthy)
        st = tl.states[i]
        start = tl.window_start + r.uniform(0.1, 0.9) * span
        length = r.uniform(60, 150)
        t0, t1 = tl.index(start), tl.index(start + length)
        kind = r.choice(("cpu", "gc", "latency"))
        for t in range(t0, t1 + 1):
            if kind == "cpu":
                st.extra_cpu[t] += r.uniform(0.25, 0.4)
            elif kind == "gc":
                st.gc[t] += r.uniform(60, 140)
                st.lat_mult[t] *= 1.3
            else:
                st.lat_mult[t] *= r.uniform(1.6, 2.4)
        tl.events.append(Event(start, i, "batch_job", {"kind": kind, "seconds": round(length)}))
