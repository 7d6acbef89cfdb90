"""Remediation Agent: the runbook for the fault, and proposals that fit it."""

from agents import Agent

from ..handoffs import findings_handoff
from ..payloads import RemediationFindings
from .common import MUST_USE_TOOLS, RULES

NAME = "Remediation Agent"
# The original assignment: the runbook and three proposal kinds. (The server also offers
# propose_restart to other hosts; here scaling out stands in for rescheduling.)
TOOLS = ("lookup_runbook", "propose_rollback", "propose_scaling_action", "propose_config_change")
PAYLOAD = RemediationFindings
STAGE = "remediation"

INSTRUCTIONS = f"""You propose remediation for the diagnosed root cause (findings are in the conversation).
1. lookup_runbook for the fault type.
2. Propose what fits the root-cause service: rollback a bad deployment (or what a crash loop started
   with), revert a bad config key, raise the pool for pool exhaustion, scale out for CPU, traffic, a
   memory leak or a network fault (new pods land on healthy nodes), fix DNS or credentials settings.
   Nothing destructive; proposals are only recorded for a human.
No incident: propose nothing. Hand off with the proposals and rationale. {RULES}"""


def make_agent(model, mcp_server, next_agent: Agent) -> Agent:
    return Agent(name=NAME, instructions=INSTRUCTIONS, model=model, mcp_servers=[mcp_server],
                 handoffs=[findings_handoff(next_agent, PAYLOAD, STAGE)], model_settings=MUST_USE_TOOLS,
                 reset_tool_choice=False)
