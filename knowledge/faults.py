"""The fault catalogue."""

from __future__ import annotations

from dataclasses import dataclass

# What a remediation proposal can do (nothing else is ever proposed), and the MCP tool that
# records each kind of proposal.
PROPOSAL_TOOLS: dict[str, str] = {"rollback": "propose_rollback", "scale": "propose_scaling_action",
                                  "config_change": "propose_config_change", "restart": "propose_restart"}
REMEDIATION_KINDS: tuple[str, ...] = tuple(PROPOSAL_TOOLS)

# Change records that can break a service; the others in a change history (rollback, restart,
# scale) are remediations, and mark a recovery rather than a cause.
BREAKING_CHANGES = frozenset({"deployment", "config"})

# A root-cause candidate scoring below this (0-1) is background noise: no incident.
INCIDENT_THRESHOLD = 0.25

# A change up to this long before a failure's onset is a suspect (seconds); a broken change shows
# within minutes, so one further back than CHANGE_SOON is a weaker one, a routine change as likely.
CHANGE_LOOKBACK = 20 * 60.0
CHANGE_SOON = 5 * 60.0


@dataclass(frozen=True, slots=True)
class Fault:
    name: str
    title: str
    actions: tuple[str, ...]  # remediation kinds that fit, best first
    # A rollback fits only if a release of the service came just before the failure (a leak
    # can be old code); for the other faults listing it, the fault itself is the change.
    rollback_needs_release: bool = False
    # It can end with nobody doing anything: the network heals, the extra traffic goes, a
    # retention job frees the disk. A bad release or a broken setting stays until changed.
    heals_by_itself: bool = False


FAULTS: dict[str, Fault] = {f.name: f for f in (
    Fault("memory_leak", "Memory leak / OOM kills", ("rollback", "restart", "scale", "config_change"),
          rollback_needs_release=True),
    Fault("cpu_saturation", "CPU saturation", ("scale", "restart"), heals_by_itself=True),
    Fault("bad_deployment", "Bad deployment / release regression", ("rollback",)),
    Fault("connection_pool_exhaustion", "Connection pool exhaustion", ("config_change", "scale", "restart"),
          heals_by_itself=True),
    Fault("network_partition", "Network partition / service unreachable", ("restart", "scale"), heals_by_itself=True),
    Fault("network_latency", "Network latency", ("restart", "scale", "config_change"), heals_by_itself=True),
    Fault("packet_loss", "Packet loss", ("restart", "scale"), heals_by_itself=True),
    Fault("disk_full", "Disk full", ("config_change", "restart"), heals_by_itself=True),
    Fault("config_error", "Configuration error", ("config_change", "rollback")),
    Fault("credential_failure", "Credential / authentication failure", ("config_change", "restart")),
    Fault("dns_failure", "DNS resolution failure", ("config_change", "restart"), heals_by_itself=True),
    Fault("crash_loop", "Crash loop", ("rollback", "restart", "config_change")),
    Fault("traffic_surge", "Traffic surge", ("scale", "config_change"), heals_by_itself=True),
)}
FAULT_TYPES: tuple[str, ...] = tuple(FAULTS)
