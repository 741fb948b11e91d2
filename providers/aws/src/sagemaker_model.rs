//! `aws_sagemaker_model`: a model (container image + artifacts in S3 + execution role).
//! SageMaker models cannot be changed: every argument but tags forces replacement.

use crate::clients::Clients;
use crate::error::{is_missing, sdk};
use crate::util::*;
use crate::ResourceType;
use async_trait::async_trait;
use aws_sdk_sagemaker::types::{
    ContainerDefinition, ContainerMode, ImageConfig, InferenceExecutionConfig,
    InferenceExecutionMode, ModelCacheSetting, MultiModelConfig, RepositoryAccessMode,
    RepositoryAuthConfig, Tag, VpcConfig,
};
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

/// A container block (`primary_container` or one of `container`) as the API takes it.
fn container_definition(pc: &Value) -> ContainerDefinition {
    let env = string_map(pc, "environment").into_iter().collect();
    let image_config = first(pc, "image_config").map(|ic| {
        ImageConfig::builder()
            .set_repository_access_mode(
                attr_str(ic, "repository_access_mode")
                    .map(|m| RepositoryAccessMode::from(m.as_str())),
            )
            .set_repository_auth_config(first(ic, "repository_auth_config").map(|a| {
                RepositoryAuthConfig::builder()
                    .set_repository_credentials_provider_arn(attr_str(
                        a,
                        "repository_credentials_provider_arn",
                    ))
                    .build()
            }))
            .build()
    });
    let multi_model = first(pc, "multi_model_config").map(|m| {
        MultiModelConfig::builder()
            .set_model_cache_setting(
                attr_str(m, "model_cache_setting")
                    .filter(|s| !s.is_empty())
                    .map(|s| ModelCacheSetting::from(s.as_str())),
            )
            .build()
    });
    ContainerDefinition::builder()
        .set_image(attr_str(pc, "image"))
        .set_model_data_url(attr_str(pc, "model_data_url"))
        .set_container_hostname(attr_str(pc, "container_hostname").filter(|s| !s.is_empty()))
        .set_environment(Some(env))
        .mode(ContainerMode::from(
            attr_str(pc, "mode")
                .unwrap_or_else(|| "SingleModel".into())
                .as_str(),
        ))
        .set_image_config(image_config)
        .set_multi_model_config(multi_model)
        .build()
}

/// A container as state records it; `prior` is the same container's prior value (an
/// environment left out stays null rather than becoming an empty map).
fn container_value(pc: &ContainerDefinition, prior: Option<&Value>) -> Value {
    let env: gantry_core::value::Map = pc
        .environment()
        .map(|e| {
            e.iter()
                .map(|(k, v)| (k.clone(), Value::string(v.as_str())))
                .collect()
        })
        .unwrap_or_default();
    let env_unset = prior
        .and_then(|p| p.get_attr("environment"))
        .is_none_or(Value::is_null);
    let image_config = pc
        .image_config()
        .map(|ic| {
            let auth = ic
                .repository_auth_config()
                .map(|a| {
                    vec![obj(vec![(
                        "repository_credentials_provider_arn",
                        opt_str(a.repository_credentials_provider_arn()),
                    )])]
                })
                .unwrap_or_default();
            vec![obj(vec![
                (
                    "repository_access_mode",
                    opt_str(ic.repository_access_mode().map(|m| m.as_str())),
                ),
                ("repository_auth_config", Value::list(auth)),
            ])]
        })
        .unwrap_or_default();
    let multi_model = pc
        .multi_model_config()
        .map(|m| {
            vec![obj(vec![(
                "model_cache_setting",
                Value::string(m.model_cache_setting().map(|s| s.as_str()).unwrap_or("")),
            )])]
        })
        .unwrap_or_default();
    // Upstream reads the S3 model source back (computed); absent, SDKv2 records [].
    let data_source = pc
        .model_data_source()
        .and_then(|d| d.s3_data_source())
        .map(|s3| {
            let access = s3
                .model_access_config()
                .map(|a| {
                    vec![obj(vec![(
                        "accept_eula",
                        Value::Bool(a.accept_eula().unwrap_or(false)),
                    )])]
                })
                .unwrap_or_default();
            vec![obj(vec![(
                "s3_data_source",
                Value::list(vec![obj(vec![
                    ("s3_uri", opt_str(s3.s3_uri())),
                    (
                        "s3_data_type",
                        opt_str(s3.s3_data_type().map(|t| t.as_str())),
                    ),
                    (
                        "compression_type",
                        opt_str(s3.compression_type().map(|t| t.as_str())),
                    ),
                    ("model_access_config", Value::list(access)),
                ])]),
            )])]
        })
        .unwrap_or_default();
    obj(vec![
        ("image", opt_str(pc.image())),
        (
            "model_data_url",
            Value::string(pc.model_data_url().unwrap_or("")),
        ),
        ("model_data_source", Value::list(data_source)),
        (
            "model_package_name",
            Value::string(pc.model_package_name().unwrap_or("")),
        ),
        (
            "inference_specification_name",
            Value::string(pc.inference_specification_name().unwrap_or("")),
        ),
        (
            "environment",
            if env.is_empty() && env_unset {
                Value::Null
            } else {
                Value::map(env)
            },
        ),
        (
            "mode",
            Value::string(pc.mode().map(|m| m.as_str()).unwrap_or("SingleModel")),
        ),
        (
            "container_hostname",
            Value::string(pc.container_hostname().unwrap_or("")),
        ),
        ("image_config", Value::list(image_config)),
        ("multi_model_config", Value::list(multi_model)),
    ])
}

/// Containers with upstream's computed `model_data_source`: left out, it is unknown at
/// create and keeps the prior value after.
fn computed_data_sources(containers: &[Value], prior: Option<&[Value]>) -> Vec<Value> {
    containers
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
        .collect()
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
                "container",
                "inference_execution_config",
                "vpc_config",
            ])
            .default_at("primary_container.mode", Value::string("SingleModel"))
            .default_at("container.mode", Value::string("SingleModel"))
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
            "primary_container.container_hostname",
            "primary_container.image_config",
            "primary_container.multi_model_config",
            "container.image",
            "container.model_data_url",
            "container.environment",
            "container.mode",
            "container.container_hostname",
            "container.image_config",
            "container.multi_model_config",
            "inference_execution_config",
            "vpc_config",
        ]
    }

    async fn plan(&self, _c: &Clients, req: &PlanRequest<'_>) -> ProviderResult<PlanResponse> {
        let pairs = ["primary_container", "container"]
            .into_iter()
            .filter_map(|b| {
                let prior = req
                    .prior
                    .and_then(|p| p.get_attr(b))
                    .and_then(Value::as_seq);
                let containers = req.proposed.get_attr(b).and_then(Value::as_seq)?;
                Some((b, Value::list(computed_data_sources(containers, prior))))
            })
            .collect();
        Ok(PlanResponse::of(fill(req.proposed, pairs)))
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
        if let Some(pc) = first(planned, "primary_container") {
            req = req.primary_container(container_definition(pc));
        }
        for pc in planned
            .get_attr("container")
            .and_then(Value::as_seq)
            .unwrap_or_default()
        {
            req = req.containers(container_definition(pc));
        }
        if let Some(mode) =
            first(planned, "inference_execution_config").and_then(|i| attr_str(i, "mode"))
        {
            req = req.inference_execution_config(
                InferenceExecutionConfig::builder()
                    .mode(InferenceExecutionMode::from(mode.as_str()))
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
        let prior_items = |b: &str| -> Vec<Value> {
            prior
                .get_attr(b)
                .and_then(Value::as_seq)
                .map(|l| l.to_vec())
                .unwrap_or_default()
        };
        let primary = prior_items("primary_container");
        let container = m
            .primary_container()
            .map(|pc| container_value(pc, primary.first()));
        let others = prior_items("container");
        let containers: Vec<Value> = m
            .containers()
            .iter()
            .enumerate()
            .map(|(i, pc)| container_value(pc, others.get(i)))
            .collect();
        let inference = m
            .inference_execution_config()
            .map(|i| vec![obj(vec![("mode", opt_str(i.mode().map(|m| m.as_str())))])])
            .unwrap_or_default();
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
            ("container", Value::list(containers)),
            ("inference_execution_config", Value::list(inference)),
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
