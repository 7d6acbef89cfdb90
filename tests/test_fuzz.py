"""Hostile tool calls from a seeded generator: huge strings, unknown keys, wrong types, control
characters, deep JSON. The server must answer every one, quickly, within the size cap."""

import json
import random
import time

import anyio
import pytest
from mcp import Client

from tests.server_helpers import make_server

pytestmark = [pytest.mark.slow, pytest.mark.anyio]
CALLS = 2000
CAP = 100_000


@pytest.fixture
def anyio_backend():
    return "asyncio"


def _deep(depth: int):
    value: object = "x"
    for _ in range(depth):
        value = {"a": [value]}
    return value


def _hostile(rng: random.Random):
    return rng.choice([
        lambda: "x" * rng.choice([1000, 100_000, 2_000_000]),
        lambda: "".join(chr(rng.randrange(0, 32)) for _ in range(50)),
        lambda: "\u202e\ufeff" + "é" * 500,
        lambda: rng.choice([None, True, False, -1, 0, 2**63, 1e308, -1e-308]),
        lambda: [rng.random() for _ in range(rng.choice([1, 1000]))],
        lambda: _deep(rng.choice([5, 50, 120])),  # deeper cannot even be sent (the client refuses)
        lambda: "now-99999999d",
        lambda: "o:" + "9" * 40,
        lambda: "user-service",
    ])()


async def test_hostile_arguments_never_crash_hang_or_overflow():
    srv, _ = make_server()
    rng = random.Random(2026)
    async with Client(srv) as client:
        tools = [t for t in (await client.list_tools()).tools if t.name != "load_scenario"]
        worst = 0.0
        for n in range(CALLS):
            tool = rng.choice(tools)
            names = list(tool.input_schema["properties"]) + ["window", "__proto__", "x" * 300]
            args = {rng.choice(names): _hostile(rng) for _ in range(rng.choice([0, 1, 2, 3, 130]))}
            started = time.perf_counter()
            with anyio.fail_after(20):
                result = await client.call_tool(tool.name, args)
            worst = max(worst, time.perf_counter() - started)
            body = result.content[0].text
            assert len(body) <= CAP, f"{tool.name}: {len(body)} characters"
            if not result.is_error:
                json.loads(body)
        assert (await client.call_tool("get_backend_status", {})).is_error is False
    assert worst < 20
