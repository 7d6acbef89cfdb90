"""How a fault that ends inside the window ends: the change that ended it, in the change
history like any other, or nothing at all when it healed by itself.

The fault's own effects stop at its end (faults.py); what is left here is the trace of the
fix: a rollback, a rolling restart, more replicas, a corrected setting.
"""

from __future__ import annotations

from . import operations
from .faults import FaultContext
from .state import Event

# The setting an operator changes to fix a fault by configuration, and which way (a faulty
# config change is reverted instead).
FIX_SETTINGS = {
    "memory_leak": ("HEAP_LIMIT_MB", "up"),
    "connection_pool_exhaustion": ("DB_POOL_MAX_SIZE", "up"),
    "network_latency": ("UPSTREAM_TIMEOUT_MS", "up"),
    "disk_full": ("LOG_RETENTION_DAYS", "down"),
    "credential_failure": ("CREDENTIALS_SECRET_VERSION", "up"),
    "dns_failure": ("DNS_NAMESERVER", "other"),
    "crash_loop": ("FEATURE_FLAGS_URL", "other"),
    "traffic_surge": ("RATE_LIMIT_RPS", "down"),
}


def recover(c: FaultContext) -> None:
    if c.recovery is None:
        return
    tl, i = c.tl, c.i
    when = tl.time(c.i1) + c.rng.uniform(-20.0, 0.0)  # the fix comes just before the symptoms fade
    if c.recovery == "rollback":
        operations.rollback(tl, i, when)
    elif c.recovery == "restart":
        operations.rolling_restart(tl, i, when)
    elif c.recovery == "scale":
        operations.scale_out(tl, i, when, extra=max(1, c.prof.replicas))
    elif c.recovery == "config_change":
        faulty = next((ev for ev in c.changes if ev.kind == "config_change"), None)
        if faulty is not None:
            operations.config_change(tl, i, when, faulty.detail["key"], revert_of=faulty)
        else:
            key, towards = FIX_SETTINGS[c.fault.type]
            operations.config_change(tl, i, when, key, towards=towards)
    elif c.fault.type == "disk_full":  # healed by itself: a retention job freed the volume
        tl.events.append(Event(when, i, "disk_cleanup", {}))
