"""Exports parse in the formats real backends ingest (and promtool accepts the metrics)."""

import json
import math
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict

import pytest

from simulators import preset_spec, simulate
from simulators.export import export_all
from telemetry.openmetrics import parse
from telemetry.timefmt import parse_iso
from tests.conftest import FIXED_END, ROOT


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    sim = simulate(preset_spec("network_partition", end_time=FIXED_END))
    out = tmp_path_factory.mktemp("export")
    export_all(sim.store, out, rules=sim.alert_rules)
    return sim, out


def _need(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{binary} is required in CI (.ci/run installs it)")
        pytest.skip(f"{binary} not installed")
    return path


def test_openmetrics_round_trips_through_a_parser(exported):
    sim, out = exported
    with (out / "metrics.om").open() as fh:
        samples = list(parse(fh))
    got = defaultdict(list)
    for s in samples:
        got[(s.label("service"), s.name)].append((s.timestamp, s.value))
    for (service, name), series in sim.store.series.items():
        expected = [(series.time_at(i), v) for i, v in enumerate(series.values) if not math.isnan(v)]
        pairs = got[(service, name)]
        assert len(pairs) == len(expected), (service, name)
        for (t1, v1), (t2, v2) in zip(pairs, expected):
            assert abs(t1 - t2) < 1e-3 and abs(v1 - v2) <= 1e-6 * max(1.0, abs(v2))
    # Gaps stay gaps: the silent service has fewer cpu samples than a healthy one.
    assert len(got[("inventory-service", "cpu_percent")]) < len(got[("api-gateway", "cpu_percent")])


def test_promtool_backfills_the_metrics_and_accepts_the_rules(exported, tmp_path):
    promtool = _need("promtool")
    sim, out = exported
    result = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(out / "metrics.om"),
                             str(tmp_path / "data")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    samples = sum(1 for s in sim.store.series.values() for v in s.values if not math.isnan(v))
    assert str(samples) in result.stdout  # promtool prints the block's sample count
    rules = subprocess.run([promtool, "check", "rules", str(out / "rules.yml")],
                           capture_output=True, text=True, timeout=60)
    assert rules.returncode == 0, rules.stdout + rules.stderr


def test_alertmanager_alerts_are_postable(exported):
    sim, out = exported
    alerts = json.loads((out / "alerts.json").read_text())
    assert len(alerts) == len(sim.store.alert_records) > 0
    for a in alerts:
        assert {"alertname", "service", "severity"} <= set(a["labels"])
        assert a["annotations"]["summary"]
        start = parse_iso(a["startsAt"])
        if "endsAt" in a:
            assert parse_iso(a["endsAt"]) > start
        assert a["generatorURL"].startswith("http")


def test_logs_jsonl_and_loki_push_carry_every_line(exported):
    sim, out = exported
    lines = (out / "logs.jsonl").read_text().splitlines()
    assert len(lines) == len(sim.store.log_records)
    first = json.loads(lines[0])
    assert {"time", "service", "level", "message", "instance", "logger"} <= set(first)
    body = json.loads((out / "loki-push.json").read_text())
    total = 0
    for stream in body["streams"]:
        assert set(stream["stream"]) == {"service", "level"}
        for ts, line, meta in stream["values"]:
            assert ts.isdigit() and len(ts) == 19 and line and "instance" in meta
            total += 1
    assert total == len(lines)


def test_otlp_traces_are_well_formed(exported):
    sim, out = exported
    body = json.loads((out / "traces.otlp.json").read_text())
    spans = []
    for rs in body["resourceSpans"]:
        attrs = {a["key"]: a["value"] for a in rs["resource"]["attributes"]}
        assert "stringValue" in attrs["service.name"]
        for ss in rs["scopeSpans"]:
            spans.extend(ss["spans"])
    assert len(spans) == len(sim.store.span_records)
    ids = {(s["traceId"], s["spanId"]) for s in spans}
    for s in spans:
        assert re.fullmatch(r"[0-9a-f]{32}", s["traceId"]) and re.fullmatch(r"[0-9a-f]{16}", s["spanId"])
        assert int(s["endTimeUnixNano"]) >= int(s["startTimeUnixNano"])
        assert s["kind"] in (2, 3) and s["status"]["code"] in (1, 2)
        if "parentSpanId" in s:
            assert (s["traceId"], s["parentSpanId"]) in ids


def test_deployments_and_topology(exported):
    sim, out = exported
    deployments = json.loads((out / "deployments.json").read_text())
    assert deployments and all(d["version"] and d["author"] for d in deployments)
    topology = json.loads((out / "topology.json").read_text())
    assert [s["name"] for s in topology["services"]] == [s.name for s in sim.store.services()]


def test_secrets_in_the_telemetry_are_redacted_unless_kept(exported, tmp_path):
    sim, out = exported
    planted = [r.message for r in sim.store.log_records if "Pa55w0rd" in r.message or "AKIA" in r.message]
    assert planted  # the simulator leaks credentials into debug lines, as real systems do
    written = (out / "logs.jsonl").read_text() + (out / "loki-push.json").read_text()
    assert "Pa55w0rd" not in written and "AKIA" not in written and "[REDACTED" in written
    kept = tmp_path / "kept"
    export_all(sim.store, kept, keep_secrets=True)
    assert planted[0] in (kept / "logs.jsonl").read_text()


def test_export_command(tmp_path):
    cmd = [sys.executable, "-m", "mcp_server.cli", "export", "--scenario", "cpu_spike", "--seed", "3",
           "--out", str(tmp_path / "x")]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "x" / "metrics.om").stat().st_size > 0
    bad = subprocess.run(cmd[:5] + ["nope", "--out", str(tmp_path / "y")], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and "unknown scenario 'nope'" in bad.stderr and "Traceback" not in bad.stderr
