"""Generating the incident in a forked child (the server's start-up path on Linux) gives the
same telemetry as generating it in process. The fork runs in a fresh interpreter: forking the
test process, with whatever threads earlier tests left, would not be safe."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mcp_server.backends import generation
from simulators import preset_spec, simulate
from telemetry.store import TelemetryStore
from tests.conftest import FIXED_END

ROOT = Path(__file__).resolve().parent.parent

CHILD_SCRIPT = """
import sys
from mcp_server.backends import generation
from simulators import resolve_spec

generation.CHILD_MAX_RECORDS = int(sys.argv[2])
steps = generation.in_child(sys.argv[1], None, 7)
try:
    incident = next(steps)
except ValueError as exc:
    print("invalid:", exc)
    raise SystemExit(0)
store = next(steps)
here = list(generation.in_process(lambda: resolve_spec(sys.argv[1], None, 7)))
assert incident == here[0], (incident, here[0])
assert repr(store.to_wire()) == repr(here[1].to_wire())  # repr: NaN marks silent samples
print("same", store.status().counts["log_lines"] > 0)
"""


def _run_child(preset: str, max_records: int) -> str:
    out = subprocess.run([sys.executable, "-c", CHILD_SCRIPT, preset, str(max_records)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.skipif(not generation.can_fork(), reason="the forked path exists on Linux only")
@pytest.mark.parametrize("max_records", [generation.CHILD_MAX_RECORDS, 0])  # 0: too big to copy back
def test_forked_generation_matches_in_process(max_records):
    assert _run_child("network_partition", max_records) == "same True"


@pytest.mark.skipif(not generation.can_fork(), reason="the forked path exists on Linux only")
def test_forked_generation_reports_an_invalid_spec():
    assert _run_child("nope", generation.CHILD_MAX_RECORDS).startswith("invalid: unknown scenario 'nope'")


def test_store_survives_the_trip_between_processes():
    store = simulate(preset_spec("network_partition", end_time=FIXED_END)).store
    copy = TelemetryStore.from_wire(store.to_wire())
    assert copy.log_records == store.log_records and copy.span_records == store.span_records
    assert repr(copy.series) == repr(store.series) and copy.alert_records == store.alert_records
    assert copy.deployment_records == store.deployment_records and copy.service_infos == store.service_infos
    start, end = store.time_range()
    assert copy.logs(start, end, "user-service") == store.logs(start, end, "user-service")


def test_a_scenario_loaded_during_start_up_is_not_replaced_by_the_start_up_one():
    import threading

    from mcp_server.backends.simulated import SimulatedBackend

    release = threading.Event()
    first = preset_spec("memory_leak", end_time=FIXED_END)

    def slow_spec():
        release.wait(30)
        return first

    backend = SimulatedBackend(slow_spec)
    loaded = preset_spec("network_partition", end_time=FIXED_END)
    backend.load(loaded, "preset")
    store, incident = backend.store, backend.incident_id
    release.set()  # the start-up generation finishes after the load...
    backend._loader.join(30)
    assert backend.store is store and backend.incident_id == incident == generation.incident_id(loaded)
