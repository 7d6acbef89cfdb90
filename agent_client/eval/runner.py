"""Run evaluation cases against one long-lived MCP server: load each case's scenario with
`load_scenario`, run the six agents, score the report against the spec's truth."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from ..config import load_settings
from ..pipeline import InvestigationError, connect, investigate
from ..progress import Progress
from . import matrix, scoring


def main(args) -> int:
    try:
        if args.seed is not None:
            if args.specs or args.matrix != "hard":
                raise ValueError("--seed draws the hard matrix's recipe: use it with --matrix hard")
            cases = matrix.hard_from_seed(args.seed)
        else:
            cases = matrix.from_folder(args.specs) if args.specs else matrix.MATRICES[args.matrix or "quick"]()
        settings = load_settings(args.model or "offline")
    except ValueError as exc:
        print(f"aiops-agent eval: {exc}", file=sys.stderr)
        return 2
    if args.limit:
        cases = cases[: args.limit]
    if args.repeat < 1:
        print("aiops-agent eval: --repeat must be at least 1", file=sys.stderr)
        return 2
    started = time.perf_counter()
    results = asyncio.run(run_cases(cases, settings, args.repeat, quiet=args.quiet))
    scores = scoring.summarize(results)
    scores["model"] = settings.model
    scores["wall_seconds"] = round(time.perf_counter() - started, 1)
    print(scoring.table(scores))
    print(f"\n{len(results)} runs in {scores['wall_seconds']}s with model {settings.model}")
    name = args.specs or (args.matrix or "quick") + (f" (seed {args.seed})" if args.seed is not None else "")
    title = f"Evaluation: {name} ({settings.model})"
    if args.out:
        Path(args.out).write_text(json.dumps({"scores": scores, "cases": [r.to_json() for r in results]},
                                             indent=1) + "\n", encoding="utf-8")
    if args.markdown:
        Path(args.markdown).write_text(scoring.markdown(scores, title), encoding="utf-8")
    return 0


async def run_cases(cases: list[matrix.Case], settings, repeat: int = 1, quiet: bool = True
                    ) -> list[scoring.CaseResult]:
    server = connect(scenario="no_incident")
    results = []
    async with server:
        for n, case in enumerate(cases, 1):
            for attempt in range(repeat):
                result = await run_case(server, case, settings, attempt)
                results.append(result)
                if not quiet:
                    right = result.service_right() if result.fault_case else not result.false_alarm()
                    truth = ", ".join(f"{s} {t}" for s, t in result.truths) or "none"
                    print(f"[{n}/{len(cases)}] {'ok ' if right else 'MISS'} {case.id} {case.source}: truth {truth}"
                          f" -> {result.predicted_service} {result.predicted_fault}"
                          + (f" ({result.error})" if result.error else ""), flush=True)
    return results


async def run_case(server, case: matrix.Case, settings, attempt: int = 0) -> scoring.CaseResult:
    result = scoring.CaseResult(case=case.id, source=case.source, truth_service=case.truth_service,
                                truth_fault=case.truth_fault, predicted_service=None, predicted_fault="unknown",
                                candidates=[], remediation=[], services=max(1, len(case.services)),
                                alerting_ranking=[], truths=list(case.truths), categories=dict(case.categories),
                                repeat=attempt)
    if case.spec is None:
        result.error = case.error
        return result
    started = time.perf_counter()
    loaded = await server.call_tool("load_scenario", {"spec": case.spec})
    if loaded.is_error:
        result.error = loaded.content[0].text
        return result
    result.alerting_ranking = await _most_alerting(server)
    try:
        outcome = await investigate(server, settings, Progress(quiet=True))
        report, context = outcome.report, outcome.context
    except InvestigationError as exc:
        report, context = exc.partial, None
        result.error = str(exc)
    result.predicted_service = report.root_cause.service
    result.predicted_fault = report.root_cause.fault_type
    result.candidates = [c.service for c in report.candidates]
    result.remediation = [f"{r.kind} {r.service}" for r in report.remediation]
    result.conclusion = report.root_cause.summary
    result.confidence = report.root_cause.confidence
    result.evidence = list(report.root_cause.evidence)
    u = report.usage
    result.cost = {"llm_requests": u.llm_requests, "input_tokens": u.input_tokens, "output_tokens": u.output_tokens,
                   "tool_calls": u.tool_calls,
                   "invalid_tool_calls": context.invalid_tool_calls if context else 0,
                   "wall_seconds": round(time.perf_counter() - started, 3)}
    return result


async def _most_alerting(server) -> list[str]:
    """Baseline: services ranked by firing alerts (what a dashboard would point at)."""
    res = await server.call_tool("fetch_active_alerts", {"window_minutes": 120, "limit": 1})
    if res.is_error:
        return []
    return list(json.loads(res.content[0].text).get("by_service", {}))
