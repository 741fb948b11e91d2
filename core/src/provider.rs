//! The Provider trait: the only seam between the engine and a cloud.
//!
//! A provider describes its resource types ([`ProviderSchema`]) and performs CRUD on them. The
//! engine owns everything else: evaluation, diffing against the schema, ordering, state. Calls
//! are async and the trait is object-safe (`Arc<dyn Provider>`), so the applier can run many
//! operations of many providers at once.

use crate::types::Type;
use crate::value::{Path, Value};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

#[derive(Clone, Debug, Default)]
pub struct ProviderSchema {
    /// The `provider "NAME" { ... }` block.
    pub provider: BlockSchema,
    pub resources: BTreeMap<String, ResourceSchema>,
    pub data_sources: BTreeMap<String, ResourceSchema>,
}

#[derive(Clone, Debug, Default)]
pub struct ResourceSchema {
    pub version: u64,
    pub block: BlockSchema,
    pub description: String,
    /// The upstream provider stores unset optional attributes as their zero value (`""`,
    /// `false`, `0`, empty collections) — Terraform's "legacy type system" of SDKv2
    /// providers such as hashicorp/aws. Comparisons then treat null and the zero value as
    /// the same, as Terraform does for those providers, so state either tool wrote plans
    /// no change under the other.
    pub legacy_type_system: bool,
}

#[derive(Clone, Debug, Default)]
pub struct BlockSchema {
    pub attributes: BTreeMap<String, AttributeSchema>,
    pub blocks: BTreeMap<String, NestedBlock>,
}

impl BlockSchema {
    /// The object type a value of this block has (cty's "implied type"): every attribute and
    /// nested block present, single blocks as objects, list and set blocks as collections of
    /// objects.
    pub fn implied_type(&self) -> Type {
        use crate::types::ObjectField;
        let field = |ty: Type| ObjectField {
            ty,
            optional: false,
            default: None,
        };
        let mut fields: BTreeMap<String, ObjectField> = self
            .attributes
            .iter()
            .map(|(k, a)| (k.clone(), field(a.ty.clone())))
            .collect();
        for (k, b) in &self.blocks {
            let inner = b.block.implied_type();
            let ty = match b.nesting {
                Nesting::Single => inner,
                Nesting::List => Type::list(inner),
                Nesting::Set => Type::set(inner),
            };
            fields.insert(k.clone(), field(ty));
        }
        Type::Object(fields)
    }
}

#[derive(Clone, Debug)]
pub struct AttributeSchema {
    pub ty: Type,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    /// Changing it forces the object to be replaced.
    pub force_new: bool,
    pub sensitive: bool,
    /// Used when the configuration leaves the attribute unset.
    pub default: Option<Value>,
    pub description: String,
}

impl AttributeSchema {
    fn base(ty: Type) -> Self {
        AttributeSchema {
            ty,
            required: false,
            optional: false,
            computed: false,
            force_new: false,
            sensitive: false,
            default: None,
            description: String::new(),
        }
    }
    pub fn required(ty: Type) -> Self {
        AttributeSchema {
            required: true,
            ..Self::base(ty)
        }
    }
    pub fn optional(ty: Type) -> Self {
        AttributeSchema {
            optional: true,
            ..Self::base(ty)
        }
    }
    pub fn computed(ty: Type) -> Self {
        AttributeSchema {
            computed: true,
            ..Self::base(ty)
        }
    }
    /// Optional in configuration, computed by the provider when unset.
    pub fn optional_computed(ty: Type) -> Self {
        AttributeSchema {
            optional: true,
            computed: true,
            ..Self::base(ty)
        }
    }
    pub fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    pub fn with_default(mut self, v: Value) -> Self {
        self.default = Some(v);
        self
    }
    pub fn describe(mut self, d: &str) -> Self {
        self.description = d.to_string();
        self
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// At most one block; the attribute is an object (or null).
    Single,
    /// Ordered blocks; the attribute is a list of objects.
    List,
    /// Unordered blocks; the attribute is a set of objects.
    Set,
}

#[derive(Clone, Debug)]
pub struct NestedBlock {
    pub nesting: Nesting,
    pub block: BlockSchema,
    pub min_items: usize,
    pub max_items: usize,
    pub force_new: bool,
}

/// What the engine asks a provider to plan.
#[derive(Clone, Debug)]
pub struct PlanRequest<'a> {
    pub type_name: &'a str,
    /// The object in state (refreshed); `None` for a create.
    pub prior: Option<&'a Value>,
    /// Configuration merged with prior computed values: what the object would look like if
    /// nothing else changed. Unknown where configuration is not yet known.
    pub proposed: &'a Value,
    /// The configuration alone.
    pub config: &'a Value,
    /// The provider's private data recorded with the prior object (plugins only; opaque).
    pub prior_private: &'a [u8],
}

#[derive(Clone, Debug)]
pub struct PlanResponse {
    /// The planned new object, with unknowns where the provider will compute values.
    pub planned: Value,
    /// Attribute paths whose change cannot be made in place.
    pub requires_replace: Vec<Path>,
    /// Facts worth showing in the plan ("8 × NVIDIA H100 80 GB").
    pub notes: Vec<String>,
    /// Private data to hand back with the planned object at apply (plugins only; opaque).
    pub private: Vec<u8>,
}

impl PlanResponse {
    /// A plan of `planned` as it is: in place, no notes, no private data.
    pub fn of(planned: Value) -> Self {
        PlanResponse {
            planned,
            requires_replace: vec![],
            notes: vec![],
            private: Vec::new(),
        }
    }
}

/// How a provider error should be treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    Throttling,
    Transient,
    Conflict,
    Validation,
    NotFound,
    Auth,
    Other,
}

#[derive(Clone, Debug)]
pub struct ProviderError {
    pub kind: ErrorKind,
    /// The cloud's own error code, when there is one.
    pub code: Option<String>,
    pub message: String,
    /// What exists despite the error: a create that failed part-way (the object was made
    /// but never became ready) returns the object with the error; the engine records it
    /// as tainted rather than lose it.
    pub partial: Option<Box<Value>>,
}

impl ProviderError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ProviderError {
            kind,
            code: None,
            message: message.into(),
            partial: None,
        }
    }
    /// Attaches what exists despite the error (see [`ProviderError::partial`]); a null or
    /// partly unknown object attaches nothing.
    pub fn with_partial(mut self, v: Value) -> Self {
        if !v.is_null() && v.is_wholly_known() {
            self.partial = Some(Box::new(v));
        }
        self
    }
    pub fn other(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Other, message)
    }
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }
    /// Worth retrying with backoff.
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, ErrorKind::Throttling | ErrorKind::Transient)
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(c) => write!(f, "{c}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ProviderError {}

pub type ProviderResult<T> = Result<T, ProviderError>;

/// Receives status while a long operation waits ("Creating", "InService").
pub trait Progress: Send + Sync {
    fn status(&self, message: &str);
}

/// What the engine passes with every create, update and delete.
pub struct Op<'a> {
    /// The resource instance address, for messages and tags.
    pub addr: &'a str,
    /// An idempotency token recorded in the journal before the call: providers pass it to the
    /// cloud (EC2 `ClientToken`, a `gantry:token` tag, a request id) so that an interrupted
    /// create can be found again by [`Provider::find_by_token`] instead of being created twice.
    pub token: &'a str,
    pub progress: &'a dyn Progress,
    /// The resource's configuration (null for a delete): plugins send it with every change.
    pub config: &'a Value,
    /// The provider's private data: the planned private data going in (the prior object's
    /// for a delete), the new object's coming out. Opaque to gantry; recorded in state as
    /// Terraform records it. Only plugins use it.
    pub private: &'a std::sync::Mutex<Vec<u8>>,
}

/// A progress sink that drops everything.
pub struct NoProgress;

impl Progress for NoProgress {
    fn status(&self, _message: &str) {}
}

/// One configured provider instance (`provider "aws" { region = ... }`).
#[async_trait]
pub trait Provider: Send + Sync {
    fn schema(&self) -> &ProviderSchema;

    /// Whether operations change something outside gantry's own state (default: yes). Only
    /// then is an intent journaled (and fsynced) before each call: for a provider whose
    /// objects live only in state, like `terraform_data`, there is nothing to lose.
    fn remote(&self) -> bool {
        true
    }

    /// Extra checks of a resource's configuration beyond the schema. Returns messages.
    fn validate(&self, _type_name: &str, _config: &Value) -> Vec<String> {
        Vec::new()
    }

    /// What an object of `type_name` runs that has an hourly price (machine type × count),
    /// for the plan's cost lines; `value` may hold unknowns. Pure: no network.
    fn usage(&self, _type_name: &str, _value: &Value) -> Vec<crate::usage::Usage> {
        Vec::new()
    }

    /// Capacity the cloud can say is missing before anything is created — the planned
    /// machine type is not offered in the planned zone — as messages for plan warnings.
    /// Asking must not fail the plan: an unanswered question is no warning.
    async fn capacity(&self, _type_name: &str, _planned: &Value) -> Vec<String> {
        Vec::new()
    }

    /// Reads the live object; `Ok(None)` when it no longer exists.
    async fn read(&self, type_name: &str, prior: &Value) -> ProviderResult<Option<Value>>;

    /// Reads the live object with the private data recorded with it, returning the new
    /// private data too. Only plugins use private data; the default keeps it unchanged.
    async fn read_with_private(
        &self,
        type_name: &str,
        prior: &Value,
        private: &[u8],
    ) -> ProviderResult<Option<(Value, Vec<u8>)>> {
        Ok(self
            .read(type_name, prior)
            .await?
            .map(|v| (v, private.to_vec())))
    }

    /// Brings an object recorded under schema version `version` up to this provider's
    /// current schema for the type (plugins: UpgradeResourceState with the recorded
    /// attributes as JSON, as Terraform sends them). `None`: nothing to upgrade — native
    /// providers read every version they ever wrote.
    async fn upgrade(
        &self,
        _type_name: &str,
        _version: u64,
        _prior: &Value,
    ) -> ProviderResult<Option<Value>> {
        Ok(None)
    }

    /// Moves an object to another resource type of this provider (a `moved` block from
    /// `source_type.x` to `target_type.y`; plugins: MoveResourceState with the recorded
    /// attributes as JSON). Returns the object as the target type and its private data;
    /// `None`: this provider cannot move between those types.
    async fn move_state(&self, _req: MoveRequest<'_>) -> ProviderResult<Option<(Value, Vec<u8>)>> {
        Ok(None)
    }

    /// Whether reads of this type need private data ([`Provider::read_with_private`]); then
    /// the engine refreshes one object at a time through it instead of
    /// [`Provider::read_many`].
    fn uses_private(&self, _type_name: &str) -> bool {
        false
    }

    /// Reads many objects of one type at once. Providers with batch APIs override this.
    async fn read_many(
        &self,
        type_name: &str,
        priors: &[Value],
    ) -> Vec<ProviderResult<Option<Value>>> {
        let mut out = Vec::with_capacity(priors.len());
        for p in priors {
            out.push(self.read(type_name, p).await);
        }
        out
    }

    /// Decides the planned new object. The default keeps the proposed object and asks for
    /// nothing special; the engine adds replacement for schema `force_new` attributes itself.
    async fn plan(&self, req: PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        Ok(PlanResponse {
            planned: req.proposed.clone(),
            requires_replace: Vec::new(),
            notes: Vec::new(),
            private: Vec::new(),
        })
    }

    async fn create(&self, type_name: &str, planned: &Value, op: &Op<'_>) -> ProviderResult<Value>;

    async fn update(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
        op: &Op<'_>,
    ) -> ProviderResult<Value>;

    async fn delete(&self, type_name: &str, prior: &Value, op: &Op<'_>) -> ProviderResult<()>;

    /// After a crash between sending a create and recording its result: finds the object the
    /// create with `token` made (by the token or the object's deterministic identity in
    /// `planned`, such as a bucket or role name). `Ok(None)`: it was never created.
    async fn find_by_token(
        &self,
        type_name: &str,
        token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        let _ = (type_name, token, planned);
        Ok(None)
    }

    /// Called once a create's result is durable in the journal: removes what only the
    /// create's recovery needed (an idempotency tag), so the object looks exactly as the
    /// upstream provider would have made it. Best effort: a failure leaves a harmless tag.
    async fn settle(&self, type_name: &str, value: &Value, op: &Op<'_>) -> ProviderResult<()> {
        let _ = (type_name, value, op);
        Ok(())
    }

    /// Reads an existing object by its cloud id, to adopt it into state.
    async fn import(&self, type_name: &str, id: &str) -> ProviderResult<Option<Value>> {
        let _ = id;
        Err(ProviderError::new(
            ErrorKind::Validation,
            format!("resource type {type_name} does not support import"),
        ))
    }

    /// Reads a data source.
    async fn read_data(&self, type_name: &str, config: &Value) -> ProviderResult<Value> {
        let _ = config;
        Err(ProviderError::new(
            ErrorKind::Validation,
            format!("data source {type_name} is not supported"),
        ))
    }
}

/// Creates configured provider instances from `provider` blocks.
#[async_trait]
pub trait ProviderFactory: Send + Sync {
    /// The schema of the `provider` block and of every resource type, before configuration.
    fn schema(&self) -> &ProviderSchema;

    /// A provider configured with the (evaluated) `provider` block, or its empty object.
    async fn configure(&self, config: &Value) -> ProviderResult<Arc<dyn Provider>>;

    /// The version of the upstream provider whose schema this one follows, checked against
    /// `required_providers` version constraints. `None`: not versioned (built in).
    fn version(&self) -> Option<&str> {
        None
    }
}

type SchemaTable = std::collections::HashMap<(crate::addr::Mode, String), Arc<ResourceSchema>>;

fn schema_table() -> &'static std::sync::RwLock<SchemaTable> {
    static T: std::sync::OnceLock<std::sync::RwLock<SchemaTable>> = std::sync::OnceLock::new();
    T.get_or_init(Default::default)
}

/// Records every resource and data source schema of a registered provider, process-wide
/// (type names are unique across providers): state codecs and renderers, which work far
/// from the engine, look schemas up here.
fn note_schemas(schema: &ProviderSchema) {
    let mut t = schema_table().write().unwrap_or_else(|e| e.into_inner());
    for (mode, types) in [
        (crate::addr::Mode::Managed, &schema.resources),
        (crate::addr::Mode::Data, &schema.data_sources),
    ] {
        for (name, rs) in types {
            t.insert((mode, name.clone()), Arc::new(rs.clone()));
        }
    }
}

/// The schema of a resource type or data source of any registered provider.
pub fn known_schema(mode: crate::addr::Mode, rtype: &str) -> Option<Arc<ResourceSchema>> {
    let t = schema_table().read().unwrap_or_else(|e| e.into_inner());
    t.get(&(mode, rtype.to_string())).cloned()
}

/// An object to move between resource types ([`Provider::move_state`]).
pub struct MoveRequest<'a> {
    /// The full address of the provider that recorded it (`registry.terraform.io/NS/TYPE`).
    pub source_provider: &'a str,
    pub source_type: &'a str,
    pub source_schema_version: u64,
    pub source: &'a Value,
    pub source_private: &'a [u8],
    pub target_type: &'a str,
}

/// Provider factories by local name (`aws`, `google`, `azurerm`, `terraform`).
#[derive(Clone, Default)]
pub struct Registry {
    factories: BTreeMap<String, Arc<dyn ProviderFactory>>,
    /// State backends compiled in (`s3`, `gcs`, …), by type name.
    backends: BTreeMap<String, crate::state::remote::BackendConnect>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register(&mut self, name: &str, factory: Arc<dyn ProviderFactory>) {
        note_schemas(factory.schema());
        self.factories.insert(name.to_string(), factory);
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn ProviderFactory>> {
        self.factories.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.factories.keys().map(String::as_str)
    }

    pub fn register_backend(&mut self, kind: &str, connect: crate::state::remote::BackendConnect) {
        crate::state::remote::note_backend(kind, connect);
        self.backends.insert(kind.to_string(), connect);
    }

    pub fn backend(&self, kind: &str) -> Option<crate::state::remote::BackendConnect> {
        self.backends.get(kind).copied()
    }

    pub fn backend_kinds(&self) -> impl Iterator<Item = &str> {
        self.backends.keys().map(String::as_str)
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.factories.keys()).finish()
    }
}
