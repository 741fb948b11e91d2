//! `aws_sagemaker_endpoint_configuration`: which model runs on what instances. Immutable in
//! SageMaker, so any change replaces it; with `create_before_destroy` the endpoint is moved
//! to the new configuration before the old one is deleted.

use crate::clients::Clients;
use crate::error::{is_missing, sdk};
use crate::sagemaker_config_parts::{async_request, async_value, variant_request, variant_value};
use crate::sagemaker_model::{live_tags, sm_tags, sync_tags};
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
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
            .force_new_at(&[
                "name",
                "name_prefix",
                "production_variants",
                "async_inference_config",
                "kms_key_arn",
            ])
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
            "production_variants.volume_size_in_gb",
            "production_variants.model_data_download_timeout_in_seconds",
            "production_variants.container_startup_health_check_timeout_in_seconds",
            "production_variants.inference_ami_version",
            "production_variants.managed_instance_scaling",
            "production_variants.routing_config",
            "async_inference_config",
            "kms_key_arn",
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
            let name = attr_str(v, "variant_name").unwrap_or_else(|| {
                format!("terraform-{}", unique_suffix(&format!("{}/{i}", op.token)))
            });
            variants.push(variant_request(v, name)?);
        }
        c.sagemaker
            .create_endpoint_config()
            .endpoint_config_name(&name)
            .set_production_variants(Some(variants))
            .set_async_inference_config(async_request(planned))
            .set_kms_key_id(attr_str(planned, "kms_key_arn"))
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
            .map(|(i, pv)| variant_value(&prior_variants.get(i).cloned().unwrap_or_default(), pv))
            .collect();
        let tags = live_tags(c, &arn).await?;
        let mut pairs = vec![
            ("id", Value::string(&name)),
            ("name", Value::string(&name)),
            ("arn", Value::string(&arn)),
            ("production_variants", Value::list(variants)),
        ];
        if let Some(a) = async_value(r.async_inference_config()) {
            pairs.push(("async_inference_config", a));
        }
        if let Some(k) = r.kms_key_id() {
            pairs.push(("kms_key_arn", Value::string(k)));
        }
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
