"""The change history: deployments and configuration changes."""

from typing import Annotated, Literal, Self

from mcp.server.mcpserver.tools import Tool
from pydantic import Field, model_validator

from guardrails.secrets import MASK, is_secret_name

from telemetry.timefmt import iso

from ..state import ServerState
from .common import (READ_ONLY, Cursor, EndTime, Output, Page, ServiceFilter, Window, check_service, paginate,
                     time_window, tool, untrusted, up_to, window_model)


class ChangeItem(Output):
    id: str
    service: str
    time: str
    minutes_before_end: float
    change_type: str
    version: str
    previous_version: str | None = None
    rollback_target: str | None = Field(None, description="version a rollback would return to")
    author: untrusted(80)
    notes: untrusted(200) = Field(description="free text from the change record")
    config_key: str | None = None
    config_old: untrusted(256) | None = None
    config_new: untrusted(256) | None = None

    @model_validator(mode="after")
    def _mask_credentials(self) -> Self:
        """A change to a credential shows that it changed, never the values."""
        if self.config_key and is_secret_name(self.config_key):
            self.config_old = MASK if self.config_old is not None else None
            self.config_new = MASK if self.config_new is not None else None
        return self


class ChangesResult(Output):
    window: Window
    changes: list[ChangeItem] = Field(description="newest first")
    page: Page
    hint: str | None = None


def tools(state: ServerState) -> list[Tool]:
    @tool(title="Recent deployments", annotations=READ_ONLY)
    def get_recent_deployments(
        service: ServiceFilter = None,
        change_type: Annotated[Literal["any", "deployment", "config"], Field(description="kind")] = "any",
        window_minutes: Annotated[int, Field(ge=1, le=60 * 24 * 30, description="minutes back")] = 1440,
        end_time: EndTime = None,
        limit: up_to(200) = 8,
        cursor: Cursor = None,
    ) -> ChangesResult:
        """Deployments and config changes, newest first, with rollback targets: what changed
        before the trouble."""
        backend = state.telemetry()
        service = check_service(backend, service)
        start, end = time_window(backend, window_minutes, end_time)
        changes = [d for d in backend.deployments(start, end + 1)
                   if (service is None or d.service == service)
                   and (change_type == "any" or d.change_type == change_type)]
        changes.sort(key=lambda d: (-d.time, d.service))
        page, meta = paginate(changes, limit, cursor)
        return ChangesResult(
            window=window_model(start, end),
            changes=[ChangeItem(id=d.id, service=d.service, time=iso(d.time),
                                minutes_before_end=round((end - d.time) / 60, 1), change_type=d.change_type,
                                version=d.version, previous_version=d.previous_version,
                                rollback_target=d.previous_version if d.change_type == "deployment" else None,
                                author=d.author, notes=d.notes, config_key=d.config_key,
                                config_old=d.config_old, config_new=d.config_new) for d in page],
            page=meta,
            hint=None if changes else "No changes in this window. Widen window_minutes (up to 30 days).",
        )

    return [get_recent_deployments]
