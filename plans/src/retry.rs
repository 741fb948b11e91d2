//! Retrying provider calls: throttling and transient errors only, with jittered backoff.

use std::time::Duration;

/// Retries throttling and transient errors with jittered exponential backoff (at most 6
/// attempts, waits from 250 ms up to 20 s); other errors surface at once. The operation keeps
/// its idempotency token across attempts, so a retried create cannot create twice.
pub async fn retrying<T, F, Fut>(mut call: F) -> gantry_core::provider::ProviderResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = gantry_core::provider::ProviderResult<T>>,
{
    const ATTEMPTS: u32 = 6;
    let mut attempt = 0;
    loop {
        match call().await {
            Err(e) if e.is_retryable() && attempt + 1 < ATTEMPTS => {
                let base = Duration::from_millis(250)
                    .saturating_mul(1 << attempt)
                    .min(Duration::from_secs(20));
                // Full jitter: a random wait in [base/2, base].
                let jitter = (uuid::Uuid::new_v4().as_u128() % 1000) as u32;
                let wait = base / 2 + base / 2 * jitter / 1000;
                tracing::debug!(attempt, ?wait, kind = ?e.kind, "retrying after a retryable provider error");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}
