"""How much telemetry a spec would generate, estimated from the spec alone, so that a scenario
too large for memory is refused before its generation starts (by the CLIs, the server and
`load_scenario` alike: every spec is checked when it is parsed)."""

from __future__ import annotations

from dataclasses import dataclass

from .metric_catalogue import METRIC_NAMES

MAX_SCENARIO_BYTES = 2 * 1024**3
# Memory per record while a scenario is generated and served, rounded up from the large
# benchmark scenario (benchmarks/bench_simulator.py); a metric sample also pays for the
# simulated timeline behind it.
BYTES_PER_SAMPLE = 56
BYTES_PER_LOG_LINE = 260
BYTES_PER_SPAN = 400
# Log lines beyond the background chatter: request lines of failing spans, events.
CHATTER_MARGIN, LOG_LINES_PER_SPAN = 1.25, 0.3
PATHS_CAP = 1e15  # a dense graph has exponentially many paths; far past any budget, the count stops


@dataclass(frozen=True)
class Volume:
    metric_samples: int
    log_lines: int
    spans: int

    @property
    def bytes(self) -> int:
        return (self.metric_samples * BYTES_PER_SAMPLE + self.log_lines * BYTES_PER_LOG_LINE
                + self.spans * BYTES_PER_SPAN)

    def describe(self) -> str:
        return (f"about {_count(self.metric_samples)} metric samples, {_count(self.log_lines)} log lines and "
                f"{_count(self.spans)} spans (~{self.bytes / 1024**3:,.1f} GB)")


def estimate(spec) -> Volume:
    """The telemetry `spec` (a ScenarioSpec) would generate. Spans are counted as if every
    call were made, so that they are not underestimated."""
    services = spec.resolved_topology().services
    minutes = spec.duration_minutes + spec.lead_in_minutes  # faults under way at the start need their history
    steps = minutes * 60 // spec.resolution_seconds
    spans_per_trace = _spans_per_trace({s.name: s.depends_on for s in services})
    spans = int(spec.volume.traces_per_minute * minutes * spans_per_trace)
    logs = int(len(services) * spec.volume.log_lines_per_minute * minutes * CHATTER_MARGIN + spans * LOG_LINES_PER_SPAN)
    return Volume(metric_samples=len(services) * len(METRIC_NAMES) * steps, log_lines=logs, spans=spans)


def too_large(spec) -> str | None:
    """Why the spec would not fit in memory, or None."""
    volume = estimate(spec)
    if volume.bytes <= MAX_SCENARIO_BYTES:
        return None
    return (f"the scenario is too large: it would generate {volume.describe()}, over the "
            f"{MAX_SCENARIO_BYTES / 1024**3:g} GB limit; shorten duration_minutes, raise resolution_seconds, "
            "use fewer services or lower the volume")


def _spans_per_trace(deps: dict[str, tuple[str, ...]]) -> float:
    """Mean, over entry points, of the services a request reaches, each path counted (the
    topology is checked acyclic before this runs)."""
    reached: dict[str, float] = {}
    for root in deps:  # iterative depth-first, callees before callers
        stack = [(root, False)]
        while stack:
            name, expanded = stack.pop()
            if name in reached:
                continue
            if expanded:
                reached[name] = min(PATHS_CAP, 1.0 + sum(reached[d] for d in deps[name]))
            else:
                stack.append((name, True))
                stack.extend((d, False) for d in deps[name] if d not in reached)
    called = {d for ds in deps.values() for d in ds}
    entries = [reached[n] for n in deps if n not in called] or [1.0]
    return sum(entries) / len(entries)


def _count(n: int) -> str:
    for size, word in ((10**9, "billion"), (10**6, "million")):
        if n >= size:
            return f"{n / size:,.1f} {word}"
    return f"{n:,}"
