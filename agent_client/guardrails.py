"""SDK guardrails wired to the shared `guardrails` policies.

* backend readiness: an input guardrail that asks the server, over MCP, whether there is
  telemetry to investigate, before any agent works;
* proposal safety: a tool-input guardrail on the MCP server that checks every remediation
  proposal before it is sent; a refused proposal is not sent, and the model reads why as the
  tool's result, so that it can propose what the policy accepts (the server checks again, with
  what it knows of the service);
* report safety: an output guardrail on the final report's remediation.
"""

from __future__ import annotations

import json

from agents import GuardrailFunctionOutput, RunContextWrapper, input_guardrail, output_guardrail
from agents.tool_guardrails import ToolGuardrailFunctionOutput, ToolInputGuardrailData, tool_input_guardrail

import guardrails as policy
from knowledge import PROPOSAL_TOOLS

from .context import InvestigationContext
from .report import ReportBody

PROPOSAL_KINDS = {tool: kind for kind, tool in PROPOSAL_TOOLS.items()}
REFUSED = "Refused by the remediation safety policy"


def backend_ready(mcp_server):
    @input_guardrail(name="backend_ready", run_in_parallel=False)
    async def check(ctx: RunContextWrapper, agent, user_input) -> GuardrailFunctionOutput:
        try:
            result = await mcp_server.call_tool("get_backend_status", {})
            status = json.loads(result.content[0].text) if not result.is_error else {
                "reachable": False, "detail": result.content[0].text}
        except Exception as exc:  # the server itself is unreachable
            status = {"reachable": False, "detail": f"{type(exc).__name__}: {exc}"}
        readiness = policy.assess_readiness(status)
        if isinstance(ctx.context, InvestigationContext):
            ctx.context.incident_id = status.get("incident", ctx.context.incident_id)
            if not readiness.ready:
                ctx.context.guardrail_message = f"backend not ready: {readiness.reason}"
        return GuardrailFunctionOutput(output_info=readiness.reason, tripwire_triggered=not readiness.ready)

    return check


@tool_input_guardrail(name="proposal_safety")
def proposal_safety(data: ToolInputGuardrailData) -> ToolGuardrailFunctionOutput:
    tool = data.context.tool_name
    kind = PROPOSAL_KINDS.get(tool)
    if kind is None:
        return ToolGuardrailFunctionOutput.allow()
    try:
        args = json.loads(data.context.tool_arguments or "{}")
    except json.JSONDecodeError:
        return ToolGuardrailFunctionOutput.allow()  # the call fails, and the model hears why
    if not isinstance(args, dict):
        return ToolGuardrailFunctionOutput.allow()
    service = str(args.get("service", ""))
    details = {k: v for k, v in args.items() if k not in ("service", "reason")}
    verdict = policy.check_proposal(kind, service, details, reason=str(args.get("reason") or ""))
    if verdict.allowed:
        return ToolGuardrailFunctionOutput.allow()
    message = f"{REFUSED} ({tool} on {service or '?'}); nothing was recorded: {verdict.message()}"
    ctx = data.context.context
    if isinstance(ctx, InvestigationContext):
        ctx.refused_proposals.append(message)
    return ToolGuardrailFunctionOutput.reject_content(message, output_info=list(verdict.reasons))


@output_guardrail(name="report_safety")
async def report_safety(ctx: RunContextWrapper, agent, output: ReportBody) -> GuardrailFunctionOutput:
    problems = []
    for item in output.remediation:
        verdict = policy.check_proposal(item.kind, item.service, item.details, command=item.command)
        problems.extend(f"{item.kind} {item.service}: {r}" for r in verdict.reasons)
    if problems and isinstance(ctx.context, InvestigationContext):
        ctx.context.guardrail_message = "unsafe remediation in the report: " + "; ".join(problems)
    return GuardrailFunctionOutput(output_info=problems, tripwire_triggered=bool(problems))
