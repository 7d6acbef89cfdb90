"""The files layout read back: what `export` writes, `load_directory` serves unchanged; every
file is optional; malformed input is a one-line error naming the file; `now` cuts the data."""

import math
import shutil

import pytest

from simulators.export import export_all
from telemetry.layout import LayoutError, load_directory
from telemetry.layout.files import SERVED_FILES
from tests.conftest import fault_sim


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    sim = fault_sim("network_partition", "inventory-service", noise={"red_herring_deployments": 2})
    out = tmp_path_factory.mktemp("export")
    export_all(sim.store, out, rules=sim.alert_rules, keep_secrets=True)  # exactly what the store holds
    return sim.store, out


def _only(src, tmp_path, *names):
    for name in names:
        shutil.copy(src / name, tmp_path / name)
    return tmp_path


def _points(series):
    return [(round(series.time_at(i), 3), round(v, 6)) for i, v in enumerate(series.values) if not math.isnan(v)]


def test_export_round_trips(exported):
    original, out = exported
    loaded = load_directory(out)
    assert loaded.time_range() == original.time_range()
    assert loaded.service_infos == original.service_infos

    assert set(loaded.series) == set(original.series)
    for key, series in original.series.items():
        back = loaded.series[key]
        assert (back.unit, back.step) == (series.unit, series.step) and _points(back) == _points(series), key

    def log_key(r):
        return (r.service, r.level, r.message, r.instance, r.logger, r.trace_id or "", r.span_id or "", r.stack or "",
                r.time)

    pairs = list(zip(sorted(map(log_key, loaded.log_records)), sorted(map(log_key, original.log_records)),
                     strict=True))
    assert all(a[:-1] == b[:-1] and abs(a[-1] - b[-1]) < 1e-3 for a, b in pairs)  # times to the millisecond

    def span_key(s):
        return (s.trace_id, s.span_id, s.parent_id or "", s.service, s.operation, s.kind, s.error, s.status_message,
                s.peer_service or "", sorted(s.attributes.items()), s.start, s.duration_ms)

    pairs = list(zip(sorted(map(span_key, loaded.span_records)), sorted(map(span_key, original.span_records)),
                     strict=True))
    assert all(a[:-2] == b[:-2] and abs(a[-2] - b[-2]) < 1e-6 and abs(a[-1] - b[-1]) < 1e-3 for a, b in pairs)
    assert any(s.kind == "client" and s.peer_service for s in loaded.span_records)

    def alert_key(a):
        return (a.name, a.service, a.severity, a.starts_at, a.ends_at, a.summary, a.description,
                float(f"{a.value:g}"), a.labels, a.metric, a.op, a.threshold)  # the value travels as %g

    assert [alert_key(a) for a in loaded.alert_records] == [alert_key(a) for a in original.alert_records]
    assert all(a.metric and a.op and a.threshold is not None for a in loaded.alert_records)

    def change_key(d):
        return (d.id, d.service, int(d.time), d.change_type, d.version, d.previous_version, d.author,
                d.notes, d.status, d.config_key, d.config_old, d.config_new)

    assert [change_key(d) for d in loaded.deployment_records] == [change_key(d) for d in original.deployment_records]


@pytest.mark.parametrize("name", SERVED_FILES)
def test_every_file_is_optional(exported, tmp_path, name):
    original, out = exported
    store = load_directory(_only(out, tmp_path, name))
    start, end = store.time_range()
    assert start <= end
    if name != "topology.json":
        assert store.services()  # from the records themselves


def test_services_and_dependencies_come_from_the_data_without_a_topology(exported, tmp_path):
    original, out = exported
    store = load_directory(_only(out, tmp_path, "traces.otlp.json", "metrics.om"))
    assert {s.name for s in store.services()} == {s.name for s in original.services()}
    gateway = next(s for s in store.services() if s.name == "api-gateway")
    assert gateway.depends_on  # callees seen in its traces


def test_now_cuts_every_signal(exported, tmp_path):
    original, out = exported
    start, end = original.time_range()
    now = start + (end - start) / 2
    store = load_directory(out, now=now)
    assert store.time_range() == (start, now)
    assert 0 < len(store.log_records) < len(original.log_records)
    assert all(r.time <= now for r in store.log_records)
    assert all(s.start + s.duration_ms / 1000 <= now for s in store.span_records)
    assert all(a.starts_at <= now and (a.ends_at is None or a.ends_at <= now) for a in store.alert_records)
    assert all(d.time <= now for d in store.deployment_records)
    for series in store.series.values():
        assert series.time_at(len(series.values) - 1) <= now
    with pytest.raises(LayoutError, match="before the first telemetry"):
        load_directory(out, now=start - 3600)


def test_files_outside_the_layout_are_never_opened(exported, tmp_path):
    _, out = exported
    case = _only(out, tmp_path, "logs.jsonl")
    (case / "truth.json").write_text("{not json")
    (case / "notes.txt").write_bytes(b"\xff\xfe")
    assert load_directory(case).log_records


@pytest.mark.parametrize(("name", "content", "message"), [
    ("logs.jsonl", '{"time": "2026-01-01T00:00:00Z", "service": "a", "message": "ok"}\n{oops\n',
     "logs.jsonl line 2: not JSON"),
    ("logs.jsonl", '{"time": "yesterday", "service": "a", "message": "x"}\n', "logs.jsonl line 1: not a timestamp"),
    ("logs.jsonl", '{"time": 1, "service": "a", "message": "x", "level": "LOUD"}\n',
     "logs.jsonl line 1: unknown level"),
    ("metrics.om", '# TYPE cpu gauge\ncpu{service="a"} 1 100\ncpu{service="a"} x 160\n',
     "metrics.om line 3: bad number"),
    ("metrics.om", 'cpu{service="a"} 1\n', "metrics.om line 1: sample without a timestamp"),
    ("metrics.om", 'cpu{zone="z"} 1 100\n', "metrics.om line 1: sample without a service label"),
    ("traces.otlp.json", '{"resourceSpans": [\n{]}', "traces.otlp.json line 2: not JSON"),
    ("traces.otlp.json", '{"resourceSpans": [{"resource": {"attributes": []}}]}', "no service.name"),
    ("alerts.json", '{"alerts": []}', "alerts.json: expected a JSON list"),
    ("alerts.json", '[{"labels": {"alertname": "X"}, "startsAt": "2026-01-01T00:00:00Z", '
                    '"annotations": {"threshold": "high"}}]', "alerts.json alert 0: not a number"),
    ("topology.json", '{"services": [{"name": "a", "kind": "robot"}]}', "topology.json service 0: unknown kind"),
    ("deployments.json", '[{"service": "a"}]', "deployments.json change 0: needs at least service and time"),
])
def test_malformed_input_is_a_one_line_error_naming_the_file(tmp_path, name, content, message):
    (tmp_path / name).write_text(content)
    with pytest.raises(LayoutError) as info:
        load_directory(tmp_path)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_directory_without_telemetry_is_an_error(tmp_path):
    with pytest.raises(LayoutError, match="no telemetry files"):
        load_directory(tmp_path)
    with pytest.raises(LayoutError, match="not a directory"):
        load_directory(tmp_path / "missing")


def test_metric_series_are_made_regular_and_keep_their_labels(tmp_path):
    lines = ["# TYPE edge_latency_ms gauge", "# HELP edge_latency_ms Call latency (ms)",
             "# TYPE custom_thing gauge"]
    for minute, jitter in ((0, 0.4), (1, -0.6), (2, 0.2), (5, 0.0)):  # jittered scrapes, two missed
        t = 1_000_020 + 60 * minute + jitter
        lines.append(f'edge_latency_ms{{service="web",callee="cart"}} {minute} {t}')
        lines.append(f'custom_thing{{service="web"}} 7 {t}')
    (tmp_path / "metrics.om").write_text("\n".join(lines) + "\n# EOF\n")
    store = load_directory(tmp_path)
    series = store.series[("web", 'edge_latency_ms{callee="cart"}')]
    assert series.step == 60.0 and series.unit == "ms"
    assert [v if v == v else None for v in series.values] == [0, 1, 2, None, None, 5]
    assert store.series[("web", "custom_thing")].unit == ""
    assert 'custom_thing' in store.metric_names()


def _with_reference(out, tmp_path):
    """A directory whose `reference/` is a copy of the same export (its logs only)."""
    case = tmp_path / "case"
    shutil.copytree(out, case)
    (case / "reference").mkdir()
    shutil.copy(out / "logs.jsonl", case / "reference" / "logs.jsonl")
    return case


def test_a_reference_directory_is_the_stores_reference(exported, tmp_path):
    original, out = exported
    case = _with_reference(out, tmp_path)
    store = load_directory(case)
    ref = store.reference_store
    assert ref is not None and len(ref.log_records) == len(original.log_records)
    start, end = store.time_range()
    assert store.reference(start, end) == (ref, *ref.time_range())
    assert store.reference(start, ref.start) is None  # a reference never comes from after the window
    assert load_directory(out).reference_store is None


def test_now_cuts_the_reference_too_and_drops_one_that_begins_later(exported, tmp_path):
    original, out = exported
    case = _with_reference(out, tmp_path)
    start, end = original.time_range()
    now = start + (end - start) / 2
    ref = load_directory(case, now=now).reference_store
    assert ref.time_range()[1] <= now and all(r.time <= now for r in ref.log_records)
    (case / "reference" / "logs.jsonl").write_text(
        '{"time": %r, "service": "a", "message": "later", "level": "INFO"}\n' % (now + 60))
    assert load_directory(case, now=now).reference_store is None


def test_a_malformed_reference_is_an_error_naming_its_file(exported, tmp_path):
    _, out = exported
    case = _with_reference(out, tmp_path)
    (case / "reference" / "logs.jsonl").write_text("{oops\n")
    with pytest.raises(LayoutError, match=r"^reference/.*logs.jsonl line 1: not JSON"):
        load_directory(case)


def test_a_reference_is_written_with_the_store(exported, tmp_path):
    from telemetry.layout import write_directory

    _, out = exported
    store = load_directory(_with_reference(out, tmp_path))
    written = write_directory(store, tmp_path / "again")
    assert "reference/logs.jsonl" in written
    again = load_directory(tmp_path / "again")
    assert len(again.reference_store.log_records) == len(store.reference_store.log_records)
