"""Server-wide state: the active backend, the investigation cache and recorded proposals."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from telemetry.backend import TelemetryBackend

from .investigation import Investigation, InvestigationCache


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


@dataclass
class ServerState:
    backend: object  # a TelemetryBackend, possibly a switchable simulator
    cache: InvestigationCache = field(default_factory=InvestigationCache)
    proposals: list[Proposal] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def telemetry(self) -> TelemetryBackend:
        """The data to answer one call from: for the simulator, the loaded scenario's store,
        so that a scenario switch mid-call cannot mix two incidents."""
        store = getattr(self.backend, "store", None)
        return store if store is not None else self.backend  # type: ignore[return-value]

    def investigation(self, start: float, end: float) -> Investigation:
        return self.cache.get(self.telemetry(), start, end)

    @property
    def incident(self) -> str:
        return getattr(self.backend, "incident_id", "live")

    def add_proposal(self, proposal: Proposal) -> None:
        with self.lock:
            self.proposals.append(proposal)
