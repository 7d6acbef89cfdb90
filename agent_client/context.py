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
    refused_proposals: list[str] = field(default_factory=list)
    # LLM usage as it happened, so that a run that fails still reports it: requests sent (every
    # attempt, retries too), tokens of the answers received, whether a request is in flight.
    llm_requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    awaiting_llm: bool = False

    def count_llm_request(self) -> None:
        self.llm_requests += 1
