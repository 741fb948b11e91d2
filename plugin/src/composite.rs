//! A native provider and the plugin of the same source, side by side: the native provider
//! serves the types it implements, the plugin every other type. One `provider` block
//! configures both (the plugin's provider schema, a superset of the native one, checks it),
//! and state records the same provider address whichever serves an object.

use async_trait::async_trait;
use gantry_core::provider::{
    BlockSchema, Nesting, Op, PlanRequest, PlanResponse, Provider, ProviderFactory, ProviderResult,
    ProviderSchema,
};
use gantry_core::value::Value;
use std::sync::Arc;

pub struct CompositeFactory {
    native: Arc<dyn ProviderFactory>,
    plugin: Arc<dyn ProviderFactory>,
    /// Shared with every configured instance: the aws schema alone has ~1,500 types.
    schema: Arc<ProviderSchema>,
}

impl CompositeFactory {
    pub fn new(native: Arc<dyn ProviderFactory>, plugin: Arc<dyn ProviderFactory>) -> Self {
        let n = native.schema();
        let p = plugin.schema();
        let mut schema = ProviderSchema {
            provider: p.provider.clone(),
            resources: p.resources.clone(),
            data_sources: p.data_sources.clone(),
        };
        for (k, r) in &n.resources {
            schema.resources.insert(k.clone(), r.clone());
        }
        for (k, r) in &n.data_sources {
            schema.data_sources.insert(k.clone(), r.clone());
        }
        CompositeFactory {
            native,
            plugin,
            schema: Arc::new(schema),
        }
    }
}

#[async_trait]
impl ProviderFactory for CompositeFactory {
    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }

    fn version(&self) -> Option<&str> {
        self.plugin.version()
    }

    async fn configure(&self, config: &Value) -> ProviderResult<Arc<dyn Provider>> {
        let native = self
            .native
            .configure(&conform(config, &self.native.schema().provider))
            .await?;
        let plugin = self.plugin.configure(config).await?;
        Ok(Arc::new(Composite {
            native,
            plugin,
            schema: self.schema.clone(),
        }))
    }
}

/// The plugin's provider configuration shaped for the native provider's schema: where the
/// native schema has a single nested block (`default_tags`) and the plugin a list of at most
/// one, the list's element.
fn conform(v: &Value, native: &BlockSchema) -> Value {
    let Some(m) = v.as_map() else {
        return v.clone();
    };
    let mut out = m.clone();
    for (name, nb) in &native.blocks {
        if let Some(x) = out.get(name).cloned() {
            let x = match (nb.nesting, x.unmark().0) {
                (Nesting::Single, Value::List(items)) | (Nesting::Single, Value::Set(items)) => {
                    items.first().cloned().unwrap_or(Value::Null)
                }
                _ => x,
            };
            out.insert(name.clone(), conform(&x, &nb.block));
        }
    }
    Value::map(out)
}

struct Composite {
    native: Arc<dyn Provider>,
    plugin: Arc<dyn Provider>,
    schema: Arc<ProviderSchema>,
}

impl Composite {
    fn managed(&self, t: &str) -> &Arc<dyn Provider> {
        if self.native.schema().resources.contains_key(t) {
            &self.native
        } else {
            &self.plugin
        }
    }
    fn data(&self, t: &str) -> &Arc<dyn Provider> {
        if self.native.schema().data_sources.contains_key(t) {
            &self.native
        } else {
            &self.plugin
        }
    }
}

#[async_trait]
impl Provider for Composite {
    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }
    fn validate(&self, t: &str, config: &Value) -> Vec<String> {
        self.managed(t).validate(t, config)
    }
    fn uses_private(&self, t: &str) -> bool {
        self.managed(t).uses_private(t)
    }
    fn usage(&self, t: &str, value: &Value) -> Vec<gantry_core::usage::Usage> {
        self.managed(t).usage(t, value)
    }
    async fn capacity(&self, t: &str, planned: &Value) -> Vec<String> {
        self.managed(t).capacity(t, planned).await
    }
    async fn read(&self, t: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        self.managed(t).read(t, prior).await
    }
    async fn move_state(
        &self,
        req: gantry_core::provider::MoveRequest<'_>,
    ) -> ProviderResult<Option<(Value, Vec<u8>)>> {
        self.managed(req.target_type).move_state(req).await
    }
    async fn upgrade(&self, t: &str, version: u64, prior: &Value) -> ProviderResult<Option<Value>> {
        self.managed(t).upgrade(t, version, prior).await
    }
    async fn read_with_private(
        &self,
        t: &str,
        prior: &Value,
        private: &[u8],
    ) -> ProviderResult<Option<(Value, Vec<u8>)>> {
        self.managed(t).read_with_private(t, prior, private).await
    }
    async fn read_many(&self, t: &str, priors: &[Value]) -> Vec<ProviderResult<Option<Value>>> {
        self.managed(t).read_many(t, priors).await
    }
    async fn plan(&self, req: PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        self.managed(req.type_name).plan(req).await
    }
    async fn create(&self, t: &str, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        self.managed(t).create(t, planned, op).await
    }
    async fn update(
        &self,
        t: &str,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        self.managed(t).update(t, prior, planned, op).await
    }
    async fn delete(&self, t: &str, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        self.managed(t).delete(t, prior, op).await
    }
    async fn find_by_token(
        &self,
        t: &str,
        token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        self.managed(t).find_by_token(t, token, planned).await
    }
    async fn settle(&self, t: &str, value: &Value, op: &Op<'_>) -> ProviderResult<()> {
        self.managed(t).settle(t, value, op).await
    }
    async fn import(&self, t: &str, id: &str) -> ProviderResult<Option<Value>> {
        self.managed(t).import(t, id).await
    }
    async fn read_data(&self, t: &str, config: &Value) -> ProviderResult<Value> {
        self.data(t).read_data(t, config).await
    }
}
