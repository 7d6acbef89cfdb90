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
    built_lazily = []
    original = tool_registry._LazyMetadata.__init__

    def spy(self, fn, context_kwarg):
        built_lazily.append(fn.__name__)
        original(self, fn, context_kwarg)

    monkeypatch.setattr(tool_registry._LazyMetadata, "__init__", spy)
    cached = await _observe(make_server()[0])
    assert "query_metrics" in built_lazily  # really served from the cache
    assert derived == first == cached


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
