"""Every way a backend can fail gives a one-line `BackendError` that names the system and
its URL, never the credential, within the configured timeout; an empty answer is an empty
result, not an error."""

from __future__ import annotations

import re
import time

import pytest

from mcp_server.backends import config
from mcp_server.backends.live import LiveBackend
from telemetry.backend import BackendError
from tests.live.conftest import write_kubeconfig
from tests.live.serving import free_port

TIMEOUT = 0.5
SECRET = "s3cr3t-token-0123456789"
NOW = time.time()
CALLS = {
    "prometheus": lambda b: b.metrics_by_service(["error_rate"], NOW - 600, NOW)["error_rate"],
    "alertmanager": lambda b: b.alerts(NOW - 600, NOW),
    "loki": lambda b: b.logs(NOW - 600, NOW, limit=10),
    "tempo": lambda b: b.spans(NOW - 600, NOW, limit_traces=3),
    "jaeger": lambda b: b.spans(NOW - 600, NOW, "checkout", limit_traces=3),
    "kubernetes": lambda b: b.deployments(0.0, NOW),
}
TITLES = {"prometheus": "Prometheus", "alertmanager": "Alertmanager", "loki": "Loki", "tempo": "Tempo",
          "jaeger": "Jaeger", "kubernetes": "Kubernetes"}
EXPECTED = {
    "unreachable": "is unreachable", "slow": f"did not answer within {TIMEOUT:g} s",
    "dribble": f"did not finish answering within {TIMEOUT:g} s", "unauthorized": "rejected the credentials (HTTP 401)",
    "forbidden": "denied access (HTTP 403): access denied by policy", "missing": "has no such resource (HTTP 404)",
    "broken": "answered HTTP 500: internal server error: boom", "unavailable": "answered HTTP 503: TSDB not ready",
    "malformed": "answered with malformed JSON", "html": "answered with malformed JSON",
    "wrongshape": re.compile(r"answered (with|without) "), "huge": "sent more than 1,048,576 bytes; refused",
    "echo": "answered HTTP 400: bad request from Bearer ***",
}


def backend_at(system: str, url: str, tmp_path) -> LiveBackend:
    """A stack of one system at `url`, with a token, a short timeout and a 1 MiB cap."""
    if system == "kubernetes":
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", url, token=SECRET)
        text = f'[kubernetes]\nkubeconfig = "{kubeconfig}"\ntimeout_seconds = {TIMEOUT}\nmax_response_mb = 1\n'
    else:
        text = f'[{system}]\nurl = "{url}"\ntoken = "{SECRET}"\ntimeout_seconds = {TIMEOUT}\nmax_response_mb = 1\n'
    path = tmp_path / "stack.toml"
    path.write_text(text)
    return LiveBackend(config.load(str(path), {}))


@pytest.mark.parametrize("mode", list(EXPECTED))
@pytest.mark.parametrize("system", list(CALLS))
def test_failures_are_clear_one_line_errors_within_the_timeout(fakes, tmp_path, system, mode):
    base = f"http://127.0.0.1:{free_port()}" if mode == "unreachable" else f"{fakes['failures'].url}/{mode}"
    backend = backend_at(system, base, tmp_path)
    began = time.monotonic()
    with pytest.raises(BackendError) as caught:
        CALLS[system](backend)
    elapsed = time.monotonic() - began
    message = str(caught.value)
    assert message.startswith(f"{TITLES[system]} at {base}/"), message
    expected = EXPECTED[mode]
    assert expected.search(message) if isinstance(expected, re.Pattern) else expected in message, message
    assert SECRET not in message and "\n" not in message and len(message) < 400
    assert elapsed < TIMEOUT + 1.0, elapsed
    backend.close()


@pytest.mark.parametrize("system", list(CALLS))
def test_empty_answers_are_empty_results(fakes, tmp_path, system):
    backend = backend_at(system, f"{fakes['failures'].url}/empty", tmp_path)
    assert not CALLS[system](backend)
    backend.close()


def test_status_names_the_missing_signal(prometheus, fakes, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    backend = LiveBackend(config.load(None, {"AIOPS_PROMETHEUS_URL": prometheus.url, "AIOPS_TEMPO_URL": dead}))
    status = backend.status()
    assert not status.reachable and status.counts["services"] == 8
    assert f"traces: Tempo at {dead}/api/search/tag/service.name/values is unreachable" in status.detail
    assert "metrics: Prometheus answers" in status.detail and "logs: not configured" in status.detail
    backend.close()
