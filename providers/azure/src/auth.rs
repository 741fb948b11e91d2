//! Credentials through the official `azure_identity` crate, in azurerm's order:
//! 1. a service principal's client secret (`client_id` / `client_secret` / `tenant_id`, or
//!    `ARM_CLIENT_ID` / `ARM_CLIENT_SECRET` / `ARM_TENANT_ID`);
//! 2. workload identity (OIDC federation: `use_oidc` / `ARM_USE_OIDC`, or AKS's
//!    `AZURE_FEDERATED_TOKEN_FILE`), with `ARM_OIDC_TOKEN_FILE_PATH` as the token file;
//! 3. managed identity (`use_msi` / `ARM_USE_MSI`, with `client_id` for a user-assigned one);
//! 4. the Azure CLI's signed-in account (`use_cli`, on unless set to false).
//!
//! gantry's own additions: `ARM_ACCESS_TOKEN`, a bearer token used as is; and with
//! `use_cli = false` and nothing else configured, requests go unauthenticated (the local ARM
//! server needs no token; Azure answers 401, which says so plainly).

use azure_core::credentials::{Secret, TokenCredential};
use azure_identity::{
    AzureCliCredential, ClientSecretCredential, ManagedIdentityCredential,
    ManagedIdentityCredentialOptions, UserAssignedId, WorkloadIdentityCredential,
    WorkloadIdentityCredentialOptions,
};
use gantry_core::provider::{ErrorKind, ProviderError, ProviderResult};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub enum Source {
    Token(String),
    Identity {
        credential: Arc<dyn TokenCredential>,
        /// What it is, for messages ("Azure CLI", "managed identity", ...).
        kind: &'static str,
        scope: String,
    },
    Anonymous,
}

/// What the provider block and `ARM_*` variables say about credentials.
pub struct Settings {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub tenant_id: Option<String>,
    pub use_oidc: bool,
    pub oidc_token_file: Option<String>,
    pub use_msi: bool,
    pub use_cli: bool,
    /// The Resource Manager base URL: tokens are asked for `{base}/.default`.
    pub resource: String,
}

fn identity_error(kind: &str, e: impl std::fmt::Display) -> ProviderError {
    ProviderError::new(
        ErrorKind::Auth,
        format!("setting up {kind} credentials: {e}"),
    )
}

impl Source {
    pub fn from_settings(s: Settings) -> ProviderResult<Source> {
        if let Some(t) = std::env::var("ARM_ACCESS_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())
        {
            return Ok(Source::Token(t));
        }
        let scope = format!("{}/.default", s.resource.trim_end_matches('/'));
        let identity = |credential: Arc<dyn TokenCredential>, kind| Source::Identity {
            credential,
            kind,
            scope: scope.clone(),
        };
        if let (Some(id), Some(secret), Some(tenant)) =
            (&s.client_id, &s.client_secret, &s.tenant_id)
        {
            let c =
                ClientSecretCredential::new(tenant, id.clone(), Secret::new(secret.clone()), None)
                    .map_err(|e| identity_error("client secret", e))?;
            return Ok(identity(c, "client secret"));
        }
        let federated = std::env::var("AZURE_FEDERATED_TOKEN_FILE")
            .ok()
            .filter(|f| !f.is_empty());
        if s.use_oidc || federated.is_some() {
            let options = WorkloadIdentityCredentialOptions {
                client_id: s.client_id.clone(),
                tenant_id: s.tenant_id.clone(),
                token_file_path: s.oidc_token_file.clone().or(federated).map(Into::into),
                ..Default::default()
            };
            let c = WorkloadIdentityCredential::new(Some(options))
                .map_err(|e| identity_error("workload identity", e))?;
            return Ok(identity(c, "workload identity"));
        }
        if s.use_msi {
            let options = ManagedIdentityCredentialOptions {
                user_assigned_id: s.client_id.clone().map(UserAssignedId::ClientId),
                ..Default::default()
            };
            let c = ManagedIdentityCredential::new(Some(options))
                .map_err(|e| identity_error("managed identity", e))?;
            return Ok(identity(c, "managed identity"));
        }
        if s.use_cli {
            let c = AzureCliCredential::new(None).map_err(|e| identity_error("Azure CLI", e))?;
            return Ok(identity(c, "Azure CLI"));
        }
        Ok(Source::Anonymous)
    }
}

pub struct Auth {
    source: Source,
    cached: tokio::sync::Mutex<Option<(String, Instant)>>,
}

impl Auth {
    pub fn new(source: Source) -> Auth {
        Auth {
            source,
            cached: tokio::sync::Mutex::new(None),
        }
    }

    pub async fn apply(
        &self,
        req: reqwest::RequestBuilder,
    ) -> ProviderResult<reqwest::RequestBuilder> {
        Ok(match &self.source {
            Source::Anonymous => req,
            Source::Token(t) => req.bearer_auth(t),
            Source::Identity { .. } => req.bearer_auth(self.token().await?),
        })
    }

    /// A token from the credential, cached until a minute before it expires.
    async fn token(&self) -> ProviderResult<String> {
        let mut cached = self.cached.lock().await;
        if let Some((t, until)) = cached.as_ref() {
            if Instant::now() + Duration::from_secs(60) < *until {
                return Ok(t.clone());
            }
        }
        let Source::Identity {
            credential,
            kind,
            scope,
        } = &self.source
        else {
            return Err(ProviderError::other("no credential to ask for a token"));
        };
        let token = credential
            .get_token(&[scope.as_str()], None)
            .await
            .map_err(|e| {
                ProviderError::new(
                    ErrorKind::Auth,
                    format!("getting an Azure token through the {kind}: {e}"),
                )
            })?;
        let left = token.expires_on - time::OffsetDateTime::now_utc();
        let life = Duration::from_secs(left.whole_seconds().max(0) as u64);
        let value = token.token.secret().to_string();
        *cached = Some((value.clone(), Instant::now() + life));
        Ok(value)
    }
}
