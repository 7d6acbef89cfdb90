"""MCP tools, one module per domain; each module's `tools(state)` makes its tools."""

from __future__ import annotations

from mcp.server.mcpserver.tools import Tool

from ..state import ServerState
from . import alerts, correlation, deployments, logs, metrics, remediation, reporting, scenarios, status, traces

DOMAINS = (alerts, logs, metrics, correlation, traces, deployments, remediation, reporting, status, scenarios)


def all_tools(state: ServerState) -> list[Tool]:
    return [made for domain in DOMAINS for made in domain.tools(state)]
