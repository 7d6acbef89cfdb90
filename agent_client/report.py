"""The incident report (DESIGN.md §3.3) and its text and Markdown renderings."""

from __future__ import annotations

from typing import Any

from pydantic import Field, create_model

from .schema import Untitled


class RootCause(Untitled):
    service: str | None
    fault_type: str
    summary: str
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: list[str] = Field(default_factory=list)


class Candidate(Untitled):
    service: str
    score: float


class Remediation(Untitled):
    kind: str
    service: str
    details: dict[str, Any] = Field(default_factory=dict)
    risk: str
    requires_approval: bool = True
    command: str


class TimelineEntry(Untitled):
    time: str
    event: str


class Usage(Untitled):
    model: str
    llm_requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    tool_calls: int = 0
    wall_seconds: float = 0.0


class IncidentReport(Untitled):
    incident_id: str
    title: str
    severity: str
    status: str
    root_cause: RootCause
    candidates: list[Candidate] = Field(default_factory=list)
    affected_services: list[str] = Field(default_factory=list)
    remediation: list[Remediation] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    agents: list[str] = Field(default_factory=list)
    usage: Usage = Field(default_factory=lambda: Usage(model="unknown"))

    def __str__(self) -> str:
        return render_text(self)


# What the reporting agent writes: the report without what the pipeline fills in (the id, the
# agents, the usage), so that no model is asked for, or pays tokens for, fields it cannot know.
PIPELINE_FIELDS = ("incident_id", "agents", "usage")
ReportBody = create_model("ReportBody", __base__=Untitled, **{
    name: (f.annotation, f) for name, f in IncidentReport.model_fields.items() if name not in PIPELINE_FIELDS})


def render_text(r: IncidentReport) -> str:
    bar = "=" * 80
    rc = r.root_cause
    lines = [bar, "INCIDENT REPORT".center(80), bar,
             f"{'Incident:':<20}{r.incident_id}", f"{'Title:':<20}{r.title}", f"{'Severity:':<20}{r.severity}",
             f"{'Status:':<20}{r.status}",
             f"{'Root cause:':<20}{rc.service or 'none found'} ({rc.fault_type}, confidence {rc.confidence:.0%})",
             "", "Summary", "-------", rc.summary]
    if rc.evidence:
        lines += ["", "Evidence", "--------", *[f"  - {e}" for e in rc.evidence]]
    if r.candidates:
        lines += ["", "Candidates: " + ", ".join(f"{c.service} ({c.score:.2f})" for c in r.candidates)]
    if r.affected_services:
        lines += ["Affected:   " + ", ".join(r.affected_services)]
    lines += ["", "Remediation (proposed, needs approval, not executed)", "----------------------------------------------------"]
    lines += [f"  - {m.kind} {m.service} [risk {m.risk}]: {m.command}" for m in r.remediation] or ["  - none"]
    if r.timeline:
        lines += ["", "Timeline", "--------", *[f"  {t.time}  {t.event}" for t in r.timeline]]
    u = r.usage
    lines += ["", f"Agents: {' -> '.join(r.agents)}",
              f"Model: {u.model} | LLM requests: {u.llm_requests} | tokens in/out: {u.input_tokens}/{u.output_tokens}"
              f" | tool calls: {u.tool_calls} | {u.wall_seconds:.1f}s", bar]
    return "\n".join(lines)


def render_markdown(r: IncidentReport) -> str:
    rc = r.root_cause
    md = [f"# {r.title}", "", "| | |", "|---|---|", f"| Incident | {r.incident_id} |", f"| Severity | {r.severity} |",
          f"| Status | {r.status} |", f"| Root cause | {rc.service or 'none found'} |", f"| Fault type | {rc.fault_type} |",
          f"| Confidence | {rc.confidence:.0%} |", "", "## Summary", "", rc.summary, ""]
    if rc.evidence:
        md += ["## Evidence", "", *[f"- {e}" for e in rc.evidence], ""]
    if r.candidates:
        md += ["## Candidates", "", *[f"1. {c.service} ({c.score:.2f})" for c in r.candidates], ""]
    if r.affected_services:
        md += ["## Affected services", "", ", ".join(r.affected_services), ""]
    md += ["## Remediation (proposed, needs approval, not executed)", ""]
    md += [f"- **{m.kind}** `{m.service}` (risk {m.risk}): `{m.command}`" for m in r.remediation] or ["- none"]
    if r.timeline:
        md += ["", "## Timeline", "", *[f"- `{t.time}` {t.event}" for t in r.timeline]]
    u = r.usage
    md += ["", "## Investigation", "", f"Agents: {' → '.join(r.agents)}  ",
           f"Model: {u.model}; LLM requests {u.llm_requests}; tokens {u.input_tokens} in / {u.output_tokens} out; "
           f"tool calls {u.tool_calls}; {u.wall_seconds:.1f} s", ""]
    return "\n".join(md)
