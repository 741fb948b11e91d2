variable "cloud" {
  description = "Where to serve: aws (SageMaker), google (Vertex AI) or azure (Azure ML)."
  type        = string

  validation {
    condition     = contains(["aws", "google", "azure"], var.cloud)
    error_message = "cloud must be aws, google or azure."
  }
}

variable "name" {
  description = "Endpoint name; also the prefix of everything the module creates (lowercase letters, digits, hyphens)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.name))
    error_message = "name must be 3-31 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "Google region or Azure location (AWS serves in its provider's region)."
  type        = string
  default     = null
}

variable "model_artifact" {
  description = "Path of the model archive to upload (model.tar.gz on AWS, a directory's archive elsewhere)."
  type        = string
}

variable "container_image" {
  description = "The serving container image."
  type        = string
}

variable "accelerator" {
  description = "Accelerator class: t4, l4, a10g, a100-80gb or h100 (the cloud's instance type for it is in accelerators.tf)."
  type        = string
  default     = "t4"

  validation {
    condition     = contains(["t4", "l4", "a10g", "a100-80gb", "h100"], var.accelerator)
    error_message = "accelerator must be one of t4, l4, a10g, a100-80gb, h100."
  }
}

variable "replicas" {
  description = "Instances (replicas) serving at all times."
  type        = number
  default     = 1
}

variable "max_replicas" {
  description = "Autoscaling ceiling; equal to replicas for a fixed size."
  type        = number
  default     = 1

  validation {
    condition     = var.max_replicas >= 1
    error_message = "max_replicas must be at least 1."
  }
}

variable "azure_tenant_id" {
  description = "Azure AD tenant of the key vault the ML workspace needs (Azure only)."
  type        = string
  default     = null
}

variable "azure_storage_account" {
  description = "Name of the storage account holding the model (Azure only; globally unique). Default: the name without hyphens + \"models\"."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags (labels on Google) for everything the module creates."
  type        = map(string)
  default     = {}
}
