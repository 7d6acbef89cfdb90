"""A real `aiops-mcp` over streamable HTTP: bearer tokens, the refusal to serve off loopback
without one, Host/Origin checks, body limits, duplicated request ids, parse errors, per-session
incidents, /healthz and a clear port-in-use error."""

import json
import os
import socket
import subprocess
import sys
import time

import anyio
import httpx2 as httpx
import pytest
from mcp import Client

from tests.conftest import ROOT, _free_port
from tests.test_transports import BIG_SPEC

pytestmark = pytest.mark.slow


@pytest.fixture
def anyio_backend():
    return "asyncio"
TOKEN = "test-token-0123456789abcdef"
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
ACCEPT = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


def _start(*args, env=None):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "mcp_server.cli", "--transport", "streamable-http", "--port",
                             str(port), "--scenario", "no_incident", *args], cwd=ROOT, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode())
            time.sleep(0.1)
    raise RuntimeError("server did not start")


@pytest.fixture
def secured():
    proc, base = _start(env={"AIOPS_MCP_TOKEN": TOKEN, "AIOPS_MCP_MAX_REQUEST_BYTES": "200000"})
    yield base
    proc.kill()
    proc.wait()


def _post(base, body, headers=None, session=None):
    extra = {"authorization": f"Bearer {TOKEN}", **ACCEPT, **(headers or {})}
    if session:
        extra["mcp-session-id"] = session
    return httpx.post(base + "/mcp", content=body if isinstance(body, bytes) else json.dumps(body), headers=extra,
                      timeout=30)


def test_tokens_hosts_origins_limits_and_errors(secured):
    assert httpx.get(secured + "/healthz").json()["status"] == "ok"
    assert httpx.post(secured + "/mcp", json=INIT, headers=ACCEPT).status_code == 401
    assert _post(secured, INIT, {"authorization": "Bearer wrong-token-0123456789"}).status_code == 401
    assert _post(secured, INIT, {"host": "evil.example:80"}).status_code == 421
    assert _post(secured, INIT, {"origin": "http://evil.example"}).status_code == 403
    assert _post(secured, b"x" * 300_000).status_code == 413
    opened = _post(secured, INIT)
    assert opened.status_code == 200
    session = opened.headers["mcp-session-id"]
    malformed = _post(secured, b"{not json", session=session)
    assert malformed.json()["error"]["code"] == -32700


@pytest.mark.anyio
async def test_a_duplicated_in_flight_request_id_is_answered(secured):
    session = _post(secured, INIT).headers["mcp-session-id"]
    _post(secured, {"jsonrpc": "2.0", "method": "notifications/initialized"}, session=session)
    slow = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {
        "name": "load_scenario", "arguments": {"spec": BIG_SPEC}}}
    answers = {}

    async def send(name):
        answers[name] = await anyio.to_thread.run_sync(lambda: _post(secured, slow, session=session))

    async with anyio.create_task_group() as tg:
        tg.start_soon(send, "first")
        await anyio.sleep(1.0)  # the first is generating its incident
        tg.start_soon(send, "second")
    assert answers["second"].status_code == 400 and "already in flight" in answers["second"].text
    assert answers["first"].status_code == 200 and '"id":7' in answers["first"].text


@pytest.mark.anyio
async def test_each_session_has_its_own_incident_and_proposals(secured):
    headers = {"authorization": f"Bearer {TOKEN}"}
    from mcp.client.streamable_http import streamable_http_client

    def connect():
        return Client(streamable_http_client(secured + "/mcp", http_client=httpx.AsyncClient(headers=headers)),
                      mode="legacy")

    async with connect() as one, connect() as two:
        before = json.loads((await two.call_tool("get_backend_status", {})).content[0].text)["incident"]
        await one.call_tool("load_scenario", {"preset": "cpu_spike"})
        await one.call_tool("propose_restart", {"service": "payment-service", "reason": "test it"})
        mine = json.loads((await one.call_tool("get_backend_status", {})).content[0].text)["incident"]
        theirs = json.loads((await two.call_tool("get_backend_status", {})).content[0].text)["incident"]
        assert mine != before and theirs == before
        assert json.loads((await two.call_tool("list_proposals", {})).content[0].text)["proposals"] == []


def test_no_token_off_loopback_and_a_busy_port_are_refused_before_serving():
    open_bind = subprocess.run([sys.executable, "-m", "mcp_server.cli", "--transport", "streamable-http",
                                "--host", "0.0.0.0", "--port", str(_free_port())], cwd=ROOT, capture_output=True,
                               text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert open_bind.returncode == 2 and "without a bearer token" in open_bind.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = subprocess.run([sys.executable, "-m", "mcp_server.cli", "--transport", "streamable-http",
                                "--port", str(busy.getsockname()[1])], cwd=ROOT, capture_output=True, text=True,
                               timeout=60, stdin=subprocess.DEVNULL)
    assert taken.returncode == 1 and "cannot listen" in taken.stderr and "serving" not in taken.stderr
