"""The offline analyst: a deterministic `Model` that plays each agent's role by rules.

It sees exactly what an LLM would see (the conversation: the incident statement, findings
handed over so far, and the results of its own tool calls) and answers like one: with a tool
call, a handoff carrying typed findings, or the final report. It never reads the scenario;
the analytical weight sits in the server's tools, and the playbooks here only choose what to
ask, confirm the answers with each stage's own evidence, and turn them into findings.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from agents import Usage
from agents.items import ModelResponse
from agents.models.interface import Model, ModelTracing
from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage, ResponseOutputText

from ..handoffs import findings_from_input
from . import playbooks

ANALYST_NAME = "offline (rule-based analyst)"


class OfflineAnalyst(Model):
    """One instance per agent role; the role picks the playbook."""

    def __init__(self, role: str) -> None:
        if role not in playbooks.PLAYBOOKS:
            raise ValueError(f"no offline playbook for {role!r}")
        self.role = role

    async def get_response(self, system_instructions, input, model_settings, tools, output_schema, handoffs,
                           tracing: ModelTracing, *, previous_response_id=None, conversation_id=None,
                           prompt=None) -> ModelResponse:
        items = [{"role": "user", "content": input}] if isinstance(input, str) else list(input)
        results = _tool_results(items)
        view = playbooks.View(findings=findings_from_input(items), results=results,
                              tools={t.name for t in tools})
        step = playbooks.PLAYBOOKS[self.role](view)
        made = sum(1 for i in items if (i.get("type") if isinstance(i, dict) else getattr(i, "type", None))
                   == "function_call")
        call_id = f"offline-{self.role}-{made + 1}"
        if isinstance(step, playbooks.CallTool):
            step = playbooks.CallTools([step])
        if isinstance(step, playbooks.CallTools):
            output = [ResponseFunctionToolCall(id=f"offline-{self.role}-{n}", call_id=f"offline-{self.role}-{n}",
                                               type="function_call", name=c.name,
                                               arguments=json.dumps(c.arguments, separators=(",", ":")))
                      for n, c in enumerate(step.calls, made + 1)]
        elif isinstance(step, playbooks.HandOff):
            if not handoffs:
                raise RuntimeError(f"{self.role}: playbook wants to hand off but the agent has no handoff")
            output = [ResponseFunctionToolCall(id=call_id, call_id=call_id, type="function_call",
                                               name=handoffs[0].tool_name, arguments=step.payload.model_dump_json())]
        else:
            output = [ResponseOutputMessage(
                id=call_id, type="message", role="assistant", status="completed",
                content=[ResponseOutputText(type="output_text", text=step.report.model_dump_json(), annotations=[])])]
        # Requests count model calls; no tokens are spent by the rule-based analyst.
        return ModelResponse(output=output, usage=Usage(requests=1), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator:
        raise NotImplementedError("the offline analyst does not stream; run without streaming")


def _tool_results(items: list) -> dict[str, Any]:
    """name -> parsed JSON result (or {'error': text}) of this agent's tool calls so far."""
    names: dict[str, str] = {}
    results: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, dict):
            item = item.model_dump() if hasattr(item, "model_dump") else {}
        if item.get("type") == "function_call":
            names[item.get("call_id", "")] = item.get("name", "")
        elif item.get("type") == "function_call_output":
            name = names.get(item.get("call_id", ""))
            if name:
                results[name] = _parse(item.get("output"))
    return results


def _parse(output: Any) -> Any:
    if isinstance(output, list):
        output = "".join(part.get("text", "") for part in output if isinstance(part, dict))
    if isinstance(output, dict):
        output = output.get("text", json.dumps(output))
    try:
        return json.loads(output)
    except (TypeError, json.JSONDecodeError):
        return {"error": str(output)}
