"""A directory of the files layout (`aiops-mcp export`, the importers) as a backend.

The files are read once, at start-up, into an indexed store; only the layout's own file names
are opened, so whatever else a directory holds (an imported case's answer) is never served.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from telemetry.layout import LayoutError, load_directory
from telemetry.store import TelemetryStore
from telemetry.timefmt import parse_iso

from . import in_background


class FilesBackend:
    """Serves the directory's store (`store`), which is the `TelemetryBackend`."""

    name = "files"

    def __init__(self, path: str | Path, now: float | None = None) -> None:
        self.path = Path(path)
        self.store: TelemetryStore = load_directory(self.path, now)
        # Opaque: a directory's name may be a scenario's or a fault's.
        self.incident_id = "files-" + hashlib.sha256(str(self.path.resolve()).encode()).hexdigest()[:10]

    def start(self, prepare: Callable[[TelemetryStore], None] | None = None) -> None:
        """The files were read when the backend was made; `prepare` them in the background."""
        if prepare is not None:
            in_background(prepare, self.store)


def parse_now(text: str) -> float:
    """ISO-8601 (UTC unless it says otherwise) or epoch seconds."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return parse_iso(text)
    except ValueError:
        raise ValueError(f"--now {text!r}: not a time (use ISO-8601, e.g. 2022-08-22T04:30:00Z, "
                         "or epoch seconds)") from None


def backend_from_data(path: str, now: str | None = None) -> FilesBackend:
    """The backend for `--data DIR [--now TIME]`; raises ValueError with a one-line message."""
    directory = Path(path)
    if not directory.is_dir():
        raise ValueError(f"--data {path!r}: no such directory")
    at = parse_now(now) if now is not None else None
    try:
        return FilesBackend(directory, at)
    except LayoutError as exc:
        message = str(exc)
        raise ValueError(message if message.startswith(str(directory)) else f"{directory}/{message}") from None
    except OSError as exc:
        raise ValueError(f"--data {path!r}: cannot read: {exc.strerror or exc}") from None
