"""Run-scoped state shared by hooks, handoffs and guardrails (the SDK's run context)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .payloads import Findings


@dataclass
class InvestigationContext:
    incident_id: str = "unknown"
    findings: Findings = field(default_factory=Findings)
    agents: list[str] = field(default_factory=list)
    tool_calls: int = 0
    invalid_tool_calls: int = 0
    guardrail_message: str | None = None
