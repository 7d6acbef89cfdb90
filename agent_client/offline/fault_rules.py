"""Which fault type an evidence pattern points to.

Each fault type weighs the evidence flags it is known for (positive) and the ones that argue
against it (negative); the best total wins, ties going to the earlier entry. The flags are the
ones `correlate_signals` reports per candidate (metric movements, log categories, changes,
reachability), so this is a reading of the server's evidence, not knowledge of any scenario.
"""

from __future__ import annotations

WEIGHTS: dict[str, dict[str, float]] = {
    "traffic_surge": {"traffic_surge_origin": 6.0},
    "network_partition": {"telemetry_missing": 4.0, "unreachable_by_callers": 3.0, "cannot_reach_dependencies": 3.0,
                           "instances_unreachable": 1.5, "restarts": -3.0, "log_crash": -3.0,
                           "unresolvable_by_callers": -3.0},
    "crash_loop": {"log_crash": 3.5, "restarts": 2.0, "replicas_not_ready": 1.5, "refused_by_callers": 1.5,
                   "memory_growth": -2.5, "log_memory": -2.5},
    "memory_leak": {"memory_growth": 4.0, "log_memory": 3.0, "gc_pressure": 1.5, "restarts": 0.5},
    "disk_full": {"disk_filling": 4.0, "log_disk": 4.0},
    "connection_pool_exhaustion": {"log_connection_pool": 4.0, "pool_wait_up": 1.0},
    "packet_loss": {"tcp_retransmits_up": 4.0, "log_connection_reset": 2.0},
    # A starved CPU slows every call a service makes or answers: slower calls are no sign of
    # the network then.
    "network_latency": {"network_rtt_up": 4.0, "call_gap_up": 4.0, "cpu_saturation": -2.0},
    "dns_failure": {"unresolvable_by_callers": 4.0, "cannot_resolve_dependencies": 4.0, "log_dns": 3.0},
    "credential_failure": {"rejects_callers": 4.0, "credentials_rejected": 4.0, "log_auth": 3.0},
    # A broken change shows within minutes: one a quarter of an hour before is as likely routine,
    # and weighs less than what the failure itself shows (its network, its logins).
    "config_error": {"config_change_before_onset": 4.5, "log_config": 2.5, "change_well_before_onset": -1.5},
    "bad_deployment": {"deploy_before_onset": 4.5, "new_error_patterns": 1.0, "log_code_exception": 1.5,
                       "change_well_before_onset": -1.5},
    "cpu_saturation": {"cpu_saturation": 3.0, "log_overload": 1.0},
}
MIN_SCORE = 1.0


def classify(signals: set[str]) -> tuple[str, float, list[str]]:
    """(fault type, score, the flags that decided it). 'unknown' when nothing fits."""
    best, best_score, best_flags = "unknown", 0.0, []
    for fault, weights in WEIGHTS.items():
        score = sum(w for flag, w in weights.items() if flag in signals)
        if score > best_score:
            best, best_score = fault, score
            best_flags = [f for f, w in weights.items() if f in signals and w > 0]
    if best_score < MIN_SCORE:
        return "unknown", best_score, []
    return best, best_score, best_flags
