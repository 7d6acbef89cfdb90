"""The LLM path end to end against a local fake OpenAI-compatible server, over a real stdio
MCP server: what the SDK sends, per agent, and what a misbehaving model can and cannot do."""

import asyncio
import json
import os
import subprocess
import sys

import pytest

from agent_client.config import Settings
from agent_client.handoffs import FINDINGS_PREFIX
from agent_client.payloads import LogFindings, MetricsFindings, RemediationFindings, RootCauseFindings, TriageFindings
from agent_client.pipeline import AGENT_MODULES, InvestigationError, connect, investigate
from agent_client.report import IncidentReport
from tests.conftest import ROOT
from tests.fake_openai import FakeOpenAI, ScriptedPolicy

pytestmark = pytest.mark.slow  # real subprocesses: servers and CLIs

PAYLOADS = [TriageFindings, LogFindings, MetricsFindings, RootCauseFindings, RemediationFindings]


def _run(fake: FakeOpenAI, scenario: str = "deployment_regression"):
    settings = Settings(api_key="test-key", base_url=fake.base_url, model="fake/scripted")

    async def go():
        server = connect(scenario=scenario)
        async with server:
            return await investigate(server, settings)

    return asyncio.run(go())


def _by_agent(fake: FakeOpenAI) -> list[list]:
    """Group recorded requests into consecutive runs of the same agent (same tool list)."""
    groups: list[list] = []
    for r in fake.requests:
        if groups and groups[-1][0].tool_names == r.tool_names:
            groups[-1].append(r)
        else:
            groups.append([r])
    return groups


def test_llm_path_sends_each_agent_its_own_tools_handoffs_and_compact_history():
    with FakeOpenAI() as fake:
        outcome = _run(fake)
    assert isinstance(outcome.report, IncidentReport)
    groups = _by_agent(fake)
    assert len(groups) == 6
    for module, group in zip(AGENT_MODULES, groups):
        names = group[0].tool_names
        tools = {n for n in names if not n.startswith("transfer_to_")}
        assert tools == set(module.TOOLS), module.NAME
        # every offered tool called once, then one handoff (or the final answer)
        assert len(group) == len(module.TOOLS) + 1
    for payload, group, nxt in zip(PAYLOADS, groups[:5], AGENT_MODULES[1:]):
        handoff = [t for t in group[0].body["tools"] if t["function"]["name"].startswith("transfer_to_")]
        assert len(handoff) == 1
        assert handoff[0]["function"]["name"] == "transfer_to_" + nxt.NAME.lower().replace(" ", "_")
        props = set(handoff[0]["function"]["parameters"]["properties"])
        assert props == set(payload.model_fields), payload.__name__
    assert "tools" not in groups[5][-1].body or not any(
        t["function"]["name"].startswith("transfer_to_") for t in groups[5][0].body.get("tools", []))
    # Compact history: each later agent starts from the statement and the findings only.
    for i, group in enumerate(groups[1:], 1):
        messages = group[0].body["messages"]
        assert [m["role"] for m in messages] == ["system", "user", "user"], i
        assert messages[1]["content"].startswith("Alerts are firing")
        findings = json.loads(messages[2]["content"][len(FINDINGS_PREFIX):])
        assert len(findings) == i  # one entry per earlier stage
    # Usage is accounted from the endpoint's own numbers.
    usage = outcome.report.usage
    assert usage.llm_requests == len(fake.requests)
    assert usage.input_tokens == sum(r.input_tokens for r in fake.requests)
    assert usage.tool_calls == sum(len(m.TOOLS) for m in AGENT_MODULES)
    assert outcome.report.agents == [m.NAME for m in AGENT_MODULES]


def test_token_cost_of_a_full_investigation_stays_bounded():
    with FakeOpenAI() as fake:
        _run(fake)
    sizes = [r.input_tokens for r in fake.requests]
    print(f"\n{len(sizes)} requests, {sum(sizes)} input tokens, largest {max(sizes)}")
    assert sum(sizes) <= 40_000 and max(sizes) < 16_000


def test_the_agent_input_never_contains_the_scenario():
    from simulators import preset_description

    with FakeOpenAI() as fake:
        _run(fake, "network_partition")
    user_messages = [m["content"] for r in fake.requests for m in r.body["messages"] if m["role"] == "user"]
    statements = {c for c in user_messages if not c.startswith(FINDINGS_PREFIX)}
    assert statements == {"Alerts are firing in production. Investigate: find what is broken, why, and what to "
                          "do about it."}
    everything = json.dumps([r.body for r in fake.requests])
    assert preset_description("network_partition") not in everything
    assert "isolating" not in everything and "network_partition\"" not in json.dumps(user_messages)


def _dangerous(name: str, args: dict) -> dict:
    if name == "propose_config_change":
        return {**args, "key": "CLEANUP_COMMAND", "value": "rm -rf /var/lib/data"}
    return args


def test_a_refused_proposal_is_the_tool_result_and_the_run_goes_on():
    with FakeOpenAI(policy=ScriptedPolicy(arguments=_dangerous)) as fake:
        outcome = _run(fake)
    refusal = next(m["content"] for r in fake.requests for m in r.body["messages"]
                   if m["role"] == "tool" and "Refused by the remediation safety policy" in json.dumps(m["content"]))
    assert "CLEANUP_COMMAND" in json.dumps(refusal) and "Accepted:" in json.dumps(refusal)
    assert outcome.report.agents[-1] == "Incident Reporter Agent"
    assert [p.kind for p in outcome.report.remediation] == []
    assert any("CLEANUP_COMMAND" in m for m in outcome.context.refused_proposals)


def _unsafe_report(report: dict) -> dict:
    return {**report, "remediation": [{"kind": "config_change", "service": "user-service", "risk": "low",
                                       "command": "rm -rf /var/lib/data", "details": {"key": "LD_PRELOAD",
                                                                                       "value": "/tmp/evil.so"}}]}


def test_cli_exits_non_zero_and_saves_findings_when_a_guardrail_trips(tmp_path):
    with FakeOpenAI(policy=ScriptedPolicy(final=_unsafe_report)) as fake:
        env = dict(os.environ, OPENROUTER_API_KEY="test-key", OPENROUTER_BASE_URL=fake.base_url)
        out = tmp_path / "report.json"
        proc = subprocess.run([sys.executable, "-m", "agent_client.cli", "run", "deployment_regression", "--model",
                               "fake/scripted", "--json", str(out), "--quiet"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=180)
        requests = len(fake.requests)
    assert proc.returncode == 1, proc.stderr
    assert "investigation stopped" in proc.stderr and "unsafe remediation in the report" in proc.stderr
    saved = json.loads(out.read_text())
    assert saved["status"].startswith("failed") and saved["root_cause"]["service"] == "user-service"
    assert saved["usage"]["llm_requests"] == requests and saved["usage"]["input_tokens"] > 0


@pytest.mark.parametrize("mode", ["empty", "unreachable"])
def test_an_empty_or_unreachable_backend_trips_the_input_guardrail(mode):
    from agents.mcp import MCPServerStdio

    from agent_client.guardrails import proposal_safety
    from agent_client.pipeline import only_own_tools

    async def go():
        server = MCPServerStdio(params={"command": sys.executable,
                                        "args": [str(ROOT / "tests/fixtures/hollow_mcp_server.py"), mode]},
                                cache_tools_list=True, tool_filter=only_own_tools,
                                tool_input_guardrails=[proposal_safety])
        async with server:
            return await investigate(server, Settings(api_key=None, base_url="", model="offline"))

    with pytest.raises(InvestigationError) as info:
        asyncio.run(go())
    message = str(info.value)
    assert "backend not ready" in message
    assert ("unreachable" in message) if mode == "unreachable" else ("no metrics, logs" in message)
    assert info.value.partial.usage.tool_calls == 0
