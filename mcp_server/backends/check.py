"""`aiops-mcp check`: validate the configuration, then ask every configured system, side by
side, whether it answers and what it holds for its signal. Exit 0 when every configured
system answers, 1 otherwise, 2 on an invalid configuration."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from telemetry.backend import BackendError
from telemetry.timefmt import iso

from .config import SIGNAL_HINTS, ConfigError, load
from .live import LiveBackend


def main(args) -> int:
    try:
        config = load(getattr(args, "config", None))
    except ConfigError as exc:
        print(f"aiops-mcp check: configuration error: {exc}", file=sys.stderr)
        return 2
    if config is None:
        print("aiops-mcp check: no stack configured (set AIOPS_PROMETHEUS_URL, AIOPS_LOKI_URL, ... or give "
              "--config FILE); the server would serve its simulator")
        return 1
    backend = LiveBackend(config)
    try:
        lines, ok = report(backend)
    finally:
        backend.close()
    print("\n".join(lines))
    return 0 if ok else 1


def report(backend: LiveBackend) -> tuple[list[str], bool]:
    """One line per signal, and whether every configured system answered."""
    probes: dict[str, Callable[[], str]] = {
        "metrics": lambda: _metrics(backend), "alerts": lambda: _alerts(backend), "logs": lambda: _logs(backend),
        "traces": lambda: _traces(backend), "changes": lambda: _changes(backend)}
    signals = backend.config.signals()
    found = backend.gather({signal: _timed(probe) for signal, probe in probes.items() if signals[signal]})
    lines, ok = [], True
    for signal, system in signals.items():
        if system is None:
            lines.append(f"{signal:8} --    not configured (set {SIGNAL_HINTS[signal]})")
            continue
        result = found[signal]
        if isinstance(result, BackendError):
            ok = False
            lines.append(f"{signal:8} FAIL  {result}")
        else:
            lines.append(f"{signal:8} ok    {system} {backend.config.url_of(system)}: {result}")
    return lines, ok


def _timed(probe: Callable[[], str]) -> Callable[[], str]:
    def run() -> str:
        began = time.perf_counter()
        text = probe()
        return f"{text} [{(time.perf_counter() - began) * 1000:.0f} ms]"
    return run


def _names(values, limit: int = 6) -> str:
    values = sorted(values)
    shown = ", ".join(values[:limit])
    return shown + (f", ... ({len(values)} in all)" if len(values) > limit else "")


def _metrics(backend: LiveBackend) -> str:
    prom = backend.prometheus
    now = time.time()
    history = backend.config.history
    version = prom.buildinfo().get("version", "?")
    services = prom.services(now - history, now)
    text = f"version {version}; {len(services)} services by label {prom.service_label!r}"
    if not services:
        labels = [name for name in prom.labels(now - 3600, now) if not name.startswith("__")]
        text += f" (labels seen in the last hour: {_names(labels)}; set service_label)"
    templates = prom.detect_templates(now - history, now)
    text += f"; {len(templates)} metrics answered ({_names(templates)})" if templates else \
        "; no metric template finds its series (see presets in docs/backends.md)"
    found = prom.data_range(history)
    heartbeats = len(prom.series([prom.config.heartbeat], now - 3600, now))
    text += f"; {heartbeats} {prom.config.heartbeat!r} series in the last hour"
    text += f"; data {iso(found[0])} to {iso(found[1])}" if found else \
        f"; no {prom.config.heartbeat!r} samples in the history window"
    return text


def _alerts(backend: LiveBackend) -> str:
    parts = []
    if backend.alertmanager:
        am = backend.alertmanager
        version = (am.status().get("versionInfo") or {}).get("version", "?")
        firing = am.firing(backend.config.service_label)
        silences = [s for s in am.silences() if (s.get("status") or {}).get("state") == "active"]
        parts.append(f"version {version}; {len(firing)} alerts firing, {len(silences)} active silences")
    if backend.prometheus:
        groups = backend.prometheus.rule_groups()
        rules = sum(1 for g in groups for r in g["rules"] if r.get("type") == "alerting")
        parts.append(f"{rules} alerting rules in Prometheus")
    return "; ".join(parts)


def _logs(backend: LiveBackend) -> str:
    loki = backend.loki
    now = time.time()
    services = loki.services(now - 3600, now)
    text = f"{len(services)} services by label {loki.config.service_label!r} in the last hour"
    if services:
        text += f", {len(loki.series(loki.selector(None), now - 3600, now))} streams"
    else:
        text += f" (labels: {_names(loki.labels(now - 3600, now))}; set [loki] service_label)"
    return text


def _traces(backend: LiveBackend) -> str:
    services = (backend.tempo or backend.jaeger).services()
    text = f"{len(services)} services ({_names(services)})"
    if backend.jaeger and services:
        text += f"; {len(backend.jaeger.operations(services[0]))} operations of {services[0]}"
    return text


def _changes(backend: LiveBackend) -> str:
    kube = backend.kubernetes
    version = kube.version().get("gitVersion", "?")
    replicas = kube.replicas()
    where = ", ".join(kube.config.namespaces) or "every namespace"
    return f"version {version}; {len(replicas)} deployments in {where} ({kube.config.source})"
