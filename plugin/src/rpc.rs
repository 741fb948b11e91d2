//! Calls to a running plugin, normalised across protocols 5 and 6: one request type per call
//! (`crate::wire`), sent to the method path of the protocol the plugin chose.

use crate::launch::Plugin;
use crate::wire;
use gantry_core::provider::{ErrorKind, ProviderError};
use std::sync::Arc;

/// A method's path under each protocol.
#[derive(Clone, Copy)]
pub struct Method {
    pub v5: &'static str,
    pub v6: &'static str,
}

macro_rules! method {
    ($name:ident, $v5:literal, $v6:literal) => {
        pub const $name: Method = Method {
            v5: concat!("/tfplugin5.Provider/", $v5),
            v6: concat!("/tfplugin6.Provider/", $v6),
        };
    };
}

method!(GET_SCHEMA, "GetSchema", "GetProviderSchema");
method!(
    VALIDATE_PROVIDER,
    "PrepareProviderConfig",
    "ValidateProviderConfig"
);
method!(
    VALIDATE_RESOURCE,
    "ValidateResourceTypeConfig",
    "ValidateResourceConfig"
);
method!(
    VALIDATE_DATA,
    "ValidateDataSourceConfig",
    "ValidateDataResourceConfig"
);
method!(CONFIGURE, "Configure", "ConfigureProvider");
method!(UPGRADE, "UpgradeResourceState", "UpgradeResourceState");
method!(READ, "ReadResource", "ReadResource");
method!(MOVE_STATE, "MoveResourceState", "MoveResourceState");
method!(PLAN, "PlanResourceChange", "PlanResourceChange");
method!(APPLY, "ApplyResourceChange", "ApplyResourceChange");
method!(IMPORT, "ImportResourceState", "ImportResourceState");
method!(READ_DATA, "ReadDataSource", "ReadDataSource");
method!(CALL_FUNCTION, "CallFunction", "CallFunction");
method!(STOP, "Stop", "StopProvider");

#[derive(Clone)]
pub struct Client {
    pub plugin: Arc<Plugin>,
}

impl Client {
    pub async fn call<Req, Resp>(&self, m: Method, req: Req) -> Result<Resp, ProviderError>
    where
        Req: prost::Message + Send + Sync + 'static,
        Resp: prost::Message + Default + Send + Sync + 'static,
    {
        let path = if self.plugin.protocol == 5 {
            m.v5
        } else {
            m.v6
        };
        let channel = self.plugin.channel.clone();
        // The connection lives on the plugin runtime; calls run there too, whoever asks.
        let call = crate::attach::runtime().spawn(async move {
            let mut grpc = tonic::client::Grpc::new(channel)
                // The aws provider's schema alone is ~20 MB.
                .max_decoding_message_size(256 << 20)
                .max_encoding_message_size(256 << 20);
            grpc.ready()
                .await
                .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
            let codec = tonic_prost::ProstCodec::<Req, Resp>::default();
            grpc.unary(
                tonic::Request::new(req),
                http::uri::PathAndQuery::from_static(path),
                codec,
            )
            .await
        });
        match call.await {
            Ok(Ok(r)) => Ok(r.into_inner()),
            Ok(Err(status)) => Err(self.status(path, status).await),
            Err(e) => Err(self.transport(e.to_string())),
        }
    }

    fn transport(&self, why: String) -> ProviderError {
        ProviderError::new(
            ErrorKind::Transient,
            format!("plugin {}: {why}", self.plugin.name),
        )
    }

    async fn status(&self, path: &str, s: tonic::Status) -> ProviderError {
        let mut exited = self.plugin.exited().await;
        if exited.is_none()
            && matches!(
                s.code(),
                tonic::Code::Unavailable | tonic::Code::Unknown | tonic::Code::Cancelled
            )
        {
            // The connection broke: give a dying process a moment to be reaped, so a crash
            // is reported as one.
            for _ in 0..40 {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                exited = self.plugin.exited().await;
                if exited.is_some() {
                    break;
                }
            }
        }
        if let Some(code) = exited {
            // A crash: the request may or may not have reached the cloud, so the error is
            // not a refusal — the intent stays pending for the next run to reconcile.
            return ProviderError::new(
                ErrorKind::Transient,
                format!(
                    "The plugin {} exited unexpectedly ({code}) during {path}. This is a bug in the provider; its last words are in the log (GANTRY_LOG=debug).",
                    self.plugin.name
                ),
            )
            .with_code("PluginCrashed");
        }
        let kind = match s.code() {
            tonic::Code::Unimplemented | tonic::Code::InvalidArgument => ErrorKind::Validation,
            tonic::Code::Unavailable | tonic::Code::DeadlineExceeded => ErrorKind::Transient,
            _ => ErrorKind::Other,
        };
        ProviderError::new(
            kind,
            format!("plugin {} {path}: {}", self.plugin.name, s.message()),
        )
    }
}

/// Provider diagnostics as gantry errors (warnings are logged). `Ok` carries the warnings.
pub fn diagnostics(diags: &[wire::Diagnostic]) -> Result<Vec<String>, ProviderError> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for d in diags {
        let mut text = d.summary.clone();
        if !d.detail.is_empty() {
            text.push_str(": ");
            text.push_str(&d.detail);
        }
        if let Some(p) = d.attribute.as_ref().filter(|p| !p.steps.is_empty()) {
            text = format!("{text} (at {})", path_text(p));
        }
        if d.severity == wire::diagnostic::Severity::Error as i32 {
            errors.push(text);
        } else {
            tracing::warn!(target: "gantry::plugin", "{text}");
            warnings.push(text);
        }
    }
    if errors.is_empty() {
        Ok(warnings)
    } else {
        Err(classify(errors.join("\n")))
    }
}

/// Provider errors arrive as text; the cloud's throttling and capacity messages are
/// recognisable, and worth retrying or reporting as such.
fn classify(message: String) -> ProviderError {
    let lower = message.to_ascii_lowercase();
    let kind = if lower.contains("throttl") || lower.contains("rate exceeded") {
        ErrorKind::Throttling
    } else if lower.contains("already exists") || lower.contains("conflict") {
        ErrorKind::Conflict
    } else if lower.contains("not found") || lower.contains("notfound") {
        ErrorKind::NotFound
    } else if lower.contains("unauthorized")
        || lower.contains("accessdenied")
        || lower.contains("access denied")
    {
        ErrorKind::Auth
    } else {
        ErrorKind::Other
    };
    ProviderError::new(kind, message)
}

pub fn path_text(p: &wire::AttributePath) -> String {
    use wire::attribute_path::step::Selector;
    let mut out = String::new();
    for s in &p.steps {
        match &s.selector {
            Some(Selector::AttributeName(n)) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(n);
            }
            Some(Selector::ElementKeyString(k)) => out.push_str(&format!("[{k:?}]")),
            Some(Selector::ElementKeyInt(i)) => out.push_str(&format!("[{i}]")),
            None => {}
        }
    }
    out
}
