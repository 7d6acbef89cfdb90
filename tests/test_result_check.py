"""Compiled checks of tool results: the same verdicts as the MCP client's own check, and
that check, untouched, wherever the two could differ."""

import pytest
from mcp.types import CallToolResult, TextContent

from agent_client.result_check import as_draft7, install

pytestmark = pytest.mark.anyio

PAIR = {"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}], "minItems": 2, "maxItems": 2}
SCHEMA = {"type": "object", "required": ["name"],
          "properties": {"name": {"type": "string"}, "at": PAIR, "kind": {"$ref": "#/$defs/Kind"}},
          "$defs": {"Kind": {"enum": ["a", "b"]}}}


@pytest.fixture
def anyio_backend():
    return "asyncio"


class Session:
    """Stands in for mcp's ClientSession: its schemas, and its own (recorded) check."""

    def __init__(self, schemas):
        self._tool_output_schemas = schemas
        self.sdk_checked = []

    async def validate_tool_result(self, name, result):
        self.sdk_checked.append(name)


def result(data):
    return CallToolResult(content=[TextContent(type="text", text="{}")], structured_content=data)


def test_prefix_items_become_draft7_tuples_and_unsure_schemas_are_refused():
    assert as_draft7(PAIR) == {"type": "array", "items": [{"type": "string"}, {"type": "number"}],
                               "minItems": 2, "maxItems": 2}
    assert as_draft7({**PAIR, "items": False})["additionalItems"] is False
    for unsure in ({"$schema": "https://json-schema.org/draft/2020-12/schema"}, {"unevaluatedProperties": False},
                   {"properties": {"x": {"dependentRequired": {}}}}, {"$ref": "https://example.com/s.json"},
                   {"items": [{"type": "string"}]}):
        assert as_draft7(unsure) is None, unsure


async def test_compiled_check_accepts_good_results_and_names_what_is_wrong():
    session = Session({"t": SCHEMA})
    install(session)
    await session.validate_tool_result("t", result({"name": "x", "at": ["y", 1.5], "kind": "a"}))
    for bad, why in (({"at": ["y", 1]}, "must contain ['name']"), ({"name": "x", "at": ["y", "z"]}, "at[1]"),
                     ({"name": "x", "kind": "c"}, "kind must be one of")):
        with pytest.raises(RuntimeError, match="Invalid structured content returned by tool t") as err:
            await session.validate_tool_result("t", result(bad))
        assert why in str(err.value)
    assert session.sdk_checked == []


async def test_the_sdk_checks_what_the_compiled_check_cannot_promise():
    session = Session({"t": {"type": "object", "unevaluatedProperties": False}, "u": SCHEMA})
    install(session)
    await session.validate_tool_result("t", result({}))  # a schema outside the shared keywords
    await session.validate_tool_result("unlisted", result({}))
    await session.validate_tool_result("u", CallToolResult(content=[]))  # no structured content at all
    assert session.sdk_checked == ["t", "unlisted", "u"]
