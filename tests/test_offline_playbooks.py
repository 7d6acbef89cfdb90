"""The offline analyst's rules, one table each: what each evidence pattern is read as, and
what each playbook does with given tool results. No server: the views are built by hand."""

from __future__ import annotations

import pytest

from agent_client.offline import fault_rules, playbooks
from agent_client.offline.playbooks import CallTool, CallTools, Final, HandOff, View
from knowledge import FAULT_TYPES, FAULTS

# evidence flags -> fault type
CLASSIFY_CASES = [
    ({"traffic_surge_origin", "cpu_saturation"}, "traffic_surge"),
    ({"telemetry_missing", "unreachable_by_callers"}, "network_partition"),
    ({"cannot_reach_dependencies", "errors_up"}, "network_partition"),  # it reaches none of its peers
    ({"telemetry_missing", "restarts", "log_crash"}, "crash_loop"),
    ({"log_crash", "restarts", "replicas_not_ready"}, "crash_loop"),
    ({"memory_growth", "log_memory", "restarts"}, "memory_leak"),
    ({"disk_filling", "log_disk"}, "disk_full"),
    ({"log_connection_pool", "pool_wait_up"}, "connection_pool_exhaustion"),
    ({"tcp_retransmits_up", "log_connection_reset"}, "packet_loss"),
    ({"network_rtt_up"}, "network_latency"),
    ({"unresolvable_by_callers", "log_dns"}, "dns_failure"),
    ({"cannot_resolve_dependencies"}, "dns_failure"),
    ({"rejects_callers", "log_auth"}, "credential_failure"),
    ({"credentials_rejected"}, "credential_failure"),
    ({"config_change_before_onset", "log_config"}, "config_error"),
    ({"deploy_before_onset", "new_error_patterns", "log_code_exception"}, "bad_deployment"),
    # a change minutes before beats what the failure shows; one a quarter of an hour before does not
    ({"deploy_before_onset", "network_rtt_up"}, "bad_deployment"),
    ({"deploy_before_onset", "change_well_before_onset", "network_rtt_up"}, "network_latency"),
    ({"config_change_before_onset", "change_well_before_onset", "log_auth"}, "credential_failure"),
    ({"config_change_before_onset", "change_well_before_onset"}, "config_error"),
    ({"cpu_saturation"}, "cpu_saturation"),
    ({"errors_up", "latency_up"}, "unknown"),  # symptoms without a cause
    (set(), "unknown"),
]


@pytest.mark.parametrize(("signals", "expected"), CLASSIFY_CASES)
def test_evidence_patterns_map_to_fault_types(signals, expected):
    fault, _, flags = fault_rules.classify(signals)
    assert fault == expected
    assert set(flags) <= signals


def test_every_fault_type_can_be_concluded_and_has_remediation():
    concluded = {expected for _, expected in CLASSIFY_CASES}
    assert set(FAULT_TYPES) <= concluded
    assert set(fault_rules.WEIGHTS) == set(FAULT_TYPES)
    assert all(FAULTS[f].actions for f in FAULT_TYPES)


def _view(stage_findings: dict, results: dict, tools=()) -> View:
    return View(findings=stage_findings, results=results, tools=set(tools))


TRIAGE_ALERTS = {"window": {"start": "2026-11-26T11:00:00Z", "end": "2026-11-26T12:00:00Z"}, "by_service": {"a": 2},
                 "alerts": [{"name": "HighErrorRate", "service": "a", "severity": "critical", "state": "firing",
                             "starts_at": "2026-11-26T10:00:00Z"}]}
# (findings, tool results) -> severity and window of the triage handoff
TRIAGE_CASES = [
    ({"fetch_active_alerts": TRIAGE_ALERTS, "get_service_health_summary": {"services": []}}, "P2", 150),
    ({"fetch_active_alerts": {"alerts": [], "by_service": {}}, "get_service_health_summary": {"services": []}},
     "P4", 60),
    ({"fetch_active_alerts": TRIAGE_ALERTS,
      "get_service_health_summary": {"services": [{"service": "b", "status": "down"}]}}, "P1", 150),
]


@pytest.mark.parametrize(("results", "severity", "window"), TRIAGE_CASES)
def test_triage_reads_severity_and_window_off_the_alerts(results, severity, window):
    step = playbooks.triage(_view({}, results))
    assert isinstance(step, HandOff)
    assert step.payload.severity == severity and step.payload.window_minutes == window


def test_each_playbook_asks_for_its_tools_first_and_only_those_offered():
    step = playbooks.log_analyzer(_view({"triage": {"window_minutes": 90}}, {}))
    assert isinstance(step, CallTools)
    assert {c.name for c in step.calls} == {"get_log_statistics", "search_error_patterns", "query_logs"}
    assert all(c.arguments["window_minutes"] == 90 for c in step.calls)
    step = playbooks.log_analyzer(_view({}, {}, tools={"query_logs"}))
    assert [c.name for c in step.calls] == ["query_logs"]


RANKING = {"candidates": [{"service": "a", "score": 0.9, "onset": "2026-11-26T11:30:00Z",
                           "signals": ["memory_growth", "log_memory"], "evidence": ["memory up"]},
                          {"service": "b", "score": 0.2, "signals": [], "evidence": []}]}
DEPLOY = {"changes": [{"service": "a", "time": "2026-11-26T11:25:00Z", "change_type": "deployment",
                       "version": "v2", "previous_version": "v1", "author": "x"}], "page": {"truncated": False}}
CONFIG = {"changes": [{"service": "a", "time": "2026-11-26T11:29:00Z", "change_type": "config", "version": "c2",
                       "config_key": "RETRY_POLICY", "config_old": "exponential", "config_new": "bogus",
                       "author": "x"}], "page": {"truncated": False}}
# (ranking, changes) -> service, fault type, change noted
ROOT_CAUSE_CASES = [
    (RANKING, {"changes": []}, "a", "memory_leak", None),
    (RANKING, DEPLOY, "a", "memory_leak", "deployment v1 -> v2"),
    ({"candidates": [{**RANKING["candidates"][0], "signals": ["errors_up"]}]}, DEPLOY, "a", "bad_deployment",
     "deployment v1 -> v2"),
    ({"candidates": [{**RANKING["candidates"][0], "signals": ["errors_up"]}]}, CONFIG, "a", "config_error",
     "config RETRY_POLICY"),
    ({"candidates": [{"service": "b", "score": 0.1, "signals": [], "evidence": []}]}, {"changes": []}, None, "none",
     None),
]


@pytest.mark.parametrize(("ranking", "changes", "service", "fault", "change"), ROOT_CAUSE_CASES)
def test_root_cause_confirms_the_top_candidate_and_reads_the_change_before_it(ranking, changes, service, fault,
                                                                             change):
    step = playbooks.root_cause(_view({}, {"correlate_signals": ranking, "query_traces": {},
                                           "get_recent_deployments": changes}))
    assert isinstance(step, HandOff)
    found = step.payload
    assert (found.service, found.fault_type) == (service, fault)
    assert (found.change or "").startswith(change or "")
    assert [c.service for c in found.candidates] == [c["service"] for c in ranking["candidates"]]


REMEDIATION_TOOLS = ("lookup_runbook", "propose_rollback", "propose_scaling_action", "propose_config_change")
# root-cause findings -> the proposal the Remediation playbook makes
REMEDIATION_CASES = [
    ({"service": "a", "fault_type": "bad_deployment"}, "propose_rollback", {}),
    ({"service": "a", "fault_type": "memory_leak", "change": "deployment v1 -> v2"}, "propose_rollback", {}),
    ({"service": "a", "fault_type": "memory_leak"}, "propose_scaling_action", {"replicas": 4}),  # no release
    ({"service": "a", "fault_type": "config_error", "config_key": "RETRY_POLICY",
      "config_old_value": "exponential"}, "propose_config_change", {"key": "RETRY_POLICY", "value": "exponential"}),
    ({"service": "a", "fault_type": "connection_pool_exhaustion"}, "propose_config_change",
     {"key": "DB_POOL_MAX_SIZE"}),
    ({"service": "a", "fault_type": "cpu_saturation"}, "propose_scaling_action", {}),
    ({"service": "a", "fault_type": "crash_loop"}, "propose_rollback", {}),
    ({"service": "a", "fault_type": "traffic_surge"}, "propose_scaling_action", {}),
]


@pytest.mark.parametrize(("root_cause", "tool", "arguments"), REMEDIATION_CASES)
def test_remediation_proposes_the_first_fitting_action_it_can_make(root_cause, tool, arguments):
    step = playbooks.remediation(_view({"root_cause": root_cause, "metrics": {"suspect": "a", "suspect_replicas": 2}},
                                       {}, REMEDIATION_TOOLS))
    assert isinstance(step, CallTools)
    proposed = [c for c in step.calls if c.name.startswith("propose_")]
    assert [c.name for c in proposed] == [tool]
    assert proposed[0].arguments["service"] == "a"
    assert arguments.items() <= proposed[0].arguments.items()
    kind = {"propose_rollback": "rollback", "propose_scaling_action": "scale",
            "propose_config_change": "config_change"}[tool]
    assert kind in FAULTS[root_cause["fault_type"]].actions


def test_remediation_with_restart_offered_uses_it_where_it_comes_first():
    step = playbooks.remediation(_view({"root_cause": {"service": "a", "fault_type": "network_partition"}}, {},
                                       (*REMEDIATION_TOOLS, "propose_restart")))
    assert [c.name for c in step.calls if c.name.startswith("propose_")] == ["propose_restart"]


def test_no_root_cause_means_no_proposal():
    step = playbooks.remediation(_view({"root_cause": {"service": None, "fault_type": "none"}}, {}))
    assert isinstance(step, HandOff) and step.payload.proposals == []


def test_a_refused_scale_is_retried_with_the_count_the_server_gave():
    view = _view({"root_cause": {"service": "a", "fault_type": "cpu_saturation"}},
                 {"lookup_runbook": {"runbooks": [{"title": "CPU"}]},
                  "propose_scaling_action": {"error": "replicas: a already runs 4 replicas"}}, REMEDIATION_TOOLS)
    step = playbooks.remediation(view)
    assert isinstance(step, CallTool) and step.arguments["replicas"] == 8


def test_the_reporter_builds_the_report_from_typed_findings():
    findings = {"triage": {"severity": "P2"},
                "root_cause": {"service": "a", "fault_type": "bad_deployment", "summary": "s", "confidence": 0.8,
                               "candidates": [{"service": "a", "score": 0.9}, {"service": "b", "score": 0.1}]},
                "remediation": {"proposals": [{"id": "p", "kind": "rollback", "service": "a", "risk": "low",
                                               "command": "kubectl ...",
                                               "details": [{"key": "to_version", "value": "v1"}]}]}}
    step = playbooks.reporter(_view(findings, {"generate_timeline": {"events": []},
                                               "format_incident_report": {"affected_services": ["a"]}}))
    assert isinstance(step, Final)
    report = step.report
    assert [c.service for c in report.candidates] == ["a", "b"]
    assert report.remediation[0].details == {"to_version": "v1"} and report.status == "mitigation proposed"


def test_root_cause_names_a_second_failure_the_server_flags_as_independent():
    second = {"service": "b", "score": 0.5, "onset": "2026-11-26T11:40:00Z", "signals": ["independent_failure"],
              "evidence": []}
    ranking = {"candidates": [RANKING["candidates"][0], second]}
    step = playbooks.root_cause(_view({}, {"correlate_signals": ranking, "query_traces": {},
                                           "get_recent_deployments": {"changes": []}}))
    assert step.payload.service == "a" and "possibly a second root cause" in step.payload.summary
    assert any(e.startswith("a second failure apart from it: b") for e in step.payload.evidence)
