"""Where a Nezha day lives on disk, its fault list, its pods and the finer labels.

A day is a directory `rca_data/DAY/` holding `DAY-fault_list.json`, `metric/`, `log/`,
`trace/`; it comes extracted or inside the day's `.tar.xz` archive. Beside it,
`construct_data/DAY/` may hold the logs and traces of a fault-free phase of the same day.
"""

from __future__ import annotations

import contextlib
import json
import re
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# Deployment pods: `<deployment>-<replicaset hash>-<pod hash>`; StatefulSet pods: `<name>-<ordinal>`.
_DEPLOYMENT_POD = re.compile(r"^(?P<service>.+)-[a-z0-9]{6,10}-[a-z0-9]{5}$")
_STATEFUL_POD = re.compile(r"^(?P<service>.+)-\d+$")
# Label files of common.tar.xz, by system.
LABEL_FILES = {"onlineboutique": "root_cause_hipster.json", "trainticket": "root_cause_ts.json"}


def service_of(pod: str) -> str:
    m = _DEPLOYMENT_POD.match(pod) or _STATEFUL_POD.match(pod)
    return m.group("service") if m else pod


def system_of(services) -> str:
    """TrainTicket's services are all named `ts-...`; OnlineBoutique's never are."""
    services = list(services)
    named = sum(s.startswith("ts-") for s in services)
    return "trainticket" if services and named * 2 >= len(services) else "onlineboutique"


@dataclass(frozen=True, slots=True)
class Fault:
    inject: float  # epoch seconds, from inject_time (UTC; inject_timestamp is sometimes hours off)
    pod: str
    kind: str  # the dataset's inject_type

    @property
    def service(self) -> str:
        return service_of(self.pod)


@dataclass(frozen=True, slots=True)
class Day:
    path: Path  # rca_data/DAY
    name: str  # DAY, e.g. 2022-08-22
    faults: tuple[Fault, ...]  # by injection time

    @property
    def fault_free(self) -> Path | None:
        """construct_data/DAY, when it holds logs or traces of the fault-free phase."""
        path = self.path.parent.parent / "construct_data" / self.name
        return path if any((path / kind).glob("*.csv") for kind in ("log", "trace")) else None


def find_days(root: Path) -> list[Day]:
    """Every day under `root` (itself a day, or up to two levels above days)."""
    lists = sorted({*root.glob("*-fault_list.json"), *root.glob("*/*-fault_list.json"),
                    *root.glob("*/*/*-fault_list.json")})
    return [_read_day(path) for path in lists]


def _read_day(fault_list: Path) -> Day:
    name = fault_list.name.removesuffix("-fault_list.json")
    try:
        body = json.loads(fault_list.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{fault_list}: not a JSON fault list ({exc})") from None
    if not isinstance(body, dict):
        raise ValueError(f"{fault_list}: expected faults grouped by hour")
    faults = []
    for hour, items in body.items():
        for i, item in enumerate(items if isinstance(items, list) else []):
            try:
                inject = datetime.fromisoformat(item["inject_time"]).replace(tzinfo=UTC).timestamp()
                faults.append(Fault(inject, str(item["inject_pod"]), str(item["inject_type"])))
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"{fault_list}: fault {i} of hour {hour} needs inject_time "
                                 "(YYYY-MM-DD HH:MM:SS), inject_pod and inject_type") from None
    if not faults:
        raise ValueError(f"{fault_list}: no faults")
    return Day(fault_list.parent, name, tuple(sorted(faults, key=lambda f: f.inject)))


@contextlib.contextmanager
def opened(source: str | Path) -> Iterator[Path]:
    """A directory holding the data: `source` itself, or an archive extracted to a temporary
    directory (the fault phase, `rca_data/`, and the fault-free phase's logs and traces)."""
    path = Path(source)
    if path.is_dir():
        yield path
        return
    if not path.is_file():
        raise ValueError(f"{source}: no such file or directory")
    if not tarfile.is_tarfile(path):
        raise ValueError(f"{source}: neither a directory nor a tar archive")
    with tempfile.TemporaryDirectory(prefix="nezha-") as tmp, tarfile.open(path) as archive:
        members = [m for m in archive.getmembers() if _wanted(m.name.lstrip("./"))]
        if not any(m.name.lstrip("./").startswith("rca_data/") for m in members):
            raise ValueError(f"{source}: no rca_data/ in the archive")
        archive.extractall(tmp, members=members, filter="data")
        yield Path(tmp)


def _wanted(name: str) -> bool:
    parts = name.split("/")
    return parts[0] == "rca_data" or (parts[0] == "construct_data" and len(parts) >= 3
                                      and parts[2] in ("log", "trace"))


def read_labels(source: str | Path | None, near: Path) -> dict[str, dict]:
    """The finer labels by system: {system: {service: {fault type: label}}}. From `source`
    (a root_cause_*.json, a folder holding them, or common.tar.xz), else from common.tar.xz
    or construct_data/ found beside `near` or up to three folders above it; empty if none."""
    if source is None:
        ancestors = [near, *list(near.resolve().parents)[:3]]
        found = [p for a in ancestors for p in (a / "construct_data", a / "common.tar.xz") if p.exists()]
        return _labels_in(found[0]) if found else {}
    path = Path(source)
    labels = _labels_in(path) if path.exists() else {}
    if not labels:
        raise ValueError(f"--labels {source}: found none of {', '.join(LABEL_FILES.values())} there")
    return labels


def _labels_in(path: Path) -> dict[str, dict]:
    if path.is_dir():
        return {system: _load_json(found) for system, name in LABEL_FILES.items()
                for found in sorted(path.rglob(name))[:1]}
    if tarfile.is_tarfile(path):
        with tarfile.open(path) as archive:
            return {system: json.load(archive.extractfile(member))
                    for system, name in LABEL_FILES.items()
                    for member in archive.getmembers() if member.isfile() and Path(member.name).name == name}
    return {system: _load_json(path) for system, name in LABEL_FILES.items() if path.name == name}


def _load_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not JSON ({exc})") from None
