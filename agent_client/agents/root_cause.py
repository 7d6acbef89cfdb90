"""Root Cause Analyzer Agent: which service, which fault, and how sure."""

from agents import Agent

from knowledge import FAULT_TYPES, INCIDENT_THRESHOLD

from ..handoffs import findings_handoff
from ..payloads import RootCauseFindings
from .common import MUST_USE_TOOLS, RULES

NAME = "Root Cause Analyzer Agent"
TOOLS = ("correlate_signals", "query_traces", "get_recent_deployments")
PAYLOAD = RootCauseFindings
STAGE = "root_cause"

INSTRUCTIONS = f"""You decide the root cause.
1. correlate_signals: ranked candidates with evidence.
2. query_traces (errors_only=true): where failing requests fail.
3. get_recent_deployments (all services; at once with 1 and 2): a change to the top candidate just
   before its onset is strong evidence.
Confirm the candidate with the log and metric findings and name the fault type: {", ".join(FAULT_TYPES)}
(unknown when the evidence supports none). Top score below {INCIDENT_THRESHOLD} means no incident (service
null, fault_type none). Hand off the findings, with a config change's key and old value. {RULES}"""


def make_agent(model, mcp_server, next_agent: Agent) -> Agent:
    return Agent(name=NAME, instructions=INSTRUCTIONS, model=model, mcp_servers=[mcp_server],
                 handoffs=[findings_handoff(next_agent, PAYLOAD, STAGE)], model_settings=MUST_USE_TOOLS,
                 reset_tool_choice=False)
