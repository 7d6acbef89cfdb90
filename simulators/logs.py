"""Log lines that are not tied to a sampled trace: routine chatter, the bulk of failed
requests (sampled, without trace ids), and what events such as OOM kills or crashes print.

Request-scoped lines that carry trace ids are produced with the spans in `traces.py`.
"""

from __future__ import annotations

import random
from bisect import bisect_right

from telemetry.records import LogRecord

from . import messages, releases, settings
from . import rng as rngmod
from .state import Event, Timeline
from .traces import own_cause

ERROR_LOG_SAMPLING = 0.003  # share of failed requests that also get an untraced error line
ERROR_LINES_PER_MINUTE_CAP = 12.0  # per service: services rate-limit repetitive error logging


def build_logs(tl: Timeline, seed: int, lines_per_minute: float) -> list[LogRecord]:
    out: list[LogRecord] = []
    variants = _Variants(seed)
    for i in range(len(tl.profiles)):
        r = rngmod.child(seed, "logs", tl.profiles[i].name)
        _background(tl, i, r, lines_per_minute, out)
        _failed_requests(tl, i, r, variants, out)
    r = rngmod.child(seed, "event-logs")
    for event in tl.events:
        _event_lines(tl, event, r, out)
    return out


_CHATTER_VARIANTS = 32  # a power of two: picked with a bit mask


def _background(tl: Timeline, i: int, r: random.Random, per_minute: float, out: list) -> None:
    """Routine chatter, drawn from a per-service set of rendered lines: at a million lines,
    rendering each one separately would dominate generation time."""
    prof, st = tl.profiles[i], tl.states[i]
    variants_rng = rngmod.child(r.random(), "chatter")
    deps = tuple(tl.profiles[d].name for d in tl.graph.deps[i])
    variants = [messages.background(variants_rng, prof, deps) for _ in range(_CHATTER_VARIANTS)]
    per_step = per_minute * tl.step / 60.0
    base = prof.base_rps
    instances = prof.instances
    n_inst = len(instances)
    name = prof.name
    step = tl.step
    rand = r.random
    bits32 = r.getrandbits
    tick = step / (1 << 17)
    append = out.append
    counts = _counts(rand, [0.0 if lost else per_step * (0.7 + 0.3 * x / base) * a
                            for x, a, lost in zip(st.load, st.avail, st.logs_lost)])
    for t, count in enumerate(counts):
        if not count:
            continue
        t_abs = tl.start + t * step
        for _ in range(count):
            bits = bits32(32)  # one draw split three ways: variant, instance, time offset
            level, logger, message = variants[bits & (_CHATTER_VARIANTS - 1)]
            append(LogRecord(t_abs + (bits >> 15) * tick, name, level, message,
                             instances[((bits >> 7) & 255) % n_inst], logger))


def _counts(rand, means: list[float]) -> list[int]:
    """Integer counts with the given means (floor plus a Bernoulli on the fraction)."""
    return [int(m) + (1 if rand() < m - int(m) else 0) for m in means]


class _Variants:
    """Rendered error lines per (service, cause) or (service, callee, failure mode).

    Each set has its own named random stream, so its content does not depend on the order in
    which sets are first needed.
    """

    SIZE = 24

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.sets: dict[tuple, list[tuple[str, str | None]]] = {}

    def own(self, prof, cause: str, ms: float) -> list[tuple[str, str | None]]:
        key = (prof.name, cause)
        if key not in self.sets:
            r = rngmod.child(self.seed, "own-lines", prof.name, cause)
            self.sets[key] = [messages.own_failure(r, prof, cause, ms * r.uniform(0.8, 1.2))
                              for _ in range(self.SIZE)]
        return self.sets[key]

    def dependency(self, prof, dep: str, mode: str, ms: float) -> list[tuple[str, str | None]]:
        key = (prof.name, dep, mode)
        if key not in self.sets:
            r = rngmod.child(self.seed, "dep-lines", prof.name, dep, mode)
            self.sets[key] = [messages.dependency_failure(r, prof, dep, mode, ms * r.uniform(0.8, 1.2))
                              for _ in range(self.SIZE)]
        return self.sets[key]


def _failed_requests(tl: Timeline, i: int, r: random.Random, variants: _Variants, out: list) -> None:
    prof, st = tl.profiles[i], tl.states[i]
    lag = tl.lag
    deps = list(prof.call_prob.items())
    cap = ERROR_LINES_PER_MINUTE_CAP * tl.step / 60.0
    rand = r.random
    size = _Variants.SIZE
    scale = tl.step * ERROR_LOG_SAMPLING
    means = [0.0 if lost else (m if (m := x * re * e * scale) < cap else cap)
             for x, re, e, lost in zip(st.load, st.reach, st.err, st.logs_lost)]
    for t, count in enumerate(_counts(rand, means)):
        if not count:
            continue
        util = st.util[t]
        own = 1.0 - (1.0 - st.err_own[t]) * (1.0 / util if util > 1.0 else 1.0)
        own_share = min(1.0, own / st.err[t])
        t_abs = tl.start + t * tl.step
        lt = max(0, t - lag)
        cumulative = []
        total = 0.0
        for d, prob in deps:
            dst = tl.states[d]
            fail = st.call_fail.get(d)
            total += prob * (dst.err[lt] + (1.0 - dst.reach[lt]) + (fail[t] if fail else 0.0)
                             + (0.5 if dst.lat99[lt] > prof.timeout_ms else 0.0))
            cumulative.append(total)
        for _ in range(count):
            when = t_abs + rand() * tl.step
            instance = rngmod.pick(r, prof.instances)
            if total <= 0 or rand() < own_share:
                cause = own_cause(tl, i, t, r)
                message, stack = variants.own(prof, cause, st.lat50[t])[int(rand() * size)]
                out.append(LogRecord(when, prof.name, "ERROR", message, instance, "http", None, None, stack))
                continue
            k = min(bisect_right(cumulative, rand() * total), len(cumulative) - 1)
            d = deps[k][0]
            dst = tl.states[d]
            dep_name = tl.profiles[d].name
            fail = st.call_fail.get(d)
            unreach = 1.0 - dst.reach[lt]
            if fail and rand() < fail[t] / (fail[t] + dst.err[lt] + unreach + 1e-9):
                mode = st.call_fail_mode.get(d, "dep_error")
            elif rand() < unreach / (unreach + dst.err[lt] + 1e-9):
                mode = dst.unreach_mode
            elif dst.lat99[lt] > prof.timeout_ms:
                mode = "dep_timeout"
            else:
                mode = "dep_error"
            ms = prof.timeout_ms if mode in ("dep_timeout", "dep_unreachable") else dst.lat50[lt]
            message, stack = variants.dependency(prof, dep_name, mode, ms)[int(rand() * size)]
            out.append(LogRecord(when, prof.name, "ERROR", message, instance, "http", None, None, stack))
            if mode == "dep_auth" and not dst.logs_lost[t] and rand() < 0.5:
                out.append(LogRecord(when + 0.001, dep_name, "WARN", auth_rejection(r, prof),
                                     rngmod.pick(r, tl.profiles[d].instances), "auth"))


def _event_lines(tl: Timeline, ev: Event, r: random.Random, out: list) -> None:
    prof = tl.profiles[ev.service]
    st = tl.states[ev.service]
    name = prof.name
    d = ev.detail
    pod = d.get("instance") or prof.instances[0]
    t = ev.time
    if t >= tl.start + tl.n * tl.step or st.logs_lost[tl.index(t)]:
        return

    def add(level: str, logger: str, message: str, stack: str | None = None, when: float = t) -> None:
        out.append(LogRecord(when, name, level, message, pod, logger, None, None, stack))

    kind = ev.kind
    if kind == "oom_kill":
        message, stack = messages.own_failure(r, prof, "oom", 0.0)
        add("ERROR", "runtime", message, stack, t - 1.5)
        add("WARN", "k8s.event", f"Container {name} in pod {pod} was OOMKilled "
                                 f"(exit code 137, memory limit reached)")
        add("INFO", "k8s.event", f"Started container {name} in pod {pod} (restart after OOMKilled)", when=t + 4)
    elif kind == "gc_pressure":
        if prof.stack == "java":
            add("WARN", "gc", f"GC pause (G1 Evacuation Pause) {d['pause_ms']}ms, heap {d['heap']}% used "
                              f"after collection")
        elif prof.stack == "go":
            add("WARN", "runtime", f"gc {rngmod.randint(r, 100, 9999)} @{r.uniform(10, 9000):.1f}s: stop-the-world "
                                   f"pause {d['pause_ms']}ms, heap {d['heap']}% of limit")
        else:
            add("WARN", "runtime", f"Long garbage collection pause: {d['pause_ms']}ms "
                                   f"(heap {d['heap']}% of limit)")
    elif kind == "cpu_throttle":
        add("WARN", "k8s.event", f"Container {name} in pod {pod} CPU throttled "
                                 f"{rngmod.randint(r, 40, 95)}% of periods in the last minute")
        add("WARN", "app", f"Worker pool saturated: {rngmod.randint(r, 64, 256)} busy threads, "
                           f"{rngmod.randint(r, 50, 900)} tasks queued")
    elif kind == "pool_exhausted":
        add("WARN", "db", f"Connection pool at capacity: active={d['max']} idle=0 max={d['max']} "
                          f"waiting={rngmod.randint(r, 20, 400)}")
    elif kind == "disk_warning":
        add("WARN", "storage", f"Disk usage on /var/lib/data at {d['percent']}% "
                               f"({rngmod.randint(r, 1, 9)}.{rngmod.randint(r, 0, 9)}GiB free)")
        if d["percent"] >= 95:
            add("WARN", "k8s.event", f"Pod {pod}: ephemeral storage usage exceeds 95% of volume capacity")
    elif kind in ("deploy", "rollback"):
        image = f"registry.internal/{name}:{d['version']}"
        if kind == "deploy":
            add("INFO", "k8s.event", f"Deployment {name}: rolling update to image {image} started")
        else:
            add("INFO", "k8s.event", f"Deployment {name}: rolling back from {d['previous']} to image {image}")
        done = t + min(120.0, 20.0 * prof.replicas)
        add("INFO", "k8s.event", f"Deployment {name}: rollout of {d['version']} complete", when=done)
        add("INFO", "app", f"Starting {name} {d['version']} (pid {rngmod.randint(r, 1, 64)})", when=t + 5)
        add("INFO", "app", f"{name} {d['version']} ready to serve traffic in {r.uniform(2, 14):.1f}s",
            when=t + 8)
    elif kind == "restart":
        add("INFO", "k8s.event", f"Deployment {name}: restart rollout started")
        for k, instance in enumerate(prof.instances):
            out.append(LogRecord(t + 15.0 * (k + 1), name, "INFO", f"Started container {name} in pod {instance}",
                                 instance, "k8s.event"))
    elif kind == "scale":
        add("INFO", "k8s.event", f"Scaled deployment {name} from {d['from']} to {d['to']} replicas")
    elif kind == "config_change":
        add("INFO", "config", f"Configuration reloaded: {d['key']} changed")
        if d.get("complains"):
            add("ERROR", "config", f"Invalid value for {d['key']}: {d['new']!r} ({settings.complaint(d['key'])})",
                when=t + 1)
    elif kind == "crash":
        message, stack = _crash_message(r, prof)
        add("FATAL", "app", message, stack)
        add("WARN", "k8s.event", f"Container {name} in pod {pod} exited with code "
                                 f"{rngmod.pick(r, (1, 2, 139))}", when=t + 0.5)
    elif kind == "backoff_restart":
        add("WARN", "k8s.event", f"Back-off restarting failed container {name} in pod {pod} "
                                 f"(CrashLoopBackOff, waited {d['backoff_s']}s)")
        add("INFO", "app", f"Starting {name} {releases.version_at(tl, ev.service, t)}", when=t + 1)
        add("WARN", "k8s.event", f"Readiness probe failed for pod {pod}: "
                                 f"Get \"http://{prof.ip_prefix}.{rngmod.randint(r, 2, 254)}:8080/ready\": "
                                 f"connection refused", when=t + 2)
    elif kind == "traffic_high":
        add("WARN", "http", f"Request rate {rngmod.randint(r, 800, 5000)} req/s is above the provisioned "
                            f"{rngmod.randint(r, 300, 700)} req/s; shedding load")
        add("INFO", "k8s.event", f"HorizontalPodAutoscaler {name}: desired replicas "
                                 f"{prof.replicas + rngmod.randint(r, 2, 6)} (max {prof.replicas}) reached limit")
    elif kind == "container_restart":
        add("INFO", "k8s.event", f"Started container {name} in pod {pod} (restarted after exit)")
        add("INFO", "app", f"Starting {name} {releases.version_at(tl, ev.service, t)}", when=t + 1)
    elif kind == "disk_cleanup":
        add("INFO", "storage", f"Retention job removed {rngmod.randint(r, 12, 400)} old segments from "
                               f"/var/lib/data, freed {rngmod.randint(r, 2, 40)}.{rngmod.randint(r, 0, 9)}GiB")
    elif kind == "peer_failures":
        peer = tl.profiles[d["peer"]]
        for k in range(d["lines"]):
            ms = prof.timeout_ms if d["mode"] == "dep_unreachable" else r.uniform(2, 40)
            message, stack = messages.dependency_failure(r, prof, peer.name, d["mode"], ms)
            add("ERROR", "http", message, stack, when=t + 0.7 * k)
            if d["mode"] == "dep_auth":
                out.append(LogRecord(t + 0.7 * k + 0.001, peer.name, "WARN", auth_rejection(r, prof),
                                     rngmod.pick(r, peer.instances), "auth"))
    elif kind == "batch_job":
        add("INFO", "app", f"Scheduled job nightly-{d['kind']}-compaction finished in {d['seconds']}s")
    elif kind == "packet_loss":
        add("WARN", "net", f"TCP retransmission rate high on eth0: {rngmod.randint(r, 60, 400)} segments/s")
    elif kind == "slow_network":
        add("WARN", "net", f"Outbound connections slow: connect latency p50 {d['delay_ms']}ms")
    elif kind == "dns_broken" and d.get("outbound"):
        add("WARN", "net", "resolv.conf: nameserver 10.96.0.10 not responding, retrying")
    elif kind == "credential_rejected":
        add("WARN", "auth", "Secret db-credentials was updated; connection pool re-authenticating")
    elif kind == "credential_expired":
        add("WARN", "auth", "TLS serving certificate expired; clients will be rejected")


def auth_rejection(r: random.Random, client) -> str:
    """What a credential store logs when a client's login is refused."""
    user = client.resource.replace("-", "_") + "_svc"
    return (f"authentication failed for user \"{user}\" from {client.ip_prefix}.{rngmod.randint(r, 2, 254)}: "
            "password does not match")


def _crash_message(r: random.Random, prof) -> tuple[str, str | None]:
    options = (
        ("panic: failed to initialise storage: open /var/lib/data/LOCK: resource temporarily unavailable",
         "goroutine 1 [running]:\nmain.main()\n\t/src/cmd/server/main.go:64 +0x3a5"),
        ("Application run failed: Failed to bind properties under 'spring.datasource'",
         "org.springframework.boot.context.properties.bind.BindException: Failed to bind properties\n"
         "\tat org.springframework.boot.SpringApplication.run(SpringApplication.java:335)"),
        ("Fatal error during startup: required environment variable SERVICE_TOKEN is not set", None),
        ("Segmentation fault (core dumped) in worker process", None),
    )
    return rngmod.pick(r, options)
