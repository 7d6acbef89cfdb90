"""Text from telemetry (log lines, span names, deploy notes, alert text, names) is data, never
instructions.

`clean` is what every such text goes through before it leaves the server: invisible and
control characters removed, credentials redacted (`guardrails.secrets`), length bounded.
`flag_instructions` spots text that talks to an AI reader, so that `sanitize` can mark it; the
mark is a courtesy to the reader: what keeps such text from being obeyed is that it reaches a
model only inside tool results, which are declared data (see docs/security.md), whether or not
a pattern here recognises it.
"""

from __future__ import annotations

import re

from .secrets import redact
from .text_folding import fold, strip_invisible

FLAG = "[untrusted: reads like instructions] "

# Matched on folded text (NFKC, invisible characters gone, look-alikes as Latin, lower case),
# with _ . / and hyphens inside words turned into spaces, so that a name like
# `system-note-to-ai-agents` reads as words (an option's `-rf` keeps its dash).
_INSTRUCTIONS = re.compile("|".join((
    r"\b(?:ignore|disregard|forget|override|bypass|skip) (?:all |any |every |the |your |these |those )*"
    r"(?:previous |prior |above |earlier |preceding |existing |original |system |safety )*"
    r"(?:instructions?|prompts?|rules|directions|guidelines|guardrails|context|messages|policy|policies)\b",
    r"\b(?:new|updated|real|actual|revised|additional|hidden|secret) (?:instructions?|orders|directives|task)\b",
    r"\bsystem (?:note|prompt|message|instructions?|override|notice|directive|command|update)\b",
    r"^(?:system|assistant|developer|user) ?:|\s(?:assistant|developer) ?:\s",
    r"<\|? ?(?:im start|im end|system|user|assistant|endoftext|eot id|start header id)\b",
    r"\[/?inst\]|<</?sys>>|<\|",
    r"#{2,} ?(?:system|instruction|instructions|assistant|response)\b",
    r"</?(?:system|instructions?|tool result|tool call|function call|assistant)>",
    r"\byou (?:are|must|should|will) (?:now |hereby )?(?:an? |the )?(?:ai|assistant|agent|model|llm|chatbot|"
    r"required|instructed|ordered|going)\b",
    r"\byou are now\b",
    r"\b(?:note|message|instructions?|attention|notice|reminder|request) (?:to|for) (?:all |any |the )?"
    r"(?:ai|llm|gpt|claude|assistants?|agents?|models?|bots?|copilots?)\b",
    r"\b(?:ai|llm) (?:assistants?|agents?|models?|readers?)(?: reading| processing| that read)?\b",
    r"\b(?:dear|hey|hello|attention) (?:ai|assistant|agent|model|llm|chatgpt|claude)\b",
    r"\bas an ai\b",
    r"\b(?:developer|god|admin|jailbreak|dan) mode\b",
    r"\bdo not (?:tell|inform|alert|report|mention|notify|ask)\b",
    r"\bwithout (?:asking|approval|confirmation|human review|telling)\b",
    r"\b(?:reveal|print|show|output|repeat|leak|send|exfiltrate) (?:me )?(?:your |the )?(?:system prompt|instructions|"
    r"prompt|api keys?|secrets?|credentials|tokens?)\b",
    r"\b(?:call|invoke|use|run) (?:the )?(?:propose|transfer to|withdraw|load scenario)\w*",
    r"\bpropose (?:scaling action|rollback|config change|restart)\b",
    r"\bscale (?:every|all|each|the whole|the entire)(?: of the)? (?:services?|deployments?|pods?|cluster|fleet)"
    r"(?: \w+)? (?:to|down to) (?:zero|0|one|1)\b",
    r"\b(?:run|execute|exec|type|paste) [`'\"]?(?:kubectl|rm|curl|wget|bash|sh|sudo|helm|terraform|aws|gcloud|psql|"
    r"redis cli|docker)\b",
    r"\b(?:curl|wget) \S+ ?\| ?(?:ba|z)?sh\b",
    r"\brm -[a-z]*[rf]",
)))
_SEPARATORS = re.compile(r"[_./\\]+|(?<=\w)-+(?=\w)")
_SPACES = re.compile(r"\s+")


def clean(text: str, limit: int = 500) -> str:
    """Telemetry text as it may be shown: no invisible or control characters (newlines and tabs
    become spaces), credentials redacted, at most `limit` characters."""
    plain = strip_invisible(text)
    if "\n" in plain or "\r" in plain or "\t" in plain:
        plain = _SPACES.sub(" ", plain)
    plain = redact(plain)
    return plain if len(plain) <= limit else plain[: limit - 1] + "…"


def flag_instructions(text: str) -> bool:
    """True if the text reads like an attempt to instruct an AI reader."""
    return bool(_INSTRUCTIONS.search(_SEPARATORS.sub(" ", fold(text))))


def sanitize(text: str, limit: int = 500) -> str:
    """`clean`, and visibly marked when it reads like instructions."""
    shown = clean(text, limit)
    if not shown.startswith(FLAG) and flag_instructions(shown):
        shown = FLAG + shown
    return shown
