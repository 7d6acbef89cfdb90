"""Server-wide state: the backend, the investigation cache and the client sessions (each with
its incident and its recorded proposals)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from telemetry.backend import TelemetryBackend

from .investigation import Investigation
from .sessions import Session, Sessions

# The tools' default window: what an investigation asks about first.
DEFAULT_WINDOW_MINUTES = 60
# Telemetry whose analysis takes a noticeable part of a second: any of these counts reached.
ANALYSE_AHEAD_FROM = {"metric_series": 1_000, "log_lines": 100_000, "spans": 100_000}


class InvestigationCache:
    """A few recent investigations, keyed by backend identity and window, so that the tools
    of one investigation share one analysis."""

    def __init__(self, size: int = 8) -> None:
        self._items: OrderedDict[tuple, Investigation] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def forget(self, backend: TelemetryBackend) -> None:
        """Forget the analyses of a telemetry no session serves any more: they can never be asked
        for again, and each holds its incident's telemetry in memory."""
        with self._lock:
            for key in [k for k, inv in self._items.items() if inv.backend is backend]:
                del self._items[key]

    def get(self, backend: TelemetryBackend, start: float, end: float) -> Investigation:
        key = (id(backend), round(start, 3), round(end, 3))
        with self._lock:
            inv = self._items.get(key)
            if inv is not None and inv.backend is backend:
                self._items.move_to_end(key)
                return inv
            inv = self._items[key] = Investigation(backend, start, end)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
            return inv


@dataclass
class Proposal:
    id: str
    kind: str
    service: str
    details: dict
    risk: str
    requires_approval: bool
    command: str
    reason: str
    created_at: str
    incident: str
    status: str = "proposed"  # proposals are never executed by this server
    risk_reasons: list[str] = field(default_factory=list)


@dataclass
class ServerState:
    backend: object  # a TelemetryBackend, or a simulator that serves one incident's store
    cache: InvestigationCache = field(default_factory=InvestigationCache)
    sessions: Sessions = field(default_factory=Sessions)

    def __post_init__(self) -> None:
        self.sessions.on_drop = lambda s: self.release(s.incident) if s.incident is not None else None

    def session(self) -> Session:
        """The calling client's session (see `sessions`)."""
        return self.sessions.current()

    def telemetry(self) -> TelemetryBackend:
        """The data to answer one call from: the incident the caller's session loaded, else the
        backend's (for the simulator, its incident's store, so that a switch of incident
        mid-call cannot mix two incidents)."""
        source = self.session().incident or self.backend
        store = getattr(source, "store", None)
        return store if store is not None else source  # type: ignore[return-value]

    def investigation(self, start: float, end: float) -> Investigation:
        """The analysis of a window. A window reaching back before the first sample is
        analysed from the first sample: time with no telemetry is not time without errors,
        and every such window of one incident shares one analysis."""
        data = self.telemetry()
        first, _ = data.time_range()
        return self.cache.get(data, max(start, first), end)

    def prepare(self, data: TelemetryBackend) -> None:
        """Analyse the default window of a big incident about to be served, so that the first
        question that needs the analysis finds it done instead of starting it. A smaller one
        is left to that question (it takes a fraction of what a host spends before asking),
        so that its analysis does not slow the host's handshake."""
        counts = data.status().counts
        if all(counts.get(name, 0) < least for name, least in ANALYSE_AHEAD_FROM.items()):
            return
        first, last = data.time_range()
        self.cache.get(data, max(first, last - DEFAULT_WINDOW_MINUTES * 60.0), last).warm()

    def switch_incident(self, incident: object) -> None:
        """Serve `incident` (a generated scenario: `id`, `store`) to the caller's session."""
        session = self.session()
        previous, session.incident = session.incident, incident
        if previous is not None:
            self.release(previous)

    def release(self, incident: object) -> None:
        """Drop the analyses of an incident that no session serves any more."""
        if not self.sessions.serving(incident):
            self.cache.forget(incident.store)  # type: ignore[attr-defined]

    @property
    def incident(self) -> str:
        loaded = self.session().incident
        return loaded.id if loaded is not None else getattr(self.backend, "incident_id", "live")

    @property
    def proposals(self) -> list[Proposal]:
        """The caller's session's proposals, oldest first."""
        return self.session().proposals
