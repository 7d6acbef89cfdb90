"""Sampled distributed traces that follow the topology and the simulated state.

Each trace starts at an entry point and walks the call graph with the same call
probabilities that shaped the load. Span errors and durations are drawn from the same
timeline as the metrics. A call that no server answered is recorded as the caller's
*client* span with `peer_service`, as OpenTelemetry would. Every request-scoped log line
is emitted here, so log trace ids always name real spans.
"""

from __future__ import annotations

import math
import random

from telemetry.records import LogRecord, Span

from . import messages
from . import rng as rngmod
from .state import Timeline

FAULT_CAUSE = {
    "memory_leak": "oom",
    "cpu_saturation": "overload",
    "bad_deployment": "exception",
    "connection_pool_exhaustion": "pool",
    "network_latency": "timeout",
    "packet_loss": "reset",
    "disk_full": "disk",
    "config_error": "config",
    "credential_failure": "auth",
    "crash_loop": "crash",
    "traffic_surge": "overload",
}
_STATUS = {"exception": 500, "oom": 500, "overload": 503, "pool": 500, "timeout": 504, "reset": 502,
           "disk": 500, "config": 500, "auth": 401, "crash": 503, "background": 500}
ACCESS_LOG_SHARE = 0.2
_OK_ATTRIBUTES = {"http.status_code": 200}


def own_cause(tl: Timeline, i: int, t: int, r: random.Random) -> str:
    st = tl.states[i]
    for ftype, a, b in st.episodes:
        if a <= t < b:
            cause = FAULT_CAUSE.get(ftype)
            if ftype == "credential_failure" and tl.graph.deps[i]:
                cause = None  # this service's *outbound* credentials fail; its own code is fine
            if cause == "oom" and st.memory[t] < 92.0:
                cause = "timeout"
            if cause and r.random() < 0.9:
                return cause
    if st.util[t] > 1.0:
        return "overload"
    return "background"


class TraceBuilder:
    def __init__(self, tl: Timeline, seed: int) -> None:
        self.tl = tl
        self.r = rngmod.child(seed, "traces")
        self.spans: list[Span] = []
        self.logs: list[LogRecord] = []
        self.ops = [messages.operations(p) for p in tl.profiles]
        normal = rngmod.noise_table().normal_sample[:64]
        # Per-service log-normal factors for own processing time, drawn by index.
        self.spread = [[math.exp(math.log(max(p.tail_ratio, 1.5)) / 2.326 * z) for z in normal]
                       for p in tl.profiles]
        self.calls = [tuple((d, prob, tl.profiles[d].name) for d, prob in p.call_prob.items())
                      for p in tl.profiles]
        self.slow_ms = [max(250.0, 6.0 * p.healthy_p50_ms) for p in tl.profiles]
        self.lag = tl.lag

    def build(self, traces_per_minute: float) -> None:
        tl, r = self.tl, self.r
        entries = tl.graph.entries
        base_total = sum(tl.profiles[e].base_rps for e in entries) or 1.0
        per_step = traces_per_minute * tl.step / 60.0
        for t in range(tl.n):
            t_abs = tl.time(t)
            lag_t = max(0, t - self.lag)
            for e in entries:
                st = tl.states[e]
                share = st.load[t] / base_total
                for _ in range(rngmod.poisson_count(r, per_step * share)):
                    start = t_abs + r.random() * tl.step
                    trace_id = f"{r.getrandbits(128):032x}"
                    if r.random() >= st.reach[t]:
                        continue  # the entry point itself is unreachable: nothing recorded
                    self._server_span(e, t, lag_t, start, trace_id, None, 0)

    def _server_span(self, i: int, t: int, lag_t: int, start: float, trace_id: str,
                     parent: str | None, depth: int) -> tuple[float, bool]:
        """Record a server span at service i; return (duration ms, failed)."""
        tl, r = self.tl, self.r
        rand = r.random
        st, prof = tl.states[i], tl.profiles[i]
        span_id = f"{r.getrandbits(64):016x}"
        spread = self.spread[i]
        own = st.own50[t] * spread[int(rand() * len(spread))]
        cursor = start + own * 0.0003  # a little own work before the first call (seconds)
        elapsed = own
        failed_dep: tuple[str, str, float] | None = None
        if depth < 12:
            for d, prob, dep_name in self.calls[i]:
                if rand() >= prob:
                    continue
                dst = tl.states[d]
                fail = st.call_fail.get(d)
                mode = None
                if fail is not None and rand() < fail[t]:
                    mode = st.call_fail_mode.get(d, "dep_error")
                    cost = 2.0 + 28.0 * rand() if mode != "dep_unreachable" else dst.unreach_ms[lag_t] or 1000.0
                elif dst.silent[t] or rand() >= dst.reach[lag_t]:
                    mode = dst.unreach_mode
                    cost = dst.unreach_ms[lag_t] or 3.0
                if mode is not None:
                    cost = min(cost, prof.timeout_ms)
                    self._client_span(i, cursor, trace_id, span_id, dep_name, mode, cost)
                else:
                    cost, child_failed = self._server_span(d, t, lag_t, cursor, trace_id, span_id, depth + 1)
                    if cost > prof.timeout_ms:
                        cost = prof.timeout_ms
                        mode = "dep_timeout"
                    elif child_failed and rand() < prof.resilience:
                        mode = "dep_error"
                if mode is not None and failed_dep is None:
                    failed_dep = (dep_name, mode, cost)
                cursor += cost / 1000.0
                elapsed += cost
        util = st.util[t]
        own_failed = rand() < st.err_own[t] + (1.0 - 1.0 / util if util > 1.0 else 0.0)
        failed = own_failed or failed_dep is not None
        ops = self.ops[i]
        op = ops[int(rand() * len(ops))]
        end = start + elapsed / 1000.0
        logs_on = not st.logs_lost[t]
        if failed:
            if failed_dep is not None and not own_failed:
                dep_name, mode, cost = failed_dep
                message, stack = messages.dependency_failure(r, prof, dep_name, mode, cost)
                attrs = {"http.status_code": 504 if mode in ("dep_timeout", "dep_unreachable") else 502,
                         "error.source": dep_name}
            else:
                cause = own_cause(tl, i, t, r)
                message, stack = messages.own_failure(r, prof, cause, elapsed)
                attrs = {"http.status_code": _STATUS.get(cause, 500)}
            status_message = message.partition("\n")[0][:200]
            if logs_on:
                self.logs.append(LogRecord(end, prof.name, "ERROR", message, rngmod.pick(r, prof.instances),
                                           "http", trace_id, span_id, stack))
        else:
            attrs = _OK_ATTRIBUTES  # shared and never mutated: most spans succeed
            status_message = ""
            if logs_on:
                if elapsed > self.slow_ms[i] and rand() < 0.5:
                    self.logs.append(LogRecord(end, prof.name, "WARN", messages.slow(r, prof, op, elapsed),
                                               rngmod.pick(r, prof.instances), "http", trace_id, span_id))
                elif rand() < ACCESS_LOG_SHARE:
                    self.logs.append(LogRecord(end, prof.name, "INFO", messages.access(r, prof, op, 200, elapsed),
                                               rngmod.pick(r, prof.instances), "http", trace_id, span_id))
        if not st.silent[t]:
            self.spans.append(Span(trace_id, span_id, parent, prof.name, op, "server", start, elapsed,
                                   failed, status_message, None, attrs))
        return elapsed, failed

    def _client_span(self, i: int, start: float, trace_id: str, parent: str, dep: str,
                     mode: str, cost: float) -> None:
        prof = self.tl.profiles[i]
        span_id = f"{self.r.getrandbits(64):016x}"
        message, _ = messages.dependency_failure(self.r, prof, dep, mode, cost)
        self.spans.append(Span(trace_id, span_id, parent, prof.name, f"call {dep}", "client", start,
                               cost, True, message[:200], dep,
                               {"peer.service": dep, "error.type": mode.removeprefix("dep_")}))


def build_traces(tl: Timeline, seed: int, traces_per_minute: float) -> tuple[list[Span], list[LogRecord]]:
    builder = TraceBuilder(tl, seed)
    builder.build(traces_per_minute)
    return builder.spans, builder.logs
