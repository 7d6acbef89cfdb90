"""Configuration of a live observability stack: environment variables for the common case,
a TOML file (`aiops-mcp --config FILE`, or `AIOPS_CONFIG`) for the rest. Environment variables
win over the file. Nothing configured at all: the server runs its simulator.

Every mistake is a `ConfigError` whose message starts with the key (or variable) at fault.
Secrets (tokens, passwords) never appear in messages or reprs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from .http import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT, Endpoint
from .presets import AUTO, METRIC_UNITS, PRESETS, MetricTemplate, check_template

HTTP_SYSTEMS = {"prometheus": "Prometheus", "alertmanager": "Alertmanager", "loki": "Loki", "tempo": "Tempo",
                "jaeger": "Jaeger"}
SIGNAL_HINTS = {"metrics": "AIOPS_PROMETHEUS_URL", "alerts": "AIOPS_ALERTMANAGER_URL or AIOPS_PROMETHEUS_URL",
                "logs": "AIOPS_LOKI_URL", "traces": "AIOPS_TEMPO_URL or AIOPS_JAEGER_URL",
                "changes": "AIOPS_KUBECONFIG"}
_AUTH_SUFFIXES = {"URL": "url", "TOKEN": "token", "TOKEN_FILE": "token_file", "USERNAME": "username",
                  "PASSWORD": "password", "PASSWORD_FILE": "password_file"}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ConfigError(ValueError):
    """An invalid configuration; the message names the key."""


@dataclass(frozen=True)
class PrometheusConfig:
    endpoint: Endpoint
    step: float = 15.0
    rate_window: str = "5m"
    presets: tuple[str, ...] = (AUTO,)
    selector: str = ""  # extra label matchers for every metric, e.g. 'cluster="eu-1"'
    heartbeat: str = "up"  # a selector whose samples say when there is data
    max_points: int = 2000  # per series and query
    max_samples: int = 30_000  # per answer of a query for every service
    service_graph: bool = True
    metrics: dict[str, MetricTemplate] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LokiConfig:
    endpoint: Endpoint
    service_label: str
    level_label: str = "level"
    trace_id_label: str = "trace_id"
    selector: str = ""  # extra stream matchers, e.g. 'namespace="prod"'


@dataclass(frozen=True)
class TempoConfig:
    endpoint: Endpoint
    most_recent: bool = True  # the `with (most_recent=true)` hint (Tempo 2.6 and later)
    max_trace_fetches: int = 8


@dataclass(frozen=True)
class KubernetesConfig:
    endpoint: Endpoint
    namespaces: tuple[str, ...] = ()  # empty: every namespace
    service_label: str | None = None  # pod-template label naming the service; None: the Deployment's name
    source: str = ""  # kubeconfig path and context, or "in-cluster"


@dataclass(frozen=True)
class LiveConfig:
    service_label: str = "service"
    history: float = 7 * 86400.0  # how far back time_range() looks for the first sample
    cache_seconds: float = 15.0
    max_log_lines: int = 5000
    max_traces: int = 20
    # How far back the same system was working normally, to compare a window with (say "1d":
    # the same hours yesterday); None: no reference.
    reference_offset: float | None = None
    depends_on: dict[str, tuple[str, ...]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    prometheus: PrometheusConfig | None = None
    alertmanager: Endpoint | None = None
    loki: LokiConfig | None = None
    tempo: TempoConfig | None = None
    jaeger: Endpoint | None = None
    kubernetes: KubernetesConfig | None = None

    def signals(self) -> dict[str, str | None]:
        """Which system answers each signal, None where none is configured."""
        return {
            "metrics": "Prometheus" if self.prometheus else None,
            "alerts": "Alertmanager" if self.alertmanager else "Prometheus" if self.prometheus else None,
            "logs": "Loki" if self.loki else None,
            "traces": "Tempo" if self.tempo else "Jaeger" if self.jaeger else None,
            "changes": "Kubernetes" if self.kubernetes else None,
        }

    def url_of(self, system: str) -> str:
        ep = {"Prometheus": self.prometheus and self.prometheus.endpoint, "Alertmanager": self.alertmanager,
              "Loki": self.loki and self.loki.endpoint, "Tempo": self.tempo and self.tempo.endpoint,
              "Jaeger": self.jaeger, "Kubernetes": self.kubernetes and self.kubernetes.endpoint}[system]
        return ep.url if ep else ""

    def describe(self) -> str:
        """One line: what answers each signal, and what is missing."""
        parts = []
        for signal, system in self.signals().items():
            if system is None:
                parts.append(f"{signal}: not configured (set {SIGNAL_HINTS[signal]})")
            else:
                parts.append(f"{signal}: {system} {self.url_of(system)}")
        return "; ".join(parts)


def load(config_file: str | None = None, environ: Mapping[str, str] | None = None) -> LiveConfig | None:
    """The live configuration, or None when nothing is configured (the simulator serves)."""
    environ = os.environ if environ is None else environ
    path = config_file or environ.get("AIOPS_CONFIG") or None
    doc: dict[str, Any] = _read_toml(path) if path else {}
    origins: dict[str, str] = {}
    _apply_environment(doc, environ, origins)
    configured = [name for name in (*HTTP_SYSTEMS, "kubernetes") if isinstance(doc.get(name), dict)]
    if not configured:
        if path:
            raise ConfigError(f"{path}: no backend configured (give [prometheus] url, [loki] url, ... or set "
                              "AIOPS_PROMETHEUS_URL, AIOPS_LOKI_URL, ...)")
        return None
    return _parse(_Section(doc, "", origins))


def _read_toml(path: str) -> dict:
    import tomllib  # here, not at the top: a server without --config never reads TOML

    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"--config: cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def _apply_environment(doc: dict, environ: Mapping[str, str], origins: dict[str, str]) -> None:
    def put(section: str | None, key: str, value: Any, var: str) -> None:
        target = doc if section is None else doc.setdefault(section, {})
        if not isinstance(target, dict):
            raise ConfigError(f"{section}: must be a table")
        target[key] = value
        origins[f"{section}.{key}" if section else key] = var

    def get(var: str) -> str | None:
        value = environ.get(var, "").strip()
        return value or None

    if (value := get("AIOPS_SERVICE_LABEL")) is not None:
        put(None, "service_label", value, "AIOPS_SERVICE_LABEL")
    if (value := get("AIOPS_REFERENCE_OFFSET")) is not None:
        put(None, "reference_offset", value, "AIOPS_REFERENCE_OFFSET")
    for system in HTTP_SYSTEMS:
        for suffix, key in _AUTH_SUFFIXES.items():
            var = f"AIOPS_{system.upper()}_{suffix}"
            if (value := get(var)) is not None:
                put(system, key, value, var)
    if (value := get("AIOPS_KUBECONFIG")) is not None:
        if value == "in-cluster":
            put("kubernetes", "in_cluster", True, "AIOPS_KUBECONFIG")
        else:
            put("kubernetes", "kubeconfig", value, "AIOPS_KUBECONFIG")
    if (value := get("AIOPS_KUBERNETES_CONTEXT")) is not None:
        put("kubernetes", "context", value, "AIOPS_KUBERNETES_CONTEXT")
    if (value := get("AIOPS_KUBERNETES_NAMESPACES")) is not None:
        put("kubernetes", "namespaces", [n.strip() for n in value.split(",") if n.strip()],
            "AIOPS_KUBERNETES_NAMESPACES")


class _Section:
    """One TOML table being read: typed getters, and unknown keys reported by name."""

    def __init__(self, data: dict, path: str, origins: dict[str, str]) -> None:
        self.data, self.path, self.origins = data, path, origins
        self.used: set[str] = set()

    def name(self, key: str) -> str:
        full = f"{self.path}.{key}" if self.path else key
        return self.origins.get(full, full)

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.name(key)}: {message}")

    def raw(self, key: str, default: Any = None) -> Any:
        self.used.add(key)
        return self.data.get(key, default)

    def sub(self, key: str) -> _Section | None:
        value = self.raw(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table")
        return _Section(value, f"{self.path}.{key}" if self.path else key, self.origins)

    def string(self, key: str, default: str | None = None) -> str | None:
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty string")
        return value.strip()

    def label(self, key: str, default: str | None = None) -> str | None:
        value = self.string(key, default)
        if value is not None and not _LABEL_NAME.match(value):
            raise self.fail(key, f"{value!r} is not a label name (letters, digits, underscores)")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key, default)
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "false", "0", "no"):
            value = value.lower() in ("true", "1", "yes")
        if not isinstance(value, bool):
            raise self.fail(key, "must be true or false")
        return value

    def number(self, key: str, default: float, *, integer: bool = False, minimum: float = 0.0) -> Any:
        value = self.raw(key, default)
        ok = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok or value <= minimum:
            kind = "an integer" if integer else "a number"
            raise self.fail(key, f"must be {kind} above {minimum:g} (got {value!r})")
        return value

    def duration(self, key: str, default: float) -> float:
        value = self.raw(key, default)
        if isinstance(value, str) and (m := _DURATION.match(value.strip())):
            value = float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise self.fail(key, f"must be a duration like \"15s\", \"5m\", \"7d\" or seconds (got {value!r})")
        return float(value)

    def strings(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self.raw(key, list(default))
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(key, "must be a list of strings")
        return tuple(v.strip() for v in value)

    def table_of_strings(self, key: str) -> dict[str, str]:
        value = self.raw(key, {})
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise self.fail(key, "must be a table of strings")
        return dict(value)

    def file(self, key: str) -> str | None:
        value = self.string(key)
        if value is None:
            return None
        path = os.path.expanduser(value)
        if not os.path.isfile(path):
            raise self.fail(key, f"no such file: {value}")
        return path

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            known = ", ".join(sorted(self.used)) or "none"
            raise self.fail(unknown[0], f"unknown key (known here: {known})")


def _parse(top: _Section) -> LiveConfig:
    timeout = top.duration("timeout_seconds", DEFAULT_TIMEOUT)
    service_label = top.label("service_label", "service")
    history = top.duration("history", 7 * 86400.0)
    cache_seconds = top.duration("cache_seconds", 15.0)
    max_log_lines = top.number("max_log_lines", 5000, integer=True)
    max_traces = top.number("max_traces", 20, integer=True)
    reference_offset = top.duration("reference_offset", 0.0) if "reference_offset" in top.data else None
    depends_on, kinds = _topology(top.sub("topology"))

    systems: dict[str, Any] = {}
    for system, title in HTTP_SYSTEMS.items():
        section = top.sub(system)
        if section is None:
            continue
        endpoint = _endpoint(section, title, timeout)
        if system == "prometheus":
            systems[system] = _prometheus(section, endpoint)
        elif system == "loki":
            systems[system] = LokiConfig(
                endpoint, service_label=section.label("service_label", service_label),
                level_label=section.label("level_label", "level"),
                trace_id_label=section.label("trace_id_label", "trace_id"),
                selector=section.string("selector", ""))
        elif system == "tempo":
            systems[system] = TempoConfig(endpoint, most_recent=section.boolean("most_recent", True),
                                          max_trace_fetches=section.number("max_trace_fetches", 8, integer=True))
        else:
            systems[system] = endpoint
        section.done()
    if "tempo" in systems and "jaeger" in systems:
        raise ConfigError(f"{top.name('jaeger.url')}: configure one traces backend, Tempo or Jaeger, not both")
    kube = top.sub("kubernetes")
    if kube is not None:
        systems["kubernetes"] = _kubernetes(kube, timeout)
    top.done()
    return LiveConfig(service_label=service_label, history=history, cache_seconds=cache_seconds,
                      max_log_lines=max_log_lines, max_traces=max_traces, reference_offset=reference_offset,
                      depends_on=depends_on, kinds=kinds, **systems)


def _endpoint(section: _Section, system: str, timeout: float) -> Endpoint:
    url = section.string("url")
    if url is None:
        raise section.fail("url", f"required (the {system} base URL)")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise section.fail("url", f"not an http(s) URL: {url!r}")
    username, password = section.string("username"), section.string("password")
    if parts.username is not None and username is None:  # credentials written into the URL
        username, password = unquote(parts.username), unquote(parts.password or "")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    clean = urlunsplit((parts.scheme, f"{host}:{parts.port}" if parts.port else host, parts.path.rstrip("/"), "", ""))
    if (password_file := section.file("password_file")) is not None:
        password = _read_secret(section, "password_file", password_file)
    token, token_file = section.string("token"), section.file("token_file")
    if token_file is not None:
        _read_secret(section, "token_file", token_file)  # readable now, read again as it rotates
    return Endpoint(
        system=system, url=clean, timeout=section.duration("timeout_seconds", timeout),
        max_bytes=int(section.number("max_response_mb", DEFAULT_MAX_BYTES / 2**20) * 2**20),
        token=token, token_file=token_file, username=username, password=password,
        headers=section.table_of_strings("headers"), ca_file=section.file("ca_file"),
        insecure=section.boolean("insecure_skip_verify", False), cert_file=section.file("cert_file"),
        key_file=section.file("key_file"))


def _read_secret(section: _Section, key: str, path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise section.fail(key, f"cannot read {path}: {exc.strerror or exc}") from None


def _prometheus(section: _Section, endpoint: Endpoint) -> PrometheusConfig:
    presets = section.strings("presets", (AUTO,))
    for name in presets:
        if name != AUTO and name not in PRESETS:
            raise section.fail("presets", f"unknown preset {name!r} (choose from {AUTO}, {', '.join(PRESETS)})")
    metrics: dict[str, MetricTemplate] = {}
    units: dict[str, str] = {}
    table = section.sub("metrics")
    for name in sorted(table.data) if table else ():
        value = table.raw(name)
        if not _LABEL_NAME.match(name):
            raise table.fail(name, "a metric name is letters, digits and underscores")
        entry = _Section(value, f"{table.path}.{name}", table.origins) if isinstance(value, dict) else None
        query = entry.string("query") if entry else value
        if not isinstance(query, str) or not query.strip():
            raise table.fail(name, "must be a PromQL template string or a table with `query`")
        if (problem := check_template(query)) is not None:
            raise table.fail(name, problem)
        label = entry.label("service_label") if entry else None
        if entry:
            if (unit := entry.string("unit")) is not None:
                units[name] = unit
            entry.done()
        metrics[name] = MetricTemplate(query.strip(), label=label)
        units.setdefault(name, METRIC_UNITS.get(name, ""))
    rate_window = section.string("rate_window", "5m")
    if not _DURATION.match(rate_window):
        raise section.fail("rate_window", f"must be a PromQL duration like \"5m\" (got {rate_window!r})")
    return PrometheusConfig(
        endpoint, step=section.duration("step", 15.0), rate_window=rate_window, presets=presets,
        selector=section.string("selector", ""), heartbeat=section.string("heartbeat", "up"),
        max_points=section.number("max_points", 2000, integer=True, minimum=10),
        max_samples=section.number("max_samples", 30_000, integer=True, minimum=100),
        service_graph=section.boolean("service_graph", True), metrics=metrics, units=units)


def _kubernetes(section: _Section, timeout: float) -> KubernetesConfig:
    from . import kubeconfig

    timeout = section.duration("timeout_seconds", timeout)
    max_bytes = int(section.number("max_response_mb", DEFAULT_MAX_BYTES / 2**20) * 2**20)
    in_cluster = section.boolean("in_cluster", False)
    path = section.string("kubeconfig")
    context = section.string("context")
    namespaces = section.strings("namespaces")
    service_label = section.string("service_label")
    section.done()
    try:
        if in_cluster:
            endpoint, namespace, source = *kubeconfig.in_cluster(timeout), "in-cluster"
        elif path is not None:
            endpoint, namespace = kubeconfig.from_file(os.path.expanduser(path), context, timeout)
            source = f"{path}" + (f" (context {context})" if context else "")
        else:
            raise section.fail("kubeconfig", "give a kubeconfig path or in_cluster = true")
    except kubeconfig.KubeconfigError as exc:
        key = "in_cluster" if in_cluster else "kubeconfig"
        raise section.fail(key, str(exc)) from None
    endpoint = replace(endpoint, max_bytes=max_bytes)
    if "*" in namespaces:
        namespaces = ()
    elif not namespaces:
        namespaces = (namespace,)
    return KubernetesConfig(endpoint, namespaces=namespaces, service_label=service_label, source=source)


def _topology(section: _Section | None) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    if section is None:
        return {}, {}
    depends_on: dict[str, tuple[str, ...]] = {}
    edges = section.sub("depends_on")
    if edges is not None:
        for service in edges.data:
            depends_on[service] = edges.strings(service)
    kinds = section.table_of_strings("kinds")
    allowed = ("gateway", "service", "database", "cache", "queue")
    for service, kind in kinds.items():
        if kind not in allowed:
            raise section.fail(f"kinds.{service}", f"{kind!r} is not one of {', '.join(allowed)}")
    section.done()
    return depends_on, kinds
