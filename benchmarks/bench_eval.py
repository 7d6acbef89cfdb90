"""Evaluation speed: the offline quick matrix (target < 60 s in total), and the median case
once the server is up against the floor of loading its scenario and making one tool call on
the same long-lived server.

    uv run python -m benchmarks.bench_eval
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

from benchmarks.common import report


async def _run() -> bool:
    from agent_client.config import Settings
    from agent_client.eval import matrix, scoring
    from agent_client.eval.runner import run_case
    from agent_client.pipeline import connect

    cases = matrix.quick()
    settings = Settings(api_key=None, base_url="", model="offline")
    started = time.perf_counter()
    server = connect(scenario="no_incident")
    floors, walls, results = [], [], []
    async with server:
        up = time.perf_counter()
        for case in cases:
            t = time.perf_counter()
            results.append(await run_case(server, case, settings))
            walls.append(time.perf_counter() - t)
        for case in cases:
            t = time.perf_counter()
            await server.call_tool("load_scenario", {"spec": case.spec})
            await server.call_tool("get_backend_status", {})
            floors.append(time.perf_counter() - t)
    total = time.perf_counter() - started
    scores = scoring.summarize(results)
    print(f"  {len(cases)} cases, AC@1 {scores['AC@1']}, server up after {up - started:.1f} s")
    ok = report("quick matrix, offline, total (incl. server start, floors)", total, "s", target=60)
    report("median case once the server is up", statistics.median(walls), "s", floor=statistics.median(floors))
    return ok


def main() -> int:
    return 0 if asyncio.run(_run()) else 1


if __name__ == "__main__":
    sys.exit(main())
