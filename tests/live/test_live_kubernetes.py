"""Kubernetes change history: releases, configuration changes (the pod template's environment)
and rollbacks (a ReplicaSet brought back, dated by its event), as the simulator records them."""

from __future__ import annotations

import json

import pytest

from mcp_server.backends import config
from mcp_server.backends.live import LiveBackend
from simulators import parse_spec, simulate
from telemetry.layout.changes import deployment_dict
from tests.conftest import FIXED_END
from tests.live.conftest import write_kubeconfig
from tests.live.fake_kubernetes import FakeKubernetes
from tests.live.serving import serve


@pytest.fixture(scope="module")
def config_change():
    spec = parse_spec({"seed": 11, "end_time": FIXED_END, "duration_minutes": 60,
                       "faults": [{"type": "config_error", "service": "payment-service", "start_minute": 25}]})
    store = simulate(spec).store
    history = [deployment_dict(d) for d in store.deployments(0.0, store.end + 1)]
    topology = {"services": [{"name": s.name, "replicas": s.replicas} for s in store.services()]}
    return store, history, topology


def _backend(tmp_path, fake) -> tuple[LiveBackend, object]:
    served = serve(fake.app)
    kube = write_kubeconfig(tmp_path / "kubeconfig", served.url)
    return LiveBackend(config.load(None, {"AIOPS_KUBECONFIG": str(kube)})), served


def _rows(changes):
    return sorted((d.service, int(d.time), d.change_type, d.version, d.previous_version, d.config_key,
                   d.config_old, d.config_new) for d in changes)


def test_configuration_changes_name_the_key_and_values(config_change, tmp_path):
    store, history, topology = config_change
    assert any(d["change_type"] == "config" for d in history)
    backend, served = _backend(tmp_path, FakeKubernetes(history, topology))
    try:
        assert _rows(backend.deployments(0.0, store.end + 1)) == _rows(store.deployments(0.0, store.end + 1))
        assert {s.name: s.replicas for s in backend.services()} == {s.name: s.replicas for s in store.services()}
    finally:
        backend.close()
        served.stop()


def test_a_rollback_is_dated_by_its_event(config_change, tmp_path):
    store, history, topology = config_change
    when = store.end - 120
    backend, served = _backend(tmp_path, FakeKubernetes(history, topology, rollbacks=[("payment-service", when)]))
    try:
        changes = backend.deployments(store.end - 600, store.end + 1)
        rollback = [d for d in changes if d.change_type == "rollback"]
        releases = [d for d in backend.deployments(0.0, when) if d.service == "payment-service"]
        assert len(rollback) == 1 and rollback[0].time == when and rollback[0].service == "payment-service"
        assert rollback[0].version == releases[-2].version  # the previous ReplicaSet came back
        assert rollback[0].previous_version == releases[-1].version
        assert json.dumps([d.id for d in changes])  # ids are the ReplicaSets' names
    finally:
        backend.close()
        served.stop()
