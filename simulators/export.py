"""Write a simulated incident in the files layout (`telemetry.layout`): the formats real
backends ingest, so the same incident can be replayed into Prometheus, Alertmanager, Loki or a
trace store, or served again by the files backend. Credentials in the telemetry's text are
redacted on the way out unless `keep_secrets` is asked for."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from guardrails.secrets import MASK, is_secret_name, redact
from telemetry.backend import TelemetryBackend
from telemetry.layout import write_directory

from .metrics import METRICS


def export_all(store: TelemetryBackend, out_dir: str | Path, rules: list[dict] | None = None, *,
               keep_secrets: bool = False) -> dict[str, Path]:
    source = store if keep_secrets else RedactedTelemetry(store)
    return write_directory(source, out_dir, metric_help=METRICS, rules=rules)


class RedactedTelemetry:
    """A backend as it may be written out: every text field of its records with credentials
    redacted, and the values of credential settings masked. Records without any are passed
    through as they are."""

    def __init__(self, store: TelemetryBackend) -> None:
        self._store = store

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def logs(self, start: float, end: float, service: str | None = None, **options):
        return [_changed(r, message=redact(r.message), stack=r.stack and redact(r.stack))
                for r in self._store.logs(start, end, service, **options)]

    def spans(self, start: float, end: float, service: str | None = None, **options):
        return [_changed(s, operation=redact(s.operation), status_message=redact(s.status_message),
                         attributes=_redacted_values(s.attributes))
                for s in self._store.spans(start, end, service, **options)]

    def alerts(self, start: float, end: float):
        return [_changed(a, summary=redact(a.summary), description=redact(a.description),
                         labels=_redacted_values(a.labels))
                for a in self._store.alerts(start, end)]

    def deployments(self, start: float, end: float):
        return [_changed(d, notes=redact(d.notes), author=redact(d.author),
                         config_old=_setting(d.config_key, d.config_old),
                         config_new=_setting(d.config_key, d.config_new))
                for d in self._store.deployments(start, end)]


def _changed(record, **fields):
    """The record, or a copy with the fields that redaction changed."""
    changed = {k: v for k, v in fields.items() if v is not getattr(record, k)}
    return replace(record, **changed) if changed else record


def _redacted_values(values: dict) -> dict:
    redacted = {k: redact(v) if isinstance(v, str) else v for k, v in values.items()}
    return values if all(redacted[k] is values[k] for k in values) else redacted


def _setting(key: str | None, value: str | None) -> str | None:
    if value is None:
        return None
    return MASK if key and is_secret_name(key) else redact(value)
