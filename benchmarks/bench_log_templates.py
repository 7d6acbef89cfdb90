"""Grouping accuracy of log template miners on the 16 LogHub 2k samples (docs/log-templates.md).

    uv run python -m benchmarks.bench_log_templates [--archive PATH] [--nezha-case DIR ...]

Each source's messages (the `Content` column of `<Source>_2k.log_structured.csv`) are grouped
by each method; a line counts as correct when its group holds exactly the lines of its true
template (grouping accuracy, GA). Methods: the analysis's own masker (`template_of`: lines
with the same masked text form a group), Drain3 with its default configuration, Drain3 with
number, address and hex masking, and Drain3 on the masker's output.

`--nezha-case` adds rows for imported Nezha cases (`aiops-mcp import nezha`) whose log lines
name their code location (TrainTicket's `logger#line`): that location is taken as the true
template, per service.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import tarfile
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from mcp_server.analysis.log_templates import template_of

ARCHIVE = Path("/work/shared/datasets/loghub/loghub-2k.tar.xz")


def grouping_accuracy(truth: list[str], predicted: list) -> float:
    """Share of lines whose predicted group is exactly the set of lines of their true group."""
    true_groups, predicted_groups = defaultdict(set), defaultdict(set)
    for i, (t, p) in enumerate(zip(truth, predicted, strict=True)):
        true_groups[t].add(i)
        predicted_groups[p].add(i)
    correct = sum(len(lines) for lines in predicted_groups.values()
                  if true_groups[truth[next(iter(lines))]] == lines)
    return correct / len(truth)


def _drain(masking: bool) -> Callable[[list[str]], list[int]]:
    def mine(messages: list[str]) -> list[int]:
        from drain3 import TemplateMiner
        from drain3.masking import MaskingInstruction
        from drain3.template_miner_config import TemplateMinerConfig

        config = TemplateMinerConfig()
        config.profiling_enabled = False
        if masking:
            config.masking_instructions = [
                MaskingInstruction(r"((?<=[^A-Za-z0-9])|^)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})((?=[^A-Za-z0-9])|$)",
                                   "IP"),
                MaskingInstruction(r"((?<=[^A-Za-z0-9])|^)(0x[a-fA-F0-9]+)((?=[^A-Za-z0-9])|$)", "HEX"),
                MaskingInstruction(r"((?<=[^A-Za-z0-9])|^)([a-fA-F0-9]{8,})((?=[^A-Za-z0-9])|$)", "HEX"),
                MaskingInstruction(r"((?<=[^A-Za-z0-9])|^)([\-+]?\d+(?:\.\d+)?)((?=[^A-Za-z0-9])|$)", "NUM"),
            ]
        miner = TemplateMiner(config=config)
        return [miner.add_log_message(m)["cluster_id"] for m in messages]

    return mine


_plain_drain = _drain(masking=False)
METHODS: dict[str, Callable[[list[str]], list]] = {
    "template_of": lambda messages: [template_of(m) for m in messages],
    "drain3 default": _plain_drain,
    "drain3 masked": _drain(masking=True),
    "template_of+drain3": lambda messages: _plain_drain([template_of(m) for m in messages]),
}


def read_source(path: Path) -> tuple[list[str], list[str]]:
    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        rows = list(csv.DictReader(fh))
    return [r["Content"] for r in rows], [r["EventId"] for r in rows]


def read_nezha_case(case: Path) -> tuple[list[str], list[str]]:
    """Lines that name their code location; each service's messages are mined apart, as the
    analysis groups them, so the service prefixes both the text and the truth."""
    messages, truth = [], []
    with (case / "logs.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if "#" in record.get("logger", ""):
                messages.append(f"{record['service']} {record['message']}")
                truth.append(f"{record['service']} {record['logger']}")
    return messages, truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, default=ARCHIVE, help=f"loghub-2k.tar.xz (default {ARCHIVE})")
    parser.add_argument("--nezha-case", type=Path, nargs="*", default=[], metavar="DIR",
                        help="imported Nezha TrainTicket cases to score as well")
    args = parser.parse_args(argv)
    if not args.archive.is_file():
        parser.error(f"{args.archive}: no such file")
    with tempfile.TemporaryDirectory(prefix="loghub-") as tmp:
        with tarfile.open(args.archive) as archive:
            archive.extractall(tmp, members=[m for m in archive.getmembers() if m.name.endswith("_structured.csv")],
                               filter="data")
        sources = [(p.name.split("_")[0], read_source(p)) for p in sorted(Path(tmp).rglob("*_2k.log_structured.csv"))]
    print(f"{'source':<16}" + "".join(f"{name:>20}" for name in METHODS))
    scores: dict[str, list[float]] = defaultdict(list)
    seconds: dict[str, float] = defaultdict(float)
    for label, (messages, truth) in sources:
        print(f"{label:<16}" + "".join(f"{score:>20.3f}" for score in _score(messages, truth, scores, seconds)))
    print(f"{'LogHub mean':<16}" + "".join(f"{statistics.mean(scores[n]):>20.3f}" for n in METHODS))
    print(f"{'seconds':<16}" + "".join(f"{seconds[n]:>20.2f}" for n in METHODS))
    for case in args.nezha_case:
        messages, truth = read_nezha_case(case)
        cells = _score(messages, truth, defaultdict(list), defaultdict(float))
        print(f"{case.name:<16}" + "".join(f"{score:>20.3f}" for score in cells) + f"   ({len(messages)} lines)")
    return 0


def _score(messages: list[str], truth: list[str], scores: dict, seconds: dict) -> list[float]:
    for name, method in METHODS.items():
        started = time.perf_counter()
        predicted = method(messages)
        seconds[name] += time.perf_counter() - started
        scores[name].append(grouping_accuracy(truth, predicted))
    return [scores[name][-1] for name in METHODS]


if __name__ == "__main__":
    raise SystemExit(main())
