"""Work on the other core: a forked process that generates and analyses each simulated
incident loaded with `load_scenario`, alongside the server.

The server answers one call at a time, so one core sits idle while it and its client take
turns. For every scenario loaded, the worker generates the same telemetry (generation is
deterministic) while the server generates its own copy, and sends back, in `STAGES`: the
metrics and alerts, which the server then need not make; the problem-log patterns, which the
first log questions ask for; then every other analysis of the latest hour. Results, never
the records: about 80 kB for an eight-service incident, against about 60 ms of analysis the
server would otherwise do while answering calls. The server's investigation cache adopts
them on first use, after checking that both processes hold the same telemetry
(`TelemetryStore.fingerprint`).

Forking is safe only before threads exist, so the worker is started by `aiops-mcp` at
start-up, on Linux only. Elsewhere, and for incidents too big to hold twice
(`MAX_RECORDS`), the server analyses on a background thread instead.
"""

from __future__ import annotations

import gc
import os
import pickle
import select
import struct
import threading
from typing import Any

from .backends.generation import can_fork, expected_records

_HEADER = struct.Struct("!Q")
# The replies to one request, in the order they are sent: "signals", the metrics and alerts
# for the server's own generation of the same store (`simulators.simulate`); "early", what the
# first log questions need (`Investigation.problem_patterns`); "full", every other analysis.
ANALYSIS_STAGES = ("early", "full")
STAGES = ("signals", *ANALYSIS_STAGES)
WAIT_SECONDS = 30.0  # the longest a call waits for the worker before analysing itself
MAX_RECORDS = 500_000  # above this, a second copy of the incident costs too much memory


class Ticket:
    """One submitted request: `wait(stage)` returns the worker's reply for that stage (see
    `STAGES`), or None if the worker failed."""

    def __init__(self) -> None:
        self._replies: dict[str, Any] = {}
        self._arrived = threading.Condition()

    def resolve(self, stage: str | None, reply: Any) -> None:
        """Record the reply of `stage`; `stage` None: no reply will come for any stage."""
        with self._arrived:
            if stage is None:
                for name in STAGES:
                    self._replies.setdefault(name, None)
            else:
                self._replies[stage] = reply
            self._arrived.notify_all()

    def wait(self, stage: str, timeout: float = WAIT_SECONDS) -> Any:
        with self._arrived:
            self._arrived.wait_for(lambda: stage in self._replies, timeout)
            return self._replies.get(stage)


class AnalysisWorker:
    def __init__(self, pid: int, requests: int, replies: int) -> None:
        self.pid = pid
        self._requests = requests
        self._replies = replies
        self._lock = threading.Lock()
        self._pending: dict[int, Ticket] = {}
        self._next = 0
        self._reader: threading.Thread | None = None
        self.alive = True

    @classmethod
    def start(cls) -> AnalysisWorker | None:
        """Fork the worker (call before any thread starts); None where forking is unsafe."""
        if not can_fork():
            return None
        to_worker, from_server = os.pipe()
        to_server, from_worker = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: never returns
            status = 1
            try:
                os.close(from_server)
                os.close(to_server)
                _detach_from_stdio()
                _serve(to_worker, from_worker)
                status = 0
            except BaseException:  # noqa: BLE001 - nothing here may reach the server's stdio
                pass
            finally:
                os._exit(status)
        os.close(to_worker)
        os.close(from_worker)
        return cls(pid, from_server, to_server)

    def submit(self, spec) -> Ticket | None:
        """Ask for `spec`'s signals and the analysis of its latest hour; None if it is too big
        to generate twice. Never blocks on the worker: a failure resolves the ticket with
        None, and the caller does the work itself."""
        if expected_records(spec) > MAX_RECORDS:
            return None
        ticket = Ticket()
        with self._lock:
            if not self.alive:
                ticket.resolve(None, None)
                return ticket
            self._next += 1
            number = self._next
            self._pending[number] = ticket
            if self._reader is None:
                self._reader = threading.Thread(target=self._read_replies, daemon=True, name="analysis-worker")
                self._reader.start()
            try:
                _send(self._requests, (number, spec))
            except OSError:
                self._fail_all()
        return ticket

    def _read_replies(self) -> None:
        while True:
            try:
                number, stage, reply = _receive(self._replies)
            except (OSError, EOFError, pickle.UnpicklingError):
                with self._lock:
                    self._fail_all()
                return
            with self._lock:
                last = stage is None or stage == STAGES[-1]
                ticket = self._pending.pop(number, None) if last else self._pending.get(number)
            if ticket is not None:
                ticket.resolve(stage, reply)

    def _fail_all(self) -> None:
        self.alive = False
        for ticket in self._pending.values():
            ticket.resolve(None, None)
        self._pending.clear()


# -- the worker process ------------------------------------------------------------------------
def _detach_from_stdio() -> None:
    """The server's stdin and stdout are the MCP transport: the worker must neither read
    them nor keep them open after the server exits."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(null, fd)
    os.close(null)


def _serve(requests: int, replies: int) -> None:
    def superseded() -> bool:
        # Another scenario was loaded meanwhile (or the server has gone): this one will
        # never be asked about.
        return bool(select.select([requests], [], [], 0)[0])

    while True:
        try:
            number, spec = _receive(requests)
        except EOFError:  # the server has gone
            return
        sent = []
        try:
            for stage, reply in analyse(spec, superseded):
                _send(replies, (number, stage, reply))
                sent.append(stage)
        except Exception:  # noqa: BLE001 - the server analyses for itself instead
            pass
        if len(sent) < len(STAGES):
            _send(replies, (number, None, None))  # no (further) reply for this request
        # Garbage is collected while idle, never during an analysis.
        gc.collect()


def analyse(spec, superseded=lambda: False):
    """What the worker computes for one spec, stage by stage: (stage, reply) pairs; it stops
    early once `superseded()`."""
    if superseded():
        return
    from simulators.scenario import Generation

    from .investigation import Investigation, latest_hour

    generation = Generation(spec)
    signals = generation.signals()
    yield "signals", signals
    store = generation.finish(lambda: signals).store
    inv = Investigation(store, *latest_hour(store))
    base = {"fingerprint": store.fingerprint(), "window": (inv.start, inv.end)}
    for stage in ANALYSIS_STAGES:
        if superseded():
            return
        yield stage, {**base, "analysis": inv.export(stage)}


# -- framing: a length, then a pickle ------------------------------------------------------------
def _send(fd: int, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _receive(fd: int) -> Any:
    (size,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size))
    return pickle.loads(_read_exactly(fd, size))


def _read_exactly(fd: int, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)

