"""Compute Engine (compute v1): instances with GPUs, networks, subnetworks, firewalls, images.

An instance with guest accelerators must set scheduling.onHostMaintenance = TERMINATE (the
API refuses live migration for GPUs, with its own message); labels change only through
setLabels with the current labelFingerprint (412 otherwise), metadata through setMetadata with
its fingerprint; the machine type changes only while the instance is TERMINATED. A stockout
injected on insert ends the zonal operation with ZONE_RESOURCE_POOL_EXHAUSTED and the zones
that have capacity in errorInfo.metadata.zonesAvailable, as Compute reports it.
"""

import copy

from behaviours import HOOKS, handler
from model import ApiError

API = "compute"

# Deep Learning VM image families (project deeplearning-platform-release) and a base image.
FAMILIES = {
    "deeplearning-platform-release": ["common-cu124-debian-11-py310", "common-cu123-ubuntu-2204-py310",
                                      "pytorch-latest-gpu-debian-11-py310", "tf-latest-gpu-debian-11-py310"],
    "debian-cloud": ["debian-12", "debian-11"],
}


def instance_created(ctx, obj):
    accels = obj.get("guestAccelerators") or []
    sched = obj.setdefault("scheduling", {})
    if accels and sched.get("onHostMaintenance", "MIGRATE") != "TERMINATE":
        raise ApiError(400, "Instances with guest accelerators do not support live migration.",
                       errors=[{"domain": "global", "reason": "badRequest",
                                "message": "Instances with guest accelerators do not support live migration."}])
    sched.setdefault("onHostMaintenance", "MIGRATE")
    sched.setdefault("automaticRestart", True)
    sched.setdefault("preemptible", False)
    sched.setdefault("provisioningModel", "STANDARD")
    obj.update({"status": "PROVISIONING", "kind": "compute#instance",
                "labelFingerprint": ctx.state.new_id()[-8:] + "AAA=",
                "fingerprint": ctx.state.new_id()[-8:] + "BBB="})
    obj.setdefault("metadata", {}).update({"kind": "compute#metadata",
                                           "fingerprint": ctx.state.new_id()[-8:] + "CCC="})
    for i, nic in enumerate(obj.get("networkInterfaces", [])):
        nic.update({"name": f"nic{i}", "networkIP": f"10.128.0.{10 + i}", "kind": "compute#networkInterface",
                    "fingerprint": ctx.state.new_id()[-8:] + "DDD="})
    for i, disk in enumerate(obj.get("disks", [])):
        disk.update({"index": i, "kind": "compute#attachedDisk", "deviceName": disk.get("deviceName", f"persistent-disk-{i}"),
                     "source": ctx.base_url + "compute/v1/" + "/".join(obj["zone"].split("/compute/v1/")[1:]) +
                     f"/disks/{obj['name'] if i == 0 else obj['name'] + '-' + str(i)}"})
        disk.pop("initializeParams", None)


def instance_ready(ctx, obj):
    obj["status"] = "RUNNING"


HOOKS[f"{API}:instances"] = {"on_create": instance_created, "ready": instance_ready}


def network_created(ctx, obj):
    obj.setdefault("autoCreateSubnetworks", False)
    obj["kind"] = "compute#network"
    obj.setdefault("routingConfig", {"routingMode": "REGIONAL"})


def subnetwork_created(ctx, obj):
    obj.update({"kind": "compute#subnetwork", "fingerprint": ctx.state.new_id()[-8:] + "EEE=",
                "gatewayAddress": obj.get("ipCidrRange", "10.0.0.0/24").rsplit(".", 1)[0] + ".1"})
    obj["region"] = ctx.base_url + "compute/v1/" + "/".join(ctx.path.split("/")[:4])


def firewall_created(ctx, obj):
    obj["kind"] = "compute#firewall"
    obj.setdefault("direction", "INGRESS")
    obj.setdefault("priority", 1000)


HOOKS[f"{API}:networks"] = {"on_create": network_created, "ready": lambda c, o: None}
HOOKS[f"{API}:subnetworks"] = {"on_create": subnetwork_created}
HOOKS[f"{API}:firewalls"] = {"on_create": firewall_created}


def zonal_change(ctx, obj, apply):
    def finish():
        apply()
        return None

    return 200, ctx.operation(obj_key(obj), finish)


def obj_key(obj):
    return obj["selfLink"].split("/compute/v1/", 1)[1]


@handler("compute.instances.setLabels")
def set_labels(ctx):
    obj = ctx.get(ctx.path.rsplit("/", 1)[0], "Instance")
    if ctx.body.get("labelFingerprint") != obj.get("labelFingerprint"):
        raise ApiError(412, "Labels fingerprint either invalid or resource labels have changed",
                       status="FAILED_PRECONDITION",
                       errors=[{"reason": "conditionNotMet", "message": "Labels fingerprint either invalid or resource labels have changed"}])

    def apply():
        obj["labels"] = copy.deepcopy(ctx.body.get("labels") or {})
        obj["labelFingerprint"] = ctx.state.new_id()[-8:] + "AAA="
    return zonal_change(ctx, obj, apply)


@handler("compute.instances.setMetadata")
def set_metadata(ctx):
    obj = ctx.get(ctx.path.rsplit("/", 1)[0], "Instance")
    if ctx.body.get("fingerprint") != obj.get("metadata", {}).get("fingerprint"):
        raise ApiError(412, "Supplied fingerprint does not match current metadata fingerprint.",
                       status="FAILED_PRECONDITION")

    def apply():
        obj["metadata"] = dict(copy.deepcopy(ctx.body), kind="compute#metadata",
                               fingerprint=ctx.state.new_id()[-8:] + "CCC=")
    return zonal_change(ctx, obj, apply)


@handler("compute.instances.setMachineType")
def set_machine_type(ctx):
    obj = ctx.get(ctx.path.rsplit("/", 1)[0], "Instance")
    if obj.get("status") != "TERMINATED":
        raise ApiError(400, f"The resource '{obj_key(obj)}' is not ready", status="FAILED_PRECONDITION",
                       errors=[{"reason": "resourceNotReady", "message": "Instance must be stopped"}])

    def apply():
        obj["machineType"] = ctx.body["machineType"]
    return zonal_change(ctx, obj, apply)


@handler("compute.instances.stop")
def stop(ctx):
    obj = ctx.get(ctx.path.rsplit("/", 1)[0], "Instance")
    obj["status"] = "STOPPING"

    def apply():
        obj["status"] = "TERMINATED"
    return zonal_change(ctx, obj, apply)


@handler("compute.instances.start")
def start(ctx):
    obj = ctx.get(ctx.path.rsplit("/", 1)[0], "Instance")

    def apply():
        obj["status"] = "RUNNING"
    return zonal_change(ctx, obj, apply)


@handler("compute.instances.setScheduling")
def set_scheduling(ctx):
    obj = ctx.get(ctx.path.rsplit("/", 1)[0], "Instance")
    if obj.get("guestAccelerators") and ctx.body.get("onHostMaintenance") == "MIGRATE":
        raise ApiError(400, "Instances with guest accelerators do not support live migration.")

    def apply():
        obj["scheduling"] = copy.deepcopy(ctx.body)
    return zonal_change(ctx, obj, apply)


@handler("compute.images.getFromFamily")
def image_from_family(ctx):
    parts = ctx.path.split("/")  # projects/P/global/images/family/F
    project, family = parts[1], parts[-1]
    if family not in FAMILIES.get(project, []):
        raise ApiError(404, f"The resource 'projects/{project}/global/images/family/{family}' was not found",
                       errors=[{"reason": "notFound", "message": f"The resource 'projects/{project}/global/images/family/{family}' was not found"}])
    name = f"{family}-v20261101"
    link = ctx.base_url + f"compute/v1/projects/{project}/global/images/{name}"
    return 200, {"kind": "compute#image", "id": "4242", "name": name, "family": family,
                 "selfLink": link, "status": "READY", "diskSizeGb": "50",
                 "architecture": "X86_64", "creationTimestamp": "2026-11-01T00:00:00.000-07:00"}


@handler("compute.acceleratorTypes.list")
def accelerator_types(ctx):
    zone = ctx.path.split("/")[3]
    names = {"us-central1-a": ["nvidia-l4", "nvidia-tesla-a100", "nvidia-h100-80gb", "nvidia-tesla-t4"],
             "us-central1-b": ["nvidia-l4", "nvidia-tesla-a100", "nvidia-tesla-t4"],
             "us-central1-c": ["nvidia-l4", "nvidia-h100-80gb"]}.get(zone, ["nvidia-tesla-t4"])
    base = ctx.base_url + f"compute/v1/projects/{ctx.path.split('/')[1]}/zones/{zone}"
    return 200, {"kind": "compute#acceleratorTypeList",
                 "items": [{"kind": "compute#acceleratorType", "name": n, "zone": base,
                            "selfLink": f"{base}/acceleratorTypes/{n}", "maximumCardsPerInstance": 8}
                           for n in names]}
