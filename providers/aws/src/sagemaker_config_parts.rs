//! The parts of an `aws_sagemaker_endpoint_configuration` beyond names: production variants
//! (instance or serverless, volume size, download and health-check timeouts, inference AMI,
//! managed instance scaling, routing) and the asynchronous inference configuration, to the
//! API and back. What the API does not echo keeps the planned value.

use crate::util::*;
use aws_sdk_sagemaker::types::{
    AsyncInferenceClientConfig, AsyncInferenceConfig, AsyncInferenceNotificationConfig,
    AsyncInferenceOutputConfig, AsyncNotificationTopicTypes, ManagedInstanceScalingStatus,
    ProductionVariant, ProductionVariantInferenceAmiVersion, ProductionVariantInstanceType,
    ProductionVariantManagedInstanceScaling, ProductionVariantRoutingConfig,
    ProductionVariantServerlessConfig, RoutingStrategy,
};
use gantry_core::provider::ProviderResult;
use gantry_core::value::Value;

fn int(v: &Value, k: &str) -> Option<i32> {
    attr_num(v, k).map(|n| n as i32)
}

fn num(n: Option<i32>) -> Option<Value> {
    n.map(|n| Value::Number(n as f64))
}

/// One planned variant as CreateEndpointConfig takes it.
pub fn variant_request(v: &Value, name: String) -> ProviderResult<ProductionVariant> {
    let mut pv = ProductionVariant::builder()
        .variant_name(name)
        .model_name(need_str(v, "model_name")?)
        .set_initial_instance_count(int(v, "initial_instance_count"))
        .set_instance_type(
            attr_str(v, "instance_type").map(|t| ProductionVariantInstanceType::from(t.as_str())),
        )
        .set_initial_variant_weight(attr_num(v, "initial_variant_weight").map(|w| w as f32))
        .set_volume_size_in_gb(int(v, "volume_size_in_gb"))
        .set_model_data_download_timeout_in_seconds(int(
            v,
            "model_data_download_timeout_in_seconds",
        ))
        .set_container_startup_health_check_timeout_in_seconds(int(
            v,
            "container_startup_health_check_timeout_in_seconds",
        ))
        .set_inference_ami_version(
            attr_str(v, "inference_ami_version")
                .map(|a| ProductionVariantInferenceAmiVersion::from(a.as_str())),
        );
    if let Some(s) = first(v, "serverless_config") {
        pv = pv.serverless_config(
            ProductionVariantServerlessConfig::builder()
                .memory_size_in_mb(int(s, "memory_size_in_mb").unwrap_or(1024))
                .max_concurrency(int(s, "max_concurrency").unwrap_or(1))
                .set_provisioned_concurrency(int(s, "provisioned_concurrency"))
                .build(),
        );
    }
    if let Some(m) = first(v, "managed_instance_scaling") {
        pv = pv.managed_instance_scaling(
            ProductionVariantManagedInstanceScaling::builder()
                .set_status(
                    attr_str(m, "status").map(|s| ManagedInstanceScalingStatus::from(s.as_str())),
                )
                .set_min_instance_count(int(m, "min_instance_count"))
                .set_max_instance_count(int(m, "max_instance_count"))
                .build(),
        );
    }
    if let Some(r) = first(v, "routing_config") {
        pv = pv.routing_config(
            ProductionVariantRoutingConfig::builder()
                .set_routing_strategy(
                    attr_str(r, "routing_strategy").map(|s| RoutingStrategy::from(s.as_str())),
                )
                .build(),
        );
    }
    Ok(pv.build())
}

/// A variant as read, over `prior`'s (what the API leaves out keeps its value).
pub fn variant_value(prior: &Value, pv: &ProductionVariant) -> Value {
    let mut pairs = vec![
        ("variant_name", opt_str(pv.variant_name())),
        ("model_name", opt_str(pv.model_name())),
        (
            "initial_instance_count",
            num(pv.initial_instance_count()).unwrap_or(Value::Null),
        ),
        (
            "instance_type",
            opt_str(pv.instance_type().map(|t| t.as_str())),
        ),
        (
            "initial_variant_weight",
            Value::Number(pv.initial_variant_weight().map(|w| w as f64).unwrap_or(1.0)),
        ),
    ];
    let optional = [
        ("volume_size_in_gb", num(pv.volume_size_in_gb())),
        (
            "model_data_download_timeout_in_seconds",
            num(pv.model_data_download_timeout_in_seconds()),
        ),
        (
            "container_startup_health_check_timeout_in_seconds",
            num(pv.container_startup_health_check_timeout_in_seconds()),
        ),
        (
            "inference_ami_version",
            pv.inference_ami_version()
                .map(|a| Value::string(a.as_str())),
        ),
    ];
    pairs.extend(optional.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
    if let Some(m) = pv.managed_instance_scaling() {
        pairs.push((
            "managed_instance_scaling",
            Value::list(vec![obj(vec![
                ("status", opt_str(m.status().map(|s| s.as_str()))),
                (
                    "min_instance_count",
                    num(m.min_instance_count()).unwrap_or(Value::Null),
                ),
                (
                    "max_instance_count",
                    num(m.max_instance_count()).unwrap_or(Value::Null),
                ),
            ])]),
        ));
    }
    if let Some(r) = pv.routing_config() {
        pairs.push((
            "routing_config",
            Value::list(vec![obj(vec![(
                "routing_strategy",
                opt_str(r.routing_strategy().map(|s| s.as_str())),
            )])]),
        ));
    }
    fill(prior, pairs)
}

/// The planned `async_inference_config`, if any, as the API takes it.
pub fn async_request(planned: &Value) -> Option<AsyncInferenceConfig> {
    let a = first(planned, "async_inference_config")?;
    let mut out = AsyncInferenceConfig::builder();
    if let Some(cc) = first(a, "client_config") {
        out = out.client_config(
            AsyncInferenceClientConfig::builder()
                .set_max_concurrent_invocations_per_instance(int(
                    cc,
                    "max_concurrent_invocations_per_instance",
                ))
                .build(),
        );
    }
    if let Some(o) = first(a, "output_config") {
        let notify = first(o, "notification_config").map(|n| {
            AsyncInferenceNotificationConfig::builder()
                .set_success_topic(attr_str(n, "success_topic"))
                .set_error_topic(attr_str(n, "error_topic"))
                .set_include_inference_response_in(
                    Some(
                        strings(n, "include_inference_response_in")
                            .iter()
                            .map(|t| AsyncNotificationTopicTypes::from(t.as_str()))
                            .collect::<Vec<_>>(),
                    )
                    .filter(|l| !l.is_empty()),
                )
                .build()
        });
        out = out.output_config(
            AsyncInferenceOutputConfig::builder()
                .set_s3_output_path(attr_str(o, "s3_output_path"))
                .set_s3_failure_path(attr_str(o, "s3_failure_path"))
                .set_kms_key_id(attr_str(o, "kms_key_id"))
                .set_notification_config(notify)
                .build(),
        );
    }
    Some(out.build())
}

/// The async configuration as read (`None` when the API says nothing: keep the prior value).
pub fn async_value(cfg: Option<&AsyncInferenceConfig>) -> Option<Value> {
    let cfg = cfg?;
    let client = cfg
        .client_config()
        .map(|c| {
            vec![obj(vec![(
                "max_concurrent_invocations_per_instance",
                num(c.max_concurrent_invocations_per_instance()).unwrap_or(Value::Null),
            )])]
        })
        .unwrap_or_default();
    let output = cfg.output_config().map(|o| {
        let notify = o
            .notification_config()
            .map(|n| {
                vec![obj(vec![
                    ("success_topic", opt_str(n.success_topic())),
                    ("error_topic", opt_str(n.error_topic())),
                    (
                        "include_inference_response_in",
                        crate::ec2_object::string_set(
                            n.include_inference_response_in().iter().map(|t| t.as_str()),
                        ),
                    ),
                ])]
            })
            .unwrap_or_default();
        obj(vec![
            ("s3_output_path", opt_str(o.s3_output_path())),
            ("s3_failure_path", opt_str(o.s3_failure_path())),
            ("kms_key_id", opt_str(o.kms_key_id())),
            ("notification_config", Value::list(notify)),
        ])
    });
    Some(Value::list(vec![obj(vec![
        ("client_config", Value::list(client)),
        ("output_config", Value::list(output.into_iter().collect())),
    ])]))
}
