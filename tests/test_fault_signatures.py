"""Each fault changes the signals the way the real failure does (DESIGN.md §3.2, issue 2)."""

import pytest

from tests.conftest import before_after, fault_sim, values

ONSET = 20  # minute


def _logs(sim, service, *, after_minute=None, levels=("ERROR", "FATAL", "WARN")):
    start = sim.store.start + (after_minute or 0) * 60
    return [r for r in sim.store.log_records
            if r.service == service and r.level in levels and r.time >= start]


def _text(records) -> str:
    return "\n".join(r.message + "\n" + (r.stack or "") for r in records)


def test_memory_leak_ramps_memory_lengthens_gc_then_oom_kills_and_restarts():
    sim = fault_sim("memory_leak", "order-service", start_minute=10)
    mem = values(sim, "order-service", "memory_percent", 10 * 60, None)
    assert max(mem) > 95 and max(values(sim, "order-service", "memory_percent", 0, 600)) < 60
    gc_before, _ = before_after(sim, "order-service", "gc_pause_ms", 10)
    assert max(values(sim, "order-service", "gc_pause_ms", 600, None)) > 20 * gc_before
    restarts = values(sim, "order-service", "restarts_total")
    assert restarts[-1] - restarts[0] >= 2
    # Memory drops after the kill: a sawtooth, not a plateau.
    peak_index = mem.index(max(mem))
    assert min(mem[peak_index:]) < max(mem) - 25
    text = _text(_logs(sim, "order-service", after_minute=10))
    assert "OOMKilled" in text
    assert any(k in text for k in ("OutOfMemoryError", "out of memory", "MemoryError"))


def test_cpu_saturation_pins_cpu_and_raises_latency_with_flat_memory():
    sim = fault_sim("cpu_saturation", "payment-service")
    cpu_b, cpu_a = before_after(sim, "payment-service", "cpu_percent", ONSET)
    lat_b, lat_a = before_after(sim, "payment-service", "latency_p50_ms", ONSET)
    mem_b, mem_a = before_after(sim, "payment-service", "memory_percent", ONSET)
    assert cpu_a > 95 and cpu_b < 70
    assert lat_a > 4 * lat_b
    assert abs(mem_a - mem_b) < 5


def test_bad_deployment_starts_at_the_deploy_with_new_exception_types():
    sim = fault_sim("bad_deployment", "user-service")
    onset = sim.store.start + ONSET * 60
    deploys = [d for d in sim.store.deployment_records
               if d.service == "user-service" and d.change_type == "deployment" and d.time >= sim.store.start]
    assert len(deploys) == 1 and abs(deploys[0].time - onset) < 1
    assert deploys[0].previous_version and deploys[0].previous_version != deploys[0].version
    err_b, err_a = before_after(sim, "user-service", "error_rate", ONSET)
    assert err_a > 10 * err_b and err_a > 0.15
    # The first sample over 10% comes within two minutes of the deploy, none before.
    err = sim.store.series[("user-service", "error_rate")]
    first = next(i for i, v in enumerate(err.values) if v > 0.10)
    assert 0 <= err.time_at(first) - onset <= 120

    def exception_types(records):
        import re
        return {m for r in records for m in re.findall(r"([A-Z][A-Za-z]+(?:Exception|Error)|panic)", r.message)}

    before = exception_types([r for r in _logs(sim, "user-service") if r.time < onset])
    after = exception_types([r for r in _logs(sim, "user-service") if r.time >= onset])
    assert after - before, "new exception types appear after the deploy"


def test_pool_exhaustion_pins_active_connections_at_max_with_rising_wait():
    sim = fault_sim("connection_pool_exhaustion", "database-proxy")
    active = values(sim, "database-proxy", "connection_pool_active", (ONSET + 3) * 60, None)
    pool_max = values(sim, "database-proxy", "connection_pool_max")[0]
    assert all(a == pool_max for a in active)
    wait_b, wait_a = before_after(sim, "database-proxy", "connection_pool_wait_ms", ONSET)
    assert wait_a > 100 * wait_b
    text = _text(_logs(sim, "database-proxy", after_minute=ONSET)).lower()
    assert "too many clients" in text or "connection slots" in text or "no more connections" in text


def test_network_partition_silences_the_service_and_callers_log_connection_failures():
    sim = fault_sim("network_partition", "inventory-service")
    onset = ONSET * 60
    assert values(sim, "inventory-service", "cpu_percent", onset + 60, None) == []
    assert set(values(sim, "inventory-service", "up", onset + 60, None)) == {0.0}
    assert _logs(sim, "inventory-service", after_minute=ONSET + 1,
                 levels=("DEBUG", "INFO", "WARN", "ERROR", "FATAL")) == []
    caller_text = _text(_logs(sim, "order-service", after_minute=ONSET) + _logs(sim, "api-gateway", after_minute=ONSET))
    assert "inventory-service" in caller_text
    assert any(k in caller_text for k in ("timed out", "i/o timeout", "No route", "EHOSTUNREACH", "ETIMEDOUT"))
    unanswered = [s for s in sim.store.span_records if s.kind == "client" and s.peer_service == "inventory-service"]
    assert len(unanswered) > 10


def test_network_latency_raises_latency_and_rtt_with_flat_cpu():
    sim = fault_sim("network_latency", "cache-service")
    lat_b, lat_a = before_after(sim, "cache-service", "latency_p50_ms", ONSET)
    rtt_b, rtt_a = before_after(sim, "cache-service", "network_rtt_ms", ONSET)
    cpu_b, cpu_a = before_after(sim, "cache-service", "cpu_percent", ONSET)
    assert lat_a - lat_b > 100 and rtt_a > 100 * rtt_b
    assert abs(cpu_a - cpu_b) < 10


def test_packet_loss_raises_retransmits_and_the_tail_more_than_the_median():
    sim = fault_sim("packet_loss", "order-service")
    rt_b, rt_a = before_after(sim, "order-service", "tcp_retransmits_per_second", ONSET)
    p50_b, p50_a = before_after(sim, "order-service", "latency_p50_ms", ONSET)
    p99_b, p99_a = before_after(sim, "order-service", "latency_p99_ms", ONSET)
    assert rt_a > 30 * rt_b
    assert p99_a / p99_b > 1.5 * (p50_a / p50_b)
    assert "reset" in _text(_logs(sim, "order-service", after_minute=ONSET)).lower()


def test_disk_full_fills_the_volume_then_writes_fail():
    sim = fault_sim("disk_full", "database-proxy")
    disk = values(sim, "database-proxy", "disk_usage_percent", ONSET * 60, None)
    assert max(disk) >= 99.9
    err_b, err_a = before_after(sim, "database-proxy", "error_rate", ONSET, settle_minutes=20)
    assert err_a > 0.1 > err_b
    assert "No space left on device" in _text(_logs(sim, "database-proxy", after_minute=ONSET))


def test_config_error_shows_in_change_history_and_logs_not_in_resources():
    sim = fault_sim("config_error", "payment-service")
    changes = [d for d in sim.store.deployment_records if d.service == "payment-service" and d.change_type == "config"]
    assert changes and abs(changes[0].time - (sim.store.start + ONSET * 60)) < 1
    assert changes[0].config_key and changes[0].config_old != changes[0].config_new
    err_b, err_a = before_after(sim, "payment-service", "error_rate", ONSET)
    assert err_a > 0.1
    for metric in ("cpu_percent", "memory_percent"):
        b, a = before_after(sim, "payment-service", metric, ONSET)
        assert abs(a - b) < 8, metric
    lat_b, lat_a = before_after(sim, "payment-service", "latency_p50_ms", ONSET)
    assert lat_a < 1.3 * lat_b
    assert "config" in _text(_logs(sim, "payment-service", after_minute=ONSET)).lower()


def test_credential_failure_shows_auth_errors_without_latency():
    sim = fault_sim("credential_failure", "user-service")
    text = _text(_logs(sim, "user-service", after_minute=ONSET)).lower()
    assert any(k in text for k in ("authentication failed", "unauthorized", "wrongpass", "access denied"))
    err_b, err_a = before_after(sim, "user-service", "error_rate", ONSET)
    lat_b, lat_a = before_after(sim, "user-service", "latency_p50_ms", ONSET)
    assert err_a > 0.1 and lat_a < 1.3 * lat_b
    # The credential store on the other side logs the rejected logins.
    assert "authentication failed" in _text(_logs(sim, "database-proxy", after_minute=ONSET)).lower()


def test_dns_failure_shows_resolution_errors_and_starves_the_callees():
    sim = fault_sim("dns_failure", "order-service")
    text = _text(_logs(sim, "order-service", after_minute=ONSET))
    assert any(k in text for k in ("UnknownHost", "EAI_AGAIN", "name resolution", "lookup", "resolve"))
    rr_b, rr_a = before_after(sim, "payment-service", "request_rate", ONSET)
    assert rr_a < 0.5 * rr_b
    err_b, err_a = before_after(sim, "order-service", "error_rate", ONSET)
    assert err_a > 0.3


def test_crash_loop_restarts_repeatedly_with_backoff_events():
    sim = fault_sim("crash_loop", "inventory-service")
    restarts = values(sim, "inventory-service", "restarts_total")
    assert restarts[-1] - restarts[0] >= 8
    ready = values(sim, "inventory-service", "replicas_ready", (ONSET + 2) * 60, None)
    assert min(ready) < values(sim, "inventory-service", "replicas_desired")[0]
    text = _text(_logs(sim, "inventory-service", after_minute=ONSET, levels=("WARN", "ERROR", "FATAL")))
    assert "CrashLoopBackOff" in text
    assert any(r.level == "FATAL" for r in _logs(sim, "inventory-service", after_minute=ONSET,
                                                levels=("FATAL",)))


def test_traffic_surge_raises_request_rate_at_the_entry_point_first():
    sim = fault_sim("traffic_surge", "api-gateway")
    rr_b, rr_a = before_after(sim, "api-gateway", "request_rate", ONSET)
    assert rr_a > 2 * rr_b
    cpu_b, cpu_a = before_after(sim, "api-gateway", "cpu_percent", ONSET)
    assert cpu_a > cpu_b + 20

    def first_rise(service):
        base, _ = before_after(sim, service, "request_rate", ONSET)
        series = sim.store.series[(service, "request_rate")]
        return next(i for i, v in enumerate(series.values) if v > 1.5 * base)

    assert first_rise("api-gateway") <= first_rise("user-service")
    assert first_rise("api-gateway") <= first_rise("order-service")


@pytest.mark.parametrize("severity", ["low", "critical"])
def test_severity_scales_the_effect(severity):
    weak = fault_sim("bad_deployment", "user-service", severity="low")
    strong = fault_sim("bad_deployment", "user-service", severity="critical")
    assert before_after(strong, "user-service", "error_rate", ONSET)[1] > \
        before_after(weak, "user-service", "error_rate", ONSET)[1]


def test_no_fault_scenario_stays_healthy():
    from tests.conftest import run_spec

    sim = run_spec(seed=3, faults=[])
    for svc in sim.store.services():
        assert max(values(sim, svc.name, "error_rate")) < 0.06, svc.name
    assert not [a for a in sim.store.alert_records if a.severity == "critical"]
