//! `azurerm_application_insights`: the telemetry store an ML workspace reports to. Retention,
//! sampling, daily cap, masking and access settings change in place (PUT); the application
//! type makes a new component.

use crate::arm_resource::{placed, ArmType, Parent, Update};
use crate::util::*;
use gantry_core::provider::{BlockSchema, ProviderResult, ResourceSchema};
use gantry_core::provider_kit::*;
use gantry_core::types::Type;
use gantry_core::value::Value;
use serde_json::{json, Value as Json};

pub struct ApplicationInsights;

impl ArmType for ApplicationInsights {
    const NAME: &'static str = "azurerm_application_insights";
    const PARENT: Parent = Parent::Group("Microsoft.Insights/components");
    const API: &'static str = "2020-02-02";
    const UPDATE: Update = Update::Put;

    fn schema() -> ResourceSchema {
        let mut b = BlockSchema::default();
        for k in [
            "name",
            "location",
            "resource_group_name",
            "application_type",
        ] {
            b.attributes.insert(k.into(), req(Type::String).force_new());
        }
        b.attributes
            .insert("workspace_id".into(), opt(Type::String));
        b.attributes.insert(
            "retention_in_days".into(),
            opt(Type::Number).with_default(Value::Number(90.0)),
        );
        b.attributes.insert(
            "sampling_percentage".into(),
            opt(Type::Number).with_default(Value::Number(100.0)),
        );
        b.attributes
            .insert("daily_data_cap_in_gb".into(), optcomp(Type::Number));
        for (k, d) in [
            ("disable_ip_masking", false),
            ("local_authentication_disabled", false),
            ("internet_ingestion_enabled", true),
            ("internet_query_enabled", true),
        ] {
            b.attributes
                .insert(k.into(), opt(Type::Bool).with_default(Value::Bool(d)));
        }
        for k in ["id", "app_id"] {
            b.attributes.insert(k.into(), comp(Type::String));
        }
        for k in ["instrumentation_key", "connection_string"] {
            b.attributes
                .insert(k.into(), comp(Type::String).sensitive());
        }
        tags_schema(&mut b);
        timeouts_schema(&mut b);
        ResourceSchema {
            version: 0,
            block: b,
            description: "An Application Insights component.".into(),
            legacy_type_system: true,
        }
    }

    fn body(v: &Value) -> ProviderResult<Json> {
        let enabled = |k: &str| {
            if attr_bool(v, k) == Some(false) {
                "Disabled"
            } else {
                "Enabled"
            }
        };
        let mut props = json!({
            "Application_Type": need_str(v, "application_type")?,
            "RetentionInDays": int(v, "retention_in_days").unwrap_or(90),
            "SamplingPercentage": v.get_attr("sampling_percentage").and_then(Value::as_f64).unwrap_or(100.0),
            "DisableIpMasking": attr_bool(v, "disable_ip_masking").unwrap_or(false),
            "DisableLocalAuth": attr_bool(v, "local_authentication_disabled").unwrap_or(false),
            "publicNetworkAccessForIngestion": enabled("internet_ingestion_enabled"),
            "publicNetworkAccessForQuery": enabled("internet_query_enabled"),
        });
        if let Some(w) = attr_str(v, "workspace_id") {
            props["WorkspaceResourceId"] = json!(w);
        }
        Ok(
            json!({"location": need_str(v, "location")?, "kind": need_str(v, "application_type")?, "tags": tags_json(v), "properties": props}),
        )
    }

    fn state(prior: &Value, j: &Json) -> Value {
        let p = &j["properties"];
        let mut pairs = placed(j);
        pairs.extend([
            ("application_type", s(p, "Application_Type")),
            ("workspace_id", s(p, "WorkspaceResourceId")),
            ("retention_in_days", n(p, "RetentionInDays")),
            ("sampling_percentage", n(p, "SamplingPercentage")),
            ("daily_data_cap_in_gb", n(p, "DailyDataCapInGb")),
            ("disable_ip_masking", b(p, "DisableIpMasking", false)),
            (
                "local_authentication_disabled",
                b(p, "DisableLocalAuth", false),
            ),
            (
                "internet_ingestion_enabled",
                Value::Bool(p["publicNetworkAccessForIngestion"].as_str() != Some("Disabled")),
            ),
            (
                "internet_query_enabled",
                Value::Bool(p["publicNetworkAccessForQuery"].as_str() != Some("Disabled")),
            ),
            ("app_id", s(p, "AppId")),
            ("instrumentation_key", s(p, "InstrumentationKey")),
            ("connection_string", s(p, "ConnectionString")),
        ]);
        fill(prior, pairs)
    }
}
