"""MCP server speed, each against a floor measured in the same run.

* cold start (spawn -> initialize -> tools/list -> first call): aiops-mcp on a preset vs. a
  bare MCPServer with one echo tool; target ratio <= 1.3;
* p50 latency of each tool on a preset (warm) vs. the echo tool over the same transport;
  target ratio <= 3;
* every tool on the large scenario (100 services, 24 h, ~1M log lines), first call and
  warm p50: <= 100 ms; the server's peak memory: <= 2 GB; and its exit once its stdin
  closes: <= 1 s.

    uv run python -m benchmarks.bench_server [--skip-large]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from mcp import Client, StdioServerParameters

from benchmarks.common import ECHO_SERVER, report

ROOT = Path(__file__).resolve().parent.parent
TOOL_ARGS = {
    "query_metrics": {"service": "user-service"},
    "lookup_runbook": {"fault_type": "bad_deployment"},
    "format_incident_report": {"title": "benchmark", "severity": "P2", "summary": "benchmark run"},
}
SKIP = {"load_scenario", "withdraw_proposal", "propose_rollback", "propose_scaling_action", "propose_config_change", "propose_restart"}


def _params(*args: str) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=list(args), cwd=str(ROOT))


async def _cold(params: StdioServerParameters, tool: str, args: dict) -> float:
    """Spawn to first result. Shutdown is not start-up: the clock stops before the client
    closes the server's stdin and waits for it to exit."""
    started = time.perf_counter()
    async with Client(params) as client:
        await client.list_tools()
        result = await client.call_tool(tool, args)
        elapsed = time.perf_counter() - started
        assert not result.is_error, result.content[0].text
    return elapsed


async def cold_start(repeats: int) -> bool:
    echo_file = Path(tempfile.mkdtemp()) / "echo_server.py"
    echo_file.write_text(ECHO_SERVER)
    bare, ours = [], []
    for _ in range(repeats):  # interleaved, so both see the same machine
        bare.append(await _cold(_params(str(echo_file)), "echo", {}))
        ours.append(await _cold(_params("-m", "mcp_server.cli", "--scenario", "deployment_regression"),
                                "fetch_active_alerts", {}))
    floor = statistics.median(bare)
    return report("cold start: spawn, initialize, tools/list, first call", statistics.median(ours), "s",
                  floor=floor, ratio_target=1.3)


async def _p50(client: Client, tool: str, args: dict, n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        result = await client.call_tool(tool, args)
        times.append(time.perf_counter() - t)
        assert not result.is_error, result.content[0].text
    return statistics.median(times)


async def latency(n: int) -> bool:
    echo_file = Path(tempfile.mkdtemp()) / "echo_server.py"
    echo_file.write_text(ECHO_SERVER)
    async with Client(_params(str(echo_file))) as echo:
        await _p50(echo, "echo", {}, 5)
        floor = await _p50(echo, "echo", {}, n)
    ok = True
    ratios = []
    async with Client(_params("-m", "mcp_server.cli", "--scenario", "deployment_regression")) as client:
        tools = [t.name for t in (await client.list_tools()).tools if t.name not in SKIP]
        for tool in tools:
            await client.call_tool(tool, TOOL_ARGS.get(tool, {}))  # first call fills the analysis cache
            p50 = await _p50(client, tool, TOOL_ARGS.get(tool, {}), n)
            ratios.append(p50 / floor)
            ok &= report(f"p50 {tool} (preset, warm)", p50 * 1000, "ms", floor=floor * 1000, ratio_target=3.0)
    print(f"  median ratio across tools: {statistics.median(ratios):.2f}x echo")
    return ok


def _large_spec() -> Path:
    from simulators.topology import generate_topology

    topo = generate_topology(100, seed=3)
    spec = {"name": "large", "seed": 5, "duration_minutes": 1440, "end_time": "2026-11-26T12:00:00Z",
            "topology": topo.model_dump(mode="json"),
            "faults": [{"type": "memory_leak", "service": topo.services[10].name, "start_minute": 1300}],
            "volume": {"log_lines_per_minute": 6, "traces_per_minute": 15}}
    path = Path(tempfile.mkdtemp()) / "large.json"
    path.write_text(json.dumps(spec))
    return path


async def large(n: int) -> bool:
    spec = _large_spec()
    ok = True
    client = Client(_params("-m", "mcp_server.cli", "--scenario-file", str(spec)), read_timeout_seconds=300)
    async with client:
        await client.call_tool("get_backend_status", {})  # wait for generation
        args = dict(TOOL_ARGS, query_metrics={"service": "account-api"})
        for tool in [t.name for t in (await client.list_tools()).tools if t.name not in SKIP]:
            t = time.perf_counter()
            result = await client.call_tool(tool, args.get(tool, {}))
            first = time.perf_counter() - t
            assert not result.is_error, result.content[0].text
            warm = await _p50(client, tool, args.get(tool, {}), n)
            ok &= report(f"large scenario {tool}: first call", first * 1000, "ms", target=100)
            ok &= report(f"large scenario {tool}: warm p50", warm * 1000, "ms", target=100)
        closing = time.perf_counter()  # leaving the block closes the server's stdin and waits for its exit
    ok &= report("large scenario: exit after stdin closes", time.perf_counter() - closing, "s", target=1.0)
    # The largest child this process has waited for: the large scenario's server.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    ok &= report("large scenario: server peak memory", peak, "MB", target=2048)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    ok = asyncio.run(cold_start(args.repeats))
    ok &= asyncio.run(latency(args.calls))
    if not args.skip_large:
        ok &= asyncio.run(large(10))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
