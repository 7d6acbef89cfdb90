"""Shared pieces for the MCP server tests: a server on a fixed incident, default and maximal
arguments for every tool."""

from __future__ import annotations

import json

from mcp_server.backends.simulated import Incident, SimulatedBackend
from mcp_server.server import build_server
from mcp_server.state import ServerState
from simulators import preset_spec
from tests.conftest import FIXED_END

ORIGINAL_TOOLS = (
    "fetch_active_alerts", "get_service_health_summary", "query_logs", "search_error_patterns",
    "get_log_statistics", "query_metrics", "detect_anomalies", "get_service_dependencies", "correlate_signals",
    "query_traces", "get_recent_deployments", "lookup_runbook", "propose_rollback", "propose_scaling_action",
    "propose_config_change", "generate_timeline", "format_incident_report",
)
PROPOSAL_TOOLS = ("propose_rollback", "propose_scaling_action", "propose_config_change", "propose_restart")
STATE_TOOLS = ("load_scenario", "withdraw_proposal")


def make_server(preset: str = "deployment_regression", seed: int | None = None):
    spec = preset_spec(preset, seed=seed, end_time=FIXED_END)
    incident = Incident(spec, "preset")
    incident.generate()
    state = ServerState(backend=SimulatedBackend(incident))
    return build_server(state), state


# Required arguments only: what a model calling "with defaults" would send.
DEFAULT_ARGS: dict[str, dict] = {
    "query_metrics": {"service": "user-service"},
    "lookup_runbook": {"fault_type": "bad_deployment"},
    "propose_rollback": {"service": "user-service", "reason": "regression after the last deploy"},
    "propose_scaling_action": {"service": "user-service", "replicas": 5, "reason": "more capacity"},
    "propose_config_change": {"service": "user-service", "key": "DB_POOL_MAX_SIZE", "value": "40",
                              "reason": "restore the pool size"},
    "propose_restart": {"service": "user-service", "reason": "reclaim memory"},
    "format_incident_report": {"title": "user-service errors", "severity": "P1", "summary": "errors after deploy"},
    "load_scenario": {"preset": "deployment_regression"},
    "withdraw_proposal": {"proposal_id": "prop-00000000"},
}

WIDE = {"window_minutes": 7 * 24 * 60}
# The largest answers each tool can be asked for.
MAX_ARGS: dict[str, dict] = {
    "fetch_active_alerts": {**WIDE, "include_resolved": True, "limit": 200},
    "get_service_health_summary": {"limit": 300},
    "query_logs": {**WIDE, "min_level": "DEBUG", "limit": 200},
    "search_error_patterns": {**WIDE, "min_level": "WARN", "limit": 100},
    "get_log_statistics": {**WIDE, "buckets": 120, "limit": 500},
    "query_metrics": {**WIDE, "service": "api-gateway", "metric": "latency_p99_ms", "max_points": 500},
    "detect_anomalies": {**WIDE, "min_score": 0.0, "limit": 200},
    "get_service_dependencies": {"limit": 1000},
    "correlate_signals": {**WIDE, "limit": 10},
    "query_traces": {**WIDE, "limit": 50, "include_spans": True},
    "get_recent_deployments": {"window_minutes": 60 * 24 * 30, "limit": 200},
    "lookup_runbook": {"symptom": "memory oom crash disk dns auth pool cpu latency traffic config deploy"},
    "generate_timeline": {**WIDE, "limit": 200},
    "format_incident_report": {**WIDE, "title": "t" * 200, "severity": "P1", "summary": "s" * 2000,
                               "root_cause": "r" * 2000, "root_cause_service": "user-service"},
}


def payload(result) -> dict:
    assert not result.is_error, result.content[0].text if result.content else result
    return json.loads(result.content[0].text)
