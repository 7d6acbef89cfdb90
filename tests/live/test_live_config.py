"""Configuration: environment variables and TOML, errors that name the key and never echo a
secret, kubeconfig files and in-cluster credentials, and the commands built on them."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time

import pytest

from mcp_server.backends import config, kubeconfig, select
from mcp_server.backends.config import ConfigError
from mcp_server.backends.presets import METRIC_UNITS, PRESETS
from mcp_server.backends.prometheus import comparison
from simulators.metrics import METRICS
from tests.live.conftest import write_kubeconfig
from tests.live.fake_kubernetes import TOKEN
from tests.live.serving import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _toml(tmp_path, text: str) -> str:
    path = tmp_path / "stack.toml"
    path.write_text(text)
    return str(path)


def test_nothing_configured_means_the_simulator():
    assert config.load(None, {}) is None
    assert select(None) is None


def test_environment_variables_for_the_common_case(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("file-token-abcdef\n")
    cfg = config.load(None, {
        "AIOPS_PROMETHEUS_URL": "https://prom.example:9090/prometheus/", "AIOPS_PROMETHEUS_TOKEN": "tok-123456",
        "AIOPS_LOKI_URL": "http://loki:3100", "AIOPS_LOKI_USERNAME": "tenant", "AIOPS_LOKI_PASSWORD": "pw-123456",
        "AIOPS_JAEGER_URL": "http://user:p%40ss@jaeger:16686", "AIOPS_ALERTMANAGER_URL": "http://am:9093",
        "AIOPS_ALERTMANAGER_TOKEN_FILE": str(token_file), "AIOPS_SERVICE_LABEL": "service_name"})
    assert cfg.service_label == "service_name" and cfg.loki.service_label == "service_name"
    assert cfg.prometheus.endpoint.url == "https://prom.example:9090/prometheus"
    assert cfg.prometheus.endpoint.token == "tok-123456"
    assert (cfg.loki.endpoint.username, cfg.loki.endpoint.password) == ("tenant", "pw-123456")
    assert (cfg.jaeger.url, cfg.jaeger.username, cfg.jaeger.password) == ("http://jaeger:16686", "user", "p@ss")
    assert cfg.alertmanager.token_file == str(token_file)
    assert cfg.signals() == {"metrics": "Prometheus", "alerts": "Alertmanager", "logs": "Loki", "traces": "Jaeger",
                             "changes": None}
    line = cfg.describe()
    assert "changes: not configured (set AIOPS_KUBECONFIG)" in line and "\n" not in line
    for secret in ("tok-123456", "pw-123456", "p@ss", "file-token"):
        assert secret not in line and secret not in repr(cfg)


def test_toml_for_the_rest_and_environment_wins(tmp_path):
    path = _toml(tmp_path, """
service_label = "app"
timeout_seconds = 3
history = "2d"
reference_offset = "7d"
[prometheus]
url = "http://from-file:9090"
step = "30s"
rate_window = "2m"
presets = ["otel", "cadvisor"]
selector = 'cluster="eu-1"'
headers = { "X-Scope-OrgID" = "team-a" }
[prometheus.metrics]
error_rate = 'sum by ($service) (rate(errors_total{$selector}[$window]))'
queue_depth = { query = 'max by ($service) (queue_depth{$selector})', unit = "messages", service_label = "queue" }
[loki]
url = "http://loki:3100"
level_label = "detected_level"
timeout_seconds = "500ms"
[tempo]
url = "http://tempo:3200"
most_recent = false
[topology.depends_on]
api = ["orders", "users"]
[topology.kinds]
orders-db = "database"
""")
    cfg = config.load(path, {"AIOPS_PROMETHEUS_URL": "http://from-env:9090"})
    prom = cfg.prometheus
    assert prom.endpoint.url == "http://from-env:9090" and prom.endpoint.timeout == 3.0
    assert (prom.step, prom.rate_window, prom.presets, prom.selector) == (30.0, "2m", ("otel", "cadvisor"),
                                                                          'cluster="eu-1"')
    assert prom.endpoint.headers == {"X-Scope-OrgID": "team-a"} and cfg.history == 2 * 86400
    assert set(prom.metrics) == {"error_rate", "queue_depth"} and prom.metrics["queue_depth"].label == "queue"
    assert prom.units["queue_depth"] == "messages" and prom.units["error_rate"] == "ratio"
    assert cfg.loki.level_label == "detected_level" and cfg.loki.endpoint.timeout == 0.5
    assert cfg.tempo.most_recent is False
    assert cfg.depends_on == {"api": ("orders", "users")} and cfg.kinds == {"orders-db": "database"}
    assert cfg.reference_offset == 7 * 86400
    assert config.load(path, {"AIOPS_REFERENCE_OFFSET": "1d"}).reference_offset == 86400
    assert config.load(None, {"AIOPS_LOKI_URL": "http://l"}).reference_offset is None


@pytest.mark.parametrize("text,env,key", [
    ("[prometheus]\nurl = 'http://p'\nstep = 'soon'\n", {}, "prometheus.step"),
    ("[prometheus]\nurl = 'http://p'\nstpe = '15s'\n", {}, "prometheus.stpe: unknown key"),
    ("[loki]\nlevel_label = 'level'\n", {}, "loki.url: required"),
    ("[prometheus]\nurl = 'http://p'\npresets = ['opentelemetry']\n", {}, "prometheus.presets: unknown preset"),
    ("[prometheus]\nurl = 'http://p'\n[prometheus.metrics]\nerror_rate = 'rate(x{$selectr}[5m])'\n", {},
     "prometheus.metrics.error_rate: unknown placeholder $selectr"),
    ("[tempo]\nurl = 'http://t'\n[jaeger]\nurl = 'http://j'\n", {}, "jaeger.url: configure one traces backend"),
    ("[topology.kinds]\ndb = 'datastore'\n[loki]\nurl = 'http://l'\n", {}, "topology.kinds.db"),
    ("", {"AIOPS_LOKI_URL": "loki:3100"}, "AIOPS_LOKI_URL: not an http(s) URL"),
    ("", {"AIOPS_PROMETHEUS_TOKEN": "abcdefgh"}, "prometheus.url: required"),
    ("", {"AIOPS_TEMPO_URL": "http://t", "AIOPS_TEMPO_TOKEN_FILE": "/nonexistent/token"},
     "AIOPS_TEMPO_TOKEN_FILE: no such file"),
    ("", {"AIOPS_KUBECONFIG": "/nonexistent/kubeconfig"}, "AIOPS_KUBECONFIG: cannot read"),
    ("[loki]\nurl = 'http://l'\nmax_log_lines = 0\n", {}, "loki.max_log_lines: unknown key"),
    ("max_log_lines = 0\n[loki]\nurl = 'http://l'\n", {}, "max_log_lines: must be an integer above 0"),
    ("[loki\nurl = 'http://l'\n", {}, "not valid TOML"),
    ("", {"AIOPS_LOKI_URL": "http://l", "AIOPS_REFERENCE_OFFSET": "yesterday"}, "AIOPS_REFERENCE_OFFSET: must be a"),
])
def test_invalid_configuration_names_the_key(tmp_path, text, env, key):
    path = _toml(tmp_path, text) if text else None
    with pytest.raises(ConfigError) as caught:
        config.load(path, env)
    assert key in str(caught.value)
    assert "abcdefgh" not in str(caught.value)


def test_a_bad_stack_configuration_is_a_one_line_usage_error(capsys, monkeypatch):
    from mcp_server import cli

    monkeypatch.setenv("AIOPS_LOKI_URL", "ftp://loki")
    with pytest.raises(ValueError, match="AIOPS_LOKI_URL: not an http"):
        select(None)
    assert cli.main(["--transport", "stdio"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "AIOPS_LOKI_URL: not an http(s) URL" in err
    monkeypatch.setenv("AIOPS_LOKI_URL", "http://127.0.0.1:9")
    backend = select(None)
    assert backend.name == "live" and "metrics: not configured" in backend.config.describe()
    assert cli.main(["--scenario", "memory_leak"]) == 2
    assert "a live stack is configured" in capsys.readouterr().err


def test_kubeconfig_credentials(tmp_path):
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    data = base64.b64encode(pem.encode()).decode()
    path = tmp_path / "config"
    path.write_text(f"""apiVersion: v1
clusters:
- name: prod
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: {data}
- name: dev
  cluster:
    server: https://dev.example
    certificate-authority: ca.crt
contexts:
- name: prod
  context: {{cluster: prod, user: admin}}
- name: dev
  context:
    cluster: dev
    user: dev-user
    namespace: team-a   # a comment
- name: eks
  context:
    cluster: prod
    user: eks-user
current-context: prod
users:
- name: admin
  user:
    client-certificate-data: {data}
    client-key-data: {data}
- name: dev-user
  user:
    tokenFile: token
- name: eks-user
  user:
    exec:
      command: aws
      args: [eks, get-token]
""")
    with pytest.raises(kubeconfig.KubeconfigError, match="flow collections"):
        kubeconfig.from_file(str(path), None, 5.0)
    path.write_text(path.read_text().replace("context: {cluster: prod, user: admin}",
                                             "context:\n    cluster: prod\n    user: admin"))
    endpoint, namespace = kubeconfig.from_file(str(path), None, 5.0)
    assert (endpoint.url, namespace, endpoint.ca_data, endpoint.cert_data) == ("https://10.0.0.1:6443", "default",
                                                                               pem, pem)
    endpoint, namespace = kubeconfig.from_file(str(path), "dev", 5.0)
    assert namespace == "team-a" and endpoint.token_file == str(tmp_path / "token")
    assert endpoint.ca_file == str(tmp_path / "ca.crt")
    with pytest.raises(kubeconfig.KubeconfigError, match="credential plugin"):
        kubeconfig.from_file(str(path), "eks", 5.0)
    with pytest.raises(kubeconfig.KubeconfigError, match="no context named 'staging'"):
        kubeconfig.from_file(str(path), "staging", 5.0)


def test_in_cluster_service_account(tmp_path):
    (tmp_path / "token").write_text("sa-token")
    (tmp_path / "namespace").write_text("observability")
    endpoint, namespace = kubeconfig.in_cluster(5.0, str(tmp_path), {"KUBERNETES_SERVICE_HOST": "10.96.0.1",
                                                                     "KUBERNETES_SERVICE_PORT": "443"})
    assert (endpoint.url, namespace, endpoint.token_file) == ("https://10.96.0.1:443", "observability",
                                                              str(tmp_path / "token"))
    with pytest.raises(kubeconfig.KubeconfigError, match="not running in a Kubernetes pod"):
        kubeconfig.in_cluster(5.0, str(tmp_path), {})


def test_the_own_export_preset_is_the_simulators_vocabulary():
    assert METRIC_UNITS == {name: unit for name, (unit, _) in METRICS.items()}
    assert set(PRESETS["aiops"]) == set(METRICS)


def test_every_preset_template_is_valid_promql(prometheus):
    """Prometheus itself parses every rendered template (most answer empty here)."""
    from mcp_server.backends.prometheus import Prometheus

    cfg = config.load(None, {"AIOPS_PROMETHEUS_URL": prometheus.url}).prometheus
    client = Prometheus(cfg, "service")
    for templates in PRESETS.values():
        for template in templates.values():
            label = template.label or "service"
            client.query(template.render("service", client.selector(label, "checkout"), "5m"), time.time())
            client.query(template.render("service", client.selector(label), "5m"), time.time())
    client.http.close()


@pytest.mark.parametrize("expr,expected", [
    ("error_rate > 0.1", ("error_rate", ">", 0.1)),
    ('latency_p99_ms{service="api-gateway"} > 1000', ("latency_p99_ms", ">", 1000.0)),
    ("max by (service) (memory_percent{env=\"prod\"}) >= 90", ("memory_percent", ">=", 90.0)),
    ("increase(restarts_total[600s]) >= 1", ("restarts_total", "increase>=", 1.0)),
    ("up <= 0", ("up", "<=", 0.0)),
    ("up == 0", (None, None, None)),
    ("connection_pool_active / connection_pool_max >= 0.95", (None, None, None)),
    ('sum(rate(http_requests_total{code=~"5.."}[5m])) > 3', (None, None, None)),
    ("absent(up)", (None, None, None)),
    ("mystery_metric > 2", (None, None, None)),
])
def test_rule_comparisons(expr, expected):
    found = comparison(expr, set(METRIC_UNITS))
    assert (found.metric, found.op, found.threshold) == expected


def _cli(*args, env=None, timeout=60):
    base = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    return subprocess.run([sys.executable, "-m", "mcp_server.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env={**base, **(env or {})})


def test_check_reports_every_signal_and_exits_0_when_all_answer(stack_env):
    began = time.monotonic()
    proc = _cli("check", env=stack_env)
    elapsed = time.monotonic() - began
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["metrics", "alerts", "logs", "traces", "changes"]
    assert all(line.split()[1] == "ok" for line in lines)
    assert "8 services by label 'service'" in lines[0] and "17 metrics answered" in lines[0]
    assert "alerts firing" in lines[1] and "8 deployments in shop" in lines[4]
    assert elapsed < 5.0  # the process start included; the checks themselves take well under 2 s


def test_check_exits_1_when_a_system_fails_and_2_on_bad_configuration(stack_env, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    proc = _cli("check", env={**stack_env, "AIOPS_LOKI_URL": dead})
    assert proc.returncode == 1
    assert f"logs     FAIL  Loki at {dead}/loki/api/v1/label/service/values is unreachable" in proc.stdout
    proc = _cli("check", "--config", _toml(tmp_path, "[loki]\nurl = 3\n"))
    assert proc.returncode == 2 and "loki.url: must be a non-empty string" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = _cli("check")
    assert proc.returncode == 1 and "no stack configured" in proc.stdout


def test_a_kubeconfig_without_access_fails_clearly(fakes, tmp_path):
    kube = write_kubeconfig(tmp_path / "kubeconfig", fakes["kubernetes"].url, token="wrong-token-0000",
                            namespace="kube-system")
    proc = _cli("check", env={"AIOPS_KUBECONFIG": str(kube)})
    assert proc.returncode == 1 and "Kubernetes at" in proc.stdout and "HTTP 401" in proc.stdout
    kube = write_kubeconfig(tmp_path / "kubeconfig", fakes["kubernetes"].url, token=TOKEN, namespace="kube-system")
    proc = _cli("check", env={"AIOPS_KUBECONFIG": str(kube)})
    assert proc.returncode == 1 and "HTTP 403" in proc.stdout and 'in the namespace "kube-system"' in proc.stdout
