# Serve a model on Azure Machine Learning with a blue/green managed online endpoint, and train
# on an A100 compute cluster: resource group → storage, key vault, Application Insights → ML
# workspace → cluster, endpoint, deployments, traffic; plus an AKS cluster with an A100 pool
# (MIG) for containerised models and an Azure OpenAI account with an embeddings deployment. Runs against Azure, or against the local ARM server that
# `scripts/emulators start` runs (scripts/demo).
#
# Blue/green: set green_traffic (0 → 50 → 100); blue keeps the rest. The traffic resource
# depends on both deployments, so traffic always moves before a deployment goes away.

terraform {
  required_providers {
    azurerm = { source = "hashicorp/azurerm" }
  }
}

variable "location" {
  type    = string
  default = "eastus"
}

variable "tenant_id" {
  type    = string
  default = "00000000-0000-0000-0000-00000000a2e0" # the local ARM server's tenant
}

variable "green_traffic" {
  type    = number
  default = 0

  validation {
    condition     = var.green_traffic >= 0 && var.green_traffic <= 100
    error_message = "green_traffic is a percentage."
  }
}

variable "blue_instances" {
  type    = number
  default = 1
}

variable "aks_gpu_nodes" {
  type    = number
  default = 1
}

variable "cluster_max_nodes" {
  type    = number
  default = 2
}

provider "azurerm" {
  features {}
}

locals {
  tags = { project = "llama-serving", managed-by = "gantry" }
}

resource "azurerm_resource_group" "ml" {
  name     = "rg-llama-serving"
  location = var.location
  tags     = local.tags
}

resource "azurerm_storage_account" "ml" {
  name                     = "llamaservingartifacts"
  resource_group_name      = azurerm_resource_group.ml.name
  location                 = azurerm_resource_group.ml.location
  account_tier             = "Standard"
  account_replication_type = "LRS"
  tags                     = local.tags
}

resource "azurerm_key_vault" "ml" {
  name                = "kv-llama-serving"
  location            = azurerm_resource_group.ml.location
  resource_group_name = azurerm_resource_group.ml.name
  tenant_id           = var.tenant_id
  sku_name            = "standard"
  tags                = local.tags
}

resource "azurerm_application_insights" "ml" {
  name                = "appi-llama-serving"
  location            = azurerm_resource_group.ml.location
  resource_group_name = azurerm_resource_group.ml.name
  application_type    = "web"
  tags                = local.tags
}

resource "azurerm_machine_learning_workspace" "ml" {
  name                    = "mlw-llama-serving"
  location                = azurerm_resource_group.ml.location
  resource_group_name     = azurerm_resource_group.ml.name
  storage_account_id      = azurerm_storage_account.ml.id
  key_vault_id            = azurerm_key_vault.ml.id
  application_insights_id = azurerm_application_insights.ml.id
  tags                    = local.tags
  identity {
    type = "SystemAssigned"
  }
}

resource "azurerm_machine_learning_compute_cluster" "a100" {
  name                          = "a100-train"
  location                      = azurerm_resource_group.ml.location
  machine_learning_workspace_id = azurerm_machine_learning_workspace.ml.id
  vm_priority                   = "Dedicated"
  vm_size                       = "Standard_NC24ads_A100_v4"
  scale_settings {
    min_node_count                       = 0
    max_node_count                       = var.cluster_max_nodes # changed in place
    scale_down_nodes_after_idle_duration = "PT300S"
  }
  identity {
    type = "SystemAssigned"
  }
}

resource "azurerm_machine_learning_online_endpoint" "llama" {
  name                          = "llama-3-8b"
  location                      = azurerm_resource_group.ml.location
  machine_learning_workspace_id = azurerm_machine_learning_workspace.ml.id
  auth_mode                     = "Key"
  identity {
    type = "SystemAssigned"
  }
}

resource "azurerm_machine_learning_online_deployment" "blue" {
  name                                = "blue"
  location                            = azurerm_resource_group.ml.location
  machine_learning_online_endpoint_id = azurerm_machine_learning_online_endpoint.llama.id
  model                               = "azureml://registries/azureml-meta/models/Meta-Llama-3-8B-Instruct/versions/9"
  instance_type                       = "Standard_NC24ads_A100_v4"
  instance_count                      = var.blue_instances
  request_settings {
    max_concurrent_requests_per_instance = 4
    request_timeout                      = "PT90S"
  }
}

resource "azurerm_machine_learning_online_deployment" "green" {
  name                                = "green"
  location                            = azurerm_resource_group.ml.location
  machine_learning_online_endpoint_id = azurerm_machine_learning_online_endpoint.llama.id
  model                               = "azureml://registries/azureml-meta/models/Meta-Llama-3-8B-Instruct/versions/10"
  instance_type                       = "Standard_NC24ads_A100_v4"
  instance_count                      = 1
  request_settings {
    max_concurrent_requests_per_instance = 4
    request_timeout                      = "PT90S"
  }
}

resource "azurerm_machine_learning_online_endpoint_traffic" "llama" {
  machine_learning_online_endpoint_id = azurerm_machine_learning_online_endpoint.llama.id
  traffic = {
    (azurerm_machine_learning_online_deployment.blue.name)  = 100 - var.green_traffic
    (azurerm_machine_learning_online_deployment.green.name) = var.green_traffic
  }
}

# --- containers on GPUs: AKS with an A100 pool split by MIG ----------------------------------

resource "azurerm_kubernetes_cluster" "gpu" {
  name                = "aks-llama-serving"
  location            = azurerm_resource_group.ml.location
  resource_group_name = azurerm_resource_group.ml.name
  dns_prefix          = "llamaserving"
  oidc_issuer_enabled = true
  tags                = local.tags
  default_node_pool {
    name       = "system"
    vm_size    = "Standard_D4s_v3"
    node_count = 2
  }
  identity {
    type = "SystemAssigned"
  }
}

resource "azurerm_kubernetes_cluster_node_pool" "a100" {
  name                  = "a100"
  kubernetes_cluster_id = azurerm_kubernetes_cluster.gpu.id
  vm_size               = "Standard_NC24ads_A100_v4"
  node_count            = var.aks_gpu_nodes
  gpu_instance          = "MIG1g"
  node_taints           = ["nvidia.com/gpu=present:NoSchedule"]
  node_labels           = { accelerator = "a100" }
}

# --- pre-trained APIs: Azure OpenAI and Computer Vision ------------------------------------

resource "azurerm_cognitive_account" "openai" {
  name                  = "oai-llama-serving"
  location              = azurerm_resource_group.ml.location
  resource_group_name   = azurerm_resource_group.ml.name
  kind                  = "OpenAI"
  sku_name              = "S0"
  custom_subdomain_name = "oai-llama-serving"
  tags                  = local.tags
}

resource "azurerm_cognitive_deployment" "embeddings" {
  name                 = "embeddings"
  cognitive_account_id = azurerm_cognitive_account.openai.id
  model {
    format = "OpenAI"
    name   = "text-embedding-3-large"
  }
  sku {
    name     = "Standard"
    capacity = 20
  }
}

output "scoring_uri" {
  value = azurerm_machine_learning_online_endpoint.llama.scoring_uri
}

output "traffic" {
  value = azurerm_machine_learning_online_endpoint_traffic.llama.traffic
}
