"""Tool registration that starts fast.

MCPServer derives each tool's argument model and JSON schemas from its signature when the
tool is registered: a fifth of a second or more for our tools, on every start, ahead of the
first answer. Those schemas depend only on the source and the library versions, so they are
cached beside the bytecode (`__pycache__`, keyed like bytecode by the sources' sizes and
modification times, and by the library versions) and a cached tool builds
its argument model on its first call instead. A missing, stale or unwritable cache only means
the slow path; the advertised schemas are the same either way (tested).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import pydantic
import pydantic_core
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import func_metadata

from .schemas import compact_output_schema, compact_schema

ROOT = Path(__file__).resolve().parent.parent
# Everything a tool schema can be derived from.
SOURCE_DIRS = ("mcp_server", "guardrails", "telemetry")


class ToolCollector:
    """Takes the place of the server while the tool modules register their tools."""

    def __init__(self) -> None:
        self.entries: list[tuple[Callable, dict[str, Any]]] = []

    def tool(self, **options: Any) -> Callable[[Callable], Callable]:
        def decorator(fn: Callable) -> Callable:
            self.entries.append((fn, options))
            return fn

        return decorator


def build_tools(collector: ToolCollector) -> list[Tool]:
    cache_file = _cache_file()
    cached = _read(cache_file)
    tools = []
    learned = {}
    for fn, options in collector.entries:
        name = options.get("name") or fn.__name__
        entry = cached.get(name)
        if entry is None:
            tool = _full_tool(fn, options)
            learned[name] = {"parameters": tool.parameters, "output_schema": tool.output_schema,
                             "context_kwarg": tool.context_kwarg, "is_async": tool.is_async,
                             "plain": not tool.resolved_params}
        elif entry["plain"]:
            tool = _lazy_tool(fn, name, options, entry)
        else:  # resolver parameters need the full registration
            tool = _full_tool(fn, options)
        tools.append(tool)
    if learned:
        _write(cache_file, {**cached, **learned})
    return tools


def _full_tool(fn: Callable, options: dict[str, Any]) -> Tool:
    tool = Tool.from_function(fn, **options)
    tool.parameters = compact_schema(tool.parameters, optional_nulls=True)
    _compact_in_place(tool.output_schema)
    return tool


def _compact_in_place(schema: dict | None) -> None:
    """In place: the tool's advertised output schema is the SDK's own result schema object."""
    if schema:
        compact = compact_output_schema(schema)
        schema.clear()
        schema.update(compact)


class _LazyMetadata:
    """The SDK's function metadata (argument model, result conversion), built on first use."""

    def __init__(self, fn: Callable, context_kwarg: str | None) -> None:
        self._fn = fn
        self._skip = [context_kwarg] if context_kwarg else []

    @cached_property
    def _real(self):
        meta = func_metadata(self._fn, skip_names=self._skip)
        _compact_in_place(meta.output_schema)
        return meta

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _lazy_tool(fn: Callable, name: str, options: dict[str, Any], entry: dict) -> Tool:
    tool = Tool.model_construct(
        fn=fn, name=name, title=options.get("title"), description=options.get("description") or fn.__doc__ or "",
        parameters=entry["parameters"], fn_metadata=_LazyMetadata(fn, entry["context_kwarg"]),
        is_async=entry["is_async"],
        context_kwarg=entry["context_kwarg"], resolved_params={}, resolver_plans={},
        annotations=options.get("annotations"), icons=options.get("icons"), meta=options.get("meta"))
    tool.__dict__["output_schema"] = entry["output_schema"]  # fills Tool.output_schema's cache
    return tool


def _fingerprint() -> str:
    digest = hashlib.sha256()
    # pydantic's versions are attributes; importlib.metadata, slow to ask, only for mcp.
    digest.update(f"mcp={metadata.version('mcp')};{pydantic.VERSION};{pydantic_core.__version__};".encode())
    digest.update(sys.version.encode())
    for folder in SOURCE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            st = path.stat()  # as for bytecode: size and modification time, not a read of every file
            digest.update(f"{path.relative_to(ROOT).as_posix()}:{st.st_size}:{st.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def _cache_file() -> Path | None:
    if os.environ.get("AIOPS_MCP_SCHEMA_CACHE", "1") == "0":
        return None
    try:
        return Path(__file__).parent / "__pycache__" / f"tool-schemas-{_fingerprint()}.json"
    except OSError:
        return None


def _read(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: Path | None, data: dict) -> None:
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, separators=(",", ":")))
        os.replace(tmp, path)  # whole files only, whoever else is starting
        for stale in path.parent.glob("tool-schemas-*.json"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError:
        pass
