"""Telemetry backends behind the tools: the simulator (default), exported files, live systems.

A backend serves a `TelemetryBackend` (itself, or the `store` of the incident it has loaded) and
may be started with a `prepare` callback, which analyses telemetry before or while it is served.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

# The variables `config.load` reads: without any of them (or --config), nothing is configured.
_STACK_VARIABLES = ("AIOPS_CONFIG", "AIOPS_SERVICE_LABEL", "AIOPS_KUBECONFIG", "AIOPS_KUBERNETES_",
                    "AIOPS_PROMETHEUS_", "AIOPS_ALERTMANAGER_", "AIOPS_LOKI_", "AIOPS_TEMPO_", "AIOPS_JAEGER_")


def select(config_file: str | None):
    """The live backend when a stack is configured (`--config FILE`, `AIOPS_CONFIG` or the
    `AIOPS_*` variables), or None. ValueError (naming the key) for an invalid configuration."""
    if not config_file and not any(name.startswith(_STACK_VARIABLES) for name in os.environ):
        return None
    from .config import ConfigError, load

    try:
        config = load(config_file)
    except ConfigError as exc:
        raise ValueError(f"configuration error: {exc}") from None
    if config is None:
        return None
    from .live import LiveBackend

    return LiveBackend(config)


def in_background(work: Callable[..., object], *args: object) -> None:
    """Run `work(*args)` on a daemon thread. A failure is left for the calls that need the
    result to meet and report."""

    def run() -> None:
        try:
            work(*args)
        except Exception:
            pass

    threading.Thread(target=run, daemon=True, name=getattr(work, "__name__", "background")).start()
