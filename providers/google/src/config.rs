//! The `provider "google"` block and what it configures: project, region and zone defaults,
//! default labels, endpoints, credentials.

use crate::auth::Auth;
use crate::client::{Api, Client};
use gantry_core::provider::{BlockSchema, ErrorKind, ProviderError, ProviderResult};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use std::collections::BTreeMap;

/// Other `*_custom_endpoint` settings hashicorp/google accepts; gantry does not call these
/// APIs natively yet, but configurations that set them must still load.
const OTHER_ENDPOINTS: &[&str] = &[
    "resource_manager_v3_custom_endpoint",
    "iam_credentials_custom_endpoint",
    "cloud_billing_custom_endpoint",
    "notebooks_custom_endpoint",
    "workbench_custom_endpoint",
];

pub fn provider_block_schema() -> BlockSchema {
    let mut b = BlockSchema::default();
    for k in [
        "project",
        "region",
        "zone",
        "credentials",
        "impersonate_service_account",
        "billing_project",
        "request_timeout",
        "request_reason",
        "universe_domain",
        "terraform_attribution_label_addition_strategy",
    ] {
        b.attributes.insert(k.into(), opt(Type::String));
    }
    b.attributes
        .insert("access_token".into(), opt(Type::String).sensitive());
    b.attributes
        .insert("scopes".into(), opt(Type::list(Type::String)));
    b.attributes
        .insert("default_labels".into(), opt(Type::map(Type::String)));
    for k in ["add_terraform_attribution_label", "user_project_override"] {
        b.attributes.insert(k.into(), opt(Type::Bool));
    }
    for api in Api::ALL {
        b.attributes.insert(api.setting().into(), opt(Type::String));
    }
    for k in OTHER_ENDPOINTS {
        b.attributes.insert((*k).into(), opt(Type::String));
    }
    b
}

/// A configured provider: the client plus the defaults resources fall back to.
pub struct Ctx {
    pub client: Client,
    pub project: Option<String>,
    pub region: Option<String>,
    pub zone: Option<String>,
    pub default_labels: BTreeMap<String, String>,
    /// `add_terraform_attribution_label`: adds `goog-terraform-provisioned = "true"` at
    /// creation, as hashicorp/google 6 does by default (gantry: off unless asked).
    pub attribution_label: bool,
    /// Serialises gantry's own project IAM policy edits (read-modify-write with an etag).
    pub policy_lock: tokio::sync::Mutex<()>,
    /// One lock per GKE cluster: GKE runs one operation at a time per cluster.
    pub cluster_locks:
        std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<tokio::sync::Mutex<()>>>>,
    /// Accelerator types offered per zone (`tpu:ZONE`, `gce:ZONE`), asked once per run for
    /// capacity warnings; `None`: the zone does not exist or did not answer.
    pub offered: tokio::sync::Mutex<std::collections::HashMap<String, Option<Vec<String>>>>,
}

impl Ctx {
    pub fn from_config(config: &Value) -> ProviderResult<Ctx> {
        let setting = |k: &str, env: &[&str]| {
            attr_str(config, k).filter(|s| !s.is_empty()).or_else(|| {
                env.iter()
                    .find_map(|e| std::env::var(e).ok().filter(|s| !s.is_empty()))
            })
        };
        let mut overrides = BTreeMap::new();
        for api in Api::ALL {
            if let Some(u) = setting(api.setting(), &[&api.env()]) {
                overrides.insert(api, u);
            }
        }
        // STORAGE_EMULATOR_HOST, as Google's client libraries read it.
        if let std::collections::btree_map::Entry::Vacant(slot) = overrides.entry(Api::Storage) {
            if let Ok(host) = std::env::var("STORAGE_EMULATOR_HOST") {
                let host = host.trim_end_matches('/');
                let host = if host.contains("://") {
                    host.to_string()
                } else {
                    format!("http://{host}")
                };
                slot.insert(format!("{host}/storage/v1/"));
            }
        }
        let default_labels = config
            .get_attr("default_labels")
            .and_then(Value::as_map)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Ctx {
            client: Client::new(Auth::from_config(config)?, overrides)?,
            project: setting(
                "project",
                &[
                    "GOOGLE_PROJECT",
                    "GOOGLE_CLOUD_PROJECT",
                    "GCLOUD_PROJECT",
                    "CLOUDSDK_CORE_PROJECT",
                ],
            ),
            region: setting(
                "region",
                &["GOOGLE_REGION", "GCLOUD_REGION", "CLOUDSDK_COMPUTE_REGION"],
            ),
            zone: setting(
                "zone",
                &["GOOGLE_ZONE", "GCLOUD_ZONE", "CLOUDSDK_COMPUTE_ZONE"],
            ),
            default_labels,
            attribution_label: attr_bool(config, "add_terraform_attribution_label")
                .unwrap_or(false),
            policy_lock: tokio::sync::Mutex::new(()),
            cluster_locks: Default::default(),
            offered: Default::default(),
        })
    }

    /// The resource's `project`, else the provider's.
    pub fn project(&self, v: &Value) -> ProviderResult<String> {
        attr_str(v, "project")
            .filter(|s| !s.is_empty())
            .or_else(|| self.project.clone())
            .ok_or_else(|| missing("project", "GOOGLE_PROJECT"))
    }

    /// The resource's `region` (or `location` for Vertex), else the provider's.
    pub fn region(&self, v: &Value, key: &str) -> ProviderResult<String> {
        attr_str(v, key)
            .filter(|s| !s.is_empty())
            .or_else(|| self.region.clone())
            .ok_or_else(|| missing(key, "GOOGLE_REGION"))
    }

    pub fn zone(&self, v: &Value) -> ProviderResult<String> {
        attr_str(v, "zone")
            .filter(|s| !s.is_empty())
            .or_else(|| self.zone.clone())
            .ok_or_else(|| missing("zone", "GOOGLE_ZONE"))
    }
}

fn missing(what: &str, env: &str) -> ProviderError {
    ProviderError::new(
        ErrorKind::Validation,
        format!("{what} is not set on the resource or the provider block (nor {env})"),
    )
}
