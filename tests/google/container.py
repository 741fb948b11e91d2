"""GKE (container v1): clusters and node pools with GPUs and TPUs.

Semantics as GKE has them: one operation at a time per cluster (a second mutation while one
runs is 400 FAILED_PRECONDITION "Cluster is running incompatible operation"); a node pool's
nodes are Compute managed instance groups, one per zone, whose targetSize is the pool's
node count (setSize changes it); GPU accelerators must be offered in every zone of the pool;
TPU slices need a ct* machine type and a placement policy topology; resource labels change
only with the current labelFingerprint; a cluster's delete takes its pools with it.
"""

import copy
import hashlib

from behaviours import handler
from compute import zone_types
from model import ApiError

API = "container"
VERSION = "1.31.5-gke.1023000"


def cluster_key(path):
    return "/".join(path.split("/")[:6])  # projects/P/locations/L/clusters/C


def zones_of(location):
    return [location] if location.count("-") == 2 else [f"{location}-a", f"{location}-b", f"{location}-c"]


def busy(ctx, ckey):
    """Refuses a mutation while another operation on the cluster runs."""
    for (api, _), op in list(ctx.state.operations.items()):
        if api != API or not op.target.startswith(ckey):
            continue
        if not op.done and ctx.state.clock >= op.done_at:
            op.poll(ctx.state)
        if not op.done:
            raise ApiError(400, f"Cluster is running incompatible operation {op.key.rsplit('/', 1)[-1]}.",
                           status="FAILED_PRECONDITION")


def get_cluster(ctx, ckey):
    obj = ctx.state.objects.get((API, ckey))
    if obj is None:
        raise ApiError(404, f"Not found: {ckey}.", status="NOT_FOUND")
    return obj


def pools_of(ctx, ckey):
    return [o for (api, k), o in sorted(ctx.state.objects.items())
            if api == API and k.startswith(ckey + "/nodePools/")]


def migs(ctx, ckey, pool, zones, count):
    project = ckey.split("/")[1]
    cname = ckey.rsplit("/", 1)[-1]
    urls = []
    for z in zones:
        h = hashlib.sha1(f"{ckey}/{pool['name']}/{z}".encode()).hexdigest()[:8]
        key = f"projects/{project}/zones/{z}/instanceGroupManagers/gke-{cname}-{pool['name']}-{h}-grp"
        link = ctx.base_url.replace("/container/", "/compute/") + "compute/v1/" + key
        ctx.state.objects[("compute", key)] = {"kind": "compute#instanceGroupManager", "name": key.rsplit("/", 1)[-1],
                                               "zone": z, "targetSize": count, "selfLink": link,
                                               "baseInstanceName": f"gke-{cname}-{pool['name']}-{h}"}
        urls.append(link)
    return urls


def drop_migs(ctx, pool):
    for u in pool.get("instanceGroupUrls", []):
        ctx.state.objects.pop(("compute", u.split("/compute/v1/", 1)[1]), None)


def check_pool(ctx, pool, zones):
    cfg = pool.setdefault("config", {})
    for a in cfg.get("accelerators") or []:
        for z in zones:
            if a["acceleratorType"] not in zone_types(z):
                raise ApiError(400, f"Accelerator type \"{a['acceleratorType']}\" does not exist in zone {z}.",
                               status="INVALID_ARGUMENT")
        a["acceleratorCount"] = str(a.get("acceleratorCount", "1"))
    topo = (pool.get("placementPolicy") or {}).get("tpuTopology")
    mt = cfg.get("machineType", "e2-medium")
    if topo and not mt.startswith("ct"):
        raise ApiError(400, f"tpuTopology is only supported for TPU machine types, not {mt}.",
                       status="INVALID_ARGUMENT")
    cfg.setdefault("machineType", "e2-medium")
    cfg.setdefault("diskSizeGb", 100)
    cfg.setdefault("diskType", "pd-balanced")
    cfg.setdefault("imageType", "COS_CONTAINERD")
    cfg.setdefault("serviceAccount", "default")
    cfg.setdefault("oauthScopes", ["https://www.googleapis.com/auth/cloud-platform"])


def new_pool(ctx, ckey, cluster, pool):
    zones = pool.get("locations") or cluster["locations"]
    check_pool(ctx, pool, zones)
    pool.setdefault("initialNodeCount", 1)
    pool.update({"status": "PROVISIONING", "version": cluster.get("currentMasterVersion", VERSION),
                 "selfLink": ctx.base_url + f"v1/{ckey}/nodePools/{pool['name']}", "locations": zones,
                 "etag": ctx.state.new_id()[-8:]})
    pool.setdefault("management", {"autoUpgrade": True, "autoRepair": True})
    pool["instanceGroupUrls"] = migs(ctx, ckey, pool, zones, pool["initialNodeCount"])
    ctx.state.objects[(API, f"{ckey}/nodePools/{pool['name']}")] = pool
    return pool


@handler("container.projects.locations.clusters.create")
def cluster_create(ctx):
    parent = ctx.path  # projects/P/locations/L/clusters
    cluster = copy.deepcopy(ctx.body.get("cluster") or {})
    name = cluster.get("name")
    if not name:
        raise ApiError(400, "Cluster.name must be specified.", status="INVALID_ARGUMENT")
    ckey = f"{parent}/{name}"
    if (API, ckey) in ctx.state.objects:
        raise ApiError(409, f"Already exists: {ckey}.", status="ALREADY_EXISTS")
    pools = cluster.pop("nodePools", None) or []
    if not pools and not cluster.get("initialNodeCount"):
        raise ApiError(400, "Cluster.initial_node_count must be greater than zero.", status="INVALID_ARGUMENT")
    location = parent.split("/")[3]
    project = parent.split("/")[1]
    cluster.setdefault("locations", zones_of(location))
    cluster.update({"status": "PROVISIONING", "location": location, "zone": location,
                    "selfLink": ctx.base_url + f"v1/{ckey}", "endpoint": "34.118.0.10",
                    "currentMasterVersion": VERSION, "initialClusterVersion": VERSION,
                    "currentNodeVersion": VERSION, "labelFingerprint": ctx.state.new_id()[-8:],
                    "servicesIpv4Cidr": "34.118.224.0/20", "clusterIpv4Cidr": "10.4.0.0/14",
                    "createTime": ctx.state.now_rfc3339(), "id": ctx.state.new_id()})
    cluster.setdefault("network", "default")
    cluster.setdefault("subnetwork", "default")
    cluster.setdefault("releaseChannel", {"channel": "REGULAR"})
    cluster.setdefault("resourceLabels", {})
    if cluster.get("workloadIdentityConfig", {}).get("workloadPool") not in (None, f"{project}.svc.id.goog"):
        raise ApiError(400, f"Workload pool must be {project}.svc.id.goog.", status="INVALID_ARGUMENT")
    ctx.state.objects[(API, ckey)] = cluster
    if not pools:
        pools = [{"name": "default-pool", "initialNodeCount": cluster["initialNodeCount"],
                  "config": copy.deepcopy(cluster.get("nodeConfig") or {})}]
    made = [new_pool(ctx, ckey, cluster, p) for p in pools]

    def finish():
        cluster["status"] = "RUNNING"
        for p in made:
            p["status"] = "RUNNING"
        return None
    return 200, ctx.operation(ckey, finish, kind="CREATE_CLUSTER")


@handler("container.projects.locations.clusters.get")
def cluster_get(ctx):
    ckey = cluster_key(ctx.path)
    out = dict(get_cluster(ctx, ckey))
    out["nodePools"] = pools_of(ctx, ckey)
    return 200, out


@handler("container.projects.locations.clusters.list")
def cluster_list(ctx):
    project, location = ctx.path.split("/")[1], ctx.path.split("/")[3]
    out = []
    for (api, k), o in sorted(ctx.state.objects.items()):
        parts = k.split("/")
        if api == API and len(parts) == 6 and parts[1] == project and (location == "-" or parts[3] == location):
            out.append(dict(o, nodePools=pools_of(ctx, k)))
    return 200, {"clusters": out}


@handler("container.projects.locations.clusters.delete")
def cluster_delete(ctx):
    ckey = cluster_key(ctx.path)
    cluster = get_cluster(ctx, ckey)
    busy(ctx, ckey)
    cluster["status"] = "STOPPING"

    def finish():
        for p in pools_of(ctx, ckey):
            drop_migs(ctx, p)
            ctx.state.objects.pop((API, f"{ckey}/nodePools/{p['name']}"), None)
        ctx.state.objects.pop((API, ckey), None)
        return None
    return 200, ctx.operation(ckey, finish, kind="DELETE_CLUSTER")


@handler("container.projects.locations.clusters.setResourceLabels")
def cluster_labels(ctx):
    ckey = cluster_key(ctx.path)
    cluster = get_cluster(ctx, ckey)
    if ctx.body.get("labelFingerprint") != cluster.get("labelFingerprint"):
        raise ApiError(400, "Labels could not be set due to fingerprint mismatch; expected fingerprint "
                            f"{cluster.get('labelFingerprint')}.", status="FAILED_PRECONDITION")
    busy(ctx, ckey)

    def finish():
        cluster["resourceLabels"] = copy.deepcopy(ctx.body.get("resourceLabels") or {})
        cluster["labelFingerprint"] = ctx.state.new_id()[-8:]
        return None
    return 200, ctx.operation(ckey, finish, kind="UPDATE_CLUSTER")


@handler("container.projects.locations.clusters.update")
def cluster_update(ctx):
    ckey = cluster_key(ctx.path)
    cluster = get_cluster(ctx, ckey)
    busy(ctx, ckey)
    update = ctx.body.get("update") or {}
    allowed = {"desiredReleaseChannel", "desiredMasterVersion", "desiredWorkloadIdentityConfig"}
    if len(update) != 1 or not set(update) <= allowed:
        raise ApiError(400, "Exactly one update can be applied to a cluster with each request "
                            f"(got {sorted(update)}).", status="INVALID_ARGUMENT")

    def finish():
        if "desiredReleaseChannel" in update:
            cluster["releaseChannel"] = update["desiredReleaseChannel"]
        if "desiredMasterVersion" in update:
            v = update["desiredMasterVersion"]
            cluster["currentMasterVersion"] = VERSION if v in ("latest", "-") else v
        if "desiredWorkloadIdentityConfig" in update:
            cluster["workloadIdentityConfig"] = update["desiredWorkloadIdentityConfig"]
        return None
    return 200, ctx.operation(ckey, finish, kind="UPDATE_CLUSTER")


def get_pool(ctx):
    key = "/".join(ctx.path.split("/")[:8])
    pool = ctx.state.objects.get((API, key))
    if pool is None:
        raise ApiError(404, f"Not found: {key}.", status="NOT_FOUND")
    return key, pool


@handler("container.projects.locations.clusters.nodePools.create")
def pool_create(ctx):
    ckey = cluster_key(ctx.path)
    cluster = get_cluster(ctx, ckey)
    pool = copy.deepcopy(ctx.body.get("nodePool") or {})
    if not pool.get("name"):
        raise ApiError(400, "NodePool.name must be specified.", status="INVALID_ARGUMENT")
    key = f"{ckey}/nodePools/{pool['name']}"
    if (API, key) in ctx.state.objects:
        raise ApiError(409, f"Already exists: {key}.", status="ALREADY_EXISTS")
    busy(ctx, ckey)
    pool = new_pool(ctx, ckey, cluster, pool)

    def finish():
        pool["status"] = "RUNNING"
        return None

    def failed():
        drop_migs(ctx, pool)
        ctx.state.objects.pop((API, key), None)
    return 200, ctx.operation(key, finish, {"on_error": failed}, kind="CREATE_NODE_POOL")


@handler("container.projects.locations.clusters.nodePools.get")
def pool_get(ctx):
    return 200, get_pool(ctx)[1]


@handler("container.projects.locations.clusters.nodePools.list")
def pool_list(ctx):
    return 200, {"nodePools": pools_of(ctx, cluster_key(ctx.path))}


def pool_change(ctx, kind, apply):
    key, pool = get_pool(ctx)
    busy(ctx, cluster_key(ctx.path))

    def finish():
        apply(pool)
        pool["etag"] = ctx.state.new_id()[-8:]
        return None
    return 200, ctx.operation(key, finish, kind=kind)


@handler("container.projects.locations.clusters.nodePools.setSize")
def pool_set_size(ctx):
    n = int(ctx.body.get("nodeCount", 0))

    def apply(pool):
        for u in pool.get("instanceGroupUrls", []):
            ctx.state.objects[("compute", u.split("/compute/v1/", 1)[1])]["targetSize"] = n
    return pool_change(ctx, "SET_NODE_POOL_SIZE", apply)


@handler("container.projects.locations.clusters.nodePools.setAutoscaling")
def pool_autoscaling(ctx):
    a = copy.deepcopy(ctx.body.get("autoscaling") or {})
    if a.get("enabled") and int(a.get("minNodeCount", 0)) > int(a.get("maxNodeCount", 0)):
        raise ApiError(400, "minNodeCount must not exceed maxNodeCount.", status="INVALID_ARGUMENT")
    return pool_change(ctx, "SET_NODE_POOL_AUTOSCALING", lambda p: p.__setitem__("autoscaling", a))


@handler("container.projects.locations.clusters.nodePools.setManagement")
def pool_management(ctx):
    m = copy.deepcopy(ctx.body.get("management") or {})
    return pool_change(ctx, "SET_NODE_POOL_MANAGEMENT", lambda p: p.__setitem__("management", m))


@handler("container.projects.locations.clusters.nodePools.update")
def pool_update(ctx):
    body = ctx.body or {}
    for k in ("machineType", "accelerators", "diskType", "diskSizeGb"):
        if k in body:
            raise ApiError(400, f"Updating {k} requires recreating the node pool.", status="INVALID_ARGUMENT")

    def apply(pool):
        cfg = pool["config"]
        if "labels" in body:
            cfg["labels"] = (body["labels"] or {}).get("labels", {})
        if "taints" in body:
            cfg["taints"] = (body["taints"] or {}).get("taints", [])
        if "resourceLabels" in body:
            cfg["resourceLabels"] = (body["resourceLabels"] or {}).get("labels", {})
        if body.get("nodeVersion"):
            pool["version"] = VERSION if body["nodeVersion"] in ("latest", "-") else body["nodeVersion"]
    return pool_change(ctx, "UPGRADE_NODES", apply)


@handler("container.projects.locations.clusters.nodePools.delete")
def pool_delete(ctx):
    key, pool = get_pool(ctx)
    busy(ctx, cluster_key(ctx.path))
    pool["status"] = "STOPPING"

    def finish():
        drop_migs(ctx, pool)
        ctx.state.objects.pop((API, key), None)
        return None
    return 200, ctx.operation(key, finish, kind="DELETE_NODE_POOL")
