"""Credentials in text, found by their common formats and replaced before text leaves the server
or is written to files. One entry per format; what surrounds a secret (a key name, a header,
a URL's host) stays, so that the line still says what happened."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .text_folding import name_words

MASK = "[REDACTED]"

# A name holds a secret when one of its words (split at _ . - and case changes) is one of
# these, when its last word is one of the second set (`basic_auth`, not `AUTH_ENABLED`), or
# when a word of the third set comes just before "key" (`api_key`, `accessKey`).
_SECRET_WORDS = frozenset((
    "password", "passwd", "passphrase", "pwd", "pass", "secret", "secrets", "token", "tokens", "credential",
    "credentials", "apikey", "privatekey", "accesskey", "secretkey", "accountkey", "clientsecret", "sessionid",
    "signature", "dsn", "otp"))
_SECRET_LAST_WORDS = frozenset(("auth", "authorization", "cookie", "cookies", "session"))
_KEY_QUALIFIERS = frozenset((
    "api", "access", "private", "secret", "signing", "encryption", "master", "account", "client", "license",
    "app", "shared", "storage", "subscription", "sas"))


# A name that ends in one of these refers to a secret (which version, which entry) and is not one.
_REFERENCE_WORDS = frozenset(("version", "ref", "reference", "name", "id", "arn", "alias", "label", "revision"))


def _names_secret(words: list[str]) -> bool:
    return bool(words) and (words[-1] in _SECRET_LAST_WORDS or any(
        w in _SECRET_WORDS or (w == "key" and i and words[i - 1] in _KEY_QUALIFIERS) for i, w in enumerate(words)))


def is_secret_name(name: str) -> bool:
    """True if a setting or field of this name holds a credential (`DB_PASSWORD`, `apiKey`)."""
    words = name_words(name)
    return not (words and words[-1] in _REFERENCE_WORDS) and _names_secret(words)


def is_secret_reference(name: str) -> bool:
    """True if the name refers to a credential without holding it (`CREDENTIALS_SECRET_VERSION`)."""
    words = name_words(name)
    return bool(words) and words[-1] in _REFERENCE_WORDS and _names_secret(words[:-1])


@dataclass(frozen=True, slots=True)
class SecretFormat:
    name: str
    apply: Callable[[str], str]  # the text with this format's secrets masked


def _format(name: str, pattern: str, replacement: str = MASK, flags: int = 0) -> SecretFormat:
    compiled = re.compile(pattern, flags)
    return SecretFormat(name, lambda text: compiled.sub(replacement, text))


def _token(name: str, pattern: str) -> SecretFormat:
    """A provider's token, recognised by its own shape wherever it appears."""
    return _format(name, rf"(?<![A-Za-z0-9_-])(?:{pattern})(?![A-Za-z0-9_-])", f"[REDACTED:{name}]")


# `key=value`, `key: value`, `"key": "value"`, `key='value'` (a URL's `//` is no separator).
_KEY = re.compile(r"(?P<q>[\"']?)(?P<key>[A-Za-z_][A-Za-z0-9_.-]{0,80})(?P=q)\s*(?:=|:(?!//))\s*")
_VALUE = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|[^\s\"'`,;&<>{}()\[\]]+")


def _mask_pairs(text: str) -> str:
    """The values of pairs whose key names a secret, masked. Keys are found one after another,
    so that a pair's value never hides the next key (`yaml: password: x`)."""
    parts, done = [], 0
    for key in _KEY.finditer(text):
        if key.start() < done or not is_secret_name(key["key"]):
            continue
        value = _VALUE.match(text, key.end())
        if value is None or value[0].strip("\"'").startswith("[REDACTED"):
            continue
        quote = value[0][0] if value[0][0] in "\"'" else ""
        parts.append(text[done:key.end()] + quote + MASK + quote)
        done = value.end()
    return "".join(parts) + text[done:] if parts else text


# In order: blocks, URLs and headers first, so that a later format does not split their values.
FORMATS: tuple[SecretFormat, ...] = (
    _format("private-key-block", r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:.*?-----END[A-Z0-9 ]*-----|.*)",
            "[REDACTED:private-key]", re.S),
    _format("url-credentials", r"\b([a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@?#]*:)[^\s@/?#]+(@)", rf"\1{MASK}\2"),
    _format("slack-webhook", r"(https://hooks\.slack\.com/(?:services|workflows|triggers)/)[A-Za-z0-9/_-]+",
            rf"\1{MASK}"),
    _format("discord-webhook", r"(https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/)\d+/[A-Za-z0-9_-]+",
            rf"\1{MASK}"),
    _format("authorization-header", r"(?i)(\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)(?:(?:bearer|basic|token|"
            r"digest|negotiate|aws4-hmac-sha256|apikey|sso-key)\s+)?[^\s\"',;]+", rf"\1{MASK}"),
    _format("cookie-header", r"(?i)(\b(?:set-)?cookie\s*:\s*)[^\r\n]+", rf"\1{MASK}"),
    _format("api-key-header", r"(?i)(\bx-(?:api-key|auth-token|access-token|amz-security-token|goog-api-key|"
            r"vault-token|functions-key|apikey)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;]+", rf"\1{MASK}"),
    _format("bearer-token", r"(?i)\b(bearer|basic)\s+(?!\[REDACTED)[A-Za-z0-9._~+/=-]{8,}", rf"\1 {MASK}"),
    SecretFormat("secret-pair", _mask_pairs),
    _format("azure-sas-signature", r"([?&]sig=)[A-Za-z0-9%/+=]+", rf"\1{MASK}"),
    _token("jwt", r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}"),
    _token("aws-access-key", r"(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA|ABIA|ACCA)[A-Z0-9]{16}"),
    _token("github-token", r"gh[pousr]_[A-Za-z0-9]{36,255}"),
    _token("github-fine-grained-token", r"github_pat_[A-Za-z0-9_]{50,255}"),
    _token("gitlab-token", r"gl(?:pat|dt|rt|ptt|ft|cbt|oas)-[A-Za-z0-9_-]{20,}"),
    _token("slack-token", r"xox[abposre]-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,}"),
    _token("google-api-key", r"AIza[0-9A-Za-z_-]{35}"),
    _token("google-oauth-token", r"ya29\.[0-9A-Za-z_-]{20,}|GOCSPX-[0-9A-Za-z_-]{20,}"),
    _token("azure-client-secret", r"[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}"),
    _token("stripe-key", r"(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}|whsec_[0-9A-Za-z]{24,}"),
    _token("openai-style-key", r"sk-(?:proj-|ant-(?:api\d\d-)?|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"),
    _token("huggingface-token", r"hf_[A-Za-z0-9]{30,}"),
    _token("npm-token", r"npm_[A-Za-z0-9]{36}"),
    _token("pypi-token", r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{20,}"),
    _token("sendgrid-key", r"SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}"),
    _token("twilio-key", r"SK[0-9a-fA-F]{32}"),
    _token("mailgun-key", r"key-[0-9a-zA-Z]{32}"),
    _token("shopify-token", r"shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}"),
    _token("digitalocean-token", r"do[opr]_v1_[a-f0-9]{64}"),
    _token("vault-token", r"hv[sbr]\.[A-Za-z0-9_-]{24,}"),
    _token("new-relic-key", r"NRAK-[A-Z0-9]{27}"),
    _token("telegram-bot-token", r"\d{8,10}:AA[A-Za-z0-9_-]{33}"),
    _token("age-secret-key", r"AGE-SECRET-KEY-1[0-9A-Z]{58}"),
    _token("atlassian-token", r"ATATT3[A-Za-z0-9_=-]{30,}"),
    _token("linear-key", r"lin_api_[A-Za-z0-9]{40}"),
)

# A match of any format contains one of these fragments (lower case): text with none of them is
# returned as it is, without running every format over it.
_FRAGMENTS = (
    "-----begin", "://", "auth", "cookie", "session", "x-", "bearer", "basic", "sig=", "eyj", "akia", "asia", "agpa",
    "aida", "aroa", "aipa", "anpa", "anva", "apka", "abia", "acca", "ghp_", "gho_", "ghu_", "ghs_", "ghr_",
    "github_pat_", "glpat-", "gldt-", "glrt-", "glptt-", "glft-", "glcbt-", "gloas-", "xox", "xapp-", "aiza", "ya29.",
    "gocspx-", "q~", "_live_", "_test_", "whsec_", "sk-", "hf_", "npm_", "pypi-", "sg.", "shpat_", "shpss_",
    "shpca_", "shppa_", "_v1_", "hvs.", "hvb.", "hvr.", "nrak-", ":aa", "age-secret", "atatt3", "lin_api_", "key",
    "pass", "pwd", "secret", "token", "credential", "signature", "dsn", "otp")
_TRIGGER = re.compile("|".join([*map(re.escape, _FRAGMENTS), r"sk[0-9a-f]{32}"]))


def redact(text: str) -> str:
    """The text with every credential of a known format replaced by a placeholder."""
    if not _TRIGGER.search(text.lower()):
        return text
    for secret in FORMATS:
        text = secret.apply(text)
    return text
