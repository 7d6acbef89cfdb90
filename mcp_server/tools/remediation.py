"""Runbooks and remediation proposals. Proposals are validated, checked against the shared
safety policy, recorded (once) in the caller's session for a human to approve, and never
executed; they can be listed and withdrawn."""

import re
import shlex
import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from guardrails.remediation_safety import MAX_REPLICAS, ServiceFacts, check_proposal
from guardrails.untrusted_text import sanitize
from knowledge import REMEDIATION_KINDS

from .. import runbooks
from ..state import Proposal, ServerState
from .common import PROPOSAL, READ_ONLY, Output, Service, brief, check_service, tool, untrusted

NAMESPACE = "prod"
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
_VALUE = re.compile(r"^[A-Za-z0-9_.:/@%+=,\-]{0,256}$")

Reason = Annotated[str, Field(min_length=3, max_length=500, description="why, for the approver")]
MAX_PROPOSALS = 100  # open, per session and incident: a host looping on proposals meets a limit
# Withdrawing changes only this server's record, the same way however often it is done.
WITHDRAW = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True,
                           open_world_hint=False)
# A recorded proposal, for an approver: the docstrings of the tools that make one say so.
RECORDS_ONLY = "Recorded for human approval; executes nothing."


class RunbookItem(Output):
    fault_type: str
    title: str
    symptoms: list[str]
    confirm: list[str]
    mitigate: list[str]
    actions: list[str] = Field(description="remediation kinds that fit, best first")
    avoid: list[str]


class RunbookResult(Output):
    runbooks: list[RunbookItem]
    hint: str | None = None


class ProposalItem(Output):
    id: str
    kind: Literal[*REMEDIATION_KINDS]
    service: str
    details: dict[str, str | int | None]
    risk: Literal["low", "medium", "high"]
    risk_reasons: list[str] | None = Field(None, description="why it is high risk")
    requires_approval: bool
    command: str = Field(description="what an operator would run after approval; not executed")
    reason: untrusted(500)
    status: str


class ProposalResult(Output):
    proposal: ProposalItem
    note: str = "Recorded for approval. Nothing was executed."


class ProposalsResult(Output):
    proposals: list[ProposalItem] = Field(description="this session's, oldest first")
    incident: str


def tools(state: ServerState) -> list[Tool]:
    @tool(title="Look up a runbook", annotations=READ_ONLY)
    def lookup_runbook(
        fault_type: Annotated[str | None, Field(max_length=60, description="e.g. memory_leak")] = None,
        symptom: Annotated[str | None, Field(max_length=300, description="free text, e.g. OOMKilled")] = None,
    ) -> RunbookResult:
        """Before proposing a fix: a fault type's runbook and fitting actions."""
        if not fault_type and not symptom:
            raise ToolError("fault_type or symptom: give one; fault types: " + ", ".join(runbooks.RUNBOOKS))
        found = runbooks.find(fault_type, symptom)
        if fault_type and not found:
            raise ToolError(f"fault_type: unknown {brief(fault_type)}; choose one of: {', '.join(runbooks.RUNBOOKS)}")
        return RunbookResult(
            runbooks=[RunbookItem(fault_type=r.fault_type, title=r.title, symptoms=list(r.symptoms),
                                  confirm=list(r.confirm), mitigate=list(r.mitigate), actions=list(r.actions),
                                  avoid=list(r.avoid)) for r in found],
            hint=None if found else "No runbook matches; fault types: " + ", ".join(runbooks.RUNBOOKS))

    @tool(title="Propose a rollback", annotations=PROPOSAL)
    def propose_rollback(
        service: Service,
        reason: Reason,
        target_version: Annotated[str | None, Field(max_length=40, description="default: the one before")] = None,
    ) -> ProposalResult:
        """Propose a rollback to a version the service really ran."""
        backend = state.telemetry()
        service = check_service(backend, service, required=True)
        facts, current = service_facts(backend, service)
        if current is None:
            raise ToolError(f"service: {service} has no deployment history; there is nothing to roll back to")
        if target_version is None:
            if not facts.versions_before:
                raise ToolError(f"service: {service} has only ever run {current}; no earlier version exists")
            target_version = facts.versions_before[0]
        command = (f"kubectl -n {NAMESPACE} set image deployment/{service} "
                   f"{service}=registry.internal/{service}:{target_version}")
        return _record(state, "rollback", service, {"from_version": current, "to_version": target_version},
                       command, reason, facts)

    @tool(title="Propose scaling", annotations=PROPOSAL)
    def propose_scaling_action(
        service: Service,
        replicas: Annotated[int, Field(ge=1, le=MAX_REPLICAS, description="new count, at most 5x now")],
        reason: Reason,
    ) -> ProposalResult:
        """Propose a replica count, for saturation or a surge."""
        backend = state.telemetry()
        service = check_service(backend, service, required=True)
        facts, _ = service_facts(backend, service)
        command = f"kubectl -n {NAMESPACE} scale deployment/{service} --replicas={replicas}"
        return _record(state, "scale", service, {"from_replicas": facts.replicas, "to_replicas": replicas,
                                                 "replicas": replicas}, command, reason, facts)

    @tool(title="Propose a configuration change", annotations=PROPOSAL)
    def propose_config_change(
        service: Service,
        key: Annotated[str, Field(max_length=64, description="e.g. DB_POOL_MAX_SIZE")],
        value: Annotated[str, Field(max_length=256, description="plain token")],
        reason: Reason,
    ) -> ProposalResult:
        """Propose setting one config key, e.g. reverting a bad change."""
        backend = state.telemetry()
        service = check_service(backend, service, required=True)
        if not _KEY.match(key):
            raise ToolError(f"key: {brief(key)} is not a setting name (letters, digits, _ . -; starts with a letter)")
        if not _VALUE.match(value):
            raise ToolError("value: only letters, digits and _ . : / @ % + = , - are allowed (no spaces, quotes "
                            "or shell syntax)")
        facts, _ = service_facts(backend, service)
        details: dict = {"key": key, "value": value}
        last = [d for d in backend.deployments(0.0, backend.time_range()[1] + 1)
                if d.service == service and d.change_type == "config" and d.config_key == key]
        if last:
            details["previous_value"] = last[-1].config_old
            details["current_value"] = last[-1].config_new
        command = f"kubectl -n {NAMESPACE} set env deployment/{service} {shlex.quote(f'{key}={value}')}"
        return _record(state, "config_change", service, details, command, reason, facts)

    @tool(title="Propose a rolling restart", annotations=PROPOSAL)
    def propose_restart(service: Service, reason: Reason) -> ProposalResult:
        """Propose a rolling restart: reclaims leaked memory, moves pods off a bad node; fixes no
        bad code or config."""
        backend = state.telemetry()
        service = check_service(backend, service, required=True)
        command = f"kubectl -n {NAMESPACE} rollout restart deployment/{service}"
        return _record(state, "restart", service, {}, command, reason, service_facts(backend, service)[0])

    @tool(title="List remediation proposals", annotations=READ_ONLY)
    def list_proposals() -> ProposalsResult:
        """The proposals recorded in this session for the current incident, with their status.
        Use before proposing again or to report what awaits approval."""
        incident = state.incident
        return ProposalsResult(incident=incident, proposals=[_item(p) for p in state.proposals
                                                             if p.incident == incident])

    @tool(title="Withdraw a remediation proposal", annotations=WITHDRAW)
    def withdraw_proposal(
        proposal_id: Annotated[str, Field(max_length=20, description="id from a propose_* result")],
    ) -> ProposalResult:
        """Mark a recorded proposal withdrawn, e.g. after the evidence changed; nothing had been
        executed."""
        session = state.session()
        with session.lock:
            found = next((p for p in session.proposals if p.id == proposal_id), None)
            if found is None:
                known = ", ".join(p.id for p in session.proposals[-10:]) or "none recorded"
                raise ToolError(f"proposal_id: no proposal {brief(proposal_id)} in this session; recent: {known}")
            found.status = "withdrawn"
        return ProposalResult(proposal=_item(found), note="Withdrawn. Nothing had been executed.")

    for made in (propose_rollback, propose_scaling_action, propose_config_change, propose_restart):
        made.description = f"{made.description} {RECORDS_ONLY}"
    return [lookup_runbook, propose_rollback, propose_scaling_action, propose_config_change, propose_restart,
            list_proposals, withdraw_proposal]


def service_facts(backend, service: str) -> tuple[ServiceFacts, str | None]:
    """What the policy needs to know of a service (its kind, replicas, the versions it ran
    before the current one, newest first, and the values each setting had), and its current
    version (None without a deployment history)."""
    info = next(s for s in backend.services() if s.name == service)
    changes = sorted((d for d in backend.deployments(0.0, backend.time_range()[1] + 1) if d.service == service),
                     key=lambda d: d.time)
    deployed = [d for d in changes if d.change_type == "deployment"]
    current = deployed[-1].version if deployed else None
    before = [deployed[-1].previous_version] if deployed else []
    before += [d.version for d in reversed(deployed)] + [d.previous_version for d in deployed]
    settings: dict[str, tuple[str, ...]] = {}
    for d in changes:
        if d.change_type == "config" and d.config_key:
            seen = (*settings.get(d.config_key, ()), d.config_old, d.config_new)
            settings[d.config_key] = tuple(dict.fromkeys(v for v in seen if v is not None))
    versions = tuple(v for v in dict.fromkeys(before) if v and v != current)
    return ServiceFacts(kind=info.kind, replicas=info.replicas, versions_before=versions, settings=settings), current


def _record(state: ServerState, kind: str, service: str, details: dict, command: str, reason: str,
            facts: ServiceFacts) -> ProposalResult:
    """Check a proposal against the safety policy and record it in the caller's session, once:
    the same change proposed again for the same incident returns the proposal already recorded."""
    verdict = check_proposal(kind, service, details, command=command, reason=reason, facts=facts)
    if not verdict.allowed:
        raise ToolError(f"refused by the remediation safety policy (nothing was recorded): {verdict.message()}")
    session, incident = state.session(), state.incident
    with session.lock:
        same = next((p for p in session.proposals if p.status == "proposed" and p.incident == incident
                     and (p.kind, p.service, p.details) == (kind, service, details)), None)
        if same is not None:
            return ProposalResult(proposal=_item(same), note="Already recorded for approval. Nothing was executed.")
        if sum(p.status == "proposed" and p.incident == incident for p in session.proposals) >= MAX_PROPOSALS:
            raise ToolError(f"this session already holds {MAX_PROPOSALS} open proposals for this incident; "
                            "withdraw_proposal some")
        proposal = Proposal(id=f"prop-{uuid.uuid4().hex[:8]}", kind=kind, service=service, details=details,
                            risk=verdict.risk, risk_reasons=list(verdict.risk_reasons), requires_approval=True,
                            command=command, reason=sanitize(reason, 500),
                            created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), incident=incident)
        session.proposals.append(proposal)
    return ProposalResult(proposal=_item(proposal))


def _item(p: Proposal) -> ProposalItem:
    status = "proposed (not executed)" if p.status == "proposed" else p.status
    return ProposalItem(id=p.id, kind=p.kind, service=p.service, details=p.details, risk=p.risk,
                        risk_reasons=p.risk_reasons or None, requires_approval=p.requires_approval, command=p.command,
                        reason=p.reason, status=status)
