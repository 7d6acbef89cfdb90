"""LiveBackend on a local real Prometheus and Alertmanager against the simulator's store on the
same scenario (memory_leak, exported, backfilled with promtool, alerts posted), medians:

* each protocol call, uncached (every call asks Prometheus or Alertmanager) and with the
  backend's short-lived cache warm, against the store's answer to the same call;
* the metrics and alerts tools through an in-process MCP client: the first call on a fresh
  server (no cached analysis, no cached discovery) and the warm p50; target <= 5x the store;
* `aiops-mcp check` on the stack: the command end to end (interpreter start included) and its
  checks alone; target <= 2 s.

    uv run python -m benchmarks.bench_live [--repeats N]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mcp import Client

from benchmarks.common import median_seconds, report
from mcp_server.backends import config
from mcp_server.backends.check import report as check_report
from mcp_server.backends.live import LiveBackend
from mcp_server.server import build_server
from mcp_server.state import ServerState
from simulators import preset_spec, simulate
from telemetry.timefmt import iso
from tests.live.stack import Alertmanager, Prometheus

ROOT = Path(__file__).resolve().parent.parent
TOOLS = {
    "fetch_active_alerts": {},
    "get_service_health_summary": {},
    "query_metrics": {"service": "order-service", "metric": "memory_percent"},
    "detect_anomalies": {},
}


def _large_spec(end: float):
    from simulators import ScenarioSpec
    from simulators.topology import generate_topology

    topo = generate_topology(100, seed=3)
    return ScenarioSpec.model_validate({
        "name": "large", "seed": 5, "duration_minutes": 180, "end_time": iso(end),
        "topology": topo.model_dump(mode="json"),
        "faults": [{"type": "memory_leak", "service": topo.services[10].name, "start_minute": 150}]})


def _scenario(workdir: Path, large: bool = False):
    from mcp_server.cli import main

    end = math.floor(time.time() / 60) * 60 - 60
    spec = _large_spec(end) if large else preset_spec("memory_leak", end_time=iso(end))
    spec_file = workdir / "spec.json"
    spec_file.write_text(spec.model_dump_json())
    out = workdir / "export"
    with open(os.devnull, "w") as quiet:
        stdout, sys.stdout = sys.stdout, quiet
        try:
            assert main(["export", "--scenario-file", str(spec_file), "--out", str(out)]) == 0
        finally:
            sys.stdout = stdout
    return spec, out


def protocol_calls(env: dict[str, str], store, repeats: int) -> None:
    start, end = store.time_range()
    calls = {
        "services()": lambda b: b.services(),
        "time_range()": lambda b: b.time_range(),
        "metric_names()": lambda b: b.metric_names(),
        "metrics_by_service(error_rate, 1 h)": lambda b: b.metrics_by_service(["error_rate"], start, end),
        "metric(order-service, memory_percent, 1 h)": lambda b: b.metric("order-service", "memory_percent",
                                                                           start, end),
        "alerts(1 h)": lambda b: b.alerts(start, end),
    }
    uncached = LiveBackend(config.load(None, env | {"AIOPS_CONFIG": _cache_off()}))
    cached = LiveBackend(config.load(None, env))
    print("protocol calls (median, microseconds; ratio to the store's own call, which reads memory):")
    for name, call in calls.items():
        floor, _ = median_seconds(functools.partial(call, store), repeats * 10)
        cold, _ = median_seconds(functools.partial(call, uncached), repeats)
        warm, _ = median_seconds(functools.partial(call, cached), repeats)
        report(f"  {name}, uncached", cold * 1e6, "us", floor=floor * 1e6)
        report(f"  {name}, cache warm", warm * 1e6, "us", floor=floor * 1e6)
    uncached.close()
    cached.close()


def _cache_off() -> str:
    path = Path(tempfile.mkdtemp()) / "nocache.toml"
    path.write_text("cache_seconds = 0.000001\n")
    return str(path)


async def _once(backend, tool: str, args: dict, warm: int = 5) -> tuple[float, list[float]]:
    """A fresh server: its first call (no cached analysis, no cached discovery), then warm calls."""
    async with Client(build_server(ServerState(backend=backend))) as client:
        began = time.perf_counter()
        result = await client.call_tool(tool, args)
        first = time.perf_counter() - began
        assert not result.is_error, result.content[0].text
        warms = []
        for _ in range(warm):
            began = time.perf_counter()
            await client.call_tool(tool, args)
            warms.append(time.perf_counter() - began)
    return first, warms


async def tool_calls(env: dict[str, str], store, repeats: int) -> bool:
    ok = True
    print("tool calls through an in-process MCP client, store and live interleaved (median; target <= 5x):")
    for tool, args in TOOLS.items():
        runs = {"store": ([], []), "live": ([], [])}
        for _ in range(repeats):
            for name in runs:
                backend = store if name == "store" else LiveBackend(config.load(None, env))
                first, warms = await _once(backend, tool, args)
                runs[name][0].append(first)
                runs[name][1].extend(warms)
                if backend is not store:
                    backend.close()
        (sim_first, sim_warm), (live_first, live_warm) = (
            (statistics.median(a) * 1000, statistics.median(b) * 1000) for a, b in runs.values())
        ok &= report(f"  {tool}, first call", live_first, "ms", floor=sim_first, ratio_target=5)
        ok &= report(f"  {tool}, warm", live_warm, "ms", floor=sim_warm, ratio_target=5)
    return ok


def check_command(env: dict[str, str], repeats: int) -> bool:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}

    def command():
        proc = subprocess.run([sys.executable, "-m", "mcp_server.cli", "check"], cwd=ROOT, env=base | env,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    def checks():
        backend = LiveBackend(config.load(None, env))
        lines, answered = check_report(backend)
        backend.close()
        assert answered, lines

    wall, _ = median_seconds(command, repeats)
    alone, _ = median_seconds(checks, repeats)
    print("aiops-mcp check (median):")
    ok = report("  command end to end", wall, "s", target=2.0)
    ok &= report("  its checks, in process", alone, "s", target=2.0)
    return ok


LARGE_TOOLS = {"fetch_active_alerts": {}, "get_service_health_summary": {}, "query_logs": {}, "search_error_patterns": {},
               "get_log_statistics": {}, "query_metrics": {}, "detect_anomalies": {}, "get_service_dependencies": {},
               "correlate_signals": {}, "query_traces": {}, "get_recent_deployments": {}, "generate_timeline": {}}


async def large_tool_calls(env: dict[str, str], spec) -> bool:
    ok = True
    args = dict(LARGE_TOOLS, query_metrics={"service": spec.topology.services[10].name})
    print("100 services, 3 hours: each tool's first call on a fresh server (no cached analysis or discovery):")
    for tool, arguments in args.items():
        backend = LiveBackend(config.load(None, env))
        try:
            first, _ = await _once(backend, tool, arguments, warm=0)
        finally:
            backend.close()
        ok &= report(f"  {tool}", first, "s", target=1.0)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--large", action="store_true", help="a 100-service scenario: first calls only")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-live-"))
    spec, out = _scenario(workdir, args.large)
    (workdir / "prometheus").mkdir()
    (workdir / "alertmanager").mkdir()
    prometheus = Prometheus(out, workdir / "prometheus")
    alertmanager = Alertmanager(out, workdir / "alertmanager")
    env = {"AIOPS_PROMETHEUS_URL": prometheus.url, "AIOPS_ALERTMANAGER_URL": alertmanager.url}
    try:
        if args.large:
            # Only the spec: a server on a live backend holds no simulated store (its millions of
            # objects would make every collection of the garbage collector slower).
            return 0 if asyncio.run(large_tool_calls(env, spec)) else 1
        store = simulate(spec).store
        protocol_calls(env, store, args.repeats)
        ok = asyncio.run(tool_calls(env, store, max(3, args.repeats // 3)))
        ok &= check_command(env, max(3, args.repeats // 3))
    finally:
        prometheus.stop()
        alertmanager.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
