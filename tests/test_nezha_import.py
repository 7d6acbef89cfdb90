"""The Nezha importer on one fault of each system, pulled out of the dataset's archives: the
shape of a case, idle minutes, no label in what a backend serves, clean errors."""

import json
import math
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import anyio
import pytest
from mcp import Client

from importers.nezha import import_nezha
from importers.nezha.logs import log_record, parse_line
from importers.nezha.metrics import parse_time, snake_name, split_edge
from importers.nezha.source import service_of
from importers.nezha.windows import case_windows, scrape_phase
from mcp_server.backends.files import FilesBackend
from telemetry.layout import load_directory
from telemetry.layout.files import SERVED_FILES
from telemetry.timefmt import parse_iso
from tests.conftest import ROOT

# Beside the checkout (../shared/datasets/nezha), or where NEZHA_DATASET says.
DATASET = Path(os.environ.get("NEZHA_DATASET") or next(
    (p for p in (ROOT.parent / "shared/datasets/nezha", Path("/work/shared/datasets/nezha")) if p.is_dir()),
    ROOT.parent / "shared/datasets/nezha"))
# One fault of each system with logs and traces (the only OnlineBoutique fault with logs, a
# TrainTicket fault whose code returns an error), imported together with the fault before it.
SAMPLES = {
    "onlineboutique": ("ob-2022-08-22.tar.xz", "2022-08-22", "2022-08-22 05:18:09"),
    "trainticket": ("tt-2023-01-29.tar.xz", "2023-01-29", "2023-01-29 09:42:26"),
}


def _archive(name: str) -> Path:
    path = DATASET / name
    if not path.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is required in CI")
        pytest.skip(f"{path} not available")
    return path


def _extract_sample(archive: Path, day: str, inject_time: str, dest: Path) -> Path:
    """The day's metrics and fault list, the log and trace files of one fault's minutes, and
    those of the fault-free phase; the fault list cut down to that fault and the one before it."""
    hour, minute = int(inject_time[11:13]), int(inject_time[14:16])
    minutes = {f"{(hour * 60 + minute + k) // 60:02d}_{(hour * 60 + minute + k) % 60:02d}" for k in range(3)}
    prefix = f"rca_data/{day}/"

    def wanted(name: str) -> bool:
        if name.startswith(f"construct_data/{day}/"):
            return name.split("/")[2] in ("log", "trace")
        rest = name.removeprefix(prefix)
        fault_minute = rest.startswith(("log/", "trace/")) and rest.split("/")[1][:5] in minutes
        return name.startswith(prefix) and (rest.startswith("metric/") or rest.endswith("fault_list.json")
                                             or fault_minute)

    with tarfile.open(archive, "r|xz") as tar:
        for member in tar:
            if member.isfile() and wanted(member.name):
                tar.extract(member, dest, filter="data")
    day_dir = dest / prefix
    fault_list = day_dir / f"{day}-fault_list.json"
    faults = sorted((f for hour_faults in json.loads(fault_list.read_text()).values() for f in hour_faults),
                    key=lambda f: f["inject_time"])
    i = next(i for i, f in enumerate(faults) if f["inject_time"] == inject_time)
    fault_list.write_text(json.dumps({"sample": faults[i - 1:i + 1]}))
    return day_dir


@pytest.fixture(scope="module", params=sorted(SAMPLES))
def imported(request, tmp_path_factory):
    system = request.param
    archive, day, inject_time = SAMPLES[system]
    tmp = tmp_path_factory.mktemp(system)
    day_dir = _extract_sample(_archive(archive), day, inject_time, tmp / "src")
    cases = import_nezha(day_dir, tmp / "cases", labels=DATASET / "common.tar.xz")
    return system, cases


def _truth(case) -> dict:
    return json.loads((case.path / "truth.json").read_text())


def test_a_case_has_the_layout_files_and_its_truth_apart(imported):
    system, cases = imported
    assert len(cases) == 2
    case = cases[-1]
    # TrainTicket's day kept logs and traces of a fault-free phase before these faults: their reference.
    reference = ["reference"] if system == "trainticket" else []
    assert sorted(p.name for p in case.path.iterdir()) == sorted(
        ["metrics.om", "logs.jsonl", "traces.otlp.json", "topology.json", "truth.json", *reference])
    truth = _truth(case)
    assert truth["system"] == system and truth["inject_time"] == SAMPLES[system][2].replace(" ", "T") + "Z"
    assert truth["root_cause_service"] == service_of(truth["inject_pod"])
    assert truth["fault_type"] in ("cpu_contention", "return")
    assert truth["root_cause_detail"]  # the finer label from common.tar.xz
    inject, now = parse_iso(truth["inject_time"]), parse_iso(truth["window"]["now"])
    assert 60 < now - inject < 181

    store = FilesBackend(case.path).store
    assert store.time_range() == (parse_iso(truth["window"]["start"]), now)
    assert store.time_range()[0] >= parse_iso(_truth(cases[0])["window"]["now"])  # cases never overlap
    services = {s.name for s in store.services()}
    assert truth["root_cause_service"] in services and len(services) == {"onlineboutique": 10,
                                                                           "trainticket": 46}[system]
    assert sum(s.kind == "gateway" for s in store.services()) == 1
    names = set(store.metric_names())
    assert {"cpu_percent", "memory_percent", "request_rate", "latency_p90_ms", "latency_p99_ms",
            "client_latency_p90_ms", "entry_latency_p50_ms"} <= names
    assert not any("success_rate" in n and not n.startswith("entry_") for n in names)  # PodSuccessRate dropped
    if system == "onlineboutique":
        edges = [n for n in names if n.startswith("edge_latency_p50_ms{")]
        assert len(edges) == 28 and all('caller="' in n and 'callee="' in n for n in edges)
    cpu = store.metric(truth["root_cause_service"], "cpu_percent", *store.time_range())
    assert cpu.step == 60 and len(cpu.values) >= 4
    assert store.log_records and {r.level for r in store.log_records} <= {"DEBUG", "INFO", "WARN", "ERROR", "FATAL"}
    assert all(r.service in services and r.instance for r in store.log_records)
    assert store.span_records and all(s.service in services for s in store.span_records)
    assert not any(s.error for s in store.span_records)  # the data has no status codes
    traced = {s.trace_id for s in store.span_records}
    assert any(r.trace_id in traced for r in store.log_records)
    assert not any(r.message.startswith("TraceID") for r in store.log_records)


@pytest.mark.parametrize("imported", ["trainticket"], indirect=True)  # OnlineBoutique logged no errors
def test_error_lines_carry_the_level_the_application_wrote(imported):
    system, cases = imported
    store = load_directory(cases[-1].path)
    culprit = _truth(cases[-1])["root_cause_service"]
    errors = [r for r in store.log_records if r.level == "ERROR" and r.service == culprit]
    assert errors and all(r.logger for r in errors)


def test_idle_minutes_read_as_no_requests_not_as_missing_data(imported):
    _, cases = imported
    store = load_directory(cases[-1].path)
    start, end = store.time_range()
    idle = 0
    for info in store.services():
        rate = store.metric(info.name, "request_rate", start, end)
        latency = store.metric(info.name, "latency_p90_ms", start, end)
        if rate is None:
            continue
        for i, value in enumerate(rate.values):
            t = rate.time_at(i)
            j = None if latency is None else round((t - latency.start) / 60)
            if value == 0 and (j is None or not 0 <= j < len(latency.values) or math.isnan(latency.values[j])):
                idle += 1
    assert idle > 0


@pytest.mark.parametrize("imported", ["trainticket"], indirect=True)
def test_the_fault_free_phase_is_each_later_cases_reference(imported):
    _, cases = imported
    stores = [FilesBackend(case.path).store for case in cases]
    refs = [store.reference_store for store in stores]
    assert all(ref is not None and ref.log_records and ref.span_records for ref in refs)
    assert refs[0].time_range() == refs[1].time_range()  # one phase, the same for every case
    for store, ref in zip(stores, refs, strict=True):
        assert ref.time_range()[1] <= store.time_range()[1]  # never from after the case's present
        assert {s.name for s in ref.services()} == {s.name for s in store.services()}
    assert sorted(p.name for p in (cases[0].path / "reference").iterdir()) == sorted(
        ["metrics.om", "logs.jsonl", "traces.otlp.json", "topology.json"])


def test_no_served_file_carries_the_label(imported):
    _, cases = imported
    for case in cases:
        truth = _truth(case)
        assert {p.name for p in case.path.iterdir()} <= set(SERVED_FILES) | {"truth.json", "reference"}
        for word in (truth["root_cause_service"], truth["fault_type"], truth["inject_pod"]):
            assert word not in case.path.name
        labels = re.compile(r"\b(?:inject\w*|fault\w*|root_cause\w*|chaos\w*|cpu_contention|cpu_consumed|"
                            r"network_delay)\b", re.IGNORECASE)
        for name in [*SERVED_FILES, *(f"reference/{n}" for n in SERVED_FILES)]:
            path = case.path / name
            if path.exists():
                assert not labels.search(path.read_text()), f"{case.path.name}/{name}"
        topology = json.loads((case.path / "topology.json").read_text())
        assert truth["inject_time"] not in (topology["start"], topology["end"])


def test_the_server_answers_from_an_imported_case(imported):
    from mcp_server.server import build_server
    from mcp_server.state import ServerState

    _, cases = imported
    server = build_server(ServerState(backend=FilesBackend(cases[-1].path)))

    async def ask():
        async with Client(server) as client:
            out = {}
            for tool, args in (("get_backend_status", {}), ("query_logs", {"window_minutes": 15}),
                               ("correlate_signals", {"window_minutes": 15}),
                               ("query_traces", {"window_minutes": 15})):
                result = await client.call_tool(tool, args)
                assert not result.is_error, f"{tool}: {result.content[0].text}"
                out[tool] = result.structured_content
            return out

    out = anyio.run(ask)
    assert out["get_backend_status"]["backend"] == "files"


# ----------------------------------------------------------------------------- pieces
def test_pod_names_resolve_to_services():
    assert service_of("ts-ui-dashboard-5477b965f-2chkr") == "ts-ui-dashboard"
    assert service_of("productcatalogservice-668d5f85fb-wckp8") == "productcatalogservice"
    assert service_of("redis-cart-0") == "redis-cart"
    assert service_of("frontend") == "frontend"


def test_log_lines_give_their_level_logger_and_message():
    assert parse_line("16:42:22.418 ERROR f.s.FoodServiceImpl#302 [getAllFood][Failed]") == (
        "ERROR", "f.s.FoodServiceImpl#302", "[getAllFood][Failed]")
    assert parse_line("05:18:42.995 INFO  - Get Ads by Category finish") == ("INFO", "", "Get Ads by Category finish")
    assert parse_line('{"severity":"warning","message":"slow","http.resp.status":500}') == (
        "WARN", "", "slow http.resp.status=500")
    assert parse_line("2023-01-29 09:00:00,123 SEVERE boom")[0] == "ERROR"
    wrapped = json.dumps({"log": "java.lang.IllegalStateException: No instances available\n", "stream": "stdout"})
    record = log_record(1.0, "ts-travel-service-64469b5b48-25zj6", "", "", wrapped)
    assert (record.level, record.service) == ("ERROR", "ts-travel-service")
    plain = json.dumps({"log": "TraceID: ab12 SpanID: cd34 GetCartAsync called with userId=7\n"})
    record = log_record(1.0, "cartservice-579f59597d-wc2lz", "", "", plain)
    assert (record.level, record.message, record.trace_id, record.span_id) == (
        "INFO", "GetCartAsync called with userId=7", "ab12", "cd34")
    truncated = '{"log":"16:42:22.418 WARN  a.B#1 [cut off'
    assert log_record(1.0, "a-1", "", "", truncated).level == "WARN"


def test_the_window_rule():
    minute = 60.0 * 16_667 + 20  # a scrape minute, phase 20 s
    assert scrape_phase([minute + 60 * k + d for k, d in enumerate((0.4, -0.3, 0.9, 59.8 - 60))]) == 20
    assert scrape_phase([100 * 60 + 59.6, 101 * 60 + 0.3, 102 * 60 + 0.2]) == 0
    first, close, far = case_windows([minute + 600, minute + 1020, minute + 1700], phase=20)
    assert first.start == minute and first.now == minute - 20 + 600 + 120 + 21
    assert close.start == minute + 1020 - 120  # 7 minutes after the previous: 2 minutes of baseline
    assert far.start == minute + 1020 + 360  # 6 minutes after the previous injection
    tight = case_windows([minute, minute + 150], phase=20)
    assert tight[1].start == tight[0].now  # never inside the previous case


def test_metric_names_and_times():
    assert snake_name("NodeCpuUsageRate(%)") == ("node_cpu_usage_rate_percent", "%")
    assert snake_name("MemoryUsage(Mi)") == ("memory_usage_mib", "Mi")
    assert split_edge("checkoutservice_cartservice", {"checkoutservice", "cartservice"}) == (
        "checkoutservice", "cartservice")
    assert split_edge("a_b_c", {"a_b", "c"}) == ("a_b", "c")
    assert parse_time("2022-08-22 03:51:19.5 +0000 UTC m=+0.146") == parse_iso("2022-08-22T03:51:19.5Z")
    assert parse_time("2022-08-22 05:51:19 +0200 CEST") == parse_iso("2022-08-22T03:51:19Z")


# ----------------------------------------------------------------------------- commands
def _cli(*args):
    return subprocess.run([sys.executable, "-m", "mcp_server.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize(("args", "message"), [
    (("import", "nezha", "/no/such/dir", "--out", "/tmp/x"), "no such file or directory"),
    (("import", "nezha", str(ROOT), "--out", "/tmp/x"), "no *-fault_list.json"),
    (("--data", "/no/such/dir"), "no such directory"),
    (("--data", str(ROOT), "--now", "noon"), "--now 'noon': not a time"),
    (("--data", str(ROOT)), "no telemetry files"),
])
def test_bad_input_is_a_one_line_error(args, message):
    result = _cli(*args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("imported", ["onlineboutique"], indirect=True)  # one system is enough here
def test_import_command_writes_cases(imported, tmp_path):
    system, cases = imported
    source = cases[0].path.parent.parent / "src"
    result = _cli("import", "nezha", str(source), "--out", str(tmp_path / "again"))
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 2
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == sorted(c.path.name for c in cases)
