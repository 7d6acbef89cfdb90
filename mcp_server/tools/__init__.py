"""MCP tools, one module per domain; each module's `tools(state)` makes its tools. A domain's
name is its tool category: operators enable or disable tools by name or by category."""

from collections.abc import Iterable

from mcp.server.mcpserver.tools import Tool

from ..state import ServerState
from . import alerts, correlation, deployments, logs, metrics, remediation, reporting, scenarios, status, traces

DOMAINS = (alerts, logs, metrics, correlation, traces, deployments, remediation, reporting, status, scenarios)
CATEGORIES = {d.__name__.rsplit(".", 1)[-1]: d for d in DOMAINS}


def all_tools(state: ServerState) -> list[Tool]:
    return [made for domain in DOMAINS for made in domain.tools(state)]


def select(tools: list[Tool], enabled: Iterable[str] = (), disabled: Iterable[str] = (), read_only: bool = False
           ) -> tuple[list[Tool], dict[str, str]]:
    """The tools to serve, and why each other one is not. `enabled` and `disabled` name tools or
    categories (empty `enabled`: all); read-only mode serves only tools that change nothing.
    Raises ValueError naming what is unknown."""
    category = {t.name: _category(t) for t in tools}
    known = set(category) | set(CATEGORIES)
    enabled, disabled = set(enabled), set(disabled)
    unknown = sorted((enabled | disabled) - known)
    if unknown:
        raise ValueError(f"unknown tool or category: {', '.join(unknown)}; categories: {', '.join(CATEGORIES)}; "
                         f"tools: {', '.join(category)}")
    served, why = [], {}
    for t in tools:
        if enabled and not {t.name, category[t.name]} & enabled:
            why[t.name] = "not in --enabled-tools"
        elif {t.name, category[t.name]} & disabled:
            why[t.name] = "in --disabled-tools"
        elif read_only and not (t.annotations and t.annotations.read_only_hint):
            why[t.name] = "the server is read-only (--read-only)"
        else:
            served.append(t)
    return served, why


def _category(made: Tool) -> str:
    return made.fn.__module__.rsplit(".", 1)[-1]
