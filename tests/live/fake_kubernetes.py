"""A fake Kubernetes API server (read-only) that follows apps/v1 and core/v1, fed with an
export's `deployments.json` and `topology.json`.

Every Deployment lives in namespace `shop`; each change in the history is a ReplicaSet
revision as the Deployment controller makes them: a new image for a release, the same image
with a changed environment variable for a configuration change (the pod template changed),
`deployment.kubernetes.io/revision` and `kubernetes.io/change-cause` annotations, an owner
reference to the Deployment. `rollbacks` (service, time) bring a service's previous
ReplicaSet back as the controller does: the old ReplicaSet gets the next revision and a
`revision-history` annotation, and a `ScalingReplicaSet` event records when.

Lists (`/apis/apps/v1[/namespaces/<ns>]/{deployments,replicasets}`,
`/api/v1[/namespaces/<ns>]/events`) honour `limit` and `continue` and events a
`fieldSelector` on `reason` or `involvedObject.kind`. A bearer token is required (401
Status otherwise); other namespaces are forbidden (403 Status), as for a namespaced reader.
"""

from __future__ import annotations

import base64
import hashlib
import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from telemetry.timefmt import iso, parse_iso

NAMESPACE = "shop"
TOKEN = "reader-token-0123456789"


def _status(code: int, reason: str, message: str) -> JSONResponse:
    return JSONResponse({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                         "message": message, "reason": reason, "code": code}, status_code=code)


def _hash(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:10]


class FakeKubernetes:
    def __init__(self, deployments: list[dict], topology: dict, rollbacks: list[tuple[str, float]] = ()) -> None:
        self.replicasets: list[dict] = []
        self.deployments: list[dict] = []
        self.events: list[dict] = []
        replicas = {s["name"]: s["replicas"] for s in topology["services"]}
        history: dict[str, list[dict]] = {}
        for change in sorted(deployments, key=lambda d: d["time"]):
            history.setdefault(change["service"], []).append(change)
        for service, changes in sorted(history.items()):
            self._build(service, changes, replicas.get(service, 1),
                        [t for s, t in rollbacks if s == service])

    def _build(self, service: str, changes: list[dict], replicas: int, rollbacks: list[float]) -> None:
        # Each configuration key holds its first "old" value until it changes.
        env: dict[str, str] = {}
        for change in changes:
            config = change.get("config")
            if config and config["key"] not in env:
                env[config["key"]] = config["old"]
        sets = []
        for revision, change in enumerate(changes, 1):
            if change.get("config"):
                env[change["config"]["key"]] = change["config"]["new"]
            # `kubectl rollout restart` changes nothing but a stamp on the pod template.
            stamp = {"kubectl.kubernetes.io/restartedAt": change["time"]} if change["change_type"] == "restart" else {}
            template = {"metadata": {"labels": {"app": service}, "annotations": stamp},
                        "spec": {"containers": [{"name": service, "image": f"registry.example.com/shop/{service}:"
                                                 f"{change['version']}",
                                                 "env": [{"name": k, "value": v} for k, v in sorted(env.items())]}]}}
            name = f"{service}-{_hash(service, str(revision))}"
            sets.append({
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": name, "namespace": NAMESPACE, "uid": _hash("uid", name),
                             "creationTimestamp": iso(parse_iso(change["time"])),
                             "labels": {"app": service, "pod-template-hash": name.rsplit("-", 1)[1]},
                             "annotations": {"deployment.kubernetes.io/revision": str(revision),
                                             "deployment.kubernetes.io/desired-replicas": str(replicas),
                                             "kubernetes.io/change-cause": change["notes"]},
                             "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": service,
                                                  "uid": _hash("uid", service), "controller": True}]},
                "spec": {"replicas": 0, "selector": {"matchLabels": {"app": service}}, "template": template},
                "status": {"replicas": 0, "availableReplicas": 0, "readyReplicas": 0}})
        current = sets[-1]
        for when in rollbacks:  # the previous ReplicaSet comes back with the next revision
            back = sets[-2] if current is sets[-1] else sets[-1]
            notes = back["metadata"]["annotations"]
            history = [notes["deployment.kubernetes.io/revision"]]
            if "deployment.kubernetes.io/revision-history" in notes:
                history = notes["deployment.kubernetes.io/revision-history"].split(",") + history
            top = max(int(s["metadata"]["annotations"]["deployment.kubernetes.io/revision"]) for s in sets)
            notes["deployment.kubernetes.io/revision"] = str(top + 1)
            notes["deployment.kubernetes.io/revision-history"] = ",".join(history)
            self.events.append({
                "apiVersion": "v1", "kind": "Event",
                "metadata": {"name": f"{service}.{_hash('event', str(when))}", "namespace": NAMESPACE},
                "involvedObject": {"kind": "Deployment", "name": service, "namespace": NAMESPACE},
                "reason": "ScalingReplicaSet",
                "message": f"Scaled up replica set {back['metadata']['name']} to {replicas}",
                "type": "Normal", "source": {"component": "deployment-controller"}, "count": 1,
                "firstTimestamp": iso(when), "lastTimestamp": iso(when)})
            current = back
        current["spec"]["replicas"] = replicas
        current["status"] = {"replicas": replicas, "availableReplicas": replicas, "readyReplicas": replicas}
        self.replicasets.extend(sets)
        self.deployments.append({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": service, "namespace": NAMESPACE, "uid": _hash("uid", service),
                         "annotations": {"deployment.kubernetes.io/revision":
                                         current["metadata"]["annotations"]["deployment.kubernetes.io/revision"]}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": service}},
                     "template": current["spec"]["template"]},
            "status": {"replicas": replicas, "availableReplicas": replicas, "readyReplicas": replicas,
                       "updatedReplicas": replicas}})

    @property
    def app(self) -> Starlette:
        routes = [Route("/version", lambda r: JSONResponse({"major": "1", "minor": "30", "gitVersion": "v1.30.2",
                                                            "platform": "linux/amd64"}))]
        for prefix, group in (("/apis/apps/v1", "apps"), ("/api/v1", "")):
            kinds = ("deployments", "replicasets") if group else ("events",)
            for kind in kinds:
                routes.append(Route(f"{prefix}/{kind}", self._lister(kind, group)))
                routes.append(Route(f"{prefix}/namespaces/{{namespace}}/{kind}", self._lister(kind, group)))
        return Starlette(routes=routes)

    def _lister(self, kind: str, group: str):
        items = {"deployments": self.deployments, "replicasets": self.replicasets, "events": self.events}[kind]
        list_kind = {"deployments": "DeploymentList", "replicasets": "ReplicaSetList", "events": "EventList"}[kind]

        async def handler(request: Request):
            if request.headers.get("authorization") != f"Bearer {TOKEN}":
                return _status(401, "Unauthorized", "Unauthorized")
            namespace = request.path_params.get("namespace")
            resource = f"{kind}.{group}" if group else kind
            if namespace != NAMESPACE:
                where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
                return _status(403, "Forbidden", f'{resource} is forbidden: User "system:serviceaccount:aiops:reader" '
                                                 f'cannot list resource "{kind}" in API group "{group}" {where}')
            chosen = items
            selector = request.query_params.get("fieldSelector")
            if selector:
                for term in selector.split(","):
                    field, _, value = term.partition("=")
                    if field == "reason":
                        chosen = [i for i in chosen if i.get("reason") == value]
                    elif field == "involvedObject.kind":
                        chosen = [i for i in chosen if i["involvedObject"]["kind"] == value]
                    else:
                        return _status(400, "BadRequest", f'"{field}" is not a known field selector: only '
                                                          '"reason", "involvedObject.kind"')
            try:
                offset = json.loads(base64.b64decode(request.query_params["continue"]))["offset"] \
                    if "continue" in request.query_params else 0
                limit = int(request.query_params.get("limit", "0"))
            except (ValueError, KeyError):
                return _status(400, "BadRequest", "continue key is not valid")
            page = chosen[offset:offset + limit] if limit else chosen[offset:]
            metadata = {"resourceVersion": "4242"}
            if limit and offset + limit < len(chosen):
                metadata["continue"] = base64.b64encode(json.dumps({"offset": offset + limit}).encode()).decode()
                metadata["remainingItemCount"] = len(chosen) - offset - limit
            return JSONResponse({"kind": list_kind, "apiVersion": "apps/v1" if group else "v1",
                                 "metadata": metadata, "items": page})

        return handler
