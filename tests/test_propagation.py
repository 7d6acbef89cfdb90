"""Symptoms travel up the dependency graph (callers suffer, after a delay); callees are not
harmed. Checked on the default topology and on a custom one."""

import pytest

from tests.conftest import before_after, fault_sim, values

ONSET = 20


def _first_breach(sim, service, metric, factor, floor):
    base, _ = before_after(sim, service, metric, ONSET)
    threshold = max(base * factor, base + floor)
    series = sim.store.series[(service, metric)]
    for i, v in enumerate(series.values):
        if i * series.step >= ONSET * 60 and v == v and v > threshold:
            return i * series.step
    return None


def _assert_up_not_down(sim, faulty, callers, callees):
    for caller in callers:
        err_b, err_a = before_after(sim, caller, "error_rate", ONSET)
        lat_b, lat_a = before_after(sim, caller, "latency_p50_ms", ONSET)
        assert err_a > err_b + 0.01 or lat_a > 1.5 * lat_b, f"caller {caller} should suffer"
        metric, factor, floor = ("error_rate", 2, 0.01) if err_a > err_b + 0.01 else ("latency_p50_ms", 1.4, 5)
        t_root = _first_breach(sim, faulty, metric, factor, floor)
        t_caller = _first_breach(sim, caller, metric, factor, floor)
        assert t_root is not None and t_caller is not None and t_caller >= t_root + 15, \
            "callers are hit after the root, not before"
    for callee in callees:
        err_b, err_a = before_after(sim, callee, "error_rate", ONSET)
        lat_b, lat_a = before_after(sim, callee, "latency_p50_ms", ONSET)
        assert err_a < err_b + 0.01, f"callee {callee} must not be harmed"
        assert lat_a < lat_b * 1.3


def test_default_topology_bad_deployment_in_the_middle():
    sim = fault_sim("bad_deployment", "order-service")
    _assert_up_not_down(sim, "order-service", ["api-gateway"],
                        ["payment-service", "inventory-service", "database-proxy", "notification-service"])


def test_default_topology_database_failure_reaches_every_caller():
    sim = fault_sim("connection_pool_exhaustion", "database-proxy")
    _assert_up_not_down(sim, "database-proxy",
                        ["user-service", "order-service", "payment-service", "inventory-service"], [])
    untouched = "cache-service"  # does not call the database
    err_b, err_a = before_after(sim, untouched, "error_rate", ONSET)
    assert err_a < err_b + 0.01


@pytest.mark.parametrize("fault", ["bad_deployment", "config_error", "cpu_saturation"])
def test_custom_topology(chain_topology, fault):
    sim = fault_sim(fault, "worker", topology=chain_topology)
    _assert_up_not_down(sim, "worker", ["api", "web"], ["ledger-db"])
    # A sibling that shares a caller but not the fault stays healthy.
    err_b, err_a = before_after(sim, "sessions", "error_rate", ONSET)
    assert err_a < err_b + 0.01


def test_silent_service_hurts_callers_and_relieves_callees(chain_topology):
    sim = fault_sim("network_partition", "api", topology=chain_topology)
    assert values(sim, "api", "error_rate", (ONSET + 1) * 60, None) == []
    err_b, err_a = before_after(sim, "web", "error_rate", ONSET)
    assert err_a > 0.5
    rr_b, rr_a = before_after(sim, "worker", "request_rate", ONSET)
    assert rr_a < 0.1 * rr_b  # nothing reaches the worker any more
