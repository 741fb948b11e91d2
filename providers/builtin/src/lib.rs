//! The built-in `terraform` provider: `terraform_data`, with Terraform's semantics, so one
//! configuration runs unchanged under Terraform and gantry.
//!
//! - `input`: any value; `output`: equals `input` after apply (unknown in the plan when
//!   `input` changes).
//! - `triggers_replace`: any value; a change replaces the object.
//! - `id`: a random UUID set at create.

use async_trait::async_trait;
use gantry_core::provider::{
    AttributeSchema, ErrorKind, Op, PlanRequest, PlanResponse, Provider, ProviderError,
    ProviderFactory, ProviderResult, ProviderSchema, ResourceSchema,
};
use gantry_core::types::Type;
use gantry_core::value::{Map, PathStep, Value};
use std::sync::{Arc, OnceLock};

mod remote_state;

pub const NAME: &str = "terraform";

pub struct Builtin;

fn schema() -> &'static ProviderSchema {
    static SCHEMA: OnceLock<ProviderSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let mut s = ProviderSchema::default();
        let mut data = ResourceSchema {
            description: "A value kept in state; changes can trigger replacement.".into(),
            ..Default::default()
        };
        let attrs = &mut data.block.attributes;
        attrs.insert("id".into(), AttributeSchema::computed(Type::String));
        attrs.insert("input".into(), AttributeSchema::optional(Type::Any));
        attrs.insert("output".into(), AttributeSchema::computed(Type::Any));
        attrs.insert(
            "triggers_replace".into(),
            AttributeSchema::optional(Type::Any),
        );
        s.resources.insert("terraform_data".into(), data);
        s.data_sources
            .insert(remote_state::TYPE.into(), remote_state::schema());
        s
    })
}

/// Registers the builtin provider under its name.
pub fn register(registry: &mut gantry_core::provider::Registry) {
    registry.register(NAME, Arc::new(Builtin));
}

#[async_trait]
impl ProviderFactory for Builtin {
    fn schema(&self) -> &ProviderSchema {
        schema()
    }

    async fn configure(&self, _config: &Value) -> ProviderResult<Arc<dyn Provider>> {
        Ok(Arc::new(Builtin))
    }
}

fn check_type(type_name: &str) -> ProviderResult<()> {
    if type_name == "terraform_data" {
        Ok(())
    } else {
        Err(ProviderError::new(
            ErrorKind::Validation,
            format!("the terraform provider has no resource type {type_name:?}"),
        ))
    }
}

fn attr(v: &Value, name: &str) -> Value {
    v.get_attr(name).cloned().unwrap_or(Value::Null)
}

fn with(v: &Value, changes: &[(&str, Value)]) -> Value {
    let mut m: Map = v.as_map().cloned().unwrap_or_default();
    for (k, x) in changes {
        m.insert(k.to_string(), x.clone());
    }
    Value::map(m)
}

#[async_trait]
impl Provider for Builtin {
    fn schema(&self) -> &ProviderSchema {
        schema()
    }

    fn remote(&self) -> bool {
        false
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> ProviderResult<Value> {
        if type_name != remote_state::TYPE {
            return Err(ProviderError::new(
                ErrorKind::Validation,
                format!("the terraform provider has no data source {type_name:?}"),
            ));
        }
        remote_state::read(config).await
    }

    async fn read(&self, type_name: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        check_type(type_name)?;
        // The object lives only in state: it exists exactly as recorded.
        Ok(Some(prior.clone()))
    }

    async fn plan(&self, req: PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        check_type(req.type_name)?;
        let input = attr(req.proposed, "input");
        let unknown_output = if input.is_null() {
            Value::Null
        } else {
            Value::Unknown
        };
        let mut requires_replace = Vec::new();
        let planned = match req.prior {
            None => with(
                req.proposed,
                &[("id", Value::Unknown), ("output", unknown_output)],
            ),
            Some(prior) => {
                let triggers = attr(req.proposed, "triggers_replace");
                if attr(prior, "triggers_replace").unmark_deep().0 != triggers.unmark_deep().0 {
                    requires_replace.push(vec![PathStep::Key("triggers_replace".into())]);
                    with(
                        req.proposed,
                        &[("id", Value::Unknown), ("output", unknown_output)],
                    )
                } else if attr(prior, "input").unmark_deep().0 != input.unmark_deep().0 {
                    with(req.proposed, &[("output", unknown_output)])
                } else {
                    req.proposed.clone()
                }
            }
        };
        Ok(PlanResponse {
            planned,
            requires_replace,
            notes: Vec::new(),
            private: Vec::new(),
        })
    }

    async fn create(
        &self,
        type_name: &str,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        check_type(type_name)?;
        let id = Value::string(uuid::Uuid::new_v4().to_string());
        Ok(with(
            planned,
            &[("id", id), ("output", attr(planned, "input"))],
        ))
    }

    async fn update(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        check_type(type_name)?;
        Ok(with(
            planned,
            &[
                ("id", attr(prior, "id")),
                ("output", attr(planned, "input")),
            ],
        ))
    }

    async fn delete(&self, type_name: &str, _prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        check_type(type_name)
    }

    async fn import(&self, type_name: &str, id: &str) -> ProviderResult<Option<Value>> {
        check_type(type_name)?;
        let mut m = Map::new();
        m.insert("id".into(), Value::string(id));
        for k in ["input", "output", "triggers_replace"] {
            m.insert(k.into(), Value::Null);
        }
        Ok(Some(Value::map(m)))
    }
}
