"""Simulator speed: preset generation (target <= 50 ms median) and the large scenario
(100 services, 24 h at 15 s, about 1M log lines: target <= 10 s and <= 2 GB peak memory).

    uv run python -m benchmarks.bench_simulator [--skip-large]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks.common import median_seconds, python_speed_floor, report, report_at_typical_speed

ROOT = Path(__file__).resolve().parent.parent
LARGE = r"""
import json, resource, sys, time
from simulators import parse_spec, simulate
from simulators.topology import generate_topology
topo = generate_topology(100, seed=3)
spec = parse_spec({"name": "large", "seed": 5, "duration_minutes": 1440, "end_time": "2026-11-26T12:00:00Z",
                   "resolution_seconds": 15, "topology": topo.model_dump(),
                   "faults": [{"type": "memory_leak", "service": topo.services[10].name, "start_minute": 1300}],
                   "volume": {"log_lines_per_minute": 6, "traces_per_minute": 15}})
t = time.perf_counter()
sim = simulate(spec)
elapsed = time.perf_counter() - t
print(json.dumps({"seconds": elapsed, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "counts": sim.store.status().counts}))
"""


def allocation_floor(store) -> None:
    """The irreducible part of generating a scenario: allocating as many records and metric
    samples as it holds, with constant content."""
    from array import array

    from telemetry.records import LogRecord, Span

    logs = [LogRecord(0.0, "s", "INFO", "m", "i", "l") for _ in range(len(store.log_records))]
    spans = [Span("t", "s", None, "s", "o", "server", 0.0, 1.0, False) for _ in range(len(store.span_records))]
    samples = [array("d", [0.0] * len(s.values)) for s in store.series.values()]
    return logs, spans, samples


def presets() -> bool:
    from simulators import PRESET_NAMES, preset_spec, simulate

    ok = True
    for name in PRESET_NAMES:
        spec = preset_spec(name, end_time="2026-11-26T12:00:00Z")
        speed = python_speed_floor()  # right beside the measurement: the machine's speed drifts
        median, _ = median_seconds(lambda spec=spec: simulate(spec), repeats=15, warmup=2)
        speed = (speed + python_speed_floor()) / 2
        store = simulate(spec).store
        floor, _ = median_seconds(lambda store=store: allocation_floor(store), repeats=15)
        report(f"simulate preset {name}", median * 1000, "ms", floor=floor * 1000)
        ok &= report_at_typical_speed(median * 1000, "ms", speed, target=50)
    return ok


def large(runs: int) -> bool:
    results = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", LARGE], cwd=ROOT, capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    seconds = statistics.median(r["seconds"] for r in results)
    peak = max(r["peak_mb"] for r in results)
    print(f"  large scenario: {results[0]['counts']}")
    ok = report("simulate 100 services x 24 h x 15 s (median of runs)", seconds, "s", target=10)
    ok &= report("peak memory of that process", peak, "MB", target=2048)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--large-runs", type=int, default=3)
    args = parser.parse_args()
    print(f"machine floor: a fixed pure-Python loop takes {python_speed_floor():.3f} s here "
          "(about 0.08 s on a typical laptop)")
    ok = presets()
    if not args.skip_large:
        ok &= large(args.large_runs)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
