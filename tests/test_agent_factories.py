"""The agents' plumbing: each agent sees only its own MCP tools, and the final report parses."""

import asyncio

import pytest
from agents import Agent, RunContextWrapper

from agent_client.agents import reporter
from agent_client.offline.analyst import OfflineAnalyst
from agent_client.pipeline import AGENT_MODULES, connect
from agent_client.report import PIPELINE_FIELDS, IncidentReport, ReportBody

pytestmark = pytest.mark.slow  # real subprocesses: servers and CLIs

REPORT = IncidentReport(incident_id="inc-1", title="t", severity="P2", status="investigating",
                        root_cause={"service": "a", "fault_type": "memory_leak", "summary": "s", "confidence": 0.5})


def test_each_agent_sees_only_its_own_tools():
    async def run():
        server = connect(scenario="no_incident")
        async with server:
            everything = {t.name for t in (await server.session.list_tools()).tools}
            seen = {}
            for module in AGENT_MODULES:
                listed = await server.list_tools(RunContextWrapper(context=None), Agent(name=module.NAME))
                seen[module.NAME] = sorted(t.name for t in listed)
        return everything, seen

    everything, seen = asyncio.run(run())
    assert seen == {m.NAME: sorted(m.TOOLS) for m in AGENT_MODULES}
    assert set().union(*map(set, seen.values())) < everything  # the server offers more to other hosts


def test_the_reporter_answers_with_the_report_body_and_is_not_asked_for_what_the_pipeline_fills_in():
    agent = reporter.make_agent(OfflineAnalyst("reporter"), connect(scenario="no_incident"))
    parsed = agent.output_type.validate_json(REPORT.model_dump_json())
    assert parsed == ReportBody(**REPORT.model_dump(exclude=set(PIPELINE_FIELDS)))
    assert not agent.output_type.is_strict_json_schema()
    assert not set(PIPELINE_FIELDS) & set(agent.output_type.json_schema()["properties"])
