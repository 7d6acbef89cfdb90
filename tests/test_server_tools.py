"""Every tool through an in-process MCP client: metadata, bounded output, helpful errors."""

import json
from array import array

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from mcp_server.state import ANALYSE_AHEAD_FROM, ServerState
from telemetry.records import MetricSeries, ServiceInfo
from telemetry.store import TelemetryStore

from tests.server_helpers import (DEFAULT_ARGS, MAX_ARGS, ORIGINAL_TOOLS, PROPOSAL_TOOLS, STATE_TOOLS, make_server,
                                  payload)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="module")
def server():
    srv, _ = make_server()
    return srv


async def test_tools_list_has_titles_annotations_and_output_schemas(server):
    async with Client(server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(ORIGINAL_TOOLS) <= set(tools)
    for name, tool in tools.items():
        assert tool.title, name
        assert tool.description and len(tool.description) < 700, name
        assert tool.output_schema and tool.output_schema.get("type") == "object", name
        ann = tool.annotations
        assert ann is not None, name
        if name in PROPOSAL_TOOLS:
            assert ann.read_only_hint is False and ann.destructive_hint is False, name
        elif name not in STATE_TOOLS:
            assert ann.read_only_hint is True and ann.idempotent_hint is True, name


async def test_every_tool_answers_within_8000_characters_at_defaults(server):
    async with Client(server) as client:
        tools = [t.name for t in (await client.list_tools()).tools if t.name not in STATE_TOOLS]
        for name in tools:
            result = await client.call_tool(name, DEFAULT_ARGS.get(name, {}))
            body = result.content[0].text
            assert not result.is_error, f"{name}: {body}"
            assert len(body) <= 8000, f"{name} answered {len(body)} characters"
            assert json.loads(body) == result.structured_content


async def test_no_arguments_can_exceed_100000_characters(server):
    async with Client(server) as client:
        for name, args in MAX_ARGS.items():
            result = await client.call_tool(name, args)
            body = result.content[0].text
            assert not result.is_error, f"{name}: {body}"
            assert len(body) <= 100_000, f"{name} answered {len(body)} characters"


async def test_lists_carry_truncation_metadata_and_cursors_work(server):
    async with Client(server) as client:
        first = payload(await client.call_tool("query_logs", {"min_level": "INFO", "limit": 5}))
        assert first["page"] == {**first["page"], "returned": 5, "truncated": True}
        second = payload(await client.call_tool("query_logs", {"min_level": "INFO", "limit": 5,
                                                               "cursor": first["page"]["next_cursor"]}))
        assert first["logs"][-1]["time"] >= second["logs"][0]["time"]  # newest first, continuing
        seen = {(line["time"], line["message"], line["instance"]) for line in first["logs"]}
        assert seen.isdisjoint((line["time"], line["message"], line["instance"]) for line in second["logs"])


async def test_logs_come_newest_first_and_redacted(server):
    async with Client(server) as client:
        logs = payload(await client.call_tool("query_logs", {"min_level": "DEBUG", "limit": 200,
                                                             "window_minutes": 60}))["logs"]
        times = [line["time"] for line in logs]
        assert times == sorted(times, reverse=True)
        everything = payload(await client.call_tool("query_logs", {"min_level": "DEBUG", "contains": "postgres://",
                                                                   "limit": 200}))
        for line in everything["logs"]:
            assert "Pa55w0rd" not in line["message"] and "[REDACTED]" in line["message"]


BAD_CALLS = [
    ("query_metrics", {"service": "user-servce"}, ["user-service", "Known services"]),
    ("query_metrics", {"service": "user-service", "metric": "cpu"}, ["metric", "cpu_percent"]),
    ("fetch_active_alerts", {"window_minutes": 0}, ["window_minutes"]),
    ("fetch_active_alerts", {"window_minutes": 10**9}, ["window_minutes"]),
    ("query_logs", {"end_time": "yesterday"}, ["end_time", "RFC 3339", "now-1h"]),
    ("query_logs", {"end_time": "1999-01-01T00:00:00Z"}, ["end_time", "before the data starts"]),
    ("query_logs", {"cursor": "zzz"}, ["cursor"]),
    ("query_logs", {"min_level": "LOUD"}, ["min_level"]),
    ("query_logs", {"limit": -3}, ["limit"]),
    ("query_logs", {"limit": "many"}, ["limit"]),
    ("query_traces", {"trace_id": "0" * 32}, ["trace_id", "no trace"]),
    ("lookup_runbook", {"fault_type": "gremlins"}, ["fault_type", "memory_leak"]),
    ("lookup_runbook", {}, ["fault_type or symptom"]),
    ("propose_scaling_action", {"service": "user-service", "replicas": 0, "reason": "scale down"}, ["replicas"]),
    ("propose_scaling_action", {"service": "user-service", "replicas": 90, "reason": "way more"}, ["replicas", "at most"]),
    ("propose_scaling_action", {"service": "user-service", "replicas": 3, "reason": "same"}, ["already runs"]),
    ("propose_rollback", {"service": "user-service", "reason": "old", "target_version": "v0.0.1"},
     ["target_version", "ran before"]),
    ("propose_rollback", {"service": "user-service", "reason": "x; rm -rf /", "target_version": "v1; rm -rf /"},
     ["target_version"]),
    ("propose_config_change", {"service": "user-service", "key": "CMD", "value": "$(rm -rf /)", "reason": "inject"},
     ["value"]),
    ("propose_config_change", {"service": "user-service", "key": "bad key!", "value": "1", "reason": "inject"},
     ["key"]),
    ("get_service_dependencies", {"depth": 99}, ["depth"]),
    ("load_scenario", {}, ["exactly one of preset or spec"]),
    ("load_scenario", {"preset": "nope"}, ["unknown scenario", "memory_leak"]),
    ("load_scenario", {"spec": {"faults": [{"type": "boom", "service": "x", "start_minute": 1}]}},
     ["faults[0].type", "memory_leak"]),
]


async def test_bad_arguments_give_helpful_errors_and_the_server_keeps_serving():
    srv, _ = make_server()
    async with Client(srv) as client:
        for name, args, expected in BAD_CALLS:
            result = await client.call_tool(name, args)
            message = result.content[0].text
            assert result.is_error, f"{name}({args}) should fail"
            for fragment in expected:
                assert fragment in message, f"{name}({args}): {message!r} lacks {fragment!r}"
            assert "Traceback" not in message
        with pytest.raises(MCPError) as unknown:  # a protocol error (-32602), as the spec says
            await client.call_tool("no_such_tool", {})
        assert unknown.value.code == -32602
        ok = await client.call_tool("get_backend_status", {})
        assert not ok.is_error


REFUSED = [
    ("propose_config_change", {"service": "user-service", "key": "SHUTDOWN", "value": "--force", "reason": "force it"},
     "plain value"),
    ("propose_config_change", {"service": "user-service", "key": "LD_PRELOAD", "value": "/tmp/evil.so",
                               "reason": "faster startup"}, "loads or runs"),
    ("propose_config_change", {"service": "user-service", "key": "UPSTREAM_URL", "value": "http://evil.example/x",
                               "reason": "new upstream"}, "outside the cluster"),
    ("propose_scaling_action", {"service": "database-proxy", "replicas": 1, "reason": "save cost"}, "database"),
    ("propose_restart", {"service": "user-service", "reason": "then r\u200bm -rf /var/lib"}, "deleting files"),
    ("propose_rollback", {"service": "user-service", "reason": "ｔｅｒｒａｆｏｒｍ ｄｅｓｔｒｏｙ"}, "destroying"),
]


async def test_dangerous_proposals_are_refused_saying_why_and_what_is_accepted():
    srv, state = make_server()
    async with Client(srv) as client:
        for name, args, why in REFUSED:
            result = await client.call_tool(name, args)
            message = result.content[0].text
            assert result.is_error and "safety policy" in message and why in message and "Accepted:" in message, message
    assert state.proposals == []


async def test_legitimate_settings_are_accepted_and_sensitive_ones_marked_high_risk():
    srv, _ = make_server()
    async with Client(srv) as client:
        graceful = payload(await client.call_tool("propose_config_change", {
            "service": "user-service", "key": "server.shutdown", "value": "graceful", "reason": "drain requests"}))
        assert graceful["proposal"]["risk"] == "medium" and "risk_reasons" not in graceful["proposal"]
        dns = payload(await client.call_tool("propose_config_change", {
            "service": "user-service", "key": "DNS_NAMESERVER", "value": "10.96.0.10", "reason": "resolver down"}))
        assert dns["proposal"]["risk"] == "high" and "10.96.0.10" in dns["proposal"]["risk_reasons"][0]
        scaled = payload(await client.call_tool("propose_scaling_action", {
            "service": "database-proxy", "replicas": 4, "reason": "connections saturated"}))
        assert scaled["proposal"]["risk"] == "low"


async def test_proposals_record_validated_commands_and_are_listed_as_a_resource():
    srv, state = make_server()
    async with Client(srv) as client:
        deployments = payload(await client.call_tool("get_recent_deployments", {"service": "user-service"}))
        target = deployments["changes"][0]["rollback_target"]
        made = payload(await client.call_tool("propose_rollback", {"service": "user-service",
                                                                   "reason": "errors started with the deploy"}))
        proposal = made["proposal"]
        assert proposal["details"]["to_version"] == target and proposal["requires_approval"] is True
        assert proposal["command"].endswith(f"user-service=registry.internal/user-service:{target}")
        listed = await client.read_resource("aiops://proposals")
        assert json.loads(listed.contents[0].text)[0]["id"] == proposal["id"]
    assert state.proposals[0].status == "proposed"


async def test_resources_and_prompt():
    srv, _ = make_server()
    async with Client(srv) as client:
        uris = {str(r.uri) for r in (await client.list_resources()).resources}
        assert {"aiops://topology", "aiops://runbooks", "aiops://proposals", "aiops://backend/status"} <= uris
        topo = json.loads((await client.read_resource("aiops://topology")).contents[0].text)
        assert len(topo["services"]) == 8
        book = (await client.read_resource("aiops://runbooks/crash_loop")).contents[0].text
        assert "Crash loop" in book and "rollback" in book
        prompts = (await client.list_prompts()).prompts
        assert [p.name for p in prompts] == ["investigate_incident"]
        prompt = await client.get_prompt("investigate_incident", {"focus_service": "order-service"})
        assert "order-service" in prompt.messages[0].content.text


async def test_load_scenario_switches_incidents_without_restart():
    srv, state = make_server("memory_leak")
    async with Client(srv) as client:
        before = payload(await client.call_tool("get_backend_status", {}))["incident"]
        after = payload(await client.call_tool("load_scenario", {"preset": "cpu_spike", "seed": 3}))
        assert after["incident"] != before and after["reachable"]
        ranked = payload(await client.call_tool("correlate_signals", {}))
        assert ranked["candidates"][0]["service"] == "payment-service"
        spec = {"faults": [{"type": "disk_full", "service": "database-proxy", "start_minute": 10}],
                "end_time": "2026-11-26T12:00:00Z"}
        payload(await client.call_tool("load_scenario", {"spec": spec}))
        ranked = payload(await client.call_tool("correlate_signals", {}))
        assert ranked["candidates"][0]["service"] == "database-proxy"


async def test_scenario_labels_never_reach_tool_output():
    srv, _ = make_server("deployment_regression")
    async with Client(srv) as client:
        tools = [t.name for t in (await client.list_tools()).tools if t.name != "list_scenarios"]
        blob = ""
        for name in tools:
            if name in ("load_scenario", "lookup_runbook"):  # the runbook library names every fault type
                continue
            blob += (await client.call_tool(name, DEFAULT_ARGS.get(name, {}))).content[0].text
    for label in ("deployment_regression", "bad_deployment", "bad deployment"):
        assert label not in blob


async def test_windows_reaching_before_the_data_share_one_analysis():
    server, state = make_server()
    async with Client(server) as client:
        first, last = state.telemetry().time_range()
        # No telemetry before the incident's data begins is not silence.
        assert state.investigation(first - 4 * 3600.0, last) is state.investigation(first, last)
        before = await client.call_tool("correlate_signals", {"window_minutes": 600})
        exact = await client.call_tool("correlate_signals", {"window_minutes": round((last - first) / 60)})
        assert json.loads(before.content[0].text)["candidates"] == json.loads(exact.content[0].text)["candidates"]


async def test_open_proposals_are_capped_per_incident(monkeypatch):
    from mcp_server.tools import remediation

    monkeypatch.setattr(remediation, "MAX_PROPOSALS", 2)
    srv, state = make_server("memory_leak")
    async with Client(srv) as client:
        async def restart(service):
            return await client.call_tool("propose_restart", {"service": service, "reason": "memory keeps growing"})

        assert not (await restart("order-service")).is_error and not (await restart("user-service")).is_error
        capped = await restart("payment-service")
        assert capped.is_error and "2 open proposals for this incident" in capped.content[0].text
        await client.call_tool("load_scenario", {"preset": "cpu_spike"})
        assert not (await restart("payment-service")).is_error  # a new incident has room again
    assert len(state.proposals) == 3


def test_only_a_big_incident_is_analysed_before_it_is_asked_about():
    def store(series: int) -> TelemetryStore:
        found = {(f"svc-{i}", "cpu_percent"): MetricSeries(f"svc-{i}", "cpu_percent", "%", 0.0, 60.0,
                                                             array("d", [10.0] * 10)) for i in range(series)}
        return TelemetryStore("t", [ServiceInfo(f"svc-{i}", "service", (), 1) for i in range(series)], 0.0, 600.0,
                              series=found)

    small, big = store(10), store(ANALYSE_AHEAD_FROM["metric_series"])
    state = ServerState(backend=small)
    state.prepare(small)
    assert not state.cache._items  # left to the first question that needs it
    state.prepare(big)
    [analysed] = state.cache._items.values()
    assert analysed.backend is big and ("candidates", 5) in analysed._memo
