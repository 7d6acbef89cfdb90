"""Runbooks and remediation proposals. Proposals are validated, checked against the shared
safety policy, recorded (once) in the caller's session for a human to approve, and never
executed; they can be listed and withdrawn."""

from __future__ import annotations

import re
import shlex
import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from guardrails import check_proposal
from knowledge import REMEDIATION_KINDS
from guardrails.remediation_safety import MAX_REPLICAS

from .. import runbooks
from ..state import Proposal, ServerState
from .common import PROPOSAL, READ_ONLY, Output, Service, brief, check_service, text, tool, up_to

NAMESPACE = "prod"
_VERSION = re.compile(r"^v?\d+(?:\.\d+){0,3}(?:[-+][A-Za-z0-9.]+)?$")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
_VALUE = re.compile(r"^[A-Za-z0-9_.:/@%+=,\-]{0,256}$")

Reason = Annotated[str, Field(min_length=3, max_length=500, description="why, for the approver")]
MAX_PROPOSALS = 100  # per session: a host looping on proposals meets a limit, not a growing resource
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
    requires_approval: bool
    command: str = Field(description="what an operator would run after approval; not executed")
    reason: str
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
        history = sorted((d for d in backend.deployments(0.0, backend.time_range()[1] + 1)
                          if d.service == service and d.change_type == "deployment"), key=lambda d: d.time)
        if not history:
            raise ToolError(f"service: {service} has no deployment history; there is nothing to roll back to")
        current = history[-1].version
        earlier = [v for v in dict.fromkeys(d.version for d in reversed(history)) if v != current]
        earlier += [d.previous_version for d in history if d.previous_version and d.previous_version not in earlier
                    and d.previous_version != current]
        if target_version is None:
            target_version = history[-1].previous_version or (earlier[0] if earlier else None)
            if target_version is None:
                raise ToolError(f"service: {service} has only ever run {current}; no earlier version exists")
        if not _VERSION.match(target_version):
            raise ToolError(f"target_version: {brief(target_version)} is not a version like v1.2.3")
        if target_version == current:
            raise ToolError(f"target_version: {target_version} is the version running now; earlier versions: "
                            + ", ".join(earlier))
        if target_version not in earlier:
            raise ToolError(f"target_version: {target_version} was never deployed to {service}; earlier versions: "
                            + ", ".join(earlier))
        command = (f"kubectl -n {NAMESPACE} set image deployment/{service} "
                   f"{service}=registry.internal/{service}:{target_version}")
        risk = "low" if target_version == history[-1].previous_version else "medium"
        return _record(state, "rollback", service, {"from_version": current, "to_version": target_version},
                       risk, command, reason)

    @tool(title="Propose scaling", annotations=PROPOSAL)
    def propose_scaling_action(
        service: Service,
        replicas: Annotated[int, Field(ge=1, le=MAX_REPLICAS, description="new count, at most 5x now")],
        reason: Reason,
    ) -> ProposalResult:
        """Propose a replica count, for saturation or a surge."""
        backend = state.telemetry()
        service = check_service(backend, service, required=True)
        current = next(s.replicas for s in backend.services() if s.name == service)
        ceiling = min(MAX_REPLICAS, max(10, current * 5))
        if replicas == current:
            raise ToolError(f"replicas: {service} already runs {current} replicas")
        if replicas > ceiling:
            raise ToolError(f"replicas: {replicas} is more than 5x the current {current}; at most {ceiling}")
        command = f"kubectl -n {NAMESPACE} scale deployment/{service} --replicas={replicas}"
        risk = "low" if replicas > current else "medium"
        return _record(state, "scale", service, {"from_replicas": current, "to_replicas": replicas, "replicas": replicas},
                       risk, command, reason)

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
        last = [d for d in backend.deployments(0.0, backend.time_range()[1] + 1)
                if d.service == service and d.change_type == "config" and d.config_key == key]
        details: dict = {"key": key, "value": value}
        if last:
            details["previous_value"] = last[-1].config_old
            details["current_value"] = last[-1].config_new
        command = f"kubectl -n {NAMESPACE} set env deployment/{service} {shlex.quote(f'{key}={value}')}"
        return _record(state, "config_change", service, details, "medium", command, reason)

    @tool(title="Propose a rolling restart", annotations=PROPOSAL)
    def propose_restart(service: Service, reason: Reason) -> ProposalResult:
        """Propose a rolling restart: reclaims leaked memory, moves pods off a bad node; fixes no
        bad code or config."""
        backend = state.telemetry()
        service = check_service(backend, service, required=True)
        command = f"kubectl -n {NAMESPACE} rollout restart deployment/{service}"
        return _record(state, "restart", service, {}, "medium", command, reason)

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


def _record(state: ServerState, kind: str, service: str, details: dict, risk: str, command: str,
            reason: str) -> ProposalResult:
    """Record a proposal in the caller's session, once: the same change proposed again for the
    same incident returns the proposal already recorded."""
    verdict = check_proposal(kind, service, details, command)
    if not verdict.allowed:
        raise ToolError(f"refused by the remediation safety policy: {verdict.message()}")
    session, incident = state.session(), state.incident
    with session.lock:
        same = next((p for p in session.proposals if p.status == "proposed" and p.incident == incident
                     and (p.kind, p.service, p.details) == (kind, service, details)), None)
        if same is not None:
            return ProposalResult(proposal=_item(same), note="Already recorded for approval. Nothing was executed.")
        if sum(p.status == "proposed" for p in session.proposals) >= MAX_PROPOSALS:
            raise ToolError(f"this session already holds {MAX_PROPOSALS} open proposals; withdraw_proposal some")
        proposal = Proposal(id=f"prop-{uuid.uuid4().hex[:8]}", kind=kind, service=service, details=details,
                            risk=risk, requires_approval=True, command=command, reason=text(reason, 500),
                            created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), incident=incident)
        session.proposals.append(proposal)
    return ProposalResult(proposal=_item(proposal))


def _item(p: Proposal) -> ProposalItem:
    status = "proposed (not executed)" if p.status == "proposed" else p.status
    return ProposalItem(id=p.id, kind=p.kind, service=p.service, details=p.details, risk=p.risk,
                        requires_approval=p.requires_approval, command=p.command, reason=p.reason, status=status)
