//! The user settings a SageMaker Studio domain gives its users by default
//! (`default_user_settings`) and a user profile overrides (`user_settings`): the execution
//! role and the security groups of the user's apps. The app-specific blocks are not
//! implemented (refused at plan; see the types' `implemented`), and are recorded as upstream
//! records blocks the API leaves out: empty.

use crate::util::*;
use aws_sdk_sagemaker::types::UserSettings;
use gantry_core::provider::{BlockSchema, Nesting};
use gantry_core::value::Value;

pub fn to_api(v: &Value) -> UserSettings {
    let groups = strings(v, "security_groups");
    UserSettings::builder()
        .set_execution_role(attr_str(v, "execution_role"))
        .set_security_groups((!groups.is_empty()).then_some(groups))
        .build()
}

/// The settings as state records them: every attribute of upstream's block present (unset
/// strings as "", as SDKv2 writes them) and every nested block an empty list.
pub fn to_value(block: &BlockSchema, us: &UserSettings) -> Value {
    let mut pairs: Vec<(&str, Value)> = Vec::new();
    for (name, a) in &block.attributes {
        let v = match name.as_str() {
            "execution_role" => opt_str(us.execution_role()),
            // SDKv2 leaves the set out (null) when the API reports none.
            "security_groups" if us.security_groups().is_empty() => Value::Null,
            "security_groups" => {
                Value::set(us.security_groups().iter().map(Value::string).collect())
            }
            "default_landing_uri" => Value::string(us.default_landing_uri().unwrap_or("")),
            "studio_web_portal" => {
                Value::string(us.studio_web_portal().map(|s| s.as_str()).unwrap_or(""))
            }
            "auto_mount_home_efs" => {
                Value::string(us.auto_mount_home_efs().map(|s| s.as_str()).unwrap_or(""))
            }
            _ if a.ty == gantry_core::types::Type::String => Value::string(""),
            _ => Value::Null,
        };
        pairs.push((name.as_str(), v));
    }
    for (name, nb) in &block.blocks {
        let empty = match nb.nesting {
            Nesting::Set => Value::set(vec![]),
            _ => Value::list(vec![]),
        };
        pairs.push((name.as_str(), empty));
    }
    obj(pairs)
}

/// `proposed` with the settings block `name`'s computed `space_storage_settings` (SageMaker
/// fills it when not configured) kept from `prior`, unknown at create — as SDKv2 plans it.
pub fn plan(name: &str, prior: Option<&Value>, config: &Value, proposed: &Value) -> Value {
    let (Some(planned), Some(configured)) = (first(proposed, name), first(config, name)) else {
        return proposed.clone();
    };
    let settings = keep_computed_blocks(
        &["space_storage_settings"],
        prior.and_then(|p| first(p, name)),
        configured,
        planned,
    );
    fill(proposed, vec![(name, Value::list(vec![settings]))])
}
