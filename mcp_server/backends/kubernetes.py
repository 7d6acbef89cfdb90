"""Kubernetes API, read-only: Deployments (services and replicas), ReplicaSets (the rollout
history: one ReplicaSet per revision, with its image, environment and change-cause) and
Events (when a rollback happened), as `Deployment` change records.

A revision whose image changed is a deployment; one whose only change is the restart stamp
`kubectl rollout restart` puts on the pod template is a restart; one whose environment or pod annotations
changed with the same image is a configuration change (the first differing key is named);
a ReplicaSet that carries a revision history was brought back by a rollback.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from telemetry.records import Deployment
from telemetry.timefmt import parse_iso

from .config import KubernetesConfig
from .http import HttpClient

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
CHANGE_CAUSE = "kubernetes.io/change-cause"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
_IGNORED_ANNOTATIONS = (RESTARTED_AT,)  # a restart changes no configuration
PAGE_SIZE = 250
MAX_PAGES = 4  # per namespace and kind: enough for a thousand revisions, and bounded
_SCALED_UP = re.compile(r"^Scaled up (?:replica set|ReplicaSet) (?P<rs>\S+)")


class Kubernetes:
    def __init__(self, config: KubernetesConfig) -> None:
        self.config = config
        self.http = HttpClient(config.endpoint)

    # -- the HTTP API ---------------------------------------------------------------
    def version(self) -> dict:
        data = self.http.get_json("/version")
        return data if isinstance(data, dict) else {}

    def objects(self, group: str, resource: str, params: dict | None = None) -> list[dict]:
        """Every item of `resource` in the configured namespaces (all when none), a page of
        `PAGE_SIZE` at a time and at most `MAX_PAGES` pages per namespace."""
        prefix = "/api/v1" if group == "" else f"/apis/{group}"
        paths = [f"{prefix}/namespaces/{quote(ns, safe='')}/{resource}" for ns in self.config.namespaces] or [
            f"{prefix}/{resource}"]
        items: list[dict] = []
        for path in paths:
            token = None
            for _ in range(MAX_PAGES):
                query = {"limit": str(PAGE_SIZE), **(params or {})} | ({"continue": token} if token else {})
                doc = self.http.get_json(path, query)
                if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
                    raise self.http.error(path, f"answered without a list of {resource}")
                items.extend(i for i in doc["items"] if isinstance(i, dict))
                token = (doc.get("metadata") or {}).get("continue")
                if not token:
                    break
        return items

    # -- what the backend asks --------------------------------------------------------
    def service_of(self, obj: dict) -> str:
        meta = obj.get("metadata") or {}
        if self.config.service_label:
            labels = (((obj.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
            if labels.get(self.config.service_label):
                return labels[self.config.service_label]
        owners = [o.get("name") for o in meta.get("ownerReferences") or [] if o.get("kind") == "Deployment"]
        return owners[0] if owners else str(meta.get("name", ""))

    def replicas(self) -> dict[str, int]:
        """Desired replicas per service, from the Deployments."""
        out = {}
        items = self.objects("apps/v1", "deployments")
        with self.http.reading("/apis/apps/v1/deployments", "malformed Deployments"):
            for item in items:
                replicas = (item.get("spec") or {}).get("replicas", 1)
                out[self.service_of(item)] = replicas if isinstance(replicas, int) else 1
        return out

    def changes(self, start: float, end: float) -> list[Deployment]:
        replicasets = self.objects("apps/v1", "replicasets")
        out = []
        with self.http.reading("/apis/apps/v1/replicasets", "malformed ReplicaSets"):
            revisions = self._revisions(replicasets)
            rollbacks = any(rollback for entries in revisions.values() for _, _, rollback in entries)
            rollback_times = self._rollback_times() if rollbacks else {}
            for entries in revisions.values():
                previous = None
                for _, rs, rollback in entries:
                    record = self._record(rs, previous, rollback, rollback_times)
                    if record is not None:
                        if start <= record.time < end:
                            out.append(record)
                        previous = rs
        out.sort(key=lambda d: (d.time, d.service))
        return out

    def _revisions(self, replicasets: list[dict]) -> dict[tuple[str, str], list[tuple[int, dict, bool]]]:
        """Per Deployment, (revision, ReplicaSet, brought back by a rollback) in revision order:
        a reused ReplicaSet appears at its first revision and again at its current one."""
        out: dict[tuple[str, str], list[tuple[int, dict, bool]]] = {}
        for rs in replicasets:
            meta = rs["metadata"]
            owner = next((o["name"] for o in meta.get("ownerReferences") or [] if o.get("kind") == "Deployment"), None)
            annotations = meta.get("annotations") or {}
            if owner is None or REVISION not in annotations:
                continue
            revision = int(annotations[REVISION])
            history = [int(r) for r in str(annotations.get(REVISION_HISTORY, "")).split(",") if r.strip()]
            entries = out.setdefault((meta.get("namespace", ""), owner), [])
            entries.append((min(history) if history else revision, rs, False))
            if history:
                entries.append((revision, rs, True))
        for entries in out.values():
            entries.sort(key=lambda e: e[0])
        return out

    def _rollback_times(self) -> dict[str, float]:
        """When each ReplicaSet was last scaled up by its Deployment (events live about an hour)."""
        times: dict[str, float] = {}
        for event in self.objects("", "events", {"fieldSelector": "reason=ScalingReplicaSet"}):
            match = _SCALED_UP.match(str(event.get("message", "")))
            when = event.get("lastTimestamp") or event.get("eventTime") or event.get("firstTimestamp")
            if match and when:
                times[match.group("rs")] = max(times.get(match.group("rs"), 0.0), parse_iso(str(when)))
        return times

    def _record(self, rs: dict, previous: dict | None, rollback: bool, rollback_times: dict[str, float]
                ) -> Deployment | None:
        meta = rs["metadata"]
        name = meta["name"]
        if rollback:
            if name not in rollback_times:
                return None  # the event that dates it has expired
            when = rollback_times[name]
        else:
            when = parse_iso(meta["creationTimestamp"])
        image, settings = _pod_settings(rs)
        version = _tag(image)
        change_type, key, old, new = "deployment", None, None, None
        previous_version = None
        if previous is not None:
            prev_image, prev_settings = _pod_settings(previous)
            previous_version = _tag(prev_image)
            if rollback:
                change_type = "rollback"
            elif prev_image == image:
                changed = sorted(k for k in settings.keys() | prev_settings.keys()
                                 if settings.get(k) != prev_settings.get(k))
                if changed:  # the version stays: there is no previous one to name
                    change_type, key, previous_version = "config", changed[0], None
                    old, new = prev_settings.get(key), settings.get(key)
                elif _restarted_at(rs) != _restarted_at(previous):
                    change_type, previous_version = "restart", None
        status = rs.get("status") or {}
        wanted = (rs.get("spec") or {}).get("replicas", 0) or 0
        ready = status.get("availableReplicas", 0) or 0
        annotations = meta.get("annotations") or {}
        return Deployment(
            id=name, service=self.service_of(rs), time=when, change_type=change_type, version=version,
            previous_version=previous_version, author="unknown", notes=str(annotations.get(CHANGE_CAUSE, "")),
            status="in_progress" if wanted and ready < wanted and not rollback else "succeeded",
            config_key=key, config_old=old, config_new=new)


def _restarted_at(rs: dict) -> str | None:
    template = (rs.get("spec") or {}).get("template") or {}
    return ((template.get("metadata") or {}).get("annotations") or {}).get(RESTARTED_AT)


def _pod_settings(rs: dict) -> tuple[str, dict[str, str]]:
    """The main container's image, and its environment plus the pod's annotations."""
    template = (rs.get("spec") or {}).get("template") or {}
    containers = (template.get("spec") or {}).get("containers") or [{}]
    owner = next((o.get("name") for o in rs["metadata"].get("ownerReferences") or []), None)
    main = next((c for c in containers if c.get("name") == owner), containers[0])
    settings = {}
    for var in main.get("env") or []:
        if "value" in var:
            settings[var["name"]] = str(var["value"])
        elif var.get("valueFrom"):
            source = next(iter(var["valueFrom"]))
            settings[var["name"]] = f"<from {source}>"  # a reference, never the secret itself
    for key, value in ((template.get("metadata") or {}).get("annotations") or {}).items():
        if key not in _IGNORED_ANNOTATIONS:
            settings[key] = str(value)
    return str(main.get("image", "")), settings


def _tag(image: str) -> str:
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        return last.split(":", 1)[1]
    return digest[:19] if digest else "latest"
