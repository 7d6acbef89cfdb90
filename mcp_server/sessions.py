"""Client sessions: what one client has done (the incident it loaded, the proposals it recorded)
stays its own. Over stdio there is one client; over streamable HTTP each protocol session
(`Mcp-Session-Id`, protocol versions up to 2025-11-25) is one, and a 2026-07-28 client, which has
no session, is known by its credential. In shared mode every client is the one default session.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_KEY = "default"
MAX_SESSIONS = 100
IDLE_SECONDS = 30 * 60  # as the SDK's own idle timeout of an HTTP session

_key: contextvars.ContextVar[str] = contextvars.ContextVar("session_key", default=DEFAULT_KEY)


@dataclass
class Session:
    key: str
    incident: Any = None  # a loaded scenario (`id`, `store`); None: the backend's own
    proposals: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_used: float = field(default_factory=time.monotonic)


def key_of(request: Any) -> str:
    """The session a request belongs to, from the HTTP request it came in (None: stdio or in
    process). The SDK's transport has already refused session ids it did not issue to the
    request's credential."""
    headers = getattr(request, "headers", None)
    if headers is None:
        return DEFAULT_KEY
    session_id = headers.get("mcp-session-id")
    if session_id:
        return "session:" + session_id[:64]
    from mcp.server.auth.middleware.auth_context import get_access_token

    token = get_access_token()
    return "client:" + token.client_id if token is not None else DEFAULT_KEY


class Sessions:
    """The sessions, most recently used last; the least recently used beyond `max_sessions`,
    and any idle for `idle_seconds`, are dropped (`on_drop` is told)."""

    def __init__(self, shared: bool = False, max_sessions: int = MAX_SESSIONS,
                 idle_seconds: float = IDLE_SECONDS) -> None:
        self.shared = shared
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self.on_drop: Callable[[Session], None] | None = None
        self._items: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def bind(self, key: str) -> contextvars.Token:
        """Make `key` the session of the current request (undo with `unbind`)."""
        return _key.set(DEFAULT_KEY if self.shared else key)

    def unbind(self, token: contextvars.Token) -> None:
        _key.reset(token)

    def current(self) -> Session:
        key = _key.get()
        dropped = []
        with self._lock:
            session = self._items.get(key)
            if session is None:
                session = self._items[key] = Session(key)
                dropped = self._trim()
            self._items.move_to_end(key)
            session.last_used = time.monotonic()
        for gone in dropped:
            if self.on_drop is not None:
                self.on_drop(gone)
        return session

    def serving(self, incident: Any) -> bool:
        with self._lock:
            return any(s.incident is incident for s in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def _trim(self) -> list[Session]:
        stale = time.monotonic() - self.idle_seconds
        dropped = [s for k, s in self._items.items() if k != DEFAULT_KEY and s.last_used < stale]
        for s in dropped:
            del self._items[s.key]
        while len(self._items) > self.max_sessions:
            key = next(k for k in self._items if k != DEFAULT_KEY)
            dropped.append(self._items.pop(key))
        return dropped
