"""A local OpenAI-compatible chat-completions server that plays a scripted model.

Policy: in each request, call the next offered tool that this agent has not called yet (one
per request, with arguments made from the tool's JSON schema: required fields only), then
call the handoff tool with a payload made from its schema, or, when there is no handoff,
answer with a JSON document that fits the requested response format. Every request is
recorded so tests can assert what the SDK sent.

`failures` makes it a bad endpoint: called with the number of the request (0, 1, ...), it
returns the `Failure` to answer that request with (an error status, a Retry-After, a garbage
or truncated body, a hang), or None to answer normally. Every request counts in `attempts`.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SERVICE = "user-service"


def tokens(text: str) -> int:
    return max(1, len(text) // 4)


def example(schema: dict, defs: dict, name: str = "") -> Any:
    """A minimal valid value for a JSON schema (required properties only)."""
    if "$ref" in schema:
        return example(defs[schema["$ref"].split("/")[-1]], defs, name)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
            return example(options[0], defs, name)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        required = schema.get("required", [])
        return {k: example(v, defs, k) for k, v in schema.get("properties", {}).items() if k in required}
    if kind == "array":
        return []
    if kind == "integer":
        return max(schema.get("minimum", 0), 4 if name == "replicas" else 1)
    if kind == "number":
        return schema.get("minimum", 0.5)
    if kind == "boolean":
        return False
    if name == "service" or name.endswith("service"):
        return SERVICE
    if name == "severity":
        return "P2"
    if name == "key":
        return "DB_POOL_MAX_SIZE"
    if name == "value":
        return "40"
    return f"scripted {name}".strip()


@dataclass
class Recorded:
    body: dict
    response: dict

    @property
    def tool_names(self) -> list[str]:
        return [t["function"]["name"] for t in self.body.get("tools", [])]

    @property
    def input_tokens(self) -> int:
        return self.response["usage"]["prompt_tokens"]


@dataclass
class ScriptedPolicy:
    """Decides the assistant message for one request. Override `arguments` to misbehave (a str
    is sent as the arguments as it is, valid JSON or not) and `final` to change the last answer."""

    arguments: Callable[[str, dict], dict | str] | None = None
    final: Callable[[dict], dict] | None = None

    def respond(self, body: dict) -> dict:
        tools = {t["function"]["name"]: t["function"] for t in body.get("tools", [])}
        messages = body.get("messages", [])
        called = set()
        for m in messages:
            for call in m.get("tool_calls") or []:
                called.add(call["function"]["name"])
        handoffs = [n for n in tools if n.startswith("transfer_to_")]
        for name, spec in tools.items():
            if name in handoffs or name in called:
                continue
            params = spec.get("parameters", {})
            args = example(params, params.get("$defs", {}))
            if self.arguments:
                args = self.arguments(name, args)
            return _tool_call(name, args, len(messages))
        if handoffs:
            params = tools[handoffs[0]].get("parameters", {})
            return _tool_call(handoffs[0], example(params, params.get("$defs", {})), len(messages))
        schema = (body.get("response_format") or {}).get("json_schema", {}).get("schema", {})
        content = example(schema, schema.get("$defs", {})) if schema else {"answer": "done"}
        if self.final:
            content = self.final(content)
        return {"role": "assistant", "content": json.dumps(content)}


def _tool_call(name: str, args: dict | str, n: int) -> dict:
    arguments = args if isinstance(args, str) else json.dumps(args)
    return {"role": "assistant", "content": None,
            "tool_calls": [{"id": f"call_{n}_{name}"[:60], "type": "function",
                            "function": {"name": name, "arguments": arguments}}]}


@dataclass(frozen=True)
class Failure:
    """How to answer one request badly."""

    status: int = 200
    retry_after: str | None = None
    body: bytes | None = None  # instead of the real answer, e.g. garbage
    truncated: bool = False  # promise more bytes than are sent, then close the connection
    hang: float = 0.0  # seconds to wait before answering

    def response(self) -> Response:
        body = self.body if self.body is not None else json.dumps(
            {"error": {"message": f"scripted failure {self.status}", "type": "server_error"}}).encode()
        headers = {"retry-after": self.retry_after} if self.retry_after else {}
        if self.truncated:
            headers["content-length"] = str(len(body) + 1000)
        return Response(body, status_code=self.status, headers=headers, media_type="application/json")


@dataclass
class FakeOpenAI:
    policy: ScriptedPolicy = field(default_factory=ScriptedPolicy)
    requests: list[Recorded] = field(default_factory=list)
    port: int = 0
    failures: Callable[[int], Failure | None] | None = None
    attempts: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _chat(self, request: Request) -> Response:
        number, self.attempts = self.attempts, self.attempts + 1
        failure = self.failures(number) if self.failures else None
        if failure is not None:
            until = time.monotonic() + failure.hang
            while time.monotonic() < until and not self._server.should_exit:  # a hang ends with the server
                await asyncio.sleep(0.05)
            if failure.status != 200 or failure.body is not None or failure.truncated:
                return failure.response()
        body = await request.json()
        message = self.policy.respond(body)
        # Everything the model reads: messages, tool schemas and the response format.
        prompt = tokens(json.dumps({k: body[k] for k in ("messages", "tools", "response_format") if k in body}))
        completion = tokens(json.dumps(message))
        response = {
            "id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if message.get("tool_calls") else "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
        }
        self.requests.append(Recorded(body, response))
        return JSONResponse(response)

    def __enter__(self) -> FakeOpenAI:
        app = Starlette(routes=[Route("/v1/chat/completions", self._chat, methods=["POST"]),
                                Route("/chat/completions", self._chat, methods=["POST"])])
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.time() + 10
        while not self._server.started and time.time() < deadline:
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
