"""`aiops-mcp`: run the MCP server, or export a simulated incident in real backends' formats.

Every server option can also be set by an environment variable, `AIOPS_MCP_` and the option's
name (`--read-only` -> `AIOPS_MCP_READ_ONLY=true`); the command line wins. The bearer token's
are `AIOPS_MCP_TOKEN` and `AIOPS_MCP_TOKEN_FILE`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ENV_PREFIX = "AIOPS_MCP_"
ENV_NAMES = {"auth_token": "AIOPS_MCP_TOKEN", "auth_token_file": "AIOPS_MCP_TOKEN_FILE"}
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")
LOG_LEVELS = ("debug", "info", "warning", "error")
DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024


def _add_scenario_args(p: argparse.ArgumentParser) -> list[argparse.Action]:
    return [p.add_argument("--scenario", metavar="NAME", help="preset name (see `aiops-agent scenarios`)"),
            p.add_argument("--scenario-file", metavar="PATH", help="scenario spec file (.json or .toml)"),
            p.add_argument("--seed", type=int, help="override the scenario's seed")]


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aiops-mcp",
        description="MCP server exposing observability telemetry and remediation-proposal tools. Every option "
                    "can also be set by environment: AIOPS_MCP_<OPTION> (e.g. AIOPS_MCP_READ_ONLY=true).",
    )
    from .version import server_version

    parser.add_argument("--version", action="version", version=f"aiops-mcp {server_version()}")
    options: list[argparse.Action] = []  # the server's options, each settable by environment

    def opt(group, *flags, **kwargs) -> None:
        options.append(group.add_argument(*flags, **kwargs))

    opt(parser, "--transport", choices=("stdio", "streamable-http"), default="stdio")
    opt(parser, "--host", default="127.0.0.1",
        help="HTTP bind address (default 127.0.0.1; any other needs a token)")
    opt(parser, "--port", type=int, default=8000, help="HTTP port (default 8000)")
    options.extend(_add_scenario_args(parser))
    opt(parser, "--data", metavar="DIR", help="serve the telemetry files in DIR (the export layout)")
    opt(parser, "--now", metavar="TIME", help="with --data: serve nothing after TIME (ISO-8601)")
    opt(parser, "--config", metavar="FILE", help="live stack configuration, TOML (docs/backends.md)")
    opt(parser, "--log-level", choices=LOG_LEVELS, default="warning",
        help="the server's own log on stderr (default warning)")
    tools = parser.add_argument_group("tools")
    opt(tools, "--read-only", action="store_true", help="serve only tools that change nothing")
    opt(tools, "--enabled-tools", type=_names, default=(), metavar="LIST",
        help="serve only these tools or categories (comma-separated)")
    opt(tools, "--disabled-tools", type=_names, default=(), metavar="LIST",
        help="do not serve these tools or categories (comma-separated)")
    http = parser.add_argument_group("streamable HTTP")
    opt(http, "--auth-token", metavar="TOKEN",
        help="require this bearer token (prefer AIOPS_MCP_TOKEN: arguments are visible to ps)")
    opt(http, "--auth-token-file", metavar="PATH",
        help="require a bearer token listed in PATH (one per line; each a client of its own)")
    opt(http, "--allowed-hosts", type=_names, default=(), metavar="LIST",
        help="Host headers accepted besides the bind address (for a reverse proxy)")
    opt(http, "--allowed-origins", type=_names, default=(), metavar="LIST",
        help="Origin headers accepted besides the bind address's")
    opt(http, "--shared-state", action="store_true",
        help="all clients share one incident and one proposal list (default: per session)")
    opt(http, "--max-sessions", type=_positive, default=100, metavar="N",
        help="sessions kept with their own incident and proposals (default 100)")
    opt(http, "--max-request-bytes", type=_positive, default=DEFAULT_MAX_REQUEST_BYTES, metavar="N",
        help=f"largest request body accepted (default {DEFAULT_MAX_REQUEST_BYTES})")
    parser.set_defaults(environment_options=options)
    sub = parser.add_subparsers(dest="command")
    check = sub.add_parser("check", help="check the configured live stack: does each backend answer, with what")
    check.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS, help="live stack configuration")
    export = sub.add_parser("export", help="write a scenario's telemetry in real backends' formats")
    _add_scenario_args(export)
    export.add_argument("--out", required=True, metavar="DIR", help="output directory")
    export.add_argument("--keep-secrets", action="store_true",
                        help="write credentials found in the telemetry as they are (default: redacted)")
    from importers.cli import add_import_command

    add_import_command(sub)
    return parser


def apply_environment(parser: argparse.ArgumentParser, environ: os._Environ | dict) -> None:
    """Options not given on the command line take their `AIOPS_MCP_*` environment value,
    converted and checked as the option's own (a bad value stops the start, naming the
    variable)."""
    defaults = {}
    for action in parser.get_default("environment_options"):
        name = ENV_NAMES.get(action.dest, ENV_PREFIX + action.dest.upper())
        if name not in environ:
            continue
        raw = environ[name].strip()
        try:
            if action.nargs == 0:  # a switch
                if raw.lower() not in TRUE + FALSE:
                    raise ValueError
                value = raw.lower() in TRUE
            else:
                value = action.type(raw) if action.type else raw
                if action.choices and value not in action.choices:
                    raise ValueError
        except ValueError:
            parser.error(f"{name}={raw!r} is not a valid value for {action.option_strings[0]}")
        defaults[action.dest] = value
    parser.set_defaults(**defaults)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    apply_environment(parser, os.environ)
    args = parser.parse_args(argv)
    if args.command == "export":
        return _export(args)
    if args.command == "import":
        return args.run_import(args)
    if args.command == "check":
        from .backends.check import main as check

        return check(args)
    try:
        _absolute_paths(args)
        backend = _backend(args)
    except ValueError as exc:  # SpecError is one
        print(f"aiops-mcp: {exc}", file=sys.stderr)
        return 2
    from .server import serve

    return serve(args, backend)


def _absolute_paths(args: argparse.Namespace) -> None:
    """File arguments as absolute paths, so that messages name the file really looked for: a
    host or `uv run --directory` may start the server in another working directory."""
    for name in ("scenario_file", "data"):
        given = getattr(args, name)
        if given is None:
            continue
        path = Path(given).expanduser().resolve()
        if not path.exists():
            hint = "" if Path(given).expanduser().is_absolute() else \
                f" (relative to the working directory {Path.cwd()}; give an absolute path)"
            kind = "directory" if name == "data" else "file"
            raise ValueError(f"--{name.replace('_', '-')} {str(path)!r}: no such {kind}{hint}")
        setattr(args, name, str(path))


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
        files = export_all(sim.store, args.out, rules=sim.alert_rules, keep_secrets=args.keep_secrets)
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
