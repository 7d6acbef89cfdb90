"""A live stack's reference period: with `reference_offset`, the same window that long ago is
what the analysis compares a window with. Logs in a fake Loki: a service whose requests have
left the path they took a day earlier ranks first, through the MCP tools; without the offset,
the same logs are no break."""

from __future__ import annotations

import time

import pytest
from mcp import Client

from mcp_server.backends import config
from mcp_server.backends.live import LiveBackend
from mcp_server.server import build_server
from mcp_server.state import ServerState
from telemetry.layout.logs import loki_push_body
from tests.live.fake_loki import FakeLoki
from tests.live.serving import serve
from tests.server_helpers import payload
from tests.test_request_paths import CUT_SHORT, NORMAL, request

pytestmark = pytest.mark.anyio
DAY = 86400.0


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="module")
def loki():
    """`shop` served 12 requests in the last 20 minutes, the last 6 cut short; a day earlier,
    12 requests on its normal path. `web` serves alike throughout."""
    now = time.time()
    logs = []
    for day in (0.0, DAY):
        for i in range(12):
            t = now - 1200.0 + 90.0 * i - day
            broken = day == 0.0 and i >= 6
            logs += request("shop", t, CUT_SHORT if broken else NORMAL)[0]
            logs += request("web", t + 30.0, NORMAL)[0]
    served = serve(FakeLoki(loki_push_body(sorted(logs, key=lambda r: r.time))).app)
    yield served
    served.stop()


async def _top(env: dict[str, str]) -> dict:
    backend = LiveBackend(config.load(None, env))
    try:
        async with Client(build_server(ServerState(backend=backend))) as client:
            status = payload(await client.call_tool("get_backend_status", {}))
            ranked = payload(await client.call_tool("correlate_signals", {"window_minutes": 30}))
    finally:
        backend.close()
    return {"status": status, "top": ranked["candidates"][0] if ranked["candidates"] else None}


async def test_a_window_is_compared_with_the_same_window_a_day_earlier(loki):
    found = await _top({"AIOPS_LOKI_URL": loki.url, "AIOPS_REFERENCE_OFFSET": "1d"})
    assert found["status"]["reference"]
    top = found["top"]
    assert top["service"] == "shop" and "request_path_broken" in top["signals"]
    assert any("did not log INFO c.s.Impl#20" in e for e in top["evidence"])


async def test_without_a_reference_offset_there_is_nothing_to_compare_with(loki):
    found = await _top({"AIOPS_LOKI_URL": loki.url})
    assert found["status"].get("reference") is None
    assert found["top"] is None or "request_path_broken" not in found["top"]["signals"]
