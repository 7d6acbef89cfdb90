"""Scores in the manner of RCAEval and AIOpsLab: AC@k and Avg@5 for the root-cause service,
fault-type accuracy, false alarms on quiet cases, whether the remediation fits, per fault type
and per service, with cost, and baselines on the same cases."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from knowledge import FAULTS

@dataclass
class CaseResult:
    case: str
    source: str
    truth_service: str | None
    truth_fault: str
    predicted_service: str | None
    predicted_fault: str
    candidates: list[str]
    remediation: list[str]  # "kind service"
    services: int  # size of the topology, for the random baseline
    alerting_ranking: list[str]  # most-alerting baseline, best first
    cost: dict = field(default_factory=dict)
    error: str | None = None
    repeat: int = 0

    @property
    def fault_case(self) -> bool:
        return self.truth_service is not None

    def rank(self) -> int | None:
        """1-based rank of the true service among the predictions (None if absent)."""
        ranking = list(dict.fromkeys([s for s in [self.predicted_service, *self.candidates] if s]))
        return ranking.index(self.truth_service) + 1 if self.truth_service in ranking else None

    def remediation_fits(self) -> bool:
        if not self.fault_case:
            return not self.remediation
        fault = FAULTS.get(self.truth_fault)
        fitting = set(fault.actions) if fault else set()
        kinds = [r.split(" ", 1) for r in self.remediation]
        return bool(kinds) and all(k in fitting and s == self.truth_service for k, s in kinds)

    def to_json(self) -> dict:
        d = asdict(self)
        d["rank"] = self.rank()
        d["remediation_fits"] = self.remediation_fits()
        return d


def _ac(ranks: list[int | None], k: int) -> float:
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def _avg5(ranks: list[int | None]) -> float:
    return sum(_ac(ranks, k) for k in range(1, 6)) / 5


def summarize(results: list[CaseResult]) -> dict:
    faults = [r for r in results if r.fault_case]  # a case that errored counts as a miss
    quiet = [r for r in results if not r.fault_case and r.truth_fault == "none"]
    ranks = [r.rank() for r in faults]
    scores = {
        "cases": len(results),
        "fault_cases": len(faults),
        "no_fault_cases": len(quiet),
        "errors": sum(1 for r in results if r.error),
        "AC@1": round(_ac(ranks, 1), 4),
        "AC@3": round(_ac(ranks, 3), 4),
        "Avg@5": round(_avg5(ranks), 4),
        "fault_type_accuracy": round(sum(r.predicted_fault == r.truth_fault for r in faults) / len(faults), 4)
        if faults else 0.0,
        "no_fault_false_positive_rate": round(sum(r.predicted_service is not None for r in quiet) / len(quiet), 4)
        if quiet else 0.0,
        "remediation_appropriate": round(sum(r.remediation_fits() for r in results) / len(results), 4)
        if results else 0.0,
        "by_fault_type": _breakdown(faults, lambda r: r.truth_fault),
        "by_service": {k: {"cases": v["cases"], "AC@1": v["AC@1"]}
                       for k, v in _breakdown(faults, lambda r: r.truth_service).items()},
        "cost": _cost(results),
        "baselines": _baselines(faults),
    }
    return scores


def _breakdown(results, key) -> dict:
    groups: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results:
        groups[key(r)].append(r)
    out = {}
    for name in sorted(groups):
        rs = groups[name]
        ranks = [r.rank() for r in rs]
        out[name] = {"cases": len(rs), "AC@1": round(_ac(ranks, 1), 4), "AC@3": round(_ac(ranks, 3), 4),
                     "fault_type_accuracy": round(sum(r.predicted_fault == r.truth_fault for r in rs) / len(rs), 4),
                     "remediation_appropriate": round(sum(r.remediation_fits() for r in rs) / len(rs), 4)}
    return out


def _cost(results) -> dict:
    keys = ("llm_requests", "input_tokens", "output_tokens", "tool_calls", "invalid_tool_calls", "wall_seconds")
    out = {}
    for k in keys:
        values = [r.cost.get(k, 0) for r in results if r.cost]
        if values:
            out[k] = {"mean": round(statistics.fmean(values), 3), "median": round(statistics.median(values), 3),
                      "max": round(max(values), 3)}
    return out


def _baselines(faults: list[CaseResult]) -> dict:
    if not faults:
        return {}
    # Random guessing over the case's services: AC@k = k / N, computed exactly.
    rand = {f"AC@{k}": round(statistics.fmean(min(k, r.services) / r.services for r in faults), 4) for k in (1, 3)}
    rand["Avg@5"] = round(statistics.fmean(statistics.fmean(min(k, r.services) / r.services for k in range(1, 6))
                                           for r in faults), 4)
    alert_ranks = [r.alerting_ranking.index(r.truth_service) + 1 if r.truth_service in r.alerting_ranking else None
                   for r in faults]
    return {"random": rand,
            "most_alerting_service": {"AC@1": round(_ac(alert_ranks, 1), 4), "AC@3": round(_ac(alert_ranks, 3), 4),
                                      "Avg@5": round(_avg5(alert_ranks), 4)}}


def table(scores: dict) -> str:
    lines = [f"{scores['cases']} cases ({scores['fault_cases']} with a fault, {scores['no_fault_cases']} quiet,"
             f" {scores['errors']} errors)",
             f"{'':28s}{'AC@1':>8s}{'AC@3':>8s}{'Avg@5':>8s}",
             f"{'analyst':28s}{scores['AC@1']:8.3f}{scores['AC@3']:8.3f}{scores['Avg@5']:8.3f}"]
    for name, b in scores.get("baselines", {}).items():
        lines.append(f"{'baseline: ' + name:28s}{b['AC@1']:8.3f}{b['AC@3']:8.3f}{b['Avg@5']:8.3f}")
    lines += [f"fault-type accuracy       {scores['fault_type_accuracy']:.3f}",
              f"no-fault false positives  {scores['no_fault_false_positive_rate']:.3f}",
              f"remediation appropriate   {scores['remediation_appropriate']:.3f}", "",
              f"{'fault type':28s}{'cases':>6s}{'AC@1':>8s}{'AC@3':>8s}{'type':>8s}{'fix':>8s}"]
    for name, b in scores["by_fault_type"].items():
        lines.append(f"{name:28s}{b['cases']:6d}{b['AC@1']:8.3f}{b['AC@3']:8.3f}{b['fault_type_accuracy']:8.3f}"
                     f"{b['remediation_appropriate']:8.3f}")
    cost = scores.get("cost", {})
    if cost:
        lines.append("")
        lines.append("cost per case (median): " + ", ".join(f"{k} {v['median']:g}" for k, v in cost.items()))
    return "\n".join(lines)


def markdown(scores: dict, title: str) -> str:
    md = [f"# {title}", "", f"{scores['cases']} cases: {scores['fault_cases']} with a fault, "
          f"{scores['no_fault_cases']} quiet, {scores['errors']} errors.", "",
          "| | AC@1 | AC@3 | Avg@5 |", "|---|---|---|---|",
          f"| analyst | {scores['AC@1']:.3f} | {scores['AC@3']:.3f} | {scores['Avg@5']:.3f} |"]
    for name, b in scores.get("baselines", {}).items():
        md.append(f"| baseline: {name} | {b['AC@1']:.3f} | {b['AC@3']:.3f} | {b['Avg@5']:.3f} |")
    md += ["", f"- fault-type accuracy: {scores['fault_type_accuracy']:.3f}",
           f"- no-fault false-positive rate: {scores['no_fault_false_positive_rate']:.3f}",
           f"- remediation appropriate: {scores['remediation_appropriate']:.3f}", "",
           "| fault type | cases | AC@1 | AC@3 | fault type acc. | remediation fits |", "|---|---|---|---|---|---|"]
    for name, b in scores["by_fault_type"].items():
        md.append(f"| {name} | {b['cases']} | {b['AC@1']:.3f} | {b['AC@3']:.3f} | {b['fault_type_accuracy']:.3f} | "
                  f"{b['remediation_appropriate']:.3f} |")
    cost = scores.get("cost", {})
    if cost:
        md += ["", "| cost per case | median | mean | max |", "|---|---|---|---|"]
        md += [f"| {k} | {v['median']:g} | {v['mean']:g} | {v['max']:g} |" for k, v in cost.items()]
    return "\n".join(md) + "\n"
