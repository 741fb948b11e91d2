//! A plugin behind gantry's `ProviderFactory` / `Provider` traits.
//!
//! The factory starts the plugin once to read its schema and keeps that process for the first
//! configuration (so a run starts one process per configured provider, where Terraform starts
//! several). Every call encodes gantry values with the schema's implied type (msgpack, as
//! Terraform does) and decodes the answer the same way.

use crate::launch::{LaunchOptions, Plugin};
use crate::msgpack;
use crate::rpc::{self, Client};
use crate::wire;
use async_trait::async_trait;
use gantry_core::provider::{
    BlockSchema, ErrorKind, Nesting, Op, PlanRequest, PlanResponse, Provider, ProviderError,
    ProviderFactory, ProviderResult, ProviderSchema,
};
use gantry_core::provider_functions::{ProviderFunctions, Signature};
use gantry_core::types::Type;
use gantry_core::value::{Map, PathStep, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Schemas and the types derived from them, shared by the factory and its providers.
struct Schemas {
    schema: ProviderSchema,
    types: Mutex<HashMap<(bool, String), Arc<Type>>>,
    /// The plugin's `move_resource_state` server capability: without it, Terraform (and
    /// gantry) refuse `moved` across resource types.
    can_move: bool,
}

impl Schemas {
    fn block(&self, data: bool, type_name: &str) -> ProviderResult<&BlockSchema> {
        let m = if data {
            &self.schema.data_sources
        } else {
            &self.schema.resources
        };
        m.get(type_name).map(|r| &r.block).ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Validation,
                format!("the plugin has no schema for {type_name}"),
            )
        })
    }

    fn ty(&self, data: bool, type_name: &str) -> ProviderResult<Arc<Type>> {
        let mut t = self.types.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(ty) = t.get(&(data, type_name.to_string())) {
            return Ok(ty.clone());
        }
        let ty = Arc::new(self.block(data, type_name)?.implied_type());
        t.insert((data, type_name.to_string()), ty.clone());
        Ok(ty)
    }
}

/// Terraform never sends a null list or set of nested blocks: absent blocks are empty
/// collections (SDKv2 providers depend on it). Values from gantry's evaluator may have null
/// there; this fills them in, at any depth.
/// The first attribute (as a path) where `planned` contradicts a known, non-null value
/// `config` sets — Terraform's check of a provider's plan. Sets and dynamic values are left
/// alone (their element order and types are the provider's to normalise).
pub fn plan_contradiction(
    block: &BlockSchema,
    planned: &Value,
    config: &Value,
    path: &str,
) -> Option<String> {
    let (Value::Map(p), Value::Map(c)) = (planned.unmark().0, config.unmark().0) else {
        return None;
    };
    for (name, attr) in &block.attributes {
        if attr.ty.contains_any() || attr.ty.contains_set() {
            continue;
        }
        let cv = c
            .get(name)
            .map(|v| v.unmark_deep().0)
            .unwrap_or(Value::Null);
        if cv.is_null() || !cv.is_wholly_known() {
            continue;
        }
        let pv = p
            .get(name)
            .map(|v| v.unmark_deep().0)
            .unwrap_or(Value::Null);
        if pv.to_json() != cv.to_json() {
            return Some(format!("{path}{name}"));
        }
    }
    for (name, nb) in &block.blocks {
        let (Some(pv), Some(cv)) = (p.get(name), c.get(name)) else {
            continue;
        };
        match (nb.nesting, pv.unmark().0, cv.unmark().0) {
            (Nesting::Single, _, _) => {
                if let Some(at) = plan_contradiction(&nb.block, pv, cv, &format!("{path}{name}.")) {
                    return Some(at);
                }
            }
            (Nesting::List, Value::List(ps), Value::List(cs)) if ps.len() == cs.len() => {
                for (i, (pi, ci)) in ps.iter().zip(cs.iter()).enumerate() {
                    let at = format!("{path}{name}[{i}].");
                    if let Some(at) = plan_contradiction(&nb.block, pi, ci, &at) {
                        return Some(at);
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// Terraform's proposed new state leaves a computed attribute the configuration does not set
/// **null** where there is no prior value; gantry's engine marks it unknown (its native
/// providers plan from that). SDKv2 providers read an unknown there as a value the
/// configuration set (a "new extra") and fail on it at apply — hashicorp/aws's
/// `aws_s3_bucket.policy` is parsed as JSON — so plugins get Terraform's form.
pub fn terraform_proposed(proposed: &Value, config: &Value, block: &BlockSchema) -> Value {
    let (Value::Map(p), Value::Map(c)) = (proposed, config.unmark().0) else {
        return proposed.clone();
    };
    let mut out: Map = (**p).clone();
    for (name, attr) in &block.attributes {
        let unset = c.get(name).is_none_or(|v| v.is_null());
        if attr.computed && unset && matches!(out.get(name), Some(Value::Unknown)) {
            out.insert(name.clone(), Value::Null);
        }
    }
    for (name, nb) in &block.blocks {
        let (Some(pv), Some(cv)) = (out.get(name).cloned(), c.get(name)) else {
            continue;
        };
        let fixed = match (nb.nesting, &pv, cv.unmark().0) {
            (Nesting::Single, Value::Map(_), _) => terraform_proposed(&pv, cv, &nb.block),
            (Nesting::List, Value::List(ps), Value::List(cs)) if ps.len() == cs.len() => {
                Value::list(
                    ps.iter()
                        .zip(cs.iter())
                        .map(|(p, c)| terraform_proposed(p, c, &nb.block))
                        .collect(),
                )
            }
            (Nesting::Set, Value::Set(ps), Value::Set(cs) | Value::List(cs))
                if ps.len() == cs.len() =>
            {
                Value::set(
                    ps.iter()
                        .zip(cs.iter())
                        .map(|(p, c)| terraform_proposed(p, c, &nb.block))
                        .collect(),
                )
            }
            _ => continue,
        };
        out.insert(name.clone(), fixed);
    }
    Value::map(out)
}

pub fn fill_blocks(v: Value, block: &BlockSchema) -> Value {
    let Value::Map(m) = v else {
        return v;
    };
    if block.blocks.is_empty() {
        return Value::Map(m);
    }
    let mut m: Map = (*m).clone();
    for (name, nb) in &block.blocks {
        let cur = m.remove(name).unwrap_or(Value::Null);
        let filled = match (nb.nesting, cur) {
            (Nesting::List, Value::Null) => Value::list(vec![]),
            (Nesting::Set, Value::Null) => Value::set(vec![]),
            (Nesting::List, Value::List(items)) => Value::list(
                items
                    .iter()
                    .map(|x| fill_blocks(x.clone(), &nb.block))
                    .collect(),
            ),
            (Nesting::Set, Value::Set(items)) | (Nesting::Set, Value::List(items)) => Value::set(
                items
                    .iter()
                    .map(|x| fill_blocks(x.clone(), &nb.block))
                    .collect(),
            ),
            (Nesting::Single, x) => fill_blocks(x, &nb.block),
            (_, other) => other,
        };
        m.insert(name.clone(), filled);
    }
    Value::map(m)
}

fn dynamic(v: &Value, ty: &Type, block: &BlockSchema) -> wire::DynamicValue {
    wire::DynamicValue {
        msgpack: msgpack::encode(&fill_blocks(v.clone(), block), ty),
        json: Vec::new(),
    }
}

/// A recorded object as the JSON Terraform sends for state upgrades and moves.
fn raw_state(v: &Value) -> ProviderResult<wire::RawState> {
    Ok(wire::RawState {
        json: serde_json::to_vec(&v.unmark_deep().0.to_json())
            .map_err(|e| ProviderError::other(e.to_string()))?,
        flatmap: Default::default(),
    })
}

fn null_dynamic() -> wire::DynamicValue {
    wire::DynamicValue {
        msgpack: vec![0xc0],
        json: Vec::new(),
    }
}

fn undynamic(d: Option<&wire::DynamicValue>, ty: &Type) -> ProviderResult<Value> {
    let Some(d) = d else {
        return Ok(Value::Null);
    };
    if !d.msgpack.is_empty() {
        return msgpack::decode(&d.msgpack, ty).map_err(|e| ProviderError::other(e.to_string()));
    }
    if !d.json.is_empty() {
        let j: serde_json::Value = serde_json::from_slice(&d.json)
            .map_err(|e| ProviderError::other(format!("provider sent invalid JSON: {e}")))?;
        return Ok(ty.shape(Value::from_json(&j)));
    }
    Ok(Value::Null)
}

fn path(p: &wire::AttributePath) -> Vec<PathStep> {
    use wire::attribute_path::step::Selector;
    p.steps
        .iter()
        .filter_map(|s| match &s.selector {
            Some(Selector::AttributeName(n)) => Some(PathStep::Key(n.clone())),
            Some(Selector::ElementKeyString(k)) => Some(PathStep::Key(k.clone())),
            Some(Selector::ElementKeyInt(i)) => Some(PathStep::Index(*i)),
            None => None,
        })
        .collect()
}

/// Starts plugins of one provider package and configures them.
pub struct PluginFactory {
    exe: PathBuf,
    opts: LaunchOptions,
    version: Option<String>,
    schemas: Arc<Schemas>,
    /// Provider-defined functions, served by the first process.
    functions: Arc<FunctionSet>,
    /// The process that answered the schema, kept for the first configuration.
    spare: tokio::sync::Mutex<Option<Arc<Plugin>>>,
    /// Every process started, shut down together at the end of the run.
    started: Mutex<Vec<Arc<Plugin>>>,
}

impl PluginFactory {
    /// Starts the plugin and reads its schema.
    pub async fn start(
        exe: PathBuf,
        opts: LaunchOptions,
        version: Option<String>,
    ) -> Result<PluginFactory, String> {
        let plugin = Arc::new(
            Plugin::launch(&exe, &opts)
                .await
                .map_err(|e| e.to_string())?,
        );
        let client = Client {
            plugin: plugin.clone(),
        };
        let (schema, functions, can_move) = if plugin.protocol == 5 {
            let r: wire::GetProviderSchema5Response = client
                .call(rpc::GET_SCHEMA, wire::Empty {})
                .await
                .map_err(|e| e.to_string())?;
            rpc::diagnostics(&r.diagnostics).map_err(|e| e.to_string())?;
            (
                crate::schema::from_v5(&r)?,
                crate::schema::functions(&r.functions)?,
                r.server_capabilities.is_some_and(|c| c.move_resource_state),
            )
        } else {
            let r: wire::GetProviderSchema6Response = client
                .call(rpc::GET_SCHEMA, wire::Empty {})
                .await
                .map_err(|e| e.to_string())?;
            rpc::diagnostics(&r.diagnostics).map_err(|e| e.to_string())?;
            (
                crate::schema::from_v6(&r)?,
                crate::schema::functions(&r.functions)?,
                r.server_capabilities.is_some_and(|c| c.move_resource_state),
            )
        };
        Ok(PluginFactory {
            exe,
            opts,
            version,
            schemas: Arc::new(Schemas {
                schema,
                types: Mutex::new(HashMap::new()),
                can_move,
            }),
            functions: Arc::new(FunctionSet {
                signatures: functions,
                client: client.clone(),
            }),
            spare: tokio::sync::Mutex::new(Some(plugin.clone())),
            started: Mutex::new(vec![plugin]),
        })
    }

    /// The provider's functions, for `gantry_core::provider_functions::register`.
    pub fn functions(&self) -> Arc<dyn ProviderFunctions> {
        self.functions.clone()
    }

    pub fn protocol(&self) -> u32 {
        self.started
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .first()
            .map(|p| p.protocol)
            .unwrap_or(0)
    }

    /// Asks every process this factory started to stop what it is doing (v5 `Stop`, v6
    /// `StopProvider`): providers end long waits and return what they have.
    pub async fn stop(&self) {
        let all: Vec<Arc<Plugin>> = self
            .started
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for plugin in all {
            let client = Client { plugin };
            let r: Result<wire::StopResponse, _> = client.call(rpc::STOP, wire::Empty {}).await;
            match r {
                Ok(r) if !r.error.is_empty() => {
                    tracing::warn!(target: "gantry::plugin", "{}: stop: {}", self.exe.display(), r.error)
                }
                Err(e) => {
                    tracing::warn!(target: "gantry::plugin", "{}: stop: {e}", self.exe.display())
                }
                Ok(_) => {}
            }
        }
    }

    /// Stops every process this factory started.
    pub async fn shutdown(&self) {
        let all: Vec<Arc<Plugin>> =
            std::mem::take(&mut *self.started.lock().unwrap_or_else(|e| e.into_inner()));
        for p in all {
            p.shutdown().await;
        }
    }
}

/// A plugin's provider-defined functions (CallFunction needs no configured provider).
struct FunctionSet {
    signatures: BTreeMap<String, Signature>,
    client: Client,
}

impl ProviderFunctions for FunctionSet {
    fn signatures(&self) -> &BTreeMap<String, Signature> {
        &self.signatures
    }

    fn call(&self, name: &str, args: Vec<Value>) -> Result<Value, String> {
        let sig = self
            .signatures
            .get(name)
            .ok_or_else(|| format!("no function named {name:?}"))?;
        let arguments = args
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let ty = sig
                    .params
                    .get(i)
                    .or(sig.variadic.as_ref())
                    .map(|p| &p.ty)
                    .unwrap_or(&Type::Any);
                wire::DynamicValue {
                    msgpack: msgpack::encode(a, ty),
                    json: Vec::new(),
                }
            })
            .collect();
        let req = wire::CallFunctionRequest {
            name: name.to_string(),
            arguments,
        };
        let client = self.client.clone();
        let r: wire::CallFunctionResponse =
            crate::attach::block_on(async move { client.call(rpc::CALL_FUNCTION, req).await })
                .map_err(|e| e.to_string())?;
        if let Some(e) = r.error.filter(|e| !e.text.is_empty()) {
            return Err(match e.function_argument {
                Some(i) => format!("argument {}: {}", i + 1, e.text),
                None => e.text,
            });
        }
        let result = r
            .result
            .ok_or_else(|| format!("the provider returned no result from {name}"))?;
        msgpack::decode(&result.msgpack, &sig.returns).map_err(|e| e.to_string())
    }
}

#[async_trait]
impl ProviderFactory for PluginFactory {
    fn schema(&self) -> &ProviderSchema {
        &self.schemas.schema
    }

    fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    async fn configure(&self, config: &Value) -> ProviderResult<Arc<dyn Provider>> {
        let spare = self.spare.lock().await.take();
        let plugin = match spare {
            Some(p) => p,
            None => {
                let p = Arc::new(
                    Plugin::launch(&self.exe, &self.opts)
                        .await
                        .map_err(|e| ProviderError::other(e.to_string()))?,
                );
                self.started
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(p.clone());
                p
            }
        };
        let client = Client { plugin };
        let block = &self.schemas.schema.provider;
        let ty = block.implied_type();
        let cfg = dynamic(&config.unmark_deep().0, &ty, block);
        let v: wire::ValidateProviderConfigResponse = client
            .call(
                rpc::VALIDATE_PROVIDER,
                wire::ValidateProviderConfigRequest {
                    config: Some(cfg.clone()),
                },
            )
            .await?;
        rpc::diagnostics(&v.diagnostics)?;
        // Protocol 5 may hand back a prepared configuration (defaults filled in).
        let cfg = v
            .prepared_config
            .filter(|c| !c.msgpack.is_empty())
            .unwrap_or(cfg);
        let r: wire::DiagnosticsResponse = client
            .call(
                rpc::CONFIGURE,
                wire::ConfigureRequest {
                    terraform_version: gantry_core::version::LANGUAGE_VERSION.to_string(),
                    config: Some(cfg),
                    client_capabilities: Some(wire::ClientCapabilities {
                        deferral_allowed: false,
                        write_only_attributes_allowed: false,
                    }),
                },
            )
            .await?;
        rpc::diagnostics(&r.diagnostics)?;
        Ok(Arc::new(PluginProvider {
            client,
            schemas: self.schemas.clone(),
        }))
    }
}

/// One configured plugin process.
pub struct PluginProvider {
    client: Client,
    schemas: Arc<Schemas>,
}

impl PluginProvider {
    async fn apply(
        &self,
        type_name: &str,
        prior: Option<&Value>,
        planned: Option<&Value>,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let ty = self.schemas.ty(false, type_name)?;
        let block = self.schemas.block(false, type_name)?;
        let enc = |v: Option<&Value>| match v {
            Some(v) => dynamic(v, &ty, block),
            None => null_dynamic(),
        };
        let config = if op.config.is_null() {
            None
        } else {
            Some(op.config)
        };
        let private = op.private.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let r: wire::ApplyResourceChangeResponse = self
            .client
            .call(
                rpc::APPLY,
                wire::ApplyResourceChangeRequest {
                    type_name: type_name.to_string(),
                    prior_state: Some(enc(prior)),
                    planned_state: Some(enc(planned)),
                    config: Some(enc(config)),
                    planned_private: private,
                    provider_meta: None,
                },
            )
            .await?;
        // The new state counts even with errors: a create that failed half-way returns
        // what exists, and gantry records nothing it cannot see.
        let value = undynamic(r.new_state.as_ref(), &ty)?;
        *op.private.lock().unwrap_or_else(|e| e.into_inner()) = r.private;
        if let Err(e) = rpc::diagnostics(&r.diagnostics) {
            return Err(e.with_partial(value));
        }
        Ok(value)
    }

    async fn read_resource(
        &self,
        type_name: &str,
        prior: &Value,
        private: &[u8],
    ) -> ProviderResult<Option<(Value, Vec<u8>)>> {
        let ty = self.schemas.ty(false, type_name)?;
        let block = self.schemas.block(false, type_name)?;
        let r: wire::ReadResourceResponse = self
            .client
            .call(
                rpc::READ,
                wire::ReadResourceRequest {
                    type_name: type_name.to_string(),
                    current_state: Some(dynamic(prior, &ty, block)),
                    private: private.to_vec(),
                    provider_meta: None,
                    client_capabilities: None,
                },
            )
            .await?;
        rpc::diagnostics(&r.diagnostics)?;
        let v = undynamic(r.new_state.as_ref(), &ty)?;
        Ok(if v.is_null() {
            None
        } else {
            Some((v, r.private))
        })
    }
}

#[async_trait]
impl Provider for PluginProvider {
    fn schema(&self) -> &ProviderSchema {
        &self.schemas.schema
    }

    fn uses_private(&self, _type_name: &str) -> bool {
        true
    }

    async fn read(&self, type_name: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        Ok(self
            .read_resource(type_name, prior, &[])
            .await?
            .map(|(v, _)| v))
    }

    async fn read_with_private(
        &self,
        type_name: &str,
        prior: &Value,
        private: &[u8],
    ) -> ProviderResult<Option<(Value, Vec<u8>)>> {
        self.read_resource(type_name, prior, private).await
    }

    async fn move_state(
        &self,
        req: gantry_core::provider::MoveRequest<'_>,
    ) -> ProviderResult<Option<(Value, Vec<u8>)>> {
        if !self.schemas.can_move {
            return Ok(None);
        }
        let ty = self.schemas.ty(false, req.target_type)?;
        let r: wire::MoveResourceStateResponse = self
            .client
            .call(
                rpc::MOVE_STATE,
                wire::MoveResourceStateRequest {
                    source_provider_address: req.source_provider.to_string(),
                    source_type_name: req.source_type.to_string(),
                    source_schema_version: req.source_schema_version as i64,
                    source_state: Some(raw_state(req.source)?),
                    target_type_name: req.target_type.to_string(),
                    source_private: req.source_private.to_vec(),
                },
            )
            .await?;
        rpc::diagnostics(&r.diagnostics)?;
        let v = undynamic(r.target_state.as_ref(), &ty)?;
        Ok(Some((v, r.target_private)))
    }

    async fn upgrade(
        &self,
        type_name: &str,
        version: u64,
        prior: &Value,
    ) -> ProviderResult<Option<Value>> {
        let ty = self.schemas.ty(false, type_name)?;
        let r: wire::UpgradeResourceStateResponse = self
            .client
            .call(
                rpc::UPGRADE,
                wire::UpgradeResourceStateRequest {
                    type_name: type_name.to_string(),
                    version: version as i64,
                    raw_state: Some(raw_state(prior)?),
                },
            )
            .await?;
        rpc::diagnostics(&r.diagnostics)?;
        undynamic(r.upgraded_state.as_ref(), &ty).map(Some)
    }

    async fn plan(&self, req: PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let ty = self.schemas.ty(false, req.type_name)?;
        let block = self.schemas.block(false, req.type_name)?;
        let config = dynamic(req.config, &ty, block);
        let v: wire::DiagnosticsResponse = self
            .client
            .call(
                rpc::VALIDATE_RESOURCE,
                wire::ValidateConfigRequest {
                    type_name: req.type_name.to_string(),
                    config: Some(config.clone()),
                    client_capabilities: None,
                },
            )
            .await?;
        rpc::diagnostics(&v.diagnostics)?;
        let r: wire::PlanResourceChangeResponse = self
            .client
            .call(
                rpc::PLAN,
                wire::PlanResourceChangeRequest {
                    type_name: req.type_name.to_string(),
                    prior_state: Some(match req.prior {
                        Some(p) => dynamic(p, &ty, block),
                        None => null_dynamic(),
                    }),
                    proposed_new_state: Some(dynamic(
                        &terraform_proposed(req.proposed, req.config, block),
                        &ty,
                        block,
                    )),
                    config: Some(config),
                    prior_private: req.prior_private.to_vec(),
                    provider_meta: None,
                    client_capabilities: None,
                },
            )
            .await?;
        rpc::diagnostics(&r.diagnostics)?;
        let planned = undynamic(r.planned_state.as_ref(), &ty)?;
        // Terraform holds providers on the current type system to what the configuration
        // says; legacy (SDKv2) ones are let through, as Terraform lets them.
        if !r.legacy_type_system {
            if let Some(at) = plan_contradiction(block, &planned, req.config, "") {
                return Err(ProviderError::other(format!(
                    "Provider produced invalid plan: {} planned a value for {}.{at} that does not match the configuration. This is a bug in the provider, which should be reported in the provider's own issue tracker.",
                    self.client.plugin.name, req.type_name
                )));
            }
        }
        // SDKv2 marks force-new attributes even on a create; Terraform ignores them there.
        let requires_replace = match req.prior {
            Some(_) => r.requires_replace.iter().map(path).collect(),
            None => Vec::new(),
        };
        Ok(PlanResponse {
            planned,
            requires_replace,
            notes: Vec::new(),
            private: r.planned_private,
        })
    }

    async fn create(&self, type_name: &str, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        self.apply(type_name, None, Some(planned), op).await
    }

    async fn update(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value> {
        self.apply(type_name, Some(prior), Some(planned), op).await
    }

    async fn delete(&self, type_name: &str, prior: &Value, op: &Op<'_>) -> ProviderResult<()> {
        self.apply(type_name, Some(prior), None, op)
            .await
            .map(|_| ())
    }

    /// A plugin has no idempotency tokens. When the planned object already names its
    /// identity (`id` known before the create), it is read back; otherwise the create cannot
    /// be found again — as with Terraform, an object it made must be imported.
    async fn find_by_token(
        &self,
        type_name: &str,
        _token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        let id_known = planned.get_attr("id").is_some_and(|v| v.as_str().is_some());
        if !id_known {
            tracing::warn!(
                target: "gantry::plugin",
                "{type_name}: an interrupted create through a plugin cannot be looked up; if it reached the cloud, import the object"
            );
            return Ok(None);
        }
        Ok(self
            .read_resource(type_name, planned, &[])
            .await?
            .map(|(v, _)| v))
    }

    async fn import(&self, type_name: &str, id: &str) -> ProviderResult<Option<Value>> {
        let r: wire::ImportResourceStateResponse = self
            .client
            .call(
                rpc::IMPORT,
                wire::ImportResourceStateRequest {
                    type_name: type_name.to_string(),
                    id: id.to_string(),
                    client_capabilities: None,
                },
            )
            .await?;
        rpc::diagnostics(&r.diagnostics)?;
        let Some(imp) = r
            .imported_resources
            .iter()
            .find(|i| i.type_name == type_name)
        else {
            return Ok(None);
        };
        let ty = self.schemas.ty(false, type_name)?;
        let v = undynamic(imp.state.as_ref(), &ty)?;
        Ok(self
            .read_resource(type_name, &v, &imp.private)
            .await?
            .map(|(v, _)| v))
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> ProviderResult<Value> {
        let ty = self.schemas.ty(true, type_name)?;
        let block = self.schemas.block(true, type_name)?;
        let cfg = dynamic(config, &ty, block);
        let v: wire::DiagnosticsResponse = self
            .client
            .call(
                rpc::VALIDATE_DATA,
                wire::ValidateConfigRequest {
                    type_name: type_name.to_string(),
                    config: Some(cfg.clone()),
                    client_capabilities: None,
                },
            )
            .await?;
        rpc::diagnostics(&v.diagnostics)?;
        let r: wire::ReadDataSourceResponse = self
            .client
            .call(
                rpc::READ_DATA,
                wire::ReadDataSourceRequest {
                    type_name: type_name.to_string(),
                    config: Some(cfg),
                    provider_meta: None,
                    client_capabilities: None,
                },
            )
            .await?;
        rpc::diagnostics(&r.diagnostics)?;
        undynamic(r.state.as_ref(), &ty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gantry_core::provider::AttributeSchema;

    #[test]
    fn proposed_state_for_plugins_leaves_unset_computed_attributes_null_on_create() {
        let mut block = BlockSchema::default();
        block.attributes.insert(
            "policy".into(),
            AttributeSchema::optional_computed(Type::String),
        );
        block.attributes.insert(
            "name".into(),
            AttributeSchema::optional_computed(Type::String),
        );
        let mut cfg = Map::new();
        cfg.insert("policy".into(), Value::Null);
        cfg.insert("name".into(), Value::Unknown);
        let mut prop = Map::new();
        prop.insert("policy".into(), Value::Unknown);
        prop.insert("name".into(), Value::Unknown);
        let out = terraform_proposed(&Value::map(prop), &Value::map(cfg), &block);
        assert_eq!(out.get_attr("policy"), Some(&Value::Null));
        assert_eq!(
            out.get_attr("name"),
            Some(&Value::Unknown),
            "an unknown the configuration sets stays unknown"
        );
    }
}
