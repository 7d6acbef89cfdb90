"""The server through the Node MCP tools hosts are tested with: the Inspector's schema
portability lint (--strict) over stdio, and the conformance suite over streamable HTTP."""

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.node_tools import CONFORMANCE, INSPECTOR, NODE, require

pytestmark = pytest.mark.slow

# The conformance scenarios for a server of tools, resources and prompts. The others call the
# suite's own fixture tools and resources (test_simple_text, test://static-text, ...), or the
# logging and sampling capabilities the 2026-07-28 spec deprecates.
SCENARIOS = ("server-initialize", "ping", "completion-complete", "tools-list", "resources-list", "prompts-list",
             "server-sse-multiple-streams", "dns-rebinding-protection")


def test_inspector_strict_finds_no_portability_problem():
    require(INSPECTOR)
    proc = subprocess.run([str(NODE), str(INSPECTOR), "--cli", sys.executable, "-m", "mcp_server.cli",
                           "--scenario", "cpu_spike", "--method", "tools/list", "--strict"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Warning" not in proc.stderr and "Error" not in proc.stderr, proc.stderr[-2000:]
    assert len(json.loads(proc.stdout)["tools"]) >= 17


def test_conformance_scenarios_pass(http_server):
    require(CONFORMANCE)
    for scenario in SCENARIOS:
        proc = subprocess.run([str(NODE), str(CONFORMANCE), "server", "--url", http_server, "--scenario", scenario],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0 and "0 failed" in proc.stdout, f"{scenario}: {proc.stdout[-1500:]}"
