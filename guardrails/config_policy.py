"""Which configuration changes a remediation proposal may carry, by the class of the key and of
the value (both read folded: NFKC, no invisible characters). Ordinary tuning (pool sizes,
limits, timeouts, retention, log levels, feature flags) with plain values is accepted; keys
that load code, name files or hold credentials are refused; security switches and endpoints are
accepted only in their safe direction, and marked high risk with the reason."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection
from dataclasses import dataclass

from .secrets import is_secret_name, is_secret_reference
from .text_folding import is_plain, name_words

ACCEPTED = ("tuning settings (pool sizes, limits, timeouts, retention, log levels, feature flags) with a plain "
            "value (number, duration, size, percentage, true/false or a word); a secret's version; an internal "
            "endpoint; or a key this service changed before, set back to a value it had")

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
# Settings that decide which code a process loads or runs.
_LOADER_NAMES = frozenset((
    "path", "ld_preload", "ld_library_path", "ld_audit", "java_tool_options", "_java_options", "jdk_java_options",
    "java_opts", "jvm_opts", "catalina_opts", "node_options", "node_path", "pythonpath", "pythonstartup",
    "pythonhome", "perl5lib", "perl5opt", "perllib", "rubyopt", "rubylib", "classpath", "gconv_path", "bash_env",
    "env", "shell", "shellopts", "ps4", "prompt_command", "ifs", "git_ssh_command"))
_LOADER_WORDS = frozenset((
    "preload", "javaagent", "agentpath", "agentlib", "classpath", "pythonpath", "command", "cmd", "exec", "script",
    "scripts", "hook", "hooks", "entrypoint", "plugin", "plugins", "extension", "extensions", "interpreter",
    "loader", "shell", "agent", "agents", "binary", "executable", "eval"))
_OPTION_WORDS = frozenset(("opts", "options", "args", "arguments"))  # as a key's last word: a command line
_FILE_WORDS = frozenset((
    "path", "paths", "file", "files", "filename", "filepath", "dir", "dirs", "directory", "folder", "mount",
    "mountpath", "socket", "keystore", "truststore", "kubeconfig"))
_SECURITY_WORDS = frozenset((
    "tls", "ssl", "mtls", "https", "auth", "authn", "authz", "authentication", "authorization", "oauth", "oidc",
    "saml", "sso", "jwt", "csrf", "cors", "xss", "csp", "hsts", "cert", "certs", "certificate", "certificates", "ca",
    "verify", "verification", "insecure", "secure", "encryption", "encrypt", "encrypted", "crypto", "cipher",
    "ciphers", "security", "firewall", "acl", "acls", "rbac", "iam", "permission", "permissions", "privileged",
    "privilege", "sandbox", "seccomp", "apparmor", "selinux", "admin", "root", "sudo", "audit", "signing", "hmac",
    "login", "mfa", "totp", "captcha"))
# Words that make "true" the unsafe direction of a security switch.
_LOOSENING_WORDS = frozenset((
    "insecure", "skip", "disable", "disabled", "no", "allow", "permissive", "bypass", "ignore", "noverify", "unsafe",
    "trustall", "trust", "anonymous", "public"))
_ENDPOINT_WORDS = frozenset((
    "url", "urls", "uri", "uris", "endpoint", "endpoints", "host", "hosts", "hostname", "addr", "address",
    "addresses", "nameserver", "nameservers", "dns", "resolver", "resolvers", "proxy", "webhook", "callback",
    "redirect", "origin", "origins", "domain", "domains", "dsn", "broker", "brokers", "registry", "mirror", "repo",
    "repository", "ip", "ips", "servers", "peers"))
_TUNING_WORDS = frozenset((
    "pool", "size", "sizes", "max", "min", "maximum", "minimum", "limit", "limits", "timeout", "timeouts", "ttl",
    "retention", "days", "hours", "hour", "minutes", "minute", "seconds", "second", "sec", "secs", "ms", "millis",
    "interval", "delay", "backoff", "retry", "retries", "attempts", "policy", "cache", "log", "logs", "logging",
    "level", "verbosity", "sampling", "sample", "rate", "rps", "qps", "burst", "quota", "threads", "thread",
    "workers", "worker", "concurrency", "parallelism", "connections", "connection", "conns", "conn", "queue",
    "batch", "buffer", "backlog", "capacity", "heap", "memory", "mem", "mb", "gb", "kb", "mib", "gib", "kib",
    "bytes", "cpu", "keepalive", "idle", "grace", "shutdown", "drain", "feature", "flag", "flags", "enabled",
    "enable", "toggle", "mode", "strategy", "threshold", "ratio", "percent", "pct", "factor", "weight", "priority",
    "circuit", "breaker", "gc", "compaction", "eviction", "rotation", "expiry", "expire", "expiration", "window",
    "period", "deadline", "duration", "body", "request", "requests", "count", "depth", "push", "scrape",
    "metrics", "trace", "tracing", "jitter", "prefetch", "lease", "age", "lifetime", "refresh", "poll", "polling",
    "chunk", "page", "version"))

_FALSY = frozenset(("false", "0", "off", "no", "n", "disable", "disabled", "none", "null", "nil", "skip", "allow",
                    "allow-all", "allowall", "permissive", "any", "all", "*", "optional", "ignore", "insecure",
                    "plain", "plaintext"))
_TRUTHY = frozenset(("true", "1", "on", "yes", "y", "enable", "enabled"))
_PLAIN_VALUE = re.compile(
    r"^(?:-?\d+(?:\.\d+)?(?:ns|us|ms|s|m|h|d|[kmgtp]i?b?|b|%)?"  # number, duration, size, percentage
    r"|v?\d+(?:\.\d+){1,3}"  # version
    r"|[A-Za-z][A-Za-z0-9_-]{0,63}(?:,[A-Za-z0-9][A-Za-z0-9_-]{0,63}){0,15})$", re.I)  # word(s)
_REFERENCE_VALUE = re.compile(r"^(?:v?\d+(?:\.\d+){0,3}|[A-Za-z][A-Za-z0-9_.-]{0,62})$")
_OLD_TLS = re.compile(r"^(?:v?1(?:\.[01])?|1\.0\.\d|tlsv?1(?:\.[01])?|tls1[01]?|sslv?[23](?:\.0)?)$", re.I)
_ENDPOINT = re.compile(r"^(?:(?P<scheme>[a-z][a-z0-9+.-]{1,15})://)?(?P<host>\[[0-9a-f:.]+\]|[A-Za-z0-9.-]{1,253})"
                       r"(?::(?P<port>\d{1,5}))?(?P<path>/[A-Za-z0-9._~/-]*)?$", re.I)
_SCHEMES = frozenset(("http", "https", "grpc", "grpcs", "tcp", "udp", "redis", "rediss", "amqp", "amqps", "kafka",
                      "nats", "postgres", "postgresql", "mysql", "mongodb", "dns", "ws", "wss"))
_INTERNAL_SUFFIXES = (".internal", ".local", ".localdomain", ".cluster.local", ".svc", ".lan", ".corp",
                      ".intranet", ".home.arpa", ".private")
# Private networks (RFC 1918, carrier-grade NAT, IPv6 unique local), loopback and "any".
_INTERNAL_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "0.0.0.0/32", "fc00::/7",
    "::1/128", "::/128"))


@dataclass(frozen=True, slots=True)
class SettingVerdict:
    refusals: tuple[str, ...] = ()
    risks: tuple[str, ...] = ()  # why an accepted change is high risk


def assess_setting(key: str, value: str, recorded: Collection[str] | None = None) -> SettingVerdict:
    """Whether `key=value` may be proposed. `recorded` are the values the service's change
    history shows for this key (None when unknown, as on the client: unrecognised keys are
    then left to the server, which knows the history)."""
    if not (is_plain(key) and is_plain(value)):
        return _refused("the key or value contains invisible or look-alike characters")
    if not _KEY.match(key):
        return _refused(f"key {key[:64]!r} is not a setting name")
    words = name_words(key)
    lowered = key.lower().replace(".", "_").replace("-", "_")
    if (lowered in _LOADER_NAMES or lowered.startswith(("ld_", "dyld_")) or _LOADER_WORDS & set(words)
            or (words and words[-1] in _OPTION_WORDS)):
        return _refused(f"{key} decides which code the service loads or runs")
    if is_secret_reference(key):
        if _REFERENCE_VALUE.match(value) and value.lower() not in _FALSY:
            return SettingVerdict(risks=(f"{key} changes which credential the service uses; check that {value} "
                                         "exists in the secret store",))
        return _refused(f"{key} refers to a credential: its value must be a version or name, like v7 or latest")
    if is_secret_name(key):
        return _refused(f"{key} holds a credential: a proposal never carries a credential's value (nor an empty "
                        "one); refer to a secret's version instead, e.g. CREDENTIALS_SECRET_VERSION=v7")
    if _FILE_WORDS & set(words):
        return _refused(f"{key} names a file or directory: it could point the service at any file")
    endpoint = _ENDPOINT_WORDS & set(words) or "://" in value or _looks_like_address(value)
    if endpoint:
        return _assess_endpoint(key, value)
    if not value:
        return _refused("an empty value unsets the setting")
    if not _PLAIN_VALUE.match(value):
        return _refused(f"value {value[:40]!r} is not a plain value (number, duration, size, percentage, "
                        "true/false or a word)")
    if _SECURITY_WORDS & set(words):
        return _assess_security_switch(key, value, words)
    if _TUNING_WORDS & set(words) or recorded is None or value in recorded:
        return SettingVerdict()
    return _refused(f"{key} is not a recognised tuning setting, and this service's change history never set it "
                    f"to {value!r}")


def _assess_security_switch(key: str, value: str, words: list[str]) -> SettingVerdict:
    lowered = value.lower()
    loosening = bool(_LOOSENING_WORDS & set(words))
    if (lowered in _FALSY and not loosening) or (lowered in _TRUTHY and loosening):
        return _refused(f"{key}={value} turns a security control off")
    if ("version" in words or "min" in words) and _OLD_TLS.match(value):
        return _refused(f"{key}={value} allows protocol versions below TLS 1.2")
    return SettingVerdict(risks=(f"{key} is a security setting; confirm the change with the service's owners",))


def _assess_endpoint(key: str, value: str) -> SettingVerdict:
    if not value:
        return _refused(f"{key} would have no endpoint")
    for item in value.split(","):
        found = _ENDPOINT.match(item)
        if found is None or (found["scheme"] and found["scheme"].lower() not in _SCHEMES) or ".." in item:
            return _refused(f"{item[:60]!r} is not a plain endpoint (scheme, host, port, path; no credentials, "
                            "query or ..)")
        problem = _outside(found["host"].strip("[]").lower())
        if problem:
            return _refused(f"{key} would point the service at {found['host']}, {problem}; only internal "
                            "addresses are accepted")
    return SettingVerdict(risks=(f"{key} redirects the service's traffic to {value}; confirm it is the intended "
                                 "endpoint",))


def _outside(host: str) -> str | None:
    """Why a host is not an internal address (None if it is)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or "." not in host or host.endswith(_INTERNAL_SUFFIXES):
            return None
        return "a host outside the cluster"
    if address.is_link_local or address.is_multicast:
        return "a link-local or multicast address (such as a cloud metadata service)"
    if not any(address in network for network in _INTERNAL_NETWORKS if network.version == address.version):
        return "a public address"
    return None


def _looks_like_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value.split(":")[0] if value.count(":") == 1 else value)
        return True
    except ValueError:
        return bool(re.match(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)+\.[a-z]{2,}(?::\d+)?(?:/|$)", value, re.I)) \
            and not _PLAIN_VALUE.match(value)


def _refused(reason: str) -> SettingVerdict:
    return SettingVerdict(refusals=(reason,))
