"""Cloud TPU (tpu v2): TPU VMs (nodes), accelerator types and runtime versions per zone.

A node exists in state CREATING while its create operation runs and becomes READY when it
finishes; a stockout injected on the create ends the operation with code 8
(RESOURCE_EXHAUSTED) and the node is gone, as on Google Cloud. Accelerator types offered per
zone come from OFFERED; asking for one a zone lacks is 400, as the API answers.
"""

from behaviours import HOOKS, handler
from model import ApiError

API = "tpu"

OFFERED = {
    "us-central1-a": ["v5litepod-1", "v5litepod-4", "v5litepod-8", "v5litepod-16", "v6e-1", "v6e-8"],
    "us-central1-b": ["v5litepod-1", "v5litepod-4", "v5litepod-8", "v5p-8", "v6e-8"],
    "us-central2-b": ["v4-8", "v4-16", "v4-32"],
    "us-west4-a": ["v5litepod-1", "v5litepod-4", "v5litepod-8"],
    "europe-west4-a": ["v5litepod-8", "v6e-8"],
}
RUNTIMES = ["tpu-ubuntu2204-base", "v2-alpha-tpuv5-lite", "v2-alpha-tpuv6e", "tpu-vm-tf-2.16.1-pjrt",
            "tpu-vm-pt-2.0", "v2-alpha-tpuv5"]


def zone_of(key):
    return key.split("/")[3]


def node_created(ctx, obj):
    zone = zone_of(obj["name"])
    acc = obj.get("acceleratorType") or (obj.get("acceleratorConfig") or {}).get("type")
    if not acc:
        raise ApiError(400, "Either accelerator_type or accelerator_config must be set.")
    if obj.get("acceleratorType") and obj.get("acceleratorConfig"):
        raise ApiError(400, "Only one of accelerator_type and accelerator_config may be set.")
    if obj.get("acceleratorType") and acc not in OFFERED.get(zone, []):
        raise ApiError(400, f'Accelerator type "{acc}" is not available in zone "{zone}".')
    if obj.get("runtimeVersion") not in RUNTIMES:
        raise ApiError(400, f'Runtime version "{obj.get("runtimeVersion")}" not found.')
    obj.update({"state": "CREATING", "id": ctx.state.new_id(), "apiVersion": "V2"})
    obj.setdefault("networkConfig", {"network": f"projects/{obj['name'].split('/')[1]}/global/networks/default",
                                     "subnetwork": "", "enableExternalIps": False})
    obj.setdefault("schedulingConfig", {})


def node_ready(ctx, obj):
    obj.update({"state": "READY", "health": "HEALTHY",
                "networkEndpoints": [{"ipAddress": "10.128.0.7", "port": 8470,
                                      "accessConfig": {}}]})


def node_deleting(ctx, obj):
    obj["state"] = "DELETING"


HOOKS[f"{API}:nodes"] = {
    "on_create": node_created,
    "ready": node_ready,
    "early": True,
    "deleting": node_deleting,
    "mutable": {"description", "tags", "labels", "metadata", "shieldedInstanceConfig",
                "networkConfig"},
}


def catalog(ctx, kind):
    zone = ctx.path.split("/")[3]
    if zone not in OFFERED:
        raise ApiError(404, f"Location {zone} not found.")
    base = "/".join(ctx.path.split("/")[:4])
    if kind == "acceleratorTypes":
        return [{"name": f"{base}/acceleratorTypes/{t}", "type": t.split("-")[0],
                 "acceleratorConfigs": [{"type": t.split("-")[0].upper().replace("LITEPOD", "_LITE_POD"),
                                         "topology": "2x2"}]} for t in OFFERED[zone]]
    return [{"name": f"{base}/runtimeVersions/{v}", "version": v} for v in RUNTIMES]


@handler("tpu.projects.locations.acceleratorTypes.list")
def accelerator_types(ctx):
    return 200, {"acceleratorTypes": catalog(ctx, "acceleratorTypes")}


@handler("tpu.projects.locations.runtimeVersions.list")
def runtime_versions(ctx):
    return 200, {"runtimeVersions": catalog(ctx, "runtimeVersions")}
