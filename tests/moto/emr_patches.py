"""EMR behaviour real AWS has and moto 5.2 lacks (imported by gantry_moto.py). Test harness
only; listed in the README's emulator table.

- ListInstanceFleets is not implemented (a 500, which SDKs retry for minutes): an instance-group
  cluster has no fleets, so the list is empty.
- GetAutoTerminationPolicy / PutAutoTerminationPolicy / RemoveAutoTerminationPolicy are not
  implemented, and RunJobFlow drops the AutoTerminationPolicy it is given.
- RunJobFlow drops UnhealthyNodeReplacement, ScaleDownBehavior (AWS reports its default,
  TERMINATE_AT_TASK_COMPLETION), LogEncryptionKmsKeyId, PlacementGroupConfigs and
  Instances.Ec2SubnetIds (AWS reports them back as RequestedEc2SubnetIds);
  SetUnhealthyNodeReplacement is not implemented.
- An instance group's EBS volumes lose their Throughput.
"""

from moto.core.responses import ActionResult, EmptyResult
from moto.emr import models as em
from moto.emr import responses as er


def _cluster(self):
    return self.backend.describe_cluster(self._get_param("ClusterId"))


_orig_run = er.ElasticMapReduceResponse.run_job_flow


def run_job_flow(self):
    result = _orig_run(self)
    cluster = self.backend.describe_cluster(result.result["JobFlowId"])
    cluster.auto_termination_policy = self._get_param("AutoTerminationPolicy")
    cluster.unhealthy_node_replacement = self._get_bool_param(
        "Instances.UnhealthyNodeReplacement", False
    )
    cluster.scale_down_behavior = (
        self._get_param("ScaleDownBehavior") or "TERMINATE_AT_TASK_COMPLETION"
    )
    cluster.log_encryption_kms_key_id = self._get_param("LogEncryptionKmsKeyId")
    cluster.placement_groups = self._get_param("PlacementGroupConfigs") or []
    cluster.requested_ec2_subnet_ids = self._get_param("Instances.Ec2SubnetIds") or []
    # Throughput per EBS volume specification, in the order the groups were given.
    for given, group in zip(
        self._get_param("Instances.InstanceGroups", []) or [], cluster.instance_groups
    ):
        # moto hands request parameters over with snake_case keys.
        ebs = (given.get("ebs_configuration") or {}).get("ebs_block_device_configs") or []
        group.ebs_throughput = [
            (d.get("volume_specification") or {}).get("throughput") for d in ebs
        ]
    return result


_orig_attrs_init = em.Ec2InstanceAttributes.__init__


def _attrs_init(self, cluster):
    _orig_attrs_init(self, cluster)
    self.requested_ec2_subnet_ids = getattr(cluster, "requested_ec2_subnet_ids", [])


em.Ec2InstanceAttributes.__init__ = _attrs_init


def _ebs_block_devices(self):
    devices = []
    configs = (self.ebs_configuration or {}).get("ebs_block_device_configs", [])
    throughputs = getattr(self, "ebs_throughput", [])
    for n, config in enumerate(configs):
        spec = config["volume_specification"]
        for i in range(config.get("volumes_per_instance", 1)):
            volume = {
                "VolumeType": spec.get("volume_type"),
                "Iops": spec.get("iops"),
                "SizeInGB": spec.get("size_in_gb"),
            }
            if n < len(throughputs) and throughputs[n] is not None:
                volume["Throughput"] = throughputs[n]
            devices.append({"VolumeSpecification": volume, "Device": f"/dev/sd{i}"})
    return devices


em.InstanceGroup.ebs_block_devices = property(_ebs_block_devices)


def list_instance_fleets(self):
    _cluster(self)
    return ActionResult({"InstanceFleets": []})


def get_auto_termination_policy(self):
    policy = getattr(_cluster(self), "auto_termination_policy", None)
    return ActionResult({"AutoTerminationPolicy": policy} if policy else {})


def put_auto_termination_policy(self):
    _cluster(self).auto_termination_policy = self._get_param("AutoTerminationPolicy")
    return EmptyResult()


def remove_auto_termination_policy(self):
    _cluster(self).auto_termination_policy = None
    return EmptyResult()


def set_unhealthy_node_replacement(self):
    value = self._get_bool_param("UnhealthyNodeReplacement", False)
    for cluster_id in self._get_param("JobFlowIds", []):
        self.backend.describe_cluster(cluster_id).unhealthy_node_replacement = value
    return EmptyResult()


er.ElasticMapReduceResponse.run_job_flow = run_job_flow
er.ElasticMapReduceResponse.list_instance_fleets = list_instance_fleets
er.ElasticMapReduceResponse.get_auto_termination_policy = get_auto_termination_policy
er.ElasticMapReduceResponse.put_auto_termination_policy = put_auto_termination_policy
er.ElasticMapReduceResponse.remove_auto_termination_policy = remove_auto_termination_policy
er.ElasticMapReduceResponse.set_unhealthy_node_replacement = set_unhealthy_node_replacement
