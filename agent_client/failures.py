"""What went wrong, said so that the operator knows which part failed: the MCP server (it exited,
or stopped answering), the LLM endpoint (after its retries), or a tool call the model can
correct (it hears why, not "An error occurred")."""

from __future__ import annotations

import anyio
from agents import ModelBehaviorError, RunContextWrapper
from agents.exceptions import AgentsException
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT

from guardrails.untrusted_text import clean

TOOL_FAILED = "Tool call failed:"


class MCPServerLost(AgentsException):
    """The MCP server exited or stopped answering: nothing more can be investigated."""


def server_lost(error: BaseException) -> str | None:
    """How the MCP server was lost, if this error says it was (None otherwise)."""
    for cause in _chain(error):
        if isinstance(cause, MCPServerLost):
            return str(cause)
        if isinstance(cause, MCPError) and cause.error.code == REQUEST_TIMEOUT:
            return f"the MCP server stopped answering ({cause.error.message})"
        if isinstance(cause, MCPError) and cause.error.code == CONNECTION_CLOSED:
            return "the MCP server exited (its connection closed)"
        if isinstance(cause, (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream,
                              ConnectionError, EOFError)):
            return f"the MCP server exited ({type(cause).__name__})"
        if isinstance(cause, AgentsException) and "MCP server" in str(cause) and any(s in str(cause) for s in (
                "Connection lost", "Could not reach the server", "Connection timeout", "Request failed", "HTTP error",
                "Server not initialized")):
            return f"the MCP server stopped answering ({clean(str(cause), 200)})"
    return None


def tool_failure_message(ctx: RunContextWrapper, error: Exception) -> str:
    """The SDK's failure-error function for MCP tools: what the model reads when a call fails,
    so that it can correct the call. A lost server ends the run instead."""
    lost = server_lost(error)
    if lost:
        raise MCPServerLost(lost) from error
    if isinstance(error, ModelBehaviorError):  # arguments that are not a JSON object
        return (f"{TOOL_FAILED} the arguments are not a valid JSON object ({clean(str(error), 200)}). Send one JSON "
                "object with the parameters the tool's schema lists.")
    if isinstance(error, MCPError):
        return f"{TOOL_FAILED} {clean(error.error.message, 500)}"
    return f"{TOOL_FAILED} {type(error).__name__}: {clean(str(error), 300)}"


def llm_failure(error: BaseException, base_url: str, requests: int) -> str:
    """The message for an LLM endpoint that failed after its retries."""
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        what = f"answered HTTP {status}" + {429: " (rate limited)", 401: " (check OPENROUTER_API_KEY)",
                                            403: " (check OPENROUTER_API_KEY)"}.get(status, "")
        retry_after = getattr(getattr(error, "response", None), "headers", {}).get("retry-after")
        if retry_after:
            what += f", asking to retry after {clean(retry_after, 40)} s"
    elif "Timeout" in type(error).__name__:
        what = "did not answer in time"
    elif "Connection" in type(error).__name__:
        what = f"could not be reached or cut its answer short ({clean(str(error), 120)})"
    elif isinstance(error, (ModelBehaviorError, ValueError, TypeError, KeyError, AttributeError)):
        what = f"sent an answer that is not a chat completion ({type(error).__name__}: {clean(str(error), 120)})"
    else:
        what = f"failed: {type(error).__name__}: {clean(str(error), 160)}"
    return f"the LLM endpoint {clean(base_url, 120)} {what}; gave up after {requests} request(s)"


def _chain(error: BaseException):
    seen = set()
    stack = [error]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            stack.extend(current.exceptions)
        stack.extend((current.__cause__, current.__context__))
