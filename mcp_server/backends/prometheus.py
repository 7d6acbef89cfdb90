"""Prometheus HTTP API v1 (`query`, `query_range`, `series`, `labels`, label values, `rules`,
`alerts`), and what the live backend asks of it: one analysis metric for every service in
one range query, the services, the data's time range, the alerting rules' comparisons, the
`ALERTS` history and Tempo's service-graph edges.
"""

from __future__ import annotations

import json
import math
import re
import time
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from telemetry.records import MetricSeries

from .config import PrometheusConfig
from .http import HttpClient
from .presets import METRIC_UNITS, MetricTemplate, candidates

NAN = math.nan
RANGE = "/api/v1/query_range"
_RESULT = re.compile(r'"result"\s*:\s*\[')
_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
DEFAULT_EVALUATION_INTERVAL = 60.0  # Prometheus' default, for rules whose groups do not say
Matrix = list[tuple[dict[str, str], list[tuple[float, float]]]]


@dataclass(frozen=True, slots=True)
class Comparison:
    """What an alerting rule compares, when its expression is a simple comparison."""

    metric: str | None
    op: str | None
    threshold: float | None


@dataclass(frozen=True, slots=True)
class AlertRun:
    """An alert seen firing in `ALERTS` from `start` to `end` (None: still firing)."""

    labels: dict[str, str]
    start: float
    end: float | None


class Prometheus:
    def __init__(self, config: PrometheusConfig, service_label: str) -> None:
        self.config = config
        self.service_label = service_label
        self.http = HttpClient(config.endpoint)

    # -- the HTTP API ---------------------------------------------------------------
    def _data(self, path: str, params: Any) -> Any:
        return self._checked(path, self.http.get_json(path, params))

    def _checked(self, path: str, doc: Any) -> Any:
        if not isinstance(doc, dict) or doc.get("status") != "success" or "data" not in doc:
            raise self.http.error(path, "answered without a `success` status and `data`")
        return doc["data"]

    def _timeout(self) -> str:
        return f"{max(1, int(self.config.endpoint.timeout))}s"  # the server gives up as we would

    def query(self, promql: str, at: float) -> list[tuple[dict[str, str], float, float]]:
        """Instant vector: (labels, sample time, value) per series."""
        data = self._data("/api/v1/query", {"query": promql, "time": _ts(at), "timeout": self._timeout()})
        with self.http.reading("/api/v1/query", "a malformed vector"):
            if data["resultType"] != "vector":
                return []
            return [(dict(item["metric"]), float(item["value"][0]), float(item["value"][1])) for item in data["result"]]

    def query_range(self, promql: str, start: float, end: float, step: float) -> Matrix:
        with self.http.reading(RANGE, "a malformed matrix"):
            return [(dict(item["metric"]), [(float(t), float(v)) for t, v in item["values"]])
                    for item in self._matrix(promql, start, end, step)]

    def query_grid(self, promql: str, first: float, step: float, count: int) -> list[tuple[dict[str, str], array]]:
        """A range query's series on the grid `first + i * step` (`count` points), NaN where a
        series has no sample."""
        with self.http.reading(RANGE, "a malformed matrix"):
            return [(dict(item["metric"]), on_grid(item["values"], first, step, count))
                    for item in self._matrix(promql, first, first + (count - 1) * step, step)]

    def _matrix(self, promql: str, start: float, end: float, step: float) -> Iterator[dict]:
        """The series of a range query's answer, decoded one at a time, then the rest of the
        answer checked. A big answer holds hundreds of thousands of points: decoded whole, they
        are all alive at once, and the garbage collector walks them again and again."""
        text = self.http.get(RANGE, {"query": promql, "start": _ts(start), "end": _ts(end), "step": _ts(step),
                                     "timeout": self._timeout()}).decode()
        found = _RESULT.search(text)  # the first: label values are strings, and only `result` holds series
        if found is None:
            self._checked(RANGE, self.http.parse_json(RANGE, text))
            raise self.http.error(RANGE, "answered without a `result`")
        i = _SPACE.match(text, found.end()).end()
        while text[i] != "]":
            item, i = _DECODER.raw_decode(text, i)
            yield item
            i = _SPACE.match(text, i).end()
            if text[i] == ",":
                i = _SPACE.match(text, i + 1).end()
            elif text[i] != "]":
                raise ValueError(f"expected , or ] at {i}")
        data = self._checked(RANGE, self.http.parse_json(RANGE, text[:found.end()] + text[i:]))
        if data.get("resultType") != "matrix":
            raise ValueError("not a matrix")

    def series(self, match: list[str], start: float, end: float) -> list[dict[str, str]]:
        return self._list("/api/v1/series", [("match[]", m) for m in match] + _range(start, end))

    def labels(self, start: float, end: float, match: tuple[str, ...] = ()) -> list[str]:
        return self._list("/api/v1/labels", [("match[]", m) for m in match] + _range(start, end))

    def label_values(self, name: str, start: float, end: float, match: tuple[str, ...] = ()) -> list[str]:
        return self._list(f"/api/v1/label/{name}/values", [("match[]", m) for m in match] + _range(start, end))

    def _list(self, path: str, params: list) -> list:
        data = self._data(path, params)
        if not isinstance(data, list):
            raise self.http.error(path, "answered with a malformed list")
        return data

    def rule_groups(self) -> list[dict]:
        data = self._data("/api/v1/rules", {"type": "alert"})
        if not isinstance(data, dict) or not isinstance(data.get("groups"), list) or not all(
                isinstance(g, dict) and isinstance(g.get("rules"), list) for g in data["groups"]):
            raise self.http.error("/api/v1/rules", "answered with malformed rule groups")
        return data["groups"]

    def alerts(self) -> list[dict]:
        data = self._data("/api/v1/alerts", None)
        if not isinstance(data, dict) or not isinstance(data.get("alerts"), list):
            raise self.http.error("/api/v1/alerts", "answered with a malformed alert list")
        return data["alerts"]

    def buildinfo(self) -> dict:
        data = self._data("/api/v1/status/buildinfo", None)
        return data if isinstance(data, dict) else {}

    # -- metrics ----------------------------------------------------------------------
    def selector(self, label: str, service: str | None = None) -> str:
        match = f'{label}=~".+"' if service is None else f"{label}={_quoted(service)}"
        return f"{match}, {self.config.selector}" if self.config.selector else match

    def detect_templates(self, start: float, end: float) -> dict[str, MetricTemplate]:
        """The template answering each metric: configured ones, then per metric the first
        preset whose raw series exist (one request for the names of them all)."""
        options = candidates(self.config.presets)
        needed = sorted({name for templates in options.values() for t in templates for name in t.needs})
        present = set(self.label_values("__name__", start, end, (f'{{__name__=~"{"|".join(needed)}"}}',))) \
            if needed else set()
        chosen = {}
        for metric, templates in options.items():
            usable = [t for t in templates if all(n in present for n in t.needs)]
            if usable:
                chosen[metric] = usable[0]
        chosen.update(self.config.metrics)
        return chosen

    def metric_by_service(self, name: str, template: MetricTemplate, start: float, end: float,
                          services: int = 1) -> dict[str, MetricSeries]:
        """`name` for every service in one range query, on a grid of the configured step, NaN
        where no sample. The step is coarser for long windows (at most `max_points` a series)
        and for many services (at most `max_samples` an answer, counting one series each)."""
        step = self.step_for(end - start, services)
        first, count = grid(start, end, step)
        if count == 0:
            return {}
        label = template.label or self.service_label
        promql = template.render(self.service_label, self.selector(label), self.config.rate_window)
        unit = self.config.units.get(name) or METRIC_UNITS.get(name, "")
        out = {}
        for labels, values in self.query_grid(promql, first, step, count):
            service = labels.get(label)
            if service:
                out[service] = MetricSeries(service, name, unit, first, step, values)
        return out

    def step_for(self, span: float, series: int = 1) -> float:
        base, points = self.config.step, span / self.config.step
        return base * max(1, math.ceil(points / self.config.max_points),
                          math.ceil(points * series / self.config.max_samples))

    def services(self, start: float, end: float) -> list[str]:
        label = self.service_label
        return self.label_values(label, start, end, (f"{{{self.selector(label)}}}",))

    def data_range(self, history: float) -> tuple[float, float] | None:
        """(first, last) sample time of the heartbeat series within `history` of now: one
        coarse range query, then a fine one around the first sample."""
        now = time.time()
        coarse = max(self.config.step, history / 240)
        beat = self.config.heartbeat
        start = now - math.ceil(history / coarse) * coarse  # `now` itself is evaluated: the latest sample
        matrix = self.query_range(f"max(timestamp({beat}))", start, now, coarse)
        points = sorted(p for _, series in matrix for p in series)
        if not points:
            return None
        last = max(v for _, v in points)
        t0 = points[0][0]
        if t0 <= start:  # data older than the history window: it starts with the window
            return now - history, last
        step = self.config.step
        lo = math.floor((t0 - coarse) / step) * step
        fine = sorted(p for _, series in self.query_range(f"min(timestamp({beat}))", lo, t0, step) for p in series)
        return (fine[0][1] if fine else points[0][1]), last

    def service_graph(self, at: float, history: float) -> list[tuple[str, str]]:
        """(client, server) edges Tempo's metrics-generator has counted within `history`."""
        promql = (f"group by (client, server) (last_over_time(traces_service_graph_request_total"
                  f"[{max(1, int(history))}s]))")
        return [(labels["client"], labels["server"]) for labels, _, _ in self.query(promql, at)
                if labels.get("client") and labels.get("server")]

    # -- alerts -----------------------------------------------------------------------
    def alert_history(self, start: float, end: float) -> AlertSamples:
        """`ALERTS` firing over the window, as each evaluation saw it. `timestamp()` reads each
        sample's own time, so a long lookback delta (backfilled data) cannot stretch a run
        past its last sample."""
        step = self.step_for(end - start)
        first, count = grid(start, end, step)
        if count == 0:
            return AlertSamples([], step, first)
        last_point = first + (count - 1) * step
        matrix = self.query_range('timestamp(ALERTS{alertstate="firing"})', first, last_point, step)
        return AlertSamples(matrix, step, last_point)


@dataclass(frozen=True, slots=True)
class AlertSamples:
    matrix: Matrix
    step: float
    last_point: float

    def runs(self, interval: float) -> list[AlertRun]:
        """Firing runs for rules evaluated every `interval` seconds."""
        gap = max(self.step, interval) * 1.5
        runs = []
        for labels, points in self.matrix:
            labels = {k: v for k, v in labels.items() if k not in ("alertstate", "__name__")}
            run_start = previous = None
            for t, sample in points:
                if t - sample > gap:  # an old sample seen through the lookback: not firing here
                    continue
                if run_start is not None and sample - previous > gap:
                    runs.append(AlertRun(labels, run_start, previous + interval))
                    run_start = None
                if run_start is None:
                    run_start = sample
                previous = sample
            if run_start is not None:
                still = self.last_point - previous <= gap
                runs.append(AlertRun(labels, run_start, None if still else previous + interval))
        return runs


def grid(start: float, end: float, step: float) -> tuple[float, int]:
    """The first grid point at or after `start` and how many points lie in `[start, end)`."""
    first = math.ceil(start / step - 1e-9) * step
    return first, max(0, math.floor((end - first) / step - 1e-9) + 1)


def on_grid(points: list, first: float, step: float, count: int) -> array:
    """Prometheus' `[time, "value"]` pairs as `count` values from `first` every `step`."""
    values = array("d", [NAN]) * count
    per_step = 1.0 / step
    for t, v in points:
        i = int((t - first) * per_step + 0.5)
        if 0 <= i < count:
            values[i] = float(v)
    return values


def _ts(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _range(start: float, end: float) -> list[tuple[str, str]]:
    return [("start", _ts(start)), ("end", _ts(end))]


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


# ----------------------------------------------------------------------------- rules
_COMPARISON = re.compile(
    r"^(?P<lhs>.+?)\s*(?P<op>>=|<=|==|!=|>|<)\s*(?:bool\s+)?(?P<rhs>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$",
    re.S)
_SELECTOR = re.compile(r"^(?P<name>[A-Za-z_:][A-Za-z0-9_:]*)\s*(?:\{[^{}]*\})?$")
_INCREASE = re.compile(r"^increase\s*\(\s*(?P<inner>[^()\[\]]+?)\s*\[[^\]]+\]\s*\)$")
_AGGREGATION = re.compile(r"^(?:sum|max|min|avg)\s*(?:(?:by|without)\s*\([^()]*\)\s*)?\((?P<inner>[^()]+)\)"
                          r"(?:\s*(?:by|without)\s*\([^()]*\))?$")


def comparison(expr: str, known: set[str]) -> Comparison:
    """(metric, op, threshold) of a rule like `error_rate{service="x"} > 0.1`,
    `max by (service) (memory_percent) > 90` or `increase(restarts_total[10m]) >= 1`: the metric
    only when its name is one the analysis knows. Anything else compares nothing we can name."""
    none = Comparison(None, None, None)
    match = _COMPARISON.match(expr.strip())
    if not match:
        return none
    lhs, op, threshold = match.group("lhs").strip(), match.group("op"), float(match.group("rhs"))
    if op in ("==", "!="):
        return none
    if (agg := _AGGREGATION.match(lhs)) is not None:
        lhs = agg.group("inner").strip()
    if (inc := _INCREASE.match(lhs)) is not None:
        selector = _SELECTOR.match(inc.group("inner").strip())
        if selector is None or op != ">=":
            return none
        name = selector.group("name")
        return Comparison(name, "increase>=", threshold) if name in known else none
    selector = _SELECTOR.match(lhs)
    if selector is None or selector.group("name") not in known:
        return none
    return Comparison(selector.group("name"), op, threshold)


@dataclass(frozen=True)
class Rules:
    """The alerting rules by (alert name, the service their labels name or None), and how
    often they are evaluated (the shortest group interval)."""

    by_alert: dict[tuple[str, str | None], tuple[dict, Comparison]]
    interval: float

    def find(self, name: str, service: str) -> tuple[dict, Comparison] | None:
        return self.by_alert.get((name, service)) or self.by_alert.get((name, None))


def index_rules(groups: list[dict], service_label: str, known: set[str]) -> Rules:
    by_alert: dict[tuple[str, str | None], tuple[dict, Comparison]] = {}
    intervals = []
    for group in groups:
        if isinstance(group.get("interval"), int | float) and group["interval"] > 0:
            intervals.append(float(group["interval"]))
        for rule in group["rules"]:
            if not isinstance(rule, dict) or rule.get("type") != "alerting" or not isinstance(rule.get("name"), str):
                continue
            labels = rule.get("labels") or {}
            key = (rule["name"], labels.get(service_label))
            by_alert.setdefault(key, (rule, comparison(str(rule.get("query", "")), known)))
    return Rules(by_alert, min(intervals, default=DEFAULT_EVALUATION_INTERVAL))
