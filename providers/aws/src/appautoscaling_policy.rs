//! `aws_appautoscaling_policy`: how a scalable target scales — target tracking (e.g.
//! SageMakerVariantInvocationsPerInstance, or a custom CloudWatch metric such as an async
//! endpoint's backlog) or step scaling. PutScalingPolicy creates and updates (the name is the
//! identity), so a retried create is harmless. Terraform's id is the policy name.

use crate::appautoscaling_target::key;
use crate::clients::Clients;
use crate::error::sdk;
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_applicationautoscaling::types::{
    AdjustmentType, CustomizedMetricSpecification, MetricAggregationType, MetricDimension,
    MetricStatistic, MetricType, PolicyType, PredefinedMetricSpecification, ScalingPolicy,
    StepAdjustment, StepScalingPolicyConfiguration, TargetTrackingScalingPolicyConfiguration,
};
use gantry_core::provider::{ErrorKind, Op, ProviderResult, ResourceSchema};
use gantry_core::value::Value;

pub struct ScalingPolicyResource;

fn int(v: &Value, k: &str) -> Option<i32> {
    attr_num(v, k).map(|n| n as i32)
}

fn num_or_zero(n: Option<i32>) -> Value {
    Value::Number(n.unwrap_or(0) as f64)
}

fn target_tracking(t: &Value) -> TargetTrackingScalingPolicyConfiguration {
    let predefined = first(t, "predefined_metric_specification").map(|p| {
        PredefinedMetricSpecification::builder()
            .set_predefined_metric_type(
                attr_str(p, "predefined_metric_type").map(|m| MetricType::from(m.as_str())),
            )
            .set_resource_label(attr_str(p, "resource_label").filter(|l| !l.is_empty()))
            .build()
            .ok()
    });
    let customized = first(t, "customized_metric_specification").map(|m| {
        let dims = m
            .get_attr("dimensions")
            .and_then(Value::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(|d| {
                MetricDimension::builder()
                    .set_name(attr_str(d, "name"))
                    .set_value(attr_str(d, "value"))
                    .build()
                    .ok()
            })
            .collect::<Vec<_>>();
        CustomizedMetricSpecification::builder()
            .set_metric_name(attr_str(m, "metric_name"))
            .set_namespace(attr_str(m, "namespace"))
            .set_statistic(attr_str(m, "statistic").map(|s| MetricStatistic::from(s.as_str())))
            .set_unit(attr_str(m, "unit").filter(|u| !u.is_empty()))
            .set_dimensions(Some(dims).filter(|d| !d.is_empty()))
            .build()
    });
    TargetTrackingScalingPolicyConfiguration::builder()
        .set_target_value(attr_num(t, "target_value"))
        .set_disable_scale_in(attr_bool(t, "disable_scale_in"))
        .set_scale_in_cooldown(int(t, "scale_in_cooldown"))
        .set_scale_out_cooldown(int(t, "scale_out_cooldown"))
        .set_predefined_metric_specification(predefined.flatten())
        .set_customized_metric_specification(customized)
        .build()
        .expect("target_value is required by the schema")
}

fn step_scaling(s: &Value) -> StepScalingPolicyConfiguration {
    let bound = |a: &Value, k: &str| {
        attr_str(a, k)
            .filter(|b| !b.is_empty())
            .and_then(|b| b.parse().ok())
    };
    let steps = s
        .get_attr("step_adjustment")
        .and_then(Value::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|a| {
            StepAdjustment::builder()
                .set_metric_interval_lower_bound(bound(a, "metric_interval_lower_bound"))
                .set_metric_interval_upper_bound(bound(a, "metric_interval_upper_bound"))
                .set_scaling_adjustment(int(a, "scaling_adjustment"))
                .build()
                .ok()
        })
        .collect::<Vec<_>>();
    StepScalingPolicyConfiguration::builder()
        .set_adjustment_type(
            attr_str(s, "adjustment_type").map(|t| AdjustmentType::from(t.as_str())),
        )
        .set_cooldown(int(s, "cooldown"))
        .set_metric_aggregation_type(
            attr_str(s, "metric_aggregation_type").map(|t| MetricAggregationType::from(t.as_str())),
        )
        .set_min_adjustment_magnitude(int(s, "min_adjustment_magnitude"))
        .set_step_adjustments(Some(steps).filter(|l| !l.is_empty()))
        .build()
}

fn target_tracking_value(t: &TargetTrackingScalingPolicyConfiguration, prior: &Value) -> Value {
    let predefined = t.predefined_metric_specification().map(|p| {
        obj(vec![
            (
                "predefined_metric_type",
                Value::string(p.predefined_metric_type().as_str()),
            ),
            (
                "resource_label",
                Value::string(p.resource_label().unwrap_or("")),
            ),
        ])
    });
    // The customized metric is kept as configured (its nested metric-math form is wide; the
    // API echoes what it was given).
    let customized = first(prior, "target_tracking_scaling_policy_configuration")
        .and_then(|p| p.get_attr("customized_metric_specification").cloned())
        .unwrap_or_else(|| Value::list(vec![]));
    Value::list(vec![obj(vec![
        ("target_value", Value::Number(t.target_value())),
        (
            "disable_scale_in",
            Value::Bool(t.disable_scale_in().unwrap_or(false)),
        ),
        ("scale_in_cooldown", num_or_zero(t.scale_in_cooldown())),
        ("scale_out_cooldown", num_or_zero(t.scale_out_cooldown())),
        (
            "predefined_metric_specification",
            Value::list(predefined.into_iter().collect()),
        ),
        ("customized_metric_specification", customized),
    ])])
}

impl ScalingPolicyResource {
    async fn describe(&self, c: &Clients, v: &Value) -> ProviderResult<Option<ScalingPolicy>> {
        let (ns, id, dim) = key(v)?;
        let name = attr_str(v, "name")
            .or_else(|| attr_str(v, "id"))
            .unwrap_or_default();
        let r = c
            .autoscaling
            .describe_scaling_policies()
            .service_namespace(ns)
            .resource_id(&id)
            .scalable_dimension(dim)
            .policy_names(&name)
            .send()
            .await
            .map_err(sdk)?;
        Ok(r.scaling_policies()
            .iter()
            .find(|p| p.policy_name() == name)
            .cloned())
    }

    async fn put(&self, c: &Clients, planned: &Value) -> ProviderResult<()> {
        let (ns, id, dim) = key(planned)?;
        let policy_type = attr_str(planned, "policy_type").unwrap_or_else(|| "StepScaling".into());
        c.autoscaling
            .put_scaling_policy()
            .policy_name(need_str(planned, "name")?)
            .service_namespace(ns)
            .resource_id(id)
            .scalable_dimension(dim)
            .policy_type(PolicyType::from(policy_type.as_str()))
            .set_target_tracking_scaling_policy_configuration(
                first(planned, "target_tracking_scaling_policy_configuration").map(target_tracking),
            )
            .set_step_scaling_policy_configuration(
                first(planned, "step_scaling_policy_configuration").map(step_scaling),
            )
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }
}

#[async_trait]
impl ResourceType for ScalingPolicyResource {
    fn name(&self) -> &'static str {
        "aws_appautoscaling_policy"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_appautoscaling_policy")
            .force_new_at(&[
                "name",
                "resource_id",
                "scalable_dimension",
                "service_namespace",
            ])
            .default_at("policy_type", Value::string("StepScaling"))
            .default_at(
                "target_tracking_scaling_policy_configuration.disable_scale_in",
                Value::Bool(false),
            )
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "name",
            "policy_type",
            "resource_id",
            "scalable_dimension",
            "service_namespace",
            "target_tracking_scaling_policy_configuration",
            "step_scaling_policy_configuration",
        ]
    }

    async fn create(&self, c: &Clients, planned: &Value, _op: &Op<'_>) -> ProviderResult<Value> {
        self.put(c, planned).await?;
        let base = fill(
            planned,
            vec![("id", Value::string(need_str(planned, "name")?))],
        );
        self.read_back(c, &base, "after create").await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let Some(p) = self.describe(c, prior).await? else {
            return Ok(None);
        };
        let mut pairs = vec![
            ("id", Value::string(p.policy_name())),
            ("name", Value::string(p.policy_name())),
            ("arn", Value::string(p.policy_arn())),
            ("policy_type", Value::string(p.policy_type().as_str())),
            ("resource_id", Value::string(p.resource_id())),
            (
                "scalable_dimension",
                Value::string(p.scalable_dimension().as_str()),
            ),
            (
                "service_namespace",
                Value::string(p.service_namespace().as_str()),
            ),
            (
                "alarm_arns",
                Value::list(
                    p.alarms()
                        .iter()
                        .map(|a| Value::string(a.alarm_arn()))
                        .collect(),
                ),
            ),
        ];
        if let Some(t) = p.target_tracking_scaling_policy_configuration() {
            pairs.push((
                "target_tracking_scaling_policy_configuration",
                target_tracking_value(t, prior),
            ));
        }
        Ok(Some(fill(prior, pairs)))
    }

    async fn update(
        &self,
        c: &Clients,
        _prior: &Value,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        self.put(c, planned).await?;
        self.read_back(c, planned, "during update").await
    }

    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        let (ns, id, dim) = key(prior)?;
        let r = c
            .autoscaling
            .delete_scaling_policy()
            .policy_name(need_str(prior, "name")?)
            .service_namespace(ns)
            .resource_id(id)
            .scalable_dimension(dim)
            .send()
            .await
            .map_err(sdk);
        match r {
            Ok(_) => Ok(()),
            Err(e) if e.kind == ErrorKind::NotFound || e.message.contains("No scaling policy") => {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        // Terraform's import id: service-namespace/resource-id/scalable-dimension/policy-name.
        let parts: Vec<&str> = id.split('/').collect();
        if parts.len() < 4 {
            return Ok(None);
        }
        let (ns, name, dim) = (parts[0], parts[parts.len() - 1], parts[parts.len() - 2]);
        let resource = parts[1..parts.len() - 2].join("/");
        self.read(
            c,
            &obj(vec![
                ("service_namespace", Value::string(ns)),
                ("resource_id", Value::string(resource)),
                ("scalable_dimension", Value::string(dim)),
                ("name", Value::string(name)),
            ]),
        )
        .await
    }

    async fn find_by_token(
        &self,
        c: &Clients,
        _token: &str,
        planned: &Value,
    ) -> ProviderResult<Option<Value>> {
        self.read(c, planned).await
    }
}
