"""Remediation safety policy: which actions may be proposed, and what is never acceptable.

Proposals are records for a human to approve; even so, nothing destructive, nothing
shell-injectable, and nothing outside the allowed action kinds may be proposed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge import REMEDIATION_KINDS

ALLOWED_KINDS = REMEDIATION_KINDS
MAX_REPLICAS = 100

_FORBIDDEN = (
    (re.compile(r"(?i)\brm\s+-[a-z]*r[a-z]*f|\brm\s+-[a-z]*f[a-z]*r"), "recursive file deletion"),
    (re.compile(r"(?i)\bdrop\s+(?:database|table|schema|keyspace)\b"), "dropping data"),
    (re.compile(r"(?i)\btruncate\s+(?:table\s+)?\w"), "truncating data"),
    (re.compile(r"(?i)\bdelete\s+from\b"), "deleting rows"),
    (re.compile(r"(?i)\bkubectl\s+(?:\S+\s+)*delete\b"), "deleting cluster resources"),
    (re.compile(r"(?i)\bhelm\s+(?:uninstall|delete)\b"), "uninstalling releases"),
    (re.compile(r"(?i)\b(?:mkfs|fdisk|dd\s+if=)"), "overwriting disks"),
    (re.compile(r"(?i)\b(?:shutdown|reboot|halt|poweroff)\b"), "shutting machines down"),
    (re.compile(r"(?i)\bflushall\b|\bflushdb\b"), "wiping a cache"),
    (re.compile(r"(?i)--force\b|--grace-period=0"), "forcing past safety checks"),
    (re.compile(r"(?i)\bchmod\s+(?:-R\s+)?777\b"), "opening permissions"),
    (re.compile(r"(?i)\biptables\s+-F\b"), "flushing firewall rules"),
)
_SHELL_META = re.compile(r"[;&|`$<>\\\n\r]|\$\(")


@dataclass(frozen=True, slots=True)
class SafetyVerdict:
    allowed: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def message(self) -> str:
        return "; ".join(self.reasons) if self.reasons else "allowed"


def check_text(text: str) -> list[str]:
    """Reasons this text describes a forbidden operation (empty if none)."""
    return [f"forbidden operation: {why}" for pattern, why in _FORBIDDEN if pattern.search(text)]


def check_proposal(kind: str, service: str, details: dict, command: str | None = None) -> SafetyVerdict:
    """Check a remediation proposal against the policy."""
    reasons: list[str] = []
    if kind not in ALLOWED_KINDS:
        reasons.append(f"action kind {kind!r} is not allowed (allowed: {', '.join(ALLOWED_KINDS)})")
    values = [service, *(str(v) for v in details.values()), command or ""]
    for value in values:
        reasons.extend(check_text(value))
    for key, value in [("service", service), *details.items()]:
        if isinstance(value, str) and _SHELL_META.search(value):
            reasons.append(f"{key} contains shell metacharacters")
    if kind == "scale":
        replicas = details.get("replicas", details.get("to_replicas"))
        if isinstance(replicas, str) and replicas.strip().isdigit():
            replicas = int(replicas)
        if not isinstance(replicas, int) or isinstance(replicas, bool):
            reasons.append("replicas must be an integer")
        elif replicas < 1:
            reasons.append("scaling to zero replicas takes the service down")
        elif replicas > MAX_REPLICAS:
            reasons.append(f"replicas above {MAX_REPLICAS} are outside the safe range")
    unique = tuple(dict.fromkeys(reasons))
    return SafetyVerdict(not unique, unique)
