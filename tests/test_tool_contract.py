"""The tool contract a model cannot misuse, through an in-process MCP client: strict schemas,
friendly errors, reported adjustments, the spec's error codes, sessions, proposals, operator
controls, completions, progress and resource notifications."""

import time

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import PromptReference, ResourceTemplateReference

from mcp_server.cli import apply_environment, build_parser
from mcp_server.server import build_server
from mcp_server.state import ServerState
from tests.server_helpers import PROPOSAL_TOOLS, make_server, payload

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


def _walk(schema):
    """Every object in a schema."""
    if isinstance(schema, dict):
        yield schema
    for value in schema.values() if isinstance(schema, dict) else schema if isinstance(schema, list) else ():
        yield from _walk(value)


async def test_schemas_refuse_unknown_arguments_describe_each_and_stay_portable():
    srv, _ = make_server()
    async with Client(srv) as client:
        tools = (await client.list_tools()).tools
    for t in tools:
        assert t.input_schema["additionalProperties"] is False, t.name
        for name, prop in t.input_schema["properties"].items():
            assert prop.get("description"), f"{t.name}.{name}"
        for node in [*_walk(t.input_schema), *_walk(t.output_schema)]:
            assert not isinstance(node.get("type"), list), t.name  # one type per schema: portable
        if t.name in PROPOSAL_TOOLS:
            assert "human approval; executes nothing" in t.description
    seed = next(t for t in tools if t.name == "load_scenario").input_schema["properties"]["seed"]
    assert seed["maximum"] == 2**31 - 1


async def test_result_schemas_describe_results_as_sent_without_generated_titles():
    srv, _ = make_server()
    async with Client(srv) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        alerts = await client.call_tool("fetch_active_alerts", {"include_resolved": True})
    for t in tools.values():
        for node in _walk(t.output_schema):
            assert not isinstance(node.get("title"), str), t.name
            assert {"type": "null"} not in node.get("anyOf", []) or "default" not in node, t.name
    item = tools["fetch_active_alerts"].output_schema["$defs"]["AlertItem"]["properties"]
    assert item["ends_at"] == {"type": "string"}  # None is sent by leaving the field out
    assert any("ends_at" not in a for a in alerts.structured_content["alerts"])
    runbook = tools["lookup_runbook"].output_schema["$defs"]["RunbookItem"]
    assert runbook["properties"]["title"] == {"type": "string"}  # a property called title stays


STRICT = [
    ({"window": 120}, ["unknown argument 'window'", "accepts: severity", "window_minutes"]),
    ({"include_resolved": "yes"}, ["include_resolved", "boolean", "'yes'"]),
    ({"limit": "5"}, ["limit", "integer"]),
    ({"limit": 5.5}, ["limit"]),
    ({"service": "x" * 1_000_000}, ["service", "at most 63", "1,000,002 characters", "known services"]),
    ({"end_time": " " * 100_000 + "x"}, ["end_time", "100,003 characters"]),
    ({"cursor": "o:" + "9" * 100_000}, ["cursor", "100,004 characters"]),
    ({f"k{i}": i for i in range(126)}, ["unknown arguments", "and 121 more"]),
]


@pytest.mark.parametrize(("args", "fragments"), STRICT)
async def test_arguments_are_checked_strictly_and_errors_echo_little(args, fragments):
    srv, _ = make_server()
    async with Client(srv) as client:
        started = time.perf_counter()
        result = await client.call_tool("fetch_active_alerts", args)
        assert time.perf_counter() - started < 2
    message = result.content[0].text
    assert result.is_error and len(message) < 1000, message
    for fragment in fragments:
        assert fragment in message, message
    assert "pydantic" not in message and "http" not in message


async def test_missing_and_oversize_arguments_read_like_every_other_error():
    srv, _ = make_server()
    async with Client(srv) as client:
        missing = await client.call_tool("query_metrics", {})
        unknown = await client.call_tool("query_metrics", {"service": "user-servce" + "e" * 60})
    assert missing.is_error and missing.content[0].text == "query_metrics: service: required"
    assert unknown.is_error and "Did you mean" not in unknown.content[0].text


async def test_adjusted_arguments_and_relative_times_are_reported():
    srv, _ = make_server()
    async with Client(srv) as client:
        future = payload(await client.call_tool("correlate_signals", {"end_time": "2099-01-01T00:00:00Z"}))
        assert "after the latest data" in future["adjusted"][0]
        latest = payload(await client.call_tool("correlate_signals", {}))
        now = latest["window"]["end"]
        earlier = payload(await client.call_tool("correlate_signals", {"end_time": "now-30m"}))["window"]["end"]
        also = payload(await client.call_tool("correlate_signals", {"end_time": "-30m"}))["window"]["end"]
        spans = payload(await client.call_tool("query_traces", {"include_spans": True, "limit": 20}))
    assert earlier == also and earlier < now and "adjusted" not in latest
    assert "5 traces" in spans["adjusted"][0]


async def test_unknown_tools_and_prompts_get_the_spec_error_code():
    srv, _ = make_server()
    async with Client(srv) as client:
        for call in (client.call_tool("no_such_tool", {}), client.get_prompt("no_such_prompt"),
                     client.read_resource("aiops://runbooks/gremlins")):
            with pytest.raises(MCPError) as err:
                await call
            assert err.value.code == -32602


async def test_proposals_are_recorded_once_listed_withdrawn_and_kept_per_session():
    srv, state = make_server()
    args = {"service": "user-service", "reason": "reclaim memory"}
    async with Client(srv) as client:
        first = payload(await client.call_tool("propose_restart", args))["proposal"]
        again = payload(await client.call_tool("propose_restart", {**args, "reason": "still leaking"}))
        assert again["proposal"]["id"] == first["id"] and "Already recorded" in again["note"]
        listed = payload(await client.call_tool("list_proposals", {}))["proposals"]
        assert [p["id"] for p in listed] == [first["id"]]
        withdrawn = payload(await client.call_tool("withdraw_proposal", {"proposal_id": first["id"]}))
        assert withdrawn["proposal"]["status"] == "withdrawn"
    token = state.sessions.bind("session:other")
    try:
        assert state.proposals == []  # another client's session sees none of them
    finally:
        state.sessions.unbind(token)


def test_sessions_are_bounded_and_release_their_incidents():
    from mcp_server.sessions import Sessions

    sessions, dropped = Sessions(max_sessions=3), []
    sessions.on_drop = dropped.append
    for n in range(5):
        token = sessions.bind(f"session:{n}")
        sessions.current()
        sessions.unbind(token)
    assert len(sessions) == 3 and [s.key for s in dropped] == ["session:0", "session:1"]
    shared = Sessions(shared=True)
    token = shared.bind("session:x")
    assert shared.current().key == "default"
    shared.unbind(token)


async def test_read_only_and_tool_selection_by_name_and_category():
    _, state = make_server()
    async with Client(build_server(state, read_only=True)) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        with pytest.raises(MCPError, match="read-only"):
            await client.call_tool("propose_restart", {"service": "user-service", "reason": "test it"})
    assert not names & {*PROPOSAL_TOOLS, "withdraw_proposal", "load_scenario"} and "list_proposals" in names
    async with Client(build_server(state, enabled=("logs", "correlate_signals"))) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert names == {"query_logs", "search_error_patterns", "get_log_statistics", "correlate_signals"}
    with pytest.raises(ValueError, match="unknown tool or category: nope"):
        build_server(ServerState(backend=state.backend), disabled=("nope",))


async def test_completions_for_services_metrics_fault_types_and_presets():
    srv, _ = make_server()
    async with Client(srv) as client:
        async def values(ref, name, value, context=None):
            return (await client.complete(ref, {"name": name, "value": value}, context)).completion.values

        prompt = PromptReference(type="ref/prompt", name="investigate_incident")
        metric = ResourceTemplateReference(type="ref/resource", uri="aiops://metrics/{service}/{metric}")
        assert await values(prompt, "focus_service", "user") == ["user-service"]
        assert "memory_leak" in await values(prompt, "preset", "mem")
        assert await values(metric, "metric", "cpu") == ["cpu_percent"]
        runbook = ResourceTemplateReference(type="ref/resource", uri="aiops://runbooks/{fault_type}")
        assert await values(runbook, "fault_type", "disk") == ["disk_full"]
        other = PromptReference(type="ref/prompt", name="test_prompt_with_arguments")
        assert await values(other, "arg1", "test") == []


async def test_load_scenario_reports_progress_and_announces_the_changed_resources():
    srv, _ = make_server("memory_leak")
    ticks, notices = [], []

    async def on_message(message):
        notices.append(getattr(message, "method", None) or type(message).__name__)

    async def on_progress(progress, total, message):
        ticks.append(progress)

    async with Client(srv, mode="legacy", message_handler=on_message) as client:
        await client.call_tool("load_scenario", {"preset": "cpu_spike", "seed": 2}, progress_callback=on_progress)
    assert ticks and ticks == sorted(ticks)
    assert any("ResourceUpdated" in n or "resources/updated" in n for n in map(str, notices)), notices
    tool = next(t for t in (await srv.list_tools()) if t.name == "load_scenario")
    assert tool.annotations.destructive_hint is True and "this session only" in tool.description


def test_every_option_can_be_set_by_environment(capsys):
    parser = build_parser()
    apply_environment(parser, {"AIOPS_MCP_READ_ONLY": "true", "AIOPS_MCP_PORT": "9001",
                               "AIOPS_MCP_ENABLED_TOOLS": "logs, metrics", "AIOPS_MCP_TOKEN": "t" * 20})
    args = parser.parse_args(["--port", "9002"])
    assert args.read_only and args.port == 9002 and args.enabled_tools == ("logs", "metrics")
    assert args.auth_token == "t" * 20
    parser = build_parser()
    with pytest.raises(SystemExit):
        apply_environment(parser, {"AIOPS_MCP_READ_ONLY": "maybe"})
    assert "AIOPS_MCP_READ_ONLY='maybe'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--version"])
    assert capsys.readouterr().out.startswith("aiops-mcp ")
