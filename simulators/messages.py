"""Realistic log text for several stacks (JVM, Go, Python, Node) and data stores.

Numbers, ids, durations and addresses vary line to line, as they do in real logs, so that
grouping by template is necessary. Nothing here names a fault type or a scenario.
"""

from __future__ import annotations

import random

from .profiles import ServiceProfile
from .rng import pick, randint


def operations(prof: ServiceProfile) -> tuple[str, ...]:
    res = prof.resource
    if prof.kind == "database":
        return (f"SELECT {res}", f"UPDATE {res}", f"INSERT {res}", "BEGIN", "COMMIT")
    if prof.kind == "cache":
        return ("GET", "SET", "MGET", "EXPIRE")
    if prof.kind == "queue":
        return (f"publish {res}.events", f"consume {res}.events", "ack")
    if prof.kind == "gateway":
        return ("GET /api/{resource}", "POST /api/{resource}", "GET /api/{resource}/{id}")
    return (f"GET /v1/{res}s/{{id}}", f"POST /v1/{res}s", f"GET /v1/{res}s", f"PUT /v1/{res}s/{{id}}")


def _ip(r: random.Random, prof: ServiceProfile) -> str:
    return f"{prof.ip_prefix}.{randint(r, 2, 254)}"


def _req_id(r: random.Random) -> str:
    return f"{r.getrandbits(48):012x}"


# --------------------------------------------------------------------------- access & slow
def access(r: random.Random, prof: ServiceProfile, op: str, status: int, ms: float) -> str:
    if prof.kind in ("database", "cache", "queue"):
        return f"{op} completed in {ms:.1f}ms rows={randint(r, 0, 40)}"
    method, _, path = op.partition(" ")
    path = path.replace("{id}", str(randint(r, 1000, 999999))).replace("{resource}", pick(r,
        ("users", "orders", "items", "carts", "sessions")))
    if prof.stack == "go":
        return f'msg="request handled" method={method} path={path} status={status} duration={ms:.1f}ms'
    if prof.stack == "node":
        return f"{method} {path} {status} {ms:.0f}ms - {randint(r, 120, 9000)}b"
    if prof.stack == "python":
        return f'{_ip(r, prof)} - "{method} {path} HTTP/1.1" {status} ({ms:.1f} ms)'
    return f"Completed {status} for {method} {path} in {ms:.0f}ms [req={_req_id(r)}]"


def slow(r: random.Random, prof: ServiceProfile, op: str, ms: float) -> str:
    return f"Slow request: {op.split(' ')[0]} took {ms:.0f}ms (threshold {pick(r, (500, 1000, 750))}ms)"


# --------------------------------------------------------------------------- dependency failures
def dependency_failure(r: random.Random, prof: ServiceProfile, dep: str, mode: str,
                       ms: float) -> tuple[str, str | None]:
    """What a caller logs when a call to `dep` fails. Returns (message, stack)."""
    port = pick(r, (8080, 8443, 9090, 5432, 6379))
    host = f"{dep}.prod.svc.cluster.local"
    ip = f"10.{randint(r, 0, 3)}.{randint(r, 0, 255)}.{randint(r, 2, 254)}"
    s = prof.stack
    if mode == "dep_error":
        code = pick(r, (500, 502, 503, 503))
        if s == "java":
            return (f"Call to {dep} failed: HTTP {code} from http://{host}:{port}/v1 after {ms:.0f}ms",
                    _java_stack("org.springframework.web.client.HttpServerErrorException",
                                f"{code} Service Unavailable", prof))
        if s == "go":
            return (f'msg="upstream call failed" upstream={dep} status={code} duration={ms:.0f}ms', None)
        return (f"Upstream {dep} responded {code} after {ms:.0f}ms", None)
    if mode == "dep_timeout":
        if s == "java":
            return (f"Timeout calling {dep}: Read timed out after {ms:.0f}ms",
                    _java_stack("java.net.SocketTimeoutException", "Read timed out", prof))
        if s == "go":
            return (f'msg="upstream call failed" upstream={dep} err="context deadline exceeded" '
                    f"duration={ms:.0f}ms", None)
        if s == "node":
            return (f"Error: timeout of {ms:.0f}ms exceeded calling {dep}", None)
        return (f"ReadTimeout: HTTPConnectionPool(host='{dep}', port={port}): "
                f"Read timed out. (read timeout={ms / 1000:.1f})", None)
    if mode == "dep_refused":
        if s == "java":
            return (f"I/O error on POST request for \"http://{host}:{port}/v1\": Connection refused",
                    _java_stack("java.net.ConnectException", "Connection refused", prof))
        if s == "go":
            return (f'msg="upstream call failed" upstream={dep} err="dial tcp {ip}:{port}: '
                    f'connect: connection refused"', None)
        if s == "node":
            return (f"Error: connect ECONNREFUSED {ip}:{port} ({dep})", None)
        return (f"ConnectionError: [Errno 111] Connection refused ({dep}:{port})", None)
    if mode == "dep_unreachable":
        variant = r.random()
        if s == "go":
            tail = "i/o timeout" if variant < 0.6 else "connect: no route to host"
            return (f'msg="upstream call failed" upstream={dep} err="dial tcp {ip}:{port}: {tail}"', None)
        if s == "node":
            code = "ETIMEDOUT" if variant < 0.6 else "EHOSTUNREACH"
            return (f"Error: connect {code} {ip}:{port} ({dep})", None)
        if variant < 0.6:
            return (f"Connect timed out after {ms:.0f}ms to {dep} ({ip}:{port})",
                    _java_stack("java.net.SocketTimeoutException", "Connect timed out", prof)
                    if s == "java" else None)
        return (f"No route to host: {dep} ({ip}:{port})", None)
    if mode == "dep_dns":
        if s == "java":
            return (f"Failed to resolve '{host}'",
                    _java_stack("java.net.UnknownHostException", f"{host}: Name or service not known", prof))
        if s == "go":
            return (f'msg="upstream call failed" upstream={dep} err="dial tcp: lookup {host} on '
                    f'10.96.0.10:53: server misbehaving"', None)
        if s == "node":
            return (f"Error: getaddrinfo EAI_AGAIN {host}", None)
        return (f"socket.gaierror: [Errno -3] Temporary failure in name resolution ({host})", None)
    if mode == "dep_auth":
        user = prof.resource.replace("-", "_") + "_svc"
        kind_msgs = (
            f"FATAL: password authentication failed for user \"{user}\"",
            f"401 Unauthorized from {dep}: invalid client credentials",
            f"WRONGPASS invalid username-password pair or user is disabled ({dep})",
            f"Access denied for user '{user}' (using password: YES) on {dep}",
        )
        msg = pick(r, kind_msgs)
        if s == "java":
            return (f"Call to {dep} rejected: {msg}",
                    _java_stack("org.postgresql.util.PSQLException", msg, prof))
        return (f"authentication with {dep} failed: {msg}", None)
    if mode == "dep_reset":
        return (f"Connection reset by peer while reading response from {dep} ({ip}:{port})", None)
    return (f"Call to {dep} failed after {ms:.0f}ms", None)


# --------------------------------------------------------------------------- own failures
_NEW_EXCEPTIONS = {
    "java": [
        ("java.lang.NullPointerException", "Cannot invoke \"{cls}.getId()\" because \"{var}\" is null"),
        ("java.lang.ClassCastException", "class {cls}Dto cannot be cast to class {cls}V2Dto"),
        ("java.lang.IllegalStateException", "Unexpected value in {var}: {n}"),
    ],
    "go": [
        ("panic", "runtime error: invalid memory address or nil pointer dereference [signal SIGSEGV "
                  "code=0x1 addr=0x{hex} pc=0x{hex2}]"),
        ("panic", "runtime error: index out of range [{n}] with length {n2}"),
    ],
    "python": [
        ("TypeError", "'NoneType' object is not subscriptable"),
        ("KeyError", "'{var}'"),
        ("AttributeError", "'{cls}' object has no attribute '{var}_v2'"),
    ],
    "node": [
        ("TypeError", "Cannot read properties of undefined (reading '{var}')"),
        ("RangeError", "Invalid array length"),
    ],
}


def new_exception(r: random.Random, prof: ServiceProfile) -> tuple[str, str | None]:
    stack_kind = prof.stack if prof.stack in _NEW_EXCEPTIONS else "go"
    exc, template = pick(r, _NEW_EXCEPTIONS[stack_kind])
    cls = prof.resource.title().replace("-", "")
    detail = template.format(cls=cls, var=pick(r, ("profile", "account", "item", "payload")),
                             n=randint(r, 3, 64), n2=randint(r, 0, 2), hex=f"{r.getrandbits(16):x}",
                             hex2=f"{r.getrandbits(24):x}")
    if stack_kind == "java":
        return (f"Request failed: {exc}: {detail}", _java_stack(exc, detail, prof))
    if stack_kind == "go":
        return (f"{exc}: {detail}", _go_stack(prof))
    if stack_kind == "python":
        return (f"Unhandled exception in request handler: {exc}: {detail}", _python_stack(exc, detail, prof))
    return (f"Unhandled rejection: {exc}: {detail}", _node_stack(exc, detail, prof))


def own_failure(r: random.Random, prof: ServiceProfile, cause: str, ms: float) -> tuple[str, str | None]:
    """What a service logs when a request fails because of the service itself."""
    s = prof.stack
    if cause == "exception":
        return new_exception(r, prof)
    if cause == "oom":
        if s == "java":
            return ("Request aborted: java.lang.OutOfMemoryError: Java heap space",
                    _java_stack("java.lang.OutOfMemoryError", "Java heap space", prof))
        if s == "node":
            return ("FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory", None)
        if s == "python":
            return ("MemoryError while serialising response", None)
        return ("runtime: out of memory: cannot allocate 8388608-byte block", None)
    if cause == "overload":
        return (pick(r, (
            f"Rejected request: worker queue full ({randint(r, 200, 1024)} pending)",
            f"503 Service Unavailable: request queue depth {randint(r, 200, 2000)} exceeds limit",
            f"Request timed out after {ms:.0f}ms waiting for a worker thread",
            f"429 Too Many Requests: rate limit of {pick(r, (500, 1000, 2000))} req/s exceeded",
        )), None)
    if cause == "pool":
        if prof.kind == "database":
            return (pick(r, (
                "FATAL: sorry, too many clients already",
                f"FATAL: remaining connection slots are reserved (max_connections={prof.pool_max})",
                f"no more connections allowed (max_client_conn={prof.pool_max})",
            )), None)
        if s == "java":
            return (f"HikariPool-1 - Connection is not available, request timed out after {ms:.0f}ms",
                    _java_stack("java.sql.SQLTransientConnectionException",
                                f"HikariPool-1 - Connection is not available, request timed out after {ms:.0f}ms",
                                prof))
        return (f"timeout acquiring connection from pool after {ms:.0f}ms "
                f"(in use {prof.pool_max}/{prof.pool_max})", None)
    if cause == "disk":
        if prof.kind == "database":
            return ("ERROR: could not extend file \"base/16384/2619\": No space left on device", None)
        return (pick(r, (
            f"Failed to write /var/lib/{prof.resource}/data/segment-{randint(r, 100, 999)}.log: "
            "No space left on device",
            "IOError: [Errno 28] No space left on device",
            "write error: ENOSPC: no space left on device, write",
        )), None)
    if cause == "config":
        return (pick(r, (
            "Configuration error: invalid value for {key}".format(key=pick(r,
                ("upstream timeout", "pool size", "retry policy", "cache ttl"))),
            f"Failed to apply configuration: invalid setting (request {_req_id(r)})",
            "Rejecting request: service misconfigured, required setting could not be parsed",
        )), None)
    if cause == "auth":
        return (pick(r, (
            f"Rejected client {_ip(r, prof)}: certificate verify failed: certificate has expired",
            "401 Unauthorized: token signature verification failed (unknown key id)",
            "FATAL: password authentication failed for user \"app\"",
        )), None)
    if cause == "crash":
        return ("Request aborted: server shutting down", None)
    if cause == "reset":
        return (pick(r, (
            f"Connection reset by peer ({_ip(r, prof)}:{randint(r, 30000, 60000)})",
            "write: broken pipe",
            f"Incomplete response: unexpected EOF after {randint(r, 100, 9000)} bytes",
        )), None)
    if cause == "timeout":
        return (f"Request timed out after {ms:.0f}ms", None)
    return background_error(r, prof)


def background_error(r: random.Random, prof: ServiceProfile) -> tuple[str, str | None]:
    return (pick(r, (
        f"Client closed connection before response was sent (req={_req_id(r)})",
        f"Transient error talking to metrics sidecar, will retry in {randint(r, 1, 9)}s",
        f"Request {_req_id(r)} failed: upstream returned an empty body",
        f"Optimistic lock conflict on record {randint(r, 1000, 99999)}, request failed",
    )), None)


# --------------------------------------------------------------------------- background chatter
def background(r: random.Random, prof: ServiceProfile, deps: tuple[str, ...] = ()) -> tuple[str, str, str]:
    """(level, logger, message) for routine operational chatter, with the warnings and handled
    errors every healthy service logs now and then."""
    x = r.random()
    res = prof.resource
    if x < 0.03:
        return ("ERROR", "app", background_error(r, prof)[0])
    if x < 0.1:
        return ("WARN", "app", _benign_warning(r, prof, deps))
    x = (x - 0.1) / 0.9  # the routine lines keep their shares among themselves
    if x < 0.12:
        return ("DEBUG", "http", f"Health check GET /healthz 200 in {r.uniform(0.3, 3):.1f}ms")
    if x < 0.2:
        return ("DEBUG", "config", f"Feature flags refreshed: {randint(r, 10, 60)} flags, etag {r.getrandbits(32):08x}")
    if x < 0.2 + 0.02:
        # Leaky debug logging happens in real systems; the server must redact it.
        return ("DEBUG", "db", pick(r, (
            f"Opening connection postgres://{res}_app:Pa55w0rd{randint(r, 10, 99)}!@db.internal:5432/{res}",
            f"Outgoing request headers: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9."
            f"{r.getrandbits(96):024x}.{r.getrandbits(64):016x}",
            f"Using access key AKIA{r.getrandbits(64):016X} for object storage",
        )))
    if prof.kind == "database":
        return ("INFO", "db", pick(r, (
            f"checkpoint complete: wrote {randint(r, 100, 9000)} buffers ({r.uniform(0.1, 9):.1f}%)",
            f"autovacuum: processing table \"public.{res}_{pick(r, ('events', 'items', 'log'))}\"",
            f"stats: {randint(r, 20, 300)} active connections, {randint(r, 500, 9000)} tps",
        )))
    if prof.kind == "cache":
        return ("INFO", "cache", pick(r, (
            f"keyspace hits={randint(r, 10000, 99999)} misses={randint(r, 100, 9999)} "
            f"evicted_keys={randint(r, 0, 500)}",
            f"Background saving terminated with success ({randint(r, 1, 40)}MB)",
        )))
    if prof.kind == "queue":
        return ("INFO", "consumer", pick(r, (
            f"Processed batch of {randint(r, 5, 500)} messages in {randint(r, 3, 400)}ms",
            f"Consumer group lag: {randint(r, 0, 200)} messages",
        )))
    return ("INFO", "app", pick(r, (
        f"Cache warm-up finished: {randint(r, 100, 9000)} entries in {randint(r, 40, 900)}ms",
        f"Connection pool stats: active={randint(r, 1, 20)} idle={randint(r, 1, 20)} "
        f"max={prof.pool_max}",
        f"Scheduled task refresh-{res}-index completed in {randint(r, 20, 4000)}ms",
        f"Processed {randint(r, 10, 900)} events from outbox",
        f"Token cache refreshed ({randint(r, 10, 400)} entries)",
    )))


def _benign_warning(r: random.Random, prof: ServiceProfile, deps: tuple[str, ...]) -> str:
    options = [
        f"Deprecated API version v1 called by client {_ip(r, prof)}",
        f"Request body of {randint(r, 600, 4000)}KB is larger than recommended",
        f"Cache hit ratio {randint(r, 60, 80)}% below target",
        f"Slow operation: {pick(r, operations(prof)).split(' ')[0]} took {randint(r, 300, 1900)}ms",
    ]
    if deps:
        dep = pick(r, deps)
        options.append(f"Retrying call to {dep} after HTTP 503 (attempt 1 of 3)")
    return pick(r, options)


# --------------------------------------------------------------------------- stacks
def _java_stack(exc: str, detail: str, prof: ServiceProfile) -> str:
    pkg = "com.shop." + prof.resource.replace("-", "")
    cls = prof.resource.title().replace("-", "")
    return "\n".join((
        f"{exc}: {detail}",
        f"\tat {pkg}.{cls}Mapper.toDto({cls}Mapper.java:88)",
        f"\tat {pkg}.{cls}Service.handle({cls}Service.java:142)",
        f"\tat {pkg}.{cls}Controller.get({cls}Controller.java:57)",
        "\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:897)",
        "\t... 48 more",
    ))


def _go_stack(prof: ServiceProfile) -> str:
    res = prof.resource
    return "\n".join((
        "goroutine 1842 [running]:",
        f"main.(*{res.title().replace('-', '')}Handler).ServeHTTP(...)",
        f"\t/src/internal/{res}/handler.go:211 +0x1c4",
        "net/http.serverHandler.ServeHTTP(...)",
        "\t/usr/local/go/src/net/http/server.go:2938 +0x8e",
    ))


def _python_stack(exc: str, detail: str, prof: ServiceProfile) -> str:
    res = prof.resource.replace("-", "_")
    return "\n".join((
        "Traceback (most recent call last):",
        f'  File "/app/{res}/handlers.py", line 118, in handle',
        "    result = build_response(record)",
        f'  File "/app/{res}/serializers.py", line 42, in build_response',
        "    return record[\"data\"][\"items\"]",
        f"{exc}: {detail}",
    ))


def _node_stack(exc: str, detail: str, prof: ServiceProfile) -> str:
    res = prof.resource
    return "\n".join((
        f"{exc}: {detail}",
        f"    at toResponse (/app/src/{res}/mapper.js:61:22)",
        f"    at async handler (/app/src/{res}/routes.js:33:18)",
    ))
