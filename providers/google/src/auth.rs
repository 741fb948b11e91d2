//! Credentials, found in hashicorp/google's order:
//! 1. an access token: the provider block's `access_token`, then `GOOGLE_OAUTH_ACCESS_TOKEN`;
//! 2. a credentials file or its JSON: the block's `credentials`, then `GOOGLE_CREDENTIALS`,
//!    `GOOGLE_CLOUD_KEYFILE_JSON`, `GCLOUD_KEYFILE_JSON`;
//! 3. Application Default Credentials: `GOOGLE_APPLICATION_CREDENTIALS`, gcloud's ADC file
//!    (`$CLOUDSDK_CONFIG` or `~/.config/gcloud/application_default_credentials.json`), the
//!    metadata server (when `GCE_METADATA_HOST` names one or the machine is a GCE VM);
//! 4. none: requests go unauthenticated (local emulators), and a 401 says so plainly.
//!
//! A service-account key signs an RS256 JWT (aws-lc-rs, already in the tree for rustls)
//! exchanged at its `token_uri`; an authorized user's refresh token is exchanged the same
//! way; tokens are cached until a minute before they expire.

use base64::Engine;
use gantry_core::provider::{ErrorKind, ProviderError, ProviderResult};
use gantry_core::provider_kit::attr_str;
use gantry_core::value::Value;
use serde_json::Value as Json;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const DEFAULT_SCOPES: [&str; 2] = [
    "https://www.googleapis.com/auth/cloud-platform",
    "https://www.googleapis.com/auth/userinfo.email",
];
const GOOGLE_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

enum Source {
    /// A bearer token used as is.
    Token(String),
    ServiceAccount {
        email: String,
        key_id: String,
        key: Arc<aws_lc_rs::signature::RsaKeyPair>,
        token_uri: String,
    },
    AuthorizedUser {
        client_id: String,
        client_secret: String,
        refresh_token: String,
        token_uri: String,
    },
    /// The GCE/GKE metadata server (`host[:port]`).
    Metadata(String),
    /// No credentials: for emulators and local test servers.
    Anonymous,
}

pub struct Auth {
    source: Source,
    scopes: Vec<String>,
    http: reqwest::Client,
    cached: tokio::sync::Mutex<Option<(String, Instant)>>,
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|s| !s.is_empty())
}

fn auth_error(msg: String) -> ProviderError {
    ProviderError::new(ErrorKind::Auth, msg)
}

impl Auth {
    pub fn from_config(config: &Value) -> ProviderResult<Auth> {
        let setting = |k: &str| {
            config
                .get_attr(k)
                .and_then(|v| v.unmark().0.as_str().map(String::from))
                .filter(|s| !s.is_empty())
        };
        let scopes = config
            .get_attr("scopes")
            .and_then(Value::as_seq)
            .map(|s| {
                s.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect::<Vec<_>>()
            })
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect());
        if attr_str(config, "impersonate_service_account").is_some() {
            return Err(auth_error(
                "impersonate_service_account is not supported by gantry's google provider yet"
                    .into(),
            ));
        }
        let source =
            if let Some(t) = setting("access_token").or_else(|| env("GOOGLE_OAUTH_ACCESS_TOKEN")) {
                Source::Token(t)
            } else if let Some(c) = setting("credentials").or_else(|| {
                [
                    "GOOGLE_CREDENTIALS",
                    "GOOGLE_CLOUD_KEYFILE_JSON",
                    "GCLOUD_KEYFILE_JSON",
                ]
                .iter()
                .find_map(|k| env(k))
            }) {
                from_json_or_path(&c)?
            } else if let Some(path) = env("GOOGLE_APPLICATION_CREDENTIALS") {
                from_file(&path)?
            } else if let Some(path) = gcloud_adc_file() {
                from_file(&path)?
            } else if let Some(host) = metadata_host() {
                Source::Metadata(host)
            } else {
                Source::Anonymous
            };
        let http = reqwest::Client::builder()
            .user_agent(concat!(
                "gantry/",
                env!("CARGO_PKG_VERSION"),
                " (google auth)"
            ))
            .build()
            .map_err(|e| ProviderError::other(format!("building the HTTP client: {e}")))?;
        Ok(Auth {
            source,
            scopes,
            http,
            cached: tokio::sync::Mutex::new(None),
        })
    }

    pub async fn apply(
        &self,
        req: reqwest::RequestBuilder,
    ) -> ProviderResult<reqwest::RequestBuilder> {
        Ok(match &self.source {
            Source::Anonymous => req,
            Source::Token(t) => req.bearer_auth(t),
            _ => req.bearer_auth(self.token().await?),
        })
    }

    /// A cached token, refreshed a minute before it expires.
    async fn token(&self) -> ProviderResult<String> {
        let mut cached = self.cached.lock().await;
        if let Some((t, until)) = cached.as_ref() {
            if Instant::now() + Duration::from_secs(60) < *until {
                return Ok(t.clone());
            }
        }
        let (token, lifetime) = self.fetch().await?;
        *cached = Some((token.clone(), Instant::now() + lifetime));
        Ok(token)
    }

    async fn fetch(&self) -> ProviderResult<(String, Duration)> {
        let scope = self.scopes.join(" ");
        let resp = match &self.source {
            Source::ServiceAccount {
                email,
                key_id,
                key,
                token_uri,
            } => {
                let jwt = signed_jwt(email, key_id, key, token_uri, &scope)?;
                self.http
                    .post(token_uri)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(form(&[
                        ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                        ("assertion", jwt.as_str()),
                    ]))
                    .send()
                    .await
            }
            Source::AuthorizedUser {
                client_id,
                client_secret,
                refresh_token,
                token_uri,
            } => {
                self.http
                    .post(token_uri)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(form(&[
                        ("grant_type", "refresh_token"),
                        ("client_id", client_id.as_str()),
                        ("client_secret", client_secret.as_str()),
                        ("refresh_token", refresh_token.as_str()),
                    ]))
                    .send()
                    .await
            }
            Source::Metadata(host) => {
                self.http
                    .get(format!(
                    "http://{host}/computeMetadata/v1/instance/service-accounts/default/token?{}",
                    form(&[("scopes", self.scopes.join(",").as_str())])
                ))
                    .header("Metadata-Flavor", "Google")
                    .send()
                    .await
            }
            Source::Token(_) | Source::Anonymous => unreachable!("no token to fetch"),
        }
        .map_err(|e| auth_error(format!("fetching a Google access token: {e}")))?;
        let status = resp.status();
        let body: Json = resp.json().await.unwrap_or(Json::Null);
        if !status.is_success() {
            return Err(auth_error(format!(
                "Google refused the credentials ({status}): {}",
                body["error_description"]
                    .as_str()
                    .or(body["error"].as_str())
                    .unwrap_or("no reason given")
            )));
        }
        let token = body["access_token"]
            .as_str()
            .ok_or_else(|| auth_error("the token response has no access_token".into()))?;
        let lifetime = Duration::from_secs(body["expires_in"].as_u64().unwrap_or(3600));
        Ok((token.to_string(), lifetime))
    }
}

/// An `application/x-www-form-urlencoded` body.
fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::client::enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `credentials` holds either a key file's JSON or a path to one.
fn from_json_or_path(c: &str) -> ProviderResult<Source> {
    if c.trim_start().starts_with('{') {
        parse(c, "the credentials setting")
    } else {
        from_file(c)
    }
}

fn from_file(path: &str) -> ProviderResult<Source> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| auth_error(format!("reading credentials file {path}: {e}")))?;
    parse(&text, path)
}

fn parse(text: &str, from: &str) -> ProviderResult<Source> {
    let j: Json = serde_json::from_str(text)
        .map_err(|e| auth_error(format!("credentials in {from} are not JSON: {e}")))?;
    let field = |k: &str| -> ProviderResult<String> {
        j[k].as_str()
            .map(String::from)
            .ok_or_else(|| auth_error(format!("credentials in {from} have no {k}")))
    };
    let token_uri = j["token_uri"]
        .as_str()
        .unwrap_or(GOOGLE_TOKEN_URI)
        .to_string();
    match j["type"].as_str() {
        Some("service_account") => {
            let pem = field("private_key")?;
            Ok(Source::ServiceAccount {
                email: field("client_email")?,
                key_id: j["private_key_id"].as_str().unwrap_or_default().to_string(),
                key: Arc::new(rsa_key(&pem, from)?),
                token_uri,
            })
        }
        Some("authorized_user") => Ok(Source::AuthorizedUser {
            client_id: field("client_id")?,
            client_secret: field("client_secret")?,
            refresh_token: field("refresh_token")?,
            token_uri,
        }),
        other => Err(auth_error(format!(
            "credentials in {from} are of type {}; gantry reads service_account and \
             authorized_user credentials",
            other.unwrap_or("(none)")
        ))),
    }
}

fn rsa_key(pem: &str, from: &str) -> ProviderResult<aws_lc_rs::signature::RsaKeyPair> {
    use rustls_pki_types::pem::PemObject;
    let der = rustls_pki_types::PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| auth_error(format!("the private key in {from} is not PKCS#8 PEM: {e}")))?;
    aws_lc_rs::signature::RsaKeyPair::from_pkcs8(der.secret_pkcs8_der())
        .map_err(|e| auth_error(format!("the private key in {from} is not an RSA key: {e}")))
}

fn signed_jwt(
    email: &str,
    key_id: &str,
    key: &aws_lc_rs::signature::RsaKeyPair,
    aud: &str,
    scope: &str,
) -> ProviderResult<String> {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": key_id});
    let claims = serde_json::json!({
        "iss": email, "scope": scope, "aud": aud, "iat": now, "exp": now + 3600,
    });
    let signing_input = format!(
        "{}.{}",
        b64.encode(header.to_string()),
        b64.encode(claims.to_string())
    );
    let mut sig = vec![0u8; key.public_modulus_len()];
    key.sign(
        &aws_lc_rs::signature::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        signing_input.as_bytes(),
        &mut sig,
    )
    .map_err(|_| auth_error("signing the token request failed".into()))?;
    Ok(format!("{signing_input}.{}", b64.encode(sig)))
}

/// gcloud's application-default credentials file, when it exists.
fn gcloud_adc_file() -> Option<String> {
    let dir = env("CLOUDSDK_CONFIG")
        .map(std::path::PathBuf::from)
        .or_else(|| env("HOME").map(|h| std::path::Path::new(&h).join(".config/gcloud")))?;
    let f = dir.join("application_default_credentials.json");
    f.is_file().then(|| f.to_string_lossy().into_owned())
}

/// The metadata server, when one is named or the machine is a GCE VM (read from the DMI
/// product name, as Google's client libraries do, so no machine probes the network).
fn metadata_host() -> Option<String> {
    if let Some(h) = env("GCE_METADATA_HOST") {
        return Some(h);
    }
    let product = std::fs::read_to_string("/sys/class/dmi/id/product_name").unwrap_or_default();
    product
        .contains("Google")
        .then(|| "metadata.google.internal".to_string())
}
