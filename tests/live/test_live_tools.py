"""The MCP tools and the analysis, unchanged, on the live stack: every tool answers, the
analysis names the same root cause as on the simulator, a missing or failing system costs
only its own signal, and a tool call costs a bounded number of backend requests."""

from __future__ import annotations

import json

import pytest
from mcp import Client

from mcp_server.backends import config
from mcp_server.backends.live import LiveBackend
from mcp_server.server import build_server
from mcp_server.state import ServerState
from tests.live.serving import free_port
from tests.server_helpers import DEFAULT_ARGS, ORIGINAL_TOOLS, payload

pytestmark = pytest.mark.anyio
# Simple tools make one query per signal they read, plus the discovery every call shares
# (services, time range, templates, rules): at most this many requests from cold caches.
REQUEST_BUDGET = 10


@pytest.fixture
def anyio_backend():
    return "asyncio"


def _server(backend):
    return build_server(ServerState(backend=backend))


def _fresh(env: dict[str, str]) -> LiveBackend:
    return LiveBackend(config.load(None, env))


async def test_every_tool_answers_on_the_live_stack(live):
    async with Client(_server(live)) as client:
        for name in (*ORIGINAL_TOOLS, "get_backend_status"):
            result = await client.call_tool(name, DEFAULT_ARGS.get(name, {}))
            assert not result.is_error, (name, result.content[0].text)
            assert len(result.content[0].text) <= 8000, name
        status = payload(await client.call_tool("get_backend_status", {}))
    assert status["reachable"] and status["backend"] == "live" and status["counts"]["services"] == 8


async def test_the_analysis_finds_the_same_root_cause_as_on_the_simulator(live, scenario):
    answers = []
    for backend in (scenario.store, live):
        async with Client(_server(backend)) as client:
            ranked = payload(await client.call_tool("correlate_signals", {}))
            anomalies = payload(await client.call_tool("detect_anomalies", {}))
        answers.append((ranked["candidates"][0]["service"], anomalies["anomalies"][0]["service"]))
    assert answers[0] == answers[1] == ("order-service", "order-service")


async def test_a_half_configured_stack_answers_empty_where_nothing_is_configured(prometheus):
    backend = _fresh({"AIOPS_PROMETHEUS_URL": prometheus.url})
    async with Client(_server(backend)) as client:
        logs = payload(await client.call_tool("query_logs", {}))
        traces = payload(await client.call_tool("query_traces", {}))
        changes = payload(await client.call_tool("get_recent_deployments", {}))
        metrics = payload(await client.call_tool("query_metrics", {"service": "order-service"}))
        status = payload(await client.call_tool("get_backend_status", {}))
    assert logs["page"]["total"] == 0 and logs.get("hint")
    assert traces["traces_total"] == 0 and changes["page"]["total"] == 0
    assert metrics["summaries"]
    assert "logs: not configured" in status["detail"] and "traces: not configured" in status["detail"]
    backend.close()


async def test_a_system_that_is_down_fails_only_its_own_signal(prometheus, fakes):
    dead = f"http://127.0.0.1:{free_port()}"
    backend = _fresh({"AIOPS_PROMETHEUS_URL": prometheus.url, "AIOPS_LOKI_URL": dead,
                      "AIOPS_JAEGER_URL": fakes["jaeger"].url})
    async with Client(_server(backend)) as client:
        logs = await client.call_tool("query_logs", {})
        metrics = await client.call_tool("query_metrics", {"service": "order-service"})
        alerts = await client.call_tool("fetch_active_alerts", {})
        traces = await client.call_tool("query_traces", {})
        status = payload(await client.call_tool("get_backend_status", {}))
    assert logs.is_error and f"Loki at {dead}/loki/api/v1/query_range is unreachable" in logs.content[0].text
    assert not metrics.is_error and not alerts.is_error and not traces.is_error
    assert not status["reachable"] and f"logs: Loki at {dead}" in status["detail"]
    assert "metrics: Prometheus answers" in status["detail"]
    backend.close()


def _requests(backend: LiveBackend) -> int:
    return sum(client.requests for client in backend.clients().values())


@pytest.mark.parametrize("tool,args", [
    ("fetch_active_alerts", {}), ("query_logs", {"service": "order-service", "min_level": "ERROR"}),
    ("get_log_statistics", {}), ("query_metrics", {"service": "order-service", "metric": "memory_percent"}),
    ("query_traces", {"trace_id": "0" * 32}), ("get_recent_deployments", {}), ("get_service_dependencies", {}),
    ("get_backend_status", {}),
])
async def test_a_tool_call_costs_a_bounded_number_of_requests(stack_env, fakes, tool, args):
    backend = _fresh(stack_env)
    before = {name: len(fake.requests) for name, fake in fakes.items()}
    async with Client(_server(backend)) as client:
        result = await client.call_tool(tool, args)
    assert not result.is_error or tool == "query_traces", result.content[0].text
    counts = {signal: client.requests for signal, client in backend.clients().items()}
    assert sum(counts.values()) <= REQUEST_BUDGET, counts
    # the fakes saw exactly what the clients say they sent
    for signal, name in (("logs", "loki"), ("traces", "jaeger"), ("changes", "kubernetes")):
        assert len(fakes[name].requests) - before[name] == counts.get(signal, 0), name
    backend.close()


async def test_protocol_calls_push_the_work_down(live, scenario):
    start, end = scenario.start, scenario.end
    live.services(), live.time_range(), live.metric_names(), live.alerts(start, end)  # discovery (and rules)
    costs = {}
    for name, call in {
        "metrics_by_service": lambda: live.metrics_by_service(["cpu_percent", "memory_percent"], start, end - 60),
        "logs": lambda: live.logs(start, end, levels=("ERROR",), contains="memory", limit=100),
        "log_counts": lambda: live.log_counts(start, end, 60.0),
        "alerts": lambda: live.alerts(start, end - 60),  # another window than the warm-up
        "spans": lambda: live.spans(start, end, "order-service", limit_traces=20),
        "trace": lambda: live.trace("0" * 32),
        "deployments": lambda: live.deployments(0.0, end),
    }.items():
        before = _requests(live)
        call()
        costs[name] = _requests(live) - before
    assert costs == {"metrics_by_service": 2, "logs": 1, "log_counts": 1, "alerts": 2, "spans": 1, "trace": 1,
                     "deployments": 1}, json.dumps(costs)


async def test_a_live_stack_offers_no_scenario_tools(live):
    from mcp.shared.exceptions import MCPError

    async with Client(_server(live)) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        with pytest.raises(MCPError, match="load_scenario"):
            await client.call_tool("load_scenario", {"preset": "memory_leak"})
    assert "load_scenario" not in names and "list_scenarios" not in names and "get_backend_status" in names
