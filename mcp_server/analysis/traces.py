"""Trace analysis: where failing requests fail, and where slow requests spend their time.

The *error origin* of a failed trace is its deepest failing span whose children all
succeeded. When that span is a client call nobody answered, the origin is decided by who is
failing: if several callers cannot reach the same peer, the peer is at fault; if one caller
cannot reach several peers (or the peer's other callers are fine), the caller is.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .log_templates import categorize


@dataclass(slots=True)
class TraceSummary:
    trace_id: str
    root_service: str
    root_operation: str
    start: float
    duration_ms: float
    error: bool
    span_count: int
    services: list[str]
    error_origin: str | None  # service
    error_message: str
    critical_path: list[str]  # services, root first
    slowest_service: str | None


@dataclass(slots=True)
class ServiceSpanStats:
    service: str
    spans: int = 0
    errors: int = 0
    self_ms: list[float] = field(default_factory=list)


def group_traces(spans: Iterable) -> dict[str, list]:
    traces: dict[str, list] = defaultdict(list)
    for s in spans:
        traces[s.trace_id].append(s)
    return traces


def _children(spans: Sequence) -> dict[str | None, list]:
    kids: dict[str | None, list] = defaultdict(list)
    for s in spans:
        kids[s.parent_id].append(s)
    return kids


def summarize(trace_spans: Sequence) -> TraceSummary:
    kids = _children(trace_spans)
    ids = {s.span_id for s in trace_spans}
    roots = [s for s in trace_spans if s.parent_id is None or s.parent_id not in ids]
    root = min(roots, key=lambda s: s.start)
    # Self time: own duration minus the time spent in children.
    self_ms = {}
    for s in trace_spans:
        self_ms[s.span_id] = max(0.0, s.duration_ms - sum(c.duration_ms for c in kids.get(s.span_id, ())))
    origin_span = _deepest_failure(root, kids) if root.error else None
    path = [root.service]
    node = root
    while kids.get(node.span_id):
        node = max(kids[node.span_id], key=lambda c: c.duration_ms)
        path.append(node.peer_service if node.kind == "client" and node.peer_service else node.service)
    slowest = max(trace_spans, key=lambda s: self_ms[s.span_id])
    services = sorted({s.service for s in trace_spans})
    return TraceSummary(
        trace_id=root.trace_id, root_service=root.service, root_operation=root.operation, start=root.start,
        duration_ms=root.duration_ms, error=root.error, span_count=len(trace_spans), services=services,
        error_origin=None if origin_span is None else (
            origin_span.peer_service if origin_span.kind == "client" and origin_span.peer_service
            else origin_span.service),
        error_message=origin_span.status_message if origin_span is not None else "",
        critical_path=path, slowest_service=slowest.service,
    )


def _deepest_failure(root, kids):
    """The span where the failure started. Follows failing children down; a span that failed
    because a callee was too slow (its `error.source` names the callee, whose own span
    succeeded) hands over to that callee and then to wherever the time went."""
    node = root
    while True:
        children = kids.get(node.span_id, ())
        failing = [c for c in children if c.error]
        if failing:
            node = min(failing, key=lambda c: c.start)
            continue
        source = node.attributes.get("error.source") if node.error else None
        slow = [c for c in children if c.service == source and c.kind != "client"] if source else []
        if not slow:
            return node
        return _latency_origin(max(slow, key=lambda c: c.duration_ms), kids)


def _latency_origin(node, kids):
    """Descend along the slowest child while it accounts for most of its parent's time."""
    while True:
        children = kids.get(node.span_id, ())
        if not children:
            return node
        slowest = max(children, key=lambda c: c.duration_ms)
        if slowest.duration_ms < 0.5 * node.duration_ms:
            return node
        node = slowest


@dataclass(slots=True)
class OriginVerdict:
    service: str
    traces: int
    via_unanswered_calls: int  # of those, decided from calls nobody answered
    example_message: str
    first_seen: float  # start of the earliest failing trace it originated
    # Of those calls, the most common side it was on ("caller": it reached nobody; "peer":
    # nobody reached it) and failure category (log_templates.categorize), if any.
    unanswered: tuple[str, str] | None = None


def attribute_origins(traces: dict[str, list]) -> tuple[list[OriginVerdict], dict[str, ServiceSpanStats]]:
    """Count error origins over many traces, resolving unanswered client calls to the side
    that is actually failing."""
    stats: dict[str, ServiceSpanStats] = {}
    unanswered: dict[tuple[str, str], int] = defaultdict(int)  # (caller, peer) -> failed calls
    answered: dict[tuple[str, str], int] = defaultdict(int)  # (caller, peer) -> answered calls
    origins: dict[str, list[tuple[float, str]]] = defaultdict(list)
    pending: list[tuple[str, str, float, str]] = []  # (caller, peer, time, message), unanswered
    for spans in traces.values():
        kids = _children(spans)
        root = None
        for s in spans:
            st = stats.get(s.service)
            if st is None:
                st = stats[s.service] = ServiceSpanStats(s.service)
            if s.kind != "client":  # work the service did (a client span is a call it made)
                children = kids.get(s.span_id, ())
                st.spans += 1
                st.errors += s.error
                st.self_ms.append(max(0.0, s.duration_ms - sum(c.duration_ms for c in children)))
                for c in children:
                    if c.kind != "client":
                        answered[(s.service, c.service)] += 1
            elif s.peer_service:
                unanswered[(s.service, s.peer_service)] += 1
            if s.parent_id is None and (root is None or s.start < root.start):
                root = s
        if root is None or not root.error:
            continue
        origin_span = _deepest_failure(root, kids)
        if origin_span.kind == "client" and origin_span.peer_service:
            pending.append((origin_span.service, origin_span.peer_service, root.start,
                            origin_span.status_message))
        else:
            origins[origin_span.service].append((root.start, origin_span.status_message))
    via_calls: dict[str, Counter] = defaultdict(Counter)
    blame = _Blame(unanswered, answered)
    for caller, peer, when, message in pending:
        category = categorize(message)
        blamed = blame(caller, peer, category)
        origins[blamed].append((when, message))
        via_calls[blamed][("peer" if blamed == peer else "caller", category)] += 1
    verdicts = [OriginVerdict(s, len(items), sum(via_calls[s].values()), min(items)[1][:200], min(items)[0],
                              max(via_calls[s], key=lambda k: (via_calls[s][k], k), default=None))
                for s, items in origins.items()]
    verdicts.sort(key=lambda v: (-v.traces, v.service))
    return verdicts, stats


class _Blame:
    """Is an unanswered call the caller's fault (it reaches nobody) or the peer's (nobody
    reaches it)?"""

    def __init__(self, unanswered: dict, answered: dict) -> None:
        self.failing_callers: dict[str, set[str]] = defaultdict(set)
        self.failing_peers: dict[str, set[str]] = defaultdict(set)
        self.callers: dict[str, set[str]] = defaultdict(set)
        self.answered = answered
        self.unanswered = unanswered
        for (c, p) in unanswered:
            self.failing_callers[p].add(c)
            self.failing_peers[c].add(p)
            self.callers[p].add(c)
        for (c, p) in answered:
            self.callers[p].add(c)
        self._memo: dict[tuple[str, str], str] = {}

    def __call__(self, caller: str, peer: str, category: str) -> str:
        key = (caller, peer, category)
        if key not in self._memo:
            self._memo[key] = self._decide(caller, peer, category)
        return self._memo[key]

    def _decide(self, caller: str, peer: str, category: str) -> str:
        if len(self.failing_callers[peer]) >= 2:
            return peer
        if len(self.failing_peers[caller]) >= 2:
            return caller
        if category == "auth":
            # A single client rejected by a server that serves everyone else: the client's
            # credentials are what changed.
            return caller
        # One caller, one peer: the caller is at fault only if others reach the peer fine.
        others_ok = any(
            self.answered.get((c, peer), 0) > self.unanswered.get((c, peer), 0)
            for c in self.callers[peer] if c != caller
        )
        return caller if others_ok else peer
