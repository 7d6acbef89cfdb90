"""Triage Agent: what is alerting, what is unhealthy, how bad, and over which window."""

from agents import Agent

from ..handoffs import findings_handoff
from ..payloads import TriageFindings
from .common import MUST_USE_TOOLS, RULES

NAME = "Triage Agent"
TOOLS = ("fetch_active_alerts", "get_service_health_summary")
PAYLOAD = TriageFindings
STAGE = "triage"

INSTRUCTIONS = f"""You triage a production incident.
1. fetch_active_alerts (include_resolved=true, window_minutes=180): what fired, when.
2. get_service_health_summary: what is down or degraded now.
Hand off with: severity (P1 several services down or critical, P2 a critical alert, P3 warnings, P4
nothing wrong), alerting and unhealthy services, the earliest alert, and window_minutes covering it
plus 30 minutes (at least 60). {RULES}"""


def make_agent(model, mcp_server, next_agent: Agent, input_guardrails=()) -> Agent:
    return Agent(name=NAME, instructions=INSTRUCTIONS, model=model, mcp_servers=[mcp_server],
                 handoffs=[findings_handoff(next_agent, PAYLOAD, STAGE)], model_settings=MUST_USE_TOOLS,
                 reset_tool_choice=False, input_guardrails=list(input_guardrails))
