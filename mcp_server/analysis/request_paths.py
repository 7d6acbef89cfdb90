"""Requests that left the path they take in normal operation.

A *request* is one entry into a service (a span whose parent ran elsewhere) with the service's
spans under it and the lines it logged in them. In normal operation a kind of request runs the
same code every time, so its events come together: whoever runs A also logs B. Such rules are
learned from the requests of a reference period (the same system working normally), after
the mining of invariants from console logs (Lou et al., USENIX ATC 2010). In the window, a
request with A but without B has left its path: the code returned or threw between the two
(a *missing step*), unless it took another path the reference knows (a branch). An error
statement that requests with A did not log in the reference is the same break seen from its
other side (a *new error*), unless the error names another service as its cause.

What belongs to the normal path: log statements below WARN (the developer's own word), and
spans that ran in a reference request that logged no warning or error. What went wrong
elsewhere: a request may break because a service it called broke first, so a break is the
service's own only when no service below it in that trace broke too, or failed there with
errors naming another (the deepest break of a trace is where it went wrong, as its deepest
failing span would be).

Each rule is tested where the window's requests changed: the reference's requests and the
window's before a split are one sample, the window's from the split on the other, and the
split is the one chance explains least (Fisher's exact test). A service's break is believed
when its chance, times the number of its rules tested, stays under SIGNIFICANCE. Without a
reference, the window's own first part is one, cut at a few points (WITHIN_CUTS), for missing
steps only: a fault that began before the window then looks normal.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from telemetry.records import ERROR_LEVELS, LogRecord, Span

from .anomalies import Anomaly
from .log_templates import TemplateCache
from .metric_kinds import kind_of

METRIC = "requests_off_path"  # the anomalies this module reports
PROBLEM_LEVELS = frozenset({"WARN", *ERROR_LEVELS})
MIN_SUPPORT = 5  # reference requests a rule is learned from
CONFIDENCE = 0.9  # share of them that must follow it
MIN_BREAKS = 3  # window requests that must break it...
MIN_BROKEN_SHARE = 0.5  # ... and this share of those from the split on: a fault breaks most of them
SIGNIFICANCE = 1e-3  # for a service, over all of its rules tested
WITHIN_CUTS = (0.25, 0.4, 0.55, 0.7)  # without a reference: where the window's requests are cut
EDGE_SECONDS = 5.0  # requests this close to a window's edges may be cut short: not judged
MAX_REQUESTS = 5_000  # the newest requests per service that are judged (and learned from)
DESCRIBED_CHARS = 40  # of an event's text in a description
# A logger that names a line of code (Java `Class#42`, Python `module:42`) is one statement.
_CODE_LINE = re.compile(r"[#:]\d+$")


@dataclass(frozen=True, slots=True, eq=False)
class Request:
    service: str
    trace_id: str
    start: float
    end: float
    events: frozenset[str]
    failed: bool  # it logged a warning or an error, or one of its spans failed
    below: frozenset[str]  # the services its spans called, however indirectly
    blaming: frozenset[str] = frozenset()  # its error events whose lines name another service


@dataclass(frozen=True, slots=True)
class PathBreak:
    service: str
    kind: str  # "missing_step" | "new_error"
    rule: tuple[str, str]  # (what the requests have, what they lack or newly log)
    before: tuple[int, int]  # (breaking, all) requests with the rule's first event before the split
    after: tuple[int, int]  # the same from the split on (the reference counts as before)
    p: float
    onset: float  # the first break


def as_anomaly(found: PathBreak) -> Anomaly:
    """A break as an anomaly of the share of its kind of request that broke (`requests_off_path`),
    scored by how unlikely chance makes it."""
    (before_b, before_n), (after_b, after_n) = found.before, found.after
    first, second = found.rule
    detail = (f"{after_b}/{after_n} requests that {describe(first)} "
              + (f"did not {describe(second, past=False)}" if found.kind == "missing_step" else describe(second))
              + f" (normally {before_b}/{before_n})")
    evidence = -math.log10(max(found.p, 1e-300))
    share = round(after_b / after_n, 4)
    return Anomaly(metric=METRIC, direction="up", onset=found.onset, baseline=round(before_b / before_n, 4),
                   current=share, peak=share, change_pct=None, zscore=round(evidence, 2), persistent=True,
                   score=round((0.4 + 0.6 * min(1.0, evidence / 12.0)) * kind_of(METRIC).weight, 4), kind="shift",
                   detail=detail)


def statement(record: LogRecord, cache: TemplateCache) -> str:
    """The event of a log line: its level and statement (its logger where that names a line of
    code, else its logger and the line's template)."""
    logger = record.logger or ""
    if _CODE_LINE.search(logger):
        return f"log {record.level} {logger}"
    return f"log {record.level} {logger} {cache.lookup(record.message)[0]}".replace("  ", " ").rstrip()


def describe(event: str, past: bool = True) -> str:
    """An event as words: "ran X" / "run X", "logged INFO c.s.Impl#34" / "log INFO ...", its
    text cut to DESCRIBED_CHARS."""
    kind, _, rest = event.partition(" ")
    verb = {"span": ("ran", "run"), "log": ("logged", "log")}[kind][0 if past else 1]
    return f"{verb} {rest if len(rest) <= DESCRIBED_CHARS else rest[:DESCRIBED_CHARS - 1] + '…'}"


def is_problem_event(event: str) -> bool:
    return event.startswith("log ") and event.split(" ", 2)[1] in PROBLEM_LEVELS


def is_error_event(event: str) -> bool:
    return event.startswith("log ") and event.split(" ", 2)[1] in ERROR_LEVELS


def requests_of(logs: Iterable[LogRecord], spans: Sequence[Span], cache: TemplateCache | None = None,
                blames_another: Callable[[LogRecord], bool] | None = None) -> dict[str, list[Request]]:
    """Per service, its requests, oldest first (see the module's notes). Lines outside any
    known span are grouped by trace; lines without a trace id belong to no request.
    `blames_another(line)` says whether an error line names another service as its cause."""
    cache = cache or TemplateCache()
    found: dict[tuple[str, str], _Draft] = {}
    of_span = _entries(spans, found)
    for r in logs:
        if not r.trace_id:
            continue
        key = of_span.get((r.trace_id, r.span_id or "")) or (r.service, f"trace {r.trace_id}")
        draft = found.get(key)
        if draft is None:
            draft = found[key] = _Draft(r.service, r.trace_id, r.time, r.time)
        event = statement(r, cache)
        draft.events.add(event)
        draft.start, draft.end = min(draft.start, r.time), max(draft.end, r.time)
        if r.level in PROBLEM_LEVELS:
            draft.failed = True
            if r.level in ERROR_LEVELS and blames_another is not None and blames_another(r):
                draft.blaming.add(event)
    out: dict[str, list[Request]] = defaultdict(list)
    for d in found.values():
        out[d.service].append(Request(d.service, d.trace_id, d.start, d.end, frozenset(d.events), d.failed,
                                      frozenset(d.below), frozenset(d.blaming)))
    for requests in out.values():
        requests.sort(key=lambda q: (q.start, q.trace_id))
        del requests[:-MAX_REQUESTS]
    return dict(out)


@dataclass(slots=True)
class _Draft:
    service: str
    trace_id: str
    start: float
    end: float
    events: set[str] = field(default_factory=set)
    failed: bool = False
    below: set[str] = field(default_factory=set)
    blaming: set[str] = field(default_factory=set)


def _entries(spans: Sequence[Span], found: dict[tuple[str, str], _Draft]) -> dict[tuple[str, str], tuple[str, str]]:
    """Fills `found` with a draft request per entry span; returns (trace, span) -> its request."""
    by_id = {(s.trace_id, s.span_id): s for s in spans}
    children: dict[tuple[str, str], list[Span]] = defaultdict(list)
    for s in spans:
        if s.parent_id:
            children[s.trace_id, s.parent_id].append(s)
    of_span: dict[tuple[str, str], tuple[str, str]] = {}
    for s in spans:
        parent = by_id.get((s.trace_id, s.parent_id)) if s.parent_id else None
        if parent is not None and parent.service == s.service:
            continue  # not an entry into the service
        key = (s.service, f"{s.trace_id}/{s.span_id}")
        draft = found[key] = _Draft(s.service, s.trace_id, s.start, s.start + s.duration_ms / 1000.0)
        stack = [(s, True)]
        while stack:
            span, own = stack.pop()
            own = own and span.service == s.service  # still the service's own part of the request
            if own:
                of_span[span.trace_id, span.span_id] = key
                draft.events.add(f"span {span.operation}")
                draft.end = max(draft.end, span.start + span.duration_ms / 1000.0)
                draft.failed = draft.failed or span.error
            elif span.service != s.service:
                draft.below.add(span.service)
            stack.extend((c, own) for c in children.get((span.trace_id, span.span_id), ()))
    return of_span


def judged(requests: Sequence[Request], start: float, end: float) -> list[Request]:
    """The requests of a window that lie whole inside it (those at its edges may be cut)."""
    return [q for q in requests if q.start >= start + EDGE_SECONDS and q.end <= end - EDGE_SECONDS]


def path_breaks(reference: dict[str, list[Request]], window: dict[str, list[Request]]) -> dict[str, PathBreak]:
    """Per service, its own strongest break in the window (see the module's notes). Both
    arguments are `requests_of` results, already cut to their windows (`judged`)."""
    def judge(service: str, requests: Sequence[Request], rules=None) -> list[tuple[PathBreak, list[Request]]]:
        normal = reference.get(service)
        return _rule_breaks(normal, requests, rules) if normal else _within(requests)

    found: dict[str, list[tuple[PathBreak, list[Request]]]] = {}
    for service, requests in window.items():
        breaks = judge(service, requests)
        if breaks:
            found[service] = breaks
    # trace -> services that broke in it, or failed there blaming another service
    broke_in: dict[str, set[str]] = defaultdict(set)
    for service, breaks in found.items():
        for _, broken in breaks:
            for q in broken:
                broke_in[q.trace_id].add(service)
    for service, requests in window.items():
        for q in requests:
            if q.blaming:
                broke_in[q.trace_id].add(service)
    out: dict[str, PathBreak] = {}
    for service, breaks in found.items():
        explained = {q for _, broken in breaks for q in broken if q.below & broke_in[q.trace_id]}
        if explained:
            own = [q for q in window[service] if q not in explained]
            breaks = judge(service, own, [b.rule for b, _ in breaks])
        if breaks:
            out[service] = min((b for b, _ in breaks), key=lambda b: (b.p, b.onset, b.rule))
    return out


def _rule_breaks(reference: Sequence[Request], window: Sequence[Request],
                 rules: Sequence[tuple[str, str]] | None = None, tests: int = 1
                 ) -> list[tuple[PathBreak, list[Request]]]:
    """The significant breaks of the rules the reference supports (or of `rules`), each with
    the window's requests that broke it from its split on; `tests`: how many times the caller
    asks (a factor on each chance)."""
    if not reference or not window:
        return []
    ref = _masks(reference)
    win = _masks(window)
    path = _normal_path(reference)
    blamed = _masks(window, blaming=True)
    blaming = sum(1 << i for i, q in enumerate(window) if q.blaming)  # their errors name another service
    tested = []
    for a, b in rules if rules is not None else _learned(ref, win, path):
        has_a, win_a = ref.get(a, 0), win.get(a, 0)
        followers = has_a & ref.get(b, 0)
        if is_error_event(b):
            ref_broken = followers.bit_count()
            broken = win_a & win.get(b, 0) & ~blamed.get(b, 0)
        else:
            ref_broken = has_a.bit_count() - followers.bit_count()
            broken = win_a & ~win.get(b, 0) & ~blaming
            broken &= ~_on_other_paths(reference, followers, window, broken, path)
        if broken.bit_count() < MIN_BREAKS:
            continue
        indices = [i for i in range(len(window)) if win_a >> i & 1]
        flags = [bool(broken >> i & 1) for i in indices]
        best = _best_split(ref_broken, has_a.bit_count(), flags)
        if best is not None:
            tested.append(((a, b), indices, flags, best))
    # Rules whose first events always come together test the same thing: count each test once.
    distinct = len({(tuple(i for i, f in zip(indices, flags) if f), best[2]) for _, indices, flags, best in tested})
    out = []
    for (a, b), indices, flags, (split, p, before, after) in tested:
        if p * distinct * tests >= SIGNIFICANCE:
            continue
        breaking = [window[i] for i, flag in zip(indices[split:], flags[split:], strict=True) if flag]
        out.append((PathBreak(window[0].service, "new_error" if is_error_event(b) else "missing_step", (a, b),
                              before, after, p, breaking[0].start), breaking))
    return out


def _within(window: Sequence[Request]) -> list[tuple[PathBreak, list[Request]]]:
    """Without a reference, the window's own earlier requests are the normal ones: cut at a few
    points of the window, the strongest missing steps after a cut (each chance counted once per
    cut). New errors inside a window are what the log analysis reads already (error lines per
    minute, templates not seen before); a step that went missing only request paths show."""
    if len(window) < 2 * MIN_SUPPORT:
        return []
    first, last = window[0].start, window[-1].start
    best: list[tuple[PathBreak, list[Request]]] = []
    for share in WITHIN_CUTS:
        cut = first + share * (last - first)
        before, after = [q for q in window if q.start < cut], [q for q in window if q.start >= cut]
        found = [(b, broken) for b, broken in _rule_breaks(before, after, tests=len(WITHIN_CUTS))
                 if b.kind == "missing_step"]
        if found and (not best or min(b.p for b, _ in found) < min(b.p for b, _ in best)):
            best = found
    return best


def _normal_path(reference: Sequence[Request]) -> set[str]:
    """Events of the normal path: log statements below WARN, and spans that ran in a request
    that logged no warning or error."""
    path = set()
    for q in reference:
        for event in q.events:
            if event.startswith("log ") and not is_problem_event(event):
                path.add(event)
            elif event.startswith("span ") and not q.failed:
                path.add(event)
    return path


def _learned(ref: dict[str, int], win: dict[str, int], path: set[str]) -> list[tuple[str, str]]:
    """Rules worth testing: followed by the reference's requests with their first event (missing
    steps) or never seen with it there (new errors), each broken often enough in the window."""
    rules = []
    for a, mask in ref.items():
        support = mask.bit_count()
        win_a = win.get(a, 0)
        if support < MIN_SUPPORT or not win_a or a not in path:
            continue
        for b in path:
            if b != a and (mask & ref.get(b, 0)).bit_count() >= CONFIDENCE * support \
                    and (win_a & ~win.get(b, 0)).bit_count() >= MIN_BREAKS:
                rules.append((a, b))
        for e, other in win.items():
            if is_error_event(e) and (win_a & other).bit_count() >= MIN_BREAKS \
                    and (mask & ref.get(e, 0)).bit_count() <= (1.0 - CONFIDENCE) * support:
                rules.append((a, e))
    return sorted(rules)


def _on_other_paths(reference: Sequence[Request], followers: int, window: Sequence[Request], lacking: int,
                    path: set[str]) -> int:
    """Of the window's requests in `lacking` (a bit mask), those that took another path known
    from normal operation: they did something on the normal path that the reference's
    `followers` of the rule never did. A request cut short by a fault only lacks events."""
    usual: set[str] = set()
    for i, q in enumerate(reference):
        if followers >> i & 1:
            usual |= q.events
    other = 0
    for i, q in enumerate(window):
        if lacking >> i & 1 and any(e not in usual and e in path for e in q.events):
            other |= 1 << i
    return other


def _masks(requests: Sequence[Request], blaming: bool = False) -> dict[str, int]:
    """Event -> bit mask of the requests (by position) that have it (or, `blaming`, whose lines
    of that event named another service)."""
    masks: dict[str, int] = defaultdict(int)
    for i, q in enumerate(requests):
        bit = 1 << i
        for event in q.blaming if blaming else q.events:
            masks[event] |= bit
    return masks


def _best_split(ref_broken: int, ref_total: int, flags: Sequence[bool]
                ) -> tuple[int, float, tuple[int, int], tuple[int, int]] | None:
    """(split, p, (broken, all) before it, (broken, all) from it on) for the split of the
    window's requests (in time order; True: broke) that chance explains least, or None. A split
    is tried where a break begins the rest, if most of the rest broke."""
    total_broken = sum(flags)
    best = None
    broken_before = 0
    for i, flag in enumerate(flags):
        if flag:
            after_n, after_b = len(flags) - i, total_broken - broken_before
            before_n, before_b = ref_total + i, ref_broken + broken_before
            if after_b >= max(MIN_BREAKS, MIN_BROKEN_SHARE * after_n) and after_b * before_n > before_b * after_n:
                p = _fisher_greater(before_b, before_n, after_b, after_n)
                if best is None or p < best[1]:
                    best = (i, p, (before_b, before_n), (after_b, after_n))
            broken_before += 1
    return best


def _fisher_greater(b1: int, n1: int, b2: int, n2: int) -> float:
    """One-sided Fisher's exact test: the chance that the second sample holds at least `b2`
    of the breaks if both samples broke alike."""
    total, breaks = n1 + n2, b1 + b2
    log_all = _log_comb(total, breaks)
    p = 0.0
    for x in range(b2, min(breaks, n2) + 1):
        p += math.exp(_log_comb(n2, x) + _log_comb(n1, breaks - x) - log_all)
    return min(1.0, p)


def _log_comb(n: int, k: int) -> float:
    if k < 0 or k > n:
        return -math.inf
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
