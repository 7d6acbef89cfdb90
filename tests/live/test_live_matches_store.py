"""On a real Prometheus and Alertmanager and faithful fakes of Loki, Jaeger, Tempo and Kubernetes,
all fed from one export, `LiveBackend` answers what the simulator's store answers."""

from __future__ import annotations

import json
import math

import pytest

from mcp_server.backends import config
from mcp_server.backends.live import LiveBackend
from telemetry.records import LOG_LEVELS
from tests.live.fake_loki import FakeLoki
from tests.live.serving import serve

TRACE_LIMIT = 6


def test_time_range_and_services_match(live, live_tempo, scenario):
    store = scenario.store
    assert live.time_range() == pytest.approx(store.time_range())
    expected = {s.name: s for s in store.services()}
    for backend in (live, live_tempo):  # topology from Jaeger's dependencies, then from the service graph
        found = {s.name: s for s in backend.services()}
        assert sorted(found) == sorted(expected)
        for name, info in found.items():
            assert set(info.depends_on) == set(expected[name].depends_on), (backend.jaeger, name)
            assert info.replicas == expected[name].replicas


def test_every_metric_matches_at_the_same_timestamps(live, scenario):
    store = scenario.store
    start, end = scenario.start, scenario.end
    assert sorted(live.metric_names()) == sorted(store.metric_names())
    found = live.metrics_by_service(store.metric_names(), start, end)
    for name in store.metric_names():
        by_service = found[name]
        assert sorted(by_service) == sorted(s.name for s in store.services()), name
        for service, got in by_service.items():
            want = store.metric(service, name, start, end)
            assert (got.start, got.step, len(got.values), got.unit) == (want.start, want.step, len(want.values),
                                                                          want.unit), (service, name)
            for g, w in zip(got.values, want.values, strict=True):
                if not math.isnan(w):  # a gap in the store is a scrape that never happened
                    assert g == pytest.approx(w, rel=1e-6, abs=1e-6), (service, name)
            assert live.metric(service, name, start, end) is got
    late = live.metric("order-service", "error_rate", end - 600, end)
    want = store.metric("order-service", "error_rate", end - 600, end)
    assert (late.start, len(late.values)) == (want.start, len(want.values))


def test_alerts_match_by_name_service_severity_and_state(live, scenario):
    store = scenario.store
    start, end = scenario.start, scenario.end

    def summary(alerts):
        return sorted((a.name, a.service, a.severity, a.firing) for a in alerts)

    got = live.alerts(start, end)
    assert summary(got) == summary(store.alerts(start, end))
    assert any(a.firing for a in got) and any(not a.firing for a in got)
    for alert in got:  # what the rule compared, from its PromQL expression
        want = next(a for a in store.alerts(start, end) if (a.name, a.service) == (alert.name, alert.service))
        if want.metric in ("pool_ratio", "replicas_missing"):  # ratios of two series: no single metric
            continue
        assert (alert.metric, alert.op, alert.threshold) == (want.metric, want.op, pytest.approx(want.threshold))
    # a window before the incident sees fewer alerts, the same way
    early = (start, start + 1800)
    assert summary(live.alerts(*early)) == summary(store.alerts(*early))


def _lines(records):
    return sorted((round(r.time, 3), r.service, r.level, r.message, r.trace_id) for r in records)


@pytest.mark.parametrize("filters", [
    {}, {"service": "user-service"}, {"levels": ("ERROR", "FATAL")}, {"contains": "TIMEOUT"},
    {"service": "api-gateway", "levels": ("WARN",), "contains": "upstream"},
], ids=lambda f: ",".join(f) or "all")
def test_log_lines_match_within_limits(live, scenario, filters):
    store = scenario.store
    start, end = scenario.start, scenario.end
    for limit in (1, 50, 400):
        got = live.logs(start, end, limit=limit, **filters)
        want = store.logs(start, end, limit=limit, **filters)
        assert _lines(got) == _lines(want), (filters, limit)
        assert [r.time for r in got] == sorted(r.time for r in got)


def test_log_lines_by_trace_id_and_stack(live, scenario):
    store = scenario.store
    start, end = scenario.start, scenario.end
    errors = store.logs(start, end, levels=("ERROR",), limit=200)
    traced = next(r for r in reversed(errors) if r.trace_id)
    got = live.logs(start, end, trace_id=traced.trace_id)
    assert _lines(got) == _lines(store.logs(start, end, trace_id=traced.trace_id))
    with_stack = [r for r in errors if r.stack]
    if with_stack:
        mine = {(round(r.time, 3), r.message): r for r in live.logs(start, end, levels=("ERROR",), limit=200)}
        for record in with_stack:
            assert mine[(round(record.time, 3), record.message)].stack


def test_an_older_loki_without_categorized_labels_gives_the_same_lines(scenario, tmp_path):
    push = json.loads((scenario.out / "loki-push.json").read_text())
    served = serve(FakeLoki(push, categorize=False).app)
    backend = LiveBackend(config.load(None, {"AIOPS_LOKI_URL": served.url}))
    try:
        got = backend.logs(scenario.start, scenario.end, levels=("ERROR", "WARN"), limit=300)
        want = scenario.store.logs(scenario.start, scenario.end, levels=("ERROR", "WARN"), limit=300)
        assert _lines(got) == _lines(want)
        assert {r.instance for r in got} == {r.instance for r in want}
    finally:
        backend.close()
        served.stop()


def test_log_counts_match(live, scenario):
    store = scenario.store
    start, end = scenario.start, scenario.end
    for step in (60.0, 300.0):
        assert live.log_counts(start, end, step) == store.log_counts(start, end, step)
    assert live.log_counts(start, end, 60.0, "user-service") == store.log_counts(start, end, 60.0, "user-service")
    assert set(LOG_LEVELS) >= {level for _, level in live.log_counts(start, end, 300.0)}


def _spans(spans):
    return sorted((s.trace_id, s.span_id, s.parent_id, s.service, s.operation, s.kind, s.error, s.status_message,
                   s.peer_service) for s in spans)


def _same_times(got, want):
    """Jaeger keeps microseconds: times agree to about one."""
    times = {s.span_id: (s.start, s.duration_ms) for s in want}
    for span in got:
        start, duration = times[span.span_id]
        assert span.start == pytest.approx(start, abs=2e-6) and span.duration_ms == pytest.approx(duration, abs=2e-3)


@pytest.mark.parametrize("service", [None, "user-service"])
def test_traces_match(live, live_tempo, scenario, service):
    store = scenario.store
    start, end = scenario.start, scenario.end
    want = store.spans(start, end, service, limit_traces=TRACE_LIMIT)
    for backend in (live, live_tempo):
        got = backend.spans(start, end, service, limit_traces=TRACE_LIMIT)
        assert _spans(got) == _spans(want), backend.tempo
        _same_times(got, want)
        assert [s.start for s in got] == sorted(s.start for s in got)
    trace_id = want[-1].trace_id
    for backend in (live, live_tempo):
        assert _spans(backend.trace(trace_id)) == _spans(store.trace(trace_id))
        assert backend.trace("0" * 31 + "1") == []


def test_span_attributes_survive(live, live_tempo, scenario):
    store = scenario.store
    want = {s.span_id: s.attributes for s in store.spans(scenario.start, scenario.end, limit_traces=2)}
    for backend in (live, live_tempo):
        for span in backend.spans(scenario.start, scenario.end, limit_traces=2):
            assert span.attributes == want[span.span_id]


def test_changes_match(live, scenario):
    store = scenario.store
    end = scenario.end + 1

    def rows(changes):  # the API keeps whole seconds
        return sorted((d.service, int(d.time), d.change_type, d.version, d.previous_version, d.notes)
                      for d in changes)

    assert rows(live.deployments(0.0, end)) == rows(store.deployments(0.0, end))
    assert rows(live.deployments(scenario.start, end)) == rows(store.deployments(scenario.start, end))


def test_a_trace_id_never_leaves_its_path_segment(live, fakes):
    before = len(fakes["jaeger"].requests)
    assert live.trace("../../api/services") == [] and live.trace("abc?x=1") == []
    assert len(fakes["jaeger"].requests) == before
