"""EKS behaviour real AWS has and moto 5.2 lacks (imported by gantry_moto.py).

Test harness only: gantry's provider never special-cases moto. Listed in the README's
emulator table.

- Status transitions: a new cluster or node group reports CREATING, an updated one UPDATING,
  for the next TRANSITION_DESCRIBES Describe calls, then ACTIVE (moto is ACTIVE at once), so
  waiting with live status is exercised.
- clientRequestToken: a create repeated with the same token returns the first object (moto
  answers ResourceInUseException).
- A node group created without remote access reports none (moto reports a default one).
- Add-ons: CreateAddon / DescribeAddon / UpdateAddon / DeleteAddon / ListAddons are not
  implemented in moto; added with EKS's shapes and errors (ResourceNotFoundException,
  ResourceInUseException), CREATING → ACTIVE transitions and tags.
"""

import datetime
import threading

from moto.core.responses import ActionResult
from moto.eks import models as em
from moto.eks import responses as er
from moto.eks import urls as eu
from moto.eks.exceptions import ResourceInUseException, ResourceNotFoundException

TRANSITION_DESCRIBES = 2
_lock = threading.Lock()


def _pending(obj, status):
    obj.status = status
    obj._gantry_pending = TRANSITION_DESCRIBES


def _tick(obj):
    pending = getattr(obj, "_gantry_pending", 0)
    if pending > 0:
        obj._gantry_pending = pending - 1
        if obj._gantry_pending == 0:
            obj.status = "ACTIVE"


def _not_found(message, cluster=None, nodegroup=None, addon=None):
    return ResourceNotFoundException(
        clusterName=cluster, nodegroupName=nodegroup, fargateProfileName=None, addonName=addon, message=message
    )


_orig_create_cluster = em.EKSBackend.create_cluster
_orig_create_nodegroup = em.EKSBackend.create_nodegroup
_orig_describe_cluster = em.EKSBackend.describe_cluster
_orig_describe_nodegroup = em.EKSBackend.describe_nodegroup
_orig_update_nodegroup_config = em.EKSBackend.update_nodegroup_config


def create_cluster(self, name, *args, **kwargs):
    token = kwargs.get("client_request_token")
    existing = self.clusters.get(name)
    if existing is not None and token and existing.client_request_token == token:
        return existing
    cluster = _orig_create_cluster(self, name, *args, **kwargs)
    _pending(cluster, "CREATING")
    return cluster


def create_nodegroup(self, cluster_name, node_role, nodegroup_name, *args, **kwargs):
    token = kwargs.get("client_request_token")
    cluster = self.clusters.get(cluster_name)
    existing = cluster.nodegroups.get(nodegroup_name) if cluster is not None else None
    if existing is not None and token and existing.client_request_token == token:
        return existing
    remote = kwargs.get("remote_access")
    ng = _orig_create_nodegroup(self, cluster_name, node_role, nodegroup_name, *args, **kwargs)
    if not remote:
        ng.remote_access = None
    _pending(ng, "CREATING")
    return ng


def describe_cluster(self, name):
    cluster = _orig_describe_cluster(self, name)
    _tick(cluster)
    return cluster


def describe_nodegroup(self, cluster_name, nodegroup_name):
    ng = _orig_describe_nodegroup(self, cluster_name, nodegroup_name)
    _tick(ng)
    return ng


def update_nodegroup_config(self, cluster_name, nodegroup_name, *args, **kwargs):
    update = _orig_update_nodegroup_config(self, cluster_name, nodegroup_name, *args, **kwargs)
    _pending(self.clusters[cluster_name].nodegroups[nodegroup_name], "UPDATING")
    return update


em.EKSBackend.create_cluster = create_cluster
em.EKSBackend.create_nodegroup = create_nodegroup
em.EKSBackend.describe_cluster = describe_cluster
em.EKSBackend.describe_nodegroup = describe_nodegroup
em.EKSBackend.update_nodegroup_config = update_nodegroup_config


# Add-ons, per cluster: name -> dict in EKS's Addon shape.
def _addons(backend, cluster):
    if cluster not in backend.clusters:
        raise _not_found(f"No cluster found for name: {cluster}.", cluster=cluster)
    store = backend.__dict__.setdefault("_gantry_addons", {})
    return store.setdefault(cluster, {})


def _addon_view(addon):
    pending = addon.get("_pending", 0)
    if pending > 0:
        addon["_pending"] = pending - 1
        if addon["_pending"] == 0:
            addon["status"] = "ACTIVE"
    return {k: v for k, v in addon.items() if not k.startswith("_")}


def create_addon(self):
    cluster = self._get_param("name")
    name = self._get_param("addonName")
    backend = self.eks_backend
    now = datetime.datetime.now(datetime.timezone.utc)
    with _lock:
        addons = _addons(backend, cluster)
        token = self._get_param("clientRequestToken")
        if name in addons:
            if token and addons[name].get("_token") == token:
                return ActionResult({"addon": _addon_view(addons[name])})
            raise ResourceInUseException(
                clusterName=cluster, nodegroupName=None, addonName=name,
                message=f"Addon already exists with name: {name} on cluster: {cluster}",
            )
        addon = {
            "addonName": name,
            "clusterName": cluster,
            "status": "CREATING",
            "addonVersion": self._get_param("addonVersion") or "v1.0.0-eksbuild.1",
            "health": {"issues": []},
            "addonArn": f"arn:aws:eks:{backend.region_name}:{backend.account_id}:addon/{cluster}/{name}/gantry",
            "createdAt": now,
            "modifiedAt": now,
            "tags": self._get_param("tags") or {},
            "_pending": TRANSITION_DESCRIBES,
            "_token": token,
        }
        for key in ("serviceAccountRoleArn", "configurationValues"):
            if self._get_param(key):
                addon[key] = self._get_param(key)
        addons[name] = addon
        return ActionResult({"addon": _addon_view(addon)})


def describe_addon(self):
    cluster = self._get_param("name")
    name = self._get_param("addonName")
    with _lock:
        addons = _addons(self.eks_backend, cluster)
        if name not in addons:
            raise _not_found(f"No addon: {name} found in cluster: {cluster}", cluster=cluster, addon=name)
        return ActionResult({"addon": _addon_view(addons[name])})


def update_addon(self):
    cluster = self._get_param("name")
    name = self._get_param("addonName")
    with _lock:
        addons = _addons(self.eks_backend, cluster)
        if name not in addons:
            raise _not_found(f"No addon: {name} found in cluster: {cluster}", cluster=cluster, addon=name)
        addon = addons[name]
        for key in ("addonVersion", "serviceAccountRoleArn", "configurationValues"):
            if self._get_param(key) is not None:
                addon[key] = self._get_param(key)
        addon["status"] = "UPDATING"
        addon["_pending"] = TRANSITION_DESCRIBES
        addon["modifiedAt"] = datetime.datetime.now(datetime.timezone.utc)
        update = {"id": "gantry-update", "status": "InProgress", "type": "AddonUpdate", "params": [], "errors": []}
        return ActionResult({"update": update})


def delete_addon(self):
    cluster = self._get_param("name")
    name = self._get_param("addonName")
    with _lock:
        addons = _addons(self.eks_backend, cluster)
        if name not in addons:
            raise _not_found(f"No addon: {name} found in cluster: {cluster}", cluster=cluster, addon=name)
        addon = addons.pop(name)
        addon["status"] = "DELETING"
        return ActionResult({"addon": _addon_view(addon)})


def list_addons(self):
    cluster = self._get_param("name")
    with _lock:
        return ActionResult({"addons": sorted(_addons(self.eks_backend, cluster))})


er.EKSResponse.create_addon = create_addon
er.EKSResponse.describe_addon = describe_addon
er.EKSResponse.update_addon = update_addon
er.EKSResponse.delete_addon = delete_addon
er.EKSResponse.list_addons = list_addons

eu.url_paths["{0}/clusters/(?P<name>[^/]+)/addons$"] = eu.response.dispatch
eu.url_paths["{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)$"] = eu.response.dispatch
eu.url_paths["{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)/update$"] = eu.response.dispatch
