"""Cached tool schemas: a server started from the cache advertises and behaves exactly like
one that derived everything from the signatures."""

import json

import pytest
from mcp import Client

from mcp_server import tool_registry
from tests.server_helpers import make_server

pytestmark = pytest.mark.anyio

CALLS = [
    ("query_metrics", {"service": "user-service", "metric": "error_rate"}),
    ("detect_anomalies", {"limit": 3}),
    ("query_metrics", {"service": "nope"}),  # a helpful error
    ("query_logs", {"limit": "many"}),  # an argument-validation error
]


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def _observe(server) -> tuple[list[dict], list[tuple]]:
    async with Client(server) as client:
        tools = [t.model_dump(mode="json") for t in (await client.list_tools()).tools]
        results = []
        for name, args in CALLS:
            r = await client.call_tool(name, args)
            results.append((r.is_error, r.content[0].text, r.structured_content))
    return tools, results


async def test_cached_schemas_match_the_derived_ones(monkeypatch, tmp_path):
    monkeypatch.setenv("AIOPS_MCP_SCHEMA_CACHE", "0")
    derived = await _observe(make_server()[0])

    monkeypatch.delenv("AIOPS_MCP_SCHEMA_CACHE")
    cache = tmp_path / "schemas.json"
    monkeypatch.setattr(tool_registry, "_cache_file", lambda: cache)
    first = await _observe(make_server()[0])  # derives and writes the cache
    assert cache.exists()
    bound_lazily = []
    original = tool_registry._Modules.function

    def spy(self, module, name):
        bound_lazily.append(name)
        return original(self, module, name)

    monkeypatch.setattr(tool_registry._Modules, "function", spy)
    cached = await _observe(make_server()[0])
    assert "query_metrics" in bound_lazily  # really served from the cache, its module bound on first use
    assert derived == first == cached


START_FROM_CACHE = """
import asyncio, json, sys
from pathlib import Path
from mcp import Client
from mcp_server import tool_registry
tool_registry._cache_file = lambda: Path(sys.argv[1])
from tests.server_helpers import make_server

def ours():
    return sorted(m for m in sys.modules if m.startswith(("mcp_server.tools.", "mcp_server.analysis", "guardrails.")))

async def main():
    server, _ = make_server()
    async with Client(server) as client:
        listed = len((await client.list_tools()).tools)
        before = ours()
        result = await client.call_tool("fetch_active_alerts", {})
        print(json.dumps({"listed": listed, "before": before, "after": ours(), "failed": result.is_error}))

asyncio.run(main())
"""


def test_a_start_from_the_cache_imports_each_tool_module_on_first_use(tmp_path):
    """...and the analysis and the guardrails a call needs, only when it needs them."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    cache = tmp_path / "schemas.json"
    run = [sys.executable, "-c", START_FROM_CACHE, str(cache)]
    subprocess.run(run, cwd=root, check=True, capture_output=True, timeout=120)  # writes the cache
    seen = json.loads(subprocess.run(run, cwd=root, check=True, capture_output=True, text=True, timeout=120).stdout)
    assert seen["listed"] >= 17 and seen["before"] == [] and not seen["failed"]
    after = seen["after"]
    assert "mcp_server.tools.alerts" in after and "mcp_server.tools.metrics" not in after
    assert "guardrails.untrusted_text" in after  # alert summaries are telemetry text
    assert "guardrails.remediation_safety" not in after and "mcp_server.analysis.correlation" not in after


async def test_a_corrupt_cache_falls_back_to_deriving(monkeypatch, tmp_path):
    cache = tmp_path / "schemas.json"
    cache.write_text("{not json")
    monkeypatch.setattr(tool_registry, "_cache_file", lambda: cache)
    tools, results = await _observe(make_server()[0])
    assert len(tools) >= 17 and not results[0][0]
    assert "query_metrics" in json.loads(cache.read_text())  # rewritten whole


def test_output_schemas_are_inlined_with_nullable_scalars_as_type_lists():
    from mcp_server.schemas import compact_output_schema

    schema = {"$defs": {"Item": {"title": "Item", "type": "object", "properties": {
                  "ends_at": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
                  "tags": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]}}}},
              "type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
                                               "first": {"$ref": "#/$defs/Item", "description": "earliest"}}}
    item = {"type": "object", "properties": {
        "ends_at": {"type": ["string", "null"], "default": None},
        "tags": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]}}}
    assert compact_output_schema(schema) == {"type": "object", "properties": {
        "items": {"type": "array", "items": item}, "first": {**item, "description": "earliest"}}}
    with pytest.raises(ValueError, match="recursive"):
        compact_output_schema({"$defs": {"Node": {"properties": {"next": {"$ref": "#/$defs/Node"}}}},
                               "$ref": "#/$defs/Node"})


async def test_every_advertised_output_schema_is_self_contained():
    async with Client(make_server()[0]) as client:
        for tool in (await client.list_tools()).tools:
            text = json.dumps(tool.output_schema)
            assert "$ref" not in text and "$defs" not in text, tool.name


@pytest.mark.parametrize("cache", ["0", "1"])
async def test_a_one_client_server_answers_on_the_event_loop_exactly_as_with_threads(monkeypatch, cache):
    import anyio.to_thread

    from mcp_server.server import build_server

    monkeypatch.setenv("AIOPS_MCP_SCHEMA_CACHE", cache)
    threaded = await _observe(make_server()[0])
    state = make_server()[1]
    inline = build_server(state, one_client=True)

    def no_thread(*args, **kwargs):
        raise AssertionError("a tool call was handed to a worker thread")

    monkeypatch.setattr(anyio.to_thread, "run_sync", no_thread)
    assert await _observe(inline) == threaded
