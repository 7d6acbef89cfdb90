"""Write a simulated incident in the files layout (`telemetry.layout`): the formats real
backends ingest, so the same incident can be replayed into Prometheus, Alertmanager, Loki or a
trace store, or served again by the files backend."""

from __future__ import annotations

from pathlib import Path

from telemetry.backend import TelemetryBackend
from telemetry.layout import write_directory

from .metrics import METRICS


def export_all(store: TelemetryBackend, out_dir: str | Path, rules: list[dict] | None = None
               ) -> dict[str, Path]:
    return write_directory(store, out_dir, metric_help=METRICS, rules=rules)
