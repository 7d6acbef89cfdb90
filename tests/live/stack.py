"""Real Prometheus and Alertmanager on loopback, fed from an exported scenario.

Prometheus gets the scenario's metrics backfilled with `promtool`, its alerting rules, and
two families a running stack would have recorded and a backfill cannot: `ALERTS` for the
exported alerts' firing intervals (what the rule evaluations wrote) and Tempo's service-graph
counter `traces_service_graph_request_total{client,server}` counted from the traces.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections import defaultdict
from pathlib import Path

import httpx2
import pytest

from telemetry.timefmt import parse_iso
from tests.live.serving import free_port

STEP = 15.0


def need(*names: str) -> str:
    """The first of `names` installed; in CI (`CI` set) a missing binary fails the test
    instead of skipping it."""
    for name in names:
        if (path := shutil.which(name)) is not None:
            return path
    if os.environ.get("CI"):
        pytest.fail(f"{names[0]} is required in CI (.ci/run installs it)")
    pytest.skip(f"{names[0]} not installed")


def _wait_ready(url: str, process: subprocess.Popen, log: Path, seconds: float = 30.0) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited: {log.read_text()[-2000:]}")
        try:
            if httpx2.get(url, timeout=1.0).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} not ready after {seconds} s: {log.read_text()[-2000:]}")


def extra_openmetrics(out: Path) -> str:
    """`ALERTS` samples for every exported alert's firing interval, and service-graph
    counters per minute, as OpenMetrics families (appended before `# EOF`)."""
    end = parse_iso(json.loads((out / "topology.json").read_text())["end"])
    lines = ["# TYPE ALERTS gauge"]
    for alert in json.loads((out / "alerts.json").read_text()):
        labels = dict(alert["labels"], alertstate="firing")
        text = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        t = parse_iso(alert["startsAt"])
        stop = parse_iso(alert["endsAt"]) if alert.get("endsAt") else end
        while t < stop:
            lines.append(f"ALERTS{{{text}}} 1 {t:.0f}")
            t += STEP
    calls: dict[tuple[str, str], list[float]] = defaultdict(list)
    spans = {}
    doc = json.loads((out / "traces.otlp.json").read_text())
    for batch in doc["resourceSpans"]:
        service = batch["resource"]["attributes"][0]["value"]["stringValue"]
        for scope in batch["scopeSpans"]:
            for span in scope["spans"]:
                spans[span["spanId"]] = (service, span)
    for service, span in spans.values():
        parent = spans.get(span.get("parentSpanId", ""))
        if parent is not None and parent[0] != service:
            calls[(parent[0], service)].append(int(span["startTimeUnixNano"]) / 1e9)
    lines.append("# TYPE traces_service_graph_request counter")
    for (client, server), times in sorted(calls.items()):
        times.sort()
        first = int(times[0] // 60) * 60
        count = 0
        for minute in range(first, int(end) + 60, 60):
            count += sum(1 for t in times if minute - 60 <= t < minute)
            lines.append(f'traces_service_graph_request_total{{client="{client}",server="{server}"}} {count} {minute}')
    return "\n".join(lines) + "\n"


class _Daemon:
    """A server binary on a free loopback port, its output in `workdir/<name>.log`."""

    def _serve(self, name: str, workdir: Path, command: list[str]) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = workdir / f"{name}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen([*command, f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                                            stdout=log, stderr=subprocess.STDOUT)
        _wait_ready(f"{self.url}/-/ready", self.process, self.log)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Prometheus(_Daemon):
    def __init__(self, out: Path, workdir: Path) -> None:
        promtool, prometheus = need("promtool"), need("prometheus")
        metrics = workdir / "metrics.om"
        body = (out / "metrics.om").read_text()
        assert body.endswith("# EOF\n")
        metrics.write_text(body[: -len("# EOF\n")] + extra_openmetrics(out) + "# EOF\n")
        data = workdir / "data"
        subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(metrics), str(data)],
                       check=True, capture_output=True, timeout=120)
        config = workdir / "prometheus.yml"
        config.write_text(f"global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n"
                          f"rule_files:\n  - {out / 'rules.yml'}\n")
        self._serve("prometheus", workdir, [prometheus, f"--config.file={config}", f"--storage.tsdb.path={data}",
                                            "--query.lookback-delta=1d", "--storage.tsdb.retention.time=30d"])


class Alertmanager(_Daemon):
    def __init__(self, out: Path, workdir: Path) -> None:
        binary = need("prometheus-alertmanager", "alertmanager")  # Debian's name, upstream's
        config = workdir / "alertmanager.yml"
        # Firing alerts posted without endsAt stay firing for resolve_timeout: longer than any test run.
        config.write_text("global:\n  resolve_timeout: 6h\nroute:\n  receiver: nobody\nreceivers:\n  - name: nobody\n")
        self._serve("alertmanager", workdir, [binary, f"--config.file={config}",
                                              f"--storage.path={workdir / 'am-data'}", "--cluster.listen-address="])
        alerts = json.loads((out / "alerts.json").read_text())
        response = httpx2.post(f"{self.url}/api/v2/alerts", json=alerts, timeout=10)
        response.raise_for_status()
