"""The server's pure analysis functions on hand-made inputs: anomalies, log templates, trace
error origins and root-cause ranking."""

import math
import random

import pytest

from mcp_server.analysis import log_templates
from mcp_server.analysis.anomalies import detect
from mcp_server.analysis.correlation import LogEvidence, rank_candidates
from mcp_server.analysis.traces import attribute_origins, group_traces, summarize
from telemetry.records import Deployment, LogRecord, ServiceInfo, Span

T0 = 1_790_000_000.0
STEP = 15.0
END = T0 + 240 * STEP  # the end of the hand-made windows below


def noisy(level: float, n: int, rel: float = 0.03, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [level * (1 + rel * rng.gauss(0, 1)) for _ in range(n)]


# --------------------------------------------------------------------------- anomalies
def test_a_step_is_found_at_its_onset_with_the_baseline_from_before_it():
    values = noisy(0.01, 120, rel=0.2) + noisy(0.30, 120, rel=0.05, seed=2)
    a = detect("error_rate", values, T0, STEP)
    assert a is not None and a.direction == "up" and a.persistent
    assert abs(a.onset - (T0 + 120 * STEP)) <= 2 * STEP
    assert a.baseline == pytest.approx(0.01, rel=0.3)
    assert a.current == pytest.approx(0.30, rel=0.1)


def test_a_fault_that_starts_early_is_not_hidden_in_the_baseline():
    values = noisy(40.0, 12, seed=3) + noisy(85.0, 228, seed=4)  # from 5% into the window
    a = detect("latency_p50_ms", values, T0, STEP)
    assert a is not None and a.direction == "up"
    assert abs(a.onset - (T0 + 12 * STEP)) <= 2 * STEP
    assert a.baseline == pytest.approx(40.0, rel=0.1)


def test_a_ramp_is_dated_from_where_it_leaves_the_baseline_not_mid_ramp():
    flat = noisy(50.0, 100, rel=0.01, seed=5)
    ramp = [50.0 + 0.3 * i for i in range(140)]  # a leak: +42 points by the end
    a = detect("memory_percent", flat + ramp, T0, STEP)
    assert a is not None and a.direction == "up"
    assert T0 + 95 * STEP <= a.onset <= T0 + 125 * STEP


def test_noise_alone_is_not_an_anomaly():
    for seed in range(10):
        assert detect("latency_p99_ms", noisy(120.0, 240, rel=0.05, seed=seed), T0, STEP) is None


def test_a_series_that_stops_reporting_is_missing_from_its_last_sample():
    values = noisy(30.0, 150) + [math.nan] * 90
    a = detect("cpu_percent", values, T0, STEP)
    assert a is not None and a.direction == "missing"
    assert a.onset == T0 + 150 * STEP


def test_a_failure_under_way_before_the_window_is_caught_by_its_breach():
    a = detect("error_rate", noisy(0.4, 240, rel=0.02), T0, STEP, threshold=0.1)
    assert a is not None and a.kind == "sli_breach"
    assert detect("error_rate", noisy(0.04, 240, rel=0.02), T0, STEP, threshold=0.1) is None


def test_request_rate_steps_count_at_any_traffic_scale():
    """A few requests per second is normal for an internal service: tripling it is a change."""
    a = detect("request_rate", noisy(1.7, 120) + noisy(4.8, 120, seed=9), T0, STEP)
    assert a is not None and a.direction == "up" and a.change_pct > 150


# --------------------------------------------------------------------------- log templates
def _log(t, service, message, level="ERROR", trace=None):
    return LogRecord(T0 + t, service, level, message, f"{service}-0", "app", trace)


def test_messages_group_by_template_with_ids_numbers_and_addresses_masked():
    records = [
        _log(5, "orders", "Request 9f8e7d6c5b4a failed after 1532ms calling 10.0.3.7:5432", trace="t1"),
        _log(9, "orders", "Request 0a1b2c3d4e5f failed after 87ms calling 10.0.9.12:5432", trace="t2"),
        _log(7, "billing", "Request 1234abcd9876 failed after 2s calling 10.1.1.1:5432"),
        _log(8, "billing", "Connection refused: payments-db:5432"),
    ]
    patterns = log_templates.group(records, ["orders", "billing", "payments-db"])
    top = patterns[0]
    assert top.count == 3 and top.services == {"orders": 2, "billing": 1}
    assert top.first_seen == T0 + 5 and top.last_seen == T0 + 9 and top.example_trace_id == "t2"
    assert "9f8e7d6c5b4a" not in top.template and "1532" not in top.template and "10.0.3.7" not in top.template
    refused = patterns[1]
    assert refused.category == "connection_refused" and refused.mentions == {"payments-db"}


@pytest.mark.parametrize("message, category", [
    ("java.lang.OutOfMemoryError: Java heap space", "memory"),
    ("socket.gaierror: [Errno -3] Temporary failure in name resolution (db.prod.svc)", "dns"),
    ("FATAL: password authentication failed for user \"orders\"", "auth"),
    ("could not extend file: No space left on device", "disk"),
    ("HikariPool-1 - Connection is not available, request timed out after 30000ms", "connection_pool"),
    ("Upstream inventory responded 503 after 12ms", "upstream_error"),
    ("User 42 logged in", "other"),
])
def test_categories(message, category):
    assert log_templates.categorize(message) == category


# --------------------------------------------------------------------------- traces
def _span(trace, sid, parent, service, *, kind="server", error=False, dur=10.0, peer=None, msg="", start=0.0):
    return Span(trace, sid, parent, service, "op", kind, T0 + start, dur, error, msg, peer)


def test_the_deepest_failing_span_is_the_error_origin():
    spans = [_span("a", "1", None, "edge", error=True, dur=50), _span("a", "2", "1", "orders", error=True, dur=40),
             _span("a", "3", "2", "db", error=True, dur=30, msg="deadlock detected"),
             _span("a", "4", "1", "search", dur=5)]
    s = summarize(spans)
    assert s.error and s.error_origin == "db" and s.error_message == "deadlock detected"
    assert s.critical_path == ["edge", "orders", "db"]


def test_unanswered_calls_blame_the_peer_that_several_callers_cannot_reach():
    spans = []
    for i, caller in enumerate(["orders", "billing", "orders", "billing"]):
        t = f"t{i}"
        spans += [_span(t, "1", None, caller, error=True, dur=30, start=i),
                  _span(t, "2", "1", caller, kind="client", error=True, peer="ledger", msg="connection refused")]
    verdicts, _ = attribute_origins(group_traces(spans))
    assert verdicts[0].service == "ledger" and verdicts[0].via_unanswered_calls == 4
    assert verdicts[0].unanswered == ("peer", log_templates.categorize("connection refused"))


def test_unanswered_calls_blame_the_caller_that_reaches_nobody():
    spans = []
    for i, peer in enumerate(["ledger", "cache", "ledger", "cache"]):
        t = f"t{i}"
        spans += [_span(t, "1", None, "orders", error=True, dur=30, start=i),
                  _span(t, "2", "1", "orders", kind="client", error=True, peer=peer, msg="Failed to resolve host")]
    verdicts, _ = attribute_origins(group_traces(spans))
    assert [v.service for v in verdicts] == ["orders"]
    assert verdicts[0].unanswered == ("caller", "dns")


# --------------------------------------------------------------------------- ranking
CHAIN = [ServiceInfo("edge", "gateway", ("orders",), 2), ServiceInfo("orders", "service", ("db",), 3),
         ServiceInfo("db", "database", (), 1)]


def _anomaly(metric, onset_step, base, current):
    values = noisy(base, onset_step, rel=0.02) + noisy(current, 240 - onset_step, rel=0.02, seed=7)
    return detect(metric, values, T0, STEP)


def test_the_failing_service_with_healthy_dependencies_outranks_its_callers():
    anomalies = {
        "db": [_anomaly("latency_p99_ms", 100, 10.0, 400.0), _anomaly("error_rate", 100, 0.01, 0.2)],
        "orders": [_anomaly("latency_p99_ms", 101, 50.0, 900.0), _anomaly("error_rate", 102, 0.01, 0.2)],
        "edge": [_anomaly("latency_p99_ms", 102, 80.0, 1200.0), _anomaly("error_rate", 103, 0.01, 0.3)],
    }
    ranked = rank_candidates(CHAIN, anomalies, {n: LogEvidence() for n in ("edge", "orders", "db")}, [], [], [], END)
    assert [c.service for c in ranked][:3] == ["db", "orders", "edge"]
    assert "dependencies_healthy" in ranked[0].signals
    assert ranked[1].explained_by == "db"


def test_a_deployment_just_before_the_onset_is_evidence_and_ties_break_deterministically():
    same = [_anomaly("error_rate", 100, 0.01, 0.3)]
    anomalies = {"orders": same, "db": []}
    deploy = Deployment("d1", "orders", T0 + 100 * STEP - 120, "deployment", "v2", "v1", "a.b", "")
    ranked = rank_candidates(CHAIN, anomalies, {}, [], [deploy], [], END)
    assert ranked[0].service == "orders" and "deploy_before_onset" in ranked[0].signals
    twice = rank_candidates(CHAIN, {"orders": same, "edge": same}, {}, [], [], [], END)
    assert [c.service for c in twice] == [c.service for c in rank_candidates(
        CHAIN, {"edge": same, "orders": same}, {}, [], [], [], END)]


def test_a_silent_service_is_a_candidate():
    values = noisy(30.0, 150) + [math.nan] * 90
    anomalies = {"db": [detect("cpu_percent", values, T0, STEP)]}
    ranked = rank_candidates(CHAIN, anomalies, {}, [], [], [], END)
    assert ranked and ranked[0].service == "db" and "telemetry_missing" in ranked[0].signals
