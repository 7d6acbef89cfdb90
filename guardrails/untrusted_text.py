"""Text from telemetry (log lines, span messages, deploy notes) is data, never instructions.

`redact` removes credentials before text leaves the server; `flag_instructions` spots text
that tries to talk to an AI reader, so it can be marked as such; `sanitize` does both and
strips control characters.
"""

from __future__ import annotations

import re

_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # scheme://user:password@host
    (re.compile(r"(?P<pre>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:)[^\s@/]+(?P<post>@)"), r"\g<pre>[REDACTED]\g<post>"),
    (re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 [REDACTED]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\b"), "[REDACTED-JWT]"),
    (re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b"), "[REDACTED-AWS-KEY]"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
     "[REDACTED-PRIVATE-KEY]"),
    (re.compile(r"(?i)\b(password|passwd|pwd|secret|api[_-]?key|access[_-]?token|token)(\s*[=:]\s*)"
                r"(?![\"']?\[REDACTED)([\"']?)[^\s\"',;]{3,}\3"), r"\1\2\3[REDACTED]\3"),
    (re.compile(r"\b(?:sk|pk|rk|ghp|gho|xox[abp])[-_][A-Za-z0-9_-]{16,}\b"), "[REDACTED-TOKEN]"),
)

_INSTRUCTION_HINTS = re.compile(
    r"(?i)(ignore (?:all |any )?(?:previous|prior|above) (?:instructions|prompts)|"
    r"system (?:note|prompt|message)|you are (?:now )?(?:an? )?(?:ai|assistant|agent)|"
    r"to (?:ai|llm) (?:assistants|agents)|disregard (?:the |your )?(?:instructions|rules)|"
    r"(?:run|execute) [`'\"]?(?:kubectl|rm|curl|bash|sh)\b)"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def redact(text: str) -> str:
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def flag_instructions(text: str) -> bool:
    """True if the text reads like an attempt to instruct an AI reader."""
    return bool(_INSTRUCTION_HINTS.search(text))


def sanitize(text: str, limit: int = 500) -> str:
    """Redacted, control-character-free, bounded; suspicious text is visibly quarantined."""
    clean = _CONTROL.sub(" ", redact(text))
    if len(clean) > limit:
        clean = clean[: limit - 1] + "…"
    if flag_instructions(clean):
        clean = "[untrusted text; contains instructions, not followed] " + clean
    return clean
