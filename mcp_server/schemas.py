"""Leaner advertised schemas: models pay for tool schemas on every request, and clients that
check results against output schemas pay for every `$ref` and `anyOf` on every call.

Drops the auto-generated titles ("Window Minutes") and spells an optional `X | None = None`
parameter as plain X (leaving it out already means None). Output schemas are inlined (no
`$defs`) and spell a nullable scalar as `"type": [X, "null"]`: the same constraints, about half
the validation time in the Python MCP client. Validation on the server is unaffected: it uses
the functions' signatures and result models."""

from __future__ import annotations


def compact_output_schema(schema: dict) -> dict:
    schema = compact_schema(schema)
    defs = schema.pop("$defs", {})
    return _nullable_types(_inline(schema, defs, ()))


def _inline(schema, defs: dict, seen: tuple[str, ...]):
    if isinstance(schema, list):
        return [_inline(x, defs, seen) for x in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref.removeprefix("#/$defs/")
        if name in seen or name not in defs:
            raise ValueError(f"output schema: cannot inline {ref} (recursive or missing)")
        rest = {k: _inline(v, defs, seen) for k, v in schema.items() if k != "$ref"}
        return {**_inline(defs[name], defs, (*seen, name)), **rest}
    return {k: _inline(v, defs, seen) for k, v in schema.items()}


def _nullable_types(schema):
    if isinstance(schema, list):
        return [_nullable_types(x) for x in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _nullable_types(v) for k, v in schema.items()}
    options = out.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        real = options[0] if options[1] == {"type": "null"} else options[1]
        if set(real) == {"type"} and isinstance(real["type"], str):
            del out["anyOf"]
            out["type"] = [real["type"], "null"]
    return out


def compact_schema(schema, optional_nulls: bool = False):
    if isinstance(schema, list):
        return [compact_schema(x, optional_nulls) for x in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in ("properties", "$defs"):
            required = set(schema.get("required", ()))
            out[key] = {name: compact_schema(_drop_null(sub) if optional_nulls and key == "properties"
                                             and name not in required else sub, optional_nulls)
                        for name, sub in value.items()}
        else:
            out[key] = compact_schema(value, optional_nulls)
    return out


def _drop_null(prop: dict) -> dict:
    options = prop.get("anyOf")
    if prop.get("default", 0) is not None or not isinstance(options, list):
        return prop
    real = [o for o in options if o != {"type": "null"}]
    if len(real) != 1:
        return prop
    rest = {k: v for k, v in prop.items() if k not in ("anyOf", "default")}
    return {**real[0], **rest}
