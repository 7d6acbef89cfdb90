"""Runs the pure analysis over one time window of one backend, once.

Tools ask for anomalies, error patterns, trace verdicts or ranked candidates; this module
fetches what each needs from the backend, runs the analysis, and memoises the result for the
window so that the several tools of one investigation do not repeat the work. Tool calls run
on several threads: an analysis under way is waited for, never computed twice.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from knowledge import CHANGE_LOOKBACK
from telemetry.backend import BackendError, TelemetryBackend
from telemetry.records import ERROR_LEVELS, Alert, MetricSeries

from .analysis import correlation, edges, log_signals, log_templates, request_paths
from .analysis.anomalies import MIN_SAMPLES, Anomaly, detect
from .analysis.metric_kinds import STATIC_METRICS, kind_of
from .analysis.traces import TraceSummary, attribute_origins, group_traces, summarize

REQUEST_RATE = "request_rate"
READY_REPLICAS, DESIRED_REPLICAS = "replicas_ready", "replicas_desired"
# Statistics over a sample's requests, and how many requests make one trustworthy.
PER_REQUEST_FAMILIES = frozenset({"latency", "dependency_latency", "errors"})
ENOUGH_REQUESTS = 30
MAX_LOG_LINES = 200_000  # the newest lines of a window the log analysis reads
# Traces are summarised per bucket: at least this long, and no more buckets than this a window.
TRACE_BUCKET_SECONDS = 10.0
TRACE_BUCKETS = 30
PATTERN_LEVELS = ("WARN", "ERROR", "FATAL")
# A warning that began this soon after a series' first sample was firing when it began: its
# condition held before the window (an alert's `for:` is a few minutes).
ALL_ALONG_SECONDS = 300.0


def analysis(method: Callable[[Investigation], Any]) -> property:
    """A property computed once per investigation (see `Investigation.once`)."""
    return property(lambda self: self.once(method.__name__, lambda: method(self)), doc=method.__doc__)


class Investigation:
    def __init__(self, backend: TelemetryBackend, start: float, end: float) -> None:
        self.backend = backend
        self.start = start
        self.end = end
        self.names = tuple(s.name for s in backend.services())
        self._memo: dict = {}
        self._lock = threading.RLock()

    def once(self, key, compute: Callable[[], Any]) -> Any:
        try:
            return self._memo[key]
        except KeyError:
            pass
        with self._lock:
            if key not in self._memo:
                self._memo[key] = compute()
            return self._memo[key]

    def warm(self) -> None:
        """Run every analysis the tools share."""
        self.candidates()
        _ = self.problem_patterns, self.trace_summaries

    # -- metrics --------------------------------------------------------------------
    @analysis
    def anomalies(self) -> dict[str, list[Anomaly]]:
        # Labelled series (one per call edge, say) are not a service's own: see `network_delays`.
        names = [m for m in self.backend.metric_names() if "{" not in m and m not in STATIC_METRICS]
        self.series_of(names)
        out: dict[str, list[Anomaly]] = {}
        for service in self.names:
            found = [a for metric in names if (a := self.anomaly(service, metric)) is not None]
            reporting = sum(1 for m in names if service in self.series(m))
            out[service] = _silence(found, reporting)
        for service, delay in self.network_delays.items():
            out.setdefault(service, []).append(delay)
        for service, changes in self.log_changes.items():
            out.setdefault(service, []).extend(changes)
        for service, found in self.path_breaks.items():
            out.setdefault(service, []).append(request_paths.as_anomaly(found))
        return out

    @analysis
    def network_delays(self) -> dict[str, Anomaly]:
        """Services at the common end of calls whose time between the services grew."""
        step = max(TRACE_BUCKET_SECONDS, (self.end - self.start) / TRACE_BUCKETS)
        n = max(1, math.ceil((self.end - self.start) / step))
        gaps = {edge: (self.start, step, values, calls)
                for edge, (values, calls) in edges.gaps_from_spans(self.spans, self.start, step, n).items()}
        found = self.series_of([name for name in self.backend.metric_names() if edges.edge_labels(name)])
        labelled = [(edges.edge_labels(name), s) for name, by_service in found.items() for s in by_service.values()]
        gaps.update(edges.gaps_from_edge_series(labelled))  # measured per edge: better than traces
        known = [(s.name, d) for s in self.backend.services() for d in s.depends_on]
        return edges.blame(edges.edge_changes(gaps), [*known, *gaps])

    def series(self, metric: str) -> dict[str, MetricSeries]:
        """One metric of every service in the window."""
        return self.series_of([metric])[metric]

    def series_of(self, metrics: list[str]) -> dict[str, dict[str, MetricSeries]]:
        """Metrics of every service in the window, each fetched once: those not at hand yet in
        one question to the backend (a real one asks its queries side by side)."""
        if any(("series", m) not in self._memo for m in metrics):
            with self._lock:
                missing = [m for m in dict.fromkeys(metrics) if ("series", m) not in self._memo]
                if missing:
                    found = self.backend.metrics_by_service(missing, self.start, self.end)
                    for m in missing:
                        self._memo["series", m] = found.get(m, {})
        return {m: self._memo["series", m] for m in metrics}

    def anomaly(self, service: str, metric: str) -> Anomaly | None:
        """The anomaly of one series in the window (memoised: query_metrics and
        detect_anomalies share the work)."""
        def compute() -> Anomaly | None:
            if metric in STATIC_METRICS:
                return None
            series = self.series(metric).get(service)
            if series is None or len(series.values) < MIN_SAMPLES:
                return None
            values = self._against_desired(service, series) if metric == READY_REPLICAS else list(series.values)
            found = detect(metric, values, series.start, series.step, self._alert_line(service, metric, series))
            if found is None or kind_of(metric).family not in PER_REQUEST_FAMILIES:
                return found
            return _weighed(found, self._requests_per_sample(service, series.step))

        return self.once(("anomaly", service, metric), compute)

    def _against_desired(self, service: str, ready: MetricSeries) -> list[float]:
        """Ready replicas counted against the replicas wanted now: scaling out raises both, and
        is no outage before it."""
        values = list(ready.values)
        desired = self.series(DESIRED_REPLICAS).get(service)
        same_grid = desired is not None and (desired.start, desired.step, len(desired.values)) == (
            ready.start, ready.step, len(values))
        if not same_grid or math.isnan(desired.values[-1]):
            return values
        now = desired.values[-1]
        return [r if math.isnan(d) else r + now - d for r, d in zip(values, desired.values)]

    def _requests_per_sample(self, service: str, step: float) -> float | None:
        """How many requests a sample of a per-request statistic (a latency percentile, an
        error ratio) summarises: a percentile of three requests is one request's luck."""
        rate = self.series(REQUEST_RATE).get(service)
        real = sorted(v for v in rate.values if v == v) if rate is not None else []
        return real[len(real) // 2] * step if real else None

    def _alert_line(self, service: str, metric: str, series: MetricSeries) -> float | None:
        """An operator's own line for "this is an incident", for a failure that began before the
        window: a critical alert's threshold, or a warning's that has fired all along (from the
        series' first minutes to its end)."""
        lines = self._alert_lines.get((service, metric), [])
        critical = [a.threshold for a in lines if a.severity == "critical"]
        if critical:
            return min(critical)
        first = next((i for i, v in enumerate(series.values) if v == v), None)
        if first is None:
            return None
        began = series.start + first * series.step
        standing = [a.threshold for a in lines if a.ends_at is None and a.starts_at - began <= ALL_ALONG_SECONDS]
        return min(standing, default=None)

    @analysis
    def _alert_lines(self) -> dict[tuple[str, str], list[Alert]]:
        """The window's alerts that fired on an upper bound of one metric, by service and metric."""
        found: dict[tuple[str, str], list[Alert]] = defaultdict(list)
        for a in self.backend.alerts(self.start, self.end):
            if a.metric and a.op in (">", ">=") and a.threshold is not None:
                found[a.service, a.metric].append(a)
        return found

    # -- logs -------------------------------------------------------------------------
    @analysis
    def logs(self) -> list:
        """The window's log lines (the newest, if there are more than a window may hold)."""
        return list(self.backend.logs(self.start, self.end, limit=MAX_LOG_LINES))

    @analysis
    def problem_logs(self):
        return [r for r in self.logs if r.level in PATTERN_LEVELS]

    @analysis
    def log_changes(self) -> dict[str, list[Anomaly]]:
        """Per service: more error lines than before; a log statement that stopped."""
        span = log_signals.buckets_of(self.logs)
        if span is None:
            return {}
        out: dict[str, list[Anomaly]] = defaultdict(list)
        for found in (log_signals.error_rates(self.logs, span), log_signals.stopped_statements(self.logs, span)):
            for service, a in found.items():
                out[service].append(a)
        return out

    @analysis
    def problem_patterns(self) -> list:
        """Every problem line grouped by template: what search_error_patterns shows first."""
        return log_templates.group(self.problem_logs, self.names)

    def patterns(self, service: str | None = None, levels=PATTERN_LEVELS):
        if service is None and tuple(levels) == PATTERN_LEVELS:
            return self.problem_patterns

        def compute():
            records = [r for r in self.problem_logs
                       if r.level in levels and (service is None or r.service == service)]
            return log_templates.group(records, self.names)

        return self.once(("patterns", service, tuple(levels)), compute)

    @analysis
    def log_evidence(self) -> dict[str, correlation.LogEvidence]:
        evidence = {n: correlation.LogEvidence() for n in self.names}
        errors = [r for r in self.problem_logs if r.level in ERROR_LEVELS]
        by_service: dict[str, list] = {}
        for r in errors:
            by_service.setdefault(r.service, []).append(r)
        early = self.start + 0.1 * (self.end - self.start)
        for service, records in by_service.items():
            ev = evidence.setdefault(service, correlation.LogEvidence())
            for p in log_templates.group(records, self.names):
                if p.about == "dependency":
                    ev.dependency_lines += p.count
                    for m in p.mentions:
                        ev.mentions[m] = ev.mentions.get(m, 0) + p.count
                        if p.category in log_templates.UNREACHED_CATEGORIES:
                            prev = ev.peer_failures.get(m)
                            count = p.count + (prev[1] if prev else 0)
                            first = min(p.first_seen, prev[2]) if prev else p.first_seen
                            ev.peer_failures[m] = (p.category, count, first)
                else:
                    if p.about == "itself":
                        ev.own_categories[p.category] = ev.own_categories.get(p.category, 0) + p.count
                    if p.first_seen > early and p.count >= 3:
                        ev.new_patterns.append((p.template, p.category, p.first_seen, p.count))
            ev.error_onset = self._log_error_onset(records)
        warnings: dict[str, list] = {}
        for r in self.problem_logs:
            if r.level == "WARN":
                warnings.setdefault(r.service, []).append(r)
        for service, records in warnings.items():
            ev = evidence.setdefault(service, correlation.LogEvidence())
            for p in log_templates.group(records, self.names):
                if p.about == "itself":
                    ev.warning_categories[p.category] = ev.warning_categories.get(p.category, 0) + p.count
        return evidence

    def _log_error_onset(self, records) -> float | None:
        bucket = 60.0
        n = max(1, math.ceil((self.end - self.start) / bucket))
        if n < 8:
            return None
        counts = [0.0] * n
        for r in records:
            counts[min(n - 1, int((r.time - self.start) / bucket))] += 1
        a = detect("log_errors", counts, self.start, bucket)
        return a.onset if a is not None and a.direction == "up" else None

    @analysis
    def path_breaks(self) -> dict[str, request_paths.PathBreak]:
        """Per service, its requests that left the path they take in the backend's reference
        period (the system working normally) or, without one, earlier in the window. A
        reference that cannot be fetched is done without."""
        if not (self.logs or self.spans):
            return {}
        cache = log_templates.TemplateCache()

        def blames_another(line) -> bool:
            mentions = [m for m in cache.mentions(line.message, self.names) if m != line.service]
            return log_templates.about(cache.lookup(line.message)[1], mentions) == "dependency"

        normal: dict[str, list[request_paths.Request]] = {}
        found = self.backend.reference(self.start, self.end)
        if found is not None:
            reference, start, end = found
            try:
                requests = request_paths.requests_of(reference.logs(start, end, limit=MAX_LOG_LINES),
                                                     reference.spans(start, end), cache, blames_another)
            except BackendError:
                requests = {}
            normal = {service: request_paths.judged(q, start, end) for service, q in requests.items()}
        window = request_paths.requests_of(self.logs, self.spans, cache, blames_another)
        return request_paths.path_breaks(
            normal, {service: request_paths.judged(q, self.start, self.end) for service, q in window.items()})

    # -- traces -----------------------------------------------------------------------
    @analysis
    def spans(self) -> list:
        return list(self.backend.spans(self.start, self.end))

    @analysis
    def traces(self) -> dict[str, list]:
        return group_traces(self.spans)

    @analysis
    def trace_summaries(self) -> list[TraceSummary]:
        return [summarize(spans) for spans in self.traces.values()]

    @analysis
    def trace_analysis(self):
        return attribute_origins(self.traces)

    # -- everything ---------------------------------------------------------------------
    @analysis
    def absent_signals(self) -> list[str]:
        """The kinds of telemetry with nothing in the window: what a diagnosis had to do without."""
        present = {
            "metrics": any(self.series(m) for m in self.backend.metric_names() if "{" not in m),
            "logs": bool(self.logs),
            "traces": bool(self.spans),
            "alerts": bool(self.backend.alerts(self.start, self.end)),
            "changes": bool(self.backend.deployments(self.start - CHANGE_LOOKBACK, self.end)),
        }
        return [signal for signal, seen in present.items() if not seen]

    def candidates(self, limit: int = 5) -> list[correlation.Candidate]:
        def compute() -> list[correlation.Candidate]:
            verdicts, _ = self.trace_analysis
            alerts = self.backend.alerts(self.start, self.end)
            # A failure under way before the window began no later than its first alert.
            since = min([self.start, *(a.starts_at for a in alerts)])
            changes = self.backend.deployments(since - CHANGE_LOOKBACK, self.end)
            return correlation.rank_candidates(self.backend.services(), self.anomalies, self.log_evidence, verdicts,
                                               changes, alerts, self.end, limit=limit)

        return self.once(("candidates", limit), compute)


def _weighed(found: Anomaly, requests: float | None) -> Anomaly:
    if requests is None or requests >= ENOUGH_REQUESTS:
        return found
    return dataclasses.replace(found, score=round(found.score * max(0.1, requests / ENOUGH_REQUESTS), 4))


def _silence(found: list[Anomaly], reporting: int) -> list[Anomaly]:
    """A service went silent when most of its series stopped: keep one record of that. One
    series that stops (a latency percentile in a minute without requests) is not silence."""
    missing = [a for a in found if a.direction == "missing"]
    rest = [a for a in found if a.direction != "missing"]
    if not missing or len(missing) < 0.5 * reporting:
        return rest
    return rest + [min(missing, key=lambda a: (a.onset, a.metric))]
