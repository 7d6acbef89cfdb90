"""The remediation policy, an allowlist: what a proposal may be, not what it may not.

A proposal is one of the known action kinds for a service, and within its kind: a replica
count in a range set by the current count and the service's kind (a stateful store is never
scaled down), a rollback to a version the service ran before, a configuration change of an
accepted class (`config_policy`), or a rolling restart. Its free text (the reason, and for a
report the command) must not describe a dangerous operation. Proposals are records for a human
to approve, never executed; even so, only these may be made.

The server knows the service (`ServiceFacts`) and checks everything; the client's guardrail,
which does not, checks what the proposal itself shows and leaves the rest to the server.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from knowledge import REMEDIATION_KINDS
from telemetry.records import STATEFUL_KINDS

from .config_policy import ACCEPTED as ACCEPTED_SETTINGS
from .config_policy import assess_setting
from .dangerous_operations import dangerous_operations
from .text_folding import is_plain

ALLOWED_KINDS = REMEDIATION_KINDS
MAX_REPLICAS = 100
SCALE_UP_FACTOR = 5  # at most 5x the current replicas (or 10, for a small service)

_SERVICE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_VERSION = re.compile(r"^v?\d+(?:\.\d+){0,3}(?:[-+][A-Za-z0-9.]+)?$")
_SHELL_META = re.compile(r"[;&|`$<>\\\n\r]")
# Detail fields that decide what a proposal does; every other string in its details is free text.
_OPERATIVE = ("replicas", "to_replicas", "target_version", "to_version", "key", "value")


@dataclass(frozen=True, slots=True)
class ServiceFacts:
    """What the server knows of the proposal's service."""

    kind: str
    replicas: int
    versions_before: tuple[str, ...] = ()  # versions it ran before the current one, newest first
    settings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # key -> values it has had


@dataclass(frozen=True, slots=True)
class SafetyVerdict:
    allowed: bool
    reasons: tuple[str, ...] = ()  # why it is refused
    risk: str = "medium"
    risk_reasons: tuple[str, ...] = ()  # why an accepted proposal is high risk
    accepted: str = ""  # what would be accepted instead

    def message(self) -> str:
        if self.allowed:
            return "allowed"
        return "; ".join(self.reasons) + (f". Accepted: {self.accepted}" if self.accepted else "")


def replica_range(facts: ServiceFacts) -> tuple[int, int]:
    """The replica counts a scaling proposal may set (the current one aside)."""
    high = min(MAX_REPLICAS, max(10, facts.replicas * SCALE_UP_FACTOR))
    low = facts.replicas if facts.kind in STATEFUL_KINDS else max(1, math.ceil(facts.replicas / 2))
    return low, max(low, high)


def check_text(text: str) -> list[str]:
    """Reasons this free text describes a forbidden operation (empty if none)."""
    return [f"describes a forbidden operation ({why})" for why in dangerous_operations(text)]


def check_proposal(kind: str, service: str, details: Mapping, command: str | None = None,
                   reason: str | None = None, facts: ServiceFacts | None = None) -> SafetyVerdict:
    """Check a remediation proposal against the policy. `details` are the proposal's own
    fields (replicas, target_version or to_version, key and value) and any recorded facts."""
    if kind not in ALLOWED_KINDS:
        return _refuse(f"action kind {kind!r} is not allowed", "kinds " + ", ".join(ALLOWED_KINDS))
    if not (isinstance(service, str) and _SERVICE.match(service) and is_plain(service)):
        return _refuse(f"service {str(service)[:63]!r} is not a service name", "the name of a known service")
    verdict = _CHECKS[kind](service, details, facts)
    texts = [("reason", reason), ("command", command)]
    texts += [(k, v) for k, v in details.items() if k not in _OPERATIVE and isinstance(v, str)]
    problems = [f"{name} {problem}" for name, text in texts if text for problem in check_text(text)]
    if command and (_SHELL_META.search(command) or "$(" in command):
        problems.append("command contains shell syntax")
    if not problems:
        return verdict
    return SafetyVerdict(False, verdict.reasons + tuple(problems), accepted="; ".join(
        filter(None, (verdict.accepted, "free text that describes the change for the approver, without commands"))))


def _check_scale(service: str, details: Mapping, facts: ServiceFacts | None) -> SafetyVerdict:
    replicas = details.get("replicas", details.get("to_replicas"))
    if isinstance(replicas, str) and replicas.strip().isdigit():
        replicas = int(replicas)
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        return _refuse("replicas must be an integer", f"1 to {MAX_REPLICAS}")
    if facts is None:
        if not 1 <= replicas <= MAX_REPLICAS:
            return _refuse(f"replicas {replicas} is outside 1 to {MAX_REPLICAS}", f"1 to {MAX_REPLICAS}")
        return SafetyVerdict(True, risk="low")
    low, high = replica_range(facts)
    accepted = f"{low} to {high} replicas, other than {facts.replicas}" + (
        f" (a {facts.kind} keeps its data on its replicas and is not scaled down)"
        if facts.kind in STATEFUL_KINDS else "")
    if replicas == facts.replicas:
        return _refuse(f"replicas: {service} already runs {facts.replicas} replicas", accepted)
    if replicas < facts.replicas and facts.kind in STATEFUL_KINDS:
        return _refuse(f"replicas: {service} is a {facts.kind}; scaling it down from {facts.replicas} to {replicas} "
                       "risks its data and quorum", accepted)
    if replicas < low:
        return _refuse(f"replicas: {replicas} is less than half the current {facts.replicas}", accepted)
    if replicas > high:
        return _refuse(f"replicas: {replicas} is more than {SCALE_UP_FACTOR}x the current {facts.replicas}; "
                       f"at most {high}", accepted)
    return SafetyVerdict(True, risk="low" if replicas > facts.replicas else "medium")


def _check_rollback(service: str, details: Mapping, facts: ServiceFacts | None) -> SafetyVerdict:
    target = details.get("target_version", details.get("to_version"))
    if target is None:
        return SafetyVerdict(True, risk="low")  # the server picks the version before
    earlier = ", ".join(facts.versions_before) if facts and facts.versions_before else "none recorded"
    if not (isinstance(target, str) and _VERSION.match(target)):
        return _refuse(f"target_version {str(target)[:40]!r} is not a version like v1.2.3",
                       f"a version {service} ran before: {earlier}")
    if facts is None:
        return SafetyVerdict(True, risk="low")
    if target not in facts.versions_before:
        return _refuse(f"target_version {target} never ran on {service} before the current version",
                       f"a version {service} ran before: {earlier}")
    return SafetyVerdict(True, risk="low" if target == facts.versions_before[0] else "medium")


def _check_config(service: str, details: Mapping, facts: ServiceFacts | None) -> SafetyVerdict:
    key, value = details.get("key"), details.get("value")
    if not isinstance(key, str) or not isinstance(value, (str, int)) or isinstance(value, bool):
        return _refuse("a config change needs a key and a value", ACCEPTED_SETTINGS)
    recorded = None if facts is None else facts.settings.get(key, ())
    verdict = assess_setting(key, str(value), recorded)
    if verdict.refusals:
        return _refuse(verdict.refusals[0], ACCEPTED_SETTINGS)
    return SafetyVerdict(True, risk="high" if verdict.risks else "medium", risk_reasons=verdict.risks)


def _check_restart(service: str, details: Mapping, facts: ServiceFacts | None) -> SafetyVerdict:
    if facts is not None and facts.kind in STATEFUL_KINDS:
        return SafetyVerdict(True, risk="high", risk_reasons=(
            f"restarting a {facts.kind} drops its connections and what it holds in memory",))
    return SafetyVerdict(True, risk="medium")


_CHECKS = {"scale": _check_scale, "rollback": _check_rollback, "config_change": _check_config,
           "restart": _check_restart}


def _refuse(reason: str, accepted: str) -> SafetyVerdict:
    return SafetyVerdict(False, (reason,), accepted=accepted)
