//! AWS errors to `ProviderError`: classified so the engine retries only what is worth
//! retrying, and messages that carry the AWS error code.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use gantry_core::provider::{ErrorKind, ProviderError};

/// Classifies an SDK error by its AWS error code and HTTP status.
pub fn sdk<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    e: SdkError<E, HttpResponse>,
) -> ProviderError {
    let status = e.raw_response().map(|r| r.status().as_u16());
    match &e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            return ProviderError::new(
                ErrorKind::Transient,
                format!("request failed: {}", describe(&e)),
            );
        }
        _ => {}
    }
    let code = e.code().unwrap_or("Unknown").to_string();
    let message = e
        .message()
        .map(String::from)
        .unwrap_or_else(|| describe(&e));
    let kind = classify(&code, status);
    ProviderError::new(kind, message).with_code(code)
}

fn describe(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

pub fn classify(code: &str, status: Option<u16>) -> ErrorKind {
    let c = code.to_ascii_lowercase();
    if c.contains("throttl")
        || c.contains("requestlimitexceeded")
        || c == "slowdown"
        || c.contains("toomanyrequests")
        || status == Some(429)
    {
        ErrorKind::Throttling
    } else if c.contains("notfound") || c.contains("nosuch") || status == Some(404) {
        ErrorKind::NotFound
    } else if c.contains("accessdenied")
        || c.contains("unauthorized")
        || c.contains("authfailure")
        || c.contains("expiredtoken")
        || c.contains("invalidclienttokenid")
        || status == Some(403)
    {
        ErrorKind::Auth
    } else if c.contains("alreadyexists")
        || c.contains("conflict")
        || c.contains("inuse")
        || c.contains("bucketalreadyowned")
        || status == Some(409)
    {
        ErrorKind::Conflict
    } else if status.is_some_and(|s| s >= 500)
        || c.contains("internalerror")
        || c.contains("serviceunavailable")
        || c.contains("unavailable")
    {
        ErrorKind::Transient
    } else if c.contains("invalid")
        || c.contains("validation")
        || c.contains("malformed")
        || c.contains("missing")
        || status == Some(400)
    {
        ErrorKind::Validation
    } else {
        ErrorKind::Other
    }
}

/// SageMaker reports a missing object as a ValidationException "Could not find ...".
pub fn is_missing(e: &ProviderError) -> bool {
    e.kind == ErrorKind::NotFound
        || (e.kind == ErrorKind::Validation
            && (e.message.contains("Could not find")
                || e.message.contains("does not exist")
                // DescribeNotebookInstance's answer for a missing instance.
                || e.message.contains("RecordNotFound")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_classify_like_aws_documents_them() {
        assert_eq!(classify("Throttling", Some(400)), ErrorKind::Throttling);
        assert_eq!(
            classify("RequestLimitExceeded", Some(503)),
            ErrorKind::Throttling
        );
        assert_eq!(classify("InternalError", Some(500)), ErrorKind::Transient);
        assert_eq!(
            classify("InvalidInstanceID.NotFound", Some(400)),
            ErrorKind::NotFound
        );
        assert_eq!(classify("NoSuchBucket", Some(404)), ErrorKind::NotFound);
        assert_eq!(
            classify("EntityAlreadyExists", Some(409)),
            ErrorKind::Conflict
        );
        assert_eq!(
            classify("UnauthorizedOperation", Some(403)),
            ErrorKind::Auth
        );
        assert_eq!(
            classify("ValidationException", Some(400)),
            ErrorKind::Validation
        );
    }
}
