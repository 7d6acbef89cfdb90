"""`aiops-agent eval`."""

from __future__ import annotations

import argparse

MATRIX_NAMES = ("quick", "full", "heldout", "hard", "hard-dev", "hard-heldout")  # matrix.MATRICES, without importing it


def add_eval_parser(sub) -> None:
    p = sub.add_parser("eval", help="score the analyst on a fault matrix or a folder of specs")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--matrix", choices=MATRIX_NAMES, default=None,
                       help="named case matrix (default quick); hard-heldout is for aggregate scores only")
    which.add_argument("--specs", metavar="DIR", help="run every spec file (.json/.toml) in a folder")
    which.add_argument("--cases", metavar="DIR", help="case directories of real telemetry (aiops-mcp import ...), "
                                                      "scored by AS@k against their truth.json")
    p.add_argument("--seed", type=int, help="with --matrix hard: draw its 200 cases from this seed instead, a "
                                            "sample nobody has tuned on")
    p.add_argument("--model", help="'offline' (default) or a model id for the OpenRouter endpoint")
    p.add_argument("--repeat", type=int, default=1, help="run each case N times (variance of LLM models)")
    p.add_argument("--out", metavar="PATH", help="write per-case results and scores as JSON")
    p.add_argument("--markdown", metavar="PATH", help="write a Markdown summary")
    p.add_argument("--limit", type=int, help="run only the first N cases")
    p.add_argument("--quiet", action="store_true")


def run_eval(args: argparse.Namespace) -> int:
    if args.cases:
        from .cases import main
    else:
        from .runner import main

    return main(args)
