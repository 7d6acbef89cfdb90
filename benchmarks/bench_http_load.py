"""20 clients x 200 tool calls over streamable HTTP against a real server: errors, throughput and
the server's memory before and after, once a short round of as many clients has warmed it
(target: 0 errors, memory within +10%).

    uv run python -m benchmarks.bench_http_load
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

from mcp import Client

from tests.conftest import ROOT
from tests.test_http_security import _start

CLIENTS, CALLS = 20, 200
CALLS_MIX = [("fetch_active_alerts", {}), ("correlate_signals", {}), ("query_logs", {"limit": 3}),
             ("get_service_health_summary", {}), ("detect_anomalies", {})]


def rss_kib(pid: int) -> int:
    return int(subprocess.run(["ps", "-o", "rss=", "-p", str(pid)], capture_output=True, text=True).stdout)


async def client(url: str, calls: int = CALLS) -> int:
    errors = 0
    async with Client(url, mode="legacy") as c:
        for n in range(calls):
            name, args = CALLS_MIX[n % len(CALLS_MIX)]
            errors += (await c.call_tool(name, args)).is_error
    return errors


async def main() -> None:
    proc, base = _start()
    try:
        url = base + "/mcp"
        # Warm: the incident analysed, every code path loaded, and the working set of 20
        # concurrent sessions (worker threads, buffers) in place; what follows must not grow.
        await asyncio.gather(*(client(url, len(CALLS_MIX) * 4) for _ in range(CLIENTS)))
        before = rss_kib(proc.pid)
        started = time.perf_counter()
        errors = sum(await asyncio.gather(*(client(url) for _ in range(CLIENTS))))
        seconds = time.perf_counter() - started
        after = rss_kib(proc.pid)
    finally:
        proc.kill()
    print(f"{CLIENTS} clients x {CALLS} calls: {errors} errors, {CLIENTS * CALLS / seconds:.0f} calls/s, "
          f"server RSS {before / 1024:.1f} -> {after / 1024:.1f} MiB ({100 * (after - before) / before:+.1f}%)")
    sys.exit(1 if errors or after > before * 1.10 else 0)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    asyncio.run(main())
