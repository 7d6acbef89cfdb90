"""Runs the pure analysis over one time window of one backend, once.

Tools ask for anomalies, error patterns, trace verdicts or ranked candidates; this module
fetches what each needs from the backend, runs the analysis, and memoises the result for the
window so that the several tools of one investigation do not repeat the work. Tool calls run
on several threads: an analysis under way is waited for, never computed twice.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any

from telemetry.backend import TelemetryBackend

from .analysis import correlation, log_templates
from .analysis.anomalies import Anomaly, detect
from .analysis.metric_kinds import STATIC_METRICS
from .analysis.traces import TraceSummary, attribute_origins, group_traces, summarize

ERROR_LEVELS = ("ERROR", "FATAL")
PATTERN_LEVELS = ("WARN", "ERROR", "FATAL")


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
        out: dict[str, list[Anomaly]] = {}
        for service in self.names:
            found = [a for metric in self.backend.metric_names()
                     if (a := self.anomaly(service, metric)) is not None]
            out[service] = _collapse_missing(found)
        return out

    def anomaly(self, service: str, metric: str) -> Anomaly | None:
        """The anomaly of one series in the window (memoised: query_metrics and
        detect_anomalies share the work)."""
        def compute() -> Anomaly | None:
            if metric in STATIC_METRICS:
                return None
            series = self.backend.metric(service, metric, self.start, self.end)
            if series is None or len(series.values) < 8:
                return None
            return detect(metric, list(series.values), series.start, series.step,
                          self._alert_thresholds.get((service, metric)))

        return self.once(("anomaly", service, metric), compute)

    @analysis
    def _alert_thresholds(self) -> dict[tuple[str, str], float]:
        """Thresholds of critical alerts that fired on an upper bound: an operator's own line
        for "this is an incident", used when the failure began before the window."""
        return {(a.service, a.metric): a.threshold for a in self.backend.alerts(self.start, self.end)
                if a.severity == "critical" and a.metric and a.op in (">", ">=") and a.threshold is not None}

    # -- logs -------------------------------------------------------------------------
    @analysis
    def problem_logs(self):
        return [r for r in self.backend.logs(self.start, self.end) if r.level in PATTERN_LEVELS]

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

    # -- traces -----------------------------------------------------------------------
    @analysis
    def traces(self) -> dict[str, list]:
        return group_traces(self.backend.spans(self.start, self.end))

    @analysis
    def trace_summaries(self) -> list[TraceSummary]:
        return [summarize(spans) for spans in self.traces.values()]

    @analysis
    def trace_analysis(self):
        return attribute_origins(self.traces)

    # -- everything ---------------------------------------------------------------------
    def candidates(self, limit: int = 5) -> list[correlation.Candidate]:
        def compute() -> list[correlation.Candidate]:
            verdicts, _ = self.trace_analysis
            changes = self.backend.deployments(self.start - correlation.CHANGE_LOOKBACK, self.end)
            return correlation.rank_candidates(self.backend.services(), self.anomalies, self.log_evidence, verdicts,
                                               changes, self.backend.alerts(self.start, self.end), limit=limit)

        return self.once(("candidates", limit), compute)


def _collapse_missing(found: list[Anomaly]) -> list[Anomaly]:
    """A silent service has every series missing: keep one record of it."""
    missing = [a for a in found if a.direction == "missing"]
    if len(missing) <= 1:
        return found
    first = min(missing, key=lambda a: (a.onset, a.metric))
    return [a for a in found if a.direction != "missing"] + [first]
