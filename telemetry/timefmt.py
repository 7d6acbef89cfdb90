"""ISO-8601 rendering and parsing for epoch-second timestamps (always UTC, `Z` suffix)."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(ts: float) -> str:
    """`2026-11-26T12:00:00Z`, to the second: what people and models read."""
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(ts: float) -> str:
    """`2026-11-26T12:00:00.123Z`; milliseconds only when present (exports keep them)."""
    dt = datetime.fromtimestamp(ts, UTC)
    if dt.microsecond:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> float:
    """Parse an ISO-8601 timestamp; naive times are taken as UTC. Fractions finer than a
    microsecond (RFC 3339 with nanoseconds, as Go writes it) are cut. Raises ValueError."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    if "." in value:
        head, _, tail = value.partition(".")
        digits = len(tail) - len(tail.lstrip("0123456789"))
        if digits > 6:
            value = f"{head}.{tail[:6]}{tail[digits:]}"
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()
