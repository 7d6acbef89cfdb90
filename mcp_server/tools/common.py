"""What every tool shares: time windows, argument checks with helpful errors, pagination,
compact JSON results and the output-size caps of DESIGN.md §3.4."""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from guardrails.untrusted_text import sanitize
from telemetry.backend import BackendError, TelemetryBackend
from telemetry.timefmt import iso, parse_iso

from ..state import DEFAULT_WINDOW_MINUTES

log = logging.getLogger("aiops_mcp.tools")

HARD_MAX_CHARS = 100_000
MAX_WINDOW_MINUTES = 7 * 24 * 60

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                            open_world_hint=False)
# Proposals record a suggestion for a human; they change nothing outside the server.
PROPOSAL = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False,
                           open_world_hint=False)

WindowMinutes = Annotated[int, Field(ge=1, le=MAX_WINDOW_MINUTES)]
EndTime = Annotated[str | None, Field(description="ISO-8601; default: latest data")]
Cursor = str | None  # the previous page's next_cursor

T = TypeVar("T")


class Output(BaseModel):
    """Base of tool results."""


class Page(Output):
    returned: int
    total: int
    truncated: bool
    next_cursor: str | None = None


class Window(Output):
    start: str
    end: str


def time_window(backend: TelemetryBackend, window_minutes: int, end_time: str | None) -> tuple[float, float]:
    first, last = backend.time_range()
    if end_time is None:
        end = last
    else:
        try:
            end = parse_iso(end_time)
        except ValueError:
            raise ToolError(f"end_time: {end_time!r} is not an ISO-8601 time "
                            f"(e.g. {iso(last)}); data covers {iso(first)} to {iso(last)}") from None
        if end <= first:
            raise ToolError(f"end_time: {end_time!r} is before the data starts ({iso(first)}); "
                            f"data covers {iso(first)} to {iso(last)}")
        end = min(end, last)
    return end - window_minutes * 60.0, end


def window_model(start: float, end: float) -> Window:
    return Window(start=iso(start), end=iso(end))


def check_service(backend: TelemetryBackend, service: str | None, *, required: bool = False) -> str | None:
    if service is None or service == "":
        if required:
            raise ToolError("service: required; known services: " + _names(backend))
        return None
    names = [s.name for s in backend.services()]
    if service in names:
        return service
    raise ToolError(f"service: unknown service {service!r}.{_did_you_mean(service, names)} "
                    f"Known services: {', '.join(names)}")


def check_choice(name: str, value: str, choices: Sequence[str]) -> str:
    if value in choices:
        return value
    raise ToolError(f"{name}: {value!r} is not valid.{_did_you_mean(value, choices)} "
                    f"Choose one of: {', '.join(choices)}")


def _did_you_mean(value: str, choices: Sequence[str]) -> str:
    import difflib  # only bad arguments need it

    close = difflib.get_close_matches(value, list(choices), n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def _names(backend: TelemetryBackend) -> str:
    return ", ".join(s.name for s in backend.services())


def paginate(items: Sequence[T], limit: int, cursor: str | None) -> tuple[list[T], Page]:
    offset = 0
    if cursor:
        try:
            kind, _, value = cursor.partition(":")
            offset = int(value)
            if kind != "o" or offset < 0:
                raise ValueError
        except ValueError:
            raise ToolError(f"cursor: {cursor!r} is not a cursor returned by this tool") from None
    page = list(items[offset: offset + limit])
    end = offset + len(page)
    more = end < len(items)
    return page, Page(returned=len(page), total=len(items), truncated=more,
                      next_cursor=f"o:{end}" if more else None)


def text(value: str, limit: int = 300) -> str:
    """Telemetry text as it may leave the server: redacted, bounded, marked if suspicious."""
    return sanitize(value, limit)


def compact(model: BaseModel) -> CallToolResult:
    """Structured content plus the same JSON, compact, as text: hosts and models read the
    text, and pretty-printing would spend a fifth of the tokens on whitespace."""
    data = model.model_dump(mode="json", exclude_none=True)
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    if len(body) > HARD_MAX_CHARS:
        raise ToolError(f"result too large ({len(body):,} characters); narrow the window or lower the limit")
    return CallToolResult(content=[TextContent(type="text", text=body)], structured_content=data)


def tool(*, title: str, annotations: ToolAnnotations) -> Callable[[Callable[..., Any]], Tool]:
    """Make a function returning a result model into an MCP tool: its docstring is the
    description, its signature the arguments, its result model the output schema (the SDK
    checks each result against it). Results are compact JSON; backend failures and bugs
    become tool errors that say what failed, so that one bad call never takes the server
    down."""

    def decorator(fn: Callable[..., Any]) -> Tool:
        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def wrapper(*args: Any, **kwargs: Any) -> CallToolResult:
                with _tool_errors(fn.__name__):
                    return compact(await fn(*args, **kwargs))
        else:
            @functools.wraps(fn)
            def wrapper(*args: Any, **kwargs: Any) -> CallToolResult:
                with _tool_errors(fn.__name__):
                    return compact(fn(*args, **kwargs))

        signature = inspect.signature(fn, eval_str=True)
        wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
            return_annotation=Annotated[CallToolResult, signature.return_annotation])
        made = Tool.from_function(wrapper, title=title, annotations=annotations,
                                  description=" ".join((fn.__doc__ or "").split()))
        made.parameters = compact_input_schema(made.parameters)
        return made

    return decorator


@contextlib.contextmanager
def _tool_errors(name: str) -> Iterator[None]:
    try:
        yield
    except ToolError:
        raise
    except BackendError as exc:
        raise ToolError(f"telemetry backend error: {exc}") from exc
    except Exception as exc:
        log.exception("tool %s failed", name)
        raise ToolError(f"internal error in {name}: {type(exc).__name__}; the server is still running, try "
                        "narrower arguments") from exc


def compact_input_schema(schema: dict) -> dict:
    """The argument schema as a model reads it on every request: without the generated titles
    ("Window Minutes"), and an optional `X | None = None` argument spelled as plain X (leaving
    it out already means None)."""
    properties = {}
    for name, prop in schema.get("properties", {}).items():
        prop = {k: v for k, v in prop.items() if k != "title"}
        options = prop.get("anyOf")
        if prop.get("default", 0) is None and isinstance(options, list):
            real = [o for o in options if o != {"type": "null"}]
            if len(real) == 1:
                prop = {**real[0], **{k: v for k, v in prop.items() if k not in ("anyOf", "default")}}
        properties[name] = prop
    return {k: v for k, v in schema.items() if k != "title"} | {"properties": properties}
