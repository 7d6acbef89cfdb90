"""What a service's log lines say over time, beyond their text: more errors than before, and
log statements that stopped.

Logs cover whatever stretch the backend kept, not always the whole window; lines are counted
over that stretch in buckets. Counts of a few lines a minute are Poisson noise, not a smooth
metric, so a change is believed when the lines after it would be very unlikely had the rate
before it continued (every statement of every service is tested: the bar is high). A
*statement* is one line of code that logs: its logger (class and line, where the logger
says) and its template.

A statement that logged steadily and stopped, while the rest of its service went on logging,
marks a code path that no longer runs to that point: the request now fails (or returns) before
it. When a whole service falls quiet that is less traffic, not a broken path; when a warning or
an error stops, a failure ended.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Sequence

from telemetry.records import ERROR_LEVELS

from .anomalies import Anomaly
from .log_templates import TemplateCache
from .metric_kinds import kind_of

ERROR_RATE_METRIC = "error_log_rate"  # ERROR and FATAL lines per minute
STOPPED_METRIC = "log_statement_rate"  # one statement's lines per minute
BUCKETS = 30
MIN_BUCKET_SECONDS = 10.0
MIN_SIDE = 2  # buckets on each side of a change
REST_MUST_KEEP = 0.5  # the rest of the service logs at least this share of its former rate
SIGNIFICANCE = 1e-4  # chance must explain the change less often than this
MIN_SHARED_TRACES = 3  # traces a statement must have logged in to know its companions
COMPANION_SHARE = 0.5  # a companion logged in at least this share of those traces
UNCORROBORATED = 0.5  # weight of a stopped statement whose companions are unknown
COMPLAINT_LEVELS = frozenset({"WARN", *ERROR_LEVELS})


def buckets_of(records: Sequence) -> tuple[float, float, int] | None:
    """(start, bucket seconds, count) covering the records' own stretch."""
    if len(records) < 2:
        return None
    first, last = records[0].time, records[-1].time
    step = max(MIN_BUCKET_SECONDS, (last - first) / BUCKETS)
    return first, step, max(1, math.ceil((last - first) / step))


def error_rates(records: Sequence, span: tuple[float, float, int]) -> dict[str, Anomaly]:
    """Services whose error lines per minute rose."""
    start, step, n = span
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * n)
    for r in records:
        if r.level in ERROR_LEVELS:
            counts[r.service][min(n - 1, int((r.time - start) // step))] += 1
    found = {}
    for service, values in counts.items():
        a = count_change(ERROR_RATE_METRIC, values, start, step, rise=True)
        if a is not None:
            found[service] = _ended(a, values, start, step)
    return found


def _ended(a: Anomaly, counts: Sequence[int], start: float, step: float) -> Anomaly:
    """The rise, or the episode it was: if the lines have since fallen back to about the rate
    before it (the most likely second split, believed on the same terms), it ended there."""
    k, n = round((a.onset - start) / step), len(counts)
    best: tuple[float, int] | None = None
    for m in range(k + MIN_SIDE, n - MIN_SIDE + 1):
        during, after = sum(counts[k:m]), sum(counts[m:])
        gain = _log_likelihood(during, m - k) + _log_likelihood(after, n - m) - _log_likelihood(during + after, n - k)
        if after / (n - m) < during / (m - k) and (best is None or gain > best[0]):
            best = (gain, m)
    if best is None:
        return a
    m = best[1]
    during, after = sum(counts[k:m]) / (m - k), sum(counts[m:])
    per_minute = 60.0 / step
    rate_during, rate_after = during * per_minute, after / (n - m) * per_minute
    back = rate_after - a.baseline < max(kind_of(a.metric).abs_floor, 0.5 * (rate_during - a.baseline))
    if not back or _at_most(after, during * (n - m)) >= SIGNIFICANCE:
        return a
    return dataclasses.replace(a, current=rate_after, peak=rate_during, persistent=False, ended=start + m * step)


def stopped_statements(records: Sequence, span: tuple[float, float, int],
                       cache: TemplateCache | None = None) -> dict[str, Anomaly]:
    """Per service, the strongest statement that stopped while the requests that used to
    reach it still arrive: the statements that logged in the same traces before (its
    companions) go on logging. Where lines carry no trace ids, the rest of the service going
    on logging has to do, and counts for less. A statement that stopped together with its
    companions only shows that its kind of request stopped coming."""
    start, step, n = span
    cache = cache or TemplateCache()
    per_statement: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0] * n)
    totals: dict[str, list[int]] = defaultdict(lambda: [0] * n)
    traces: dict[tuple[str, str, str], list[tuple[int, str]]] = defaultdict(list)
    complaints: dict[tuple[str, str, str], int] = defaultdict(int)
    for r in records:
        k = min(n - 1, int((r.time - start) // step))
        template, _ = cache.lookup(r.message)
        statement = (r.service, r.logger or "", template)
        per_statement[statement][k] += 1
        complaints[statement] += r.level in COMPLAINT_LEVELS
        totals[r.service][k] += 1
        if r.trace_id:
            traces[statement].append((k, r.trace_id))
    found: dict[str, Anomaly] = {}
    for statement, counts in per_statement.items():
        if complaints[statement] > 0.5 * sum(counts):
            continue  # a warning or an error that stopped is a failure that ended, not a path that broke
        a = count_change(STOPPED_METRIC, counts, start, step, rise=False)
        if a is None:
            continue
        service = statement[0]
        k = round((a.onset - start) / step)
        companions = _companions(statement, k, traces)
        if companions:
            kept = [_kept(per_statement[c], k) for c in companions]
            if max(kept) < REST_MUST_KEEP:
                continue  # its requests stopped coming: less traffic of that kind, not a broken path
        else:
            rest = [t - c for t, c in zip(totals[service], counts, strict=True)]
            if _kept(rest, k) < REST_MUST_KEEP:
                continue  # the whole service fell quiet
            a = dataclasses.replace(a, score=round(a.score * UNCORROBORATED, 4))
        if service not in found or a.score > found[service].score:
            found[service] = a
    return found


def _companions(statement: tuple, k: int, traces: dict) -> list[tuple]:
    """Statements of the same service that logged in most of the traces that reached
    `statement` before bucket `k`."""
    before = {t for bucket, t in traces.get(statement, ()) if bucket < k}
    if len(before) < MIN_SHARED_TRACES:
        return []
    shared: dict[tuple, set[str]] = defaultdict(set)
    for other, seen in traces.items():
        if other != statement and other[0] == statement[0]:
            for bucket, t in seen:
                if bucket < k and t in before:
                    shared[other].add(t)
    return [other for other, ts in shared.items() if len(ts) >= COMPANION_SHARE * len(before)]


def _kept(counts: Sequence[int], k: int) -> float:
    """The rate after bucket `k` as a share of the rate before it."""
    before = sum(counts[:k]) / k if k else 0.0
    return (sum(counts[k:]) / (len(counts) - k)) / before if before and len(counts) > k else 0.0


def count_change(metric: str, counts: Sequence[int], start: float, step: float, rise: bool) -> Anomaly | None:
    """The lasting change of a count series in the given direction, as an anomaly in lines
    per minute, or None: the most likely split into two Poisson rates, believed if its lines
    after would be very unlikely at the rate before. Before a rise at least one line in the
    whole stretch is assumed: a service quiet for a minute may still log errors now and then."""
    n = len(counts)
    kind = kind_of(metric)
    per_minute = 60.0 / step
    total = sum(counts)
    best: tuple[float, int] | None = None
    for k in range(MIN_SIDE, n - MIN_SIDE + 1):
        before, after = sum(counts[:k]), total - sum(counts[:k])
        if (after / (n - k) > before / k) != rise:
            continue
        gain = _log_likelihood(before, k) + _log_likelihood(after, n - k) - _log_likelihood(total, n)
        if best is None or gain > best[0]:
            best = (gain, k)
    if best is None:
        return None
    k = best[1]
    before, after = sum(counts[:k]), sum(counts[k:])
    rate_before, rate_after = before / k * per_minute, after / (n - k) * per_minute
    change = (rate_after - rate_before) if rise else (rate_before - rate_after)
    if change < kind.abs_floor or change < kind.rel_floor * (rate_after if rise else rate_before):
        return None
    expected = max(before, 1 if rise else 0) / k * (n - k)
    p = _at_least(after, expected) if rise else _at_most(after, expected)
    if p >= SIGNIFICANCE:
        return None
    strength = min(1.0, -math.log10(max(p, 1e-300)) / 12.0)
    return Anomaly(metric=metric, direction="up" if rise else "down", onset=start + k * step, baseline=rate_before,
                   current=rate_after, peak=rate_after,
                   change_pct=round(100.0 * (rate_after - rate_before) / rate_before, 1) if rate_before else None,
                   zscore=round(-math.log10(max(p, 1e-300)), 2), persistent=True,
                   score=round((0.4 + 0.6 * strength) * kind.weight, 4), kind="shift")


def _log_likelihood(count: int, buckets: int) -> float:
    """Of `count` lines in `buckets` buckets at their own best Poisson rate (constants dropped)."""
    return count * math.log(count / buckets) if count else 0.0


def _at_most(k: int, mean: float) -> float:
    """P(X <= k) for a Poisson count of the given mean."""
    term = total = math.exp(-mean)
    for i in range(1, k + 1):
        term *= mean / i
        total += term
    return min(1.0, total)


def _at_least(k: int, mean: float) -> float:
    return 1.0 if k <= 0 else max(0.0, 1.0 - _at_most(k - 1, mean))
