"""Scenario spec loading and validation: every error names the field and the valid choices."""

import json

import pytest

from simulators import FAULT_TYPES, PRESET_NAMES, SpecError, default_topology, load_spec, parse_spec, preset_spec
from simulators.topology import generate_topology


def _err(data) -> str:
    with pytest.raises(SpecError) as info:
        parse_spec(data)
    return str(info.value)


def test_presets_keep_original_names_and_faults():
    expected = {
        "memory_leak": ("order-service", "memory_leak"),
        "deployment_regression": ("user-service", "bad_deployment"),
        "database_exhaustion": ("database-proxy", "connection_pool_exhaustion"),
        "network_partition": ("inventory-service", "network_partition"),
        "cpu_spike": ("payment-service", "cpu_saturation"),
    }
    for name, (service, fault) in expected.items():
        assert name in PRESET_NAMES
        spec = preset_spec(name)
        assert (spec.faults[0].service, spec.faults[0].type) == (service, fault)


def test_default_topology_is_the_original_eight_services():
    names = {s.name for s in default_topology().services}
    assert names == {"api-gateway", "user-service", "order-service", "payment-service",
                     "inventory-service", "notification-service", "database-proxy", "cache-service"}


def test_thirteen_fault_types():
    assert len(FAULT_TYPES) == 13


def test_unknown_fault_type_lists_choices():
    msg = _err({"faults": [{"type": "meteor_strike", "service": "api-gateway", "start_minute": 5}]})
    assert "faults[0].type" in msg and "'meteor_strike'" in msg and "memory_leak" in msg


def test_unknown_service_lists_known_services():
    msg = _err({"faults": [{"type": "memory_leak", "service": "nope", "start_minute": 5}]})
    assert "faults[0].service" in msg and "'nope'" in msg and "order-service" in msg


def test_start_minute_outside_window():
    msg = _err({"duration_minutes": 30,
                "faults": [{"type": "memory_leak", "service": "order-service", "start_minute": 45}]})
    assert "faults[0].start_minute" in msg and "30-minute window" in msg


def test_start_minute_more_than_a_day_before_the_window():
    msg = _err({"faults": [{"type": "memory_leak", "service": "order-service", "start_minute": -1441}]})
    assert "faults[0].start_minute" in msg and "-1440" in msg


def test_dependency_cycle_is_reported_as_a_path():
    msg = _err({"topology": {"services": [
        {"name": "a", "depends_on": ["b"]}, {"name": "b", "depends_on": ["c"]},
        {"name": "c", "depends_on": ["a"]}]}})
    assert "dependency cycle" in msg and "a -> b -> c -> a" in msg


def test_unknown_dependency_and_duplicate_service():
    assert "unknown service 'zz'" in _err({"topology": {"services": [{"name": "a", "depends_on": ["zz"]}]}})
    assert "defined twice" in _err({"topology": {"services": [{"name": "a"}, {"name": "a"}]}})


def test_bad_kind_and_typo_field():
    assert "kind" in _err({"topology": {"services": [{"name": "a", "kind": "mainframe"}]}})
    msg = _err({"seeed": 3})
    assert "seeed" in msg and "unknown field" in msg


def test_future_end_time_rejected():
    assert "end_time" in _err({"end_time": "2999-01-01T00:00:00Z"})


def test_not_an_object():
    assert "must be an object" in _err([1, 2])


def test_load_json_and_toml(tmp_path):
    data = {"name": "x", "seed": 3, "faults": [{"type": "disk_full", "service": "database-proxy",
                                               "start_minute": 10}]}
    (tmp_path / "a.json").write_text(json.dumps(data))
    (tmp_path / "b.toml").write_text(
        'name = "x"\nseed = 3\n[[faults]]\ntype = "disk_full"\nservice = "database-proxy"\nstart_minute = 10\n')
    assert load_spec(tmp_path / "a.json") == load_spec(tmp_path / "b.toml")


def test_load_errors_name_the_file(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text("{nope")
    with pytest.raises(SpecError, match="broken.json: not valid JSON"):
        load_spec(bad)
    with pytest.raises(SpecError, match="cannot read scenario file"):
        load_spec(tmp_path / "missing.json")


def test_generated_topology_is_valid_and_connected():
    topo = generate_topology(100, seed=3)
    assert len(topo.services) == 100
    called = {d for s in topo.services for d in s.depends_on}
    entries = [s for s in topo.services if s.name not in called]
    assert entries and all(s.kind == "gateway" for s in entries)
    parse_spec({"topology": topo.model_dump()})  # validates: no cycles, known deps


# --------------------------------------------------------------------------- newer fields
FAULT = {"type": "bad_deployment", "service": "user-service", "start_minute": 10}


@pytest.mark.parametrize(("fault", "field", "says"), [
    ({"end_minute": 5}, "faults[0].end_minute", "must be after start_minute"),
    ({"end_minute": 20, "duration_minutes": 10}, "faults[0].end_minute", "not both"),
    ({"start_minute": -30, "end_minute": -2}, "faults[0].end_minute", "before the window starts"),
    ({"start_minute": -30, "duration_minutes": 20}, "faults[0].duration_minutes", "before the window starts"),
    ({"end_minute": 20, "recovery": "scale"}, "faults[0].recovery", "choose one of: rollback"),
    ({"end_minute": 20, "recovery": "self"}, "faults[0].recovery", "'self' does not fit bad_deployment"),
    ({"recovery": "rollback"}, "faults[0].recovery", "needs an end"),
])
def test_new_fault_fields_are_checked_and_the_error_names_the_field(fault, field, says):
    msg = _err({"faults": [{**FAULT, **fault}]})
    assert msg.startswith(f"spec: {field}: ") and says in msg, msg


def test_noise_level_sets_the_noise_and_explicit_fields_win():
    heavy = parse_spec({"noise": {"level": "heavy", "metric_noise": 0.01}}).noise
    assert heavy.decoys_per_service_hour > parse_spec({}).noise.decoys_per_service_hour
    assert heavy.metric_noise == 0.01
    quiet = parse_spec({"noise": {"level": "none"}}).noise
    assert (quiet.decoys_per_service_hour, quiet.red_herring_deployments, quiet.metric_noise) == (0, 0, 0)
    msg = _err({"noise": {"level": "loud"}})
    assert "noise.level" in msg and "extreme" in msg


def test_old_specs_load_and_mean_what_they_meant():
    spec = parse_spec({"seed": 3, "noise": {"red_herring_deployments": 2},
                       "faults": [{"type": "memory_leak", "service": "order-service", "start_minute": 10,
                                   "duration_minutes": 15}]})
    assert spec.noise.level == "default" and spec.noise.red_herring_deployments == 2
    assert spec.noise.background_error_rate == 0.005 and spec.noise.metric_noise == 0.03
    fault = spec.faults[0]
    assert (fault.start_minute, fault.end, fault.resolved_recovery) == (10, 25, "restart")
    assert spec.lead_in_minutes == 0
    assert parse_spec(spec.model_dump(mode="json")) == spec  # a dumped spec reloads unchanged


def test_a_fault_before_the_window_and_one_that_ends():
    spec = parse_spec({"faults": [{**FAULT, "start_minute": -45, "end_minute": 12},
                                  {"type": "disk_full", "service": "database-proxy", "start_minute": 30}]})
    assert spec.lead_in_minutes == 45
    assert spec.faults[0].resolved_recovery == "rollback" and spec.faults[1].end is None
