"""Log Analyzer Agent: which errors, where, since when, and who they blame."""

from agents import Agent

from ..handoffs import findings_handoff
from ..payloads import LogFindings
from .common import MUST_USE_TOOLS, RULES

NAME = "Log Analyzer Agent"
TOOLS = ("query_logs", "search_error_patterns", "get_log_statistics")
PAYLOAD = LogFindings
STAGE = "logs"

INSTRUCTIONS = f"""You analyse logs.
1. get_log_statistics: who logs most errors, and whether errors grew.
2. search_error_patterns (min_level WARN): errors naming another service (timeouts, refused, 5xx)
   point at it; errors about itself (exceptions, memory, pool, disk, config, auth, DNS) at the logger.
3. query_logs (min_level ERROR): the newest error lines. Make the three calls at once.
Hand off with the error services, top patterns, and services whose errors are their own. {RULES}"""


def make_agent(model, mcp_server, next_agent: Agent) -> Agent:
    return Agent(name=NAME, instructions=INSTRUCTIONS, model=model, mcp_servers=[mcp_server],
                 handoffs=[findings_handoff(next_agent, PAYLOAD, STAGE)], model_settings=MUST_USE_TOOLS,
                 reset_tool_choice=False)
