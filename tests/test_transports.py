"""The server over real transports: a stdio subprocess and a streamable-HTTP server."""

import json
import subprocess
import sys
import time

import pytest
from mcp import Client, StdioServerParameters

from tests.conftest import ROOT
from tests.server_helpers import DEFAULT_ARGS, ORIGINAL_TOOLS

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
def anyio_backend():
    return "asyncio"


def _stdio(*args: str) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "mcp_server.cli", *args], cwd=str(ROOT))


async def test_every_tool_over_a_stdio_subprocess():
    async with Client(_stdio("--scenario", "cpu_spike", "--seed", "4")) as client:
        names = [t.name for t in (await client.list_tools()).tools]
        assert set(ORIGINAL_TOOLS) <= set(names)
        for name in names:
            args = dict(DEFAULT_ARGS.get(name, {}))
            if "service" in args:
                args["service"] = "payment-service"
            if name in ("propose_rollback", "load_scenario", "withdraw_proposal"):
                continue  # checked below, after the ranking
            result = await client.call_tool(name, args)
            assert not result.is_error, f"{name}: {result.content[0].text}"
        ranked = json.loads((await client.call_tool("correlate_signals", {})).content[0].text)
        assert ranked["candidates"][0]["service"] == "payment-service"
        rollback = await client.call_tool("propose_rollback", {"service": "payment-service", "reason": "test it"})
        assert not rollback.is_error
        switched = await client.call_tool("load_scenario", {"preset": "memory_leak"})
        assert not switched.is_error


async def test_stdio_server_rejects_a_bad_scenario_cleanly():
    proc = subprocess.run([sys.executable, "-m", "mcp_server.cli", "--scenario", "nope"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert "unknown scenario 'nope'" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""  # stdout belongs to the protocol


INITIALIZE = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}})


async def test_stdio_server_reads_requests_from_a_regular_file(tmp_path):
    """A file on stdin cannot be watched by the event loop: the SDK's own transport serves it."""
    requests = tmp_path / "requests.jsonl"
    requests.write_text(INITIALIZE + "\n")
    with requests.open("rb") as stdin:
        proc = subprocess.run([sys.executable, "-m", "mcp_server.cli", "--scenario", "no_incident"], cwd=ROOT,
                              stdin=stdin, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert json.loads(proc.stdout.splitlines()[0])["result"]["serverInfo"]["name"] == "aiops-mcp"


async def test_streamable_http_transport(http_server):
    async with Client(http_server) as client:
        names = [t.name for t in (await client.list_tools()).tools]
        assert set(ORIGINAL_TOOLS) <= set(names)
        ranked = json.loads((await client.call_tool("correlate_signals", {})).content[0].text)
        assert ranked["candidates"][0]["service"] == "inventory-service"
        bad = await client.call_tool("query_metrics", {"service": "nope"})
        assert bad.is_error and "Known services" in bad.content[0].text
        status = json.loads((await client.call_tool("get_backend_status", {})).content[0].text)
        assert status["reachable"] is True


# A few seconds of generation.
BIG_SPEC = {"seed": 5, "duration_minutes": 600, "resolution_seconds": 5, "end_time": "2026-11-26T12:00:00Z",
            "topology": {"services": [{"name": f"svc-{i}", "depends_on": [f"svc-{i + 1}"] if i < 59 else []}
                                      for i in range(60)]}}


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_requests_and_cancellation_are_honoured_during_a_slow_call(mode):
    import anyio

    async with Client(_stdio("--scenario", "no_incident"), mode=mode) as client:
        before = json.loads((await client.call_tool("get_backend_status", {})).content[0].text)["incident"]
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.call_tool, "load_scenario", {"spec": BIG_SPEC})
            await anyio.sleep(0.3)  # the generation is under way
            started = time.perf_counter()
            if mode == "legacy":
                await client.send_ping()  # ping exists up to the 2025 protocol versions
            else:
                await client.list_tools()
            assert time.perf_counter() - started < 1.0
            tg.cancel_scope.cancel()  # the client sends notifications/cancelled
        for _ in range(16):  # longer than the generation would have taken
            await anyio.sleep(0.5)
            after = json.loads((await client.call_tool("get_backend_status", {})).content[0].text)
            assert after["incident"] == before  # a cancelled switch never happens


def test_the_server_exits_promptly_when_its_stdin_closes():
    proc = subprocess.Popen([sys.executable, "-m", "mcp_server.cli", "--scenario", "memory_leak"], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdin.write((INITIALIZE + "\n").encode())
    proc.stdin.flush()
    assert json.loads(proc.stdout.readline())["id"] == 1
    started = time.perf_counter()
    proc.stdin.close()
    assert proc.wait(timeout=10) == 0
    assert time.perf_counter() - started < 1.0
