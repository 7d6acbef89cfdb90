"""Where the Kubernetes API answers and with which credentials: from a kubeconfig file (the
current or a named context) or from the pod's service account when running in the cluster.

Kubeconfig files are YAML as `kubectl` writes them (or JSON); this module reads that block
subset of YAML itself rather than adding a YAML dependency: mappings, sequences (indented or
not), plain and quoted scalars, comments, empty flow collections. Anything else is an error
that says which line. Exec and auth-provider credential plugins are not run: give a token,
a token file or a client certificate.
"""

from __future__ import annotations

import base64
import json
import os
import re
from typing import Any

from .http import Endpoint

SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


class KubeconfigError(ValueError):
    pass


def from_file(path: str, context: str | None, timeout: float) -> tuple[Endpoint, str]:
    """(endpoint, default namespace) of `context` (default: the current context)."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise KubeconfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    doc = parse_yaml(text)
    if not isinstance(doc, dict):
        raise KubeconfigError(f"{path} is not a kubeconfig (no top-level mapping)")
    name = context or doc.get("current-context")
    if not name:
        raise KubeconfigError(f"{path} has no current-context; name one with context")
    ctx = _named(doc, "contexts", "context", name, path)
    cluster = _named(doc, "clusters", "cluster", ctx.get("cluster"), path)
    user = _named(doc, "users", "user", ctx.get("user"), path) if ctx.get("user") else {}
    base = os.path.dirname(os.path.abspath(path))

    def relative(value: str | None) -> str | None:  # kubeconfig paths are relative to the file
        return None if not value else os.path.join(base, os.path.expanduser(value))

    server = cluster.get("server")
    if not isinstance(server, str) or not server.startswith(("https://", "http://")):
        raise KubeconfigError(f"cluster {ctx.get('cluster')!r} in {path} has no http(s) server URL")
    if "exec" in user or "auth-provider" in user:
        raise KubeconfigError(f"user {ctx.get('user')!r} in {path} uses a credential plugin, which aiops-mcp "
                              "does not run; give it a token, tokenFile or client certificate instead")
    endpoint = Endpoint(
        system="Kubernetes", url=server.rstrip("/"), timeout=timeout,
        token=user.get("token") or None, token_file=relative(user.get("tokenFile")),
        username=user.get("username"), password=user.get("password"),
        ca_file=relative(cluster.get("certificate-authority")),
        ca_data=_pem(cluster.get("certificate-authority-data"), "certificate-authority-data"),
        insecure=bool(cluster.get("insecure-skip-tls-verify", False)),
        cert_file=relative(user.get("client-certificate")), key_file=relative(user.get("client-key")),
        cert_data=_pem(user.get("client-certificate-data"), "client-certificate-data"),
        key_data=_pem(user.get("client-key-data"), "client-key-data"))
    return endpoint, ctx.get("namespace") or "default"


def in_cluster(timeout: float, root: str = SERVICE_ACCOUNT, environ=None) -> tuple[Endpoint, str]:
    """The API server and the pod's service-account token, as client-go finds them."""
    environ = os.environ if environ is None else environ
    host, port = environ.get("KUBERNETES_SERVICE_HOST"), environ.get("KUBERNETES_SERVICE_PORT", "443")
    token = os.path.join(root, "token")
    if not host or not os.path.isfile(token):
        raise KubeconfigError("not running in a Kubernetes pod (no KUBERNETES_SERVICE_HOST or service-account token)")
    host = f"[{host}]" if ":" in host else host
    namespace = "default"
    try:
        with open(os.path.join(root, "namespace"), encoding="utf-8") as fh:
            namespace = fh.read().strip() or namespace
    except OSError:
        pass
    ca = os.path.join(root, "ca.crt")
    return Endpoint(system="Kubernetes", url=f"https://{host}:{port}", timeout=timeout, token_file=token,
                    ca_file=ca if os.path.isfile(ca) else None), namespace


def _named(doc: dict, plural: str, singular: str, name: Any, path: str) -> dict:
    for entry in doc.get(plural) or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            value = entry.get(singular)
            return value if isinstance(value, dict) else {}
    raise KubeconfigError(f"no {singular} named {name!r} in {path}")


def _pem(data: Any, key: str) -> str | None:
    if not data:
        return None
    try:
        return base64.b64decode(str(data), validate=True).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        raise KubeconfigError(f"{key} is not base64-encoded PEM") from None


# ----------------------------------------------------------------------------- YAML subset
_KEY = re.compile(r"""^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^'"\s#][^:#]*?|[^'"\s#][^#]*?[^\s:]):(?:\s+|$)""")


def parse_yaml(text: str) -> Any:
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise KubeconfigError(f"not valid JSON ({exc})") from None
    lines = []
    for number, raw in enumerate(text.splitlines(), 1):
        content = _strip_comment(raw.rstrip())
        if not content.strip() or content.strip() in ("---", "..."):
            continue
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise KubeconfigError(f"line {number}: tabs are not allowed for indentation")
        lines.append((len(content) - len(content.lstrip(" ")), content.strip(), number))
    if not lines:
        return {}
    value, end = _block(lines, 0, lines[0][0])
    if end != len(lines):
        raise KubeconfigError(f"line {lines[end][2]}: unexpected indentation")
    return value


def _strip_comment(line: str) -> str:
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'" and (i == 0 or line[i - 1] in " :-[{,"):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] == " "):
            return line[:i]
    return line


def _block(lines: list, i: int, indent: int) -> tuple[Any, int]:
    if lines[i][1] == "-" or lines[i][1].startswith("- "):
        return _sequence(lines, i, indent)
    return _mapping(lines, i, indent)


def _sequence(lines: list, i: int, indent: int) -> tuple[list, int]:
    items = []
    while i < len(lines) and lines[i][0] == indent and (lines[i][1] == "-" or lines[i][1].startswith("- ")):
        rest = lines[i][1][1:].lstrip()
        if not rest:  # the item is the indented block below
            if i + 1 < len(lines) and lines[i + 1][0] > indent:
                value, i = _block(lines, i + 1, lines[i + 1][0])
            else:
                value, i = None, i + 1
        elif _KEY.match(rest):  # "- key: value" opens a mapping indented past the dash
            inner = indent + len(lines[i][1]) - len(rest)
            lines[i] = (inner, rest, lines[i][2])
            value, i = _mapping(lines, i, inner)
        else:
            value, i = _scalar(rest, lines[i][2]), i + 1
        items.append(value)
    return items, i


def _mapping(lines: list, i: int, indent: int) -> tuple[dict, int]:
    out: dict[str, Any] = {}
    while i < len(lines) and lines[i][0] == indent:
        _, content, number = lines[i]
        match = _KEY.match(content)
        if not match:
            raise KubeconfigError(f"line {number}: expected `key: value`")
        key = _scalar(match.group(1).strip(), number)
        rest = content[match.end():].strip()
        i += 1
        if rest:
            out[str(key)] = _scalar(rest, number)
        elif i < len(lines) and (lines[i][0] > indent or (lines[i][0] == indent and
                                                          (lines[i][1] == "-" or lines[i][1].startswith("- ")))):
            out[str(key)], i = _block(lines, i, lines[i][0])
        else:
            out[str(key)] = None
    if i < len(lines) and lines[i][0] > indent:
        raise KubeconfigError(f"line {lines[i][2]}: unexpected indentation")
    return out, i


def _scalar(text: str, number: int) -> Any:
    if text[0] in "|>":
        raise KubeconfigError(f"line {number}: block scalars (| or >) are not supported here")
    if text[0] == '"':
        try:
            return json.loads(text)
        except ValueError:
            raise KubeconfigError(f"line {number}: bad double-quoted string") from None
    if text[0] == "'":
        if len(text) < 2 or not text.endswith("'"):
            raise KubeconfigError(f"line {number}: bad single-quoted string")
        return text[1:-1].replace("''", "'")
    if text in ("{}", "[]"):
        return {} if text == "{}" else []
    if text.startswith("[") and text.endswith("]"):
        return [_scalar(part.strip(), number) for part in text[1:-1].split(",") if part.strip()]
    if text.startswith(("{", "[", "&", "*", "!")):
        raise KubeconfigError(f"line {number}: flow collections, anchors and tags are not supported here")
    lowered = text.lower()
    if lowered in ("null", "~"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text
