"""Text from telemetry (log lines, span names, deploy notes, alert text, names) is data, never
instructions.

`clean` is what every such text goes through before it leaves the server: invisible and
control characters removed, credentials redacted (`guardrails.secrets`), length bounded.
`sanitize` also puts it on one line and marks it when `flag_instructions` finds it talking to an
AI reader. The mark is a courtesy to the reader: what keeps such text from being obeyed is that
it reaches a model only inside results declared to be data (docs/security.md), whether or not
a pattern here recognises it.
"""

from __future__ import annotations

import re

from .secrets import redact
from .text_folding import fold, strip_invisible

FLAG = "[untrusted: reads like instructions] "

# Matched on folded text (NFKC, invisible characters gone, look-alikes as Latin, lower case),
# with _ . / and hyphens inside words turned into spaces, so that a name like
# `system-note-to-ai-agents` reads as words (an option's `-rf` keeps its dash). Each pattern runs
# only when one of its fragments is in the text: most telemetry has none.
_PATTERNS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("instruction", "prompt", "rules", "direction", "guideline", "guardrail", "context", "message", "polic"),
     r"\b(?:ignore|disregard|forget|override|bypass|skip) (?:all |any |every |the |your |these |those )*"
     r"(?:previous |prior |above |earlier |preceding |existing |original |system |safety )*"
     r"(?:instructions?|prompts?|rules|directions|guidelines|guardrails|context|messages|policy|policies)\b"),
    (("instruction", "order", "directive", "task"),
     r"\b(?:new|updated|real|actual|revised|additional|hidden|secret) (?:instructions?|orders|directives|task)\b"),
    (("system ",), r"\bsystem (?:note|prompt|message|instructions?|override|notice|directive|command|update)\b"),
    (("system:", "system :", "user:", "user :", "assistant", "developer"),
     r"^(?:system|assistant|developer|user) ?:|\s(?:assistant|developer) ?:\s"),
    (("<", "[inst", "[/inst"),
     r"<\|? ?(?:im start|im end|system|user|assistant|endoftext|eot id|start header id)\b|\[/?inst\]|<</?sys>>|"
     r"<\||</?(?:system|instructions?|tool result|tool call|function call|assistant)>"),
    (("##",), r"#{2,} ?(?:system|instruction|instructions|assistant|response)\b"),
    (("you ",), r"\byou (?:are|must|should|will) (?:now |hereby )?(?:an? |the )?(?:ai|assistant|agent|model|llm|"
                r"chatbot|required|instructed|ordered|going)\b|\byou are now\b"),
    (("note", "message", "instruction", "attention", "notice", "reminder", "request"),
     r"\b(?:note|message|instructions?|attention|notice|reminder|request) (?:to|for) (?:all |any |the )?"
     r"(?:ai|llm|gpt|claude|assistants?|agents?|models?|bots?|copilots?)\b"),
    (("ai ", "llm "), r"\b(?:ai|llm) (?:assistants?|agents?|models?|readers?)\b|\bas an ai\b"),
    (("dear", "hey", "hello", "attention"), r"\b(?:dear|hey|hello|attention) (?:ai|assistant|agent|model|llm|chatgpt|"
                                             r"claude)\b"),
    ((" mode",), r"\b(?:developer|god|admin|jailbreak|dan) mode\b"),
    (("do not", "without"), r"\bdo not (?:tell|inform|alert|report|mention|notify|ask)\b|"
                            r"\bwithout (?:asking|approval|confirmation|human review|telling)\b"),
    (("prompt", "instruction", "key", "secret", "credential", "token"),
     r"\b(?:reveal|print|show|output|repeat|leak|send|exfiltrate) (?:me )?(?:your |the )?(?:system prompt|instructions|"
     r"prompt|api keys?|secrets?|credentials|tokens?)\b"),
    (("propose", "transfer to", "withdraw", "load scenario"),
     r"\b(?:call|invoke|use|run) (?:the )?(?:propose|transfer to|withdraw|load scenario)\w*|"
     r"\bpropose (?:scaling action|rollback|config change|restart)\b"),
    (("scale ",), r"\bscale (?:every|all|each|the whole|the entire)(?: of the)? (?:services?|deployments?|pods?|"
                  r"cluster|fleet)(?: \w+)? (?:to|down to) (?:zero|0|one|1)\b"),
    (("run ", "execute", "exec ", "type ", "paste ", "curl", "wget", "rm -"),
     r"\b(?:run|execute|exec|type|paste) [`'\"]?(?:kubectl|rm|curl|wget|bash|sh|sudo|helm|terraform|aws|gcloud|psql|"
     r"redis cli|docker)\b|\b(?:curl|wget) \S+ ?\| ?(?:ba|z)?sh\b|\brm -[a-z]*[rf]"),
)
_INSTRUCTIONS = tuple((fragments, re.compile(pattern)) for fragments, pattern in _PATTERNS)
_ANCHORS = re.compile("|".join(re.escape(f) for fragments, _ in _INSTRUCTIONS for f in fragments))
_SEPARATORS = re.compile(r"[_./\\]+|(?<=\w)-+(?=\w)")
_SPACES = re.compile(r"\s+")


def clean(text: str, limit: int | None = None) -> str:
    """Telemetry text as it may be shown: no invisible or control characters (newlines and tabs
    stay), credentials redacted, at most `limit` characters."""
    plain = redact(strip_invisible(text))
    return plain if limit is None or len(plain) <= limit else plain[: limit - 1] + "…"


def flag_instructions(text: str) -> bool:
    """True if the text reads like an attempt to instruct an AI reader."""
    folded = _SEPARATORS.sub(" ", fold(text))
    if not _ANCHORS.search(folded):
        return False
    return any(pattern.search(folded) for fragments, pattern in _INSTRUCTIONS if any(f in folded for f in fragments))


def sanitize(text: str, limit: int = 500, *, one_line: bool = True) -> str:
    """`clean` (on one line unless told otherwise), and visibly marked when it reads like
    instructions."""
    if one_line and ("\n" in text or "\r" in text or "\t" in text):
        text = _SPACES.sub(" ", text)
    shown = clean(text, limit)
    if not shown.startswith(FLAG) and flag_instructions(shown):
        shown = FLAG + shown
    return shown
