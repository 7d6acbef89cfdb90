"""Requests that left their normal path (analysis.request_paths), on hand-made traces: a
service's requests in a reference period and in a window, each a span with the lines it
logged. One case per rule of the module: breaks are found, the window's own before-and-after
is used, branches the reference knows, errors blaming another service and breaks explained
by a service further down are not the service's own, too few or too partial breaks are
nothing."""

import itertools

import pytest

from mcp_server.analysis import request_paths
from telemetry.records import LogRecord, Span

_ids = itertools.count(1)


def request(service: str, start: float, lines: list[tuple[str, str]], operation: str = "GET /item",
            trace: str | None = None) -> tuple[list[LogRecord], list[Span]]:
    """One request: an entry span of `service` and its lines (level, logger), a few ms apart."""
    trace = trace or f"{next(_ids):032x}"
    entry = Span(trace, f"{next(_ids):016x}", None, service, operation, "server", start, 50.0, False)
    logs = [LogRecord(start + 0.001 * (i + 1), service, level, f"step {logger}", "pod-0", logger, trace, entry.span_id)
            for i, (level, logger) in enumerate(lines)]
    return logs, [entry]


NORMAL = [("INFO", "c.s.Impl#10"), ("INFO", "c.s.Impl#20")]
CUT_SHORT = [("INFO", "c.s.Impl#10")]


def traffic(*requests) -> tuple[list[LogRecord], list[Span]]:
    logs, spans = [], []
    for found_logs, found_spans in requests:
        logs += found_logs
        spans += found_spans
    return sorted(logs, key=lambda r: r.time), sorted(spans, key=lambda s: s.start)


def breaks(reference, window, *, blames_another=None) -> dict:
    ref = request_paths.requests_of(*reference, blames_another=blames_another)
    win = request_paths.requests_of(*window, blames_another=blames_another)
    start, end = 0.0, 10_000.0
    return request_paths.path_breaks({s: request_paths.judged(q, start, end) for s, q in ref.items()},
                                     {s: request_paths.judged(q, 1000.0, 1e9) for s, q in win.items()})


def reference_of(service: str = "api", n: int = 20):
    return traffic(*(request(service, 100.0 + 10 * i, NORMAL) for i in range(n)))


def window_of(service: str, kinds: list):
    """Requests every 10 s from t=1010; `kinds` gives each one's lines."""
    return traffic(*(request(service, 1010.0 + 10 * i, lines) for i, lines in enumerate(kinds)))


def test_a_step_requests_no_longer_reach_is_a_missing_step_from_the_first_break():
    found = breaks(reference_of(), window_of("api", [NORMAL] * 10 + [CUT_SHORT] * 10))
    assert set(found) == {"api"}
    b = found["api"]
    assert b.kind == "missing_step" and b.rule[1] == "log INFO c.s.Impl#20"
    assert b.after == (10, 10) and b.onset == pytest.approx(1110.0, abs=0.1)
    assert b.p < 1e-6


def test_a_path_broken_for_the_whole_window_is_found_against_the_reference():
    found = breaks(reference_of(), window_of("api", [CUT_SHORT] * 8))
    assert found["api"].after == (8, 8) and found["api"].before == (0, 20)


def test_without_a_reference_the_windows_earlier_requests_are_the_normal_ones():
    found = breaks(traffic(), window_of("api", [NORMAL] * 12 + [CUT_SHORT] * 12))
    assert found["api"].kind == "missing_step" and found["api"].onset == pytest.approx(1130.0, abs=0.1)
    assert breaks(traffic(), window_of("api", [CUT_SHORT] * 24)) == {}  # broken before the window: unseen
    failing = [("INFO", "c.s.Impl#10"), ("ERROR", "c.s.Impl#15"), ("INFO", "c.s.Impl#20")]
    assert breaks(traffic(), window_of("api", [NORMAL] * 12 + [failing] * 12)) == {}  # the log analysis' part


def test_a_branch_the_reference_knows_is_not_a_break():
    branch = [("INFO", "c.s.Impl#10"), ("INFO", "c.s.Impl#30")]  # another way through the code
    reference = traffic(*(request("api", 100.0 + 10 * i, branch if i % 10 == 0 else NORMAL) for i in range(30)))
    assert breaks(reference, window_of("api", [NORMAL] * 5 + [branch] * 15)) == {}


def test_an_error_requests_did_not_log_before_is_a_new_error():
    failing = [("INFO", "c.s.Impl#10"), ("ERROR", "c.s.Impl#15"), ("INFO", "c.s.Impl#20")]
    found = breaks(reference_of(), window_of("api", [NORMAL] * 6 + [failing] * 6))
    assert found["api"].kind == "new_error" and found["api"].rule[1] == "log ERROR c.s.Impl#15"


def test_an_error_that_names_another_service_is_not_the_services_own():
    failing = [("INFO", "c.s.Impl#10"), ("ERROR", "c.s.Client#99")]
    window = window_of("api", [NORMAL] * 6 + [failing] * 6)
    assert "api" in breaks(reference_of(), window)
    assert breaks(reference_of(), window, blames_another=lambda line: line.logger == "c.s.Client#99") == {}


def test_a_break_under_which_a_called_service_broke_is_explained_by_it():
    # api calls db in every request; from the seventh on api's requests are cut short, and db's too.
    reference = traffic(*(_api_calling_db(100.0 + 10 * i, False, False) for i in range(20)))

    def window(db_breaks: bool):
        return traffic(*(_api_calling_db(1010.0 + 10 * i, i >= 6, db_breaks and i >= 6) for i in range(12)))

    assert set(breaks(reference, window(db_breaks=False))) == {"api"}
    assert set(breaks(reference, window(db_breaks=True))) == {"db"}


def _api_calling_db(start: float, api_broken: bool, db_broken: bool):
    api_logs, api_spans = request("api", start, CUT_SHORT if api_broken else NORMAL)
    db_logs, db_spans = request("db", start + 0.5, CUT_SHORT if db_broken else NORMAL, operation="GET /dep",
                                trace=api_spans[0].trace_id)
    db_spans[0].parent_id = api_spans[0].span_id
    return api_logs + db_logs, api_spans + db_spans


@pytest.mark.parametrize("kinds", [
    [NORMAL] * 10 + [CUT_SHORT] * 2,  # two breaks are chance
    [NORMAL, NORMAL, CUT_SHORT] * 8,  # a third of the requests: a mix, not a broken path
])
def test_too_few_or_too_partial_breaks_are_nothing(kinds):
    assert breaks(reference_of(), window_of("api", kinds)) == {}


def test_requests_at_the_edges_of_a_window_are_not_judged():
    found = request_paths.requests_of(*window_of("api", [NORMAL] * 3))["api"]
    assert [q.start for q in request_paths.judged(found, 1010.0, 1034.0)] == [1020.0]


def test_a_logger_naming_a_line_is_the_statement_otherwise_its_template_is():
    from mcp_server.analysis.log_templates import TemplateCache

    cache = TemplateCache()
    line = LogRecord(0.0, "api", "INFO", "found 3 items for user 42", "pod", "c.s.Impl#10")
    assert request_paths.statement(line, cache) == "log INFO c.s.Impl#10"
    named = LogRecord(0.0, "api", "INFO", "found 3 items for user 42", "pod", "checkout")
    assert request_paths.statement(named, cache) == "log INFO checkout found <num> items for user <num>"


def test_a_reference_that_cannot_be_fetched_is_done_without():
    from mcp_server.investigation import Investigation
    from telemetry.backend import BackendError
    from telemetry.records import ServiceInfo
    from telemetry.store import TelemetryStore

    class Unreachable:
        def logs(self, *args, **kwargs):
            raise BackendError("Loki: connection refused")

        def spans(self, *args, **kwargs):
            raise BackendError("Tempo: connection refused")

    logs, spans = window_of("api", [NORMAL] * 12 + [CUT_SHORT] * 12)
    store = TelemetryStore("test", [ServiceInfo("api", "service", (), 1)], 1000.0, 1300.0, log_records=logs,
                           span_records=spans)
    store.reference = lambda start, end: (Unreachable(), 0.0, 500.0)
    found = Investigation(store, 1000.0, 1300.0).path_breaks
    assert found["api"].kind == "missing_step"  # from the window's own earlier requests


@pytest.mark.parametrize(("level", "broken"), [("INFO", True), ("WARN", False)])
def test_a_statement_that_stopped_is_a_broken_path_unless_it_was_a_complaint(level, broken):
    """`api` logs two lines a second for ten minutes, then only one: the statement that stopped
    is a step its requests no longer reach, if it was normal work; if it was a warning, the
    trouble it warned about ended."""
    from mcp_server.analysis import log_signals

    lines = []
    for i in range(1200):
        t = 1000.0 + i * 0.5
        lines.append(LogRecord(t, "api", "INFO", "served request", "pod-0", "c.s.Api#5"))
        if i < 600:
            lines.append(LogRecord(t + 0.1, "api", level, "retrying the call", "pod-0", "c.s.Api#9"))
    found = log_signals.stopped_statements(lines, log_signals.buckets_of(lines))
    assert ("api" in found) == broken
