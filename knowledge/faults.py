"""The fault catalogue."""

from __future__ import annotations

from dataclasses import dataclass

# What a remediation proposal can do; nothing else is ever proposed.
REMEDIATION_KINDS: tuple[str, ...] = ("rollback", "scale", "config_change", "restart")

# A root-cause candidate scoring below this (0-1) is background noise: no incident.
INCIDENT_THRESHOLD = 0.25


@dataclass(frozen=True, slots=True)
class Fault:
    name: str
    title: str
    # Remediation kinds that fit, best first. A rollback fits only where a release of the
    # service preceded the failure.
    actions: tuple[str, ...]


FAULTS: dict[str, Fault] = {f.name: f for f in (
    Fault("memory_leak", "Memory leak / OOM kills", ("rollback", "restart", "scale", "config_change")),
    Fault("cpu_saturation", "CPU saturation", ("scale", "restart")),
    Fault("bad_deployment", "Bad deployment / release regression", ("rollback",)),
    Fault("connection_pool_exhaustion", "Connection pool exhaustion", ("config_change", "scale", "restart")),
    Fault("network_partition", "Network partition / service unreachable", ("restart", "scale")),
    Fault("network_latency", "Network latency", ("restart", "scale", "config_change")),
    Fault("packet_loss", "Packet loss", ("restart", "scale")),
    Fault("disk_full", "Disk full", ("config_change", "restart")),
    Fault("config_error", "Configuration error", ("config_change", "rollback")),
    Fault("credential_failure", "Credential / authentication failure", ("config_change", "restart")),
    Fault("dns_failure", "DNS resolution failure", ("config_change", "restart")),
    Fault("crash_loop", "Crash loop", ("rollback", "restart", "config_change")),
    Fault("traffic_surge", "Traffic surge", ("scale", "config_change")),
)}
FAULT_TYPES: tuple[str, ...] = tuple(FAULTS)
