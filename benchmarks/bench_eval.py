"""Evaluation speed: the offline quick matrix (target < 60 s in total) and the median case
once the server is up (target < 0.2 s), against the floor of loading a scenario and making
one tool call on the same long-lived server.

    uv run python -m benchmarks.bench_eval
"""

from __future__ import annotations

import statistics
import sys
import time

from benchmarks.common import python_speed_floor, report, report_at_typical_speed


async def _run() -> bool:
    from agent_client.cli import settle_gc
    from agent_client.config import Settings
    from agent_client.eval import matrix, scoring
    from agent_client.eval.runner import run_case
    from agent_client.pipeline import connect

    settle_gc()  # as `aiops-agent eval` does

    cases = matrix.quick()
    settings = Settings(api_key=None, base_url="", model="offline")
    # This machine's speed drifts within a run: sample it between every dozen cases.
    speeds = [python_speed_floor()]
    started = time.perf_counter()
    server = connect(scenario="no_incident")
    floors, walls, results = [], [], []
    async with server:
        up = time.perf_counter()
        for n, case in enumerate(cases, 1):
            t = time.perf_counter()
            results.append(await run_case(server, case, settings))
            walls.append(time.perf_counter() - t)
            if n % 12 == 0:
                speeds.append(python_speed_floor())
        # A separate pass: loading a scenario starts its analysis in the background, which
        # would overlap the next case's own load if the floors were taken in between.
        for case in cases:
            t = time.perf_counter()
            await server.call_tool("load_scenario", {"spec": case.spec})
            await server.call_tool("get_backend_status", {})
            floors.append(time.perf_counter() - t)
    total = time.perf_counter() - started
    speed = statistics.median(speeds)
    scores = scoring.summarize(results)
    print(f"  {len(cases)} cases, AC@1 {scores['AC@1']}, server up after {up - started:.1f} s")
    ok = report("quick matrix, offline, total (incl. server start, floors)", total, "s", target=60)
    print(f"  Python floor during the run: {', '.join(f'{x:.3f}' for x in speeds)} s")
    median = statistics.median(walls)
    report("median case once the server is up", median, "s", floor=statistics.median(floors))
    ok &= report_at_typical_speed(median, "s", speed, target=0.2)
    return ok


def main() -> int:
    from agent_client.cli import run_async

    return 0 if run_async(_run()) else 1  # on the event loop `aiops-agent eval` uses


if __name__ == "__main__":
    sys.exit(main())
