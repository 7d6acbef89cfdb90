"""`aiops-agent`: investigate incidents from the command line.

    aiops-agent                         interactive scenario menu (on a terminal)
    aiops-agent run SCENARIO            investigate a preset (or --scenario-file PATH, --data DIR)
    aiops-agent scenarios               list presets and fault types
    aiops-agent eval                    score the analyst on a fault matrix
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from .limits import DEFAULT_RUN_SECONDS

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 < value < 86_400:
        raise ValueError(text)
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aiops-agent",
                                     description="Investigate an incident with six agents over the aiops MCP server.")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="investigate one incident")
    run.add_argument("scenario", nargs="?", help="preset name (see `aiops-agent scenarios`)")
    run.add_argument("--scenario-file", metavar="PATH", help="scenario spec (.json or .toml)")
    run.add_argument("--data", metavar="DIR", help="investigate a directory of telemetry files (an export or an "
                                                   "imported case) instead of a scenario")
    run.add_argument("--seed", type=int, help="override the scenario's seed")
    run.add_argument("--model", help="'offline' (rule-based analyst) or a model id for the OpenRouter endpoint")
    run.add_argument("--server-url", metavar="URL", help="use a running aiops-mcp (streamable HTTP) instead of "
                                                         "spawning one")
    run.add_argument("--json", metavar="PATH", help="write the report as JSON")
    run.add_argument("--markdown", metavar="PATH", help="write the report as Markdown")
    run.add_argument("--quiet", action="store_true", help="print only the report")
    run.add_argument("--timeout", type=_seconds, default=DEFAULT_RUN_SECONDS, metavar="SECONDS",
                     help=f"stop the run after this long, saving the findings so far (default {DEFAULT_RUN_SECONDS:g})")
    scenarios = sub.add_parser("scenarios", help="list presets and fault types")
    scenarios.add_argument("--server-url", metavar="URL", help="list what a running aiops-mcp can load")
    from .eval.cli import add_eval_parser

    add_eval_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        if sys.stdin.isatty() and sys.stdout.isatty():
            return interactive()
        parser.print_help()
        return EXIT_USAGE
    if args.command == "scenarios":
        return asyncio.run(_list_remote(args.server_url)) if args.server_url else list_scenarios()
    if args.command == "eval":
        from .eval.cli import run_eval

        return run_eval(args)
    return run_command(args)


def list_scenarios(stream=sys.stdout) -> int:
    from simulators import FAULT_TYPES, PRESET_NAMES, preset_description

    print("Presets:", file=stream)
    for name in PRESET_NAMES:
        print(f"  {name:24s} {preset_description(name)}", file=stream)
    print("\nFault types for custom specs:\n  " + ", ".join(FAULT_TYPES), file=stream)
    return EXIT_OK


async def _list_remote(server_url: str) -> int:
    from agents.mcp import MCPServerStreamableHttp

    try:
        async with MCPServerStreamableHttp(params={"url": server_url, "timeout": 30}, name="aiops-mcp") as server:
            presets, fault_types = await _remote_scenarios(server)
    except ValueError as exc:
        print(f"aiops-agent: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        print(f"aiops-agent: cannot reach the MCP server: {_explain(exc)}", file=sys.stderr)
        return EXIT_FAILED
    print("Presets:\n  " + "\n  ".join(presets) + "\n\nFault types for custom specs:\n  " + ", ".join(fault_types))
    return EXIT_OK


async def _remote_scenarios(server) -> tuple[list[str], list[str]]:
    """What a running server can load, as it says itself (ValueError if it loads nothing)."""
    result = await server.call_tool("list_scenarios", {})
    if result.is_error:
        raise ValueError("the server at --server-url does not load scenarios (it serves a real backend); "
                         "run without a scenario to investigate what it serves")
    listing = json.loads(result.content[0].text)
    return listing["presets"], listing["fault_types"]


def _check_scenario(args) -> str | None:
    """Validate the scenario before spawning a server; returns an error message or None. A
    running server (`--server-url`) checks what it is asked to load itself."""
    if sum(map(bool, (args.scenario, args.scenario_file, args.data))) > 1:
        return "give one of a preset name, --scenario-file or --data"
    if args.data:
        if args.server_url:
            return "--data serves files from a spawned server; a running server (--server-url) serves its own"
        return None if Path(args.data).is_dir() else f"--data {str(Path(args.data).resolve())!r} is not a directory"
    if args.server_url:
        return None
    from simulators import PRESET_NAMES, SpecError, load_spec

    if args.scenario_file:
        try:
            load_spec(args.scenario_file)
        except SpecError as exc:
            return str(exc)
        return None
    if args.scenario is None:
        return "which scenario? give a preset name or --scenario-file (see `aiops-agent scenarios`)"
    if args.scenario not in PRESET_NAMES:
        return f"unknown scenario {args.scenario!r}; presets: {', '.join(PRESET_NAMES)}"
    return None


def run_command(args) -> int:
    from .config import load_settings

    # The deadline counts from here: starting the agents and the server is part of the run.
    # (asyncio's clock is time.monotonic.)
    deadline = time.monotonic() + args.timeout
    problem = _check_scenario(args)
    if problem:
        print(f"aiops-agent: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        settings = load_settings(args.model)
    except ValueError as exc:
        print(f"aiops-agent: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return asyncio.run(_run(args, settings, deadline))


async def _run(args, settings, deadline: float) -> int:
    from .limits import Limits
    from .pipeline import InvestigationError, connect, investigate
    from .progress import Progress

    limits = Limits(run_seconds=args.timeout)
    server = connect(scenario=args.scenario, scenario_file=args.scenario_file, seed=args.seed,
                     server_url=args.server_url, data=args.data, limits=limits)
    try:
        try:
            async with asyncio.timeout_at(deadline):
                await server.connect()
                problem = await _load_remote(server, args) if args.server_url and (
                    args.scenario or args.scenario_file) else None
        except Exception as exc:
            reason = (f"no answer within the run's deadline ({limits.run_seconds:g} s)" if isinstance(exc, TimeoutError)
                      else _explain(exc))
            print(f"aiops-agent: cannot reach the MCP server: {reason}", file=sys.stderr)
            return EXIT_FAILED
        if problem:
            print(f"aiops-agent: {problem}", file=sys.stderr)
            return EXIT_USAGE
        outcome = await investigate(server, settings, Progress(quiet=args.quiet), limits=limits, deadline=deadline)
    except InvestigationError as exc:
        print(f"\naiops-agent: investigation stopped: {exc}", file=sys.stderr)
        path = _write(exc.partial, args.json or f"aiops-findings-{exc.partial.incident_id}.json", args.markdown)
        print(f"aiops-agent: findings so far saved to {path}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # not a failure the run knows how to name
        print(f"aiops-agent: the run failed: {_explain(exc)}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        await server.cleanup()
    print(outcome.report)
    _write(outcome.report, args.json, args.markdown)
    return EXIT_OK


async def _load_remote(server, args) -> str | None:
    """Have a running server load the scenario; what it refused, if anything."""
    try:
        if args.scenario_file:
            from simulators import read_spec_data  # bounded reading only: the server checks the spec

            arguments: dict = {"spec": read_spec_data(args.scenario_file)}
        else:
            presets, _ = await _remote_scenarios(server)
            if args.scenario not in presets:
                return f"unknown scenario {args.scenario!r}; the server's presets: {', '.join(presets)}"
            arguments = {"preset": args.scenario}
    except ValueError as exc:
        return str(exc)
    if args.seed is not None:
        arguments["seed"] = args.seed
    result = await server.call_tool("load_scenario", arguments)
    return result.content[0].text if result.is_error else None


def _write(report, json_path: str | None, markdown_path: str | None) -> str | None:
    from .report import render_markdown

    if json_path:
        Path(json_path).write_text(json.dumps(report.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8")
    if markdown_path:
        Path(markdown_path).write_text(render_markdown(report), encoding="utf-8")
    return json_path


def _explain(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"


def interactive(stdin=sys.stdin, stdout=sys.stdout) -> int:
    from simulators import PRESET_NAMES, preset_description

    while True:
        print("\nAIOps incident response - choose an incident to investigate:", file=stdout)
        for i, name in enumerate(PRESET_NAMES, 1):
            print(f"  {i}. {name:24s} {preset_description(name)}", file=stdout)
        print("  f. a scenario spec file\n  q. quit", file=stdout)
        print("> ", end="", file=stdout, flush=True)
        choice = stdin.readline()
        if not choice:
            return EXIT_OK
        choice = choice.strip().lower()
        if choice in ("q", "quit", "exit"):
            return EXIT_OK
        args = argparse.Namespace(scenario=None, scenario_file=None, seed=None, model=None, server_url=None,
                                  json=None, markdown=None, quiet=False, timeout=DEFAULT_RUN_SECONDS)
        if choice == "f":
            print("spec file path: ", end="", file=stdout, flush=True)
            args.scenario_file = stdin.readline().strip() or None
        elif choice.isdigit() and 1 <= int(choice) <= len(PRESET_NAMES):
            args.scenario = PRESET_NAMES[int(choice) - 1]
        elif choice in PRESET_NAMES:
            args.scenario = choice
        else:
            print(f"'{choice}' is not on the menu; pick a number, f or q", file=stdout)
            continue
        code = run_command(args)
        if code != EXIT_OK:
            print(f"(run ended with exit code {code})", file=stdout)


if __name__ == "__main__":
    sys.exit(main())
