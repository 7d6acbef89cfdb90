"""The six agents, unchanged, on the live stack: `aiops-mcp` serves it over streamable HTTP
and the offline pipeline investigates whatever it serves."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import httpx2
import pytest

from agent_client import run_incident_response
from tests.live.serving import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.slow
def test_the_offline_pipeline_diagnoses_the_live_stack(stack_env):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")} | stack_env
    server = subprocess.Popen([sys.executable, "-m", "mcp_server.cli", "--transport", "streamable-http",
                               "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                httpx2.get(f"http://127.0.0.1:{port}/mcp", timeout=1.0)
                break
            except httpx2.TransportError:
                time.sleep(0.1)
        report = asyncio.run(run_incident_response(None, server_url=f"http://127.0.0.1:{port}/mcp",
                                                   model="offline"))
    finally:
        server.terminate()
        stderr = server.communicate(timeout=10)[1]
    assert "aiops-mcp: live stack: metrics: Prometheus" in stderr
    assert report.root_cause.service == "order-service" and report.root_cause.fault_type == "memory_leak"
    assert report.candidates[0].service == "order-service"
