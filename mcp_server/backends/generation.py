"""Where the simulated incident is generated: in this process, or in a forked child.

Both are iterators of two steps, consumed by the backend's loader thread: the incident id
(raising if the spec is invalid), then the telemetry store. At server start-up on Linux the
child runs on another core while this process imports the MCP SDK; a thread cannot, since
both are pure Python under one interpreter lock.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from collections.abc import Callable, Iterator

from telemetry.store import TelemetryStore

# Above this many expected records, copying the store between processes costs about as much
# as generating it again, and the parent would hold two copies while it decodes: generate here.
CHILD_MAX_RECORDS = 200_000


def incident_id(spec) -> str:
    """An opaque id: the scenario's name and description never reach a client."""
    return "inc-" + hashlib.sha256(spec.model_dump_json().encode()).hexdigest()[:10]


def in_process(spec_factory: Callable) -> Iterator:
    spec = spec_factory()
    yield incident_id(spec)
    from simulators import simulate

    yield simulate(spec).store


def expected_records(spec) -> int:
    """About how many log lines and spans `spec` makes."""
    per_minute = spec.volume.log_lines_per_minute + 4 * spec.volume.traces_per_minute  # ~4 spans a trace
    return len(spec.resolved_topology().services) * spec.duration_minutes * per_minute


def can_fork() -> bool:
    # Forking is safe only before threads exist and while little is imported; macOS system
    # libraries are not fork-safe, so Linux only.
    return sys.platform == "linux" and hasattr(os, "fork")


def in_child(scenario: str | None, scenario_file: str | None, seed: int | None) -> Iterator:
    """Fork now (call before starting any thread); the returned iterator reads the child's
    results."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns, never touches stdin or stdout
        status = 1
        try:
            os.close(read_fd)
            with os.fdopen(write_fd, "wb") as out:
                for message in _child_steps(scenario, scenario_file, seed):
                    pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
                    out.flush()
            status = 0
        finally:
            os._exit(status)
    os.close(write_fd)
    return _parent_steps(pid, read_fd, lambda: resolve(scenario, scenario_file, seed))


def resolve(scenario: str | None, scenario_file: str | None, seed: int | None):
    from simulators import resolve_spec

    return resolve_spec(scenario, scenario_file, seed)


def _child_steps(scenario, scenario_file, seed) -> Iterator[tuple[str, object]]:
    try:
        spec = resolve(scenario, scenario_file, seed)
    except Exception as exc:
        yield "invalid", str(exc)
        return
    yield "incident", incident_id(spec)
    if expected_records(spec) > CHILD_MAX_RECORDS:
        yield "too_big", None
        return
    try:
        from simulators import simulate

        store = simulate(spec).store
    except Exception as exc:
        yield "failed", f"{type(exc).__name__}: {exc}"
        return
    yield "store", store.to_wire()


def _parent_steps(pid: int, read_fd: int, resolve: Callable) -> Iterator:
    try:
        with os.fdopen(read_fd, "rb") as source:
            kind, value = _receive(source)
            if kind == "invalid":
                raise ValueError(value)
            yield value
            kind, value = _receive(source)
        if kind == "store":
            yield TelemetryStore.from_wire(value)
        elif kind == "too_big":
            from simulators import simulate

            yield simulate(resolve()).store
        else:
            raise RuntimeError(value)
    finally:
        os.waitpid(pid, 0)


def _receive(source) -> tuple[str, object]:
    try:
        return pickle.load(source)
    except EOFError:
        raise RuntimeError("the scenario generator process exited unexpectedly") from None
