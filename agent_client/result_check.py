"""The check of every structured tool result against its tool's output schema, compiled.

The MCP client checks each result with `jsonschema`, which walks the schema anew for every
result: about a millisecond a result here, a sixth of the client's time in an evaluation case.
The same check compiled to Python by `fastjsonschema` takes a few hundredths of that. It is
used where it means exactly the same: for schemas written with keywords that JSON Schema
draft-07 (what fastjsonschema implements) and 2020-12 (MCP's default dialect) read alike,
`prefixItems` translated to its draft-07 spelling. Any other schema, and any tool the session
has no schema for, gets the SDK's own check, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fastjsonschema

# Keywords with one meaning in both dialects ("format" only annotates, in both checkers).
_SAME_IN_BOTH = frozenset({
    "type", "enum", "const", "required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "multipleOf", "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems", "minProperties",
    "maxProperties", "title", "description", "default", "examples", "format", "$comment", "readOnly",
    "writeOnly", "deprecated",
})
_SUBSCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})
_SUBSCHEMAS = frozenset({"additionalProperties", "not", "propertyNames", "contains"})
_SUBSCHEMA_LISTS = frozenset({"anyOf", "oneOf", "allOf"})


def as_draft7(schema: Any) -> Any:
    """`schema` spelled in draft-07 with the same meaning, or None where that cannot be
    promised."""
    if isinstance(schema, bool):
        return schema
    if not isinstance(schema, dict):
        return None
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SAME_IN_BOTH:
            out[key] = value
        elif key in _SUBSCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: as_draft7(sub) for name, sub in value.items()}
            if None in out[key].values():
                return None
        elif key in _SUBSCHEMAS or (key == "items" and "prefixItems" not in schema):
            out[key] = as_draft7(value)
            if out[key] is None:
                return None
        elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
            out[key] = [as_draft7(sub) for sub in value]
            if None in out[key]:
                return None
        elif key == "prefixItems" and isinstance(value, list):
            out["items"] = [as_draft7(sub) for sub in value]  # draft-07's tuple form...
            if None in out["items"]:
                return None
            if "items" in schema:  # ...and what may follow the tuple
                out["additionalItems"] = as_draft7(schema["items"])
                if out["additionalItems"] is None:
                    return None
        elif key == "items":
            continue  # follows a prefixItems tuple: spelled with it
        elif key == "$ref" and isinstance(value, str) and value.startswith("#/"):
            out[key] = value  # a pointer into this document reads the same
        else:
            return None  # $schema, $id, $dynamicRef, unevaluated*, dependent*, if/then/else...
    return out


def install(session) -> None:
    """Check `session`'s tool results with compiled validators from now on."""
    sdk_check = session.validate_tool_result
    compiled: dict[str, tuple[object, Callable | None]] = {}  # tool -> (its schema, validator)

    def validator_for(name: str, schema: dict) -> Callable | None:
        seen = compiled.get(name)
        if seen is None or seen[0] is not schema:  # a new listing may bring a new schema
            draft7 = as_draft7(schema)
            try:
                check = None if draft7 is None else fastjsonschema.compile(draft7, use_default=False,
                                                                         use_formats=False)
            except fastjsonschema.JsonSchemaDefinitionException:
                check = None
            seen = compiled[name] = (schema, check)
        return seen[1]

    async def validate_tool_result(name: str, result) -> None:
        schema = getattr(session, "_tool_output_schemas", {}).get(name)
        check = validator_for(name, schema) if isinstance(schema, dict) else None
        if check is None or result.structured_content is None:
            return await sdk_check(name, result)  # the SDK's check, and its own message for a missing result
        try:
            check(result.structured_content)
        except fastjsonschema.JsonSchemaValueException as exc:
            raise RuntimeError(f"Invalid structured content returned by tool {name}: {exc.message}") from exc

    session.validate_tool_result = validate_tool_result
