# The accelerator classes and each cloud's instance type for one accelerator of that class
# (one GPU per replica where the cloud sells it so; the AWS a100-80gb and h100 types are
# 8-GPU instances, the smallest SageMaker sells). A class a cloud does not offer is missing
# from that cloud's map, and the plan says so (a precondition below).
#
# | class     | AWS SageMaker     | Google Vertex AI                   | Azure ML                  |
# |-----------|-------------------|------------------------------------|---------------------------|
# | t4        | ml.g4dn.xlarge    | n1-standard-4 + 1 NVIDIA_TESLA_T4  | Standard_NC4as_T4_v3      |
# | l4        | ml.g6.xlarge      | g2-standard-8 + 1 NVIDIA_L4        | —                         |
# | a10g      | ml.g5.xlarge      | —                                  | Standard_NV36ads_A10_v5   |
# | a100-80gb | ml.p4de.24xlarge  | a2-ultragpu-1g + 1 NVIDIA_A100_80GB| Standard_NC24ads_A100_v4  |
# | h100      | ml.p5.48xlarge    | a3-highgpu-1g + 1 NVIDIA_H100_80GB | Standard_NC40ads_H100_v5  |
locals {
  aws_instance_types = {
    "t4"        = "ml.g4dn.xlarge"
    "l4"        = "ml.g6.xlarge"
    "a10g"      = "ml.g5.xlarge"
    "a100-80gb" = "ml.p4de.24xlarge"
    "h100"      = "ml.p5.48xlarge"
  }
  google_machine_types = {
    "t4"        = "n1-standard-4"
    "l4"        = "g2-standard-8"
    "a100-80gb" = "a2-ultragpu-1g"
    "h100"      = "a3-highgpu-1g"
  }
  google_accelerators = {
    "t4"        = "NVIDIA_TESLA_T4"
    "l4"        = "NVIDIA_L4"
    "a100-80gb" = "NVIDIA_A100_80GB"
    "h100"      = "NVIDIA_H100_80GB"
  }
  azure_vm_sizes = {
    "t4"        = "Standard_NC4as_T4_v3"
    "a10g"      = "Standard_NV36ads_A10_v5"
    "a100-80gb" = "Standard_NC24ads_A100_v4"
    "h100"      = "Standard_NC40ads_H100_v5"
  }

  instance_type = {
    aws    = lookup(local.aws_instance_types, var.accelerator, null)
    google = lookup(local.google_machine_types, var.accelerator, null)
    azure  = lookup(local.azure_vm_sizes, var.accelerator, null)
  }[var.cloud]
  max_replicas = max(var.replicas, var.max_replicas)
  artifact     = basename(var.model_artifact)
}
