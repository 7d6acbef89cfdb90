"""Metrics Analyzer Agent: anomalies, their onsets, and how they travel the dependency graph."""

from agents import Agent

from ..handoffs import findings_handoff
from ..payloads import MetricsFindings
from .common import MUST_USE_TOOLS, RULES

NAME = "Metrics Analyzer Agent"
TOOLS = ("query_metrics", "detect_anomalies", "get_service_dependencies")
PAYLOAD = MetricsFindings
STAGE = "metrics"

INSTRUCTIONS = f"""You analyse metrics.
1. detect_anomalies: what moved, which way, since when; which services went silent.
2. get_service_dependencies: failures travel to callers, load to callees; the suspect is the earliest
   anomalous service whose dependencies are healthy.
3. query_metrics for the suspect (metric="all").
Hand off with anomalous services (earliest first), silent services, the suspect, its metric changes,
replicas_desired and connection_pool_max. {RULES}"""


def make_agent(model, mcp_server, next_agent: Agent) -> Agent:
    return Agent(name=NAME, instructions=INSTRUCTIONS, model=model, mcp_servers=[mcp_server],
                 handoffs=[findings_handoff(next_agent, PAYLOAD, STAGE)], model_settings=MUST_USE_TOOLS,
                 reset_tool_choice=False)
