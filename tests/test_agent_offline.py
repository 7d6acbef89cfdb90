"""The offline pipeline end to end over a real stdio MCP server, for every preset."""

import asyncio
import json

import pytest

from agent_client import run_incident_response
from agent_client.pipeline import AGENT_MODULES

pytestmark = pytest.mark.slow  # real subprocesses: servers and CLIs

EXPECTED = {
    "memory_leak": ("order-service", "memory_leak", {"scale"}),
    "deployment_regression": ("user-service", "bad_deployment", {"rollback"}),
    "database_exhaustion": ("database-proxy", "connection_pool_exhaustion", {"config_change"}),
    "network_partition": ("inventory-service", "network_partition", {"scale"}),
    "cpu_spike": ("payment-service", "cpu_saturation", {"scale"}),
}
AGENTS = [m.NAME for m in AGENT_MODULES]


@pytest.mark.parametrize("preset", list(EXPECTED))
def test_offline_pipeline_diagnoses_each_preset(preset):
    report = asyncio.run(run_incident_response(preset, model="offline"))
    service, fault, kinds = EXPECTED[preset]
    assert report.root_cause.service == service
    assert report.root_cause.fault_type == fault
    assert report.agents == AGENTS
    assert {r.kind for r in report.remediation} == kinds
    assert all(r.service == service and r.requires_approval for r in report.remediation)
    assert report.candidates[0].service == service
    assert report.incident_id.startswith("inc-")
    assert report.usage.model.startswith("offline") and report.usage.llm_requests == 0
    assert report.usage.tool_calls >= 13
    assert report.timeline and report.status == "mitigation proposed"
    # The report renders and serialises to the contract's JSON.
    assert "INCIDENT REPORT" in str(report)
    data = json.loads(report.model_dump_json())
    assert set(data) >= {"incident_id", "title", "severity", "status", "root_cause", "candidates",
                         "affected_services", "remediation", "timeline", "agents", "usage"}


def test_no_incident_raises_no_false_root_cause():
    report = asyncio.run(run_incident_response("no_incident", model="offline", seed=3))
    assert report.root_cause.service is None and report.root_cause.fault_type == "none"
    assert report.remediation == [] and report.status == "no incident"
