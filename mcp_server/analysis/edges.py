"""Time spent between services: the network's share of each call, and who is at its end.

A call from A to B takes B's own time plus the time on the way there and back. That second
part is the *gap*: the caller's span of the call (a client span, or one of unknown kind that
wraps a single span of another service) minus the callee's span (traces), or the latency
the caller measures minus the latency the callee measures (per-edge metrics). A slow callee
makes its callers slow but leaves the gaps alone; a slow network at a service makes the gaps of
its calls grow, in and out, whatever the services' own metrics say.

When gaps grow, the service at the common end of the growing edges is where the delay is: a
service all of whose edges grew, not a caller one of whose many edges did.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .anomalies import Anomaly, detect

GAP_METRIC = "call_gap_ms"  # its meaning: see metric_kinds
MIN_CALLS_AFTER = 5  # a gap that grew on fewer calls than this is one slow call's luck
_LABELS = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True, slots=True)
class EdgeChange:
    caller: str
    callee: str
    anomaly: Anomaly


def gaps_from_spans(spans: Iterable, start: float, step: float,
                    n: int) -> dict[tuple[str, str], tuple[list[float], list[int]]]:
    """Median gap per (caller, callee) and bucket of `step` seconds, from spans that wrap a
    single call into another service (NaN where a bucket saw no call), and the calls in each
    bucket."""
    spans = list(spans)
    children: dict[str, list] = defaultdict(list)
    for s in spans:
        if s.parent_id:
            children[s.parent_id].append(s)
    by_edge: dict[tuple[str, str], list[list[float]]] = {}
    for parent in spans:
        kids = children.get(parent.span_id)
        # A call wraps its callee's span; a server span's own work is not time on the wire.
        if parent.kind == "server" or not kids or len(kids) != 1 or kids[0].service == parent.service:
            continue
        child = kids[0]
        k = int((child.start - start) // step)
        if 0 <= k < n:
            buckets = by_edge.setdefault((parent.service, child.service), [[] for _ in range(n)])
            buckets[k].append(max(0.0, parent.duration_ms - child.duration_ms))
    return {edge: ([statistics.median(b) if b else math.nan for b in buckets], [len(b) for b in buckets])
            for edge, buckets in by_edge.items()}


def edge_labels(metric: str) -> dict[str, str] | None:
    """The labels of a per-edge series name (`name{caller="a",callee="b",...}`), or None."""
    if "{" not in metric:
        return None
    labels = dict(_LABELS.findall(metric.split("{", 1)[1]))
    return labels if "caller" in labels and "callee" in labels else None


def gaps_from_edge_series(series: Sequence[tuple[dict[str, str], object]]) -> dict[tuple[str, str], tuple]:
    """(caller, callee) -> (start, step, values) from per-edge latency series: the caller's
    measure minus the callee's where both exist, else the caller's (or the only) one."""
    sides: dict[tuple[str, str], dict[str, object]] = defaultdict(dict)
    for labels, s in series:
        sides[(labels["caller"], labels["callee"])][labels.get("reporter", "source")] = s
    out = {}
    for edge, measured in sides.items():
        source, destination = measured.get("source"), measured.get("destination")
        if source is None:
            source, destination = destination or next(iter(measured.values())), None
        values = list(source.values)
        if destination is not None and destination.start == source.start and destination.step == source.step:
            values = [a - b if a == a and b == b else math.nan for a, b in zip(values, destination.values, strict=False)]
        out[edge] = (source.start, source.step, values)
    return out


def edge_changes(gaps: dict[tuple[str, str], tuple]) -> list[EdgeChange]:
    """Edges whose gap rose and stayed up: (start, step, values[, calls per bucket]) each."""
    found = []
    for (caller, callee), (start, step, values, *calls) in gaps.items():
        a = detect(GAP_METRIC, list(values), start, step)
        if a is None or a.direction != "up" or not a.persistent:
            continue
        if calls and sum(calls[0][int((a.onset - start) // step):]) < MIN_CALLS_AFTER:
            continue
        found.append(EdgeChange(caller, callee, a))
    return found


def blame(changes: Sequence[EdgeChange], edges: Iterable[tuple[str, str]]) -> dict[str, Anomaly]:
    """The fewest services that account for every edge whose gap grew, each with one anomaly
    whose score says how much of its traffic slowed down. Taken greedily: first the service at
    the end of the most grown edges (then of the largest share of its own edges), then for what
    is left. A caller whose calls to two services all slowed is where the delay is, not the two
    services that only it calls."""
    degree: dict[str, int] = defaultdict(int)
    for caller, callee in set(edges):
        degree[caller] += 1
        degree[callee] += 1
    grown: dict[str, int] = defaultdict(int)
    for c in changes:
        grown[c.caller] += 1
        grown[c.callee] += 1

    def share(service: str) -> float:
        return grown[service] / max(degree[service], grown[service])

    left = list(changes)
    out = {}
    while left:
        ends: dict[str, list[EdgeChange]] = defaultdict(list)
        for c in left:
            ends[c.caller].append(c)
            ends[c.callee].append(c)
        service, found = max(ends.items(), key=lambda kv: (len(kv[1]), share(kv[0]), kv[0]))
        # How clearly this end, rather than the other ends of the same edges, is the common one:
        # 1 when its share of grown edges is three times theirs, 0.5 when they are level.
        rival = max(share(c.callee if c.caller == service else c.caller) for c in found)
        clarity = min(1.0, 2.0 * share(service) / (share(service) + rival) - 0.5)
        strongest = max((c.anomaly for c in found), key=lambda a: a.score)
        out[service] = Anomaly(
            metric=GAP_METRIC, direction="up", onset=min(c.anomaly.onset for c in found), baseline=strongest.baseline,
            current=strongest.current, peak=strongest.peak, change_pct=strongest.change_pct, zscore=strongest.zscore,
            persistent=True, score=round(strongest.score * clarity, 4), kind="shift")
        left = [c for c in left if c not in found]
    return out
