//! Credentials, as azurerm reads them: a service principal's client secret
//! (`client_id` / `client_secret` / `tenant_id`, or `ARM_CLIENT_ID` / `ARM_CLIENT_SECRET` /
//! `ARM_TENANT_ID`) exchanged at the login endpoint; `ARM_ACCESS_TOKEN`-style bearer tokens
//! (gantry's, for scripts that already hold one). With none, requests go unauthenticated —
//! what the local ARM server expects — and a 401 from Azure says so plainly.
//!
//! Azure CLI, managed identity and workload identity through the `azure_identity` crate are
//! not wired yet (see the closing note).

use gantry_core::provider::{ErrorKind, ProviderError, ProviderResult};
use serde_json::Value as Json;
use std::time::{Duration, Instant};

pub enum Source {
    Token(String),
    ClientSecret {
        tenant: String,
        client_id: String,
        secret: String,
        login: String,
        scope: String,
    },
    Anonymous,
}

pub struct Auth {
    source: Source,
    http: reqwest::Client,
    cached: tokio::sync::Mutex<Option<(String, Instant)>>,
}

impl Auth {
    pub fn new(source: Source) -> Auth {
        Auth {
            source,
            http: reqwest::Client::new(),
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
            Source::ClientSecret { .. } => req.bearer_auth(self.token().await?),
        })
    }

    async fn token(&self) -> ProviderResult<String> {
        let mut cached = self.cached.lock().await;
        if let Some((t, until)) = cached.as_ref() {
            if Instant::now() + Duration::from_secs(60) < *until {
                return Ok(t.clone());
            }
        }
        let Source::ClientSecret {
            tenant,
            client_id,
            secret,
            login,
            scope,
        } = &self.source
        else {
            return Err(ProviderError::other("no token to fetch"));
        };
        let enc = crate::client::enc;
        let body = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&scope={}",
            enc(client_id),
            enc(secret),
            enc(scope)
        );
        let resp = self
            .http
            .post(format!(
                "{}/{tenant}/oauth2/v2.0/token",
                login.trim_end_matches('/')
            ))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| {
                ProviderError::new(ErrorKind::Auth, format!("fetching an Azure token: {e}"))
            })?;
        let status = resp.status();
        let j: Json = resp.json().await.unwrap_or(Json::Null);
        if !status.is_success() {
            return Err(ProviderError::new(
                ErrorKind::Auth,
                format!(
                    "Azure refused the client secret ({status}): {}",
                    j["error_description"].as_str().unwrap_or("no reason given")
                ),
            ));
        }
        let token = j["access_token"].as_str().unwrap_or_default().to_string();
        let life = Duration::from_secs(j["expires_in"].as_u64().unwrap_or(3600));
        *cached = Some((token.clone(), Instant::now() + life));
        Ok(token)
    }
}
