"""Merge what happened into one chronological incident timeline, keeping the most telling
events when there are too many."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Event:
    time: float
    kind: str  # change | alert | anomaly | silence | log | proposal | recovery
    service: str | None
    text: str
    priority: int  # lower is more important


def build(events: list[Event], limit: int) -> tuple[list[Event], int]:
    """Keep the `limit` most important events (ties: earliest), returned in time order."""
    unique = list({(e.time, e.kind, e.service, e.text): e for e in events}.values())
    kept = sorted(unique, key=lambda e: (e.priority, e.time))[:limit]
    return sorted(kept, key=lambda e: (e.time, e.priority)), len(unique)
