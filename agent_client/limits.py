"""How long the client waits and how often it tries again: the whole run, one LLM request, one
MCP request. A run on a bad day ends within `run_seconds`, with a message naming what failed."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_RUN_SECONDS = 900.0


@dataclass(frozen=True)
class Limits:
    run_seconds: float = DEFAULT_RUN_SECONDS  # the whole investigation (aiops-agent run --timeout)
    llm_request_seconds: float = 60.0  # one request to the LLM endpoint
    llm_retries: int = 3  # after a rate limit, a 5xx, a timeout or a malformed answer
    llm_backoff_seconds: float = 1.0  # before the first retry; doubled for each next one
    mcp_request_seconds: float = 60.0  # one request to the MCP server; longer means it stopped answering
