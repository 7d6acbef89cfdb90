"""Telemetry backends behind the tools: the simulator (default), exported files, live systems.

A backend serves a `TelemetryBackend` (itself, or the `store` of the incident it has loaded) and
may be started with a `prepare` callback, which analyses telemetry before or while it is served.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


def in_background(work: Callable[..., object], *args: object) -> None:
    """Run `work(*args)` on a daemon thread. A failure is left for the calls that need the
    result to meet and report."""

    def run() -> None:
        try:
            work(*args)
        except Exception:
            pass

    threading.Thread(target=run, daemon=True, name=getattr(work, "__name__", "background")).start()
