"""Telemetry backends behind the tools. The simulator is the default; real systems plug in
through the same `TelemetryBackend` protocol (`live.LiveBackend`, configured by `config`)."""

from __future__ import annotations

import os
import sys

# The variables `config.load` reads: without any of them (or --config), nothing is configured.
_STACK_VARIABLES = ("AIOPS_CONFIG", "AIOPS_SERVICE_LABEL", "AIOPS_KUBECONFIG", "AIOPS_KUBERNETES_",
                    "AIOPS_PROMETHEUS_", "AIOPS_ALERTMANAGER_", "AIOPS_LOKI_", "AIOPS_TEMPO_", "AIOPS_JAEGER_")


def select(args):
    """The live backend when a stack is configured (`--config FILE`, `AIOPS_CONFIG` or the
    `AIOPS_*` variables), or None: the simulator serves. Says on stderr, in one line, what
    answers each signal and what is missing; exits 2 on an invalid configuration."""
    if not getattr(args, "config", None) and not any(name.startswith(_STACK_VARIABLES) for name in os.environ):
        return None  # the common case costs the simulator's start-up nothing
    from .config import ConfigError, load

    try:
        config = load(getattr(args, "config", None))
    except ConfigError as exc:
        print(f"aiops-mcp: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    if config is None:
        return None
    if getattr(args, "scenario", None) or getattr(args, "scenario_file", None):
        print("aiops-mcp: --scenario and --scenario-file are for the simulator, but a live stack is configured",
              file=sys.stderr)
        raise SystemExit(2)
    print(f"aiops-mcp: live stack: {config.describe()}", file=sys.stderr)
    from .live import LiveBackend

    return LiveBackend(config)
