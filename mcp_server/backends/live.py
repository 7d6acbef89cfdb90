"""`LiveBackend`: the configured systems composed into one `TelemetryBackend`.

A thin, stateless query layer: every call becomes a few bounded queries (a time range, a
step, a limit), answered by the engines themselves. What it keeps is short-lived
(`cache_seconds`): the services, the data's time range, the rules and which templates
answer, asked by nearly every tool call; and a metric's recent answer for all services,
since the analysis asks for it one service at a time.

A signal with no system configured answers empty; a configured system that fails raises
`BackendError` for its own signal only.
"""

from __future__ import annotations

import functools
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from telemetry.backend import BackendError, BackendStatus
from telemetry.records import Alert, Deployment, LogRecord, MetricSeries, ServiceInfo, Span
from telemetry.timefmt import parse_iso

from .alertmanager import Alertmanager, make_alert
from .config import LiveConfig
from .http import HttpClient
from .jaeger import Jaeger
from .kubernetes import Kubernetes
from .loki import Loki
from .presets import METRIC_UNITS
from .prometheus import DEFAULT_EVALUATION_INTERVAL, AlertSamples, Prometheus, Rules, index_rules
from .tempo import Tempo


_TRACE_ID = re.compile(r"[0-9a-fA-F]{1,32}")


class _Memo:
    """Values computed recently, for `ttl` seconds; failures are not remembered. Callers
    asking for a key being computed wait for that computation rather than repeat it."""

    def __init__(self, ttl: float, size: int = 64) -> None:
        self.ttl, self.size = ttl, size
        self._items: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Any, threading.Lock] = {}

    def fresh(self, key: Any) -> bool:
        with self._lock:
            hit = self._items.get(key)
            return hit is not None and hit[0] > time.monotonic()

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0] > time.monotonic():
                return hit[1]
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            with self._lock:
                hit = self._items.get(key)
                if hit is not None and hit[0] > time.monotonic():
                    return hit[1]
            value = compute()
            with self._lock:
                self._items[key] = (time.monotonic() + self.ttl, value)
                self._items.move_to_end(key)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
                self._computing.pop(key, None)
            return value


class LiveBackend:
    name = "live"

    def __init__(self, config: LiveConfig) -> None:
        self.config = config
        label = config.service_label
        self.prometheus = Prometheus(config.prometheus, label) if config.prometheus else None
        self.alertmanager = Alertmanager(config.alertmanager) if config.alertmanager else None
        self.loki = Loki(config.loki) if config.loki else None
        self.tempo = Tempo(config.tempo) if config.tempo else None
        self.jaeger = Jaeger(config.jaeger) if config.jaeger else None
        self.kubernetes = Kubernetes(config.kubernetes) if config.kubernetes else None
        self._memo = _Memo(config.cache_seconds)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def start(self, prepare: Callable[[Any], None] | None = None) -> None:
        """Nothing to do ahead: a live stack's telemetry moves on, and each question is asked
        of it when it comes."""

    def clients(self) -> dict[str, HttpClient]:
        """The HTTP client of each configured system, by signal."""
        systems = {"metrics": self.prometheus, "alerts": self.alertmanager, "logs": self.loki,
                   "traces": self.tempo or self.jaeger, "changes": self.kubernetes}
        return {signal: system.http for signal, system in systems.items() if system is not None}

    def close(self) -> None:
        for client in self.clients().values():
            client.close()
        if self._pool is not None:
            self._pool.shutdown(wait=False)

    def gather(self, tasks: dict[str, Callable[[], Any]]) -> dict[str, Any]:
        """Run independent queries side by side; each answer or its `BackendError`."""
        if len(tasks) <= 1:
            return {key: _attempt(fn) for key, fn in tasks.items()}
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=6, thread_name_prefix="live-backend")
        futures = {key: self._pool.submit(_attempt, fn) for key, fn in tasks.items()}
        return {key: future.result() for key, future in futures.items()}

    # -- services and time --------------------------------------------------------------
    def _discoveries(self) -> dict[str, Callable[[], Any]]:
        """What nearly every call needs first: independent queries, asked side by side."""
        found: dict[str, Callable[[], Any]] = {"services": self._discover_services}
        if self.prometheus:
            now = time.time()
            found["time_range"] = lambda: self.prometheus.data_range(self.config.history)
            found["templates"] = lambda: self.prometheus.detect_templates(now - self.config.history, now)
        return found

    def _discovered(self, key: str) -> Any:
        """One discovery's answer; when it is not at hand, every stale one is asked at once."""
        discoveries = self._discoveries()
        stale = {k: compute for k, compute in discoveries.items() if not self._memo.fresh(k)}
        if key not in stale:
            return self._memo.get(key, discoveries[key])
        found = self.gather({k: functools.partial(self._memo.get, k, compute) for k, compute in stale.items()})
        if isinstance(found[key], BackendError):
            raise found[key]
        return found[key]

    def services(self) -> Sequence[ServiceInfo]:
        return self._discovered("services")

    def _discover_services(self) -> list[ServiceInfo]:
        """The values of the service label in Prometheus; without any, the traces backend's
        services, else Loki's, else the Deployments'; plus those the topology names."""
        cfg = self.config
        now = time.time()
        sources: list[Callable[[], Any]] = []
        if self.prometheus:
            sources.append(lambda: self.prometheus.services(now - cfg.history, now))
        if self.tempo or self.jaeger:
            sources.append((self.tempo or self.jaeger).services)
        if self.loki:
            sources.append(lambda: self.loki.services(now - cfg.history, now))
        # The first source and the replicas side by side; the others only if it knows none.
        first = {"names": sources[0]} if sources else {}
        found = self.gather(first | ({"replicas": self.kubernetes.replicas} if self.kubernetes else {}))
        errors = [v for v in found.values() if isinstance(v, BackendError)]
        names = set() if isinstance(found.get("names"), BackendError) else set(found.get("names", ()))
        for source in sources[1:]:
            if names:
                break
            answer = _attempt(source)
            if isinstance(answer, BackendError):
                errors.append(answer)
            else:
                names = set(answer)
        replicas = found.get("replicas") if isinstance(found.get("replicas"), dict) else {}
        names = names or set(replicas)
        names |= set(cfg.depends_on) | {s for deps in cfg.depends_on.values() for s in deps}
        if not names and errors:  # nobody answered: say why
            raise errors[0]
        edges = self._edges(names, now)
        return [ServiceInfo(name, cfg.kinds.get(name, "service"), tuple(sorted(edges.get(name, ()))),
                            replicas.get(name, 1)) for name in sorted(names)]

    def _edges(self, names: set[str], now: float) -> dict[str, set[str]]:
        """Who calls whom: configured, else the traces backend's service graph."""
        if self.config.depends_on:
            return {s: set(deps) for s, deps in self.config.depends_on.items()}
        pairs: list[tuple[str, str]] = []
        try:
            if self.jaeger:
                pairs = self.jaeger.dependencies(now, self.config.history)
            elif self.prometheus and self.prometheus.config.service_graph:
                pairs = self.prometheus.service_graph(now, self.config.history)
        except BackendError:
            pairs = []  # the services stand without their edges
        edges: dict[str, set[str]] = {}
        for caller, callee in pairs:
            if caller in names and callee in names and caller != callee:
                edges.setdefault(caller, set()).add(callee)
        return edges

    def time_range(self) -> tuple[float, float]:
        """From the first to just past the last heartbeat sample in Prometheus (windows are
        half-open); without Prometheus, or while it is down, the history up to now."""
        now = time.time()
        fallback = (now - self.config.history, now)
        if self.prometheus is None:
            return fallback
        try:
            found = self._data_range()
        except BackendError:
            return fallback
        if found is None:
            return fallback
        first, last = found
        return first, min(now, last + self.prometheus.config.step)

    def _data_range(self) -> tuple[float, float] | None:
        return self._discovered("time_range")

    # -- alerts -----------------------------------------------------------------------
    def alerts(self, start: float, end: float) -> Sequence[Alert]:
        """Firing now: Alertmanager's (else Prometheus' own); resolved: runs of `ALERTS`. The
        rules say what each alert compared. Without the history or the rules, the alerts
        firing now still answer."""
        return self._memo.get(("alerts", start, end), lambda: self._alerts(start, end))

    def _alerts(self, start: float, end: float) -> list[Alert]:
        label = self.config.service_label
        tasks: dict[str, Callable[[], Any]] = {}
        if self.alertmanager:
            tasks["active"] = lambda: self.alertmanager.firing(label)
        elif self.prometheus:
            tasks["active"] = self._prometheus_firing
        if self.prometheus:
            last = self.time_range()[1]
            tasks["history"] = lambda: self.prometheus.alert_history(start, max(end, last))
            tasks["rules"] = self._rules
        found = self.gather(tasks)
        if isinstance(found.get("active"), BackendError):
            raise found["active"]
        rules = found.get("rules") if isinstance(found.get("rules"), Rules) else None
        history = found.get("history")
        active: list[Alert] = found.get("active", [])
        firing_keys = {_key(a) for a in active}
        out = [a for a in active if a.starts_at < end]
        runs = history.runs(rules.interval if rules else DEFAULT_EVALUATION_INTERVAL) \
            if isinstance(history, AlertSamples) else []
        for run in runs:
            alert = make_alert(run.labels, {}, run.start, run.end, label)
            if run.end is None and _key(alert) in firing_keys:
                continue
            if alert.starts_at < end and (alert.ends_at is None or alert.ends_at > start):
                out.append(alert)
        for alert in out if rules is not None else []:
            if (found_rule := rules.find(alert.name, alert.service)) is not None:
                rule, compared = found_rule
                alert.metric, alert.op, alert.threshold = compared.metric, compared.op, compared.threshold
                alert.description = alert.description or str(rule.get("query", ""))
        out.sort(key=lambda a: (a.starts_at, a.service, a.name))
        return out

    def _rules(self) -> Rules:
        known = set(METRIC_UNITS) | set(self.prometheus.config.metrics)
        return self._memo.get("rules", lambda: index_rules(self.prometheus.rule_groups(), self.config.service_label,
                                                           known))

    def _prometheus_firing(self) -> list[Alert]:
        """Prometheus' own firing alerts; they fire `for` the rule's duration after activeAt."""
        rules = _attempt(self._rules)
        rules = rules if isinstance(rules, Rules) else None
        out = []
        alerts = self.prometheus.alerts()
        with self.prometheus.http.reading("/api/v1/alerts", "a malformed alert"):
            for item in alerts:
                if item.get("state") != "firing":
                    continue
                alert = make_alert(item["labels"], item.get("annotations") or {}, 0.0, None, self.config.service_label,
                                   value=_float(item.get("value")))
                found = rules.find(alert.name, alert.service) if rules is not None else None
                pending = _float(found[0].get("duration")) if found else 0.0
                alert.starts_at = parse_iso(str(item["activeAt"])) + (0.0 if math.isnan(pending) else pending)
                out.append(alert)
        return out

    # -- logs ---------------------------------------------------------------------------
    def logs(self, start: float, end: float, service: str | None = None, *,
             levels: Collection[str] | None = None, contains: str | None = None, trace_id: str | None = None,
             limit: int | None = None) -> Sequence[LogRecord]:
        """At most `max_log_lines` lines, the newest, whatever `limit` asks."""
        if self.loki is None:
            return []
        cap = self.config.max_log_lines
        return self.loki.logs(start, end, service, levels, contains, trace_id, min(limit or cap, cap))

    def log_counts(self, start: float, end: float, step: float,
                   service: str | None = None) -> dict[tuple[str, str], list[int]]:
        if self.loki is None:
            return {}
        return self.loki.log_counts(start, end, step, service)

    # -- metrics ------------------------------------------------------------------------
    def _templates(self) -> dict:
        return self._discovered("templates") if self.prometheus is not None else {}

    def metric_names(self) -> Sequence[str]:
        return sorted(self._templates())

    def metrics_by_service(self, names: Sequence[str], start: float, end: float
                           ) -> dict[str, dict[str, MetricSeries]]:
        # Discovery first, here: the queries run on the pool, which must not wait on itself.
        templates, known = self._templates(), {s.name for s in self.services()}
        found = self.gather({name: functools.partial(self._metric_by_service, name, start, end, templates, known)
                             for name in names})
        for answer in found.values():
            if isinstance(answer, BackendError):
                raise answer
        return found

    def _metric_by_service(self, name: str, start: float, end: float, templates: dict, known: set[str]
                           ) -> dict[str, MetricSeries]:
        template = templates.get(name)
        if template is None:
            return {}

        def fetch() -> dict[str, MetricSeries]:
            found = self.prometheus.metric_by_service(name, template, start, end, len(known))
            return {service: series for service, series in found.items() if service in known}

        return self._memo.get(("metric", name, start, end), fetch)

    def metric(self, service: str, name: str, start: float, end: float) -> MetricSeries | None:
        return self.metrics_by_service([name], start, end)[name].get(service)

    # -- traces -------------------------------------------------------------------------
    def spans(self, start: float, end: float, service: str | None = None, *,
              limit_traces: int | None = None) -> Sequence[Span]:
        """At most `max_traces` whole traces (Tempo: at most `max_trace_fetches`)."""
        cap = self.config.max_traces
        limit = min(limit_traces or cap, cap)
        if self.tempo is not None:
            spans = self.tempo.spans(start, end, service, limit)
        elif self.jaeger is not None:
            roots = [] if service is not None else self._memo.get("roots", lambda: self.jaeger.roots(
                time.time(), self.config.history, [s.name for s in self.services()]))
            spans = self.jaeger.spans(start, end, service, limit, roots)
        else:
            return []
        spans.sort(key=lambda s: s.start)
        return spans

    def trace(self, trace_id: str) -> Sequence[Span]:
        traces = self.tempo or self.jaeger
        if traces is None or not _TRACE_ID.fullmatch(trace_id):  # it goes into a URL path
            return []
        return traces.trace(trace_id)

    # -- normal operation ---------------------------------------------------------------
    def reference(self, start: float, end: float) -> tuple[LiveBackend, float, float] | None:
        """The same window `reference_offset` earlier (yesterday's, last week's), if configured."""
        offset = self.config.reference_offset
        return None if offset is None else (self, start - offset, end - offset)

    # -- changes ------------------------------------------------------------------------
    def deployments(self, start: float, end: float) -> Sequence[Deployment]:
        return self.kubernetes.changes(start, end) if self.kubernetes is not None else []

    # -- status -------------------------------------------------------------------------
    def status(self) -> BackendStatus:
        """Whether each configured system answers (`reachable` only if all of them do), and
        counts in the store's terms: services, metric series (services times the metrics
        answered), firing alerts, log lines in the last hour."""
        now = time.time()
        probes: dict[str, Callable[[], Any]] = {}
        if self.prometheus:
            probes["Prometheus"] = self._data_range
        if self.alertmanager:
            probes["Alertmanager"] = lambda: self.alertmanager.firing(self.config.service_label)
        if self.loki:
            probes["Loki"] = lambda: self.loki.line_count(now - 3600, now)
        if self.tempo:
            probes["Tempo"] = self.tempo.services
        if self.jaeger:
            probes["Jaeger"] = self.jaeger.services
        if self.kubernetes:
            probes["Kubernetes"] = self.kubernetes.version
        found = self.gather(probes)
        notes = []
        for signal, system in self.config.signals().items():
            if system is None:
                notes.append(f"{signal}: not configured")
            elif isinstance(found.get(system), BackendError):
                notes.append(f"{signal}: {found[system]}")
            else:
                notes.append(f"{signal}: {system} answers")
        counts = {}
        if isinstance(found.get("Alertmanager"), list):
            counts["alerts"] = len(found["Alertmanager"])
        if isinstance(found.get("Loki"), int):
            counts["log_lines"] = found["Loki"]
        try:
            counts["services"] = len(self.services())
            counts["metrics"] = len(self.metric_names())
            if self.prometheus:
                counts["metric_series"] = counts["services"] * counts["metrics"]
        except BackendError as exc:
            notes.append(f"services: {exc}")
        start, end = self.time_range()
        reachable = not any(isinstance(v, BackendError) for v in found.values())
        return BackendStatus(self.name, reachable, start, end, counts, "; ".join(notes))


def _attempt(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except BackendError as exc:
        return exc


def _key(alert: Alert) -> tuple[str, str, str]:
    return alert.name, alert.service, alert.severity


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
