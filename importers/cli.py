"""`aiops-mcp import DATASET ...`: the argument parsers (cheap to build) and their commands
(which import the importer only when run)."""

from __future__ import annotations

import argparse
import sys


def add_import_command(subparsers) -> None:
    command = subparsers.add_parser("import", help="turn a public dataset into case directories of the files layout")
    datasets = command.add_subparsers(dest="dataset", metavar="DATASET", required=True)
    nezha = datasets.add_parser(
        "nezha", help="Nezha (OnlineBoutique, TrainTicket): one case per injected fault",
        description="One case directory per injected fault of each day found in SRC; see docs/nezha.md.")
    nezha.add_argument("source", metavar="SRC",
                       help="a day's archive (.tar.xz), an extracted day (rca_data/DAY) or a folder holding days")
    nezha.add_argument("--out", required=True, metavar="CASES", help="where the case directories go")
    nezha.add_argument("--labels", metavar="PATH",
                       help="the finer root-cause labels: root_cause_*.json, a folder holding them, or "
                            "common.tar.xz (default: common.tar.xz or construct_data/ found beside SRC)")
    nezha.set_defaults(run_import=_run_nezha)


def _run_nezha(args: argparse.Namespace) -> int:
    from .nezha import import_nezha

    try:
        cases = import_nezha(args.source, args.out, labels=args.labels)
    except (ValueError, OSError) as exc:
        print(f"aiops-mcp import nezha: {exc}", file=sys.stderr)
        return 2
    for case in cases:
        print(f"{case.path}  ({case.summary})")
    print(f"{len(cases)} cases in {args.out}", file=sys.stderr)
    return 0
