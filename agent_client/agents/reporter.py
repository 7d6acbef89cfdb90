"""Incident Reporter Agent: the timeline and the final, typed incident report."""

from agents import Agent, AgentOutputSchema

from ..report import ReportBody
from .common import RULES

NAME = "Incident Reporter Agent"
TOOLS = ("generate_timeline", "format_incident_report")

INSTRUCTIONS = f"""You write the incident report.
1. generate_timeline. 2. format_incident_report with title, severity, summary, root cause.
Answer with the IncidentReport: root cause from the findings, candidates with scores, affected
services, remediation exactly as recorded, timeline. Status: "no incident" without a root cause,
"recovered" if it is over, "mitigation proposed" with proposals, else "investigating". {RULES}"""


def make_agent(model, mcp_server, output_guardrails=()) -> Agent:
    return Agent(name=NAME, instructions=INSTRUCTIONS, model=model, mcp_servers=[mcp_server],
                 output_type=AgentOutputSchema(ReportBody, strict_json_schema=False),
                 output_guardrails=list(output_guardrails))
