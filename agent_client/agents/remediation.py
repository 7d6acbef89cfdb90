"""Remediation Agent: the runbook for the fault, and proposals that fit it."""

from agents import Agent

from ..handoffs import findings_handoff
from ..payloads import RemediationFindings
from .common import MUST_USE_TOOLS, RULES

NAME = "Remediation Agent"
# The original assignment: the runbook and three proposal kinds (the server also offers
# propose_restart to other hosts).
TOOLS = ("lookup_runbook", "propose_rollback", "propose_scaling_action", "propose_config_change")
PAYLOAD = RemediationFindings
STAGE = "remediation"

INSTRUCTIONS = f"""You propose remediation for the diagnosed root cause.
1. lookup_runbook for the fault type: its actions are the remediation kinds that fit, best first.
2. Propose the first of them you can that fits the root-cause service (a leak is rolled back only if a
   release of it came just before the onset; a config change reverts a changed key or raises a limit).
   A refused proposal says what would be accepted: adjust it, or try the next kind.
No incident: propose nothing. Hand off with the proposals and rationale. {RULES}"""


def make_agent(model, mcp_server, next_agent: Agent) -> Agent:
    return Agent(name=NAME, instructions=INSTRUCTIONS, model=model, mcp_servers=[mcp_server],
                 handoffs=[findings_handoff(next_agent, PAYLOAD, STAGE)], model_settings=MUST_USE_TOOLS,
                 reset_tool_choice=False)
