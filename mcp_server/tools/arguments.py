"""Tool schemas as published, and arguments as a model must send them: the argument schema (no
unknown keys, no titles), the result schema (as results are sent), and the strict check of each
call against the arguments, with errors a model can act on."""

from typing import Any

from mcp.server.mcpserver.tools import Tool
from pydantic import BaseModel, ValidationError

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
    properties = {name: _absent_when_none({k: v for k, v in prop.items() if k != "title"})
                  for name, prop in schema.get("properties", {}).items()}
    rest = {k: v for k, v in schema.items() if k not in ("title", "properties")}
    return rest | {"properties": properties, "additionalProperties": False}


def result_schema(schema: Any) -> Any:
    """A result schema as results are sent (`exclude_none`): a field that is None is left out,
    so an optional `X | None = None` field is spelled as plain X; and without the titles pydantic
    generates from names, which repeat them and which every host checks every result against.
    Values (defaults, constants) are left as they are."""
    if isinstance(schema, list):
        return [result_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in _VALUE_KEYWORDS:
            out[key] = value
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: _absent_when_none(result_schema(s)) for name, s in value.items()}
        elif key == "$defs" and isinstance(value, dict):
            out[key] = {name: result_schema(s) for name, s in value.items()}
        else:
            out[key] = result_schema(value)
    return out


_VALUE_KEYWORDS = frozenset(("default", "const", "enum", "examples"))


def _absent_when_none(prop: Any) -> Any:
    """`{"anyOf": [X, {"type": "null"}], "default": null}` as X: for a field whose None is sent
    by leaving it out."""
    if not isinstance(prop, dict):
        return prop
    options = prop.get("anyOf")
    if prop.get("default", 0) is None and isinstance(options, list):
        real = [o for o in options if o != {"type": "null"}]
        if len(real) == 1:
            return {**real[0], **{k: v for k, v in prop.items() if k not in ("anyOf", "default")}}
    return prop


class ArgumentCheck:
    """Checks one tool's raw arguments strictly: no unknown keys, no strings taken for numbers
    or booleans. The SDK's own validation is lenient ("yes" is true, "5" is 5, unknown keys
    are dropped), and a model that gets away with those never learns the real contract. The
    check is the SDK's own argument model (`Tool.fn_metadata.arg_model`), run in strict mode."""

    def __init__(self, tool: Tool) -> None:
        self.tool_name = tool.name
        self.model: type[BaseModel] = tool.fn_metadata.arg_model
        self.accepted = tuple(f.alias or name for name, f in self.model.model_fields.items())

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
            self.model.model_validate(arguments, strict=True)
        except ValidationError as exc:
            return "; ".join(_describe(e) for e in exc.errors(include_url=False)[:MAX_ERRORS])
        return None


def _describe(error: dict) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "arguments"
    if error["type"] == "missing":
        return f"{where}: required"
    message = error["msg"][0].lower() + error["msg"][1:]
    return f"{where}: {message}, got {brief(error.get('input'))}"
