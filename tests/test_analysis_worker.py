"""The analysis worker: what it sends back is what the server would have computed, the server
adopts it only for the very same telemetry, and a worker that fails or dies costs nothing
but the head start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mcp_server import analysis_worker
from mcp_server.analysis_worker import Ticket
from mcp_server.backends.generation import can_fork
from mcp_server.investigation import EXPORTED, Investigation, latest_hour
from mcp_server.state import InvestigationCache
from simulators import preset_spec, simulate
from tests.conftest import FIXED_END

ROOT = Path(__file__).resolve().parent.parent


def _spec(preset="database_exhaustion", seed=3):
    return preset_spec(preset, seed=seed, end_time=FIXED_END)


def _replies(spec) -> dict:
    return dict(analysis_worker.analyse(spec))


def _ticket(replies: dict | None) -> Ticket:
    ticket = Ticket()
    if replies is None:
        ticket.resolve(None, None)
    for stage, reply in (replies or {}).items():
        ticket.resolve(stage, reply)
    return ticket


def _fresh(store) -> Investigation:
    inv = Investigation(store, *latest_hour(store))
    inv.warm()
    return inv


def test_exports_every_shared_analysis_by_stage_and_no_records():
    assert EXPORTED == {"early": ("problem_patterns",),
                        "full": ("anomalies", "_alert_thresholds", "log_evidence", "trace_summaries",
                                 "trace_analysis", "_memo")}
    replies = _replies(_spec())
    assert list(replies) == ["signals", "early", "full"]
    for stage in EXPORTED:
        assert set(replies[stage]["analysis"]) == set(EXPORTED[stage])
        assert "problem_logs" not in replies[stage]["analysis"] and "traces" not in replies[stage]["analysis"]


def test_a_store_made_with_the_workers_signals_is_the_same_telemetry():
    spec = _spec("memory_leak", seed=11)
    signals = _replies(spec)["signals"]
    ours = simulate(spec, lambda: signals).store
    assert repr(ours.to_wire()) == repr(simulate(spec).store.to_wire())  # repr: NaN marks silent samples
    assert ours.alert_records is signals.alerts  # used, not made again
    # A worker that has not answered yet: made here.
    assert repr(simulate(spec, lambda: None).store.to_wire()) == repr(ours.to_wire())


def test_an_adopted_analysis_answers_like_one_computed_here(monkeypatch):
    spec = _spec()
    replies = _replies(spec)
    store = simulate(spec).store  # this process's own copy, as in the server
    expected = _fresh(store)
    inv = Investigation(store, *latest_hour(store), head_start=_ticket(replies))

    def no_second_analysis(*args, **kwargs):
        raise AssertionError("the adopted analysis was computed again")

    monkeypatch.setattr("mcp_server.investigation.detect", no_second_analysis)
    monkeypatch.setattr("mcp_server.investigation.attribute_origins", no_second_analysis)
    monkeypatch.setattr("mcp_server.investigation.log_templates.group", no_second_analysis)
    assert [(p.template, p.count) for p in inv.patterns()] == [(p.template, p.count) for p in expected.patterns()]
    assert [c.service for c in inv.candidates()] == [c.service for c in expected.candidates()]
    assert inv.candidates()[0].score == expected.candidates()[0].score
    assert inv.anomalies.keys() == expected.anomalies.keys()
    assert len(inv.trace_summaries) == len(expected.trace_summaries)
    # Record lists are this process's own, never copies from the worker.
    own = {id(r) for r in store.log_records}
    assert inv.problem_logs and all(id(r) in own for r in inv.problem_logs)


def test_an_analysis_of_other_telemetry_is_not_adopted():
    replies = _replies(_spec(seed=3))
    other = simulate(_spec(seed=4)).store
    inv = Investigation(other, *latest_hour(other), head_start=_ticket(replies))
    assert [c.service for c in inv.candidates()] == [c.service for c in _fresh(other).candidates()]
    assert inv.anomalies is not replies["full"]["analysis"]["anomalies"]
    assert inv.problem_patterns is not replies["early"]["analysis"]["problem_patterns"]


def test_a_failed_worker_leaves_the_analysis_to_this_process():
    store = simulate(_spec()).store
    cache = InvestigationCache()
    inv = cache.get(store, *latest_hour(store), head_start=_ticket(None))
    assert inv.candidates()[0].service == "database-proxy"


def test_readers_wait_for_their_stage_and_share_one_adoption():
    spec = _spec()
    replies = _replies(spec)
    store = simulate(spec).store
    ticket = Ticket()
    inv = Investigation(store, *latest_hour(store), head_start=ticket)
    seen = []
    readers = [threading.Thread(target=lambda: seen.append(inv.anomalies)) for _ in range(4)]
    for t in readers:
        t.start()
    ticket.resolve("early", replies["early"])
    assert inv.problem_patterns is replies["early"]["analysis"]["problem_patterns"]  # no wait for "full"
    assert not seen
    ticket.resolve("full", replies["full"])
    for t in readers:
        t.join(timeout=30)
    assert len(seen) == 4 and all(s is seen[0] for s in seen)
    assert inv.problem_logs  # record lists never wait


def test_the_worker_loop_answers_only_the_latest_of_queued_requests():
    """Two loads in quick succession: the first is superseded before it starts."""
    requests_r, requests_w = os.pipe()
    replies_r, replies_w = os.pipe()
    analysis_worker._send(requests_w, (1, _spec(seed=3)))
    analysis_worker._send(requests_w, (2, _spec(seed=4)))
    loop = threading.Thread(target=analysis_worker._serve, args=(requests_r, replies_w))
    loop.start()
    first = analysis_worker._receive(replies_r)
    second = [analysis_worker._receive(replies_r) for _ in range(3)]
    os.close(requests_w)  # the server exits: the loop must return
    loop.join(timeout=60)
    assert not loop.is_alive()
    assert first == (1, None, None)
    assert [(n, stage) for n, stage, _ in second] == [(2, "signals"), (2, "early"), (2, "full")]
    assert second[2][2]["fingerprint"] == simulate(_spec(seed=4)).store.fingerprint()
    for fd in (requests_r, replies_r, replies_w):
        os.close(fd)


WORKER_SCRIPT = """
import json, os, signal, sys, time
from mcp_server.analysis_worker import AnalysisWorker
from simulators import preset_spec
end = sys.argv[1]
worker = AnalysisWorker.start()
reply = worker.submit(preset_spec("cpu_spike", seed=2, end_time=end)).wait("full", 60)
out = {"replied": reply is not None, "services": sorted(reply["analysis"]["anomalies"]) if reply else None}
os.kill(worker.pid, signal.SIGKILL)
os.waitpid(worker.pid, 0)
started = time.perf_counter()
out["after_death"] = worker.submit(preset_spec("cpu_spike", seed=2, end_time=end)).wait("full", 60)
out["seconds"] = time.perf_counter() - started
out["alive"] = worker.alive
print(json.dumps(out))
"""


@pytest.mark.skipif(not can_fork(), reason="the worker exists on Linux only")
def test_a_forked_worker_replies_and_its_death_fails_fast():
    # A fresh interpreter: forking the test process, with earlier tests' threads, is not safe.
    proc = subprocess.run([sys.executable, "-c", WORKER_SCRIPT, FIXED_END], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["replied"] and "payment-service" in out["services"]
    assert out["after_death"] is None and not out["alive"]
    assert out["seconds"] < 5


def test_an_incident_too_big_to_hold_twice_is_left_to_the_server():
    worker = analysis_worker.AnalysisWorker(pid=0, requests=-1, replies=-1)  # never written to
    spec = _spec()
    big = spec.model_copy(update={"duration_minutes": 24 * 60,
                                  "volume": spec.volume.model_copy(update={"log_lines_per_minute": 40.0})})
    assert analysis_worker.expected_records(big) > analysis_worker.MAX_RECORDS
    assert worker.submit(big) is None
