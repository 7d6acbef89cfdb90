"""Which signals of an imported Nezha case single out the root-cause service (docs/nezha.md).

    uv run aiops-mcp import nezha DAY.tar.xz --out cases/
    uv run python -m benchmarks.study_nezha cases/ [--cases]

For every case and signal, each service gets a score from the served files alone (before =
up to the injection, after = from it on); the table counts the cases in which the root-cause
service (from truth.json, used only to score) scores highest, and in the top 3, out of the
cases in which the root-cause service shows the signal at all. `--cases` prints one line per
case with the root-cause service's own before -> after values.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
from collections import defaultdict
from pathlib import Path

from mcp_server.analysis.log_templates import template_of
from telemetry.layout import load_directory
from telemetry.timefmt import parse_iso

SIGNALS = ("cpu", "memory", "latency_p90", "request_rate", "edge_p50", "span_self", "call_gap", "trace_count",
           "new_errors", "vanished_logs", "log_volume")
_LABEL = re.compile(r'(\w+)="([^"]*)"')


def _split(series, inject: float) -> tuple[list[float], list[float]]:
    before, after = [], []
    for i, v in enumerate(series.values):
        if not math.isnan(v):
            (before if series.time_at(i) <= inject else after).append(v)
    return before, after


def _rise(before, after) -> float | None:
    return max(after) - statistics.median(before) if before and after else None


def _ratio(before, after) -> float | None:
    if not before or not after:
        return None
    return (max(after) + 1e-3) / (statistics.median(before) + 1e-3)


def _metric_scores(store, inject: float, metric: str, score) -> dict[str, tuple[float, str]]:
    start, end = store.time_range()
    out = {}
    for service, series in store.metrics_by_service([metric], start, end)[metric].items():
        before, after = _split(series, inject)
        value = score(before, after)
        if value is not None:
            out[service] = (value, f"{statistics.median(before):.4g} -> {max(after):.4g}")
    return out


def _edge_scores(store, inject: float) -> dict[str, tuple[float, str]]:
    """Per service, the largest rise of the median latency of an edge it is an end of."""
    start, end = store.time_range()
    out: dict[str, tuple[float, str]] = {}
    for name in store.metric_names():
        if not name.startswith("edge_latency_p50_ms{"):
            continue
        labels = dict(_LABEL.findall(name))
        for series in store.metrics_by_service([name], start, end)[name].values():
            before, after = _split(series, inject)
            value = _ratio(before, after)
            if value is None:
                continue
            text = f"{labels['caller']}->{labels['callee']} ({labels['reporter']}) " \
                   f"{statistics.median(before):.4g} -> {max(after):.4g} ms"
            for service in (labels["caller"], labels["callee"]):
                if value > out.get(service, (0.0, ""))[0]:
                    out[service] = (value, text)
    return out


def _quantile_ratio(before: list[float], after: list[float]) -> tuple[float, str] | None:
    if len(before) < 5 or len(after) < 5:
        return None
    b, a = statistics.median(before), statistics.median(after)
    return (a + 1e-3) / (b + 1e-3), f"{b:.4g} -> {a:.4g} ms"


def _per_minute_change(before: float, after: float, minutes_before: float, minutes_after: float
                       ) -> tuple[float, str]:
    rate_before, rate_after = before / minutes_before, after / minutes_after
    return abs(math.log((rate_after + 1) / (rate_before + 1))), f"{rate_before:.1f} -> {rate_after:.1f}/min"


def _span_scores(store, inject: float) -> tuple[dict, dict, dict]:
    """Median self time of each service's spans; the median time a caller spends on a call
    outside the callee's own span (network, queues), attributed to the callee; the change in
    the number of traces a minute that reach the service."""
    spans = store.span_records
    first, end = spans[0].start, store.time_range()[1]
    traces = defaultdict(lambda: (set(), set()))
    by_id = {(s.trace_id, s.span_id): s for s in spans}
    children = defaultdict(float)
    for s in spans:
        if s.parent_id:
            children[(s.trace_id, s.parent_id)] += s.duration_ms
    own, gap = defaultdict(lambda: ([], [])), defaultdict(lambda: ([], []))
    for s in spans:
        phase = int(s.start >= inject)
        traces[s.service][phase].add(s.trace_id)
        own[s.service][phase].append(max(0.0, s.duration_ms - children[(s.trace_id, s.span_id)]))
        parent = by_id.get((s.trace_id, s.parent_id)) if s.parent_id else None
        if parent is not None and parent.service != s.service:
            gap[s.service][phase].append(max(0.0, parent.duration_ms - s.duration_ms))
    minutes_before, minutes_after = max(1e-9, (inject - first) / 60), max(1e-9, (end - inject) / 60)
    return ({k: r for k, v in own.items() if (r := _quantile_ratio(*v))},
            {k: r for k, v in gap.items() if (r := _quantile_ratio(*v))},
            {k: _per_minute_change(len(b), len(a), minutes_before, minutes_after) for k, (b, a) in traces.items()})


def _log_scores(store, inject: float) -> tuple[dict, dict, dict]:
    """New problem templates after the injection; log statements (level, logger, template)
    that went quiet; the change of log volume."""
    logs = store.log_records
    first, end = logs[0].time, store.time_range()[1]
    minutes_before, minutes_after = max(1e-9, (inject - first) / 60), max(1e-9, (end - inject) / 60)
    seen, new = defaultdict(set), defaultdict(lambda: defaultdict(int))
    streams = defaultdict(lambda: [0, 0])
    volume = defaultdict(lambda: [0, 0])
    for r in logs:
        after = r.time >= inject
        template = template_of(r.message)
        volume[r.service][after] += 1
        streams[(r.service, r.level, r.logger, template)][after] += 1
        if r.level in ("WARN", "ERROR", "FATAL"):
            if not after:
                seen[r.service].add(template)
            elif template not in seen[r.service]:
                new[r.service][f"{r.level} {template[:90]}"] += 1
    new_scores = {s: (float(sum(t.values())), max(t, key=t.get)) for s, t in new.items()}
    quiet: dict[str, list] = defaultdict(lambda: [0.0, ""])
    for (service, level, logger, template), (b, a) in streams.items():
        rate_before, rate_after = b / minutes_before, a / minutes_after
        if rate_before >= 2 and rate_after <= 0.2 * rate_before:
            quiet[service][0] += rate_before - rate_after
            quiet[service][1] = f"{logger or template[:60]} {rate_before:.1f} -> {rate_after:.1f}/min"
    volume_scores = {s: _per_minute_change(b, a, minutes_before, minutes_after) for s, (b, a) in volume.items()}
    return new_scores, {s: tuple(v) for s, v in quiet.items()}, volume_scores


def study_case(path: Path) -> dict:
    truth = json.loads((path / "truth.json").read_text())
    store = load_directory(path)
    inject = parse_iso(truth["inject_time"])
    scores = {
        "cpu": _metric_scores(store, inject, "cpu_percent", _rise),
        "memory": _metric_scores(store, inject, "memory_percent", _rise),
        "latency_p90": _metric_scores(store, inject, "latency_p90_ms", _ratio),
        "request_rate": {s: (abs(math.log(v)), text) for s, (v, text)
                         in _metric_scores(store, inject, "request_rate", _ratio).items()},
        "edge_p50": _edge_scores(store, inject),
    }
    if store.span_records:
        scores["span_self"], scores["call_gap"], scores["trace_count"] = _span_scores(store, inject)
    if store.log_records:
        scores["new_errors"], scores["vanished_logs"], scores["log_volume"] = _log_scores(store, inject)
    root = truth["root_cause_service"]
    ranks = {}
    for signal, by_service in scores.items():
        mine = by_service.get(root)
        neutral = 1.0 if signal in ("latency_p90", "edge_p50", "span_self", "call_gap") else 0.0
        if mine is None or mine[0] <= neutral:
            continue
        ranks[signal] = (1 + sum(v > mine[0] for v, _ in by_service.values()), mine[1])
    return {"case": path.name, "system": truth["system"], "fault": truth["fault_type"], "root": root,
            "ranks": ranks}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="+", type=Path, help="directories of imported cases")
    parser.add_argument("--cases", dest="per_case", action="store_true", help="one line per case as well")
    args = parser.parse_args(argv)
    paths = sorted(p for d in args.cases for p in d.iterdir() if (p / "truth.json").is_file())
    results = [study_case(p) for p in paths]
    groups = defaultdict(list)
    for r in results:
        groups[(r["system"], r["fault"])].append(r)
    print(f"{'system / fault (cases)':<36}" + "".join(f"{s:>14}" for s in SIGNALS))
    for (system, fault), rows in sorted(groups.items()):
        cells = []
        for signal in SIGNALS:
            ranks = [r["ranks"][signal][0] for r in rows if signal in r["ranks"]]
            cells.append(f"{sum(x == 1 for x in ranks)}/{sum(x <= 3 for x in ranks)}/{len(ranks)}" if ranks else "-")
        print(f"{system + ' / ' + fault + f' ({len(rows)})':<36}" + "".join(f"{c:>14}" for c in cells))
    print("cells: cases where the root cause ranks 1st / in the top 3 / shows the signal at all")
    if args.per_case:
        for r in results:
            print(f"\n{r['case']} {r['system']} {r['fault']} {r['root']}")
            for signal, (rank, text) in r["ranks"].items():
                print(f"    {signal:<14} rank {rank:<3} {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
