//! The `provider "azurerm"` block and what it configures: the subscription, credentials,
//! the Resource Manager endpoint (Azure's, or what a `metadata_host` serves — azurerm's way
//! to reach another cloud, and gantry's way to reach the local ARM server), `features {}`.

use crate::auth::{Auth, Settings, Source};
use crate::client::Client;
use gantry_core::provider::{BlockSchema, ErrorKind, Nesting, ProviderError, ProviderResult};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;

const FEATURE_BLOCKS: &[(&str, &[&str])] = &[
    (
        "resource_group",
        &["prevent_deletion_if_contains_resources"],
    ),
    (
        "key_vault",
        &[
            "purge_soft_delete_on_destroy",
            "recover_soft_deleted_key_vaults",
            "purge_soft_deleted_keys_on_destroy",
            "purge_soft_deleted_secrets_on_destroy",
            "purge_soft_deleted_certificates_on_destroy",
            "recover_soft_deleted_keys",
            "recover_soft_deleted_secrets",
            "recover_soft_deleted_certificates",
        ],
    ),
    (
        "machine_learning",
        &["purge_soft_deleted_workspace_on_destroy"],
    ),
    ("cognitive_account", &["purge_soft_delete_on_destroy"]),
    ("application_insights", &["disable_generated_rule"]),
    (
        "log_analytics_workspace",
        &["permanently_delete_on_destroy"],
    ),
    (
        "virtual_machine",
        &[
            "delete_os_disk_on_deletion",
            "graceful_shutdown",
            "skip_shutdown_and_force_delete",
            "detach_implicit_data_disk_on_deletion",
        ],
    ),
    (
        "template_deployment",
        &["delete_nested_items_during_deletion"],
    ),
];

pub fn provider_block_schema() -> BlockSchema {
    let mut b = BlockSchema::default();
    for k in [
        "subscription_id",
        "tenant_id",
        "client_id",
        "environment",
        "metadata_host",
        "msi_endpoint",
        "oidc_request_url",
        "client_certificate_path",
        "partner_id",
        "resource_provider_registrations",
        "client_id_file_path",
        "client_secret_file_path",
        "ado_pipeline_service_connection_id",
    ] {
        b.attributes.insert(k.into(), opt(Type::String));
    }
    for k in [
        "client_secret",
        "oidc_token",
        "oidc_request_token",
        "client_certificate_password",
        "client_certificate",
        "oidc_token_file_path",
    ] {
        b.attributes.insert(k.into(), opt(Type::String).sensitive());
    }
    for k in [
        "use_cli",
        "use_msi",
        "use_oidc",
        "use_aks_workload_identity",
        "skip_provider_registration",
        "storage_use_azuread",
        "disable_terraform_partner_id",
    ] {
        b.attributes.insert(k.into(), opt(Type::Bool));
    }
    for k in ["auxiliary_tenant_ids", "resource_providers_to_register"] {
        b.attributes.insert(k.into(), opt(Type::list(Type::String)));
    }
    let mut features = BlockSchema::default();
    for (name, attrs) in FEATURE_BLOCKS {
        let mut f = BlockSchema::default();
        for a in *attrs {
            f.attributes.insert((*a).into(), opt(Type::Bool));
        }
        features
            .blocks
            .insert((*name).into(), block(Nesting::List, f, 1, false));
    }
    b.blocks
        .insert("features".into(), block(Nesting::List, features, 1, false));
    b
}

/// A configured provider: the client plus what resources fall back to.
pub struct Ctx {
    pub client: Client,
    pub subscription: Option<String>,
    /// Resource SKUs per location (capacity warnings), asked once per run; `None`: ARM did
    /// not answer.
    pub skus: tokio::sync::Mutex<std::collections::HashMap<String, Option<serde_json::Value>>>,
}

fn setting(config: &Value, k: &str, env: &str) -> Option<String> {
    config
        .get_attr(k)
        .and_then(|v| v.unmark().0.as_str().map(String::from))
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var(env).ok().filter(|s| !s.is_empty()))
}

impl Ctx {
    pub async fn from_config(config: &Value) -> ProviderResult<Ctx> {
        let environment =
            setting(config, "environment", "ARM_ENVIRONMENT").unwrap_or_else(|| "public".into());
        let mut base = match environment.as_str() {
            "usgovernment" => "https://management.usgovcloudapi.net",
            "china" => "https://management.chinacloudapi.cn",
            _ => "https://management.azure.com",
        }
        .to_string();
        if let Some(host) = setting(config, "metadata_host", "ARM_METADATA_HOSTNAME") {
            let root = if host.contains("://") {
                host.trim_end_matches('/').to_string()
            } else {
                format!("https://{host}")
            };
            let url = format!("{root}/metadata/endpoints?api-version=2022-09-01");
            let j: serde_json::Value = reqwest::get(&url)
                .await
                .map_err(|e| {
                    ProviderError::new(
                        ErrorKind::Validation,
                        format!("reading endpoints from metadata_host {host}: {e}"),
                    )
                })?
                .json()
                .await
                .map_err(|e| {
                    ProviderError::new(
                        ErrorKind::Validation,
                        format!("metadata_host {host} answered with no endpoints: {e}"),
                    )
                })?;
            if let Some(rm) = j["resourceManager"].as_str() {
                base = rm.trim_end_matches('/').to_string();
            }
        }
        let flag = |k: &str, env: &str, default: bool| {
            attr_bool(config, k)
                .or_else(|| {
                    std::env::var(env)
                        .ok()
                        .filter(|v| !v.is_empty())
                        .map(|v| v.eq_ignore_ascii_case("true"))
                })
                .unwrap_or(default)
        };
        let source = Source::from_settings(Settings {
            client_id: setting(config, "client_id", "ARM_CLIENT_ID"),
            client_secret: setting(config, "client_secret", "ARM_CLIENT_SECRET"),
            tenant_id: setting(config, "tenant_id", "ARM_TENANT_ID"),
            use_oidc: flag("use_oidc", "ARM_USE_OIDC", false),
            oidc_token_file: setting(config, "oidc_token_file_path", "ARM_OIDC_TOKEN_FILE_PATH"),
            use_msi: flag("use_msi", "ARM_USE_MSI", false),
            use_cli: flag("use_cli", "ARM_USE_CLI", true),
            resource: base.clone(),
        })?;
        Ok(Ctx {
            client: Client::new(Auth::new(source), base)?,
            subscription: setting(config, "subscription_id", "ARM_SUBSCRIPTION_ID"),
            skus: Default::default(),
        })
    }

    pub fn subscription(&self) -> ProviderResult<String> {
        self.subscription.clone().ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Validation,
                "subscription_id is not set on the provider block (nor ARM_SUBSCRIPTION_ID)",
            )
        })
    }
}
