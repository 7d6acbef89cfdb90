"""Shared helpers: medians, a same-run reference floor, and a uniform report line."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

# The floor of the MCP benchmarks: a bare MCPServer with one tool.
ECHO_SERVER = """
from mcp.server.mcpserver import MCPServer
server = MCPServer("echo")
@server.tool()
def echo(text: str = "hi") -> str:
    return text
server.run()
"""


def median_seconds(fn: Callable[[], object], repeats: int, warmup: int = 1) -> tuple[float, list[float]]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


TYPICAL_FLOOR_SECONDS = 0.08  # python_speed_floor() on a typical 2024 laptop


def python_speed_floor() -> float:
    """Seconds for a fixed pure-Python workload: tells how fast this machine is right now,
    so that absolute targets can be read against it (a typical 2024 laptop: about 0.08 s).
    This machine's speed drifts by up to 2x within minutes; `value * TYPICAL_FLOOR_SECONDS /
    floor` is what a measurement would have been at typical speed."""
    def work():
        total = 0
        for i in range(1_000_000):
            total += i * i % 7
        return total

    best, _ = median_seconds(work, repeats=5, warmup=1)
    return best


def report(name: str, value: float, unit: str, target: float | None = None, floor: float | None = None,
           ratio_target: float | None = None) -> bool:
    parts = [f"{name:<58s} {value:10.3f} {unit}"]
    ok = True
    if target is not None:
        ok = value <= target
        parts.append(f"target <= {target:g} {unit} {'OK' if ok else 'MISSED'}")
    if floor:
        ratio = value / floor
        parts.append(f"ratio {ratio:.2f}x floor {floor:.3f}")
        if ratio_target is not None:
            ok = ratio <= ratio_target
            parts.append(f"(target <= {ratio_target:g}x {'OK' if ok else 'MISSED'})")
    print("  ".join(parts), flush=True)
    return ok


def report_at_typical_speed(value: float, unit: str, speed: float, target: float) -> bool:
    """`value` as it would have been at typical machine speed, judged against `target`;
    `speed` is python_speed_floor() taken beside the measurement."""
    return report(f"  at typical speed (Python floor {speed:.3f} s here, {TYPICAL_FLOOR_SECONDS} typical)",
                  value * TYPICAL_FLOOR_SECONDS / speed, unit, target=target)
