# One model-serving intent on SageMaker, Vertex AI or Azure ML: the model artifact uploaded
# to the cloud's object store, the serving identity, and an endpoint running the container
# on `replicas` instances of the accelerator class (autoscaling up to `max_replicas`).
# Plain HCL over the native resources; `gantry compare` plans it for each cloud.
terraform {
  required_providers {
    aws     = { source = "hashicorp/aws" }
    google  = { source = "hashicorp/google" }
    azurerm = { source = "hashicorp/azurerm" }
  }
}

locals {
  on_aws    = var.cloud == "aws" ? 1 : 0
  on_google = var.cloud == "google" ? 1 : 0
  on_azure  = var.cloud == "azure" ? 1 : 0
}
