"""A base model whose JSON schema has no auto-generated titles: models pay for handoff and
output schemas on every request, and titles only repeat the field names."""

from pydantic import BaseModel, ConfigDict


def _untitled(schema: dict, cls=None) -> None:
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        if isinstance(prop, dict):
            prop.pop("title", None)


class Untitled(BaseModel):
    model_config = ConfigDict(json_schema_extra=_untitled)
