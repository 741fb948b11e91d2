# The clouds compared, executable: one model-serving declaration (modules/model-endpoint)
# planned on SageMaker, Vertex AI and Azure ML. `gantry compare` plans it once per cloud
# (-var cloud=...) from an empty state and prints what each needs, runs and costs:
#
#   gantry compare examples/compare                      # t4, one replica
#   gantry compare examples/compare -var accelerator=h100 -var max_replicas=4
#
# `gantry apply -var cloud=aws` (or google, azure) deploys it on one of them.
terraform {
  required_providers {
    aws     = { source = "hashicorp/aws" }
    google  = { source = "hashicorp/google" }
    azurerm = { source = "hashicorp/azurerm" }
  }
}

variable "cloud" {
  type    = string
  default = "aws"
}

variable "accelerator" {
  type    = string
  default = "t4"
}

variable "replicas" {
  type    = number
  default = 1
}

variable "max_replicas" {
  type    = number
  default = 2
}

provider "aws" {
  region = "us-east-1"
}

provider "google" {}

provider "azurerm" {
  features {}
}

module "endpoint" {
  source          = "../../modules/model-endpoint"
  cloud           = var.cloud
  name            = "llama-serving"
  region          = { aws = null, google = "us-central1", azure = "eastus" }[var.cloud]
  model_artifact  = "${path.module}/model.tar.gz"
  container_image = {
    aws    = "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.1-tgi2.0-gpu-py310-cu121-ubuntu22.04"
    google = "us-docker.pkg.dev/vertex-ai/vertex-vision-model-garden-dockers/pytorch-vllm-serve:latest"
    azure  = "mcr.microsoft.com/azureml/curated/foundation-model-inference:latest"
  }[var.cloud]
  accelerator     = var.accelerator
  replicas        = var.replicas
  max_replicas    = var.max_replicas
  azure_tenant_id = "00000000-0000-0000-0000-00000000a2e0" # the local ARM server's tenant
  tags            = { project = "llama-serving", managed-by = "gantry" }
}

output "instance_type" {
  value = module.endpoint.instance_type
}

output "endpoint_url" {
  value = module.endpoint.endpoint_url
}
