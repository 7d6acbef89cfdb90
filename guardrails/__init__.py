"""Pure checks shared by the server and the client: remediation safety, input readiness,
and handling of untrusted text from telemetry."""

from .input_readiness import Readiness, assess_readiness
from .remediation_safety import ALLOWED_KINDS, SafetyVerdict, check_proposal, check_text
from .untrusted_text import flag_instructions, redact, sanitize

__all__ = [
    "ALLOWED_KINDS",
    "Readiness",
    "SafetyVerdict",
    "assess_readiness",
    "check_proposal",
    "check_text",
    "flag_instructions",
    "redact",
    "sanitize",
]
