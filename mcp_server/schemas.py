"""Leaner advertised schemas: models pay for tool schemas on every request.

Drops the auto-generated titles ("Window Minutes") and spells an optional `X | None = None`
parameter as plain X (leaving it out already means None). Validation is unaffected: it uses
the functions' signatures."""

from __future__ import annotations


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
