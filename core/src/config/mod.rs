//! The configuration model: what a directory of `*.tf` files declares.
//!
//! Loading ([`load`]) parses every file with hcl-edit, keeps each expression's AST and span for
//! later evaluation, and checks the structure (block types, labels, meta-arguments). It
//! evaluates nothing that depends on other objects: that is the engine's job, in graph order.

pub mod fmt;
mod load;
mod typeexpr;

pub use load::{load_dir, load_sources, modules_manifest_path};

use crate::addr::ResourceAddr;
use crate::diag::{FileId, SourceSpan, Sources};
use crate::eval::Reference;
use crate::types::Type;
use crate::value::{Path, Value};
use hcl_edit::expr::Expression;
use hcl_edit::structure::Body;
use hcl_edit::Span;
use indexmap::IndexMap;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// An expression together with the file it came from.
#[derive(Clone, Debug)]
pub struct Expr {
    pub file: FileId,
    pub expr: Expression,
}

impl Expr {
    pub fn span(&self) -> Option<SourceSpan> {
        self.expr.span().map(|bytes| SourceSpan {
            file: self.file,
            bytes,
        })
    }
}

/// A block body kept for evaluation against a schema.
#[derive(Clone, Debug)]
pub struct BodyRef {
    pub file: FileId,
    pub body: Body,
}

#[derive(Clone, Debug)]
pub struct Config {
    /// The module directory (`path.module`, `path.root`).
    pub dir: PathBuf,
    pub sources: Sources,
    /// `required_providers`: local name → source address.
    pub required_providers: BTreeMap<String, String>,
    /// `required_providers` version constraints: local name → (constraint, where).
    pub provider_versions: BTreeMap<String, (String, Option<SourceSpan>)>,
    /// `terraform { required_version = "..." }`, with where it was written.
    pub required_version: Vec<(String, Option<SourceSpan>)>,
    pub backend: Option<Backend>,
    /// The selected workspace (`terraform.workspace`); set on the root module by whoever
    /// loads the directory, `default` otherwise.
    pub workspace: String,
    pub providers: Vec<ProviderBlock>,
    pub variables: IndexMap<String, Variable>,
    pub locals: IndexMap<String, Local>,
    pub resources: IndexMap<ResourceAddr, Resource>,
    pub outputs: IndexMap<String, Output>,
    /// `import { to = ADDR, id = "..." }` blocks: existing objects to adopt.
    pub imports: Vec<Import>,
    /// `module "NAME" {}` calls, each with the called module's configuration.
    pub module_calls: IndexMap<String, ModuleCall>,
    /// `check` blocks.
    pub checks: Vec<Check>,
    /// `moved` blocks, in declaration order.
    pub moved: Vec<Moved>,
    /// `removed` blocks.
    pub removed: Vec<Removed>,
}

/// `moved { from = A, to = B }`: the object at `from` in state is now `to` (resource,
/// instance or module addresses, as written).
#[derive(Clone, Debug)]
pub struct Moved {
    pub from: String,
    pub to: String,
    pub span: Option<SourceSpan>,
}

/// `removed { from = A; lifecycle { destroy = false } }`.
#[derive(Clone, Debug)]
pub struct Removed {
    pub from: String,
    pub destroy: bool,
    pub span: Option<SourceSpan>,
}

/// A `module` block: which configuration to instantiate, how many times, with which inputs.
#[derive(Clone, Debug)]
pub struct ModuleCall {
    pub name: String,
    pub source: String,
    pub version: Option<String>,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<(Reference, Option<SourceSpan>)>,
    /// `providers = { aws = aws.west }`: the child's provider key (`aws`, `aws.east`) → the
    /// caller's provider configuration (name, alias).
    pub providers: Vec<(String, (String, Option<String>))>,
    /// Every other argument: the child's input variables.
    pub inputs: IndexMap<String, Expr>,
    pub span: Option<SourceSpan>,
    /// The called module's configuration (`None` when it could not be loaded; the loader
    /// reported why).
    pub config: Option<Arc<Config>>,
}

#[derive(Clone, Debug)]
pub struct Import {
    /// The target; with `to_key`, its key is filled in per `for_each` element.
    pub to: crate::addr::InstanceAddr,
    /// `to = aws_s3_bucket.b[each.key]`: the key expression.
    pub to_key: Option<Expr>,
    pub for_each: Option<Expr>,
    pub id: Expr,
    pub span: Option<SourceSpan>,
}

#[derive(Clone, Debug)]
pub struct Backend {
    pub kind: String,
    pub body: BodyRef,
    pub span: Option<SourceSpan>,
}

#[derive(Clone, Debug)]
pub struct ProviderBlock {
    pub name: String,
    pub alias: Option<String>,
    /// Concurrency and request-rate limits the engine enforces for this provider.
    pub limits: Limits,
    pub body: BodyRef,
    pub span: Option<SourceSpan>,
}

/// Limits on how hard gantry drives one provider's API (engine meta-arguments of a
/// `provider` block: `max_concurrency`, `rate_limit = "50/s"`, and `resource_limits`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Limits {
    pub provider: Limit,
    pub per_type: BTreeMap<String, Limit>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Limit {
    pub max_concurrency: Option<usize>,
    pub rate: Option<Rate>,
}

/// Requests per second.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate(pub f64);

impl Rate {
    /// `"50/s"`, `"600/m"`, `"10/h"`.
    pub fn parse(s: &str) -> Result<Rate, String> {
        let bad = || format!("rate_limit {s:?} must look like \"50/s\", \"600/m\" or \"10/h\"");
        let (n, unit) = s.split_once('/').ok_or_else(bad)?;
        let n: f64 = n.trim().parse().map_err(|_| bad())?;
        let per = match unit.trim() {
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        if n <= 0.0 {
            return Err(bad());
        }
        Ok(Rate(n / per))
    }
}

#[derive(Clone, Debug)]
pub struct Variable {
    pub name: String,
    pub ty: Type,
    pub default: Option<Value>,
    pub description: Option<String>,
    pub sensitive: bool,
    pub nullable: bool,
    pub validations: Vec<Validation>,
    pub span: Option<SourceSpan>,
}

#[derive(Clone, Debug)]
pub struct Validation {
    pub condition: Expr,
    pub error_message: Expr,
}

#[derive(Clone, Debug)]
pub struct Local {
    pub name: String,
    pub expr: Expr,
}

#[derive(Clone, Debug)]
pub struct Resource {
    pub addr: ResourceAddr,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<(Reference, Option<SourceSpan>)>,
    /// Provider configuration: `(name, alias)`.
    pub provider: (String, Option<String>),
    pub lifecycle: Lifecycle,
    pub body: BodyRef,
    pub span: Option<SourceSpan>,
}

#[derive(Clone, Debug, Default)]
pub struct Lifecycle {
    pub create_before_destroy: bool,
    pub prevent_destroy: bool,
    pub ignore_changes: IgnoreChanges,
    pub replace_triggered_by: Vec<Expr>,
    /// `precondition` and `postcondition` blocks.
    pub conditions: Vec<Condition>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConditionKind {
    Precondition,
    Postcondition,
    /// A `check` block's `assert`: failures are warnings.
    Assert,
}

/// A custom condition: `condition` must be true, or `error_message` says why not.
#[derive(Clone, Debug)]
pub struct Condition {
    pub kind: ConditionKind,
    pub condition: Expr,
    pub error_message: Expr,
    pub span: Option<SourceSpan>,
}

/// A `check` block: assertions reported as warnings, with an optional scoped data source.
#[derive(Clone, Debug)]
pub struct Check {
    pub name: String,
    pub asserts: Vec<Condition>,
    /// The nested `data` block, read only for this check (its address is local to it).
    pub data: Option<Resource>,
    pub span: Option<SourceSpan>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub enum IgnoreChanges {
    #[default]
    None,
    All,
    Paths(Vec<Path>),
}

#[derive(Clone, Debug)]
pub struct Output {
    pub name: String,
    pub value: Expr,
    pub sensitive: bool,
    pub description: Option<String>,
    pub depends_on: Vec<(Reference, Option<SourceSpan>)>,
    pub preconditions: Vec<Condition>,
    pub span: Option<SourceSpan>,
}

impl Config {
    /// The provider configuration key a resource uses: `aws` or `aws.west`.
    pub fn provider_key(name: &str, alias: Option<&str>) -> String {
        match alias {
            Some(a) => format!("{name}.{a}"),
            None => name.to_string(),
        }
    }

    /// Local names of the providers this module uses (its resources' and its `provider`
    /// blocks'), sorted, each once.
    pub fn used_provider_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .resources
            .values()
            .map(|r| r.provider.0.as_str())
            .chain(self.providers.iter().map(|p| p.name.as_str()))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The source address a provider name maps to (`hashicorp/aws` unless
    /// `required_providers` says otherwise; `terraform` is built in).
    pub fn provider_source(&self, name: &str) -> String {
        if name == "terraform" {
            return "terraform.io/builtin/terraform".into();
        }
        let src = self
            .required_providers
            .get(name)
            .cloned()
            .unwrap_or_else(|| format!("hashicorp/{name}"));
        if src.matches('/').count() == 1 {
            format!("registry.terraform.io/{src}")
        } else {
            src
        }
    }
}
