"""What every request passes before a handler sees it (an SDK server middleware): it is bound to
its client's session, a tool call's arguments are checked strictly, and unknown tools and prompts
get the spec's JSON-RPC error (-32602, as an unknown resource does from the SDK) instead of a
generic one."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver.tools import Tool
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, CallToolResult, TextContent

from .sessions import Sessions, key_of
from .tools.arguments import ArgumentCheck, brief


class RequestGuard:
    def __init__(self, sessions: Sessions, tools: list[Tool], prompts: list[str],
                 disabled: dict[str, str] | None = None) -> None:
        self.sessions = sessions
        self.checks = {t.name: ArgumentCheck(t) for t in tools}
        self.prompts = prompts
        self.disabled = disabled or {}  # tool name -> why it is not served

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        token = self.sessions.bind(key_of(ctx.request))
        try:
            params = ctx.params if isinstance(ctx.params, dict) else {}
            if ctx.method == "tools/call":
                refusal = self._check_call(params)
                if refusal is not None:
                    return refusal
            elif ctx.method == "prompts/get" and params.get("name") not in self.prompts:
                raise MCPError(code=INVALID_PARAMS, message=f"Unknown prompt: {brief(params.get('name'))}; "
                                                            f"prompts: {', '.join(self.prompts)}")
            return await call_next(ctx)
        finally:
            self.sessions.unbind(token)

    def _check_call(self, params: dict) -> CallToolResult | None:
        name = params.get("name")
        check = self.checks.get(name) if isinstance(name, str) else None
        if check is None:
            why = self.disabled.get(name) if isinstance(name, str) else None
            message = (f"Tool {name!r} is not served: {why}" if why else
                       f"Unknown tool: {brief(name)}; tools: {', '.join(self.checks)}")
            raise MCPError(code=INVALID_PARAMS, message=message)
        problem = check.problem(params.get("arguments"))
        if problem is None:
            return None
        return CallToolResult(content=[TextContent(type="text", text=f"{name}: {problem}")], is_error=True)
