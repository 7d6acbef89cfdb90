"""The simulator does not give the answer away: quiet systems have background alerts and
errors, every fault has harmless look-alikes on healthy services, routine and faulty changes
look alike, version histories only go forward (except by rollback), faults end with their fix
in the change history, begin before the window, and come several at a time."""

import re

import pytest

from knowledge import FAULT_TYPES
from simulators import decoys, releases, settings
from tests.conftest import before_after, run_spec, values

SIGNATURES = {  # a line each fault prints, which its look-alike prints too
    "memory_leak": "OOMKilled",
    "cpu_saturation": "CPU throttled",
    "bad_deployment": "rolling update to image",
    "connection_pool_exhaustion": "Connection pool at capacity",
    "network_partition": r"timed out|i/o timeout|No route to host|ETIMEDOUT|EHOSTUNREACH",
    "network_latency": "Outbound connections slow",
    "packet_loss": "TCP retransmission rate high",
    "disk_full": "Disk usage on /var/lib/data",
    "config_error": "Invalid value for",
    "credential_failure": r"authentication failed|Unauthorized|WRONGPASS|Access denied",
    "dns_failure": r"Failed to resolve|EAI_AGAIN|name resolution|lookup .* on 10\.96",
    "crash_loop": "exited with code",
    "traffic_surge": "above the provisioned",
}
BUSY_QUIET = {"duration_minutes": 120, "faults": [], "noise": {"level": "heavy", "decoys_per_service_hour": 8}}


def _changes(sim, service=None):
    return [d for d in sim.store.deployment_records if service is None or d.service == service]


def test_every_fault_type_has_a_look_alike():
    assert set(decoys.LOOK_ALIKES) == set(FAULT_TYPES) == set(SIGNATURES)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_a_quiet_hour_at_default_noise_has_background_errors_and_warnings(seed):
    sim = run_spec(seed=seed, faults=[])
    levels = {}
    for r in sim.store.log_records:
        levels.setdefault(r.level, set()).add(r.service)
    assert len(levels["ERROR"]) >= 4 and len(levels["WARN"]) >= 4


def test_quiet_hours_at_default_noise_have_background_alerts_that_resolve():
    sims = [run_spec(seed=seed, faults=[]) for seed in range(1, 9)]
    with_alerts = [s for s in sims if s.store.alert_records]
    assert len(with_alerts) >= 5
    for sim in sims:
        store = sim.store
        for a in store.alert_records:
            assert a.severity == "warning" or (a.ends_at or store.end) - a.starts_at <= 300, a


def test_look_alikes_print_every_faults_lines_on_healthy_services():
    sim = run_spec(seed=5, **BUSY_QUIET)
    text = "\n".join(r.message for r in sim.store.log_records)
    for fault, pattern in SIGNATURES.items():
        assert re.search(pattern, text), f"no look-alike of {fault}"


def test_look_alikes_are_brief_and_heal_by_themselves():
    sim = run_spec(seed=5, **BUSY_QUIET)
    store = sim.store
    assert len(store.alert_records) > 20
    for a in store.alert_records:
        lasted = (a.ends_at or store.end) - a.starts_at
        assert lasted <= 30 * 60, f"{a.name} on {a.service} lasted {lasted / 60:.0f} min"
    calm = run_spec(seed=5, **{**BUSY_QUIET, "noise": {**BUSY_QUIET["noise"], "decoys_per_service_hour": 0}})
    for svc in store.services():  # the typical minute is as healthy as without look-alikes
        with_decoys, without = (sorted(values(s, svc.name, "error_rate")) for s in (sim, calm))
        assert with_decoys[len(with_decoys) // 2] < 1.3 * without[len(without) // 2], svc.name


def test_routine_and_faulty_changes_come_from_one_catalogue():
    faulty_keys, routine_keys, bumps = set(), set(), {"faulty": set(), "routine": set()}
    for seed in range(24):
        sim = run_spec(seed=seed, duration_minutes=20, noise={"level": "moderate", "decoys_per_service_hour": 3},
                       faults=[{"type": "bad_deployment", "service": "user-service", "start_minute": 8},
                               {"type": "config_error", "service": "order-service", "start_minute": 9}])
        start = sim.store.start
        for d in _changes(sim):
            if d.time < start:
                continue
            fault = (d.service, d.time) in {("user-service", start + 480), ("order-service", start + 540)}
            if d.change_type == "config":
                assert d.config_old in settings.SETTINGS[d.config_key][0]
                assert d.config_new in settings.SETTINGS[d.config_key][0]
                (faulty_keys if fault else routine_keys).add(d.config_key)
            elif d.change_type == "deployment":
                old, new = releases.parse(d.previous_version), releases.parse(d.version)
                kind = "major" if new[0] > old[0] else "minor" if new[1] > old[1] else "patch"
                bumps["faulty" if fault else "routine"].add(kind)
    assert faulty_keys and routine_keys and faulty_keys <= set(settings.KEYS) and routine_keys <= set(settings.KEYS)
    assert bumps["faulty"] >= {"patch", "minor"} and bumps["routine"] >= {"patch", "minor"}


def _assert_versions_only_go_forward(sim):
    by_service = {}
    for d in sorted(_changes(sim), key=lambda d: d.time):
        if d.change_type in ("deployment", "rollback"):
            by_service.setdefault(d.service, []).append(d)
    for service, records in by_service.items():
        seen = []
        for prev, d in zip([None, *records], records):
            if prev is not None:
                assert d.previous_version == prev.version, (service, d)
            if d.change_type == "deployment":
                assert not seen or releases.parse(d.version) > max(map(releases.parse, seen)), (service, d)
            else:
                assert d.version in seen and releases.parse(d.version) < releases.parse(d.previous_version)
            seen.append(d.version)


@pytest.mark.parametrize("seed", range(6))
def test_versions_never_go_backwards_except_by_a_rollback(seed):
    sim = run_spec(seed=seed, duration_minutes=90, noise={"level": "heavy", "red_herring_deployments": 6},
                   faults=[{"type": "bad_deployment", "service": "user-service", "start_minute": -5, "end_minute": 20},
                           {"type": "crash_loop", "service": "payment-service", "start_minute": 30, "end_minute": 50,
                            "recovery": "rollback"},
                           {"type": "bad_deployment", "service": "user-service", "start_minute": 60}])
    _assert_versions_only_go_forward(sim)


FIXES = [  # fault, recovery, the change it leaves
    ("bad_deployment", None, "rollback"),
    ("config_error", None, "config"),
    ("memory_leak", None, "restart"),
    ("cpu_saturation", None, "scale"),
    ("crash_loop", "restart", "restart"),
    ("disk_full", "config_change", "config"),
    ("network_partition", "self", None),
]


@pytest.mark.parametrize(("fault", "recovery", "change"), FIXES)
def test_a_fault_that_ends_leaves_its_fix_in_the_change_history(fault, recovery, change):
    spec = {"type": fault, "service": "order-service", "start_minute": 10, "end_minute": 30, "severity": "critical"}
    if recovery:
        spec["recovery"] = recovery
    sim = run_spec(seed=4, noise={"level": "none"}, faults=[spec])
    start = sim.store.start
    after = [d for d in _changes(sim, "order-service") if d.time >= start + 25 * 60]
    if change is None:
        assert after == []
    else:
        assert [d.change_type for d in after] == [change]
        assert abs(after[0].time - (start + 30 * 60)) <= 30
    if fault == "bad_deployment":
        release = next(d for d in _changes(sim, "order-service") if d.change_type == "deployment" and d.time >= start)
        assert (after[0].version, after[0].previous_version) == (release.previous_version, release.version)
    if fault == "config_error":
        broke = next(d for d in _changes(sim, "order-service") if d.change_type == "config" and d.time < after[0].time)
        assert (after[0].config_key, after[0].config_old, after[0].config_new) == \
            (broke.config_key, broke.config_new, broke.config_old)
    if fault == "cpu_saturation":
        desired = values(sim, "order-service", "replicas_desired")
        assert desired[-1] > desired[0]
    # The symptoms fade: the last quarter hour looks like the first ten minutes.
    for svc in ("order-service", "api-gateway"):
        calm = values(sim, svc, "error_rate", 0, 600)
        late = values(sim, svc, "error_rate", 45 * 60, None)
        assert sorted(late)[len(late) // 2] < max(0.02, 2 * max(calm)), svc
    assert not [a for a in sim.store.alert_records if a.ends_at is None and a.severity == "critical"]


def test_a_fault_already_under_way_when_the_window_opens():
    sim = run_spec(seed=3, noise={"level": "none"}, faults=[
        {"type": "memory_leak", "service": "order-service", "start_minute": -20},
        {"type": "bad_deployment", "service": "user-service", "start_minute": -10}])
    store = sim.store
    assert values(sim, "order-service", "memory_percent")[0] > 75
    err = values(sim, "user-service", "error_rate")
    assert min(err[:20]) > 0.15  # failing from the first sample: no healthy baseline in the window
    release = [d for d in _changes(sim, "user-service") if d.change_type == "deployment"][-1]
    assert abs(release.time - (store.start - 600)) < 1
    assert any(a.service == "user-service" and a.starts_at < store.start and a.ends_at is None
               for a in store.alert_records)  # firing since before the window
    assert min(r.time for r in store.log_records) >= store.start
    assert min(s.start for s in store.span_records) >= store.start
    assert all(len(s.values) == 240 and s.start == store.start for s in store.series.values())


def test_several_faults_at_once_are_all_in_the_truth_and_the_telemetry():
    faults = [{"type": "cpu_saturation", "service": "payment-service", "start_minute": 20},
              {"type": "dns_failure", "service": "inventory-service", "start_minute": 22}]
    sim = run_spec(seed=8, faults=faults)
    assert sim.truth.root_causes == (("payment-service", "cpu_saturation"), ("inventory-service", "dns_failure"))
    assert sim.truth.root_cause_service == "payment-service"  # the first fault, as before
    assert before_after(sim, "payment-service", "cpu_percent", 20)[1] > 90
    text = "\n".join(r.message + (r.stack or "") for r in sim.store.log_records if r.service == "inventory-service")
    assert re.search(SIGNATURES["dns_failure"], text)
