"""Runbooks for every fault type: how to confirm it, how to mitigate it, what not to do.

Each runbook's title and the remediation kinds that fit come from the fault catalogue
(`knowledge`); the proposal tools turn those kinds into concrete, validated proposals.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge import FAULTS


@dataclass(frozen=True, slots=True)
class Runbook:
    fault_type: str
    symptoms: tuple[str, ...]
    confirm: tuple[str, ...]
    mitigate: tuple[str, ...]
    avoid: tuple[str, ...]
    keywords: tuple[str, ...]

    @property
    def title(self) -> str:
        return FAULTS[self.fault_type].title

    @property
    def actions(self) -> tuple[str, ...]:
        """Remediation kinds that fit, best first."""
        return FAULTS[self.fault_type].actions


RUNBOOKS: dict[str, Runbook] = {r.fault_type: r for r in (
    Runbook(
        "memory_leak",
        ("memory rising steadily", "longer GC pauses", "OOMKilled restarts", "latency creeping up"),
        ("query_metrics memory_percent and gc_pause_ms for the service: a ramp, then a drop at each kill",
         "search_error_patterns for OutOfMemoryError / OOMKilled",
         "get_recent_deployments: did a release start the growth?"),
        ("roll back if a recent release introduced the growth; capture a heap dump first",
         "rolling restart to reclaim memory and buy time",
         "scale out so each pod fills more slowly while the leak is fixed; raise the memory limit"),
        ("do not rely on replicas alone: every replica leaks", "do not disable the OOM killer"),
        ("memory", "oom", "heap", "gc", "leak", "outofmemory"),
    ),
    Runbook(
        "cpu_saturation",
        ("CPU near 100%", "request queue growing", "timeouts", "latency up with memory flat"),
        ("query_metrics cpu_percent and latency_p50_ms for the service",
         "check request_rate: if it also jumped, treat as a traffic surge instead",
         "query_traces: slow spans with high self time in this service"),
        ("scale out the service", "throttle or shed non-critical work", "profile the hot path"),
        ("do not restart everything at once: cold caches make it worse",),
        ("cpu", "saturation", "throttl", "queue", "hot loop"),
    ),
    Runbook(
        "bad_deployment",
        ("errors or latency start right after a deploy", "new exception types", "one service first"),
        ("get_recent_deployments for the service: a version change just before the onset",
         "search_error_patterns: patterns first seen after the deploy",
         "correlate_signals: the deploy appears as evidence on the top candidate"),
        ("roll back to the previous version", "pause the rollout pipeline for the service"),
        ("do not restart pods: they come back on the same bad version",
         "do not scale: more copies of the bug"),
        ("deploy", "release", "version", "regression", "exception", "rollout"),
    ),
    Runbook(
        "connection_pool_exhaustion",
        ("active connections pinned at the pool maximum", "rising wait for a connection",
         "timeouts acquiring connections", "callers of the service time out"),
        ("query_metrics connection_pool_active vs connection_pool_max, and connection_pool_wait_ms",
         "search_error_patterns: 'Connection is not available', 'too many clients'",
         "look for slow queries or leaked connections holding the pool"),
        ("raise the pool size (within what the database allows)", "kill or fix the long-running queries",
         "add replicas of the pooling service if the database has headroom"),
        ("do not raise the pool past the database's max_connections",),
        ("pool", "connection", "hikari", "too many clients", "max_connections"),
    ),
    Runbook(
        "network_partition",
        ("service stops reporting", "callers log connection timeouts or no route to host",
         "health unknown", "scrapes fail (up == 0)"),
        ("detect_anomalies: telemetry missing since a moment", "query_traces: calls nobody answered",
         "check the node / zone the pods run in"),
        ("reschedule the pods onto healthy nodes (rolling restart, or scale out elsewhere)",
         "fail over to another zone", "fix the network policy or security group that changed"),
        ("do not add capacity inside the partitioned zone",),
        ("partition", "unreachable", "no route", "silent", "timeout", "network"),
    ),
    Runbook(
        "network_latency",
        ("latency up with CPU flat", "round-trip time up", "callers' latency up"),
        ("query_metrics network_rtt_ms and latency_p50_ms", "query_traces: time spent in calls, not in the service"),
        ("move the pods away from the degraded node or link (rolling restart, or scale out elsewhere)",
         "raise client timeouts only as a stop-gap"),
        ("do not add pods behind the same slow link",),
        ("latency", "rtt", "slow network", "jitter"),
    ),
    Runbook(
        "packet_loss",
        ("TCP retransmits up", "connection resets", "p99 latency up far more than p50"),
        ("query_metrics tcp_retransmits_per_second and latency_p99_ms",
         "search_error_patterns: connection reset, broken pipe, unexpected EOF"),
        ("drain the bad node (rolling restart or scale out onto other nodes)",
         "check the NIC / link with the network team"),
        ("do not retry harder: it amplifies the loss",),
        ("packet", "loss", "retransmit", "reset", "broken pipe"),
    ),
    Runbook(
        "disk_full",
        ("volume usage climbing to 100%", "write failures: No space left on device"),
        ("query_metrics disk_usage_percent", "search_error_patterns: ENOSPC / No space left"),
        ("free space: rotate or shorten log retention", "expand the volume",
         "restart only after space is freed"),
        ("do not delete data files by hand",),
        ("disk", "space", "enospc", "volume", "storage"),
    ),
    Runbook(
        "config_error",
        ("errors start right after a config change", "invalid value / parse errors", "fast failures"),
        ("get_recent_deployments: config changes just before the onset (key, old, new value)",
         "search_error_patterns: configuration errors"),
        ("revert the changed key to its previous value", "roll back the config release"),
        ("do not restart: the bad value is re-read on start",),
        ("config", "configuration", "setting", "invalid value", "flag"),
    ),
    Runbook(
        "credential_failure",
        ("401/403 or 'password authentication failed'", "errors without latency", "one client rejected"),
        ("search_error_patterns: authentication failures and who logs them",
         "check recent secret rotations for the service"),
        ("point the service at the current credentials (update the secret reference)",
         "re-issue the expired certificate"),
        ("do not disable authentication",),
        ("credential", "auth", "password", "401", "403", "certificate", "token"),
    ),
    Runbook(
        "dns_failure",
        ("UnknownHost / EAI_AGAIN / no such host", "calls fail before connecting"),
        ("search_error_patterns: name resolution errors and which host names fail",
         "is it one client failing for every host (its resolver) or every client failing for one host "
         "(that host's record)?"),
        ("fix the resolver configuration of the failing client", "restore the missing DNS record",
         "restart to pick up the corrected resolver settings"),
        ("do not hard-code IP addresses",),
        ("dns", "resolve", "resolution", "unknownhost", "nxdomain", "eai_again"),
    ),
    Runbook(
        "crash_loop",
        ("restarts climbing", "CrashLoopBackOff", "replicas not ready", "FATAL errors at start-up"),
        ("query_metrics restarts_total and replicas_ready", "search_error_patterns: FATAL / panic at start-up",
         "get_recent_deployments: a release or config change before the first crash?"),
        ("roll back the change that broke start-up", "fix the missing configuration or dependency, then restart"),
        ("do not delete the pods repeatedly",),
        ("crash", "crashloop", "backoff", "restart", "panic", "fatal"),
    ),
    Runbook(
        "traffic_surge",
        ("request rate jumps at an entry point first", "CPU and latency up downstream", "429/503 shedding"),
        ("query_metrics request_rate along the call path: where did it rise first?",
         "is the traffic legitimate (campaign) or abusive (one client)?"),
        ("scale out the entry point and the saturated services", "rate-limit abusive clients"),
        ("do not roll back: nothing changed in the code",),
        ("traffic", "surge", "spike", "load", "rate limit", "429"),
    ),
)}


def find(fault_type: str | None, symptom: str | None) -> list[Runbook]:
    if fault_type:
        key = fault_type.strip().lower().replace("-", "_").replace(" ", "_")
        return [RUNBOOKS[key]] if key in RUNBOOKS else []
    words = (symptom or "").lower()
    scored = []
    for r in RUNBOOKS.values():
        hits = sum(1 for k in r.keywords if k in words)
        if hits:
            scored.append((hits, r.fault_type, r))
    return [r for _, _, r in sorted(scored, key=lambda x: (-x[0], x[1]))][:3]
