"""Reading Prometheus' range-query answers: one series at a time onto the analysis grid, with
whatever spacing and key order a compatible engine writes, and a clear error for anything
that is not a matrix."""

from __future__ import annotations

import json
import math

import pytest

from mcp_server.backends import config
from mcp_server.backends.prometheus import Prometheus
from telemetry.backend import BackendError

SERIES = [
    {"metric": {"service": "checkout", "note": 'a "result":[ inside a label'}, "values": [[60, "1.5"], [120, "NaN"]]},
    {"metric": {"service": "cart"}, "values": [[0, "2"], [120, "+Inf"]]},
]


def _answering(body: bytes) -> Prometheus:
    cfg = config.load(None, {"AIOPS_PROMETHEUS_URL": "http://127.0.0.1:9"})
    prom = Prometheus(cfg.prometheus, "service")
    prom.http.get = lambda path, params=None, **_: body  # what the engine answered
    return prom


def _grid(prom: Prometheus) -> dict[str, list[float]]:
    return {labels["service"]: list(values) for labels, values in prom.query_grid("up", 0.0, 60.0, 3)}


@pytest.mark.parametrize("body", [
    json.dumps({"status": "success", "data": {"resultType": "matrix", "result": SERIES}}, separators=(",", ":")),
    json.dumps({"data": {"result": SERIES, "resultType": "matrix"}, "status": "success", "warnings": ["slow"]},
               indent=2),
])
def test_a_matrix_is_read_onto_the_grid_whatever_its_layout(body):
    prom = _answering(body.encode())
    got = _grid(prom)
    assert got["cart"][0] == 2.0 and math.isnan(got["cart"][1]) and got["cart"][2] == math.inf
    assert math.isnan(got["checkout"][0]) and got["checkout"][1] == 1.5 and math.isnan(got["checkout"][2])
    labels = {labels["service"]: labels for labels, _ in prom.query_range("up", 0.0, 120.0, 60.0)}
    assert labels["checkout"]["note"] == 'a "result":[ inside a label'


def test_an_empty_matrix_is_no_series():
    assert _grid(_answering(b'{"status":"success","data":{"resultType":"matrix","result":[]}}')) == {}


@pytest.mark.parametrize("body,message", [
    (b'{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[0,"1"]', "malformed matrix"),
    (b'{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[]} x]}}', "malformed matrix"),
    (b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[0,"1"]}]}}',
     "malformed matrix"),
    (b'{"status":"error","errorType":"bad_data","error":"parse error"}', "without a `success` status"),
    (b'{"status":"error","data":{"resultType":"matrix","result":[]}}', "without a `success` status"),
    (b"<html>login</html>", "malformed JSON"),
    (b'{"status":"success","data":{}}', "without a `result`"),
])
def test_anything_else_is_a_clear_error(body, message):
    with pytest.raises(BackendError, match=message) as caught:
        _grid(_answering(body))
    assert "Prometheus at http://127.0.0.1:9/api/v1/query_range" in str(caught.value)


def test_the_step_grows_with_the_window_and_with_the_number_of_services():
    prom = _answering(b"")
    assert prom.step_for(3600, 1) == 15.0  # the configured step, the scrape interval
    assert prom.step_for(3600, 125) == 15.0  # 125 x 240 values: within max_samples
    assert prom.step_for(3600, 250) == 30.0
    assert prom.step_for(40 * 3600, 1) == 75.0  # 9,600 steps of 15 s: at most max_points a series
