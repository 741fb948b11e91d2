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


def link(ctx, ref):
    """A path as the URL Compute returns for it."""
    return ref if ref.startswith("http") else ctx.base_url + "compute/v1/" + ref


# Accelerator-optimized machine types come with their GPUs attached.
BUILT_IN = {"g2-standard-4": ("nvidia-l4", 1), "g2-standard-8": ("nvidia-l4", 1), "g2-standard-12": ("nvidia-l4", 1),
            "g2-standard-16": ("nvidia-l4", 1), "g2-standard-24": ("nvidia-l4", 2), "g2-standard-32": ("nvidia-l4", 1),
            "g2-standard-48": ("nvidia-l4", 4), "g2-standard-96": ("nvidia-l4", 8),
            "a2-highgpu-1g": ("nvidia-tesla-a100", 1), "a2-highgpu-2g": ("nvidia-tesla-a100", 2),
            "a2-highgpu-8g": ("nvidia-tesla-a100", 8), "a3-highgpu-8g": ("nvidia-h100-80gb", 8)}


def zone_types(zone):
    return {"us-central1-a": ["nvidia-l4", "nvidia-tesla-a100", "nvidia-h100-80gb", "nvidia-tesla-t4"],
            "us-central1-b": ["nvidia-l4", "nvidia-tesla-a100", "nvidia-tesla-t4"],
            "us-central1-c": ["nvidia-l4", "nvidia-h100-80gb"]}.get(zone, ["nvidia-tesla-t4"])


def normalize_machine(ctx, obj):
    zone_path = "/".join(obj["zone"].split("/compute/v1/")[1:])
    obj["machineType"] = link(ctx, obj["machineType"])
    mt = obj["machineType"].rsplit("/", 1)[-1]
    if mt in BUILT_IN:
        t, n = BUILT_IN[mt]
        obj["guestAccelerators"] = [{"acceleratorType": f"{zone_path}/acceleratorTypes/{t}", "acceleratorCount": n}]
    for a in obj.get("guestAccelerators") or []:
        t = a["acceleratorType"].rsplit("/", 1)[-1]
        if t not in zone_types(zone_path.rsplit("/", 1)[-1]):
            raise ApiError(400, f"Invalid value for field 'resource.guestAccelerators[0].acceleratorType': "
                           f"'{a['acceleratorType']}'. Accelerator type '{t}' does not exist in zone.",
                           errors=[{"reason": "invalid", "message": "accelerator type not in zone"}])
        a["acceleratorType"] = link(ctx, a["acceleratorType"])


def instance_created(ctx, obj):
    normalize_machine(ctx, obj)
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
    obj.setdefault("tags", {})["fingerprint"] = ctx.state.new_id()[-8:] + "FFF="
    obj.setdefault("cpuPlatform", "Intel Cascade Lake")
    obj.setdefault("metadata", {}).update({"kind": "compute#metadata",
                                           "fingerprint": ctx.state.new_id()[-8:] + "CCC="})
    project = obj["zone"].split("/compute/v1/")[1].split("/")[1]
    for i, nic in enumerate(obj.get("networkInterfaces", [])):
        if not nic.get("network") and not nic.get("subnetwork"):
            nic["network"] = f"projects/{project}/global/networks/default"
        if nic.get("network"):
            nic["network"] = need_network(ctx, nic["network"])
        if nic.get("subnetwork"):
            sub = ctx.state.objects.get((ctx.api.prefix, nic["subnetwork"].split("/compute/v1/", 1)[-1]))
            if sub is None:
                raise ApiError(404, f"The resource '{nic['subnetwork']}' was not found")
            nic["subnetwork"] = link(ctx, nic["subnetwork"])
            nic.setdefault("network", sub["network"])
        nic.setdefault("stackType", "IPV4_ONLY")
        for a in nic.get("accessConfigs", []):
            a.setdefault("natIP", f"34.0.0.{10 + i}")
            a.setdefault("networkTier", "PREMIUM")
            a["kind"] = "compute#accessConfig"
        nic.update({"name": f"nic{i}", "networkIP": f"10.128.0.{10 + i}", "kind": "compute#networkInterface",
                    "fingerprint": ctx.state.new_id()[-8:] + "DDD="})
    zone_path = obj["zone"].split("/compute/v1/", 1)[1]
    for i, disk in enumerate(obj.get("disks", [])):
        disk_key = f"{zone_path}/disks/{obj['name'] if i == 0 else obj['name'] + '-' + str(i)}"
        init = disk.pop("initializeParams", None) or {}
        size = str(init.get("diskSizeGb") or "50")
        disk.update({"index": i, "kind": "compute#attachedDisk", "deviceName": disk.get("deviceName", f"persistent-disk-{i}"),
                     "source": link(ctx, disk.get("source") or disk_key), "diskSizeGb": size})
        if init:
            # The boot disk is an object of its own, as in Compute: its image and type live there.
            image = resolve_image(ctx, init["sourceImage"]) if init.get("sourceImage") else None
            ctx.put(disk_key, {"kind": "compute#disk", "name": disk_key.rsplit("/", 1)[-1], "id": ctx.state.new_id(),
                               "selfLink": link(ctx, disk_key), "zone": obj["zone"], "sizeGb": size,
                               "sourceImage": image, "status": "READY",
                               "type": link(ctx, init.get("diskType") or f"{zone_path}/diskTypes/pd-standard"),
                               "users": [obj["selfLink"]]})


def resolve_image(ctx, ref):
    """An image path or family path as the image's URL (404 when neither exists)."""
    path = ref.split("/compute/v1/", 1)[-1]
    parts = path.split("/")  # projects/P/global/images/[family/]X
    project, rest = parts[1], parts[4:]
    families = FAMILIES.get(project, [])
    if rest[0] == "family" and rest[1] in families:
        return link(ctx, f"projects/{project}/global/images/{rest[1]}-v20261101")
    if rest[0] != "family" and any(rest[0] == f + "-v20261101" for f in families):
        return link(ctx, path)
    raise ApiError(404, f"The resource '{path}' was not found",
                   errors=[{"reason": "notFound", "message": f"The resource '{path}' was not found"}])


def instance_ready(ctx, obj):
    obj["status"] = "RUNNING"


def instance_deleting(ctx, obj):
    if obj.get("deletionProtection"):
        raise ApiError(400, "Invalid resource usage: 'Resource cannot be deleted if it's protected against deletion.'.",
                       errors=[{"reason": "resourceInUseByAnotherResource", "message": "deletion protection"}])
    for d in obj.get("disks", []):
        if d.get("autoDelete"):
            ctx.state.objects.pop((ctx.api.prefix, d["source"].split("/compute/v1/", 1)[-1]), None)


HOOKS[f"{API}:instances"] = {"on_create": instance_created, "ready": instance_ready,
                             "on_delete": instance_deleting}


def network_created(ctx, obj):
    obj.setdefault("autoCreateSubnetworks", False)
    obj["kind"] = "compute#network"
    obj.setdefault("routingConfig", {"routingMode": "REGIONAL"})


def need_network(ctx, ref):
    """The network must exist (every project has `default`); returns its URL."""
    path = ref.split("/compute/v1/", 1)[-1]
    if not path.endswith("/networks/default") and (ctx.api.prefix, path) not in ctx.state.objects:
        raise ApiError(404, f"The resource '{path}' was not found",
                       errors=[{"reason": "notFound", "message": f"The resource '{path}' was not found"}])
    return link(ctx, path)


def subnetwork_created(ctx, obj):
    obj["network"] = need_network(ctx, obj["network"])
    obj.update({"kind": "compute#subnetwork", "fingerprint": ctx.state.new_id()[-8:] + "EEE=",
                "gatewayAddress": obj.get("ipCidrRange", "10.0.0.0/24").rsplit(".", 1)[0] + ".1"})
    obj["region"] = ctx.base_url + "compute/v1/" + "/".join(ctx.path.split("/")[:4])


def firewall_created(ctx, obj):
    obj["network"] = need_network(ctx, obj.get("network") or
                                  f"projects/{ctx.path.split('/')[1]}/global/networks/default")
    obj["kind"] = "compute#firewall"
    obj.setdefault("direction", "INGRESS")
    obj.setdefault("priority", 1000)


def network_deleting(ctx, obj):
    url = obj["selfLink"]
    for (api, key), other in ctx.state.objects.items():
        refs = [other.get("network")] + [n.get("network") for n in other.get("networkInterfaces", [])]
        if api == ctx.api.prefix and url in refs:
            raise ApiError(400, f"The network resource '{obj_key(obj)}' is already being used by '{key}'",
                           errors=[{"reason": "resourceInUseByAnotherResource",
                                    "message": f"The network resource '{obj_key(obj)}' is already being used by '{key}'"}])


HOOKS[f"{API}:networks"] = {"on_create": network_created, "ready": lambda c, o: None,
                            "on_delete": network_deleting}


def subnetwork_patch(ctx, obj, body, fields):
    if body.get("fingerprint") != obj.get("fingerprint"):
        raise ApiError(412, "Supplied fingerprint does not match current fingerprint.", status="FAILED_PRECONDITION",
                       errors=[{"reason": "conditionNotMet", "message": "fingerprint mismatch"}])
    fields.remove("fingerprint")
    obj["fingerprint"] = ctx.state.new_id()[-8:] + "EEE="


HOOKS[f"{API}:subnetworks"] = {"on_create": subnetwork_created, "check_patch": subnetwork_patch}
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
        normalize_machine(ctx, obj)
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


@handler("compute.instances.setTags")
def set_tags(ctx):
    obj = ctx.get(ctx.path.rsplit("/", 1)[0], "Instance")
    if ctx.body.get("fingerprint") != obj.get("tags", {}).get("fingerprint"):
        raise ApiError(412, "Supplied fingerprint does not match current tags fingerprint.",
                       status="FAILED_PRECONDITION")

    def apply():
        obj["tags"] = {"items": list(ctx.body.get("items") or []),
                       "fingerprint": ctx.state.new_id()[-8:] + "FFF="}
    return zonal_change(ctx, obj, apply)


@handler("compute.instances.setMachineResources")
def set_machine_resources(ctx):
    obj = ctx.get(ctx.path.rsplit("/", 1)[0], "Instance")
    if obj.get("status") != "TERMINATED":
        raise ApiError(400, f"The resource '{obj_key(obj)}' is not ready", status="FAILED_PRECONDITION",
                       errors=[{"reason": "resourceNotReady", "message": "Instance must be stopped"}])

    def apply():
        obj["guestAccelerators"] = copy.deepcopy(ctx.body.get("guestAccelerators") or [])
        normalize_machine(ctx, obj)
    return zonal_change(ctx, obj, apply)


@handler("compute.instances.setDeletionProtection")
def set_deletion_protection(ctx):
    obj = ctx.get(ctx.path.rsplit("/", 1)[0], "Instance")

    def apply():
        obj["deletionProtection"] = ctx.query.get("deletionProtection", "true") == "true"
    return zonal_change(ctx, obj, apply)


@handler("compute.subnetworks.expandIpCidrRange")
def expand_range(ctx):
    obj = ctx.get(ctx.path.rsplit("/", 1)[0], "Subnetwork")
    new = ctx.body["ipCidrRange"]
    if int(new.split("/")[1]) >= int(obj["ipCidrRange"].split("/")[1]):
        raise ApiError(400, f"Invalid value for field 'resource.ipCidrRange': '{new}'. "
                       "The new range must be larger than the current range.",
                       errors=[{"reason": "invalid", "message": "range must grow"}])

    def apply():
        obj["ipCidrRange"] = new
        obj["fingerprint"] = ctx.state.new_id()[-8:] + "EEE="
    return zonal_change(ctx, obj, apply)


@handler("compute.subnetworks.setPrivateIpGoogleAccess")
def set_private_access(ctx):
    obj = ctx.get(ctx.path.rsplit("/", 1)[0], "Subnetwork")

    def apply():
        obj["privateIpGoogleAccess"] = bool(ctx.body.get("privateIpGoogleAccess"))
    return zonal_change(ctx, obj, apply)


@handler("compute.instances.setScheduling")
def set_scheduling(ctx):
    obj = ctx.get(ctx.path.rsplit("/", 1)[0], "Instance")
    if obj.get("guestAccelerators") and ctx.body.get("onHostMaintenance") == "MIGRATE":
        raise ApiError(400, "Instances with guest accelerators do not support live migration.")

    def apply():
        obj["scheduling"] = copy.deepcopy(ctx.body)
    return zonal_change(ctx, obj, apply)


@handler("compute.images.get")
def image_get(ctx):
    link_ = resolve_image(ctx, ctx.path)
    name = link_.rsplit("/", 1)[-1]
    return 200, {"kind": "compute#image", "id": "4242", "name": name, "family": name[:-len("-v20261101")],
                 "selfLink": link_, "status": "READY", "diskSizeGb": "50", "architecture": "X86_64"}


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
    names = zone_types(zone)
    base = ctx.base_url + f"compute/v1/projects/{ctx.path.split('/')[1]}/zones/{zone}"
    return 200, {"kind": "compute#acceleratorTypeList",
                 "items": [{"kind": "compute#acceleratorType", "name": n, "zone": base,
                            "selfLink": f"{base}/acceleratorTypes/{n}", "maximumCardsPerInstance": 8}
                           for n in names]}
