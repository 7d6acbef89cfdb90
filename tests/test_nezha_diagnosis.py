"""Real incidents diagnosed through the protocol: a few faults of each Nezha system, pulled out
of the dataset's archives, imported, served by `aiops-mcp --data`, ranked by
`correlate_signals` over stdio. One fault per kind of evidence: a saturated CPU, a delay on the
network (OnlineBoutique: per-edge latency), code that fails (TrainTicket: its logs), and code
that has been failing since before the window began (TrainTicket: its requests against the
fault-free phase, the case's reference)."""

import json
import sys

import pytest
from mcp import Client, StdioServerParameters

from importers.nezha import import_nezha
from tests.conftest import ROOT
from tests.test_nezha_import import DATASET, _archive, _extract_sample

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

FAULTS = [  # (archive, day, inject_time, the service at fault)
    ("ob-2022-08-22.tar.xz", "2022-08-22", "2022-08-22 06:01:18", "paymentservice"),  # cpu_contention
    ("ob-2022-08-22.tar.xz", "2022-08-22", "2022-08-22 07:17:55", "shippingservice"),  # network_delay
    ("tt-2023-01-29.tar.xz", "2023-01-29", "2023-01-29 09:21:39", "ts-basic-service"),  # return
    ("tt-2023-01-29.tar.xz", "2023-01-29", "2023-01-29 10:50:16", "ts-travel2-service"),  # exception, third time
]


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.parametrize(("archive", "day", "inject_time", "culprit"), FAULTS)
async def test_the_faulty_service_ranks_first(archive, day, inject_time, culprit, tmp_path):
    day_dir = _extract_sample(_archive(archive), day, inject_time, tmp_path / "src")
    case = import_nezha(day_dir, tmp_path / "cases", labels=DATASET / "common.tar.xz")[-1]
    params = StdioServerParameters(command=sys.executable, args=["-m", "mcp_server.cli", "--data", str(case.path)],
                                   cwd=str(ROOT))
    async with Client(params) as client:
        ranked = json.loads((await client.call_tool("correlate_signals", {"window_minutes": 60})).content[0].text)
    assert ranked["candidates"][0]["service"] == culprit, ranked["candidates"][:3]
    assert {"alerts", "changes"} <= set(ranked["absent"])  # the dataset has neither
    if inject_time.endswith("10:50:16"):
        assert "request_path_broken" in ranked["candidates"][0]["signals"]
