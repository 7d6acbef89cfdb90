"""Live console progress: agents starting, tools called (with a short argument summary),
handoffs and completion. Printing is kept apart from the pipeline."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from agents import RunHooks

from .context import InvestigationContext


def _summary(arguments: str | None, limit: int = 90) -> str:
    try:
        args = json.loads(arguments or "{}")
    except json.JSONDecodeError:
        return ""
    if not isinstance(args, dict) or not args:
        return ""
    text = ", ".join(f"{k}={v}" for k, v in args.items() if k != "reason")
    return f" ({text[: limit - 1]}…)" if len(text) > limit else f" ({text})"


class Progress(RunHooks):
    """Counts tool calls and, unless quiet, narrates the run."""

    def __init__(self, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self.stream = stream or sys.stdout

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    async def on_agent_start(self, context, agent) -> None:
        ctx = context.context
        if isinstance(ctx, InvestigationContext) and (not ctx.agents or ctx.agents[-1] != agent.name):
            ctx.agents.append(agent.name)
        self.say(f"\n  AGENT: {agent.name}")

    async def on_tool_start(self, context, agent, tool) -> None:
        ctx = context.context
        if isinstance(ctx, InvestigationContext):
            ctx.tool_calls += 1
        self.say(f"  [{agent.name}] calling tool: {tool.name}{_summary(getattr(context, 'tool_arguments', None))}")

    async def on_tool_end(self, context, agent, tool, result) -> None:
        text = result if isinstance(result, str) else json.dumps(result, default=str)[:400]
        if "Error executing tool" in text[:200] or text.startswith("An error occurred"):
            ctx = context.context
            if isinstance(ctx, InvestigationContext):
                ctx.invalid_tool_calls += 1
            self.say(f"  [{agent.name}] tool {tool.name} refused: {text[:160]}")

    async def on_handoff(self, context, from_agent, to_agent) -> None:
        self.say(f"\n  >> Handoff: {from_agent.name} -> {to_agent.name}")

    async def on_agent_end(self, context, agent, output) -> None:
        self.say(f"\n  [{agent.name}] completed.")
