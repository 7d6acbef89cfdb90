"""Session fixtures: one exported scenario, a real Prometheus (backfilled once) and Alertmanager,
and fakes of Loki, Tempo, Jaeger and Kubernetes fed from the same export."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from mcp_server.backends import config
from mcp_server.backends.live import LiveBackend
from simulators import preset_spec, simulate
from telemetry.store import TelemetryStore
from telemetry.timefmt import iso
from tests.live import fake_failures
from tests.live.fake_jaeger import FakeJaeger
from tests.live.fake_kubernetes import TOKEN, FakeKubernetes
from tests.live.fake_loki import FakeLoki
from tests.live.fake_tempo import FakeTempo
from tests.live.serving import serve
from tests.live.stack import Alertmanager, Prometheus

PRESET = "memory_leak"


@dataclass
class Scenario:
    store: TelemetryStore
    out: Path
    start: float
    end: float


@pytest.fixture(scope="session")
def scenario(tmp_path_factory) -> Scenario:
    """The preset, ending a minute ago, exported with `aiops-mcp export` (credentials kept, so
    that the records match exactly) and simulated again in this process for the answers the live
    backends must match."""
    from mcp_server.cli import main

    end = math.floor(time.time() / 60) * 60 - 60
    spec = preset_spec(PRESET, end_time=iso(end))
    root = tmp_path_factory.mktemp("scenario")
    spec_file = root / "spec.json"
    spec_file.write_text(spec.model_dump_json())
    out = root / "export"
    assert main(["export", "--scenario-file", str(spec_file), "--out", str(out), "--keep-secrets"]) == 0
    store = simulate(spec).store
    start, stop = store.time_range()
    return Scenario(store, out, start, stop)


@pytest.fixture(scope="session")
def prometheus(scenario, tmp_path_factory):
    server = Prometheus(scenario.out, tmp_path_factory.mktemp("prometheus"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def alertmanager(scenario, tmp_path_factory):
    server = Alertmanager(scenario.out, tmp_path_factory.mktemp("alertmanager"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fakes(scenario):
    out = scenario.out
    otlp = json.loads((out / "traces.otlp.json").read_text())
    kube = FakeKubernetes(json.loads((out / "deployments.json").read_text()),
                          json.loads((out / "topology.json").read_text()))
    served = {"loki": serve(FakeLoki(json.loads((out / "loki-push.json").read_text())).app),
              "tempo": serve(FakeTempo(otlp).app), "jaeger": serve(FakeJaeger(otlp).app),
              "kubernetes": serve(kube.app), "failures": serve(fake_failures.app())}
    yield served
    for fake in served.values():
        fake.stop()


def write_kubeconfig(path: Path, server: str, token: str = TOKEN, namespace: str = "shop") -> Path:
    path.write_text(f"""apiVersion: v1
kind: Config
clusters:
- cluster:
    server: {server}
  name: test
contexts:
- context:
    cluster: test
    namespace: {namespace}
    user: reader
  name: test
current-context: test
users:
- name: reader
  user:
    token: {token}
""")
    return path


@pytest.fixture(scope="session")
def kubeconfig(fakes, tmp_path_factory) -> Path:
    return write_kubeconfig(tmp_path_factory.mktemp("kube") / "config", fakes["kubernetes"].url)


@pytest.fixture(scope="session")
def stack_env(prometheus, alertmanager, fakes, kubeconfig) -> dict[str, str]:
    """The whole stack, configured as a person would: environment variables (Jaeger for traces)."""
    return {"AIOPS_PROMETHEUS_URL": prometheus.url, "AIOPS_ALERTMANAGER_URL": alertmanager.url,
            "AIOPS_LOKI_URL": fakes["loki"].url, "AIOPS_JAEGER_URL": fakes["jaeger"].url,
            "AIOPS_KUBECONFIG": str(kubeconfig)}


@pytest.fixture(scope="session")
def live(stack_env):
    backend = LiveBackend(config.load(None, stack_env))
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def live_tempo(stack_env, fakes):
    """The same stack with Tempo instead of Jaeger (topology from Prometheus' service graph)."""
    env = {k: v for k, v in stack_env.items() if k != "AIOPS_JAEGER_URL"} | {"AIOPS_TEMPO_URL": fakes["tempo"].url}
    backend = LiveBackend(config.load(None, env))
    yield backend
    backend.close()
