"""`aiops-mcp`: run the MCP server, or export a simulated incident in real backends' formats.

Imports stay inside the commands: `--help` and start-up should not pay for what they skip.
"""

from __future__ import annotations

import argparse
import gc
import sys


def _add_scenario_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", metavar="NAME", help="preset name (see `aiops-agent scenarios`)")
    p.add_argument("--scenario-file", metavar="PATH", help="scenario spec file (.json or .toml)")
    p.add_argument("--seed", type=int, help="override the scenario's seed")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aiops-mcp",
        description="MCP server exposing observability telemetry and remediation-proposal tools.",
    )
    parser.add_argument("--transport", choices=("stdio", "streamable-http"), default="stdio")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    parser.add_argument("--config", metavar="FILE", help="live stack configuration, TOML (docs/backends.md)")
    _add_scenario_args(parser)
    sub = parser.add_subparsers(dest="command")
    check = sub.add_parser("check", help="check the configured live stack: does each backend answer, with what")
    check.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS, help="live stack configuration")
    export = sub.add_parser("export", help="write a scenario's telemetry in real backends' formats")
    _add_scenario_args(export)
    export.add_argument("--out", required=True, metavar="DIR", help="output directory")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "export":
        return _export(args)
    if args.command == "check":
        from .backends.check import main as check

        return check(args)
    if args.scenario and args.scenario_file:
        print("aiops-mcp: give --scenario or --scenario-file, not both", file=sys.stderr)
        return 2
    from .backends import select

    live = select(args)  # a configured stack; None: the simulator
    if live is not None:
        from .server import serve

        return serve(args, live)
    # Start-up builds over a hundred thousand objects that live as long as the server (the
    # SDK's models, above all) and almost no garbage: the collector would spend about a tenth
    # of the start-up tracing them again and again. `serve` turns it back on, with every
    # object made so far frozen out of its way.
    gc.disable()
    # Fork the analysis worker (idle until a scenario is loaded), then start generating the
    # incident before importing the MCP SDK: the two overlap, on two cores where a child
    # process can be forked. Both forks come before any thread exists (the backend starts one).
    from .analysis_worker import AnalysisWorker
    from .backends.simulated import SimulatedBackend

    worker = AnalysisWorker.start()
    backend = SimulatedBackend.from_args(args.scenario, args.scenario_file, args.seed, fork=True)
    from .server import serve

    return serve(args, backend, worker)


def _export(args: argparse.Namespace) -> int:
    from simulators import SpecError, resolve_spec, simulate
    from simulators.export import export_all

    if args.scenario and args.scenario_file:
        print("aiops-mcp export: give --scenario or --scenario-file, not both", file=sys.stderr)
        return 2
    try:
        spec = resolve_spec(args.scenario, args.scenario_file, args.seed)
    except SpecError as exc:
        print(f"aiops-mcp export: {exc}", file=sys.stderr)
        return 2
    sim = simulate(spec)
    try:
        files = export_all(sim.store, args.out, rules=sim.alert_rules)
    except OSError as exc:
        print(f"aiops-mcp export: cannot write to {args.out!r}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    for _, path in sorted(files.items()):
        print(f"{path}  ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
