"""One playbook per agent role: the next tool to call given the results so far, then the
findings to hand over. Arguments of later calls come from earlier results (the investigation
window from the first alert, the suspect service from the ranking), never from the scenario."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from knowledge import BREAKING_CHANGES, CHANGE_LOOKBACK, CHANGE_SOON, FAULTS, INCIDENT_THRESHOLD, PROPOSAL_TOOLS

from ..payloads import (LogFindings, MetricsFindings, ProposalRecord, RemediationFindings, RootCauseFindings,
                        ScoredService, Setting, TriageFindings)
from ..report import Candidate, IncidentReport, Remediation, RootCause, TimelineEntry, Usage
from . import fault_rules

DEFAULT_WINDOW = 60


@dataclass
class View:
    findings: dict[str, Any]
    results: dict[str, Any]
    tools: set[str] = field(default_factory=set)

    def done(self, tool: str) -> bool:
        return tool in self.results

    def ok(self, tool: str) -> dict:
        r = self.results.get(tool)
        return r if isinstance(r, dict) and "error" not in r else {}

    def stage(self, name: str) -> dict:
        return self.findings.get(name) or {}

    @property
    def window(self) -> int:
        return int(self.stage("triage").get("window_minutes") or DEFAULT_WINDOW)


@dataclass
class CallTool:
    name: str
    arguments: dict


@dataclass
class CallTools:
    """Independent calls made at once, as a model makes parallel tool calls."""
    calls: list[CallTool]


@dataclass
class HandOff:
    payload: BaseModel


@dataclass
class Final:
    report: IncidentReport


Step = CallTool | CallTools | HandOff | Final


def _next_call(view: View, plan: list[tuple[str, dict]]) -> CallTools | None:
    """The calls of an independent plan not made yet, all at once."""
    calls = [CallTool(name, args) for name, args in plan
             if not view.done(name) and (not view.tools or name in view.tools)]
    return CallTools(calls) if calls else None


def _time(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


# --------------------------------------------------------------------------- triage
def triage(view: View) -> Step:
    call = _next_call(view, [
        ("fetch_active_alerts", {"include_resolved": True, "window_minutes": 180, "limit": 60}),
        ("get_service_health_summary", {"limit": 50}),
    ])
    if call:
        return call
    alerts = view.ok("fetch_active_alerts")
    health = view.ok("get_service_health_summary")
    items = alerts.get("alerts", [])
    firing = [a for a in items if a.get("state") == "firing"]
    relevant = firing or items
    unhealthy = [h["service"] for h in health.get("services", []) if h.get("status") != "healthy"]
    first = min(relevant, key=lambda a: a["starts_at"], default=None)
    end = _time(alerts.get("window", {}).get("end"))
    start = _time(first["starts_at"]) if first else None
    if start is not None and end is not None:
        # Alerts fire late (a leak alerts near its limit), so look well before the first one.
        window = int(min(1440, max(DEFAULT_WINDOW, math.ceil((end - start) / 60) + 30)))
    else:
        window = DEFAULT_WINDOW
    critical = {a["service"] for a in firing if a.get("severity") == "critical"}
    down = [h["service"] for h in health.get("services", []) if h.get("status") in ("down", "unknown")]
    if len(critical) >= 3 or down or len(unhealthy) >= 4:
        severity = "P1"
    elif critical:
        severity = "P2"
    elif firing or unhealthy:
        severity = "P3"
    else:
        severity = "P4"
    by_service = alerts.get("by_service", {})
    summary = (f"{len(firing)} firing alert(s) on {len(by_service)} service(s); {len(unhealthy)} unhealthy "
               f"service(s)" + (f"; first alert {first['name']} on {first['service']} at {first['starts_at']}"
                                if first else "; no alerts"))
    return HandOff(TriageFindings(
        severity=severity, firing_alerts=len(firing), alerting_services=list(by_service)[:10],
        unhealthy_services=unhealthy[:10],
        first_alert=f"{first['name']} on {first['service']} at {first['starts_at']}" if first else None,
        window_minutes=window, summary=summary))


# --------------------------------------------------------------------------- logs
def log_analyzer(view: View) -> Step:
    w = view.window
    call = _next_call(view, [
        ("get_log_statistics", {"window_minutes": w, "limit": 10}),
        ("search_error_patterns", {"window_minutes": w, "min_level": "WARN", "limit": 25}),
        ("query_logs", {"min_level": "ERROR", "window_minutes": w, "limit": 5}),
    ])
    if call:
        return call
    patterns = view.ok("search_error_patterns").get("patterns", [])
    own: dict[str, int] = {}
    for p in patterns:
        if p.get("about") != "itself":
            continue
        for service, n in p.get("services", {}).items():
            own[service] = own.get(service, 0) + n
    own_services = sorted(own, key=lambda s: (-own[s], s))
    stats = view.ok("get_log_statistics").get("services", [])
    error_services = [s["service"] for s in stats if s.get("errors_first_half", 0) + s.get("errors_second_half", 0)]
    lines = [f"{', '.join(p['services'])}: {p['category']}: {p['template'][:120]} ({p['count']})"
             for p in patterns[:8]]
    latest = view.ok("query_logs").get("logs", [])
    summary = (f"errors concentrated in {', '.join(error_services[:3]) or 'no service'}; "
               f"self-inflicted errors in {', '.join(own_services[:3]) or 'none'}"
               + (f"; latest error: {latest[0]['service']}: {latest[0]['message'][:100]}" if latest else ""))
    return HandOff(LogFindings(error_services=error_services[:8], patterns=lines, own_error_services=own_services[:5],
                               summary=summary))


# --------------------------------------------------------------------------- metrics
def metrics_analyzer(view: View) -> Step:
    w = view.window
    call = _next_call(view, [
        ("detect_anomalies", {"window_minutes": w, "limit": 60, "min_score": 0.3}),
        ("get_service_dependencies", {"limit": 400}),
    ])
    if call:
        return call
    anomalies = view.ok("detect_anomalies").get("anomalies", [])
    silent = view.ok("detect_anomalies").get("silent_services", [])
    edges = view.ok("get_service_dependencies").get("edges", [])
    deps: dict[str, set[str]] = {}
    for e in edges:
        deps.setdefault(e["caller"], set()).add(e["callee"])
    failing: dict[str, str] = {}  # service -> earliest failure onset
    for a in anomalies:
        if a["metric"] == "request_rate" or (a["direction"] == "down" and a["metric"] not in ("up", "replicas_ready")):
            continue
        if a["service"] not in failing or a["onset"] < failing[a["service"]]:
            failing[a["service"]] = a["onset"]
    ordered = sorted(failing, key=lambda s: (failing[s], s))
    # The suspect: the earliest failing service none of whose dependencies failed before it.
    suspect = next((s for s in ordered if not any(d in failing and failing[d] <= failing[s] for d in deps.get(s, ()))),
                   ordered[0] if ordered else None)
    if suspect and not view.done("query_metrics"):
        return CallTool("query_metrics", {"service": suspect, "metric": "all", "window_minutes": w, "max_points": 0})
    summaries = {m["metric"]: m for m in view.ok("query_metrics").get("summaries", [])}
    replicas = summaries.get("replicas_desired", {}).get("last")
    pool_max = summaries.get("connection_pool_max", {}).get("last")
    suspect_metrics = [f"{a['metric']} {a['direction']} since {a['onset']}" for a in anomalies
                       if a["service"] == suspect][:6]
    summary = (f"{len(failing)} service(s) with failure anomalies; earliest: {', '.join(ordered[:3]) or 'none'}"
               + (f"; silent: {', '.join(silent)}" if silent else "") + (f"; suspect {suspect}" if suspect else ""))
    return HandOff(MetricsFindings(
        anomalous_services=ordered[:10], silent_services=silent, suspect=suspect, suspect_metrics=suspect_metrics,
        suspect_replicas=int(replicas) if replicas else None, suspect_pool_max=int(pool_max) if pool_max else None,
        summary=summary))


# --------------------------------------------------------------------------- root cause
def root_cause(view: View) -> Step:
    w = view.window
    # What changed, for every service, is asked together with the ranking: one turn fewer.
    call = _next_call(view, [
        ("correlate_signals", {"window_minutes": w, "limit": 5}),
        ("query_traces", {"window_minutes": w, "errors_only": True, "limit": 3}),
        ("get_recent_deployments", {"window_minutes": w + 60, "limit": 20}),
    ])
    if call:
        return call
    ranked = view.ok("correlate_signals").get("candidates", [])
    top = ranked[0] if ranked and ranked[0]["score"] >= INCIDENT_THRESHOLD else None
    changes = view.ok("get_recent_deployments")
    if (top and changes.get("page", {}).get("truncated")
            and not any(c["service"] == top["service"] for c in changes.get("changes", []))):
        # A busy change log: ask again for the top candidate's own changes.
        return CallTool("get_recent_deployments", {"service": top["service"], "window_minutes": w + 60, "limit": 5})
    candidates = [ScoredService(service=c["service"], score=c["score"]) for c in ranked]
    if top is None:
        return HandOff(RootCauseFindings(
            service=None, fault_type="none", confidence=round(1.0 - (ranked[0]["score"] if ranked else 0.0), 2),
            candidates=candidates, evidence=["no candidate scored above the incident threshold"],
            summary="No failing service stands out from background noise; no incident."))
    service = top["service"]
    signals = set(top.get("signals", []))
    change, key, old = None, None, None
    onset = _time(top.get("onset"))
    for c in changes.get("changes", []):
        if c["service"] != service or c["change_type"] not in BREAKING_CHANGES:
            continue  # a rollback, restart or scale-out is a remedy, not a cause
        t = _time(c["time"])
        if onset is not None and t is not None and -60 <= onset - t <= CHANGE_LOOKBACK:
            if onset - t > CHANGE_SOON:
                signals.add("change_well_before_onset")
            if c["change_type"] == "deployment":
                signals.add("deploy_before_onset")
                change = f"deployment {c.get('previous_version')} -> {c['version']} at {c['time']} by {c['author']}"
            else:
                signals.add("config_change_before_onset")
                key, old = c.get("config_key"), c.get("config_old")
                change = f"config {key}: {old!r} -> {c.get('config_new')!r} at {c['time']} by {c['author']}"
            break
    fault, _, flags = fault_rules.classify(signals)
    confidence = min(0.99, 0.45 + 0.4 * float(top["score"]))
    origins = view.ok("query_traces").get("error_origins", [])
    if origins and origins[0]["service"] == service:
        confidence = min(0.99, confidence + 0.1)
    if service in view.stage("logs").get("own_error_services", []):
        confidence = min(0.99, confidence + 0.05)
    if view.stage("metrics").get("suspect") == service:
        confidence = min(0.99, confidence + 0.05)
    if len(ranked) > 1 and ranked[1]["score"] > 0.8 * top["score"]:
        confidence = max(0.3, confidence - 0.2)
    absent = view.ok("correlate_signals").get("absent")
    evidence = list(top.get("evidence", []))[:6] + ([f"change before onset: {change}"] if change else []) + \
        ([f"fault pattern: {', '.join(flags)}"] if flags else []) + \
        ([f"no {', no '.join(absent)} in the window: concluded without them"] if absent else [])
    recovered = top.get("recovered_at")
    summary = (f"{service} is the most likely root cause ({fault.replace('_', ' ')}), failing "
               + (f"from {top.get('onset') or 'before the window'} until {recovered}, recovered since"
                  if recovered else f"since {top.get('onset') or 'an unknown time'}")
               + (f", after {change}" if change else "") + ".")
    others = [c for c in ranked[1:] if "independent_failure" in c.get("signals", ())]
    if others:
        seconds = ", ".join(f"{c['service']} (score {c['score']}, since {c.get('onset') or 'before the window'})"
                            for c in others)
        summary += f" Failing on its own as well, apart from it: {seconds}; possibly a second root cause."
        evidence.append(f"a second failure apart from it: {seconds}")
    return HandOff(RootCauseFindings(service=service, fault_type=fault, confidence=round(confidence, 2),
                                     onset=top.get("onset"), recovered_at=recovered, candidates=candidates,
                                     evidence=evidence, change=change, config_key=key, config_old_value=old,
                                     summary=summary))


# --------------------------------------------------------------------------- remediation
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_.:/@%+=,\-]{0,256}$")


def remediation(view: View) -> Step:
    rc = view.stage("root_cause")
    service, fault = rc.get("service"), rc.get("fault_type", "none")
    if not service or fault in ("none", "unknown"):
        return HandOff(RemediationFindings(proposals=[], runbook=None,
                                           rationale="no root cause identified; nothing to remediate"))
    wanted = _proposal(view, service, fault, rc)
    # The proposal follows from the fault, not from the runbook's text: both calls at once.
    call = _next_call(view, [("lookup_runbook", {"fault_type": fault})]
                      + ([(wanted.name, wanted.arguments)] if wanted else []))
    if call:
        return call
    runbook = view.ok("lookup_runbook").get("runbooks", [{}])
    title = runbook[0].get("title") if runbook else None
    retry = _retry_scaling(view, wanted)
    if retry is not None:
        return retry
    made = view.ok(wanted.name).get("proposal") if wanted else None
    proposals = [ProposalRecord(id=made["id"], kind=made["kind"], service=made["service"], risk=made["risk"],
                                command=made["command"],
                                details=[Setting(key=k, value=v) for k, v in (made.get("details") or {}).items()])
                 ] if made else []
    failure = view.results.get(wanted.name, {}).get("error") if wanted else None
    rationale = (f"{title or fault}: " + (f"proposed {made['kind']} of {service}" if made else
                                        f"no proposal recorded ({failure or 'no fitting action'})"))
    return HandOff(RemediationFindings(proposals=proposals, runbook=title, rationale=rationale))


def _proposal(view: View, service: str, fault: str, rc: dict) -> CallTool | None:
    reason = f"{fault.replace('_', ' ')} on {service}: {rc.get('summary', '')}"[:480]
    metrics = view.stage("metrics")
    replicas = metrics.get("suspect_replicas") if metrics.get("suspect") == service else None
    known = FAULTS.get(fault)
    released = (rc.get("change") or "").startswith("deployment")
    for kind in known.actions if known else ():
        if kind not in PROPOSAL_TOOLS or (view.tools and PROPOSAL_TOOLS[kind] not in view.tools):
            continue  # not a proposal this agent can make
        if kind == "rollback" and (released or not known.rollback_needs_release):
            return CallTool("propose_rollback", {"service": service, "reason": reason})
        if kind == "restart":
            return CallTool("propose_restart", {"service": service, "reason": reason})
        if kind == "scale":
            target = max(2, (replicas or 2) * 2)
            return CallTool("propose_scaling_action", {"service": service, "replicas": min(target, 50),
                                                       "reason": reason})
        if kind == "config_change":
            key, value = _config_target(fault, rc, metrics, service)
            if key and _SAFE_VALUE.match(value):
                return CallTool("propose_config_change", {"service": service, "key": key, "value": value,
                                                          "reason": reason})
    return None


def _retry_scaling(view: View, wanted: CallTool | None) -> CallTool | None:
    """The findings may not know the current replica count; the server's refusal says it."""
    if wanted is None or wanted.name != "propose_scaling_action":
        return None
    error = view.results.get(wanted.name, {}).get("error", "")
    match = re.search(r"already runs (\d+) replicas", error)
    if not match:
        return None
    return CallTool(wanted.name, {**wanted.arguments, "replicas": min(50, 2 * int(match.group(1)))})


def _config_target(fault: str, rc: dict, metrics: dict, service: str) -> tuple[str | None, str]:
    if fault == "config_error":
        return rc.get("config_key"), str(rc.get("config_old_value") or "")
    if fault == "connection_pool_exhaustion":
        pool = metrics.get("suspect_pool_max") if metrics.get("suspect") == service else None
        return "DB_POOL_MAX_SIZE", str(max(20, (pool or 50) * 2))
    if fault == "disk_full":
        return "LOG_RETENTION_DAYS", "2"
    if fault == "credential_failure":
        return "CREDENTIALS_SECRET_VERSION", "latest"
    if fault == "dns_failure":
        return "DNS_NAMESERVER", "10.96.0.10"
    return None, ""


# --------------------------------------------------------------------------- report
def reporter(view: View) -> Step:
    w = view.window
    triage_f, rc, rem = view.stage("triage"), view.stage("root_cause"), view.stage("remediation")
    service, fault = rc.get("service"), rc.get("fault_type", "none")
    title = (f"{service}: {fault.replace('_', ' ')}" if service else "No incident detected")
    call = _next_call(view, [
        ("generate_timeline", {"window_minutes": w, "limit": 15}),
        ("format_incident_report", {
            "title": title, "severity": triage_f.get("severity", "P3"),
            "summary": rc.get("summary") or triage_f.get("summary") or "investigation complete",
            "root_cause_service": service, "root_cause": rc.get("summary"), "fault_type": fault,
            "window_minutes": w}),
    ])
    if call:
        return call
    formatted = view.ok("format_incident_report")
    proposals = rem.get("proposals", [])
    remediation_items = [Remediation(kind=p["kind"], service=p["service"], risk=p["risk"], command=p["command"],
                                     details={d["key"]: d["value"] for d in p.get("details", [])})
                         for p in proposals]
    candidates = [Candidate(service=c["service"], score=c["score"]) for c in rc.get("candidates", [])]
    timeline = [TimelineEntry(time=e["time"], event=e["event"])
                for e in view.ok("generate_timeline").get("events", [])]
    status = ("no incident" if not service else "recovered" if rc.get("recovered_at") else
              "mitigation proposed" if remediation_items else "investigating")
    report = IncidentReport(
        incident_id="pending", title=title, severity=triage_f.get("severity", "P3") if service else "P4",
        status=status,
        root_cause=RootCause(service=service, fault_type=fault if service else "none",
                             summary=rc.get("summary", ""), confidence=float(rc.get("confidence", 0.0)),
                             evidence=rc.get("evidence", [])),
        candidates=candidates[:5], affected_services=formatted.get("affected_services", []),
        remediation=remediation_items, timeline=timeline, agents=[], usage=Usage(model="offline"))
    return Final(report)


PLAYBOOKS = {
    "triage": triage,
    "log_analyzer": log_analyzer,
    "metrics_analyzer": metrics_analyzer,
    "root_cause": root_cause,
    "remediation": remediation,
    "reporter": reporter,
}
