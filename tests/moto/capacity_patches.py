"""EC2 On-Demand Capacity Reservations, which moto 5.2 does not implement, and a launch-template
fix (imported by gantry_moto.py). Test harness only; listed in the README's emulator table.

CreateCapacityReservation (idempotent on ClientToken, TagSpecifications, `cr-` ids, state
`pending` for one describe and then `active`), DescribeCapacityReservations (ids, `tag:`
and `state` filters), ModifyCapacityReservation (count, end date) and
CancelCapacityReservation (state `cancelled`), with the errors EC2 documents.
"""

import threading

from moto.core.responses import ActionResult
from moto.ec2 import utils as ec2_utils
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.responses import EC2Response
from moto.ec2.utils import random_id

_lock = threading.Lock()
ec2_utils.EC2_RESOURCE_TO_PREFIX.setdefault("capacity-reservation", "cr")


def _reservations(backend):
    return backend.__dict__.setdefault("_gantry_capacity_reservations", {})


def _tokens(backend):
    return backend.__dict__.setdefault("_gantry_capacity_tokens", {})


def _view(backend, r):
    if r["State"] == "pending":
        r["_describes"] = r.get("_describes", 0) + 1
        if r["_describes"] > 1:
            r["State"] = "active"
    out = {k: v for k, v in r.items() if not k.startswith("_")}
    out["AvailableInstanceCount"] = r["TotalInstanceCount"]
    tags = backend.tags.get(r["CapacityReservationId"], {})
    out["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    return out


def _not_found(rid):
    return EC2ClientError(
        "InvalidCapacityReservationId.NotFound",
        f"The capacity reservation ID '{rid}' does not exist",
    )


def create_capacity_reservation(self):
    backend = self.ec2_backend
    token = self._get_param("ClientToken")
    with _lock:
        if token and token in _tokens(backend):
            r = _reservations(backend)[_tokens(backend)[token]]
            return ActionResult({"CapacityReservation": _view(backend, r)})
        rid = random_id(prefix="cr", size=17)
        r = {
            "CapacityReservationId": rid,
            "OwnerId": backend.account_id,
            "CapacityReservationArn": f"arn:aws:ec2:{backend.region_name}:{backend.account_id}:capacity-reservation/{rid}",
            "InstanceType": self._get_param("InstanceType"),
            "InstancePlatform": self._get_param("InstancePlatform"),
            "AvailabilityZone": self._get_param("AvailabilityZone"),
            "Tenancy": self._get_param("Tenancy") or "default",
            "TotalInstanceCount": int(self._get_param("InstanceCount")),
            "EbsOptimized": str(self._get_param("EbsOptimized")).lower() == "true",
            "EphemeralStorage": str(self._get_param("EphemeralStorage")).lower() == "true",
            "State": "pending",
            "EndDateType": self._get_param("EndDateType") or "unlimited",
            "InstanceMatchCriteria": self._get_param("InstanceMatchCriteria") or "open",
            "CreateDate": "2026-01-01T00:00:00.000Z",
        }
        if self._get_param("EndDate"):
            r["EndDate"] = self._get_param("EndDate")
        if self._get_param("PlacementGroupArn"):
            r["PlacementGroupArn"] = self._get_param("PlacementGroupArn")
        _reservations(backend)[rid] = r
        if token:
            _tokens(backend)[token] = rid
        for spec in self._get_param("TagSpecifications", []):
            tags = {t["Key"]: t["Value"] for t in spec.get("Tags", [])}
            if tags:
                backend.create_tags([rid], tags)
        return ActionResult({"CapacityReservation": _view(backend, r)})


def describe_capacity_reservations(self):
    backend = self.ec2_backend
    ids = self._get_param("CapacityReservationIds", [])
    filters = self._get_param("Filters", [])
    with _lock:
        all_r = _reservations(backend)
        for i in ids:
            if i not in all_r:
                raise _not_found(i)
        out = []
        for r in all_r.values():
            if ids and r["CapacityReservationId"] not in ids:
                continue
            tags = backend.tags.get(r["CapacityReservationId"], {})
            ok = True
            for f in filters:
                name, values = f.get("Name"), f.get("Values", [])
                if name.startswith("tag:"):
                    have = [tags[name[4:]]] if name[4:] in tags else []
                elif name == "state":
                    have = [r["State"]]
                elif name == "instance-type":
                    have = [r["InstanceType"]]
                else:
                    raise EC2ClientError("InvalidParameterValue", f"The filter '{name}' is invalid")
                ok = ok and bool(set(have) & set(values))
            if ok:
                out.append(_view(backend, r))
    return ActionResult({"CapacityReservations": out})


def modify_capacity_reservation(self):
    backend = self.ec2_backend
    rid = self._get_param("CapacityReservationId")
    with _lock:
        r = _reservations(backend).get(rid)
        if r is None or r["State"] == "cancelled":
            raise _not_found(rid)
        if self._get_param("InstanceCount") is not None:
            r["TotalInstanceCount"] = int(self._get_param("InstanceCount"))
        if self._get_param("EndDateType"):
            r["EndDateType"] = self._get_param("EndDateType")
        if self._get_param("EndDate"):
            r["EndDate"] = self._get_param("EndDate")
        elif r["EndDateType"] == "unlimited":
            r.pop("EndDate", None)
    return ActionResult({"Return": True})


def cancel_capacity_reservation(self):
    backend = self.ec2_backend
    rid = self._get_param("CapacityReservationId")
    with _lock:
        r = _reservations(backend).get(rid)
        if r is None:
            raise _not_found(rid)
        if r["State"] == "cancelled":
            raise EC2ClientError(
                "InvalidCapacityReservationId.Malformed",
                f"The capacity reservation '{rid}' is already cancelled",
            )
        r["State"] = "cancelled"
    return ActionResult({"Return": True})


for _f in [
    create_capacity_reservation,
    describe_capacity_reservations,
    modify_capacity_reservation,
    cancel_capacity_reservation,
]:
    setattr(EC2Response, _f.__name__, _f)


# Launch templates: CreateLaunchTemplate copies the template's own TagSpecifications
# (resource type launch-template) into the first version's launch data, where EC2 keeps only
# the data's own (for the instances and volumes it launches).
from moto.ec2.responses.launch_templates import LaunchTemplates

_orig_create_launch_template = LaunchTemplates.create_launch_template


def create_launch_template(self):
    result = _orig_create_launch_template(self)
    template = self.ec2_backend.get_launch_template_by_name(self._get_param("LaunchTemplateName"))
    for version in template.versions:
        specs = version.data.get("TagSpecifications")
        if specs:
            version.data["TagSpecifications"] = [
                s for s in specs if s.get("ResourceType") != "launch-template"
            ]
            if not version.data["TagSpecifications"]:
                del version.data["TagSpecifications"]
    return result


LaunchTemplates.create_launch_template = create_launch_template
