//! Credentials, in hashicorp/google's order: the provider block's `access_token`, then
//! `GOOGLE_OAUTH_ACCESS_TOKEN`. With none, requests go unauthenticated (what the local
//! emulators expect), and a 401 from Google says so plainly.

use gantry_core::provider::ProviderResult;
use gantry_core::value::Value;

#[derive(Clone, Debug)]
pub enum Auth {
    /// A bearer token used as is.
    Token(String),
    /// No credentials: for emulators and local test servers.
    Anonymous,
}

impl Auth {
    pub fn from_config(config: &Value) -> Auth {
        let configured = config
            .get_attr("access_token")
            .and_then(|v| v.unmark().0.as_str().map(String::from))
            .filter(|s| !s.is_empty());
        let token = configured.or_else(|| {
            std::env::var("GOOGLE_OAUTH_ACCESS_TOKEN")
                .ok()
                .filter(|s| !s.is_empty())
        });
        match token {
            Some(t) => Auth::Token(t),
            None => Auth::Anonymous,
        }
    }

    pub async fn apply(
        &self,
        req: reqwest::RequestBuilder,
    ) -> ProviderResult<reqwest::RequestBuilder> {
        Ok(match self {
            Auth::Token(t) => req.bearer_auth(t),
            Auth::Anonymous => req,
        })
    }
}
