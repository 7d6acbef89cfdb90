"""The run's record and its live console narration: `RunAccounting` keeps in the run context
which agents worked, how many tools were called and what the LLM used; `Progress` also prints
agents starting, tools called (with a short argument summary), refusals, handoffs and
completion. Printing is kept apart from the pipeline."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from agents import RunHooks

from .context import InvestigationContext
from .failures import TOOL_FAILED


def _summary(arguments: str | None, limit: int = 90) -> str:
    try:
        args = json.loads(arguments or "{}")
    except json.JSONDecodeError:
        return ""
    if not isinstance(args, dict) or not args:
        return ""
    text = ", ".join(f"{k}={v}" for k, v in args.items() if k != "reason")
    return f" ({text[: limit - 1]}…)" if len(text) > limit else f" ({text})"


class RunAccounting(RunHooks):
    """Keeps the run's record in its context (an `InvestigationContext`)."""

    async def on_agent_start(self, context, agent) -> None:
        ctx = context.context
        if isinstance(ctx, InvestigationContext) and (not ctx.agents or ctx.agents[-1] != agent.name):
            ctx.agents.append(agent.name)

    async def on_tool_start(self, context, agent, tool) -> None:
        if isinstance(context.context, InvestigationContext):
            context.context.tool_calls += 1

    async def on_tool_end(self, context, agent, tool, result) -> None:
        if _refusal(result) and isinstance(context.context, InvestigationContext):
            context.context.invalid_tool_calls += 1

    async def on_llm_start(self, context, agent, system_prompt, input_items) -> None:
        if isinstance(context.context, InvestigationContext):
            context.context.awaiting_llm = True

    async def on_llm_end(self, context, agent, response) -> None:
        ctx = context.context
        if isinstance(ctx, InvestigationContext):
            ctx.awaiting_llm = False
            ctx.input_tokens += response.usage.input_tokens or 0
            ctx.output_tokens += response.usage.output_tokens or 0


def _refusal(result) -> str | None:
    text = result if isinstance(result, str) else json.dumps(result, default=str)[:400]
    return text if "Error executing tool" in text[:200] or text.startswith(TOOL_FAILED) else None


class Progress(RunAccounting):
    """The run's record and, unless quiet, its narration."""

    def __init__(self, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self.stream = stream or sys.stdout

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    async def on_agent_start(self, context, agent) -> None:
        await super().on_agent_start(context, agent)
        self.say(f"\n  AGENT: {agent.name}")

    async def on_tool_start(self, context, agent, tool) -> None:
        await super().on_tool_start(context, agent, tool)
        self.say(f"  [{agent.name}] calling tool: {tool.name}{_summary(getattr(context, 'tool_arguments', None))}")

    async def on_tool_end(self, context, agent, tool, result) -> None:
        await super().on_tool_end(context, agent, tool, result)
        refusal = _refusal(result)
        if refusal:
            self.say(f"  [{agent.name}] tool {tool.name} refused: {refusal[:160]}")

    async def on_handoff(self, context, from_agent, to_agent) -> None:
        self.say(f"\n  >> Handoff: {from_agent.name} -> {to_agent.name}")

    async def on_agent_end(self, context, agent, output) -> None:
        self.say(f"\n  [{agent.name}] completed.")
