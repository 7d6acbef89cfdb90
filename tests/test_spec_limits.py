"""Specs are untrusted input: files read only up to a size, nesting limited, numbers finite,
times sane, and what a spec would generate checked against a memory budget before generation.
Every refusal is one line: a SpecError, exit status 2 from either CLI, a tool error from
load_scenario."""

import json
import time
from pathlib import Path

import pytest
from mcp import Client

from agent_client.cli import main as agent_main
from mcp_server.cli import main as server_main
from simulators import SpecError, load_spec, parse_spec, preset_spec, simulate
from simulators.spec import MAX_SPEC_BYTES
from simulators.topology import generate_topology
from simulators.volume import MAX_SCENARIO_BYTES, estimate
from tests.conftest import FIXED_END
from tests.server_helpers import make_server

HUGE = {"duration_minutes": 7 * 24 * 60, "resolution_seconds": 5, "end_time": FIXED_END,
        "topology": generate_topology(2000, seed=1).model_dump()}


def _deep_json(depth: int) -> str:
    return '{"name": ' + "[" * depth + "]" * depth + "}"


def _refused(data) -> str:
    with pytest.raises(SpecError) as info:
        parse_spec(data)
    message = str(info.value)
    assert "\n" not in message and len(message) < 600, message
    return message


@pytest.mark.parametrize(("field", "value"), [("start_minute", float("inf")), ("start_minute", float("nan")),
                                              ("duration_minutes", 1e308), ("duration_minutes", float("inf"))])
def test_numbers_must_be_finite_and_bounded(field, value):
    fault = {"type": "memory_leak", "service": "order-service", "start_minute": 5, field: value}
    assert f"faults[0].{field}" in _refused({"faults": [fault]})


def test_infinity_written_in_json_and_toml_is_refused(tmp_path):
    (tmp_path / "a.json").write_text('{"volume": {"log_lines_per_minute": Infinity}}')
    (tmp_path / "b.toml").write_text("[volume]\ntraces_per_minute = inf\n")
    for name in ("a.json", "b.toml"):
        with pytest.raises(SpecError, match="volume"):
            load_spec(tmp_path / name)


@pytest.mark.parametrize("end_time", ["0001-01-01T00:00:00Z", "1969-12-31T00:00:00Z"])
def test_times_are_sane(end_time):
    assert "end_time" in _refused({"end_time": end_time})


def test_a_huge_seed_is_refused():
    assert "seed" in _refused({"seed": 10**40})


def test_deep_nesting_is_refused_in_json_toml_and_data(tmp_path):
    (tmp_path / "deep.json").write_text(_deep_json(100_000))
    (tmp_path / "deep.toml").write_text("name = " + "[" * 100_000 + "]" * 100_000 + "\n")
    for name in ("deep.json", "deep.toml"):
        with pytest.raises(SpecError, match="nested"):
            load_spec(tmp_path / name)
    data: object = "x"
    for _ in range(100_000):
        data = [data]
    assert "nested" in _refused({"name": data})



def test_files_are_read_only_up_to_a_size(tmp_path):
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"name": "x" * (MAX_SPEC_BYTES + 10)}))
    with pytest.raises(SpecError, match="larger than"):
        load_spec(big)
    started = time.perf_counter()
    with pytest.raises(SpecError, match="larger than"):
        load_spec("/dev/zero")
    assert time.perf_counter() - started < 2


def test_a_spec_too_large_for_memory_is_refused_before_generation():
    started = time.perf_counter()
    message = _refused(HUGE)
    assert "too large" in message and "metric samples" in message and "GB" in message
    assert time.perf_counter() - started < 5


def test_the_large_benchmark_scenario_and_the_presets_fit():
    topo = generate_topology(100, seed=3)
    large = parse_spec({"duration_minutes": 1440, "end_time": FIXED_END, "topology": topo.model_dump(),
                        "volume": {"log_lines_per_minute": 6, "traces_per_minute": 15}})
    assert estimate(large).bytes < MAX_SCENARIO_BYTES
    for name in ("memory_leak", "no_incident"):
        preset_spec(name)


def test_the_estimate_does_not_undercount():
    for spec in (preset_spec("memory_leak", end_time=FIXED_END),
                 parse_spec({"duration_minutes": 30, "end_time": FIXED_END, "topology": generate_topology(20, seed=3)
                             .model_dump(), "volume": {"log_lines_per_minute": 50, "traces_per_minute": 100}})):
        store, guess = simulate(spec).store, estimate(spec)
        assert guess.metric_samples >= sum(len(s.values) for s in store.series.values())
        assert guess.log_lines >= len(store.log_records) and guess.spans >= len(store.span_records)


def test_both_clis_refuse_bad_specs_with_one_line_and_status_2(tmp_path, capsys):
    deep = tmp_path / "deep.json"
    deep.write_text(_deep_json(100_000))
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps(HUGE))
    for argv in (["--scenario-file", "/dev/zero"], ["--scenario-file", str(deep)],
                 ["export", "--scenario-file", str(huge), "--out", str(tmp_path / "out")]):
        assert server_main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("aiops-mcp") and err.count("\n") == 1 and "Traceback" not in err, err
    for path in ("/dev/zero", str(deep), str(huge)):
        assert agent_main(["run", "--scenario-file", path]) == 2
        err = capsys.readouterr().err
        assert err.startswith("aiops-agent:") and err.count("\n") == 1, err
    assert not Path(tmp_path / "out").exists()


@pytest.mark.anyio
async def test_load_scenario_answers_a_tool_error():
    srv, _ = make_server()
    async with Client(srv) as client:
        result = await client.call_tool("load_scenario", {"spec": HUGE})
        assert result.is_error and "too large" in result.content[0].text
        result = await client.call_tool("load_scenario", {"spec": {"end_time": "0001-01-01T00:00:00Z"}})
        assert result.is_error and "end_time" in result.content[0].text


@pytest.fixture
def anyio_backend():
    return "asyncio"
