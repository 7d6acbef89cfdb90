"""The in-memory store's bounded queries: what every backend must answer the same way."""

from array import array

from telemetry.records import LogRecord, MetricSeries, ServiceInfo, Span
from telemetry.store import TelemetryStore


def _store() -> TelemetryStore:
    logs = [LogRecord(float(t), "a" if t % 2 else "b", "ERROR" if t % 3 == 0 else "INFO", f"line {t} Timeout",
                      "a-1", "app", trace_id=f"t{t % 4}") for t in range(60)]
    spans = [Span(f"t{k}", f"s{k}-{j}", None if j == 0 else f"s{k}-0", svc, "op", "server", 10.0 * k + j, 5.0, False)
             for k in range(5) for j, svc in enumerate(("a", "b") if k % 2 else ("a",))]
    series = {("a", "cpu"): MetricSeries("a", "cpu", "percent", 0.0, 15.0, array("d", range(4))),
              ("b", "cpu"): MetricSeries("b", "cpu", "percent", 0.0, 15.0, array("d", range(4)))}
    return TelemetryStore("test", [ServiceInfo("a", "service", ("b",), 1), ServiceInfo("b", "service", (), 1)],
                          0.0, 60.0, log_records=logs, series=series, span_records=spans)


def test_logs_filters_and_keeps_the_newest_within_a_limit():
    store = _store()
    errors = store.logs(0, 60, levels=("ERROR",), limit=3)
    assert [r.time for r in errors] == [51.0, 54.0, 57.0]  # oldest first, the newest three
    assert all(r.level == "ERROR" for r in store.logs(0, 60, "a", levels=("ERROR",)))
    assert [r.time for r in store.logs(0, 60, contains="LINE 5", limit=10)] == [float(t) for t in range(50, 60)]
    assert {r.trace_id for r in store.logs(0, 60, trace_id="t1")} == {"t1"}
    assert len(store.logs(0, 60, limit=7)) == 7


def test_log_counts_bucket_lines_by_service_and_level():
    counts = _store().log_counts(0, 60, 30)
    assert sum(map(sum, counts.values())) == 60
    assert counts[("a", "ERROR")] == [5, 5]  # odd multiples of 3 in each half
    assert set(_store().log_counts(0, 60, 30, "b")) == {("b", "ERROR"), ("b", "INFO")}
    inside = _store().log_counts(10, 45, 10)  # buckets [10, 20) ... [40, 45): the last one ends with the window
    assert sum(map(sum, inside.values())) == 35
    assert inside[("a", "INFO")] == [4, 3, 3, 2]  # odd, not multiples of 3: 11 13 17 19 | 23 25 29 | 31 35 37 | 41 43


def test_spans_are_whole_traces_and_a_limit_keeps_the_newest():
    store = _store()
    assert {s.trace_id for s in store.spans(0, 60, "b")} == {"t1", "t3"}
    assert len(store.spans(0, 60, "b")) == 4  # both spans of each trace, not only b's
    assert {s.trace_id for s in store.spans(0, 60, limit_traces=2)} == {"t3", "t4"}


def test_metrics_by_service_answer_for_every_service_at_once():
    found = _store().metrics_by_service(["cpu", "nope"], 15, 60)
    assert set(found["cpu"]) == {"a", "b"} and list(found["cpu"]["a"].values) == [1.0, 2.0, 3.0]
    assert found["nope"] == {}
