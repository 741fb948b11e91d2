//! Removing idempotency tokens (`Provider::settle`) only once a create's record is durable
//! where the next run will look for it.
//!
//! With local state that is the journal, so the apply settles each create right after
//! recording it. With a remote backend the journal is only on this machine: until a snapshot
//! holding the object reaches the store, another machine recovers the create only through
//! its intent and token. So the token stays until the final snapshot is pushed, and the
//! session settles them then ([`run`]). A run that dies first leaves its tokens on the
//! objects, which is what lets the next run (anywhere) adopt them.

use gantry_core::provider::{NoProgress, Op, Provider};
use gantry_core::value::Value;
use std::sync::Arc;

/// A settle waiting for the state to reach the store.
pub struct DeferredSettle {
    pub addr: String,
    pub provider: Arc<dyn Provider>,
    pub type_name: String,
    pub value: Value,
    pub token: String,
}

impl std::fmt::Debug for DeferredSettle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeferredSettle")
            .field("addr", &self.addr)
            .field("type_name", &self.type_name)
            .finish()
    }
}

impl DeferredSettle {
    /// Settles now. Best effort: a failure leaves a harmless token.
    pub async fn run(&self) {
        let private = std::sync::Mutex::new(Vec::new());
        let op = Op {
            addr: &self.addr,
            token: &self.token,
            progress: &NoProgress,
            config: &Value::Null,
            private: &private,
        };
        if let Err(e) = self
            .provider
            .settle(&self.type_name, &self.value, &op)
            .await
        {
            tracing::warn!(addr = %self.addr, error = %e, "could not remove the idempotency token");
        }
    }
}

/// Settles every deferred create (after the snapshot holding them was written).
pub async fn run(settles: Vec<DeferredSettle>) {
    futures_util::future::join_all(settles.iter().map(DeferredSettle::run)).await;
}
