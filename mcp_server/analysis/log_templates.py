"""Group log messages by template and say what kind of failure each template describes.

Variable parts (numbers, ids, hex, durations, addresses, quoted values) are masked, so
"timeout after 2000ms to 10.0.3.7:8080" and "timeout after 1500ms to 10.0.9.2:8080" are one
pattern. Categories come from broad, stack-agnostic keyword rules (JVM, Go, Python, Node,
databases) rather than from any particular message.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

# Compiled on first use (`_masks`, `_categories`): compiling them all is a noticeable part of
# the server's start-up, and most first questions need no log templates.
_MASK_SOURCES: tuple[tuple[str, str], ...] = (
    (r"\b[a-z0-9]+(?:-[a-z0-9]+)*-[0-9a-f]{8,10}-[a-z0-9]{5}\b", "<pod>"),
    (r"\b[a-z]+://[^\s\"']+", "<url>"),
    (r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b", "<uuid>"),
    (r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b", "<ip>"),
    (r"\b0x[0-9a-fA-F]+\b", "<hex>"),
    (r"\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b", "<hex>"),
    (r"\b\d+(?:\.\d+)?(?:ms|s|m|h|us|µs|ns|MB|GB|KB|MiB|GiB|KiB|B|b|%)(?![a-zA-Z])", "<num>"),
    (r"(?<![A-Za-z])\d+(?:\.\d+)?", "<num>"),
    (r"'[^']{1,80}'", "'<str>'"),
)
_SPACES = re.compile(r"\s+")

# (category, pattern) in priority order: the first match wins.
_CATEGORY_SOURCES: tuple[tuple[str, str], ...] = (
        ("memory", r"out ?of ?memory|OutOfMemory|OOMKilled|MemoryError|heap limit|heap space|"
                   r"cannot allocate|GC pause|stop-the-world|garbage collection"),
        ("crash", r"CrashLoopBackOff|Back-off restarting|exited with code|^panic: failed|Segmentation fault|"
                  r"Application run failed|Fatal error during startup|failed to initiali[sz]e|"
                  r"Readiness probe failed"),
        ("disk", r"No space left|ENOSPC|could not extend file|Disk usage|storage usage|volume .*full"),
        ("connection_pool", r"connection pool|Connection is not available|too many clients|connection slots|"
                            r"max_client_conn|acquiring connection|pool at capacity|max_connections"),
        ("dns", r"UnknownHost|Name or service not known|EAI_AGAIN|ENOTFOUND|name resolution|no such host|"
                r"NXDOMAIN|SERVFAIL|lookup \S+ on <ip>|resolv\.conf|Failed to resolve"),
        ("auth", r"authenticat|Unauthori[sz]ed|Forbidden|WRONGPASS|Access denied|password|"
                 r"certificate (?:verify|has expired)|token signature|invalid client credentials|re-authenticat"),
        ("config", r"configuration|\bconfig\b|invalid value|misconfigured|could not be parsed|"
                   r"Falling back to defaults|invalid setting|Failed to bind properties|environment variable"),
        ("overload", r"queue full|queue depth|Too Many Requests|rate limit|throttl|shedding load|"
                     r"Worker pool saturated|worker thread|above the provisioned|thread pool"),
        ("network_unreachable", r"connect timed out|Connect timed out|i/o timeout|No route to host|"
                                r"EHOSTUNREACH|ETIMEDOUT|network is unreachable"),
        ("connection_refused", r"Connection refused|ECONNREFUSED|connection refused"),
        ("connection_reset", r"Connection reset|broken pipe|unexpected EOF|ECONNRESET|retransmission|"
                             r"Incomplete response"),
        ("timeout", r"timed out|timeout|deadline exceeded|took <num>|Slow request|connect latency"),
        ("upstream_error", r"responded <num>|HTTP <num> from|status=<num>|upstream call failed|"
                           r"Call to \S+ failed|Upstream \S+ responded"),
        ("code_exception", r"Exception|Error:|Traceback|panic|nil pointer|NoneType|undefined|TypeError|"
                           r"KeyError|IndexError|AttributeError|RangeError|index out of range|Unexpected value"),
        ("change", r"rolling update|rollout|Configuration reloaded|Started container|^Starting |ready to serve|"
                   r"HorizontalPodAutoscaler"),
)


@functools.cache
def _masks() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(pattern), replacement) for pattern, replacement in _MASK_SOURCES)


@functools.cache
def _categories() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((name, re.compile(pattern, re.IGNORECASE)) for name, pattern in _CATEGORY_SOURCES)


# Categories in which the service is complaining about *another* service.
DEPENDENCY_CATEGORIES = frozenset({"network_unreachable", "connection_refused", "upstream_error"})
UNCLEAR_CATEGORIES = frozenset({"other"})
# Categories that say a call never reached (or was refused entry by) the named peer.
UNREACHED_CATEGORIES = frozenset({"network_unreachable", "connection_refused", "dns", "auth"})


def template_of(message: str) -> str:
    first_line = message.split("\n", 1)[0][:300]
    for pattern, replacement in _masks():
        first_line = pattern.sub(replacement, first_line)
    return _SPACES.sub(" ", first_line).strip()


def categorize(message: str) -> str:
    """The failure category of a message, decided on its template so that it can be cached
    per template (the rules never depend on the masked parts)."""
    return categorize_template(template_of(message))


def categorize_template(template: str) -> str:
    for name, pattern in _categories():
        if pattern.search(template):
            return name
    return "other"


def about(category: str, mentions) -> str:
    """Whom a pattern's lines complain about: "dependency" (another service: calls refused,
    unreachable, failing upstream, or a service named in the line), "itself", or "unclear"."""
    if category in DEPENDENCY_CATEGORIES or mentions:
        return "dependency"
    return "unclear" if category in UNCLEAR_CATEGORIES else "itself"


@dataclass(slots=True)
class Pattern:
    template: str
    category: str
    count: int = 0
    first_seen: float = 0.0
    last_seen: float = 0.0
    services: dict[str, int] = field(default_factory=dict)
    levels: dict[str, int] = field(default_factory=dict)
    mentions: set[str] = field(default_factory=set)  # other services named in the messages
    example: str = ""
    example_trace_id: str | None = None

    @property
    def about(self) -> str:
        return about(self.category, self.mentions)


class TemplateCache:
    """Memoises the template per message text and the category per template. Messages repeat
    a lot, and templates far more, so most lines cost two dictionary lookups."""

    def __init__(self, max_entries: int = 200_000) -> None:
        self._templates: dict[str, str] = {}
        self._categories: dict[str, str] = {}
        self._mentions: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}
        self._max = max_entries

    def mentions(self, message: str, names: tuple[str, ...]) -> tuple[str, ...]:
        """Known service names that appear in a message (as whole names)."""
        key = (message, names)
        found = self._mentions.get(key)
        if found is None:
            pattern = _names_regex(names)
            found = tuple(dict.fromkeys(pattern.findall(message))) if pattern is not None else ()
            if len(self._mentions) >= self._max:
                self._mentions.clear()
            self._mentions[key] = found
        return found

    def lookup(self, message: str) -> tuple[str, str]:
        template = self._templates.get(message)
        if template is None:
            template = template_of(message)
            if len(self._templates) >= self._max:
                self._templates.clear()
            self._templates[message] = template
        category = self._categories.get(template)
        if category is None:
            category = categorize_template(template)
            if len(self._categories) >= self._max:
                self._categories.clear()
            self._categories[template] = category
        return template, category


_SHARED_CACHE = TemplateCache()


def group(records, service_names: list[str] | tuple[str, ...] = (), cache: TemplateCache | None = None
          ) -> list[Pattern]:
    """Group log records (anything with time/service/level/message/trace_id) by template."""
    cache = cache or _SHARED_CACHE
    patterns: dict[str, Pattern] = {}
    names = tuple(service_names)
    for rec in records:
        template, category = cache.lookup(rec.message)
        p = patterns.get(template)
        if p is None:
            p = patterns[template] = Pattern(template, category, first_seen=rec.time, last_seen=rec.time,
                                             example=rec.message.split("\n", 1)[0][:300],
                                             example_trace_id=rec.trace_id)
        if names:
            # Masking can merge lines that name different services: collect from every line.
            p.mentions.update(m for m in cache.mentions(rec.message, names) if m != rec.service)
        p.count += 1
        if rec.time < p.first_seen:
            p.first_seen = rec.time
        if rec.time > p.last_seen:
            p.last_seen = rec.time
            if rec.trace_id:
                p.example_trace_id = rec.trace_id
        p.services[rec.service] = p.services.get(rec.service, 0) + 1
        p.levels[rec.level] = p.levels.get(rec.level, 0) + 1
    return sorted(_merge_similar(patterns.values()), key=lambda p: (-p.count, p.first_seen, p.template))


def _merge_similar(patterns) -> list[Pattern]:
    """Masked templates that differ only in a slot masking cannot see (a host, a user, a path)
    are one template: Drain (the `drain3` library) clusters them by token position and
    similarity. Fed in order of first appearance, so that the result does not depend on
    anything but the lines."""
    from drain3 import TemplateMiner  # loaded with the first grouping, not with the server
    from drain3.template_miner_config import TemplateMinerConfig

    miner = TemplateMiner(config=TemplateMinerConfig())  # its defaults; no config file is read
    by_cluster: dict[int, list[Pattern]] = {}
    templates: dict[int, str] = {}  # each cluster's template after its last member joined
    for p in sorted(patterns, key=lambda p: (p.first_seen, p.template)):
        result = miner.add_log_message(p.template)
        by_cluster.setdefault(result["cluster_id"], []).append(p)
        templates[result["cluster_id"]] = result["template_mined"]
    merged = []
    for cluster, members in by_cluster.items():
        if len(members) == 1:
            merged.append(members[0])
            continue
        template = templates[cluster]
        first = min(members, key=lambda p: p.first_seen)
        last = max(members, key=lambda p: p.last_seen)
        m = Pattern(template, categorize_template(template), count=sum(p.count for p in members),
                    first_seen=first.first_seen, last_seen=last.last_seen, example=first.example,
                    example_trace_id=last.example_trace_id)
        for p in members:
            m.mentions |= p.mentions
            for key, n in p.services.items():
                m.services[key] = m.services.get(key, 0) + n
            for key, n in p.levels.items():
                m.levels[key] = m.levels.get(key, 0) + n
        merged.append(m)
    return merged


_NAME_REGEX_CACHE: dict[tuple[str, ...], re.Pattern[str] | None] = {}


def _names_regex(names: tuple[str, ...]) -> re.Pattern[str] | None:
    if names not in _NAME_REGEX_CACHE:
        if not names:
            _NAME_REGEX_CACHE[names] = None
        else:
            alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
            _NAME_REGEX_CACHE[names] = re.compile(rf"(?<![\w-])({alternatives})(?![\w-])")
    return _NAME_REGEX_CACHE[names]
