"""Shared helpers: simulations are cached per (spec) because most tests only read them."""

from __future__ import annotations

import functools
import json
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulators import parse_spec, simulate  # noqa: E402

FIXED_END = "2026-11-26T12:00:00Z"


@functools.lru_cache(maxsize=64)
def _cached(spec_json: str):
    return simulate(parse_spec(json.loads(spec_json)))


def run_spec(**spec) -> object:
    spec.setdefault("end_time", FIXED_END)
    return _cached(json.dumps(spec, sort_keys=True))


def fault_sim(fault_type: str, service: str, *, start_minute: float = 20, severity: str = "high",
              seed: int = 7, topology: dict | None = None, noise: dict | None = None):
    spec = {"seed": seed, "duration_minutes": 60,
            "faults": [{"type": fault_type, "service": service, "start_minute": start_minute,
                        "severity": severity}]}
    if topology is not None:
        spec["topology"] = topology
    if noise is not None:
        spec["noise"] = noise
    return run_spec(**spec)


def values(sim, service: str, metric: str, start_s: float | None = None, end_s: float | None = None):
    """Non-NaN values of a series between offsets (seconds from the window start)."""
    store = sim.store
    s = store.series[(service, metric)]
    out = []
    for i, v in enumerate(s.values):
        offset = i * s.step
        if start_s is not None and offset < start_s:
            continue
        if end_s is not None and offset >= end_s:
            continue
        if v == v:
            out.append(v)
    return out


def median(xs) -> float:
    return statistics.median(xs) if xs else float("nan")


def before_after(sim, service: str, metric: str, onset_minute: float, settle_minutes: float = 5):
    """(median before onset, median from onset+settle to the end)."""
    onset = onset_minute * 60
    before = values(sim, service, metric, 0, onset)
    after = values(sim, service, metric, onset + settle_minutes * 60, None)
    return median(before), median(after)


CHAIN_TOPOLOGY = {
    "services": [
        {"name": "web", "kind": "gateway", "depends_on": ["api"], "replicas": 3},
        {"name": "api", "kind": "service", "depends_on": ["worker", "sessions"], "replicas": 3},
        {"name": "worker", "kind": "service", "depends_on": ["ledger-db"], "replicas": 2},
        {"name": "sessions", "kind": "cache", "replicas": 2},
        {"name": "ledger-db", "kind": "database", "replicas": 2},
    ]
}


@pytest.fixture
def chain_topology() -> dict:
    return json.loads(json.dumps(CHAIN_TOPOLOGY))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def http_server():
    """A real `aiops-mcp` serving streamable HTTP on a free port (network_partition preset)."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "mcp_server.cli", "--transport", "streamable-http",
                             "--port", str(port), "--scenario", "network_partition"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode()) from None
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}/mcp"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
