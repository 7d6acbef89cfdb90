"""Runtime settings services change through the config repo: one catalogue for routine changes,
harmless decoys and the changes that break a service, so that the key and the shape of the
values never tell which is which. What breaks a service is how it reacts to the new value.
"""

from __future__ import annotations

import random

from . import rng as rngmod
from .state import Timeline

# key -> values services run with (all well formed, smallest first where they are ordered),
# and what a service says when it cannot work with the new one
SETTINGS: dict[str, tuple[tuple[str, ...], str]] = {
    "UPSTREAM_TIMEOUT_MS": (("800", "1500", "2000", "3000", "5000"), "outside the range this client accepts"),
    "DB_POOL_MAX_SIZE": (("8", "20", "30", "40", "64"), "rejected by the connection pool"),
    "RETRY_POLICY": (("exponential", "exponential-jitter", "linear", "none"), "not supported by this build"),
    "TLS_MIN_VERSION": (("1.2", "1.3"), "not accepted by peers"),
    "CACHE_TTL": (("30s", "120s", "300s", "600s"), "below the minimum the cache client allows"),
    "LOG_LEVEL": (("info", "debug", "warn"), "unknown to the logging backend"),
    "HTTP_KEEPALIVE_SECONDS": (("30", "60", "75", "90"), "longer than the load balancer's idle timeout"),
    "METRICS_PUSH_INTERVAL": (("10s", "15s", "30s"), "not a multiple of the scrape interval"),
    "FEATURE_NEW_SEARCH_RANKING": (("false", "true"), "requires a schema this build does not have"),
    "FEATURE_FLAGS_URL": (("http://flags.internal:8080", "http://flags-v2.internal:8080"),
                          "host did not answer at startup"),
    "MAX_REQUEST_BODY_KB": (("256", "512", "1024"), "exceeds the proxy's limit"),
    "WORKER_THREADS": (("8", "16", "32"), "more than the container's CPU quota allows"),
    "HEAP_LIMIT_MB": (("512", "768", "1024", "2048"), "above the container's memory limit"),
    "LOG_RETENTION_DAYS": (("2", "3", "7", "14"), "longer than the volume can hold"),
    "CREDENTIALS_SECRET_VERSION": (("v3", "v4", "v5", "v6", "v7"), "secret version not found"),
    "DNS_NAMESERVER": (("10.96.0.10", "10.96.0.11"), "nameserver did not answer"),
    "RATE_LIMIT_RPS": (("200", "500", "1000", "2000"), "below the current traffic"),
}
KEYS: tuple[str, ...] = tuple(SETTINGS)


def pick_key(rng: random.Random) -> str:
    return rngmod.pick(rng, KEYS)


def complaint(key: str) -> str:
    return SETTINGS[key][1]


def assign_values(tl: Timeline, seed: int) -> None:
    """Give every config change its old and new value, in time order per service and key: a
    change starts from the value the previous one left, and a revert restores it."""
    current: dict[tuple[int, str], str] = {}
    for ev in sorted((e for e in tl.events if e.kind == "config_change"), key=lambda e: (e.time, e.service)):
        key = ev.detail["key"]
        slot = (ev.service, key)
        values = SETTINGS[key][0]
        if slot not in current:
            current[slot] = rngmod.pick(rngmod.child(seed, "setting", tl.profiles[ev.service].name, key), values)
        old = current[slot]
        reverted = ev.detail.get("revert_of")
        if reverted is not None:
            new = reverted.detail["old"]
        else:
            r = rngmod.child(seed, "setting-change", ev.service, key, round(ev.time, 3))
            new = rngmod.pick(r, _choices(values, old, ev.detail.get("towards")))
        ev.detail["old"], ev.detail["new"] = old, new
        current[slot] = new


def _choices(values: tuple[str, ...], old: str, towards: str | None) -> list[str]:
    position = values.index(old)
    ahead = {"up": values[position + 1:], "down": values[:position]}.get(towards or "", ())
    return list(ahead) or [v for v in values if v != old]
