"""Evaluation on case directories of real telemetry (`aiops-mcp import ...`): each case is
served by its own `aiops-mcp --data CASE`, investigated by the six agents, and scored against
its `truth.json`, which only this harness reads. Scores follow the dataset's own metric: AS@k,
the share of faults whose service is among the top k, per system, day and fault type."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..config import load_settings
from ..pipeline import InvestigationError, connect, investigate
from ..progress import Progress

TRUTH_FILE = "truth.json"


@dataclass(frozen=True)
class RealCase:
    path: Path
    system: str
    day: str
    fault: str  # the dataset's own fault type
    fault_type: str | None  # the project's equivalent, if there is one
    service: str


@dataclass
class RealResult:
    case: RealCase
    predicted_service: str | None
    predicted_fault: str
    ranking: list[str]
    cost: dict
    error: str | None = None

    def rank(self) -> int | None:
        ranking = list(dict.fromkeys(s for s in [self.predicted_service, *self.ranking] if s))
        return ranking.index(self.case.service) + 1 if self.case.service in ranking else None

    def to_json(self) -> dict:
        c = self.case
        return {"case": c.path.name, "system": c.system, "day": c.day, "fault": c.fault, "truth_service": c.service,
                "truth_fault_type": c.fault_type, "predicted_service": self.predicted_service,
                "predicted_fault": self.predicted_fault, "ranking": self.ranking, "rank": self.rank(),
                "cost": self.cost, "error": self.error}


def find_cases(root: str | Path) -> list[RealCase]:
    """Every case directory under `root` (any depth), in name order."""
    base = Path(root)
    if not base.is_dir():
        raise ValueError(f"--cases: {str(base)!r} is not a folder")
    cases = []
    for truth_file in sorted(base.rglob(TRUTH_FILE)):
        try:
            truth = json.loads(truth_file.read_text(encoding="utf-8"))
            cases.append(RealCase(truth_file.parent, truth["system"], truth["day"], truth["fault_type"],
                                  truth.get("project_fault_type"), truth["root_cause_service"]))
        except (OSError, ValueError, KeyError) as exc:
            raise ValueError(f"--cases: {truth_file}: not a case's truth file ({exc})") from None
    if not cases:
        raise ValueError(f"--cases: no case directories (with {TRUTH_FILE}) under {str(base)!r}")
    return cases


async def run_case(case: RealCase, settings) -> RealResult:
    started = time.perf_counter()
    try:
        async with connect(data=str(case.path)) as server:
            report = (await investigate(server, settings, Progress(quiet=True))).report
        error = None
    except InvestigationError as exc:
        report, error = exc.partial, str(exc)
    except Exception as exc:  # the case's server could not start or answer: a miss, with the reason
        return RealResult(case, None, "unknown", [], {"wall_seconds": round(time.perf_counter() - started, 3)},
                          f"{type(exc).__name__}: {exc}")
    u = report.usage
    cost = {"llm_requests": u.llm_requests, "input_tokens": u.input_tokens, "output_tokens": u.output_tokens,
            "tool_calls": u.tool_calls, "wall_seconds": round(time.perf_counter() - started, 3)}
    return RealResult(case, report.root_cause.service, report.root_cause.fault_type,
                      [c.service for c in report.candidates], cost, error)


def summarize(results: list[RealResult]) -> dict:
    scores = _group_scores(results)
    scores["by_system"] = {k: _group_scores(v) for k, v in _groups(results, lambda r: r.case.system).items()}
    scores["by_day"] = {k: _group_scores(v) for k, v in _groups(results, lambda r: f"{r.case.system} {r.case.day}")
                        .items()}
    scores["by_fault"] = {k: _group_scores(v) for k, v in _groups(results, lambda r: f"{r.case.system} {r.case.fault}")
                          .items()}
    typed = [r for r in results if r.case.fault_type]
    scores["fault_type_accuracy"] = (round(sum(r.predicted_fault == r.case.fault_type for r in typed) / len(typed), 4)
                                     if typed else None)
    scores["cost"] = {k: round(statistics.median(r.cost.get(k, 0) for r in results), 3)
                      for k in ("llm_requests", "input_tokens", "tool_calls", "wall_seconds")}
    return scores


def _groups(results, key) -> dict[str, list[RealResult]]:
    out: dict[str, list[RealResult]] = defaultdict(list)
    for r in results:
        out[key(r)].append(r)
    return dict(sorted(out.items()))


def _group_scores(results: list[RealResult]) -> dict:
    ranks = [r.rank() for r in results]
    return {"cases": len(results), "errors": sum(1 for r in results if r.error),
            **{f"AS@{k}": round(sum(1 for x in ranks if x is not None and x <= k) / len(ranks), 4) for k in (1, 3, 5)}}


def table(scores: dict) -> str:
    lines = [f"{'':34s}{'cases':>6s}{'AS@1':>8s}{'AS@3':>8s}{'AS@5':>8s}"]

    def row(name: str, s: dict) -> None:
        lines.append(f"{name:34s}{s['cases']:6d}{s['AS@1']:8.3f}{s['AS@3']:8.3f}{s['AS@5']:8.3f}")

    row("all", scores)
    for group in ("by_system", "by_day", "by_fault"):
        for name, s in scores[group].items():
            row("  " + name, s)
    if scores["fault_type_accuracy"] is not None:
        lines.append(f"fault type right (where the dataset's fault has a project equivalent): "
                     f"{scores['fault_type_accuracy']:.3f}")
    lines.append("cost per case (median): " + ", ".join(f"{k} {v:g}" for k, v in scores["cost"].items()))
    return "\n".join(lines)


def main(args) -> int:
    try:
        cases = find_cases(args.cases)
        settings = load_settings(args.model or "offline")
    except ValueError as exc:
        print(f"aiops-agent eval: {exc}", file=sys.stderr)
        return 2
    cases = cases[: args.limit] if args.limit else cases
    started = time.perf_counter()
    results = []
    for n, case in enumerate(cases, 1):
        result = asyncio.run(run_case(case, settings))
        results.append(result)
        if not args.quiet:
            mark = "ok  " if result.rank() == 1 else "MISS"
            print(f"[{n}/{len(cases)}] {mark} {case.path.name} {case.system} {case.fault}: truth {case.service} -> "
                  f"{result.predicted_service} (rank {result.rank()})" + (f" ({result.error})" if result.error else ""),
                  flush=True)
    scores = summarize(results)
    scores["model"] = settings.model
    scores["wall_seconds"] = round(time.perf_counter() - started, 1)
    print(table(scores))
    print(f"\n{len(results)} cases in {scores['wall_seconds']}s with model {settings.model}")
    if args.out:
        Path(args.out).write_text(json.dumps({"scores": scores, "cases": [r.to_json() for r in results]}, indent=1)
                                  + "\n", encoding="utf-8")
    return 0
