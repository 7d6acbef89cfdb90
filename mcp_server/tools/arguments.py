"""Tool arguments as a model must send them: the advertised schema (no unknown keys, no titles)
and the strict check of each call against it, with errors a model can act on."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver import Context
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from guardrails.untrusted_text import clean

MAX_ERRORS = 5
ECHO_CHARS = 40


def brief(value: Any) -> str:
    """A caller's value as an error may echo it: short, on one line, without invisible
    characters or credentials."""
    if isinstance(value, str):
        shown = repr(clean(value[: ECHO_CHARS * 2]))
        size = len(value) + 2
    else:
        shown = repr(value)
        size = len(shown)
    if len(shown) > ECHO_CHARS or size > len(shown):
        shown = shown[:ECHO_CHARS] + f"... ({size:,} characters)"
    return shown


def input_schema(schema: dict) -> dict:
    """The argument schema as a model reads it on every request: without the generated titles
    ("Window Minutes"), an optional `X | None = None` argument spelled as plain X (leaving it out
    already means None: one `type`, portable to single-type dialects), and unknown arguments
    refused (`additionalProperties: false`)."""
    properties = {}
    for name, prop in schema.get("properties", {}).items():
        prop = {k: v for k, v in prop.items() if k != "title"}
        options = prop.get("anyOf")
        if prop.get("default", 0) is None and isinstance(options, list):
            real = [o for o in options if o != {"type": "null"}]
            if len(real) == 1:
                prop = {**real[0], **{k: v for k, v in prop.items() if k not in ("anyOf", "default")}}
        properties[name] = prop
    rest = {k: v for k, v in schema.items() if k not in ("title", "properties")}
    return rest | {"properties": properties, "additionalProperties": False}


class ArgumentCheck:
    """Checks one tool's raw arguments strictly: no unknown keys, no strings taken for numbers
    or booleans. The SDK's own validation is lenient ("yes" is true, "5" is 5, unknown keys
    are dropped), and a model that gets away with those never learns the real contract."""

    def __init__(self, tool_name: str, fn: Callable[..., Any]) -> None:
        self.tool_name = tool_name
        fields = {}
        for name, param in inspect.signature(fn, eval_str=True).parameters.items():
            if isinstance(param.annotation, type) and issubclass(param.annotation, Context):
                continue  # injected by the SDK, never sent
            default = ... if param.default is inspect.Parameter.empty else param.default
            fields[name] = (param.annotation, default)
        self.accepted = tuple(fields)
        self.model: type[BaseModel] = create_model(
            f"{tool_name}_arguments", __config__=ConfigDict(strict=True, extra="forbid"), **fields)

    def problem(self, arguments: object) -> str | None:
        """What is wrong with the arguments, or None."""
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            return f"arguments must be an object, got {type(arguments).__name__}"
        unknown = [k for k in arguments if k not in self.accepted]
        if unknown:
            names = ", ".join(brief(k) for k in unknown[:MAX_ERRORS])
            more = f" and {len(unknown) - MAX_ERRORS} more" if len(unknown) > MAX_ERRORS else ""
            return (f"unknown argument{'s' if len(unknown) > 1 else ''} {names}{more}; {self.tool_name} accepts: "
                    + (", ".join(self.accepted) or "no arguments"))
        try:
            self.model.model_validate(arguments)
        except ValidationError as exc:
            return "; ".join(_describe(e) for e in exc.errors(include_url=False)[:MAX_ERRORS])
        return None


def _describe(error: dict) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "arguments"
    if error["type"] == "missing":
        return f"{where}: required"
    message = error["msg"][0].lower() + error["msg"][1:]
    return f"{where}: {message}, got {brief(error.get('input'))}"
