"""Tool registration that starts fast.

MCPServer derives each tool's argument model and JSON schemas from its signature when the
tool is registered: a fifth of a second or more for our tools, on every start, ahead of the
first answer. Those schemas depend only on the source and the library versions, so they are
cached beside the bytecode (`__pycache__`, keyed like bytecode by the sources' sizes and
modification times, and by the library versions), together with each tool's title,
description, annotations and module. From a complete cache the server lists its tools without
importing a single tool module; a module is imported, and its tools bound to the server state,
on the first call of one of them, and the tool's argument model is built then. A missing,
stale or unwritable cache only means the slow path; the tools are the same either way (tested).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import os
import sys
import threading
from collections.abc import Callable
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import pydantic
import pydantic_core
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import func_metadata
from mcp.types import ToolAnnotations

from .schemas import compact_output_schema, compact_schema

ROOT = Path(__file__).resolve().parent.parent
# Everything a tool schema can be derived from.
SOURCE_DIRS = ("mcp_server", "guardrails", "telemetry")


def _name(fn: Callable, options: dict[str, Any]) -> str:
    return options.get("name") or fn.__name__


def on_event_loop(tools: list[Tool]) -> list[Tool]:
    """Have the event loop call the (synchronous) tools itself instead of handing each call to
    a worker thread. For a server with one client (stdio) this is the better deal: calls are
    answered one at a time, as one pipe delivers them anyway, and never wait on thread
    hand-offs under the interpreter lock (6% of an evaluation case, measured in paired runs).
    Over HTTP, where one slow call would hold up other clients, tools keep their threads."""
    for tool in tools:
        if not tool.is_async:
            tool.fn, tool.is_async = _awaitable(tool.fn), True
    return tools


def _awaitable(fn: Callable) -> Callable:
    @functools.wraps(fn)
    async def call(**kwargs: Any) -> Any:
        return fn(**kwargs)

    return call


class ToolCollector:
    """Takes the place of the server while the tool modules register their tools."""

    def __init__(self) -> None:
        self.entries: list[tuple[Callable, dict[str, Any]]] = []
        self.origin: dict[str, str] = {}  # tool name -> module that registered it

    def register(self, module_name: str, state) -> None:
        before = len(self.entries)
        importlib.import_module(module_name).register(self, state)
        for fn, options in self.entries[before:]:
            self.origin[_name(fn, options)] = module_name

    def tool(self, **options: Any) -> Callable[[Callable], Callable]:
        def decorator(fn: Callable) -> Callable:
            self.entries.append((fn, options))
            return fn

        return decorator


TOOL_MODULES = ("alerts", "logs", "metrics", "correlation", "traces", "deployments", "remediation", "reporting",
                "status")


def load_tools(state) -> list[Tool]:
    """Every tool, bound to `state`. From a complete cache no tool module is even imported:
    each is imported, and its tools bound, on the first call of one of them."""
    cache_file = _cache_file()
    cached = _read(cache_file)
    if cached and all(entry.get("listing") for entry in cached.values()):
        modules = _Modules(state)
        return [_lazy_tool(name, entry, modules=modules) for name, entry in cached.items()]
    collector = ToolCollector()
    for module in TOOL_MODULES:
        collector.register(f"{__package__}.tools.{module}", state)
    return build_tools(collector, cache_file, cached)


class _Modules:
    """Tool modules imported, and their tools bound to the state, on first use."""

    def __init__(self, state) -> None:
        self._state = state
        self._functions: dict[str, Callable] = {}
        self._lock = threading.Lock()

    def function(self, module: str, name: str) -> Callable:
        fn = self._functions.get(name)
        if fn is None:
            with self._lock:
                if name not in self._functions:
                    collector = ToolCollector()
                    collector.register(module, self._state)
                    for tool_fn, options in collector.entries:
                        self._functions.setdefault(_name(tool_fn, options), tool_fn)
                fn = self._functions[name]
        return fn


def build_tools(collector: ToolCollector, cache_file: Path | None = None, cached: dict | None = None) -> list[Tool]:
    cached = cached or {}
    tools = []
    learned = {}
    for fn, options in collector.entries:
        name = _name(fn, options)
        entry = cached.get(name)
        if entry is None:
            tool = _full_tool(fn, options)
            learned[name] = {"parameters": tool.parameters, "output_schema": tool.output_schema,
                             "context_kwarg": tool.context_kwarg, "is_async": tool.is_async,
                             "plain": not tool.resolved_params, "listing": _listing(tool, collector.origin[name])}
        elif entry["plain"]:
            tool = _lazy_tool(name, entry, fn=fn, options=options)
        else:  # resolver parameters need the full registration
            tool = _full_tool(fn, options)
        tools.append(tool)
    if learned:
        _write(cache_file, {**cached, **learned})
    return tools


def _listing(tool: Tool, module: str) -> dict | None:
    """What tools/list says of a tool, beyond its schemas; None where it cannot be served
    without the module (async or resolver-based tools, icons, metadata)."""
    if tool.is_async or tool.resolved_params or tool.context_kwarg or tool.icons or tool.meta:
        return None
    return {"module": module, "title": tool.title, "description": tool.description,
            "annotations": tool.annotations.model_dump(exclude_none=True) if tool.annotations else None}


def _full_tool(fn: Callable, options: dict[str, Any]) -> Tool:
    tool = Tool.from_function(fn, **options)
    tool.parameters = compact_schema(tool.parameters, optional_nulls=True)
    _compact_in_place(tool.output_schema)
    if getattr(fn, "dumps_model", False):
        tool.fn_metadata.output_model = None  # as in _LazyMetadata: no second validation
    return tool


def _compact_in_place(schema: dict | None) -> None:
    """In place: the tool's advertised output schema is the SDK's own result schema object."""
    if schema:
        compact = compact_output_schema(schema)
        schema.clear()
        schema.update(compact)


class _LazyMetadata:
    """The SDK's function metadata (argument model, result conversion), built on first use,
    after which it takes this stand-in's place on the tool.

    For a tool whose result is the dump of a validated model (`tools.common.tool_body`), the
    cached output schema is published as it is, and the SDK is not handed the model: it would
    derive the schema again (milliseconds on the first call) and validate every result against
    the very model it was just dumped from."""

    def __init__(self, resolve: Callable[[], Callable], context_kwarg: str | None, output_schema: dict | None) -> None:
        self._resolve = resolve
        self._skip = [context_kwarg] if context_kwarg else []
        self._output_schema = output_schema
        self.tool: Tool | None = None

    @cached_property
    def _real(self):
        fn = self._resolve()
        if self._output_schema is not None and getattr(fn, "dumps_model", False):
            meta = func_metadata(fn, skip_names=self._skip, structured_output=False)
            meta.output_schema = self._output_schema
        else:
            meta = func_metadata(fn, skip_names=self._skip)
            _compact_in_place(meta.output_schema)
        if self.tool is not None:
            self.tool.fn_metadata = meta  # later calls skip this stand-in
        return meta

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _lazy_tool(name: str, entry: dict, *, fn: Callable | None = None, options: dict[str, Any] | None = None,
               modules: _Modules | None = None) -> Tool:
    """A tool served from its cache entry: with `fn`, registered already; otherwise through
    `modules`, which imports and binds its module on the first call."""
    listing = entry.get("listing") or {}
    if fn is None:
        def resolve() -> Callable:
            return modules.function(listing["module"], name)

        def fn(**kwargs: Any) -> Any:  # stands in for the tool function until its module is loaded
            return resolve()(**kwargs)
        title, description = listing["title"], listing["description"]
        annotations = ToolAnnotations(**listing["annotations"]) if listing["annotations"] else None
        icons = meta = None
    else:
        def resolve() -> Callable:
            return fn
        title, description = options.get("title"), options.get("description") or fn.__doc__ or ""
        annotations, icons, meta = options.get("annotations"), options.get("icons"), options.get("meta")
    metadata = _LazyMetadata(resolve, entry["context_kwarg"], entry["output_schema"])
    tool = Tool.model_construct(
        fn=fn, name=name, title=title, description=description, parameters=entry["parameters"], fn_metadata=metadata,
        is_async=entry["is_async"], context_kwarg=entry["context_kwarg"], resolved_params={}, resolver_plans={},
        annotations=annotations, icons=icons, meta=meta)
    tool.__dict__["output_schema"] = entry["output_schema"]  # fills Tool.output_schema's cache
    metadata.tool = tool
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
