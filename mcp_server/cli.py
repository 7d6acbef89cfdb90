"""`aiops-mcp`: run the MCP server, or export a simulated incident in real backends' formats."""

from __future__ import annotations

import argparse
import os
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
    parser.add_argument("--data", metavar="DIR", help="serve the telemetry files in DIR (the export layout)")
    parser.add_argument("--now", metavar="TIME", help="with --data: serve nothing after TIME (ISO-8601)")
    sub = parser.add_subparsers(dest="command")
    check = sub.add_parser("check", help="check the configured live stack: does each backend answer, with what")
    check.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS, help="live stack configuration")
    export = sub.add_parser("export", help="write a scenario's telemetry in real backends' formats")
    _add_scenario_args(export)
    export.add_argument("--out", required=True, metavar="DIR", help="output directory")
    from importers.cli import add_import_command

    add_import_command(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "export":
        return _export(args)
    if args.command == "import":
        return args.run_import(args)
    if args.command == "check":
        from .backends.check import main as check

        return check(args)
    try:
        backend = _backend(args)
    except ValueError as exc:  # SpecError is one
        print(f"aiops-mcp: {exc}", file=sys.stderr)
        return 2
    from .server import serve

    return serve(args, backend)


def _backend(args: argparse.Namespace):
    """The telemetry to serve: a configured live stack, exported files (`--data`), or a
    simulated scenario (when nothing else is asked for)."""
    if args.scenario and args.scenario_file:
        raise ValueError("give --scenario or --scenario-file, not both")
    from .backends import select

    live = select(args.config)
    if live is not None:
        if args.scenario or args.scenario_file or args.data:
            raise ValueError("a live stack is configured: --scenario, --scenario-file and --data are for the "
                             "simulator and exported files")
        print(f"aiops-mcp: live stack: {live.config.describe()}", file=sys.stderr)
        return live
    if args.data or args.now:
        if not args.data or args.scenario or args.scenario_file:
            raise ValueError("--now needs --data, and --data serves files instead of a scenario")
        from .backends.files import backend_from_data

        return backend_from_data(args.data, args.now)
    from .backends.simulated import SimulatedBackend

    return SimulatedBackend.from_args(args.scenario, args.scenario_file, args.seed)


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


def run() -> None:
    """The `aiops-mcp` command. Once the server has stopped, the process leaves without
    tearing down its heap object by object: an incident of a million log lines would
    otherwise hold the exit up for about a second after the host closed the pipe."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
