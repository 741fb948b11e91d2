//! `aws_sagemaker_model`: a model (container image + artifacts in S3 + execution role).
//! SageMaker models cannot be changed: every argument but tags forces replacement.

use crate::clients::Clients;
use crate::error::{is_missing, sdk};
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_sagemaker::types::{ContainerDefinition, ContainerMode, Tag, VpcConfig};
use gantry_core::provider::{Op, PlanRequest, PlanResponse, ProviderResult, ResourceSchema};
use gantry_core::value::Value;
use std::collections::BTreeMap;

pub struct Model;

pub fn sm_tags(t: &BTreeMap<String, String>) -> Vec<Tag> {
    t.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// Tags of a SageMaker object, by ARN.
pub async fn live_tags(c: &Clients, arn: &str) -> ProviderResult<BTreeMap<String, String>> {
    let r = c
        .sagemaker
        .list_tags()
        .resource_arn(arn)
        .send()
        .await
        .map_err(sdk)?;
    Ok(r.tags()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect())
}

/// Brings the object's tags to `planned`'s.
pub async fn sync_tags(
    c: &Clients,
    arn: &str,
    prior: &Value,
    planned: &Value,
) -> ProviderResult<()> {
    let (removed, changed) = tag_changes(prior, planned);
    if !removed.is_empty() {
        c.sagemaker
            .delete_tags()
            .resource_arn(arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(sdk)?;
    }
    if !changed.is_empty() {
        c.sagemaker
            .add_tags()
            .resource_arn(arn)
            .set_tags(Some(sm_tags(&changed)))
            .send()
            .await
            .map_err(sdk)?;
    }
    Ok(())
}

#[async_trait]
impl ResourceType for Model {
    fn name(&self) -> &'static str {
        "aws_sagemaker_model"
    }

    fn schema(&self) -> ResourceSchema {
        crate::upstream::resource("aws_sagemaker_model")
            .force_new_at(&[
                "name",
                "execution_role_arn",
                "enable_network_isolation",
                "primary_container",
                "vpc_config",
            ])
            .default_at("primary_container.mode", Value::string("SingleModel"))
    }

    fn implemented(&self) -> &'static [&'static str] {
        &[
            "name",
            "execution_role_arn",
            "enable_network_isolation",
            "tags",
            "primary_container.image",
            "primary_container.model_data_url",
            "primary_container.environment",
            "primary_container.mode",
            "vpc_config",
        ]
    }

    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        // `primary_container.model_data_source` is computed upstream: left out, it is unknown
        // at create and keeps the prior value after.
        let Some(containers) = req
            .proposed
            .get_attr("primary_container")
            .and_then(Value::as_seq)
        else {
            return Ok(PlanResponse::of(req.proposed.clone()));
        };
        let prior = req
            .prior
            .and_then(|p| p.get_attr("primary_container"))
            .and_then(Value::as_seq);
        let planned = containers
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let configured = c
                    .get_attr("model_data_source")
                    .and_then(Value::as_seq)
                    .is_some_and(|l| !l.is_empty());
                if configured {
                    return c.clone();
                }
                let kept = match prior {
                    Some(p) => p
                        .get(i)
                        .and_then(|pc| pc.get_attr("model_data_source").cloned())
                        .unwrap_or(Value::Null),
                    None => Value::Unknown,
                };
                fill(c, vec![("model_data_source", kept)])
            })
            .collect();
        Ok(PlanResponse::of(fill(
            req.proposed,
            vec![("primary_container", Value::list(planned))],
        )))
    }

    async fn create(&self, c: &Clients, planned: &Value, op: &Op<'_>) -> ProviderResult<Value> {
        let name = name_or_generated(planned, "name", "name_prefix", op.token);
        let mut req = c
            .sagemaker
            .create_model()
            .model_name(&name)
            .execution_role_arn(need_str(planned, "execution_role_arn")?)
            .enable_network_isolation(
                attr_bool(planned, "enable_network_isolation").unwrap_or(false),
            )
            .set_tags(Some(sm_tags(&send_tags(planned))));
        if let Some(pc) = planned
            .get_attr("primary_container")
            .and_then(Value::as_seq)
            .and_then(|l| l.first())
        {
            let env = string_map(pc, "environment").into_iter().collect();
            req = req.primary_container(
                ContainerDefinition::builder()
                    .image(need_str(pc, "image")?)
                    .set_model_data_url(attr_str(pc, "model_data_url"))
                    .set_environment(Some(env))
                    .mode(ContainerMode::from(
                        attr_str(pc, "mode")
                            .unwrap_or_else(|| "SingleModel".into())
                            .as_str(),
                    ))
                    .build(),
            );
        }
        if let Some(v) = planned
            .get_attr("vpc_config")
            .and_then(Value::as_seq)
            .and_then(|l| l.first())
        {
            let strs = |k: &str| {
                v.get_attr(k).and_then(Value::as_seq).map(|l| {
                    l.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
            };
            req = req.vpc_config(
                VpcConfig::builder()
                    .set_security_group_ids(strs("security_group_ids"))
                    .set_subnets(strs("subnets"))
                    .build(),
            );
        }
        req.send().await.map_err(sdk)?;
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
        let m = match c
            .sagemaker
            .describe_model()
            .model_name(&name)
            .send()
            .await
            .map_err(sdk)
        {
            Ok(m) => m,
            Err(e) if is_missing(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        let arn = m.model_arn().unwrap_or_default().to_string();
        let container = m.primary_container().map(|pc| {
            let env: gantry_core::value::Map = pc
                .environment()
                .map(|e| {
                    e.iter()
                        .map(|(k, v)| (k.clone(), Value::string(v.as_str())))
                        .collect()
                })
                .unwrap_or_default();
            obj(vec![
                ("image", opt_str(pc.image())),
                ("model_data_url", opt_str(pc.model_data_url())),
                (
                    "environment",
                    if env.is_empty()
                        && prior
                            .get_attr("primary_container")
                            .and_then(Value::as_seq)
                            .and_then(|l| l.first())
                            .and_then(|p| p.get_attr("environment"))
                            .is_none_or(Value::is_null)
                    {
                        Value::Null
                    } else {
                        Value::map(env)
                    },
                ),
                (
                    "mode",
                    Value::string(pc.mode().map(|m| m.as_str()).unwrap_or("SingleModel")),
                ),
            ])
        });
        let tags = live_tags(c, &arn).await?;
        let mut pairs = vec![
            ("id", Value::string(&name)),
            ("name", Value::string(&name)),
            ("arn", Value::string(&arn)),
            ("execution_role_arn", opt_str(m.execution_role_arn())),
            (
                "enable_network_isolation",
                Value::Bool(m.enable_network_isolation().unwrap_or(false)),
            ),
            (
                "primary_container",
                Value::list(container.into_iter().collect()),
            ),
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
                .delete_model()
                .model_name(name)
                .send()
                .await
                .map_err(sdk),
        )
    }

    async fn import(&self, c: &Clients, id: &str) -> ProviderResult<Option<Value>> {
        self.read(c, &obj(vec![("id", Value::string(id))])).await
    }
}
