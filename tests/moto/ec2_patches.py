"""EC2 behaviour real AWS has and moto 5.2 lacks, for GPU instances (imported by gantry_moto.py).

Test harness only: gantry's provider never special-cases moto. Each patch is listed in the
README's emulator table.

- Placement groups: CreatePlacementGroup / DescribePlacementGroups / DeletePlacementGroup are
  not implemented in moto. Added with EC2's documented errors (InvalidPlacementGroup.Duplicate,
  .Unknown, .InUse), `pg-` ids, TagSpecifications and the group-name / group-id / strategy /
  tag filters; CreateTags / DeleteTags take the `pg-` ids.
- RunInstances ignores Placement.GroupName, CpuOptions and CapacityReservationSpecification:
  they are recorded and described as EC2 does (a missing group is InvalidPlacementGroup.Unknown).
- A spot launch (InstanceMarketOptions) records no spot request: one is recorded, fulfilled by
  the instance, and the instance reports its SpotInstanceRequestId.
- An instance launched without block device mappings gets its default root volume at
  /dev/sda1 whatever the AMI's root device is (/dev/xvda for most Linux AMIs): it is
  attached at the AMI's root device name, as EC2 does.
- A network interface without a public address reports an empty Association (EC2 omits it),
  and an instance launched with groups on its interface reports no SecurityGroups (EC2 reports
  the primary interface's groups).
"""

import threading

from moto.ec2 import models as ec2m
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.ec2.models.spot_requests import SpotInstanceRequest
from moto.ec2.responses import EC2Response
from moto.ec2.responses.instances import InstanceResponse
from moto.ec2 import utils as ec2_utils
from moto.ec2.utils import random_id, random_spot_request_id
from moto.core.responses import ActionResult

_lock = threading.Lock()

# CreateTags / DeleteTags accept placement group ids (pg-…) as EC2 does.
ec2_utils.EC2_RESOURCE_TO_PREFIX.setdefault("placement-group", "pg")


def _groups(backend):
    if not hasattr(backend, "_gantry_placement_groups"):
        backend._gantry_placement_groups = {}
    return backend._gantry_placement_groups


def _unknown(name):
    return EC2ClientError("InvalidPlacementGroup.Unknown", f"The Placement Group '{name}' is unknown.")


def _view(backend, g):
    out = dict(g)
    tags = backend.tags.get(g["GroupId"], {})
    out["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    return out


def create_placement_group(self):
    name = self._get_param("GroupName")
    strategy = self._get_param("Strategy")
    if not name or strategy not in ("cluster", "spread", "partition"):
        raise EC2ClientError("InvalidParameterValue", f"Invalid value '{strategy}' for strategy.")
    backend = self.ec2_backend
    with _lock:
        groups = _groups(backend)
        if name in groups:
            raise EC2ClientError("InvalidPlacementGroup.Duplicate", f"The Placement Group '{name}' already exists.")
        gid = random_id(prefix="pg", size=17)
        group = {
            "GroupName": name,
            "GroupId": gid,
            "State": "available",
            "Strategy": strategy,
            "GroupArn": f"arn:aws:ec2:{backend.region_name}:{backend.account_id}:placement-group/{name}",
        }
        if strategy == "partition":
            group["PartitionCount"] = int(self._get_param("PartitionCount") or 2)
        if strategy == "spread":
            group["SpreadLevel"] = self._get_param("SpreadLevel") or "rack"
        groups[name] = group
        for spec in self._get_param("TagSpecifications", []):
            tags = {t["Key"]: t["Value"] for t in spec.get("Tags", [])}
            if tags:
                backend.create_tags([gid], tags)
    return ActionResult({"PlacementGroup": _view(backend, group)})


def _matches(backend, g, filters):
    tags = backend.tags.get(g["GroupId"], {})
    for f in filters:
        name, values = f.get("Name"), f.get("Values", [])
        if name == "group-name":
            have = [g["GroupName"]]
        elif name == "group-id":
            have = [g["GroupId"]]
        elif name == "strategy":
            have = [g["Strategy"]]
        elif name == "state":
            have = [g["State"]]
        elif name and name.startswith("tag:"):
            key = name[4:]
            have = [tags[key]] if key in tags else []
        elif name == "tag-key":
            have = list(tags)
        else:
            raise EC2ClientError("InvalidParameterValue", f"The filter '{name}' is invalid")
        if not set(have) & set(values):
            return False
    return True


def describe_placement_groups(self):
    backend = self.ec2_backend
    names = self._get_param("GroupNames", [])
    ids = self._get_param("GroupIds", [])
    filters = self._get_param("Filters", [])
    with _lock:
        groups = list(_groups(backend).values())
    for n in names:
        if not any(g["GroupName"] == n for g in groups):
            raise _unknown(n)
    for i in ids:
        if not any(g["GroupId"] == i for g in groups):
            raise EC2ClientError("InvalidPlacementGroupId.NotFound", f"The Placement Group ID '{i}' does not exist.")
    found = [
        _view(backend, g)
        for g in groups
        if (not names or g["GroupName"] in names)
        and (not ids or g["GroupId"] in ids)
        and _matches(backend, g, filters)
    ]
    return ActionResult({"PlacementGroups": found})


def delete_placement_group(self):
    backend = self.ec2_backend
    name = self._get_param("GroupName")
    with _lock:
        groups = _groups(backend)
        if name not in groups:
            raise _unknown(name)
        for inst in backend.all_instances():
            if inst.placement.group_name == name and inst.state not in ("terminated",):
                raise EC2ClientError("InvalidPlacementGroup.InUse", f"The placement group '{name}' is in use and may not be deleted.")
        group = groups.pop(name)
    backend.tags.pop(group["GroupId"], None)
    return ActionResult({})


EC2Response.create_placement_group = create_placement_group
EC2Response.describe_placement_groups = describe_placement_groups
EC2Response.delete_placement_group = delete_placement_group


_orig_run_instances = InstanceResponse.run_instances


def setup_defaults(self):
    volume = self.ec2_backend.create_volume(size=8, zone_name=self._placement.zone)
    self.ec2_backend.attach_volume(volume.id, self.id, self.root_device_name or "/dev/sda1", True)


ec2m.instances.Instance.setup_defaults = setup_defaults


def _record_spot_request(backend, instance, market):
    options = market.get("SpotOptions", {}) or {}
    launch = SpotInstanceRequest.launch_instance
    # The request is fulfilled by the instance RunInstances made, not by a new one.
    SpotInstanceRequest.launch_instance = lambda req: instance
    try:
        req = SpotInstanceRequest(
            backend, random_spot_request_id(), options.get("MaxPrice"), instance.image_id,
            options.get("SpotInstanceType", "one-time"), None, options.get("ValidUntil"), None,
            None, instance.key_name, [], None, instance.instance_type,
            instance.placement.zone, None, None, False, instance.subnet_id, {}, None,
            options.get("InstanceInterruptionBehavior"),
        )
    finally:
        SpotInstanceRequest.launch_instance = launch
    backend.spot_instance_requests[req.id] = req
    instance.spot_instance_request_id = req.id


def run_instances(self):
    group = self._get_param("Placement.GroupName")
    if group and group not in _groups(self.ec2_backend):
        raise _unknown(group)
    result = _orig_run_instances(self)
    cpu = self._get_param("CpuOptions", {}) or {}
    capacity = self._get_param("CapacityReservationSpecification", {}) or {}
    market = self._get_param("InstanceMarketOptions", {}) or {}
    for inst in result.result.instances:
        if group:
            inst.placement.group_name = group
        if cpu:
            inst.cpu_options = {k: int(v) if k != "AmdSevSnp" else v for k, v in cpu.items()}
        inst.capacity_reservation_specification = {
            "CapacityReservationPreference": capacity.get("CapacityReservationPreference", "open"),
            **({"CapacityReservationTarget": capacity["CapacityReservationTarget"]}
               if capacity.get("CapacityReservationTarget") else {}),
        }
        if market.get("MarketType") == "spot":
            _record_spot_request(self.ec2_backend, inst, market)
        nic = inst.nics.get(0) if hasattr(inst, "nics") else None
        if nic is not None and not inst.security_groups:
            inst.security_groups = list(nic.group_set)
    return result


InstanceResponse.run_instances = run_instances
EC2Response.run_instances = run_instances

_orig_association = NetworkInterface.association


def association(self):
    a = _orig_association.fget(self)
    return a or None


NetworkInterface.association = property(association)
