"""The agents' plumbing: MCP tools converted once per listing, a final output type that the
SDK fingerprints cheaply and that parses like the SDK's own."""

import asyncio
import dataclasses

from agents import AgentOutputSchema, RunContextWrapper
from agents._run_state_agent_identity import _agent_identity_signature

from agent_client.agents import reporter, triage
from agent_client.agents.common import FinalOutput
from agent_client.config import Settings
from agent_client.offline.analyst import OfflineAnalyst
from agent_client.pipeline import build_agents, connect
from agent_client.report import IncidentReport

REPORT = IncidentReport(incident_id="inc-1", title="t", severity="P2", status="investigating",
                        root_cause={"service": "a", "fault_type": "memory_leak", "summary": "s", "confidence": 0.5})


def test_mcp_tools_are_converted_once_per_listing():
    async def run():
        server = connect(scenario="no_incident")
        async with server:
            first = build_agents(server, Settings(api_key=None, base_url="", model="offline"))
            ctx = RunContextWrapper(context=None)
            once = await first.get_mcp_tools(ctx)
            again = await first.get_mcp_tools(ctx)
            assert [t.name for t in once] == list(triage.TOOLS)  # its own tools only
            assert all(a is b for a, b in zip(once, again, strict=True))
            again.clear()  # callers get their own list
            assert len(await first.get_mcp_tools(ctx)) == len(once)
            server.invalidate_tools_cache()
            fresh = await first.get_mcp_tools(ctx)
            assert [t.name for t in fresh] == [t.name for t in once] and fresh[0] is not once[0]
            # A server that does not say when its listing changes: converted on every turn.
            del server.tools_generation
            plain = await first.get_mcp_tools(ctx)
            assert plain[0] is not fresh[0] and (await first.get_mcp_tools(ctx))[0] is not plain[0]

    asyncio.run(run())


def test_final_output_parses_like_the_sdk_schema_and_is_cheap_to_fingerprint():
    ours, sdk = FinalOutput(IncidentReport), AgentOutputSchema(IncidentReport, strict_json_schema=False)
    assert ours.json_schema() == sdk.json_schema() and not ours.is_strict_json_schema()
    assert ours.name() == sdk.name() and not ours.is_plain_text()
    assert ours.validate_json(REPORT.model_dump_json()) == sdk.validate_json(REPORT.model_dump_json())
    assert not dataclasses.is_dataclass(ours)  # the SDK deep-copies dataclasses to fingerprint them
    agent = reporter.make_agent(OfflineAnalyst("reporter"), connect(scenario="no_incident"))
    assert "FinalOutput" in _agent_identity_signature(agent)
