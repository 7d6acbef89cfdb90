"""Typed findings handed from one agent to the next. Each stage adds its own; the next agent
receives all findings so far, not the raw tool output that produced them."""

from __future__ import annotations

from pydantic import Field

from .schema import Untitled


class TriageFindings(Untitled):
    severity: str
    firing_alerts: int
    alerting_services: list[str] = Field(description="most alerts first")
    unhealthy_services: list[str] = Field(description="down, unknown or degraded")
    first_alert: str | None = None
    window_minutes: int
    summary: str


class LogFindings(Untitled):
    error_services: list[str] = Field(description="most errors first")
    patterns: list[str] = Field(description="'services: category: template (count)'")
    own_error_services: list[str] = Field(description="errors about themselves, not a dependency")
    summary: str


class MetricsFindings(Untitled):
    anomalous_services: list[str]
    silent_services: list[str]
    suspect: str | None = None
    suspect_metrics: list[str] = Field(description="'metric direction since onset'")
    suspect_replicas: int | None = None
    suspect_pool_max: int | None = None
    summary: str


class ScoredService(Untitled):
    service: str
    score: float


class RootCauseFindings(Untitled):
    service: str | None
    fault_type: str
    confidence: float = Field(ge=0.0, le=1.0)
    onset: str | None = None
    recovered_at: str | None = None  # when the failure ended, if it did
    candidates: list[ScoredService] = Field(description="best first")
    evidence: list[str]
    change: str | None = Field(None, description="change just before the onset")
    config_key: str | None = None
    config_old_value: str | None = None
    summary: str


class Setting(Untitled):
    key: str
    value: str | int | None


class ProposalRecord(Untitled):
    id: str
    kind: str
    service: str
    risk: str
    command: str
    details: list[Setting] = Field(default_factory=list)


class RemediationFindings(Untitled):
    proposals: list[ProposalRecord] = Field(description="as recorded by the propose tools")
    runbook: str | None = None
    rationale: str


class Findings(Untitled):
    """Everything found so far, carried across handoffs."""

    triage: TriageFindings | None = None
    logs: LogFindings | None = None
    metrics: MetricsFindings | None = None
    root_cause: RootCauseFindings | None = None
    remediation: RemediationFindings | None = None
