"""Serve a fake (a starlette app) on a free loopback port in a thread, counting requests."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Served:
    """A running fake: its base URL and the paths it was asked for, in order."""

    url: str
    requests: list[str] = field(default_factory=list)
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
            self.thread.join(timeout=5)


class _Counter:
    """ASGI middleware that records every request's path."""

    def __init__(self, app, served: Served) -> None:
        self.app, self.served = app, served

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            self.served.requests.append(scope["path"])
        await self.app(scope, receive, send)


def serve(app) -> Served:
    port = free_port()
    served = Served(url=f"http://127.0.0.1:{port}")
    # Requests left hanging (the failure modes) must not hold up the end of the session.
    server = uvicorn.Server(uvicorn.Config(_Counter(app, served), host="127.0.0.1", port=port, log_level="error",
                                           lifespan="off", timeout_graceful_shutdown=0.5))
    thread = threading.Thread(target=server.run, daemon=True, name=f"fake-{port}")
    thread.start()
    deadline = time.time() + 10
    while not server.started and time.time() < deadline:
        time.sleep(0.01)
    if not server.started:
        raise RuntimeError(f"fake server on port {port} did not start")
    served.server, served.thread = server, thread
    return served
