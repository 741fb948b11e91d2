//! `azurerm_user_assigned_identity`: an identity a workspace, cluster or endpoint runs as.
//! Tags change in place (PATCH).

use crate::arm_resource::{placed, ArmType, Parent, Update};
use crate::util::*;
use gantry_core::provider::{BlockSchema, ProviderResult, ResourceSchema};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

pub struct UserAssignedIdentity;

impl ArmType for UserAssignedIdentity {
    const NAME: &'static str = "azurerm_user_assigned_identity";
    const PARENT: Parent = Parent::Group("Microsoft.ManagedIdentity/userAssignedIdentities");
    const API: &'static str = "2023-01-31";
    const UPDATE: Update = Update::Patch;

    fn schema() -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in ["name", "location", "resource_group_name"] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        for k in ["id", "client_id", "principal_id", "tenant_id"] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        tags_schema(&mut b);
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 1,
            block: b,
            description: "A user-assigned managed identity.".into(),
            legacy_type_system: true,
        }
    }

    fn body(v: &Value) -> ProviderResult<Json> {
        Ok(json!({"location": need_str(v, "location")?, "tags": tags_json(v)}))
    }

    fn patch(_prior: &Value, planned: &Value) -> ProviderResult<Json> {
        Ok(json!({"tags": tags_json(planned)}))
    }

    fn state(prior: &Value, j: &Json) -> Value {
        let p = &j["properties"];
        let mut pairs = placed(j);
        pairs.extend([
            ("client_id", s(p, "clientId")),
            ("principal_id", s(p, "principalId")),
            ("tenant_id", s(p, "tenantId")),
        ]);
        fill(prior, pairs)
    }
}
