# Azure: resource group → storage account (the model uploaded as a blob), key vault,
# Application Insights → ML workspace → managed online endpoint → deployment of the VM size
# for the accelerator class → all traffic to it. (Azure ML's online deployments have no
# autoscaling setting of their own: max_replicas is not used here.)

resource "azurerm_resource_group" "this" {
  count    = local.on_azure
  name     = "rg-${var.name}"
  location = var.region
  tags     = var.tags
}

resource "azurerm_storage_account" "this" {
  count                    = local.on_azure
  name                     = coalesce(var.azure_storage_account, substr(replace("${var.name}models", "-", ""), 0, 24))
  resource_group_name      = azurerm_resource_group.this[0].name
  location                 = azurerm_resource_group.this[0].location
  account_tier             = "Standard"
  account_replication_type = "LRS"
  tags                     = var.tags
}

resource "azurerm_storage_container" "models" {
  count                 = local.on_azure
  name                  = "models"
  storage_account_id    = azurerm_storage_account.this[0].id
  container_access_type = "private"
}

resource "azurerm_storage_blob" "model" {
  count                  = local.on_azure
  name                   = "${var.name}/${local.artifact}"
  storage_account_name   = azurerm_storage_account.this[0].name
  storage_container_name = azurerm_storage_container.models[0].name
  type                   = "Block"
  source                 = var.model_artifact
}

resource "azurerm_key_vault" "this" {
  count               = local.on_azure
  name                = substr("kv-${var.name}", 0, 24)
  location            = azurerm_resource_group.this[0].location
  resource_group_name = azurerm_resource_group.this[0].name
  tenant_id           = var.azure_tenant_id
  sku_name            = "standard"
  tags                = var.tags
}

resource "azurerm_application_insights" "this" {
  count               = local.on_azure
  name                = "appi-${var.name}"
  location            = azurerm_resource_group.this[0].location
  resource_group_name = azurerm_resource_group.this[0].name
  application_type    = "web"
  tags                = var.tags
}

resource "azurerm_machine_learning_workspace" "this" {
  count                   = local.on_azure
  name                    = "mlw-${var.name}"
  location                = azurerm_resource_group.this[0].location
  resource_group_name     = azurerm_resource_group.this[0].name
  storage_account_id      = azurerm_storage_account.this[0].id
  key_vault_id            = azurerm_key_vault.this[0].id
  application_insights_id = azurerm_application_insights.this[0].id
  tags                    = var.tags
  identity {
    type = "SystemAssigned"
  }
}

resource "azurerm_machine_learning_online_endpoint" "this" {
  count                         = local.on_azure
  name                          = var.name
  location                      = azurerm_resource_group.this[0].location
  machine_learning_workspace_id = azurerm_machine_learning_workspace.this[0].id
  auth_mode                     = "Key"
  identity {
    type = "SystemAssigned"
  }
}

resource "azurerm_machine_learning_online_deployment" "this" {
  count                               = local.on_azure
  name                                = "main"
  location                            = azurerm_resource_group.this[0].location
  machine_learning_online_endpoint_id = azurerm_machine_learning_online_endpoint.this[0].id
  model                               = azurerm_storage_blob.model[0].url
  instance_type                       = local.instance_type
  instance_count                      = var.replicas

  lifecycle {
    precondition {
      condition     = local.instance_type != null
      error_message = "Azure ML has no VM size for accelerator class ${var.accelerator}."
    }
  }
}

resource "azurerm_machine_learning_online_endpoint_traffic" "this" {
  count                               = local.on_azure
  machine_learning_online_endpoint_id = azurerm_machine_learning_online_endpoint.this[0].id
  traffic = {
    (azurerm_machine_learning_online_deployment.this[0].name) = 100
  }
}
