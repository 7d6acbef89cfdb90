"""Serving over streamable HTTP, safely by default: a bearer token required off loopback, Host
and Origin allow-lists always on, bounded request bodies, every in-flight request answered,
`/healthz` for probes, and a start that says what went wrong before it claims to serve."""

from __future__ import annotations

import argparse
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import sys
from pathlib import Path

from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import RequestBodyLimitMiddleware, TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger("aiops_mcp.http")

PATH = "/mcp"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
INVALID_REQUEST = -32600


class TokenVerifier:
    """Static bearer tokens (the SDK's `TokenVerifier` protocol). Each token is one client, known
    by a digest of its token, so that logs and session ownership never carry the token."""

    def __init__(self, tokens: list[str]) -> None:
        self._tokens = [t.encode() for t in tokens]

    async def verify_token(self, token: str) -> AccessToken | None:
        given = token.encode()
        # compare_digest against every token: the time taken says nothing about which matched.
        matched = [t for t in self._tokens if hmac.compare_digest(t, given)]
        if not matched:
            return None
        return AccessToken(token=token, client_id="token-" + hashlib.sha256(given).hexdigest()[:12], scopes=[])


def read_tokens(args: argparse.Namespace) -> list[str]:
    """The accepted tokens: `--auth-token` and each line of `--auth-token-file` (blank lines and
    `#` comments skipped). Raises ValueError; never says a token's value."""
    tokens = [args.auth_token.strip()] if args.auth_token and args.auth_token.strip() else []
    if args.auth_token_file:
        try:
            lines = Path(args.auth_token_file).expanduser().read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ValueError(f"--auth-token-file {args.auth_token_file!r}: {exc.strerror or exc}") from None
        tokens += [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if any(len(t) < 16 for t in tokens):
        raise ValueError("a bearer token must be at least 16 characters (e.g. `openssl rand -hex 32`)")
    return tokens


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def transport_security(host: str, hosts: tuple[str, ...], origins: tuple[str, ...]) -> TransportSecuritySettings:
    """Host and Origin allow-lists, on whatever the bind address: loopback names, the bind
    address itself, and what the operator adds (a reverse proxy's public name)."""
    names = list(LOOPBACK_NAMES)
    if not is_loopback(host) and host not in ("0.0.0.0", "::"):
        names.append(f"[{host}]" if ":" in host else host)
    allowed_hosts = [h for n in names for h in (n, f"{n}:*")] + list(hosts)
    allowed_origins = [o for n in names for o in (f"http://{n}", f"http://{n}:*")] + list(origins)
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=allowed_hosts,
                                     allowed_origins=allowed_origins)


class InFlightRequests:
    """ASGI middleware: a request whose id is already in flight in its session is answered at
    once with a JSON-RPC error (JSON-RPC ids must be unique among a session's pending requests;
    the transport would otherwise route one of the two answers nowhere)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.pending: set[tuple[str, str]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        request = Request(scope, receive)
        session = request.headers.get("mcp-session-id")
        body = await request.body()  # bounded by the body limit outside
        request_id = _request_id(body) if session else None
        key = (session, json.dumps(request_id)) if request_id is not None else None
        if key is not None and key in self.pending:
            error = {"jsonrpc": "2.0", "id": request_id,
                     "error": {"code": INVALID_REQUEST, "message": "a request with this id is already in flight "
                                                                  "in this session"}}
            return await JSONResponse(error, status_code=400)(scope, receive, send)

        replayed = False

        async def replay():  # the body once, then what the client does next (a disconnect)
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        if key is not None:
            self.pending.add(key)
        try:
            await self.app(scope, replay, send)
        finally:
            if key is not None:
                self.pending.discard(key)


def _request_id(body: bytes) -> object | None:
    try:
        message = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if isinstance(message, dict) and "method" in message and isinstance(message.get("id"), str | int):
        return message["id"]
    return None


def build_app(server: MCPServer, args: argparse.Namespace) -> ASGIApp:
    from .version import server_version

    @server.custom_route("/healthz", methods=["GET"])
    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "version": server_version()})

    app = server.streamable_http_app(
        streamable_http_path=PATH, max_request_body_size=args.max_request_bytes, host=args.host,
        transport_security=transport_security(args.host, args.allowed_hosts, args.allowed_origins))
    return RequestBodyLimitMiddleware(InFlightRequests(app), args.max_request_bytes)


def auth_settings(args: argparse.Namespace, tokens: list[str]) -> dict:
    """MCPServer's auth arguments: a bearer token on every MCP request, when tokens are set."""
    if not tokens:
        return {}
    return {"token_verifier": TokenVerifier(tokens),
            "auth": AuthSettings(issuer_url=f"http://{_url_host(args.host)}:{args.port}", resource_server_url=None)}


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything claims to serve (OSError if it cannot be)."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    return socket.create_server((host.strip("[]"), port), family=family)


def serve_http(server_factory, state, backend, args: argparse.Namespace) -> int:
    import uvicorn

    try:
        tokens = read_tokens(args)
    except ValueError as exc:
        print(f"aiops-mcp: {exc}", file=sys.stderr)
        return 2
    if not tokens and not is_loopback(args.host):
        print(f"aiops-mcp: refusing to serve on {args.host} without a bearer token: anyone who can reach it "
              "could read the telemetry. Set AIOPS_MCP_TOKEN (or AIOPS_MCP_TOKEN_FILE / --auth-token).",
              file=sys.stderr)
        return 2
    try:
        sock = listen(args.host, args.port)
    except OSError as exc:
        print(f"aiops-mcp: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    try:
        server = server_factory(**auth_settings(args, tokens))
    except ValueError as exc:
        sock.close()
        print(f"aiops-mcp: {exc}", file=sys.stderr)
        return 2
    app = build_app(server, args)
    backend.start(prepare=state.prepare)
    url = f"http://{_url_host(args.host)}:{sock.getsockname()[1]}{PATH}"
    print(f"aiops-mcp: serving streamable HTTP on {url}" + (" (bearer token required)" if tokens else ""),
          file=sys.stderr, flush=True)
    config = uvicorn.Config(app, log_level=args.log_level, lifespan="on")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    return 0


def _url_host(host: str) -> str:
    return f"[{host.strip('[]')}]" if ":" in host else host
