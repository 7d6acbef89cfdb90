"""The investigation, top to bottom: connect to the MCP server, build the six agents, run the
handoff chain from a neutral incident statement within the run's deadline, and assemble the
typed report; a run that stops says what failed and keeps what it found."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass

from agents import Agent, MaxTurnsExceeded, ModelBehaviorError, RunConfig, Runner
from agents.exceptions import AgentsException, InputGuardrailTripwireTriggered, OutputGuardrailTripwireTriggered
from agents.mcp import MCPServerStdio, MCPServerStreamableHttp

from .agents import log_analyzer, metrics_analyzer, remediation, reporter, root_cause, triage
from .config import Settings
from .context import InvestigationContext
from .failures import MCPServerLost, llm_failure, server_lost, tool_failure_message
from .guardrails import backend_ready, proposal_safety, report_safety
from .limits import Limits
from .llm import chat_client, chat_model, configure_tracing, retry_settings
from .offline.analyst import ANALYST_NAME, OfflineAnalyst
from .progress import Progress
from .report import Candidate, IncidentReport, ReportBody, RootCause, Usage

# The run starts from what an on-call engineer is paged with, never from the scenario.
INCIDENT_STATEMENT = ("Alerts are firing in production. Investigate: find what is broken, why, and what to do "
                      "about it.")
AGENT_MODULES = (triage, log_analyzer, metrics_analyzer, root_cause, remediation, reporter)
TOOLS_BY_AGENT = {m.NAME: set(m.TOOLS) for m in AGENT_MODULES}
ROLES = {triage.NAME: "triage", log_analyzer.NAME: "log_analyzer", metrics_analyzer.NAME: "metrics_analyzer",
         root_cause.NAME: "root_cause", remediation.NAME: "remediation", reporter.NAME: "reporter"}
MAX_TURNS = 60


class InvestigationError(RuntimeError):
    """The run stopped early. `partial` holds what was found before it stopped."""

    def __init__(self, message: str, partial: IncidentReport) -> None:
        super().__init__(message)
        self.partial = partial


def only_own_tools(ctx, tool) -> bool:
    """One server, six agents: each sees only its own tools."""
    return tool.name in TOOLS_BY_AGENT.get(ctx.agent.name, ())


def connect(scenario: str | None = None, scenario_file: str | None = None, seed: int | None = None,
            server_url: str | None = None, data: str | None = None, limits: Limits = Limits()):
    """The MCP server, not yet connected: a running one (`server_url`), or one spawned for a
    scenario, a spec file, or a directory of telemetry files (`data`). A request unanswered for
    `limits.mcp_request_seconds` means the server stopped answering; a failed tool call is told
    to the model (`tool_failure_message`), unless the server is gone."""
    common = dict(cache_tools_list=True, client_session_timeout_seconds=limits.mcp_request_seconds,
                  tool_filter=only_own_tools, tool_input_guardrails=[proposal_safety],
                  failure_error_function=tool_failure_message, name="aiops-mcp")
    if server_url:
        return MCPServerStreamableHttp(params={"url": server_url, "timeout": 30}, **common)
    args = ["-m", "mcp_server.cli"]
    if data:
        args += ["--data", data]
    elif scenario_file:
        args += ["--scenario-file", scenario_file]
    elif scenario:
        args += ["--scenario", scenario]
    if seed is not None:
        args += ["--seed", str(seed)]
    return MCPServerStdio(params={"command": sys.executable, "args": args}, **common)


def build_agents(server, settings: Settings, client=None) -> Agent:
    """The chain, built back to front; returns the first agent. `client` is the LLM endpoint's
    client (None offline)."""
    def model(name: str):
        return OfflineAnalyst(ROLES[name]) if settings.offline else shared

    shared = None if settings.offline else chat_model(settings, client)
    report_agent = reporter.make_agent(model(reporter.NAME), server, output_guardrails=[report_safety])
    fix = remediation.make_agent(model(remediation.NAME), server, report_agent)
    rca = root_cause.make_agent(model(root_cause.NAME), server, fix)
    metrics = metrics_analyzer.make_agent(model(metrics_analyzer.NAME), server, rca)
    logs = log_analyzer.make_agent(model(log_analyzer.NAME), server, metrics)
    return triage.make_agent(model(triage.NAME), server, logs, input_guardrails=[backend_ready(server)])


@dataclass
class Outcome:
    report: IncidentReport
    context: InvestigationContext


async def investigate(server, settings: Settings, progress: Progress | None = None, max_turns: int = MAX_TURNS,
                      limits: Limits = Limits(), deadline: float | None = None) -> Outcome:
    """Run the six agents against a connected server, until `deadline` (the event loop's
    clock; by default `limits.run_seconds` from now)."""
    configure_tracing()
    progress = progress or Progress(quiet=True)
    context = InvestigationContext()
    started = time.perf_counter()
    client = None if settings.offline else chat_client(settings, limits, context.count_llm_request)
    first = build_agents(server, settings, client)
    progress.say("=" * 60 + "\n  STARTING INCIDENT RESPONSE PIPELINE\n" + "=" * 60)
    if settings.offline:
        progress.say(f"  model: {ANALYST_NAME} (no LLM; set OPENROUTER_API_KEY to use one)")
    else:
        progress.say(f"  model: {settings.model} via {settings.base_url}")
    run_config = RunConfig(workflow_name="aiops-incident-response",
                           model_settings=None if settings.offline else retry_settings(limits))
    timer = asyncio.timeout_at(deadline if deadline is not None
                               else asyncio.get_running_loop().time() + limits.run_seconds)
    error = None
    result = None
    try:
        async with timer:
            result = await Runner.run(first, INCIDENT_STATEMENT, context=context, hooks=progress,
                                      max_turns=max_turns, run_config=run_config)
    except TimeoutError:
        if not timer.expired():
            raise
        error = f"the investigation did not finish within its deadline ({limits.run_seconds:g} s, --timeout)"
    except MCPServerLost as exc:
        error = str(exc)
    except InputGuardrailTripwireTriggered:
        error = context.guardrail_message or "input guardrail: the backend is not ready"
    except OutputGuardrailTripwireTriggered:
        error = context.guardrail_message or "remediation safety guardrail rejected the report"
    except MaxTurnsExceeded:
        error = f"the agents did not finish within {max_turns} turns"
    except ModelBehaviorError as exc:
        error = llm_failure(exc, settings.base_url, context.llm_requests) if context.awaiting_llm else \
            f"the model misbehaved: {exc}"
    except AgentsException as exc:
        error = server_lost(exc) or f"{type(exc).__name__}: {exc}"
    except Exception as exc:
        if not context.awaiting_llm:
            raise
        error = llm_failure(exc, settings.base_url, context.llm_requests)
    finally:
        if client is not None:
            await client.close()  # in this event loop, not whenever it is collected
    usage = _usage(settings, context, time.perf_counter() - started)
    if error is None and isinstance(result.final_output, ReportBody):
        report = IncidentReport(**dict(result.final_output), incident_id=context.incident_id,
                                agents=list(context.agents), usage=usage)
        return Outcome(report, context)
    if error is None:
        error = "the last agent answered without an incident report"
    raise InvestigationError(error, partial_report(context, usage, error))


def _usage(settings: Settings, context: InvestigationContext, wall: float) -> Usage:
    """What the run used, as counted while it ran (so a failed run reports it too)."""
    if settings.offline:
        return Usage(model=ANALYST_NAME, tool_calls=context.tool_calls, wall_seconds=round(wall, 2))
    return Usage(model=settings.model, llm_requests=context.llm_requests, input_tokens=context.input_tokens,
                 output_tokens=context.output_tokens, tool_calls=context.tool_calls, wall_seconds=round(wall, 2))


def partial_report(context: InvestigationContext, usage: Usage, error: str) -> IncidentReport:
    """Whatever the findings so far say, so that a failed run still leaves a record."""
    f = context.findings
    rc = f.root_cause
    return IncidentReport(
        incident_id=context.incident_id,
        title="Investigation stopped: " + error[:120],
        severity=f.triage.severity if f.triage else "unknown",
        status=f"failed: {error}",
        root_cause=RootCause(service=rc.service if rc else None, fault_type=rc.fault_type if rc else "unknown",
                             summary=rc.summary if rc else "not determined before the run stopped",
                             confidence=rc.confidence if rc else 0.0, evidence=rc.evidence if rc else []),
        candidates=[Candidate(service=c.service, score=c.score) for c in rc.candidates][:5] if rc else [],
        affected_services=(f.metrics.anomalous_services if f.metrics else []),
        agents=list(context.agents), usage=usage,
    )
