"""The one HTTP client every live backend shares: GET a JSON document with auth, TLS, extra
headers, a total deadline and a size cap, and turn every failure into a one-line
`BackendError` that names the system and the URL, never a credential.

`httpx2` (which `mcp` and `openai` already bring) is imported on first use, so that a server
running the simulator never pays for it.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from telemetry.backend import BackendError

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
_TOKEN_FILE_REREAD_SECONDS = 60.0  # service-account tokens are rotated on disk


@dataclass(frozen=True)
class Endpoint:
    """Where one system answers and how to reach it. Secrets stay out of `repr`."""

    system: str  # shown in messages: "Prometheus", "Loki", ...
    url: str  # base URL, no trailing slash, no credentials
    timeout: float = DEFAULT_TIMEOUT
    max_bytes: int = DEFAULT_MAX_BYTES
    token: str | None = field(default=None, repr=False)
    token_file: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    ca_file: str | None = None
    ca_data: str | None = field(default=None, repr=False)  # PEM text
    insecure: bool = False
    cert_file: str | None = None
    key_file: str | None = None
    cert_data: str | None = field(default=None, repr=False)  # PEM text (kubeconfig)
    key_data: str | None = field(default=None, repr=False)

    def secrets(self) -> list[str]:
        values = [self.token, self.password, self.key_data]
        values += [v for k, v in self.headers.items() if k.lower() in ("authorization", "x-api-key")]
        return [v for v in values if v and len(v) >= 6]  # shorter ones would mangle any message


def display_url(url: str) -> str:
    """The URL as messages show it: no credentials, no query string."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class HttpClient:
    """A connection pool to one endpoint, created on first use; safe to share between threads.
    `requests` counts the requests sent (the tests hold tool calls to a budget with it)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.requests = 0
        self._client = None
        self._lock = threading.Lock()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def get_json(self, path: str, params: Any = None, *, headers: dict[str, str] | None = None,
                 missing_ok: bool = False) -> Any:
        """GET `path` (relative to the base URL) and parse JSON. With `missing_ok`, a 404
        answers None instead of raising."""
        body = self.get(path, params, headers=headers, missing_ok=missing_ok)
        return None if body is None else self.parse_json(path, body)

    def parse_json(self, path: str, body: bytes | str) -> Any:
        try:
            return json.loads(body)
        except ValueError as exc:
            raise self.error(path, f"answered with malformed JSON ({_short(str(exc), 80)})") from None

    def get(self, path: str, params: Any = None, *, headers: dict[str, str] | None = None,
            missing_ok: bool = False) -> bytes | None:
        import httpx2

        ep = self.endpoint
        deadline = time.monotonic() + ep.timeout
        client = self._http()
        with self._lock:
            self.requests += 1
        try:
            with client.stream("GET", path, params=params, headers=headers) as response:
                if response.status_code == 404 and missing_ok:
                    return None
                body = self._read(response, path, deadline)
        except httpx2.TimeoutException:
            raise self.error(path, f"did not answer within {ep.timeout:g} s (timeout)") from None
        except httpx2.ConnectError as exc:
            raise self.error(path, f"is unreachable ({_reason(exc)})") from None
        except httpx2.TransportError as exc:
            raise self.error(path, f"failed: {_reason(exc)}") from None
        except OSError as exc:  # the token file, read on the request's way out
            raise self.error(path, f"not asked: cannot read the token file ({_reason(exc)})") from None
        if response.status_code >= 400:
            raise self._status_error(path, response.status_code, body)
        return body

    def _read(self, response, path: str, deadline: float) -> bytes:
        cap = self.endpoint.max_bytes
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise self._too_big(path)
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > cap:
                raise self._too_big(path)
            if time.monotonic() > deadline:
                raise self.error(path, f"did not finish answering within {self.endpoint.timeout:g} s (timeout)")
            chunks.append(chunk)
        return b"".join(chunks)

    def _http(self):
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    try:
                        self._client = _new_client(self.endpoint)
                    except (OSError, ValueError) as exc:  # unreadable CA or client certificate
                        raise self.error("", f"cannot be reached: TLS set-up failed ({_reason(exc)})") from None
                client = self._client
        return client

    @contextmanager
    def reading(self, path: str, what: str) -> Iterator[None]:
        """Read a parsed answer: any surprise in its shape becomes "answered with `what`"."""
        try:
            yield
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            raise self.error(path, f"answered with {what}") from None

    # -- messages -----------------------------------------------------------------
    def error(self, path: str, what: str) -> BackendError:
        """A `BackendError` naming the system, the URL and `what` went wrong."""
        ep = self.endpoint
        message = f"{ep.system} at {display_url(ep.url + path)} {what}"
        for secret in ep.secrets():
            message = message.replace(secret, "***")
        return BackendError(message)

    def _too_big(self, path: str) -> BackendError:
        cap = self.endpoint.max_bytes
        return self.error(path, f"sent more than {cap:,} bytes; refused: narrow the query "
                                 "(shorter window, fewer services, lower limit)")

    def _status_error(self, path: str, status: int, body: bytes) -> BackendError:
        detail = error_detail(body)
        suffix = f": {detail}" if detail else ""
        if status == 401:
            return self.error(path, f"rejected the credentials (HTTP 401){suffix}; check the token "
                                     "or username and password configured for it")
        if status == 403:
            return self.error(path, f"denied access (HTTP 403){suffix}")
        if status == 404:
            return self.error(path, f"has no such resource (HTTP 404){suffix}; is the URL the "
                                     f"{self.endpoint.system} base URL?")
        return self.error(path, f"answered HTTP {status}{suffix}")


def error_detail(body: bytes) -> str:
    """The error message inside a response body, in the shapes the backends use: Prometheus
    and Loki `error`, Kubernetes and Alertmanager `message`, Jaeger `errors[].msg`, or text."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        errors = data.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            text = str(errors[0].get("msg") or errors[0].get("message") or "")
        else:
            text = str(data.get("error") or data.get("message") or data.get("msg") or "")
    elif isinstance(data, str):
        text = data
    if text.lstrip().startswith("<"):  # an HTML error page from a proxy says nothing useful
        return ""
    return _short(" ".join(text.split()), 200)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if "] " in text and text.startswith("["):  # "[Errno 111] Connection refused"
        text = text.split("] ", 1)[1]
    return _short(text.lower(), 120)


def _new_client(ep: Endpoint):
    import httpx2

    headers = {"Accept": "application/json", "User-Agent": "aiops-mcp", **ep.headers}
    if _loopback(ep.url):  # compression saves no network there, and costs both ends CPU
        headers.setdefault("Accept-Encoding", "identity")
    auth = None
    if ep.token:
        headers["Authorization"] = f"Bearer {ep.token}"
    elif ep.token_file:
        auth = httpx2.FunctionAuth(_TokenFile(ep.token_file))
    elif ep.username is not None:
        auth = httpx2.BasicAuth(ep.username, ep.password or "")
    return httpx2.Client(base_url=ep.url, headers=headers, auth=auth, verify=_ssl_context(ep),
                         timeout=httpx2.Timeout(ep.timeout), follow_redirects=True,
                         limits=httpx2.Limits(max_connections=8, max_keepalive_connections=4))


def _loopback(url: str) -> bool:
    import ipaddress

    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _ssl_context(ep: Endpoint):
    import ssl

    if not ep.url.startswith("https:"):
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # never used by plain HTTP, and cheaper than the CAs
    custom = ep.insecure or ep.ca_file or ep.ca_data or ep.cert_file or ep.cert_data
    if not custom:
        return _system_context()
    if ep.insecure:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif ep.ca_file or ep.ca_data:
        ctx = ssl.create_default_context(cafile=ep.ca_file, cadata=ep.ca_data)
    else:
        ctx = ssl.create_default_context()
    if ep.cert_file or ep.cert_data:
        cert_file, key_file = ep.cert_file, ep.key_file
        if ep.cert_data:
            cert_file, key_file = _private_files(ep.cert_data, ep.key_data or "")
        ctx.load_cert_chain(cert_file, key_file)
    return ctx


@functools.cache
def _system_context():
    """The system's trust store, loaded once and shared by every client."""
    import ssl

    return ssl.create_default_context()


def _private_files(cert_pem: str, key_pem: str) -> tuple[str, str]:
    """`ssl` loads a client certificate only from files: write inline PEM (a kubeconfig's
    `client-certificate-data`) to a private directory removed at exit."""
    import atexit
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="aiops-mcp-tls-")
    atexit.register(shutil.rmtree, folder, True)
    paths = []
    for name, text in (("cert.pem", cert_pem), ("key.pem", key_pem)):
        path = os.path.join(folder, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        paths.append(path)
    return paths[0], paths[1]


class _TokenFile:
    """A bearer token read from a file and read again every minute: Kubernetes rotates
    projected service-account tokens in place."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._token = ""
        self._read_at = -_TOKEN_FILE_REREAD_SECONDS

    def __call__(self, request):
        now = time.monotonic()
        if now - self._read_at >= _TOKEN_FILE_REREAD_SECONDS:
            with open(self.path, encoding="utf-8") as fh:
                self._token = fh.read().strip()
            self._read_at = now
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request
