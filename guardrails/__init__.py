"""Pure checks shared by the server and the client: remediation safety, input readiness,
and handling of untrusted text from telemetry.

Each check loads with its first use (PEP 562): the server's start-up and first answer should
not compile the regular expressions of checks they do not run.
"""

from __future__ import annotations

import importlib

_HOMES = {
    "Readiness": "input_readiness",
    "assess_readiness": "input_readiness",
    "ALLOWED_KINDS": "remediation_safety",
    "SafetyVerdict": "remediation_safety",
    "ServiceFacts": "remediation_safety",
    "check_proposal": "remediation_safety",
    "check_text": "remediation_safety",
    "clean": "untrusted_text",
    "flag_instructions": "untrusted_text",
    "redact": "secrets",
    "sanitize": "untrusted_text",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
