//! `aws_sagemaker_endpoint_configuration`: which model runs on what instances. Immutable in
//! SageMaker, so any change replaces it; with `create_before_destroy` the endpoint is moved
//! to the new configuration before the old one is deleted.

use crate::clients::Clients;
use crate::error::{is_missing, sdk};
use crate::sagemaker_model::{live_tags, sm_tags, sync_tags};
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_sagemaker::types::{
    ProductionVariant, ProductionVariantInstanceType, ProductionVariantServerlessConfig,
};
use gantry_core::provider::{Op, ProviderResult, ResourceSchema};
use gantry_core::value::Value;

pub struct EndpointConfiguration;

#[async_trait]
impl ResourceType for EndpointConfiguration {
    fn name(&self) -> &'static str {
        "aws_sagemaker_endpoint_configuration"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_sagemaker_endpoint_configuration")
            .force_new_at(&["name", "name_prefix", "production_variants"])
            .default_at(
                "production_variants.initial_variant_weight",
                Value::Number(1.0),
            )
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "name",
            "tags",
            "production_variants.variant_name",
            "production_variants.model_name",
            "production_variants.initial_instance_count",
            "production_variants.instance_type",
            "production_variants.initial_variant_weight",
            "production_variants.serverless_config",
        ]
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let name = name_or_generated(planned, "name", "name_prefix", op.token);
        let mut variants = Vec::new();
        for (i, v) in planned
            .get_attr("production_variants")
            .and_then(Value::as_seq)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let mut pv = ProductionVariant::builder()
                .variant_name(attr_str(v, "variant_name").unwrap_or_else(|| {
                    format!("terraform-{}", unique_suffix(&format!("{}/{i}", op.token)))
                }))
                .model_name(need_str(v, "model_name")?);
            if let Some(n) = attr_num(v, "initial_instance_count") {
                pv = pv.initial_instance_count(n as i32);
            }
            if let Some(t) = attr_str(v, "instance_type") {
                pv = pv.instance_type(ProductionVariantInstanceType::from(t.as_str()));
            }
            if let Some(w) = attr_num(v, "initial_variant_weight") {
                pv = pv.initial_variant_weight(w as f32);
            }
            if let Some(s) = v
                .get_attr("serverless_config")
                .and_then(Value::as_seq)
                .and_then(|l| l.first())
            {
                pv =
                    pv.serverless_config(
                        ProductionVariantServerlessConfig::builder()
                            .memory_size_in_mb(
                                attr_num(s, "memory_size_in_mb").unwrap_or(1024.0) as i32
                            )
                            .max_concurrency(attr_num(s, "max_concurrency").unwrap_or(1.0) as i32)
                            .build(),
                    );
            }
            variants.push(pv.build());
        }
        c.sagemaker
            .create_endpoint_config()
            .endpoint_config_name(&name)
            .set_production_variants(Some(variants))
            .set_tags(Some(sm_tags(&send_tags(planned))))
            .send()
            .await
            .map_err(sdk)?;
        self.read_back(
            c,
            &fill(planned, vec![("id", Value::string(&name))]),
            "after create",
        )
        .await
    }

    async fn read(&self, c: &Clients, prior: &Value) -> ProviderResult<Option<Value>> {
        let name = attr_str(prior, "id")
            .or_else(|| attr_str(prior, "name"))
            .unwrap_or_default();
        let r = match c
            .sagemaker
            .describe_endpoint_config()
            .endpoint_config_name(&name)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(r) => r,
            Err(e) if is_missing(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        let arn = r.endpoint_config_arn().unwrap_or_default().to_string();
        let prior_variants = prior
            .get_attr("production_variants")
            .and_then(Value::as_seq)
            .unwrap_or_default()
            .to_vec();
        let variants: Vec<Value> = r
            .production_variants()
            .iter()
            .enumerate()
            .map(|(i, pv)| {
                let p = prior_variants.get(i).cloned().unwrap_or_default();
                fill(
                    &p,
                    vec![
                        ("variant_name", opt_str(pv.variant_name())),
                        ("model_name", opt_str(pv.model_name())),
                        (
                            "initial_instance_count",
                            pv.initial_instance_count()
                                .map(|n| Value::Number(n as f64))
                                .unwrap_or(Value::Null),
                        ),
                        (
                            "instance_type",
                            opt_str(pv.instance_type().map(|t| t.as_str())),
                        ),
                        (
                            "initial_variant_weight",
                            Value::Number(
                                pv.initial_variant_weight().map(|w| w as f64).unwrap_or(1.0),
                            ),
                        ),
                    ],
                )
            })
            .collect();
        let tags = live_tags(c, &arn).await?;
        let mut pairs = vec![
            ("id", Value::string(&name)),
            ("name", Value::string(&name)),
            ("arn", Value::string(&arn)),
            ("production_variants", Value::list(variants)),
        ];
        pairs.extend(tag_attrs(prior, &tags));
        Ok(Some(fill(prior, pairs)))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _op: &Op<'_>,
    ) -> ProviderResult<Value> {
        let arn = need_str(prior, "arn")?;
        sync_tags(c, &arn, prior, planned).await?;
        self.read_back(c, prior, "during update").await
    }

    async fn delete(&self, c: &Clients, prior: &Value, _op: &Op<'_>) -> ProviderResult<()> {
        let name = need_str(prior, "id")?;
        gone_is_ok(
            c.sagemaker
                .delete_endpoint_config()
                .endpoint_config_name(name)
                .send()
                .await
                .map_err(sdk),
        )
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }
}
