"""Server-wide state: the active backend, the investigation cache and recorded proposals."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from telemetry.backend import TelemetryBackend

if TYPE_CHECKING:
    from .analysis_worker import AnalysisWorker
    from .investigation import Investigation

PREPARE_MIN_SERIES = 1200  # series (services x metrics) from which the first scan is slow


class InvestigationCache:
    """A few recent investigations, keyed by backend identity and window."""

    def __init__(self, size: int = 8) -> None:
        self._items: OrderedDict[tuple, Investigation] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def clear(self) -> None:
        """Forget every analysis: after a switch of incident they can never be asked for
        again, and each holds its incident's whole store in memory."""
        with self._lock:
            self._items.clear()

    def get(self, backend: TelemetryBackend, start: float, end: float, head_start=None) -> Investigation:
        """`head_start`: for a new entry, the analysis worker's ticket for this window."""
        # The analysis modules load with the first analysis, not with the server.
        from .investigation import Investigation

        key = (id(backend), round(start, 3), round(end, 3))
        with self._lock:
            inv = self._items.get(key)
            if inv is not None and inv.backend is backend:
                self._items.move_to_end(key)
                return inv
            inv = self._items[key] = Investigation(backend, start, end, head_start)
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


@dataclass
class ServerState:
    backend: object  # a TelemetryBackend, possibly a switchable simulator
    cache: InvestigationCache = field(default_factory=InvestigationCache)
    proposals: list[Proposal] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    worker: AnalysisWorker | None = None  # analyses loaded scenarios on another core (Linux)

    def telemetry(self) -> TelemetryBackend:
        """The data to answer one call from: for the simulator, the loaded scenario's store,
        so that a scenario switch mid-call cannot mix two incidents."""
        store = getattr(self.backend, "store", None)
        return store if store is not None else self.backend  # type: ignore[return-value]

    def investigation(self, start: float, end: float) -> Investigation:
        """The analysis of a window. A window reaching back before the first sample is
        analysed from the first sample: time with no telemetry is not time without errors,
        and every such window of one incident shares one analysis."""
        return self._investigation(self.telemetry(), start, end)

    def _investigation(self, data: TelemetryBackend, start: float, end: float) -> Investigation:
        first, _ = data.time_range()
        return self.cache.get(data, max(start, first), end)

    def prepare(self, always: bool = False, head_start=None) -> threading.Thread | None:
        """Analyse the latest hour (the tools' default window) ahead of the first question
        about it: on a hundred services the first anomaly scan alone takes over 0.1 s.

        With `head_start` (the analysis worker's ticket for the incident just loaded) the
        cache only waits for the worker's results. Otherwise a background thread does the
        work. At start-up small incidents are left alone (the scan is quick, and the CPU
        better spent answering the first calls); after a switch of incident (`always`), the
        caller's next turns overlap with the work."""
        if head_start is not None:
            from .investigation import latest_hour

            data = self.telemetry()
            self.cache.get(data, *latest_hour(data), head_start)
            return None

        def work() -> None:
            try:
                data = self.telemetry()
                if not always and len(data.services()) * len(data.metric_names()) < PREPARE_MIN_SERIES:
                    return
                from .investigation import latest_hour

                self._investigation(data, *latest_hour(data)).warm()  # the store just inspected
            except Exception:  # only a head start: any real problem surfaces in the tool call
                pass

        thread = threading.Thread(target=work, daemon=True, name="prepare")
        thread.start()
        return thread

    @property
    def incident(self) -> str:
        return getattr(self.backend, "incident_id", "live")

    def add_proposal(self, proposal: Proposal) -> None:
        with self.lock:
            self.proposals.append(proposal)
