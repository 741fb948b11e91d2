# An AI serving stack, modeled with the builtin terraform_data resource so it runs anywhere
# (and unchanged under Terraform 1.11). Cloud-specific stacks live beside it.

variable "model_name" {
  type        = string
  default     = "llama-3-8b"
  description = "Model served by every endpoint."
}

variable "regions" {
  type    = list(string)
  default = ["us-east-1", "eu-west-1"]
}

variable "gpu" {
  type = object({
    instance_type = string
    count         = optional(number, 1)
  })
  default = { instance_type = "p4d.24xlarge", count = 2 }

  validation {
    condition     = var.gpu.count > 0 && var.gpu.count <= 16
    error_message = "gpu.count must be between 1 and 16."
  }
}

variable "hf_token" {
  type      = string
  default   = "hf_example_token_not_real"
  sensitive = true
}

locals {
  artifact_prefix = "s3://models/${var.model_name}"
  tags            = { team = "ml-platform", model = var.model_name }
}

resource "terraform_data" "artifact_bucket" {
  for_each = toset(var.regions)
  input = {
    name   = "models-${each.key}"
    region = each.key
    tags   = local.tags
  }
}

resource "terraform_data" "training_node" {
  count = var.gpu.count
  input = {
    instance_type = var.gpu.instance_type
    name          = format("train-%02d", count.index)
    bucket        = terraform_data.artifact_bucket[var.regions[0]].output.name
  }
}

resource "terraform_data" "model" {
  input            = "${local.artifact_prefix}/model.tar.gz"
  triggers_replace = [var.model_name]
}

resource "terraform_data" "endpoint" {
  for_each = terraform_data.artifact_bucket
  input = {
    region    = each.key
    model     = terraform_data.model.output
    token_set = var.hf_token != ""
  }
}

output "endpoints" {
  value = { for region, e in terraform_data.endpoint : region => e.output.model }
}

output "training_nodes" {
  value = terraform_data.training_node[*].output.name
}
