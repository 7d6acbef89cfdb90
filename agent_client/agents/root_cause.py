"""Root Cause Analyzer Agent: which service, which fault, and how sure."""

from agents import Agent

from ..handoffs import findings_handoff
from ..payloads import RootCauseFindings
from .common import MUST_USE_TOOLS, RULES

NAME = "Root Cause Analyzer Agent"
TOOLS = ("correlate_signals", "query_traces", "get_recent_deployments")
PAYLOAD = RootCauseFindings
STAGE = "root_cause"

FAULT_TYPES = ("memory_leak, cpu_saturation, bad_deployment, connection_pool_exhaustion, network_partition, "
               "network_latency, packet_loss, disk_full, config_error, credential_failure, dns_failure, "
               "crash_loop, traffic_surge, or none")

INSTRUCTIONS = f"""You decide the root cause (earlier findings are in the conversation).
1. correlate_signals: ranked candidates with evidence.
2. query_traces (errors_only=true): where failing requests fail.
3. get_recent_deployments (all services; at once with 1 and 2): a change to the top candidate just
   before its onset is strong evidence.
Confirm the candidate with the log and metric findings and name the fault type: {FAULT_TYPES}.
Top score below 0.25 means no incident (service null, fault_type none). Hand off with service, fault
type, confidence, onset, candidates, evidence, and a config change's key and old value. {RULES}"""


def make_agent(model, mcp_server, next_agent: Agent) -> Agent:
    return Agent(name=NAME, instructions=INSTRUCTIONS, model=model, mcp_servers=[mcp_server],
                 handoffs=[findings_handoff(next_agent, PAYLOAD, STAGE)], model_settings=MUST_USE_TOOLS,
                 reset_tool_choice=False)
