"""`deployments.json` (change history) and `topology.json` (services, their dependencies and
the time range the directory covers)."""

from __future__ import annotations

from pathlib import Path

from telemetry.records import SERVICE_KINDS, Deployment, ServiceInfo
from telemetry.timefmt import iso_ms as iso

from .files import expect, parse_time, read_json


def deployment_dict(d: Deployment) -> dict:
    out = {"id": d.id, "service": d.service, "time": iso(d.time), "change_type": d.change_type,
           "version": d.version, "previous_version": d.previous_version, "author": d.author,
           "notes": d.notes, "status": d.status}
    if d.change_type == "config":
        out["config"] = {"key": d.config_key, "old": d.config_old, "new": d.config_new}
    return out


def topology_dict(services, start: float, end: float) -> dict:
    return {"start": iso(start), "end": iso(end),
            "services": [{"name": s.name, "kind": s.kind, "depends_on": list(s.depends_on),
                          "replicas": s.replicas} for s in services]}


def read_deployments(path: Path, now: float | None = None) -> list[Deployment]:
    body = read_json(path)
    expect(isinstance(body, list), path.name, "expected a JSON list of changes")
    out = []
    for i, d in enumerate(body):
        where = f"{path.name} change {i}"
        expect(isinstance(d, dict) and "service" in d and "time" in d, where, "needs at least service and time")
        t = parse_time(d["time"], where)
        if now is not None and t > now:
            continue
        config = d.get("config") or {}
        out.append(Deployment(
            id=str(d.get("id", f"change-{i}")), service=str(d["service"]), time=t,
            change_type=str(d.get("change_type", "deployment")), version=str(d.get("version", "")),
            previous_version=d.get("previous_version"), author=str(d.get("author", "")),
            notes=str(d.get("notes", "")), status=str(d.get("status", "succeeded")),
            config_key=config.get("key"), config_old=config.get("old"), config_new=config.get("new"),
        ))
    return out


def read_topology(path: Path) -> tuple[list[ServiceInfo], float | None, float | None]:
    """(services, start, end); start and end are None where the file does not say."""
    body = read_json(path)
    expect(isinstance(body, dict) and isinstance(body.get("services"), list), path.name,
           "expected an object with a services list")
    services = []
    for i, s in enumerate(body["services"]):
        where = f"{path.name} service {i}"
        expect(isinstance(s, dict) and isinstance(s.get("name"), str) and s["name"], where, "needs a name")
        kind = s.get("kind", "service")
        expect(kind in SERVICE_KINDS, where, f"unknown kind {kind!r} (known: {', '.join(SERVICE_KINDS)})")
        depends_on = s.get("depends_on", [])
        expect(isinstance(depends_on, list), where, "depends_on must be a list")
        replicas = s.get("replicas", 1)
        expect(isinstance(replicas, int) and replicas >= 0, where, "replicas must be a whole number")
        services.append(ServiceInfo(s["name"], kind, tuple(map(str, depends_on)), replicas))
    start = parse_time(body["start"], f"{path.name} start") if body.get("start") else None
    end = parse_time(body["end"], f"{path.name} end") if body.get("end") else None
    return services, start, end
