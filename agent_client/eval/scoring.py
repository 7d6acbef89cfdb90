"""Scores in the manner of RCAEval and AIOpsLab: AC@k and Avg@5 for the root-cause service,
fault-type accuracy, false alarms on quiet cases, whether the remediation fits and whether any
proposal touches a healthy service, per fault type, per service and per kind of case, with
cost, and baselines on the same cases.

Nothing flatters: a "no incident" verdict earns no credit for the candidates it left behind,
and a case with several faults scores every one of them (AC@1 counts a hit on any; AC@k asks
for as many of them as fit in the top k).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from knowledge import FAULTS

from .categories import CATEGORIES


@dataclass
class CaseResult:
    case: str
    source: str
    truth_service: str | None  # the first fault's, as before several faults per case
    truth_fault: str
    predicted_service: str | None
    predicted_fault: str
    candidates: list[str]
    remediation: list[str]  # "kind service"
    services: int  # size of the topology, for the random baseline
    alerting_ranking: list[str]  # most-alerting baseline, best first
    truths: list[tuple[str, str]] = field(default_factory=list)  # every fault: (service, type)
    categories: dict[str, str] = field(default_factory=dict)
    conclusion: str = ""  # the analyst's own summary, for reading a miss
    confidence: float | None = None  # the analyst's, in its root cause: to see how well it is calibrated
    evidence: list[str] = field(default_factory=list)
    cost: dict = field(default_factory=dict)
    error: str | None = None
    repeat: int = 0

    def __post_init__(self) -> None:
        if not self.truths and self.truth_service is not None:
            self.truths = [(self.truth_service, self.truth_fault)]
        self.truths = [tuple(t) for t in self.truths]

    @property
    def fault_case(self) -> bool:
        return bool(self.truths)

    def true_services(self) -> list[str]:
        return list(dict.fromkeys(s for s, _ in self.truths))

    def ranking(self) -> list[str]:
        """The analyst's suspects, best first; none when it found no incident."""
        if self.predicted_service is None:
            return []
        return list(dict.fromkeys([self.predicted_service, *self.candidates]))

    def hits_at(self, k: int) -> float:
        """Share of the faulty services found in the top k (of as many as fit there)."""
        truth = self.true_services()
        if not truth:
            return 0.0
        return len(set(self.ranking()[:k]) & set(truth)) / min(k, len(truth))

    def rank(self) -> int | None:
        """1-based rank of the best-placed faulty service (None if none is ranked)."""
        truth = set(self.true_services())
        return next((n for n, s in enumerate(self.ranking(), 1) if s in truth), None)

    def service_right(self) -> bool:
        return self.predicted_service in self.true_services()

    def fault_type_right(self) -> bool:
        """The type of the fault at the named service (of any fault, when the service is wrong)."""
        at_service = {t for s, t in self.truths if s == self.predicted_service}
        return self.predicted_fault in (at_service or {t for _, t in self.truths})

    def false_alarm(self) -> bool:
        return not self.fault_case and self.predicted_service is not None

    def remediation_fits(self) -> bool:
        if not self.fault_case:
            return not self.remediation
        fitting = {(s, kind) for s, t in self.truths if t in FAULTS for kind in FAULTS[t].actions}
        proposals = [r.split(" ", 1) for r in self.remediation]
        return bool(proposals) and all((service, kind) in fitting for kind, service in proposals)

    def spares_healthy_services(self) -> bool:
        """No proposal against a service that was not at fault."""
        truth = set(self.true_services())
        return all(r.split(" ", 1)[1] in truth for r in self.remediation)

    def to_json(self) -> dict:
        d = asdict(self)
        d["rank"] = self.rank()
        d["remediation_fits"] = self.remediation_fits()
        return d


def _mean(values) -> float:
    values = list(values)
    return round(statistics.fmean(values), 4) if values else 0.0


def _ac(results: list[CaseResult], k: int) -> float:
    return _mean(r.hits_at(k) for r in results)


def _avg5(results: list[CaseResult]) -> float:
    return round(statistics.fmean(_ac(results, k) for k in range(1, 6)), 4) if results else 0.0


def _type_when_service_right(results: list[CaseResult]) -> float:
    return _mean(r.fault_type_right() for r in results if r.service_right())


def summarize(results: list[CaseResult]) -> dict:
    faults = [r for r in results if r.fault_case]  # a case that errored counts as a miss
    quiet = [r for r in results if not r.fault_case and r.truth_fault == "none"]
    false_alarms = sum(r.false_alarm() for r in quiet)
    return {
        "cases": len(results),
        "fault_cases": len(faults),
        "no_fault_cases": len(quiet),
        "errors": sum(1 for r in results if r.error),
        "AC@1": _ac(faults, 1),
        "AC@3": _ac(faults, 3),
        "Avg@5": _avg5(faults),
        "fault_type_accuracy": _mean(r.fault_type_right() for r in faults),
        "fault_type_accuracy_when_service_right": _type_when_service_right(faults),
        "false_alarms": false_alarms,
        "no_fault_false_positive_rate": round(false_alarms / len(quiet), 4) if quiet else 0.0,
        "remediation_appropriate": _mean(r.remediation_fits() for r in results),
        "no_proposal_against_healthy": _mean(r.spares_healthy_services() for r in results),
        "by_fault_type": _breakdown(faults, lambda r: r.truth_fault),
        "by_service": {k: {"cases": v["cases"], "AC@1": v["AC@1"]}
                       for k, v in _breakdown(faults, lambda r: r.truth_service).items()},
        "by_category": {c: _category_breakdown(results, c) for c in CATEGORIES
                        if any(c in r.categories for r in results)},
        "cost": _cost(results),
        "baselines": _baselines(faults),
    }


def _breakdown(results: list[CaseResult], key) -> dict:
    groups: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results:
        groups[key(r)].append(r)
    return {name: {"cases": len(rs), "AC@1": _ac(rs, 1), "AC@3": _ac(rs, 3),
                   "fault_type_accuracy": _mean(r.fault_type_right() for r in rs),
                   "remediation_appropriate": _mean(r.remediation_fits() for r in rs)}
            for name, rs in sorted(groups.items())}


def _category_breakdown(results: list[CaseResult], category: str) -> dict:
    groups: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results:
        if category in r.categories:
            groups[r.categories[category]].append(r)
    out = {}
    for value, rs in sorted(groups.items()):
        faults = [r for r in rs if r.fault_case]
        quiet = [r for r in rs if not r.fault_case]
        out[value] = {"cases": len(rs), "fault_cases": len(faults), "AC@1": _ac(faults, 1), "AC@3": _ac(faults, 3),
                      "fault_type_when_service_right": _type_when_service_right(faults),
                      "quiet_cases": len(quiet), "false_alarms": sum(r.false_alarm() for r in quiet)}
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


def _random_hits(r: CaseResult, k: int) -> float:
    """Expected share of the faulty services a random top k finds, exactly."""
    m, n = len(r.true_services()), r.services
    return min(k, n) * m / n / min(k, m)


def _baselines(faults: list[CaseResult]) -> dict:
    if not faults:
        return {}
    rand = {f"AC@{k}": _mean(_random_hits(r, k) for r in faults) for k in (1, 3)}
    rand["Avg@5"] = _mean(statistics.fmean(_random_hits(r, k) for k in range(1, 6)) for r in faults)
    # What a dashboard points at: services ranked by firing alerts.
    alerting = [CaseResult(case=r.case, source=r.source, truth_service=r.truth_service, truth_fault=r.truth_fault,
                           predicted_service=(r.alerting_ranking or [None])[0], predicted_fault="unknown",
                           candidates=r.alerting_ranking, remediation=[], services=r.services,
                           alerting_ranking=[], truths=r.truths) for r in faults]
    return {"random": rand,
            "most_alerting_service": {"AC@1": _ac(alerting, 1), "AC@3": _ac(alerting, 3), "Avg@5": _avg5(alerting)}}


def table(scores: dict) -> str:
    lines = [f"{scores['cases']} cases ({scores['fault_cases']} with a fault, {scores['no_fault_cases']} quiet,"
             f" {scores['errors']} errors)",
             f"{'':28s}{'AC@1':>8s}{'AC@3':>8s}{'Avg@5':>8s}",
             f"{'analyst':28s}{scores['AC@1']:8.3f}{scores['AC@3']:8.3f}{scores['Avg@5']:8.3f}"]
    for name, b in scores.get("baselines", {}).items():
        lines.append(f"{'baseline: ' + name:28s}{b['AC@1']:8.3f}{b['AC@3']:8.3f}{b['Avg@5']:8.3f}")
    lines += [f"fault-type accuracy       {scores['fault_type_accuracy']:.3f}"
              f" ({scores['fault_type_accuracy_when_service_right']:.3f} when the service is right)",
              f"false alarms              {scores['false_alarms']} of {scores['no_fault_cases']} quiet cases",
              f"remediation appropriate   {scores['remediation_appropriate']:.3f}",
              f"no proposal on a healthy service {scores['no_proposal_against_healthy']:.3f}", "",
              f"{'fault type':28s}{'cases':>6s}{'AC@1':>8s}{'AC@3':>8s}{'type':>8s}{'fix':>8s}"]
    for name, b in scores["by_fault_type"].items():
        lines.append(f"{name:28s}{b['cases']:6d}{b['AC@1']:8.3f}{b['AC@3']:8.3f}{b['fault_type_accuracy']:8.3f}"
                     f"{b['remediation_appropriate']:8.3f}")
    for category, groups in scores.get("by_category", {}).items():
        lines += ["", f"{'by ' + category:28s}{'cases':>6s}{'AC@1':>8s}{'AC@3':>8s}{'type|svc':>9s}{'alarms':>9s}"]
        for value, b in groups.items():
            alarms = f"{b['false_alarms']}/{b['quiet_cases']}" if b["quiet_cases"] else "-"
            accuracy = (f"{b['AC@1']:8.3f}{b['AC@3']:8.3f}{b['fault_type_when_service_right']:9.3f}"
                        if b["fault_cases"] else f"{'-':>8s}{'-':>8s}{'-':>9s}")
            lines.append(f"  {value:26s}{b['cases']:6d}{accuracy}{alarms:>9s}")
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
    md += ["", f"- fault-type accuracy: {scores['fault_type_accuracy']:.3f} "
           f"({scores['fault_type_accuracy_when_service_right']:.3f} when the service is right)",
           f"- false alarms: {scores['false_alarms']} of {scores['no_fault_cases']} quiet cases",
           f"- remediation appropriate: {scores['remediation_appropriate']:.3f}",
           f"- no proposal against a healthy service: {scores['no_proposal_against_healthy']:.3f}", "",
           "| fault type | cases | AC@1 | AC@3 | fault type acc. | remediation fits |", "|---|---|---|---|---|---|"]
    for name, b in scores["by_fault_type"].items():
        md.append(f"| {name} | {b['cases']} | {b['AC@1']:.3f} | {b['AC@3']:.3f} | {b['fault_type_accuracy']:.3f} | "
                  f"{b['remediation_appropriate']:.3f} |")
    for category, groups in scores.get("by_category", {}).items():
        md += ["", f"| {category} | cases | AC@1 | AC@3 | type when service right | false alarms |",
               "|---|---|---|---|---|---|"]
        for value, b in groups.items():
            alarms = f"{b['false_alarms']} of {b['quiet_cases']}" if b["quiet_cases"] else "-"
            accuracy = (f"{b['AC@1']:.3f} | {b['AC@3']:.3f} | {b['fault_type_when_service_right']:.3f}"
                        if b["fault_cases"] else "- | - | -")
            md.append(f"| {value} | {b['cases']} | {accuracy} | {alarms} |")
    cost = scores.get("cost", {})
    if cost:
        md += ["", "| cost per case | median | mean | max |", "|---|---|---|---|"]
        md += [f"| {k} | {v['median']:g} | {v['mean']:g} | {v['max']:g} |" for k, v in cost.items()]
    return "\n".join(md) + "\n"
