"""Importing a whole day of the Nezha dataset (target: <= 2 minutes a day), and what the cases
must satisfy: one per fault, each window after the previous one's "now", every case loadable
with the window its truth file states.

    uv run python -m benchmarks.bench_import [--dataset DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import report
from importers.nezha import import_nezha
from telemetry.layout import load_directory
from telemetry.timefmt import parse_iso

ROOT = Path(__file__).resolve().parent.parent
DAYS = {"ob-2022-08-22.tar.xz": 24, "tt-2023-01-29.tar.xz": 28}


def check_day(archive: Path, labels: Path, expected: int) -> bool:
    out = Path(tempfile.mkdtemp())
    started = time.perf_counter()
    cases = import_nezha(archive, out, labels=labels)
    ok = report(f"import {archive.name}", time.perf_counter() - started, "s", target=120)
    truths = [json.loads((c.path / "truth.json").read_text()) for c in cases]
    windows = [(parse_iso(t["window"]["start"]), parse_iso(t["window"]["now"])) for t in truths]
    problems = []
    if len(cases) != expected:
        problems.append(f"{len(cases)} cases, expected {expected}")
    if not all(a[1] <= b[0] for a, b in zip(windows, windows[1:], strict=False)):
        problems.append("a window reaches back into the previous case")
    for case, (start, now) in zip(cases, windows, strict=True):
        if load_directory(case.path).time_range() != (start, now):
            problems.append(f"{case.path.name}: served window differs from its truth")
    for p in problems:
        print("  PROBLEM:", p)
    return ok and not problems


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default=str(ROOT.parent / "shared/datasets/nezha"))
    args = parser.parse_args()
    dataset = Path(args.dataset)
    ok = True
    for name, expected in DAYS.items():
        ok &= check_day(dataset / name, dataset / "common.tar.xz", expected)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
